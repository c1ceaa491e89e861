package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Stock processors only, in a real NiFi, against real PostgreSQL and FTP servers: a flow built through the REST API
 * loads FTP CSV drops into PostgreSQL; its downloaded flow definition re-imports (the path templates take) and
 * runs; after kill -9 and a restart on the same directories it carries on, with nothing lost or duplicated. Secured
 * as the templates run (docs/security.md): NiFi over HTTPS only with client-certificate logins and file-based policies
 * (the REST client the administrator), PostgreSQL TLS-only with the flow's pool verifying it ({@code verify-full}
 * against the run's test CA); after the kill -9 NiFi comes back with the same keystore, HTTPS only, and the
 * administrator logs in again.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StockFlowE2ETest {

    private static final String NAME = StockFlowE2ETest.class.getSimpleName();
    private static final Duration LOAD_TIMEOUT = Duration.ofSeconds(120);

    private static long classStart;
    private static SampleData data;
    private static PostgresPeer postgres;
    private static FtpPeer ftp;
    private static NiFiInstance nifi;
    private static NiFiRestClient client;
    /** The run's test CA: NiFi's HTTPS and client certificates, PostgreSQL's server certificate. */
    private static TestPki pki;
    private static StockFtpToPostgresFlow.Ids built;
    private static String reimportedGroupId;
    private static final Set<String> expectedRows = new TreeSet<>();

    @BeforeAll
    static void startEverything() {
        classStart = System.nanoTime();
        data = SampleData.generate(42L, 40);
        nifi = NiFiInstance.create("stock-flow");
        pki = TestPki.create(nifi.runDir().resolve("tls"));
        postgres = PostgresPeer.startWithTls(nifi.runDir().resolve("postgres-data"), pki);
        ftp = FtpPeer.start(nifi.runDir().resolve("ftp-home"), "datasync", "ftp-secret-" + System.nanoTime());
        client = SecuredStart.startAsAdministrator(nifi, pki);
        E2eMetrics.recordNiFi(NAME, nifi, "firstStart");
    }

    @AfterAll
    static void stopEverything() {
        try {
            if (nifi != null) {
                nifi.close();
            }
        } finally {
            try {
                if (ftp != null) {
                    ftp.close();
                }
            } finally {
                if (postgres != null) {
                    postgres.close();
                }
                E2eMetrics.record(NAME, "classSeconds", Long.toString(Duration.ofNanos(System.nanoTime() - classStart).toSeconds()));
            }
        }
    }

    @Test
    @Order(1)
    void ftpCsvDropsLandInPostgres() {
        built = StockFtpToPostgresFlow.build(client, client.rootGroupId(), StockFtpToPostgresFlow.parameters(ftp, postgres, nifi));
        assertEquals(Map.of(), client.validationErrors(built.groupId()).entrySet().stream()
                .filter(e -> !e.getValue().stream().allMatch(m -> m.contains("disabled") || m.contains("Controller Service")))
                .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
        client.enableControllerServices(built.groupId(), Duration.ofSeconds(60));
        assertEquals(Map.of(), client.validationErrors(built.groupId()));

        final Map<String, String> files = data.ftpCsvFiles(2);
        files.forEach(ftp::drop);
        data.ftpRecords().forEach(r -> expectedRows.add(rowKey(r)));
        client.startProcessGroup(built.groupId());

        awaitStagingRows(expectedRows.size());
        client.waitUntilQuiet(built.groupId(), 3, Duration.ofSeconds(1), Duration.ofSeconds(60));
        assertEquals(expectedRows, stagingRowKeys());
        assertEquals(new TreeSet<>(files.keySet()), new TreeSet<>(ftp.processedFiles()), "fetched files moved aside");
        assertEquals(List.of(), ftp.inboxFiles());

        // One sample row, field by field, as the CSV carried it.
        final SampleData.SourceRecord sample = data.ftpRecords().getFirst();
        final Map<String, Object> row = postgres.query("SELECT * FROM staging_contacts WHERE source_id = ?", sample.sourceId()).getFirst();
        assertEquals(sample.email(), row.get("email"));
        assertEquals(sample.phone(), row.get("phone"));
        assertEquals(sample.tags(), row.get("tags"));
        assertEquals(sample.updatedAt(), row.get("updated_at"));
        assertEquals(sample.lastOrderAt(), row.get("last_order_at"));

        final List<JsonNode> putEvents = client.provenanceEvents(built.putDatabaseRecord(), 100);
        assertEquals(files.size(), putEvents.stream().filter(e -> "SEND".equals(e.path("eventType").asText())).count(),
                "one SEND provenance event per CSV file from PutDatabaseRecord: " + putEvents);
        assertEquals(List.of(), errorBulletins());
    }

    @Test
    @Order(2)
    void downloadedFlowDefinitionReimportsAndRuns() {
        assumeTrue(built != null, "the flow was not built");
        client.stopProcessGroup(built.groupId(), Duration.ofSeconds(60));
        final byte[] definition = client.downloadFlowDefinition(built.groupId());
        final String json = new String(definition, StandardCharsets.UTF_8);
        assertTrue(json.contains("org.apache.nifi.processors.standard.ListFTP"), "flow definition holds the flow");
        assertFalse(json.contains(ftp.password()), "a downloaded flow definition must not carry sensitive values");

        reimportedGroupId = client.uploadFlowDefinition(client.rootGroupId(), "stock-ftp-to-postgres-reimported", definition);
        assertNotEquals(built.groupId(), reimportedGroupId);
        final String contextId = client.parameterContextId(reimportedGroupId);
        E2eMetrics.record(NAME, "reimport.parameterContextReused", Boolean.toString(built.parameterContextId().equals(contextId)));
        final Map<String, String> parameters = StockFtpToPostgresFlow.parameters(ftp, postgres, nifi);
        client.setParameters(reimportedGroupId, Map.of("ftp.password", parameters.get("ftp.password"),
                "db.password", parameters.get("db.password")), StockFtpToPostgresFlow.SENSITIVE_PARAMETERS);
        client.enableControllerServices(reimportedGroupId, Duration.ofSeconds(60));
        assertEquals(Map.of(), client.validationErrors(reimportedGroupId));

        final List<SampleData.SourceRecord> batch = extraBatch("R", 5);
        ftp.drop("reimport-001.csv", csv(batch));
        batch.forEach(r -> expectedRows.add(rowKey(r)));
        client.startProcessGroup(reimportedGroupId);
        awaitStagingRows(expectedRows.size());
        client.waitUntilQuiet(reimportedGroupId, 3, Duration.ofSeconds(1), Duration.ofSeconds(60));
        assertEquals(expectedRows, stagingRowKeys());
        assertEquals(List.of(), errorBulletins());
        // The re-imported pool has just written (not so after the kill -9 below, when the drop may be in before the
        // kill): its sessions are TLS, verify-full against the test CA, and the server refuses a plain one.
        TemplateAssertions.assertDatabaseSessionsTlsOnly(postgres);
    }

    @Test
    @Order(3)
    void killMinus9AndRestartOnTheSameDirectoriesCarriesOn() {
        assumeTrue(reimportedGroupId != null, "the re-imported flow is not running");
        final List<SampleData.SourceRecord> batch = extraBatch("K", 30);
        ftp.drop("crash-001.csv", csv(batch));
        batch.forEach(r -> expectedRows.add(rowKey(r)));
        // Kill while the listing/fetch/insert of that file is likely in flight.
        NiFiInstance.sleep(1500);
        nifi.crash();
        assertFalse(nifi.isRunning());

        nifi.start();
        E2eMetrics.recordNiFi(NAME, nifi, "restartAfterCrash");
        client = SecuredStart.assertBackSecured(nifi);
        // The flow, its parameters (with sensitive values) and its RUNNING state were persisted and resume.
        awaitStagingRows(expectedRows.size());
        client.waitUntilQuiet(reimportedGroupId, 3, Duration.ofSeconds(1), Duration.ofSeconds(90));
        assertEquals(expectedRows, stagingRowKeys(), "nothing lost, nothing duplicated");
        assertTrue(ftp.processedFiles().contains("crash-001.csv"));
        assertEquals(0, client.groupStatus(client.rootGroupId()).path("flowFilesQueued").asInt(), "no failures parked");
        assertEquals(List.of(), errorBulletins());

        // Privacy: no email address that went through the flow may appear in NiFi's logs.
        final List<String> leaks = new ArrayList<>();
        data.ftpRecords().forEach(r -> leaks.addAll(nifi.grepLogs(r.email())));
        batch.forEach(r -> leaks.addAll(nifi.grepLogs(r.email())));
        assertEquals(List.of(), leaks);
    }

    private static List<SampleData.SourceRecord> extraBatch(final String prefix, final int count) {
        final List<SampleData.SourceRecord> records = new ArrayList<>();
        final Instant at = Instant.parse("2026-02-01T10:00:00Z");
        for (int i = 0; i < count; i++) {
            records.add(new SampleData.SourceRecord(SampleData.SOURCE_FTP, prefix + i, "extra." + prefix.toLowerCase() + i + "@example.com",
                    "07700 900" + String.format("%03d", 500 + i), "Extra", "Person", "Leeds", "GB", "newsletter", at, null,
                    at.plusSeconds(i), "extra." + prefix.toLowerCase() + i + "@example.com"));
        }
        return records;
    }

    private static String csv(final List<SampleData.SourceRecord> records) {
        final StringBuilder csv = new StringBuilder(SampleData.CSV_HEADER).append('\n');
        records.forEach(r -> csv.append(SampleData.csvLine(r)).append('\n'));
        return csv.toString();
    }

    private static String rowKey(final SampleData.SourceRecord record) {
        return record.source() + "|" + record.sourceId() + "|" + record.email() + "|" + record.updatedAt();
    }

    private static Set<String> stagingRowKeys() {
        final Set<String> keys = new TreeSet<>();
        final List<Map<String, Object>> rows = postgres.query("SELECT source, source_id, email, updated_at FROM staging_contacts");
        rows.forEach(row -> keys.add(row.get("source") + "|" + row.get("source_id") + "|" + row.get("email") + "|"
                + row.get("updated_at")));
        assertEquals(rows.size(), keys.size(), "duplicate rows in staging_contacts");
        return keys;
    }

    private static void awaitStagingRows(final int expected) {
        NiFiRestClient.waitUntil(LOAD_TIMEOUT, () -> postgres.count("staging_contacts") >= expected,
                expected + " rows in staging_contacts (bulletins: " + safeBulletins() + ")");
    }

    private static List<String> errorBulletins() {
        final List<String> errors = new ArrayList<>();
        for (final JsonNode bulletin : client.bulletins()) {
            if ("ERROR".equals(bulletin.path("level").asText()) || "WARNING".equals(bulletin.path("level").asText())) {
                errors.add(bulletin.path("sourceName").asText() + ": " + bulletin.path("message").asText());
            }
        }
        return errors;
    }

    private static String safeBulletins() {
        try {
            return client.bulletins().toString();
        } catch (final RuntimeException e) {
            return "unavailable";
        }
    }

    @SuppressWarnings("unused")
    private static Path runDir() {
        return nifi.runDir();
    }
}
