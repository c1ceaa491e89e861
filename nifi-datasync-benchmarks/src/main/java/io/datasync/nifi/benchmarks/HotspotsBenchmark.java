package io.datasync.nifi.benchmarks;

import io.datasync.nifi.consent.ConsentEvidence;
import io.datasync.nifi.consent.ConsentSource;
import io.datasync.nifi.consent.ConsentTime;
import io.datasync.nifi.consent.ConsentVocabulary;
import io.datasync.nifi.consent.ConsentWarning;
import io.datasync.nifi.consent.PurposeStatuses;
import io.datasync.nifi.common.Timestamps;
import io.datasync.nifi.processors.CustomerDedup;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.apache.nifi.processors.standard.DeduplicateRecord;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The CPU hot spots the template profiles showed (issue 17), each isolated and measured old against new in one run:
 * <ul>
 *   <li>ConsentFilter turning a store row's purposes JSON text into evidence: the former Jackson tree against the
 *   streaming reading;</li>
 *   <li>CustomerDedup with the Database identity store on an embedded PostgreSQL (127.0.0.1), the template's three
 *   rules: per-record cost against the in-FlowFile-only CustomerDedup and the stock DeduplicateRecord.</li>
 * </ul>
 * Every round runs every contestant once, in alternating order; ratios are taken within a round.
 */
final class HotspotsBenchmark {

    private final Mode mode;
    /** "identity" runs only the database identity store contestant (for a profile); null runs everything. */
    private final String only;

    HotspotsBenchmark(final Mode mode, final String only) {
        this.mode = mode;
        this.only = only;
    }

    String run() throws Exception {
        final Markdown md = new Markdown();
        if (only == null) {
            purposes(md);
        }
        identityStore(md);
        if (only == null) {
            identityResolver(md);
        }
        return md.toString();
    }

    // ---- ConsentFilter: purposes JSON text

    private static final List<String> PURPOSES = List.of("email_marketing", "personalisation");

