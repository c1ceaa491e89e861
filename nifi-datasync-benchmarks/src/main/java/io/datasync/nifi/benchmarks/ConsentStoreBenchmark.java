package io.datasync.nifi.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.datasync.nifi.processors.ConsentFilter;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.controller.ControllerService;
import org.apache.nifi.dbcp.DBCPService;
import org.apache.nifi.lookup.LookupFailureException;
import org.apache.nifi.lookup.RecordLookupService;
import org.apache.nifi.processor.Processor;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.processors.standard.LookupRecord;
import org.apache.nifi.processors.standard.QueryRecord;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.DataType;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.BiPredicate;
import java.util.function.Function;

/**
 * ConsentFilter's consent store read against the same embedded PostgreSQL (127.0.0.1), holding the templates' consent
 * table and consent_lookup view, three ways: the batched database store (one query per 500 subjects), the
 * lookup-service path with one {@code SELECT * FROM consent_lookup WHERE subject_key = ?} per subject (the query the
 * stock DatabaseRecordLookupService runs), and the stock way without ConsentFilter: LookupRecord with NiFi's own
 * DatabaseRecordLookupService on the view, then QueryRecord keeping the records whose row grants the purpose. All use
 * one pooled connection; every round checks that the lookup-service path gave every record the same decision as the
 * batched store, and that the stock pair kept the same subjects.
 */
final class ConsentStoreBenchmark {

    static final String BATCHED = "ConsentFilter (database store, batched)";
    static final String PER_SUBJECT = "ConsentFilter (lookup service, one query per subject)";
    static final String STOCK = "LookupRecord + QueryRecord (DatabaseRecordLookupService, one query per subject)";

    /**
     * NiFi's own service, from the jar the build takes out of nifi-lookup-services-nar into target/dependency (see the
     * pom). Created by name: no Maven artifact served here holds the class to compile against, and the harness only
     * configures it through its property names, as a flow does.
     */
    private static final String STOCK_LOOKUP_SERVICE_CLASS = "org.apache.nifi.lookup.db.DatabaseRecordLookupService";
    /** Relationship QueryRecord routes the consented records to (a dynamic property's name). */
    private static final String CONSENTED = "consented";
    /**
     * The stock filter on what LookupRecord put into /consent: the view's per-purpose JSON must grant email_marketing.
     * The view, not the consent table the end-to-end stock flow looks up: the table holds a row per subject and
     * purpose, and the lookup returns only the first row of a key. Here that is the row of the purpose first in the
     * primary key's order, so the table way matches ConsentFilter only while email_marketing sorts before every other
     * purpose (tried: with the second purpose named 'ads' it kept no subject at all). The view has one row per subject
     * with every purpose, so the stock pair decides on the same data as ConsentFilter whatever the purposes are called.
     */
    static final String STOCK_CONSENT_SQL = "SELECT * FROM FLOWFILE WHERE JSON_VALUE(RPATH_STRING(consent, '/purposes'), "
            + "'lax $.email_marketing.status') = 'GRANTED'";

    private static final String SCHEMA = """
            CREATE TABLE consent (
                subject_key  VARCHAR(320) NOT NULL,
                purpose      VARCHAR(64)  NOT NULL,
                status       VARCHAR(16)  NOT NULL,
                updated_at   TIMESTAMP WITH TIME ZONE NOT NULL,
                source       VARCHAR(64),
                PRIMARY KEY (subject_key, purpose)
            );
            CREATE VIEW consent_lookup AS
                SELECT subject_key,
                       max(updated_at) AS updated_at,
                       jsonb_object_agg(purpose, jsonb_build_object('status', status, 'updated_at', updated_at))::text AS purposes
                FROM consent
                GROUP BY subject_key;
            """;

    private final Mode mode;

    ConsentStoreBenchmark(final Mode mode) {
        this.mode = mode;
    }

