package io.datasync.nifi.benchmarks;

import io.datasync.nifi.processors.CustomerDedup;
import org.apache.nifi.processors.standard.DeduplicateRecord;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Bytes of cross-FlowFile identity state per key: each contestant processes FlowFiles that hold
 * {@code identityKeys} distinct customers in total, with its map cache client property pointing at
 * a {@link CountingMapCacheClient}; the report gives what was stored (key and value bytes per
 * entry, entries per customer) and how many cache calls (network round trips with a real cache
 * server) each record cost.
 */
final class IdentityStateBenchmark {

    static final String CACHE_ID = "identity-cache";
    private static final int FLOWFILE_RECORDS = 100_000;

    private final Mode mode;

    IdentityStateBenchmark(final Mode mode) {
        this.mode = mode;
    }

    /** A contestant that keeps identity state in a map cache. */
    record CacheContestant(RecordContestant contestant, String note) {
    }

    static List<CacheContestant> contestants() {
        final List<CacheContestant> all = new ArrayList<>();
        all.add(new CacheContestant(new RecordContestant("DeduplicateRecord (multiple files, email)", DeduplicateRecord::new, runner -> {
            runner.setProperty("deduplication-strategy", "multiple");
            runner.setProperty("distributed-map-cache", CACHE_ID);
            // Without this the stock processor only looks keys up and never records new ones.
            runner.setProperty("put-cache-identifier", "true");
            runner.setProperty("email", "/email");
        }, "record-reader", "record-writer", List.of("non-duplicate", "duplicate")),
                "stock: remembers that a raw email was seen (SHA-256 of the key); no customer id"));
        all.add(new CacheContestant(new RecordContestant("CustomerDedup (email, annotate, cache)", CustomerDedup::new, runner -> {
            runner.setProperty("email", "/email");
            runner.setProperty("Email Record Paths", "/email");
            runner.setProperty("Output Mode", "ANNOTATE");
            runner.setProperty("Distributed Map Cache Client", CACHE_ID);
        }, "Record Reader", "Record Writer", List.of("success")),
                "ours: normalised email key hash -> stable customer id, written with put-if-absent"));
        return all;
    }

    String run() throws Exception {
        final CustomerRecordGenerator generator = new CustomerRecordGenerator(CustomerRecordGenerator.DEFAULT_SEED);
        final Markdown md = new Markdown();
        md.heading("Identity state per key (" + Stats.count(mode.identityKeys()) + " distinct customers)");
        md.paragraph("Each contestant's map cache client is an in-memory client that stores exactly the serialized key and value bytes "
                + "(what the stock map cache server would hold) and counts calls. Input: FlowFiles of up to "
                + Stats.count(FLOWFILE_RECORDS) + " records, one record per customer.");
        md.table("contestant", "entries", "entries/customer", "key bytes/entry", "value bytes/entry", "bytes/customer",
                "cache calls/record", "calls by method", "note");
        for (final CacheContestant cacheContestant : contestants()) {
            final CountingMapCacheClient cache = new CountingMapCacheClient();
            final RecordContestant original = cacheContestant.contestant();
            final RecordContestant withCache = new RecordContestant(original.name(), original.processor(), runner -> {
                runner.addControllerService(CACHE_ID, cache);
                runner.enableControllerService(cache);
                original.configurer().configure(runner);
            }, original.readerProperty(), original.writerProperty(), original.outputRelationships());
            final long start = System.nanoTime();
            try (ContestantRunner runner = new ContestantRunner(withCache, false)) {
                for (int first = 0; first < mode.identityKeys(); first += FLOWFILE_RECORDS) {
                    final int count = Math.min(FLOWFILE_RECORDS, mode.identityKeys() - first);
                    runner.runOnce(generator.distinctCustomers(first, count), count);
                }
            }
            final double seconds = (System.nanoTime() - start) / 1e9;
            final long keys = mode.identityKeys();
            final long entries = cache.entryCount();
            final long keyBytes = cache.keyBytes();
            final long valueBytes = cache.valueBytes();
            final Map<String, Long> calls = cache.calls();
            final long totalCalls = calls.values().stream().mapToLong(Long::longValue).sum();
            md.row(original.name(), Stats.count(entries), Stats.ratio((double) entries / keys),
                    entries == 0 ? "n/a" : Stats.bytes((double) keyBytes / entries), entries == 0 ? "n/a" : Stats.bytes((double) valueBytes / entries),
                    Stats.bytes((double) (keyBytes + valueBytes) / keys), Stats.ratio((double) totalCalls / keys), calls.toString(),
                    cacheContestant.note());
            System.err.printf("identity %s: %,d entries, %,d key bytes, %,d value bytes, calls %s, %.1f s%n",
                    original.name(), entries, keyBytes, valueBytes, calls, seconds);
        }
        return md.toString();
    }
}