    /** What the templates' consent_lookup view returns as purposes: jsonb text, purpose -> {status, updated_at}. */
    static List<String> purposesTexts(final int count) {
        final Random random = new Random(31);
        final DateTimeFormatter format = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSxxx").withZone(java.time.ZoneOffset.UTC);
        final String[] statuses = {"GRANTED", "GRANTED", "GRANTED", "WITHDRAWN", "PENDING"};
        final List<String> texts = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            final Instant first = Instant.parse("2026-01-01T00:00:00Z").plusSeconds(random.nextInt(20_000_000)).plusNanos(random.nextInt(1_000_000) * 1000L);
            final StringBuilder text = new StringBuilder("{\"email_marketing\": {\"status\": \"").append(statuses[random.nextInt(statuses.length)])
                    .append("\", \"updated_at\": \"").append(format.format(first)).append("\"}");
            if (random.nextBoolean()) {
                text.append(", \"personalisation\": {\"status\": \"").append(statuses[random.nextInt(statuses.length)])
                        .append("\", \"updated_at\": \"").append(format.format(first.plusSeconds(random.nextInt(100_000)))).append("\"}");
            }
            texts.add(text.append('}').toString());
        }
        return texts;
    }

    private void purposes(final Markdown md) {
        final int count = mode == Mode.FULL ? 200_000 : 50_000;
        final List<String> texts = purposesTexts(count);
        final Instant now = Instant.parse("2026-12-01T00:00:00Z");
        final PurposeStatuses streaming = new PurposeStatuses("status", "updated_at", null, ConsentVocabulary.defaults(),
                value -> ConsentTime.read(value, Timestamps.EpochUnit.MILLISECONDS, now));
        final PurposeStatuses tree = streaming.withJsonReading(PurposeStatuses.JsonReading.TREE);
        final List<Double> treeNs = new ArrayList<>();
        final List<Double> streamingNs = new ArrayList<>();
        final List<Double> ratios = new ArrayList<>();
        final int rounds = mode.warmupRounds() + mode.measuredRounds() + 3;
        for (int round = 0; round < rounds; round++) {
            final boolean treeFirst = round % 2 == 0;
            final long[] first = readAll(treeFirst ? tree : streaming, texts, now);
            final long[] second = readAll(treeFirst ? streaming : tree, texts, now);
            final long[] t = treeFirst ? first : second;
            final long[] s = treeFirst ? second : first;
            if (t[1] != s[1]) {
                throw new IllegalStateException("The two purposes readings gave different evidence");
            }
            if (round >= mode.warmupRounds() + 3) {
                treeNs.add((double) t[0] / count);
                streamingNs.add((double) s[0] / count);
                ratios.add((double) t[0] / s[0]);
            }
        }
        md.heading("ConsentFilter: a store row's purposes JSON text to evidence");
        md.paragraph(Stats.count(count) + " texts as the templates' consent_lookup view returns them (one or two purposes, each "
                + "{status, updated_at}), read by PurposeStatuses.addEvidence with the store's reading (status vocabulary, per-purpose "
                + "timestamps); both readings gave the same evidence in every round (checked by a digest).");
        md.table("contestant", "ns per text (median)", "range");
        md.row("Jackson tree (before)", Stats.ratio(Stats.median(treeNs)), Stats.ratio(Stats.min(treeNs)) + " - " + Stats.ratio(Stats.max(treeNs)));
        md.row("streaming parser (now)", Stats.ratio(Stats.median(streamingNs)),
                Stats.ratio(Stats.min(streamingNs)) + " - " + Stats.ratio(Stats.max(streamingNs)));
        md.table("contestant", "against", "ratio (time before / time now, median of rounds)", "range");
        md.row("streaming parser", "Jackson tree", Stats.ratio(Stats.median(ratios)), Stats.ratio(Stats.min(ratios)) + " - " + Stats.ratio(Stats.max(ratios)));
    }

    /** Nanoseconds for all texts, and a digest of the evidence found. */
    private static long[] readAll(final PurposeStatuses reading, final List<String> texts, final Instant now) {
        long digest = 0;
        final List<ConsentEvidence> evidence = new ArrayList<>(4);
        final Set<ConsentWarning> warnings = EnumSet.noneOf(ConsentWarning.class);
        final long start = System.nanoTime();
        for (final String text : texts) {
            evidence.clear();
            reading.addEvidence(text, PURPOSES, ConsentSource.STORE, now, evidence, warnings);
            for (final ConsentEvidence item : evidence) {
                digest = digest * 31 + item.hashCode();
            }
        }
        return new long[] {System.nanoTime() - start, digest + warnings.hashCode()};
    }

    // ---- CustomerDedup: the Database identity store

    /** The ways the identity store is compared: one statement at a time, merge entries one at a time, merge entries in bulk (now). */
    private static final String[] STORE_WAYS = {"identity_before", "identity_merge_entries", "identity_now"};

    /**
     * The identity resolution alone (IdentityResolver on JdbcIdentityStore), three ways on the same clusters and three
     * identical tables: one statement per claim and write and the ids read apart from the link counts (before); bulk
     * claims of new keys, held-back writes and re-points and one read of ids and counts, but one merge-entry claim per
     * merge (previous); and the same with the merge entries known from the read claimed in bulk too (now). Every round checks that
     * all three left the same ids and the same rows. The fourth FlowFile of a round links a customer of the first with one
     * of the second in every cluster: one merge each.
     */
    private void identityResolver(final Markdown md) throws Exception {
        final int records = mode == Mode.FULL ? 20_000 : 5_000;
        final int flowFiles = 4;
        try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().setServerConfig("listen_addresses", "127.0.0.1").start();
             Connection connection = postgres.getPostgresDatabase().getConnection()) {
            try (Statement statement = connection.createStatement()) {
                for (final String table : STORE_WAYS) {
                    statement.execute(IDENTITY_DDL.replace("customer_identity", table));
                }
            }
            final io.datasync.nifi.identity.KeyHasher hasher = new io.datasync.nifi.identity.KeyHasher("customer",
                    "benchmark-identity-hash-key-0123456789".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            final List<List<Double>> ms = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
            final List<List<Double>> mergeMs = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
            final List<Double> ratios = new ArrayList<>();
            final List<Double> mergeEntryRatios = new ArrayList<>();
            final long[] statements = new long[3];
            final List<java.util.Map<String, Integer>> mergeKinds = new ArrayList<>(List.of(java.util.Map.of(), java.util.Map.of(), java.util.Map.of()));
            int merges = 0;
            final int rounds = mode.warmupRounds() + mode.measuredRounds();
            for (int round = 0; round < rounds; round++) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute("TRUNCATE " + String.join(", ", STORE_WAYS));
                }
                final long[] time = new long[3];
                final long[] mergeTime = new long[3];
                java.util.Arrays.fill(statements, 0);
                // FlowFile 1 and 2 bring new customers, FlowFile 3 returns to the customers of FlowFile 1 (keys known),
                // FlowFile 4 links customers of FlowFile 1 with customers of FlowFile 2 (a merge per cluster)
                for (int flowFile = 0; flowFile < flowFiles; flowFile++) {
                    Integer digest = null;
                    for (int turn = 0; turn < 3; turn++) {
                        final int way = (round + flowFile + turn) % 3;
                        final long[] result = resolveOnce(connection, STORE_WAYS[way], way, hasher, flowFile, records);
                        if (digest != null && digest != (int) result[1]) {
                            throw new IllegalStateException("The identity store ways gave different customer ids");
                        }
                        digest = (int) result[1];
                        time[way] += result[0];
                        statements[way] += result[2];
                        if (flowFile == 3) {
                            mergeTime[way] = result[0];
                            mergeKinds.set(way, lastKinds);
                            merges = lastMerges;
                        }
                    }
                }
                final java.util.Map<String, String> reference = rows(connection, STORE_WAYS[0]);
                for (int way = 1; way < 3; way++) {
                    if (!reference.equals(rows(connection, STORE_WAYS[way]))) {
                        throw new IllegalStateException("The identity store ways left different rows");
                    }
                }
                if (round >= mode.warmupRounds()) {
                    for (int way = 0; way < 3; way++) {
                        ms.get(way).add(time[way] / 1e6);
                        mergeMs.get(way).add(mergeTime[way] / 1e6);
                    }
                    ratios.add((double) time[0] / time[2]);
                    mergeEntryRatios.add((double) mergeTime[1] / mergeTime[2]);
                }
            }
            md.heading("Identity resolution on the Database identity store: one statement per claim, merge entries one at a time, merge entries in bulk");
            md.paragraph("IdentityResolver with JdbcIdentityStore on an embedded PostgreSQL (127.0.0.1), Maximum Cluster Size 50, batch size "
                    + "500, query timeout 30 s; per round four FlowFiles of " + Stats.count(records) + " records (about three per customer, "
                    + "email and phone keys, every tenth customer sharing a phone with the previous one): two of new customers, then the "
                    + "first one's customers again, then records linking a customer of the first with one of the second (" + Stats.count(merges)
                    + " merges). The three ways ran on the same clusters into identical tables, rotating which went first; "
                    + "every round all gave the same ids and left the same rows.");
            final String[] names = {"one statement per claim and write (before)", "bulk key claims, held writes and re-points, a claim per merge entry (previous)",
                    "the same with the merge entries claimed in bulk (now)"};
            md.table("contestant", "ms per round of 4 FlowFiles (median)", "range", "statements per round", "merging FlowFile: ms (median)",
                    "merging FlowFile: statements by kind");
            for (int way = 0; way < 3; way++) {
                md.row(names[way], Stats.ratio(Stats.median(ms.get(way))),
                        Stats.ratio(Stats.min(ms.get(way))) + " - " + Stats.ratio(Stats.max(ms.get(way))), Stats.count(statements[way]),
                        Stats.ratio(Stats.median(mergeMs.get(way))), new java.util.TreeMap<>(mergeKinds.get(way)).toString());
            }
            md.table("contestant", "against", "ratio (time of the other / time now, median of rounds)", "range");
            md.row("now, whole round", "one statement per claim", Stats.ratio(Stats.median(ratios)),
                    Stats.ratio(Stats.min(ratios)) + " - " + Stats.ratio(Stats.max(ratios)));
            md.row("now, merging FlowFile", "a claim per merge entry", Stats.ratio(Stats.median(mergeEntryRatios)),
                    Stats.ratio(Stats.min(mergeEntryRatios)) + " - " + Stats.ratio(Stats.max(mergeEntryRatios)));
        }
    }

    private static java.util.Map<String, Integer> lastKinds = java.util.Map.of();
    private static int lastMerges;

    /** Nanoseconds of one FlowFile's resolution, a digest of the ids, and the statements run. */
    private static long[] resolveOnce(final Connection connection, final String table, final int way,
                                      final io.datasync.nifi.identity.KeyHasher hasher, final int flowFile, final int records) throws Exception {
        final io.datasync.nifi.identity.IdentityGraph graph = new io.datasync.nifi.identity.IdentityGraph(1000);
        final int firstCustomer = flowFile == 1 ? records : 0;
        final Random random = new Random(firstCustomer + 31L * flowFile);
        final int customers = records / 3;
        for (int i = 0; i < records; i++) {
            final int customer = firstCustomer + random.nextInt(customers);
            final int record = graph.addRecord();
            graph.addKey(record, hasher.hash("email", "user" + customer + "@example.com"), 0);
            // every tenth customer shares the previous customer's phone: links, merges across FlowFiles
            final int phoneOwner = customer % 10 == 0 && customer > 0 ? customer - 1 : customer;
            // the merging FlowFile: the email of a customer of FlowFile 1 with the phone of one of FlowFile 2
            graph.addKey(record, hasher.hash("phone", "+4930" + (1_000_000 + phoneOwner + (flowFile == 3 ? records : 0))), 1);
        }
        final boolean batched = way > 0;
        final io.datasync.nifi.identity.JdbcIdentityStore store = new io.datasync.nifi.identity.JdbcIdentityStore(connection, table, 500, 30,
                batched);
        final long start = System.nanoTime();
        final io.datasync.nifi.identity.IdentityResolver resolver = new io.datasync.nifi.identity.IdentityResolver(store,
                anchor -> "cust-" + anchor.toHex().substring(0, 20), List.of("email", "phone"), 50, batched, way == 2);
        final io.datasync.nifi.identity.Clusters clusters = graph.build(resolver.overLimitKeys(graph.keys()));
        final String[] ids = resolver.resolve(clusters);
        final long nanos = System.nanoTime() - start;
        lastKinds = store.statementsByKind();
        lastMerges = resolver.merges().size();
        return new long[] {nanos, java.util.Arrays.hashCode(ids), store.statementCount()};
    }

    private static java.util.Map<String, String> rows(final Connection connection, final String table) throws Exception {
        final java.util.Map<String, String> rows = new java.util.HashMap<>();
        try (Statement statement = connection.createStatement();
             java.sql.ResultSet resultSet = statement.executeQuery("SELECT entry_key, entry_value FROM " + table)) {
            while (resultSet.next()) {
                rows.put(resultSet.getString(1), resultSet.getString(2));
            }
        }
        return rows;
    }

    static final String IDENTITY_DDL = """
            CREATE TABLE customer_identity (
                entry_key    VARCHAR(80)  PRIMARY KEY,
                entry_value  VARCHAR(255) NOT NULL,
                created_at   TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()
            );
            CREATE INDEX customer_identity_value_idx ON customer_identity (entry_value);
            """;

    static RecordContestant dedupDatabase(final String name) {
        return new RecordContestant(name, CustomerDedup::new, runner -> {
            templateRules(runner);
            runner.setProperty("Identity Store Type", "DATABASE");
            runner.setProperty("Identity Connection Pool", "pool");
            runner.setProperty("Identity Table Name", "customer_identity");
            runner.setProperty("Identity Batch Size", "500");
            runner.setProperty("Identity Query Timeout", "30 sec");
            runner.setProperty("Maximum Cluster Size", "50");
        }, "Record Reader", "Record Writer", List.of("success"));
    }

    /** The template's match rules, normalisation and phone write-back (email and phone; the generator has no source ids). */
    static void templateRules(final org.apache.nifi.util.TestRunner runner) {
        runner.setProperty("email", "/email");
        runner.setProperty("phone", "/phone");
        runner.setProperty("Email Record Paths", "/email");
        runner.setProperty("Phone Record Paths", "/phone");
        runner.setProperty("Phone Region Record Path", "/country");
        runner.setProperty("Output Mode", "ANNOTATE");
        runner.setProperty("Normalized Phone Field", "phone");
        runner.setProperty("Unnormalized Phone Field", "phone_as_written");
        runner.setProperty("Identity Hash Key", "benchmark-identity-hash-key-0123456789");
    }

    private void identityStore(final Markdown md) throws Exception {
        final int records = mode == Mode.FULL ? 20_000 : 5_000;
        final byte[] input = new CustomerRecordGenerator(CustomerRecordGenerator.DEFAULT_SEED).jsonArray(records);
        try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().setServerConfig("listen_addresses", "127.0.0.1").start();
             Connection connection = postgres.getPostgresDatabase().getConnection()) {
            try (Statement statement = connection.createStatement()) {
                statement.execute(IDENTITY_DDL);
            }
            final ConsentStoreBenchmark.Pool pool = new ConsentStoreBenchmark.Pool(connection);
            final List<Supplier<RecordContestant>> contestants = List.of(
                    () -> dedupDatabase("CustomerDedup (database identity store)"),
                    () -> new RecordContestant("CustomerDedup (within the FlowFile only)", CustomerDedup::new, HotspotsBenchmark::templateRules,
                            "Record Reader", "Record Writer", List.of("success")),
                    () -> new RecordContestant("DeduplicateRecord (single file, email)", DeduplicateRecord::new, runner -> {
                        runner.setProperty("deduplication-strategy", "single");
                        runner.setProperty("email", "/email");
                    }, "record-reader", "record-writer", List.of("non-duplicate", "duplicate")));
            final List<ContestantRunner> runners = new ArrayList<>();
            for (final Supplier<RecordContestant> supplier : only == null ? contestants : contestants.subList(0, 1)) {
                final RecordContestant contestant = supplier.get();
                runners.add(new ContestantRunner(new RecordContestant(contestant.name(), contestant.processor(), runner -> {
                    runner.addControllerService("pool", pool);
                    runner.enableControllerService(pool);
                    contestant.configurer().configure(runner);
                }, contestant.readerProperty(), contestant.writerProperty(), contestant.outputRelationships()), false));
            }
            final List<List<Double>> msPerRecord = new ArrayList<>();
            runners.forEach(r -> msPerRecord.add(new ArrayList<>()));
            final List<List<Double>> ratioToStock = new ArrayList<>();
            runners.forEach(r -> ratioToStock.add(new ArrayList<>()));
            final int rounds = mode.warmupRounds() + mode.measuredRounds() + (only == null ? 0 : 10);
            for (int round = 0; round < rounds; round++) {
                final long[] nanos = new long[runners.size()];
                for (int k = 0; k < runners.size(); k++) {
                    final int index = (k + round) % runners.size();
                    // each round starts from an empty identity table: every customer is new, as in a first load
                    try (Statement statement = connection.createStatement()) {
                        statement.execute("TRUNCATE customer_identity");
                    }
                    System.gc();
                    nanos[index] = runners.get(index).runOnce(input, records).wallNanos();
                }
                if (round >= mode.warmupRounds()) {
                    for (int k = 0; k < runners.size(); k++) {
                        msPerRecord.get(k).add(nanos[k] / 1e6 / records);
                        ratioToStock.get(k).add((double) nanos[runners.size() - 1] / nanos[k]);
                    }
                }
            }
            long entries;
            try (Statement statement = connection.createStatement();
                 java.sql.ResultSet count = statement.executeQuery("SELECT count(*) FROM customer_identity")) {
                count.next();
                entries = count.getLong(1);
            }
            runners.forEach(ContestantRunner::close);
            md.heading("CustomerDedup with the Database identity store (embedded PostgreSQL)");
            md.paragraph(Stats.count(records) + " records per FlowFile (about three per customer), the template's rules (email and phone, "
                    + "phone written back in E.164, Identity Hash Key, Maximum Cluster Size 50, Identity Batch Size 500, Identity Query Timeout 30 s), an empty identity "
                    + "table at the start of every contestant's run (all customers new, as in a first load), one pooled connection on 127.0.0.1; " + mode.warmupRounds() + " warm-up and "
                    + mode.measuredRounds() + " measured rounds, order rotated.");
            md.table("contestant", "ms per record (median)", "range", "stock DeduplicateRecord time / contestant time (median)");
            for (int k = 0; k < runners.size(); k++) {
                md.row(runners.get(k).name(), String.format("%.4f", Stats.median(msPerRecord.get(k))),
                        String.format("%.4f - %.4f", Stats.min(msPerRecord.get(k)), Stats.max(msPerRecord.get(k))),
                        Stats.ratio(Stats.median(ratioToStock.get(k))));
            }
        }
    }
}
