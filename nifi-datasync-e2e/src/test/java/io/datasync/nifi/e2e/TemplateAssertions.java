package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the template tests check on PostgreSQL and through the REST API, shared by both templates' tests. */
final class TemplateAssertions {

    private TemplateAssertions() {
    }

    /**
     * The TLS-only database as NiFi sees it: every client session PostgreSQL has (NiFi's pool keeps its connections;
     * run it when no other client of the test is connected) uses TLS, there is at least one, and a plain connection is
     * refused by the server's pg_hba.conf.
     */
    static void assertDatabaseSessionsTlsOnly(final PostgresPeer postgres) {
        final Map<Boolean, Long> sessions = postgres.clientConnectionsByTls();
        assertTrue(sessions.getOrDefault(true, 0L) > 0, "NiFi's database sessions: " + sessions);
        assertEquals(0L, sessions.getOrDefault(false, 0L), "database sessions without TLS: " + sessions);
        final SQLException refused = assertThrows(SQLException.class, () -> DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + postgres.port() + "/" + PostgresPeer.DATABASE + "?sslmode=disable&user=" + PostgresPeer.USER).close());
        assertTrue(refused.getMessage().contains("no encryption") || "28000".equals(refused.getSQLState()), refused.getMessage());
    }

    /**
     * Stops NiFi, then every peer even when NiFi or a peer fails to stop, and records the class's run time.
     */
    static void stopAll(final NiFiInstance nifi, final List<AutoCloseable> peers, final String testName, final long classStartNanos) {
        try {
            if (nifi != null) {
                nifi.close();
            }
        } finally {
            for (final AutoCloseable peer : peers) {
                try {
                    peer.close();
                } catch (final Exception e) {
                    System.err.println("While stopping a peer: " + e);
                }
            }
            E2eMetrics.record(testName, "classSeconds", Long.toString(Duration.ofNanos(System.nanoTime() - classStartNanos).toSeconds()));
        }
    }

    /**
     * Every ConsentFilter and ProfileMerge of a flow definition (nested groups included) reads its store from the
     * database in batches (store type Database, through the group's DBCPConnectionPool, on the lookup view), and the
     * flow holds no per-key DatabaseRecordLookupService any more. Returns how many such processors it found.
     */
    static int assertBatchedDatabaseStores(final byte[] definition) throws IOException {
        final List<JsonNode> processors = new ArrayList<>();
        collectProcessors(new ObjectMapper().readTree(definition).path("flowContents"), processors);
        final List<String> services = new ArrayList<>();
        collectServiceTypes(new ObjectMapper().readTree(definition).path("flowContents"), services);
        assertTrue(services.stream().noneMatch(type -> type.endsWith(".DatabaseRecordLookupService")), "no per-key lookup service: " + services);
        assertTrue(services.contains("org.apache.nifi.dbcp.DBCPConnectionPool"), "a connection pool: " + services);
        int found = 0;
        for (final JsonNode processor : processors) {
            final String type = processor.path("type").asText();
            final JsonNode properties = processor.path("properties");
            if (type.endsWith(".ConsentFilter")) {
                assertEquals("DATABASE", properties.path("Consent Store Type").asText(), processor.path("name").asText());
                assertEquals("#{db.consent.lookup.table}", properties.path("Consent Table Name").asText(), processor.path("name").asText());
                assertTrue(properties.path("Consent Lookup Service").isMissingNode() || properties.path("Consent Lookup Service").isNull());
                found++;
            } else if (type.endsWith(".ProfileMerge")) {
                assertEquals("DATABASE", properties.path("Stored Profile Store Type").asText(), processor.path("name").asText());
                assertEquals("#{db.profiles.lookup.table}", properties.path("Stored Profile Table Name").asText(), processor.path("name").asText());
                assertTrue(properties.path("Stored Profile Lookup Service").isMissingNode() || properties.path("Stored Profile Lookup Service").isNull());
                found++;
            }
        }
        return found;
    }

    private static void collectProcessors(final JsonNode group, final List<JsonNode> into) {
        group.path("processors").forEach(into::add);
        group.path("processGroups").forEach(child -> collectProcessors(child, into));
    }

    private static void collectServiceTypes(final JsonNode group, final List<String> into) {
        group.path("controllerServices").forEach(service -> into.add(service.path("type").asText()));
        group.path("processGroups").forEach(child -> collectServiceTypes(child, into));
    }

    /** customer_profiles as comparable text, by subject key, without the random customer ids and the lineage. */
    static Map<String, String> profiles(final PostgresPeer postgres) {
        return ProfileTables.profiles(postgres);
    }

    static Map<String, String> expectedProfiles(final SampleData data, final Set<String> sources) {
        return ProfileTables.expectedProfiles(data, sources);
    }

    static Map<String, String> suppressions(final PostgresPeer postgres) {
        return ProfileTables.suppressions(postgres);
    }

    static Map<String, String> expectedSuppressions(final SampleData data, final Set<String> sources) {
        return ProfileTables.expectedSuppressions(data, sources);
    }

    /** Checks the database against the sample truth for the given sources. */
    static void assertDatabaseMatchesTruth(final PostgresPeer postgres, final SampleData data, final Set<String> sources) {
        assertEquals(expectedProfiles(data, sources), profiles(postgres), "golden profiles");
        for (final String subject : data.subjectsWithoutConsent()) {
            assertEquals(0, postgres.query("SELECT 1 FROM customer_profiles WHERE subject_key = ?", subject).size(),
                    "a profile of a subject without consent");
        }
        assertEquals(expectedSuppressions(data, sources), suppressions(postgres), "suppression rows");
        final long customerIds = ((Number) postgres.query("SELECT COUNT(DISTINCT customer_id) AS n FROM customer_profiles").getFirst()
                .get("n")).longValue();
        assertEquals(postgres.count("customer_profiles"), customerIds, "one customer id per profile");
    }

    /**
     * Every excluded record of {@code delivered} (the records one uninterrupted run read from its source) left exactly
     * one audit row: its subject key, ConsentFilter's reason from the sample truth (a withdrawn customer WITHDRAWN, one
     * without a consent row NO_CONSENT_RECORD) and the purpose; the table holds no other field of the record.
     */
    static void assertExclusionsAuditTrail(final PostgresPeer postgres, final SampleData data, final List<SampleData.SourceRecord> delivered) {
        final Map<String, String> reasonByStatus = Map.of("WITHDRAWN", "WITHDRAWN", "MISSING", "NO_CONSENT_RECORD");
        final List<String> expected = new ArrayList<>();
        for (final SampleData.SourceRecord record : delivered) {
            final String status = data.customers().stream().filter(c -> c.subjectKey().equals(record.trueSubjectKey()))
                    .findFirst().orElseThrow().consentStatus();
            if (!"GRANTED".equals(status)) {
                expected.add(record.trueSubjectKey() + " " + reasonByStatus.get(status) + " " + SampleData.PURPOSE);
            }
        }
        expected.sort(null);
        assertTrue(expected.size() > 2, "the sample excludes some records: " + expected);
        final List<String> actual = new ArrayList<>();
        for (final Map<String, Object> row : postgres.query("SELECT subject_key, reason_code, purpose, excluded_at FROM exclusions")) {
            actual.add(row.get("subject_key") + " " + row.get("reason_code") + " " + row.get("purpose"));
            assertTrue(row.get("excluded_at") != null, "excluded_at set");
        }
        actual.sort(null);
        assertEquals(expected, actual, "one exclusions row per excluded record");
        final List<Map<String, Object>> columns = postgres.query(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'exclusions' ORDER BY ordinal_position");
        assertEquals(List.of("id", "subject_key", "reason_code", "purpose", "excluded_at"),
                columns.stream().map(c -> String.valueOf(c.get("column_name"))).toList(), "no other personal data in the audit trail");
    }

    /** Warning and error bulletins, as "source: message". */
    static List<String> warningBulletins(final NiFiRestClient client) {
        final List<String> found = new ArrayList<>();
        for (final JsonNode bulletin : client.bulletins()) {
            final String level = bulletin.path("level").asText();
            if ("ERROR".equals(level) || "WARNING".equals(level) || "WARN".equals(level)) {
                found.add(bulletin.path("sourceName").asText() + ": " + bulletin.path("message").asText());
            }
        }
        return found;
    }

    /** Provenance event types recorded by a processor. */
    static List<String> eventTypes(final NiFiRestClient client, final String processorId) {
        final List<String> types = new ArrayList<>();
        client.provenanceEvents(processorId, 1000).forEach(event -> types.add(event.path("eventType").asText()));
        return types;
    }

    static void assertNothingQueued(final NiFiRestClient client, final String groupId) {
        assertEquals(0, client.groupStatus(groupId).path("flowFilesQueued").asInt(), "FlowFiles left queued (parked failures?)");
    }

    /** Every sample email as written: none may be in NiFi's logs. */
    static void assertNoEmailsInLogs(final NiFiInstance nifi, final SampleData data) {
        final List<String> leaks = new ArrayList<>();
        data.allEmailsAsWritten().forEach(email -> leaks.addAll(nifi.grepLogs(email)));
        data.allEmailsAsWritten().forEach(email -> leaks.addAll(nifi.grepLogs(email.toLowerCase(java.util.Locale.ROOT))));
        assertEquals(List.of(), leaks, "sample emails in NiFi's logs");
    }

    static void awaitProfiles(final PostgresPeer postgres, final Map<String, String> expected, final Duration timeout, final NiFiRestClient client) {
        try {
            NiFiRestClient.waitUntil(timeout, () -> expected.equals(profiles(postgres)), "the golden profiles");
        } catch (final IllegalStateException e) {
            assertEquals(expected, profiles(postgres), "profiles when the wait ran out; bulletins " + warningBulletins(client));
        }
        assertTrue(true);
    }

    /**
     * The sync runs table holds one row per profile FlowFile the UPSERT committed, counted independently of the flow's
     * sync step: the UPSERT's SEND provenance events with their record.count (the empty ones left out). Every row names
     * {@code source} and has a database time no later than now. Returns the number of rows.
     */
    static int assertSyncRunsMatchCommittedWrites(final NiFiRestClient client, final PostgresPeer postgres, final String groupId,
                                                  final String source) {
        final List<Long> written = new ArrayList<>();
        for (final JsonNode event : client.provenanceEvents(TemplateImport.processorId(client, groupId, "Upsert profiles"), 1000)) {
            if (!"SEND".equals(event.path("eventType").asText())) {
                continue;
            }
            long count = -1;
            for (final JsonNode attribute : client.get("/provenance-events/" + event.path("id").asText()).path("provenanceEvent").path("attributes")) {
                if ("record.count".equals(attribute.path("name").asText())) {
                    count = Long.parseLong(attribute.path("value").asText());
                }
            }
            assertTrue(count >= 0, "record.count on a committed write");
            if (count > 0) {
                written.add(count);
            }
        }
        assertFalse(written.isEmpty(), "committed profile writes");
        final List<Map<String, Object>> rows = postgres.query(
                "SELECT source, record_count, finished_at <= now() AS past, newest_record_at IS NOT NULL AS has_newest FROM sync_runs");
        assertEquals(written.stream().sorted().toList(), rows.stream().map(r -> ((Number) r.get("record_count")).longValue()).sorted().toList(),
                "one sync run per committed profile write, with its record count");
        for (final Map<String, Object> row : rows) {
            assertEquals(source, row.get("source"));
            assertEquals(Boolean.TRUE, row.get("past"), row.toString());
            assertEquals(Boolean.TRUE, row.get("has_newest"), row.toString());
        }
        return rows.size();
    }

    /** Starts the audit group (it runs at once), waits for audit row {@code expectedRows}, stops it; returns that row. */
    static Map<String, Object> runAudit(final NiFiRestClient client, final PostgresPeer postgres, final String groupId, final int expectedRows) {
        client.startProcessGroup(groupId);
        NiFiRestClient.waitUntil(Duration.ofSeconds(120), () -> {
            if (postgres.count("audit") >= expectedRows) {
                return true;
            }
            NiFiInstance.sleep(500);
            return false;
        }, "audit row " + expectedRows);
        client.waitUntilQuiet(groupId, 3, Duration.ofSeconds(1), Duration.ofSeconds(120));
        client.stopProcessGroup(groupId, Duration.ofSeconds(60));
        assertEquals(expectedRows, postgres.count("audit"), "one audit row per run");
        return postgres.query("SELECT * FROM audit ORDER BY started_at DESC, finished_at DESC").getFirst();
    }

    /** The parameters of a flow definition's parameter contexts, by name. */
    static Map<String, JsonNode> parameters(final JsonNode definition) {
        final Map<String, JsonNode> parameters = new HashMap<>();
        definition.path("parameterContexts").forEach(context -> context.path("parameters")
                .forEach(parameter -> parameters.put(parameter.path("name").asText(), parameter)));
        return parameters;
    }

    /** A property value with a whole-value parameter reference ({@code #{name}}) replaced by the parameter's value. */
    static String resolve(final String value, final Map<String, JsonNode> parameters) {
        if (!value.startsWith("#{")) {
            return value;
        }
        final JsonNode parameter = parameters.get(value.substring(2, value.length() - 1));
        return parameter == null ? null : parameter.path("value").asText();
    }
}
