package io.datasync.nifi.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * What the committed ftp-batch-ingest template's *Upsert profiles* does with times it cannot read: stock
 * PutDatabaseRecord and its explicit-schema reader, both configured from {@code templates/ftp-batch-ingest.json}, into
 * {@code customer_profiles} from {@code sql/} on an embedded PostgreSQL (127.0.0.1). An ISO-8601 time with an offset is
 * stored as the instant it names; a time in any other form sends the whole FlowFile to failure with a reason and writes
 * nothing, never a null or a shifted time. Known gap (docs/templates.md): the stock reader resolves a day past the end of
 * its month (2026-02-30) to the month's last day instead of refusing it. It lives here because this module has the stock processors and readers on
 * its classpath (the e2e module runs them inside a real NiFi instead).
 */
class TemplateProfileWriteTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static EmbeddedPostgres postgres;
    private static Connection connection;
    private static JsonNode put;
    private static JsonNode reader;

    @BeforeAll
    static void start() throws Exception {
        final Path root = Path.of("..").toAbsolutePath().normalize();
        final JsonNode template = JSON.readTree(root.resolve("templates/ftp-batch-ingest.json").toFile()).get("flowContents");
        final Map<String, JsonNode> services = new LinkedHashMap<>();
        final Map<String, JsonNode> processors = new LinkedHashMap<>();
        WriteReaderBenchmark.collect(template, services, processors);
        put = processors.get("Upsert profiles");
        reader = services.get(put.get("properties").get("put-db-record-record-reader").asText());
        assertEquals("Profile rows for the database", reader.get("name").asText());
        postgres = EmbeddedPostgres.builder().setServerConfig("listen_addresses", "127.0.0.1").start();
        connection = postgres.getPostgresDatabase().getConnection();
        try (Statement statement = connection.createStatement()) {
            statement.execute(Files.readString(root.resolve("sql/02_profiles.sql")));
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (connection != null) {
            connection.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @BeforeEach
    void empty() throws Exception {
        try (Statement statement = connection.createStatement()) {
            statement.execute("TRUNCATE customer_profiles");
        }
    }

    private static Map<String, Object> row(final String customerId, final String updatedAt, final String lastOrderAt) {
        final Map<String, Object> row = new LinkedHashMap<>();
        row.put("customer_id", customerId);
        row.put("subject_key", customerId + "@example.com");
        row.put("email", customerId + "@example.com");
        row.put("tags", "newsletter|vip");
        row.put("last_order_at", lastOrderAt);
        row.put("updated_at", updatedAt);
        return row;
    }

    private static MockFlowFile write(final String relationship, final Map<String, Object>... rows) throws Exception {
        final TestRunner runner = WriteReaderBenchmark.runner(put, reader, new ConsentStoreBenchmark.Pool(connection));
        runner.enqueue(JSON.writeValueAsBytes(List.of(rows)));
        runner.run();
        runner.assertAllFlowFilesTransferred(relationship, 1);
        return runner.getFlowFilesForRelationship(relationship).getFirst();
    }

    private static List<String> storedTimes() throws Exception {
        final List<String> times = new java.util.ArrayList<>();
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT customer_id, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS') AS u,"
                     + " to_char(last_order_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS') AS o FROM customer_profiles ORDER BY customer_id")) {
            while (rows.next()) {
                times.add(rows.getString(1) + " " + rows.getString(2) + " " + rows.getString(3));
            }
        }
        return times;
    }

    @Test
    void isoTimesWithAnyOffsetAndFractionAreStoredAsTheInstantsTheyName() throws Exception {
        // Regression: the readers read only whole seconds in UTC, so a source writing +01:00 had every profile write parked
        write("success", row("c1", "2026-03-01T10:00:00Z", "2026-02-28T23:30:00+02:00"), row("c2", "2026-03-01T10:00:00-05:00", null),
                row("c3", "2026-03-01T10:00:00.250Z", "2026-03-01T10:00:00.123456789+01:00"), row("c4", "2026-03-01T10:00:00.123456Z", null));
        assertEquals(List.of("c1 2026-03-01T10:00:00.000 2026-02-28T21:30:00.000", "c2 2026-03-01T15:00:00.000 null",
                "c3 2026-03-01T10:00:00.250 2026-03-01T09:00:00.123", "c4 2026-03-01T10:00:00.123 null"), storedTimes());
    }

    @Test
    void aTimeInAnotherFormatFailsTheWholeFlowFileWithAReason() throws Exception {
        for (final String bad : List.of("2026-03-01 10:00:00", "01/03/2026 10:00", "yesterday", "2026-03-01T10:00:00",
                "2026-03-01T10:00:00+0200", "2026-03-01T10:00:00.5Z", "2026-13-01T10:00:00Z", "2026-03-01T24:30:00Z")) {
            final MockFlowFile failed = write("failure", row("c1", "2026-03-01T10:00:00Z", null), row("c2", "2026-03-01T10:00:00Z", bad));
            assertNotNull(failed.getAttribute("putdatabaserecord.error"), bad + ": a reason");
            assertEquals(List.of(), storedTimes(), bad + ": nothing of the FlowFile written");
        }
    }
}