    String run() throws Exception {
        final int records = mode == Mode.FULL ? 20_000 : 5_000;
        final int storedSubjects = 200_000;
        try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().setServerConfig("listen_addresses", "127.0.0.1").start();
             Connection connection = postgres.getPostgresDatabase().getConnection()) {
            try (Statement statement = connection.createStatement()) {
                statement.execute(SCHEMA);
                // the store holds many more subjects than a FlowFile: two purposes each, grants and withdrawals; the
                // purposes differ for many subjects (email_marketing withdrawn for every fifth, personalisation for every
                // third), so a filter reading the wrong purpose, or any granted purpose, keeps other subjects
                statement.execute("INSERT INTO consent (subject_key, purpose, status, updated_at) "
                        + "SELECT 'user' || n || '@example.com', p, "
                        + "CASE WHEN (p = 'email_marketing' AND n % 5 = 0) OR (p = 'personalisation' AND n % 3 = 0) "
                        + "THEN 'WITHDRAWN' ELSE 'GRANTED' END, "
                        + "now() - (n % 1000 || ' hours')::interval "
                        + "FROM generate_series(1, " + storedSubjects + ") AS n, unnest(ARRAY['email_marketing', 'personalisation']) AS p");
                statement.execute("ANALYZE consent");
            }
            final Pool pool = new Pool(connection);
            final byte[] input = input(records, storedSubjects);
            final List<String> outputs = List.of("success", "excluded");
            final TestRunner batched = runner(true, pool);
            final TestRunner perSubject = runner(false, pool);
            final TestRunner stockLookup = stockLookupRunner(pool);
            final TestRunner stockQuery = stockQueryRunner();
            final List<Double> lookupShares = new ArrayList<>();
            final Comparison comparison = compare(List.of(
                    new Contestant(BATCHED, in -> measure(batched, in, outputs), (base, other) -> true),
                    new Contestant(PER_SUBJECT, in -> measure(perSubject, in, outputs),
                            (base, other) -> base.decisions().equals(other.decisions())),
                    new Contestant(STOCK, in -> measureStock(stockLookup, stockQuery, in, lookupShares),
                            (base, other) -> base.kept().equals(other.kept()))), input, records);
            final List<Double> measuredLookupShares = lookupShares.subList(mode.warmupRounds(), lookupShares.size());
            final Kept kept = comparison.baselineKept();
            final Markdown md = new Markdown();
            md.heading("Consent store: batched database read against one lookup per subject");
            md.paragraph(records + " records per FlowFile (" + distinctSubjects(input) + " distinct subjects, some with two records), a store of "
                    + storedSubjects + " subjects x 2 purposes in the consent table behind the consent_lookup view, embedded PostgreSQL "
                    + "on 127.0.0.1, " + mode.warmupRounds() + " warm-up and " + mode.measuredRounds() + " measured rounds, order "
                    + "rotating; both ConsentFilter contestants gave every record the same decision in every round, and the stock "
                    + "LookupRecord (DatabaseRecordLookupService on consent_lookup, key subject_key, value column purposes, cache size 0) "
                    + "+ QueryRecord (email_marketing GRANTED in the looked-up purposes) kept the same " + kept.subjects().size()
                    + " subjects (" + kept.records() + " records) as ConsentFilter in every round. The stock pair's time is both "
                    + "processors' triggers (LookupRecord's share: " + percent(Stats.median(measuredLookupShares)) + ", range "
                    + percent(Stats.min(measuredLookupShares)) + " - " + percent(Stats.max(measuredLookupShares))
                    + "); handing LookupRecord's output to QueryRecord is not timed.");
            tables(md, comparison);
            profileSection(md, connection, pool);
            return md.toString();
        }
    }

    static final String PROFILE_BATCHED = "ProfileMerge (database store, batched)";
    static final String PROFILE_PER_CUSTOMER = "ProfileMerge (lookup service, one query per customer)";

    /** ProfileMerge's stored profiles read both ways from the same table; both must write the same golden profiles. */
    private void profileSection(final Markdown md, final Connection connection, final Pool pool) throws Exception {
        final int records = mode == Mode.FULL ? 20_000 : 5_000;
        final int storedCustomers = 200_000;
        try (Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE profiles (customer_id TEXT PRIMARY KEY, email TEXT, first_name TEXT, city TEXT, "
                    + "lifetime_value DOUBLE PRECISION, updated_at TEXT)");
            statement.execute("INSERT INTO profiles SELECT 'c' || n, 'stored' || n || '@example.com', 'Stored', "
                    + "CASE WHEN n % 3 = 0 THEN 'Berlin' ELSE 'Paris' END, n % 1000, '2024-01-01T00:00:00Z' "
                    + "FROM generate_series(1, " + storedCustomers + ") AS n");
            statement.execute("ANALYZE profiles");
        }
        final Random random = new Random(23);
        final StringBuilder json = new StringBuilder("[");
        final String[] sources = {"crm", "web", "shop"};
        for (int i = 0; i < records; i++) {
            final int customer = 1 + random.nextInt(storedCustomers + storedCustomers / 10);
            json.append(i == 0 ? "" : ",").append("{\"customer_id\":\"c").append(customer).append("\",\"source\":\"")
                    .append(sources[random.nextInt(3)]).append("\",\"updated_at\":\"2024-0").append(1 + random.nextInt(9))
                    .append("-01T00:00:00Z\",\"email\":\"new").append(customer).append("@example.com\",\"city\":\"Lyon\",\"lifetime_value\":")
                    .append(random.nextInt(2000)).append(".5}");
        }
        final byte[] input = json.append(']').toString().getBytes(StandardCharsets.UTF_8);
        final TestRunner batched = profileRunner(true, pool);
        final TestRunner perCustomer = profileRunner(false, pool);
        final List<String> outputs = List.of("success");
        final Comparison comparison = compare(List.of(
                new Contestant(PROFILE_BATCHED, in -> measure(batched, in, outputs), (base, other) -> true),
                new Contestant(PROFILE_PER_CUSTOMER, in -> measure(perCustomer, in, outputs),
                        (base, other) -> base.decisions().equals(other.decisions()))), input, records);
        md.heading("Stored profiles: batched database read against one lookup per customer");
        md.paragraph(records + " records per FlowFile, a profiles table of " + storedCustomers + " customers (text and double precision "
                + "columns, primary key on customer_id), Concurrent Lookups 1 on the lookup side, one pooled connection; both wrote "
                + "byte-identical golden profiles in every round.");
        tables(md, comparison);
    }

    /**
     * One way of processing the FlowFile: a run on the input, and whether a run agrees with the baseline's run of the
     * same round (the first contestant of a comparison is the baseline).
     */
    private record Contestant(String name, Function<byte[], Measured> run, BiPredicate<Measured, Measured> agreesWithBaseline) {
    }

    /**
     * Records/s of every contestant and the wall-time ratio contestant / baseline, one entry per measured round, in the
     * contestants' order; and what the baseline kept.
     */
    private record Comparison(List<String> names, Map<String, List<Double>> rates, Map<String, List<Double>> ratios, Kept baselineKept) {
    }

    /**
     * Runs every contestant on the same input each round, rotating which goes first (so none always runs on a warmer
     * database cache), and fails unless each agrees with the baseline.
     */
    private Comparison compare(final List<Contestant> contestants, final byte[] input, final int records) {
        final List<String> names = contestants.stream().map(Contestant::name).toList();
        final Map<String, List<Double>> rates = new LinkedHashMap<>();
        final Map<String, List<Double>> ratios = new LinkedHashMap<>();
        names.forEach(name -> rates.put(name, new ArrayList<>()));
        names.subList(1, names.size()).forEach(name -> ratios.put(name, new ArrayList<>()));
        Kept baselineKept = null;
        for (int round = 0; round < mode.warmupRounds() + mode.measuredRounds(); round++) {
            final Measured[] measured = new Measured[contestants.size()];
            for (int turn = 0; turn < contestants.size(); turn++) {
                final int index = (round + turn) % contestants.size();
                measured[index] = contestants.get(index).run().apply(input);
            }
            final Measured baseline = measured[0];
            for (int index = 1; index < contestants.size(); index++) {
                if (!contestants.get(index).agreesWithBaseline().test(baseline, measured[index])) {
                    throw new IllegalStateException(names.get(index) + " disagreed with " + names.get(0) + " in round " + (round + 1)
                            + ": kept " + measured[index].kept().summary() + " against " + baseline.kept().summary());
                }
            }
            baselineKept = baseline.kept();
            if (round >= mode.warmupRounds()) {
                for (int index = 0; index < contestants.size(); index++) {
                    rates.get(names.get(index)).add(records * 1e9 / measured[index].nanos());
                    if (index > 0) {
                        ratios.get(names.get(index)).add((double) measured[index].nanos() / baseline.nanos());
                    }
                }
            }
        }
        return new Comparison(names, rates, ratios, baselineKept);
    }

    private static void tables(final Markdown md, final Comparison comparison) {
        md.table("contestant", "records/s (median)", "range");
        comparison.rates().forEach((name, rates) -> rateRow(md, name, rates));
        md.table("contestant", "against", "ratio (wall, median of rounds)", "range");
        final String baseline = comparison.names().get(0);
        comparison.ratios().forEach((name, ratios) -> md.row(baseline, name, Stats.ratio(Stats.median(ratios)),
                Stats.ratio(Stats.min(ratios)) + " - " + Stats.ratio(Stats.max(ratios))));
    }

    private static String percent(final double share) {
        return String.format(java.util.Locale.ROOT, "%.0f%%", share * 100);
    }

    private static void rateRow(final Markdown md, final String contestant, final List<Double> rates) {
        md.row(contestant, Stats.rate(Stats.median(rates)), Stats.rate(Stats.min(rates)) + " - " + Stats.rate(Stats.max(rates)));
    }

    private static TestRunner profileRunner(final boolean batched, final Pool pool) throws Exception {
        final TestRunner runner = jsonRunner(io.datasync.nifi.processors.ProfileMerge.class, "Record Reader", "Record Writer");
        addPool(runner, pool);
        runner.setProperty("Customer Key Record Path", "/customer_id");
        runner.setProperty("first_name", "source_priority:crm,web,shop");
        runner.setProperty("city", "latest");
        runner.setProperty("lifetime_value", "max");
        if (batched) {
            runner.setProperty("Stored Profile Store Type", "DATABASE");
            runner.setProperty("Stored Profile Connection Pool", "pool");
            runner.setProperty("Stored Profile Table Name", "profiles");
        } else {
            final PerKeyLookup lookup = PerKeyLookup.profiles(pool);
            runner.addControllerService("lookup", lookup);
            runner.enableControllerService(lookup);
            runner.setProperty("Stored Profile Lookup Service", "lookup");
        }
        runner.assertValid();
        return runner;
    }

    /**
     * One run: its wall time, the record count and content hash per output relationship (for the contestants with the
     * same outputs), and the subjects it kept (the baseline and the stock pair; the first relationship of outputs).
     */
    private record Measured(long nanos, Map<String, String> decisions, Kept kept) {
    }

    /** The subject keys (email) of the records kept, and how many records that was. */
    private record Kept(Set<String> subjects, long records) {
        String summary() {
            return subjects.size() + " subjects in " + records + " records";
        }
    }

    private static Measured measure(final TestRunner runner, final byte[] input, final List<String> outputs) {
        runner.enqueue(input);
        final long start = System.nanoTime();
        runner.run();
        final long nanos = System.nanoTime() - start;
        if (!runner.getFlowFilesForRelationship("retry").isEmpty() || !runner.getFlowFilesForRelationship("failure").isEmpty()) {
            throw new IllegalStateException("The processor routed to retry or failure");
        }
        final Map<String, String> decisions = new HashMap<>();
        for (final String relationship : outputs) {
            for (final MockFlowFile flowFile : runner.getFlowFilesForRelationship(relationship)) {
                decisions.put(relationship, flowFile.getAttribute("record.count"));
                decisions.put(relationship + ".content", Integer.toHexString(java.util.Arrays.hashCode(flowFile.toByteArray())));
            }
        }
        final Kept kept = kept(runner.getFlowFilesForRelationship(outputs.get(0)));
        runner.clearTransferState();
        runner.clearProvenanceEvents();
        return new Measured(nanos, decisions, kept);
    }

    /**
     * The stock pair on one FlowFile: LookupRecord's trigger, then QueryRecord's on what LookupRecord wrote. The time
     * is both triggers; handing the content from one runner to the next stands for a connection and is not timed.
     * LookupRecord's share of the time is added to lookupShares.
     */
    private static Measured measureStock(final TestRunner lookup, final TestRunner query, final byte[] input,
            final List<Double> lookupShares) {
        lookup.enqueue(input);
        final long lookupStart = System.nanoTime();
        lookup.run();
        final long lookupNanos = System.nanoTime() - lookupStart;
        final List<MockFlowFile> looked = lookup.getFlowFilesForRelationship("success");
        if (!lookup.getFlowFilesForRelationship("failure").isEmpty() || looked.size() != 1) {
            throw new IllegalStateException("LookupRecord routed to failure or did not write one FlowFile");
        }
        final byte[] enriched = looked.get(0).toByteArray();
        lookup.clearTransferState();
        lookup.clearProvenanceEvents();
        query.enqueue(enriched);
        final long queryStart = System.nanoTime();
        query.run();
        final long queryNanos = System.nanoTime() - queryStart;
        if (!query.getFlowFilesForRelationship("failure").isEmpty()) {
            throw new IllegalStateException("QueryRecord routed to failure");
        }
        final Kept kept = kept(query.getFlowFilesForRelationship(CONSENTED));
        query.clearTransferState();
        query.clearProvenanceEvents();
        lookupShares.add((double) lookupNanos / (lookupNanos + queryNanos));
        return new Measured(lookupNanos + queryNanos, Map.of(), kept);
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The emails of the records in these JSON FlowFiles, and the number of records. */
    private static Kept kept(final List<MockFlowFile> flowFiles) {
        final Set<String> subjects = new HashSet<>();
        long records = 0;
        for (final MockFlowFile flowFile : flowFiles) {
            final JsonNode array;
            try {
                array = JSON.readTree(flowFile.toByteArray());
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
            for (final JsonNode record : array) {
                subjects.add(record.get("email").asText());
                records++;
            }
        }
        return new Kept(subjects, records);
    }

    private static long distinctSubjects(final byte[] input) {
        return java.util.regex.Pattern.compile("\"email\":\"([^\"]+)\"").matcher(new String(input, StandardCharsets.UTF_8))
                .results().map(match -> match.group(1)).distinct().count();
    }

    private static byte[] input(final int records, final int storedSubjects) {
        final Random random = new Random(17);
        final StringBuilder json = new StringBuilder("[");
        for (int i = 0; i < records; i++) {
            // most subjects are in the store, some are not (no consent record)
            final int subject = 1 + random.nextInt(storedSubjects + storedSubjects / 10);
            json.append(i == 0 ? "" : ",").append("{\"id\":").append(i).append(",\"email\":\"user").append(subject)
                    .append("@example.com\",\"first_name\":\"Ann\",\"city\":\"Berlin\"}");
            if (i + 1 < records && random.nextBoolean()) {
                i++;
                json.append(",{\"id\":").append(i).append(",\"email\":\"user").append(subject)
                        .append("@example.com\",\"first_name\":\"Ann\",\"city\":\"Hamburg\"}");
            }
        }
        return json.append(']').toString().getBytes(StandardCharsets.UTF_8);
    }

    private static TestRunner runner(final boolean batched, final Pool pool) throws Exception {
        final TestRunner runner = jsonRunner(ConsentFilter.class, "Record Reader", "Record Writer");
        addPool(runner, pool);
        runner.setProperty("Purposes", "email_marketing");
        runner.setProperty("Subject Key Record Path", "/email");
        if (batched) {
            runner.setProperty("Consent Store Type", "DATABASE");
            runner.setProperty("Database Connection Pooling Service", "pool");
            runner.setProperty("Consent Table Name", "consent_lookup");
        } else {
            final PerKeyLookup lookup = PerKeyLookup.consent(pool);
            runner.addControllerService("lookup", lookup);
            runner.enableControllerService(lookup);
            runner.setProperty("Consent Lookup Service", "lookup");
        }
        runner.assertValid();
        return runner;
    }

    /**
     * LookupRecord as the end-to-end stock flow configures it, on consent_lookup instead of the consent table (see
     * {@link #STOCK_CONSENT_SQL}): NiFi's DatabaseRecordLookupService keyed by subject_key with cache size 0 (a
     * withdrawal counts at once, as for ConsentFilter), the row inserted whole into /consent, every record to success.
     */
    private static TestRunner stockLookupRunner(final Pool pool) throws Exception {
        final TestRunner runner = jsonRunner(LookupRecord.class, "record-reader", "record-writer");
        addPool(runner, pool);
        final ControllerService consentRows;
        try {
            consentRows = (ControllerService) Class.forName(STOCK_LOOKUP_SERVICE_CLASS).getDeclaredConstructor().newInstance();
        } catch (final ClassNotFoundException e) {
            throw new IllegalStateException(STOCK_LOOKUP_SERVICE_CLASS + " is not on the class path: the build unpacks "
                    + "nifi-lookup-services from nifi-lookup-services-nar into target/dependency (run through ./bench.sh)", e);
        }
        runner.addControllerService("consent-rows", consentRows);
        runner.setProperty(consentRows, "dbrecord-lookup-dbcp-service", "pool");
        runner.setProperty(consentRows, "dbrecord-lookup-table-name", "consent_lookup");
        runner.setProperty(consentRows, "dbrecord-lookup-key-column", "subject_key");
        runner.setProperty(consentRows, "dbrecord-lookup-value-columns", "purposes");
        runner.setProperty(consentRows, "dbrecord-lookup-cache-size", "0");
        runner.enableControllerService(consentRows);
        runner.setProperty("lookup-service", "consent-rows");
        runner.setProperty("result-record-path", "/consent");
        runner.setProperty("result-contents", "insert-entire-record");
        runner.setProperty("routing-strategy", "route-to-success");
        runner.setProperty("key", "/email");
        runner.assertValid();
        return runner;
    }

    /** QueryRecord keeping the records whose looked-up row grants email_marketing, as the end-to-end stock flow does. */
    private static TestRunner stockQueryRunner() throws Exception {
        final TestRunner runner = jsonRunner(QueryRecord.class, "record-reader", "record-writer");
        runner.setProperty("include-zero-record-flowfiles", "false");
        runner.setProperty(CONSENTED, STOCK_CONSENT_SQL);
        runner.assertValid();
        return runner;
    }

    /** A runner with a JSON reader and writer set on the processor's reader and writer properties (by name). */
    private static TestRunner jsonRunner(final Class<? extends Processor> processor, final String readerProperty,
            final String writerProperty) throws Exception {
        final TestRunner runner = org.apache.nifi.util.TestRunners.newTestRunner(processor);
        final org.apache.nifi.json.JsonTreeReader reader = new org.apache.nifi.json.JsonTreeReader();
        runner.addControllerService("json-reader", reader);
        runner.enableControllerService(reader);
        final org.apache.nifi.json.JsonRecordSetWriter writer = new org.apache.nifi.json.JsonRecordSetWriter();
        runner.addControllerService("json-writer", writer);
        runner.enableControllerService(writer);
        runner.setProperty(readerProperty, "json-reader");
        runner.setProperty(writerProperty, "json-writer");
        return runner;
    }

    /** The pool enabled on the runner as "pool". */
    private static void addPool(final TestRunner runner, final Pool pool) throws Exception {
        runner.addControllerService("pool", pool);
        runner.enableControllerService(pool);
    }

    /** A pool of one open connection: close() hands it back, as a DBCPConnectionPool's pooled connection does. */
    static final class Pool extends AbstractControllerService implements DBCPService {
        private final Connection connection;

        Pool(final Connection connection) {
            this.connection = connection;
        }

        @Override
        public Connection getConnection() throws ProcessException {
            return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                    (proxy, method, args) -> {
                        if (method.getName().equals("close")) {
                            return null;
                        }
                        try {
                            return method.invoke(connection, args);
                        } catch (final InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }
    }

    /**
     * One query per key, as the stock DatabaseRecordLookupService runs it (without its cache, which would delay
     * withdrawals): the first row found, each column typed by the given typing.
     */
    static final class PerKeyLookup extends AbstractControllerService implements RecordLookupService {
        /** The record field type of one column of the row found. */
        interface ColumnTyping {
            DataType type(ResultSetMetaData metaData, int column, Object value) throws SQLException;
        }

        private final Pool pool;
        private final String query;
        private final ColumnTyping typing;

        PerKeyLookup(final Pool pool, final String query, final ColumnTyping typing) {
            this.pool = pool;
            this.query = query;
            this.typing = typing;
        }

        /** {@code SELECT * FROM consent_lookup WHERE subject_key = ?}, timestamps typed as such. */
        static PerKeyLookup consent(final Pool pool) {
            return new PerKeyLookup(pool, "SELECT * FROM consent_lookup WHERE subject_key = ?",
                    (metaData, column, value) -> value instanceof Timestamp
                            ? RecordFieldType.TIMESTAMP.getDataType() : RecordFieldType.STRING.getDataType());
        }

        /** {@code SELECT * FROM profiles WHERE customer_id = ?}, typed from the columns (text, double). */
        static PerKeyLookup profiles(final Pool pool) {
            return new PerKeyLookup(pool, "SELECT * FROM profiles WHERE customer_id = ?",
                    (metaData, column, value) -> metaData.getColumnType(column) == java.sql.Types.DOUBLE
                            ? RecordFieldType.DOUBLE.getDataType() : RecordFieldType.STRING.getDataType());
        }

        @Override
        public Optional<Record> lookup(final Map<String, Object> coordinates) throws LookupFailureException {
            try (Connection connection = pool.getConnection();
                 PreparedStatement statement = connection.prepareStatement(query)) {
                statement.setString(1, String.valueOf(coordinates.get("key")));
                try (ResultSet resultSet = statement.executeQuery()) {
                    if (!resultSet.next()) {
                        return Optional.empty();
                    }
                    final ResultSetMetaData metaData = resultSet.getMetaData();
                    final List<RecordField> fields = new ArrayList<>();
                    final Map<String, Object> values = new LinkedHashMap<>();
                    for (int column = 1; column <= metaData.getColumnCount(); column++) {
                        final Object value = resultSet.getObject(column);
                        fields.add(new RecordField(metaData.getColumnLabel(column), typing.type(metaData, column, value), true));
                        values.put(metaData.getColumnLabel(column), value);
                    }
                    return Optional.of(new MapRecord(new SimpleRecordSchema(fields), values));
                }
            } catch (final SQLException e) {
                throw new LookupFailureException("lookup failed", e);
            }
        }

        @Override
        public Set<String> getRequiredKeys() {
            return Set.of("key");
        }
    }
}
