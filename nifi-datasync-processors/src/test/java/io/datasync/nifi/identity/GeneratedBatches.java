package io.datasync.nifi.identity;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Generated batches of records for the property tests that resolve the same batches against two identity stores (or
 * two ways of reading one) and compare what comes back: the records, their identity graph, the resolution, and the
 * jqwik generators of batches and link-count limits.
 */
public final class GeneratedBatches {

    /** The two match rules: even key tokens are emails, odd ones phones. */
    public static final List<String> RULES = List.of("email", "phone");

    private GeneratedBatches() {
    }

    /** One record: its key tokens (even tokens are emails, odd ones phones) and the id it carries, if any. */
    public record Row(List<Integer> keys, Integer carriedId) {
    }

    /** What one batch resolved to. */
    public record Outcome(List<String> ids, List<IdentityMerge> merges, int newCustomers, int keysReachingLimit, Set<KeyHash> overLimit) {
    }

    /** The batch's identity graph: key token t becomes value "value-t" of its rule, a carried id c becomes "id-c". */
    public static IdentityGraph graph(final List<Row> batch, final KeyHasher hasher) {
        final IdentityGraph graph = new IdentityGraph(1000);
        for (int index = 0; index < batch.size(); index++) {
            final Row row = batch.get(index);
            final int record = graph.addRecord();
            graph.setFingerprint(record, hasher.hashBytes("fingerprint", ("record " + index + " " + row).getBytes(StandardCharsets.UTF_8)));
            for (final int token : row.keys()) {
                graph.addKey(record, hasher.hash(RULES.get(token % 2), "value-" + token), token % 2);
            }
            if (row.carriedId() != null) {
                graph.setExistingId(record, "id-" + row.carriedId());
            }
        }
        return graph;
    }

    /** Resolves one batch against the store, as CustomerDedup does: over-limit keys first, then the clusters. */
    public static Outcome resolve(final IdentityStore store, final boolean snapshotReads, final List<Row> batch, final KeyHasher hasher,
                                  final Function<KeyHash, String> newIdOfAnchor, final int maxLinks) throws IOException {
        final IdentityGraph graph = graph(batch, hasher);
        final IdentityResolver resolver = new IdentityResolver(store, newIdOfAnchor, RULES, maxLinks, snapshotReads);
        final Set<KeyHash> overLimit = resolver.overLimitKeys(graph.keys());
        final Clusters clusters = graph.build(overLimit);
        final String[] ids = resolver.resolve(clusters);
        return new Outcome(Arrays.asList(ids), resolver.merges(), resolver.newCustomerCount(), resolver.keysReachingLimit(), overLimit);
    }

    /** One to four batches of one to 25 records, each with up to three of 30 key tokens and, one time in five, one of nine ids. */
    public static Arbitrary<List<List<Row>>> batches() {
        final Arbitrary<Row> row = Combinators.combine(
                Arbitraries.integers().between(0, 29).list().ofMaxSize(3),
                Arbitraries.integers().between(0, 8).injectNull(0.8))
                .as(Row::new);
        return row.list().ofMinSize(1).ofMaxSize(25).list().ofMinSize(1).ofMaxSize(4);
    }

    /** Maximum links per key: at once, low, the default, and no limit. */
    public static Arbitrary<Integer> limits() {
        return Arbitraries.of(1, 3, 50, Integer.MAX_VALUE);
    }
}
