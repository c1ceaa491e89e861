package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The committed sync-audit template in a real NiFi against a real PostgreSQL seeded around CustomerDedup and
 * ConsentFilter: a known number of stale sources, duplicates written straight into the profile table and withdrawals
 * written straight into the consent table after the profiles were stored. The audit reports exactly those numbers;
 * with repair on, the repair touches exactly the reported rows (duplicates folded into their survivors through
 * ProfileMerge and the UPSERT's trigger, violators anonymised) and the next audit reports zero.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SyncAuditTemplateE2ETest {

    private static final String NAME = SyncAuditTemplateE2ETest.class.getSimpleName();
    private static final int CLEAN_PROFILES = 30;
    /** Merged away: q001 (email of p001 in capitals), q002 (phone of p002 written nationally), q003 and p004 (q003 has p003's email and p004's phone). */
    private static final Set<String> MERGED_AWAY = Set.of("q001", "q002", "q003", "p004");
    /** Each survivor (the smallest id of its group) and the ids folded into it. */
    private static final Map<String, List<String>> GROUPS = Map.of("p001", List.of("q001"), "p002", List.of("q002"), "p003", List.of("p004", "q003"));
    /** Withdrawn after being stored: p010, p011; suppressed while still in use: p012. */
    private static final Set<String> VIOLATORS = Set.of("p010", "p011", "p012");

    private static long classStart;
    private static NiFiInstance nifi;
    private static PostgresPeer postgres;
    private static NiFiRestClient client;
    private static String groupId;
    private static Map<String, String> profilesBefore;
    private static Map<String, String> profilesAfterRepair;
    private static final Map<String, Map<String, Object>> seeded = new TreeMap<>();

    @BeforeAll
    static void startEverything() throws IOException {
        classStart = System.nanoTime();
        nifi = NiFiInstance.create("sync-audit");
        final TestPki pki = TestPki.create(nifi.runDir().resolve("tls"));
        postgres = PostgresPeer.startWithTls(nifi.runDir().resolve("postgres-data"), pki);
        seed();
        client = SecuredStart.startAsAdministrator(nifi, pki);
        groupId = client.uploadFlowDefinition(client.rootGroupId(), AuditFlows.SYNC_AUDIT,
                Files.readAllBytes(TemplateImport.templatesDir().resolve(AuditFlows.SYNC_AUDIT + ".json")));
        final Map<String, String> values = new LinkedHashMap<>();
        values.put("db.url", postgres.jdbcUrl());
        values.put("db.driver.location", nifi.driversDir().resolve("postgresql.jar").toString());
        values.put("db.user", PostgresPeer.USER);
        values.put("db.password", "not-needed-locally");
        values.putAll(postgres.clientTlsParameters());
        values.put("identity.default.phone.region", "DE");
        client.setParameters(groupId, values, AuditFlows.SENSITIVE_PARAMETERS);
        client.enableControllerServices(groupId, Duration.ofSeconds(60));
        assertEquals(Map.of(), client.validationErrors(groupId), "the imported flow is valid once its parameters are set");
    }

    @AfterAll
    static void stopEverything() {
        try {
            if (nifi != null) {
                nifi.close();
            }
        } finally {
            if (postgres != null) {
                postgres.close();
            }
            E2eMetrics.record(NAME, "classSeconds", Long.toString(Duration.ofNanos(System.nanoTime() - classStart).toSeconds()));
        }
    }

    /** Clean profiles with granted consent, then the injected faults, each written straight into its table. */
    private static void seed() {
        final StringBuilder sql = new StringBuilder();
        for (int i = 1; i <= CLEAN_PROFILES; i++) {
            sql.append(profile("p%03d".formatted(i), "person%d@example.org".formatted(i), phone(i)));
        }
        sql.append(profile("q001", "PERSON1@Example.org", null));
        sql.append(profile("q002", "other2@example.org", "030 " + phone(2).substring(7)));
        sql.append(profile("q003", "person3@example.org", phone(4)));
        // lists the fold must carry over to the survivors
        sql.append("UPDATE customer_profiles SET tags = 'b2b', source_ids = 'crm:p001' WHERE customer_id = 'p001';");
        sql.append("UPDATE customer_profiles SET tags = 'vip', source_ids = 'ftp:q001' WHERE customer_id = 'q001';");
        sql.append("UPDATE customer_profiles SET source_ids = 'ftp:p004' WHERE customer_id = 'p004';");
        sql.append("INSERT INTO consent (subject_key, purpose, status, updated_at, source) "
                + "SELECT subject_key, 'email_marketing', 'GRANTED', now() - interval '30 days', 'seed' FROM customer_profiles;");
        // the withdrawals arrive after the profiles were stored, straight into the consent table
        sql.append("UPDATE consent SET status = 'WITHDRAWN', updated_at = now() - interval '1 hour' WHERE subject_key IN ('k-p010', 'k-p011');");
        sql.append("INSERT INTO suppression (subject_key, reason, decided_at) VALUES ('k-p012', 'complaint', now() - interval '1 hour');");
        sql.append("INSERT INTO sync_runs (source, finished_at, newest_record_at, record_count) VALUES "
                + "('crm', now() - interval '3 hours', now() - interval '4 hours', 10), "
                + "('crm', now() - interval '10 minutes', now() - interval '20 minutes', 5), "
                + "('ftp', now() - interval '3 days', now() - interval '4 days', 200);");
        postgres.execute(sql.toString());
    }

    private static String phone(final int i) {
        return "+49 30 5550" + (1000 + i * 37);
    }

    private static String profile(final String id, final String email, final String phone) {
        return "INSERT INTO customer_profiles (customer_id, subject_key, email, phone, first_name, updated_at) VALUES ('%s', 'k-%s', '%s', %s, 'N%s', now() - interval '2 days');"
                .formatted(id, id, email, phone == null ? "NULL" : "'" + phone + "'", id);
    }

    private static Map<String, String> profiles() {
        final Map<String, String> rows = new TreeMap<>();
        for (final Map<String, Object> row : postgres.query("SELECT * FROM customer_profiles")) {
            rows.put((String) row.get("customer_id"), row.toString());
        }
        return rows;
    }

    private static long number(final Map<String, Object> row, final String column) {
        return ((Number) row.get(column)).longValue();
    }

    private static List<String> concat(final String first, final List<String> rest) {
        final List<String> all = new ArrayList<>(List.of(first));
        all.addAll(rest);
        return all;
    }

    @Test
    @Order(1)
    void theAuditReportsExactlyTheInjectedFaults() throws IOException {
        profilesBefore = profiles();
        for (final Map<String, Object> row : postgres.query("SELECT * FROM customer_profiles")) {
            seeded.put((String) row.get("customer_id"), row);
        }
        final Map<String, Object> audit = TemplateAssertions.runAudit(client, postgres, groupId, 1);
        assertEquals("FAIL", audit.get("status"));
        assertEquals(Boolean.FALSE, audit.get("repair"));
        assertEquals(CLEAN_PROFILES + 3L, number(audit, "profiles_scanned"));
        assertEquals(CLEAN_PROFILES + 3L, number(audit, "profiles_in_use"));
        assertEquals(3, number(audit, "duplicate_groups"));
        assertEquals(MERGED_AWAY.size(), number(audit, "duplicate_ids"));
        assertEquals(VIOLATORS.size(), number(audit, "consent_violations"));
        assertEquals(1, number(audit, "suppressed_in_use"));
        assertEquals(Map.of("SUPPRESSED", 1, "WITHDRAWN", 2), client.mapper().readValue((String) audit.get("violations_by_reason"), TreeMap.class));
        assertEquals(2, number(audit, "sources_checked"));
        assertEquals(1, number(audit, "stale_sources"));
        assertEquals("ftp", audit.get("stale_source_names"));
        final JsonNode freshness = client.mapper().readTree((String) audit.get("freshness"));
        assertEquals("crm", freshness.get(0).get("source").asText());
        assertFalse(freshness.get(0).get("stale").asBoolean());
        assertTrue(freshness.get(1).get("lag_seconds").asLong() > Duration.ofDays(3).minusMinutes(5).toSeconds());
        assertEquals(0, number(audit, "merges_emitted"));
        assertEquals(0, number(audit, "violations_emitted"));
        assertEquals(profilesBefore, profiles(), "report only changes nothing");
        final String all = audit.toString();
        for (final String personal : List.of("@", "k-p", "q00", "p01", "+49")) {
            assertFalse(all.contains(personal), "the audit row must not carry " + personal);
        }

        final List<String> bulletins = new ArrayList<>();
        client.bulletins().forEach(bulletin -> bulletins.add(bulletin.path("level").asText() + " " + bulletin.path("message").asText()));
        assertTrue(bulletins.stream().anyMatch(b -> b.startsWith("ERROR") && b.contains("Consent check failed")), bulletins.toString());
        assertTrue(bulletins.stream().anyMatch(b -> b.startsWith("WARN") && b.contains("Freshness check failed")), bulletins.toString());
        assertTrue(bulletins.stream().anyMatch(b -> b.startsWith("WARN") && b.contains("Duplicate check failed")), bulletins.toString());
        assertFalse(bulletins.stream().anyMatch(b -> b.contains("@")), bulletins.toString());
        E2eMetrics.record(NAME, "auditMillis", audit.get("duration_ms").toString());
    }

    @Test
    @Order(2)
    void repairTouchesExactlyTheReportedRows() {
        client.setParameters(groupId, Map.of("audit.repair.mode", "EMIT_REPAIRS"), Set.of());
        final Map<String, Object> audit = TemplateAssertions.runAudit(client, postgres, groupId, 2);
        assertEquals(Boolean.TRUE, audit.get("repair"));
        assertEquals(MERGED_AWAY.size(), number(audit, "merges_emitted"));
        assertEquals(VIOLATORS.size(), number(audit, "violations_emitted"));

        profilesAfterRepair = profiles();
        final Map<String, String> expectedUntouched = new TreeMap<>(profilesBefore);
        MERGED_AWAY.forEach(expectedUntouched::remove);
        VIOLATORS.forEach(expectedUntouched::remove);
        GROUPS.keySet().forEach(expectedUntouched::remove);
        final Map<String, String> untouched = new TreeMap<>(profilesAfterRepair);
        VIOLATORS.forEach(untouched::remove);
        GROUPS.keySet().forEach(untouched::remove);
        assertEquals(expectedUntouched, untouched, "every row neither merged away, nor a survivor, nor violating is unchanged");
        // Folded, not deleted: each survivor holds its group's values (each field one of the group's stored values, set
        // whenever any of them had it), the union of their lists, and names the ids folded into it; their rows are gone.
        for (final Map.Entry<String, List<String>> group : GROUPS.entrySet()) {
            final Map<String, Object> survivor = postgres.query("SELECT * FROM customer_profiles WHERE customer_id = ?", group.getKey()).getFirst();
            final List<Map<String, Object>> members = new ArrayList<>();
            for (final String id : concat(group.getKey(), group.getValue())) {
                members.add(seeded.get(id));
            }
            for (final String column : List.of("subject_key", "email", "phone", "first_name")) {
                final List<Object> candidates = members.stream().map(m -> m.get(column)).toList();
                assertTrue(candidates.contains(survivor.get(column)), group.getKey() + "." + column + " from its group: " + survivor);
                assertTrue(survivor.get(column) != null || candidates.stream().allMatch(java.util.Objects::isNull), group.getKey() + "." + column);
            }
            assertEquals(String.join("|", group.getValue()), survivor.get("retired_customer_ids"), group.getKey());
            assertTrue(survivor.get("merge_lineage") != null, "written by ProfileMerge: " + survivor);
        }
        assertEquals("b2b|vip", postgres.query("SELECT tags FROM customer_profiles WHERE customer_id = 'p001'").getFirst().get("tags"));
        assertEquals("crm:p001|ftp:q001", postgres.query("SELECT source_ids FROM customer_profiles WHERE customer_id = 'p001'").getFirst().get("source_ids"));
        assertEquals("ftp:p004", postgres.query("SELECT source_ids FROM customer_profiles WHERE customer_id = 'p003'").getFirst().get("source_ids"));
        assertEquals(0, postgres.query("SELECT 1 FROM customer_profiles_retired_but_stored").size());
        for (final String id : VIOLATORS) {
            final Map<String, Object> row = postgres.query("SELECT * FROM customer_profiles WHERE customer_id = ?", id).getFirst();
            assertNull(row.get("email"), id);
            assertNull(row.get("phone"), id);
            assertNull(row.get("first_name"), id);
            assertEquals(id, row.get("subject_key"), id);
        }
        assertEquals(0, postgres.query("SELECT 1 FROM customer_profiles WHERE customer_id IN ('q001', 'q002', 'q003', 'p004')").size());
        assertEquals(0, client.flowFilesQueuedInto(groupId, client.processorIdByName(groupId, AuditFlows.WRITE_AUDIT)));
    }

    @Test
    @Order(3)
    void theNextAuditReportsZeroAndRepairsNothing() {
        final Map<String, Object> audit = TemplateAssertions.runAudit(client, postgres, groupId, 3);
        assertEquals(0, number(audit, "duplicate_ids"));
        assertEquals(0, number(audit, "consent_violations"));
        assertEquals(0, number(audit, "merges_emitted"));
        assertEquals(0, number(audit, "violations_emitted"));
        assertEquals(CLEAN_PROFILES + 3L - MERGED_AWAY.size(), number(audit, "profiles_scanned"));
        assertEquals(CLEAN_PROFILES + 3L - MERGED_AWAY.size() - VIOLATORS.size(), number(audit, "profiles_in_use"));
        assertEquals("WARN", audit.get("status"), "the stale feed is not repaired by the audit");
        assertEquals(profilesAfterRepair, profiles());
    }
}
