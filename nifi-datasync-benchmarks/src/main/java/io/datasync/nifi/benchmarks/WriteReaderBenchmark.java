package io.datasync.nifi.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.apache.nifi.json.JsonTreeReader;
import org.apache.nifi.processors.standard.PutDatabaseRecord;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The template's profile UPSERT (issue 17, ninth pass): stock PutDatabaseRecord configured as ftp-batch-ingest's
 * "Upsert profiles" (its properties read from {@code templates/ftp-batch-ingest.json}) into {@code customer_profiles}
 * (created from {@code sql/}, trigger included) on an embedded PostgreSQL (127.0.0.1), reading the same FlowFiles two
 * ways: through the inferring "JSON records for the database" reader the template used before the ninth pass (its
 * properties written out here, it is no longer in the template), and through the explicit-schema "Profile rows for
 * the database" reader it ships now (its properties from the template).
 * Every round empties the table, runs each contestant in rotating order and checks that both left the same rows.
 */
final class WriteReaderBenchmark {

    static final String INFERRING = "PutDatabaseRecord, inferring reader (JSON records for the database)";
    static final String EXPLICIT = "PutDatabaseRecord, explicit schema (Profile rows for the database)";
    private static final String PUT_NAME = "Upsert profiles";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Mode mode;

    WriteReaderBenchmark(final Mode mode) {
        this.mode = mode;
    }

