package io.datasync.nifi.benchmarks;

import io.datasync.nifi.processors.ConsentFilter;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.dbcp.DBCPService;
import org.apache.nifi.lookup.LookupFailureException;
import org.apache.nifi.lookup.RecordLookupService;
import org.apache.nifi.processor.Processor;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.DataType;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

/**
 * ConsentFilter's consent store read two ways against the same embedded PostgreSQL (127.0.0.1), holding the
 * templates' consent table and consent_lookup view: the batched database store (one query per 500 subjects) and
 * the lookup-service path with one {@code SELECT * FROM consent_lookup WHERE subject_key = ?} per subject (what the
 * stock DatabaseRecordLookupService runs). Both use one pooled connection; every round checks that both gave every
 * record the same decision.
 */
final class ConsentStoreBenchmark {

    static final String BATCHED = "ConsentFilter (database store, batched)";
    static final String PER_SUBJECT = "ConsentFilter (lookup service, one query per subject)";

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
                // the store holds many more subjects than a FlowFile: two purposes each, grants and withdrawals
                statement.execute("INSERT INTO consent (subject_key, purpose, status, updated_at) "
                        + "SELECT 'user' || n || '@example.com', p, CASE WHEN n % 5 = 0 THEN 'WITHDRAWN' ELSE 'GRANTED' END, "
                        + "now() - (n % 1000 || ' hours')::interval "
                        + "FROM generate_series(1, " + storedSubjects + ") AS n, unnest(ARRAY['email_marketing', 'personalisation']) AS p");
                statement.execute("ANALYZE consent");
            }
            final Pool pool = new Pool(connection);
            final byte[] input = input(records, storedSubjects);
            final TestRunner batched = runner(true, pool);
            final TestRunner perSubject = runner(false, pool);
            final Comparison comparison = compare(batched, perSubject, input, records, List.of("success", "excluded"),
                    "The two consent store paths decided differently");
            final Markdown md = new Markdown();
            md.heading("Consent store: batched database read against one lookup per subject");
            md.paragraph(records + " records per FlowFile (" + distinctSubjects(input) + " distinct subjects, some with two records), a store of "
                    + storedSubjects + " subjects x 2 purposes in the consent table behind the consent_lookup view, embedded PostgreSQL "
                    + "on 127.0.0.1, " + mode.warmupRounds() + " warm-up and " + mode.measuredRounds() + " measured rounds, order "
                    + "alternating; both contestants gave every record the same decision in every round.");
            tables(md, BATCHED, PER_SUBJECT, comparison);
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
        final Comparison comparison = compare(batched, perCustomer, input, records, List.of("success"),
                "The two stored profile paths merged differently");
        md.heading("Stored profiles: batched database read against one lookup per customer");
        md.paragraph(records + " records per FlowFile, a profiles table of " + storedCustomers + " customers (text and double precision "
                + "columns, primary key on customer_id), Concurrent Lookups 1 on the lookup side, one pooled connection; both wrote "
                + "byte-identical golden profiles in every round.");
        tables(md, PROFILE_BATCHED, PROFILE_PER_CUSTOMER, comparison);
    }

    /** Records/s of both contestants and the wall-time ratio other / batched, one entry per measured round. */
    private record Comparison(List<Double> batchedRates, List<Double> otherRates, List<Double> ratios) {
    }

    /**
     * Runs both contestants on the same input each round, alternating which goes first (so neither always runs on a
     * warmer database cache), and fails unless both wrote the same outputs.
     */
    private Comparison compare(final TestRunner batched, final TestRunner other, final byte[] input, final int records,
            final List<String> outputs, final String mismatch) {
        final Comparison comparison = new Comparison(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        for (int round = 0; round < mode.warmupRounds() + mode.measuredRounds(); round++) {
            final boolean batchedFirst = round % 2 == 0;
            final Measured first = measure(batchedFirst ? batched : other, input, outputs);
            final Measured second = measure(batchedFirst ? other : batched, input, outputs);
            final Measured b = batchedFirst ? first : second;
            final Measured o = batchedFirst ? second : first;
            if (!b.decisions().equals(o.decisions())) {
                throw new IllegalStateException(mismatch);
            }
            if (round >= mode.warmupRounds()) {
                comparison.batchedRates().add(records * 1e9 / b.nanos());
                comparison.otherRates().add(records * 1e9 / o.nanos());
                comparison.ratios().add((double) o.nanos() / b.nanos());
            }
        }
        return comparison;
    }

    private static void tables(final Markdown md, final String batchedName, final String otherName, final Comparison comparison) {
        md.table("contestant", "records/s (median)", "range");
        rateRow(md, batchedName, comparison.batchedRates());
        rateRow(md, otherName, comparison.otherRates());
        final List<Double> ratios = comparison.ratios();
        md.table("contestant", "against", "ratio (wall, median of rounds)", "range");
        md.row(batchedName, otherName, Stats.ratio(Stats.median(ratios)), Stats.ratio(Stats.min(ratios)) + " - " + Stats.ratio(Stats.max(ratios)));
    }

    private static void rateRow(final Markdown md, final String contestant, final List<Double> rates) {
        md.row(contestant, Stats.rate(Stats.median(rates)), Stats.rate(Stats.min(rates)) + " - " + Stats.rate(Stats.max(rates)));
    }

    private static TestRunner profileRunner(final boolean batched, final Pool pool) throws Exception {
        final TestRunner runner = jsonRunner(io.datasync.nifi.processors.ProfileMerge.class, pool);
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

    private record Measured(long nanos, Map<String, String> decisions) {
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
        runner.clearTransferState();
        runner.clearProvenanceEvents();
        return new Measured(nanos, decisions);
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
        final TestRunner runner = jsonRunner(ConsentFilter.class, pool);
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

    /** A runner with a JSON reader and writer as its Record Reader and Record Writer, and the pool enabled as "pool". */
    private static TestRunner jsonRunner(final Class<? extends Processor> processor, final Pool pool) throws Exception {
        final TestRunner runner = org.apache.nifi.util.TestRunners.newTestRunner(processor);
        final org.apache.nifi.json.JsonTreeReader reader = new org.apache.nifi.json.JsonTreeReader();
        runner.addControllerService("json-reader", reader);
        runner.enableControllerService(reader);
        final org.apache.nifi.json.JsonRecordSetWriter writer = new org.apache.nifi.json.JsonRecordSetWriter();
        runner.addControllerService("json-writer", writer);
        runner.enableControllerService(writer);
        runner.setProperty("Record Reader", "json-reader");
        runner.setProperty("Record Writer", "json-writer");
        runner.addControllerService("pool", pool);
        runner.enableControllerService(pool);
        return runner;
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