    String run() throws Exception {
        final int flowFiles = mode == Mode.FULL ? 20 : 10;
        final int rowsPerFlowFile = 1_000;
        final JsonNode template = JSON.readTree(Path.of("templates", "ftp-batch-ingest.json").toFile()).get("flowContents");
        final Map<String, JsonNode> services = new LinkedHashMap<>();
        final Map<String, JsonNode> processors = new LinkedHashMap<>();
        collect(template, services, processors);
        final JsonNode put = processors.get(PUT_NAME);
        final JsonNode explicitReader = services.get(put.get("properties").get("put-db-record-record-reader").asText());
        // the templates' inferring reader before the ninth pass (no longer in them): schema inferred, the old time format
        final JsonNode inferringReader = JSON.readTree("{\"properties\": {\"Timestamp Format\": \"yyyy-MM-dd'T'HH:mm:ssX\"}}");
        final List<byte[]> inputs = new ArrayList<>();
        final Random random = new Random(17);
        for (int i = 0; i < flowFiles; i++) {
            inputs.add(profileRows(random, i * rowsPerFlowFile, rowsPerFlowFile));
        }
        try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().setServerConfig("listen_addresses", "127.0.0.1").start();
             Connection connection = postgres.getPostgresDatabase().getConnection()) {
            try (Statement statement = connection.createStatement()) {
                statement.execute(Files.readString(Path.of("sql", "02_profiles.sql")));
            }
            final ConsentStoreBenchmark.Pool pool = new ConsentStoreBenchmark.Pool(connection);
            final Map<String, TestRunner> runners = new LinkedHashMap<>();
            runners.put(INFERRING, runner(put, inferringReader, pool));
            runners.put(EXPLICIT, runner(put, explicitReader, pool));
            final Map<String, List<Double>> msPerThousand = new LinkedHashMap<>();
            final List<Double> ratios = new ArrayList<>();
            final List<String> names = new ArrayList<>(runners.keySet());
            final int rounds = mode.warmupRounds() + mode.measuredRounds();
            for (int round = 0; round < rounds; round++) {
                final Map<String, Double> thisRound = new LinkedHashMap<>();
                String expectedRows = null;
                for (int turn = 0; turn < names.size(); turn++) {
                    final String name = names.get((round + turn) % names.size());
                    try (Statement statement = connection.createStatement()) {
                        statement.execute("TRUNCATE customer_profiles");
                    }
                    final TestRunner runner = runners.get(name);
                    runner.clearTransferState();
                    inputs.forEach(runner::enqueue);
                    final long start = System.nanoTime();
                    runner.run(inputs.size());
                    final long nanos = System.nanoTime() - start;
                    if (runner.getFlowFilesForRelationship("success").size() != inputs.size()) {
                        throw new IllegalStateException(name + " did not write every FlowFile: " + runner.getFlowFilesForRelationship("failure")
                                .stream().map(flowFile -> flowFile.getAttribute("putdatabaserecord.error")).toList());
                    }
                    final String rows = tableDigest(connection);
                    if (expectedRows != null && !expectedRows.equals(rows)) {
                        throw new IllegalStateException(name + " left other rows than the other reader");
                    }
                    expectedRows = rows;
                    thisRound.put(name, nanos / 1e6 / (inputs.size() * (double) rowsPerFlowFile / 1_000));
                }
                if (round >= mode.warmupRounds()) {
                    thisRound.forEach((name, ms) -> msPerThousand.computeIfAbsent(name, k -> new ArrayList<>()).add(ms));
                    ratios.add(thisRound.get(INFERRING) / thisRound.get(EXPLICIT));
                }
            }
            final Markdown md = new Markdown();
            md.heading("The profile UPSERT: inferring reader against explicit schema");
            md.paragraph(flowFiles + " FlowFiles x " + String.format("%,d", rowsPerFlowFile) + " profile rows (lists '|'-joined, as ProfileMerge's List Delimiter writes them), stock "
                    + "PutDatabaseRecord with ftp-batch-ingest's \"" + PUT_NAME + "\" properties, customer_profiles from sql/ on an "
                    + "embedded PostgreSQL (127.0.0.1), one pooled connection, the table emptied before each contestant; "
                    + mode.warmupRounds() + " warm-up and " + mode.measuredRounds() + " measured rounds, order rotating; both "
                    + "readers left identical rows in every round.");
            md.table("contestant", "ms per 1,000 rows (median)", "range");
            for (final String name : names) {
                final List<Double> values = msPerThousand.get(name);
                md.row(name, String.format("%.1f", Stats.median(values)), String.format("%.1f - %.1f", Stats.min(values), Stats.max(values)));
            }
            md.paragraph("Inferring reader's time / explicit schema's time, per round: median **" + Stats.ratio(Stats.median(ratios))
                    + "** (range " + Stats.ratio(Stats.min(ratios)) + " - " + Stats.ratio(Stats.max(ratios)) + ").");
            return md.toString();
        }
    }

    static void collect(final JsonNode group, final Map<String, JsonNode> services, final Map<String, JsonNode> processors) {
        group.path("controllerServices").forEach(service -> services.put(service.get("identifier").asText(), service));
        group.path("processors").forEach(processor -> processors.put(processor.get("name").asText(), processor));
        group.path("processGroups").forEach(child -> collect(child, services, processors));
    }

    /** PutDatabaseRecord with the template processor's plain properties, the reader given and the pool. */
    static TestRunner runner(final JsonNode put, final JsonNode readerService, final ConsentStoreBenchmark.Pool pool) throws Exception {
        final TestRunner runner = TestRunners.newTestRunner(PutDatabaseRecord.class);
        final JsonTreeReader reader = new JsonTreeReader();
        runner.addControllerService("reader", reader);
        for (final Iterator<Map.Entry<String, JsonNode>> it = readerService.get("properties").fields(); it.hasNext(); ) {
            final Map.Entry<String, JsonNode> property = it.next();
            if (!property.getValue().isNull()) {
                runner.setProperty(reader, property.getKey(), property.getValue().asText());
            }
        }
        runner.enableControllerService(reader);
        runner.addControllerService("pool", pool);
        runner.enableControllerService(pool);
        for (final Iterator<Map.Entry<String, JsonNode>> it = put.get("properties").fields(); it.hasNext(); ) {
            final Map.Entry<String, JsonNode> property = it.next();
            final String value = property.getValue().isNull() ? null : property.getValue().asText();
            if (value == null || value.startsWith("#{")) {
                continue;
            }
            runner.setProperty(property.getKey(), value);
        }
        runner.setProperty("put-db-record-record-reader", "reader");
        runner.setProperty("put-db-record-dcbp-service", "pool");
        runner.setProperty("put-db-record-table-name", "customer_profiles");
        return runner;
    }

    /** Profile rows as ProfileMerge (List Delimiter '|') hands them to the UPSERT: lists joined, times in the template's format. */
    private static byte[] profileRows(final Random random, final int first, final int count) throws IOException {
        final List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = first; i < first + count; i++) {
            final Map<String, Object> row = new LinkedHashMap<>();
            row.put("customer_id", "cust-" + i);
            row.put("subject_key", "person" + i + "@example.com");
            row.put("email", "Person" + i + "@Example.com");
            row.put("phone", random.nextBoolean() ? "+4479" + (10_000_000 + random.nextInt(89_999_999)) : null);
            row.put("phone_as_written", random.nextInt(10) == 0 ? "07" + random.nextInt(1_000_000) : null);
            row.put("first_name", "First" + random.nextInt(500));
            row.put("last_name", "Last" + random.nextInt(2_000));
            row.put("city", random.nextBoolean() ? "London" : "Leeds");
            row.put("country", random.nextBoolean() ? "GB" : "US-CA");
            row.put("tags", random.nextBoolean() ? "newsletter|vip" : "newsletter");
            row.put("last_order_at", random.nextBoolean() ? String.format("2026-%02d-%02dT10:%02d:00Z", 1 + random.nextInt(12),
                    1 + random.nextInt(28), random.nextInt(60)) : null);
            row.put("lifetime_value", random.nextInt(100_000) / 100.0);
            row.put("consent_email", random.nextInt(5) != 0);
            row.put("source_ids", "crm:" + i + "|shop:" + (i * 7));
            row.put("updated_at", String.format("2026-%02d-%02dT%02d:%02d:%02dZ", 1 + random.nextInt(12), 1 + random.nextInt(28),
                    random.nextInt(24), random.nextInt(60), random.nextInt(60)));
            row.put("merge_lineage", "{\"email\":{\"source\":\"crm\",\"at\":\"2026-01-01T00:00:00Z\"}}");
            row.put("retired_customer_ids", null);
            rows.add(row);
        }
        return JSON.writeValueAsBytes(rows);
    }

    /** A digest of every row's columns except the database's own stamp, in key order. */
    private static String tableDigest(final Connection connection) throws Exception {
        final MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT customer_id, subject_key, email, phone, phone_as_written, first_name, "
                     + "last_name, city, country, tags, last_order_at, lifetime_value, consent_email, source_ids, updated_at, "
                     + "merge_lineage, retired_customer_ids FROM customer_profiles ORDER BY customer_id")) {
            final int columns = rows.getMetaData().getColumnCount();
            while (rows.next()) {
                for (int column = 1; column <= columns; column++) {
                    digest.update(String.valueOf(rows.getObject(column)).getBytes(StandardCharsets.UTF_8));
                    digest.update((byte) 0);
                }
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
