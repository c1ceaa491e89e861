package io.datasync.nifi.processors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.datasync.nifi.audit.AuditDatabase;
import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.dbcp.DBCPService;
import org.apache.nifi.json.JsonRecordSetWriter;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.reporting.InitializationException;
import org.apache.nifi.util.LogMessage;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * AuditProfileStore in nifi-mock against a real PostgreSQL: one audit record per run with counts only, bulletins per
 * failed check, counters, the repair outputs in CustomerDedup's merge shape, the repair limit, and an outage.
 */
class AuditProfileStoreTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant DECIDED = Instant.parse("2026-01-01T00:00:00Z");
    private static AuditDatabase database;
    private TestRunner runner;
    private Pool pool;

    @BeforeAll
    static void start() throws IOException, SQLException {
        database = AuditDatabase.start();
    }

    @AfterAll
    static void stop() throws IOException {
        if (database != null) {
            database.close();
        }
    }

    /** The stock DBCPService interface over the test database; can be made unreachable. */
    static final class Pool extends AbstractControllerService implements DBCPService {
        private volatile boolean down;

        @Override
        public Connection getConnection() throws ProcessException {
            try {
                return down ? DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + EmbeddedConsentDatabase.closedPort()
                        + "/postgres?connectTimeout=2", "postgres", "postgres") : database.connect();
            } catch (final SQLException | IOException e) {
                throw new ProcessException("Cannot connect", e);
            }
        }
    }

    /** An AuditProfileStore over the pool with a JSON writer, default phone region DE and the sync_runs table, as the sync-audit template has it. */
    static TestRunner auditRunner(final DBCPService pool) throws InitializationException {
        final TestRunner runner = TestRunners.newTestRunner(AuditProfileStore.class);
        runner.addControllerService("pool", pool);
        runner.enableControllerService(pool);
        final JsonRecordSetWriter writer = new JsonRecordSetWriter();
        runner.addControllerService("writer", writer);
        runner.enableControllerService(writer);
        runner.setProperty(AuditProfileStore.DBCP_SERVICE, "pool");
        runner.setProperty(AuditProfileStore.RECORD_WRITER, "writer");
        runner.setProperty(AuditProfileStore.DEFAULT_PHONE_REGION, "DE");
        runner.setProperty(AuditProfileStore.SYNC_RUNS_TABLE, "sync_runs");
        return runner;
    }

    @BeforeEach
    void setUp() throws SQLException, InitializationException {
        database.clear();
        pool = new Pool();
        runner = auditRunner(pool);
        runner.setProperty("crm", "2 hours");
        runner.setProperty("ftp", "26 hours");
    }

    /** Two duplicates of one person (three ids), a withdrawal after the profile was stored, a suppressed profile, a stale feed. */
    private static void seed() throws SQLException {
        granted("c1", "ann.lee@gmail.com", null);
        granted("c2", "annlee+shop@googlemail.com", "+49 30 55501987");
        granted("c3", "a.lee@example.org", "030 55501987");
        granted("c4", "bob@example.org", null);
        granted("c5", "carla@example.org", null);
        database.consent("c4-key", "email_marketing", "WITHDRAWN", DECIDED.plusSeconds(3600));
        database.suppress("c5-key");
        granted("c6", "dirk@example.org", null);
        final Instant now = Instant.now();
        database.syncRun("crm", now.minus(Duration.ofMinutes(10)), now.minus(Duration.ofMinutes(20)));
        database.syncRun("ftp", now.minus(Duration.ofHours(40)), now.minus(Duration.ofHours(41)));
    }

    private static void granted(final String id, final String email, final String phone) throws SQLException {
        database.profile(id, id + "-key", email, phone);
        database.consent(id + "-key", "email_marketing", "GRANTED", DECIDED);
    }

    private static List<JsonNode> records(final MockFlowFile flowFile) throws IOException {
        final List<JsonNode> records = new ArrayList<>();
        JSON.readTree(flowFile.getContent()).forEach(records::add);
        return records;
    }

    @Test
    void reportOnlyWritesOneAuditRecordWithCountsAndNoPersonalData() throws Exception {
        seed();
        runner.run();
        runner.assertTransferCount(AuditProfileStore.REL_AUDIT, 1);
        runner.assertTransferCount(AuditProfileStore.REL_MERGES, 0);
        runner.assertTransferCount(AuditProfileStore.REL_VIOLATIONS, 0);
        final MockFlowFile flowFile = runner.getFlowFilesForRelationship(AuditProfileStore.REL_AUDIT).getFirst();
        final JsonNode audit = records(flowFile).getFirst();
        assertEquals("FAIL", audit.get("status").asText());
        assertFalse(audit.get("repair").asBoolean());
        assertEquals(6, audit.get("profiles_scanned").asLong());
        assertEquals(6, audit.get("profiles_in_use").asLong());
        assertEquals(1, audit.get("duplicate_groups").asLong());
        assertEquals(2, audit.get("duplicate_ids").asLong());
        assertEquals(2, audit.get("consent_violations").asLong());
        assertEquals(1, audit.get("suppressed_in_use").asLong());
        assertEquals(Map.of("SUPPRESSED", 1, "WITHDRAWN", 1),
                JSON.convertValue(JSON.readTree(audit.get("violations_by_reason").asText()), TreeMap.class));
        assertEquals(2, audit.get("sources_checked").asLong());
        assertEquals(1, audit.get("stale_sources").asLong());
        assertEquals("ftp", audit.get("stale_source_names").asText());
        final JsonNode freshness = JSON.readTree(audit.get("freshness").asText());
        assertEquals("crm", freshness.get(0).get("source").asText());
        assertFalse(freshness.get(0).get("stale").asBoolean());
        assertEquals(7200, freshness.get(0).get("sla_seconds").asLong());
        assertTrue(freshness.get(1).get("stale").asBoolean());
        assertTrue(Instant.parse(audit.get("finished_at").asText()).compareTo(Instant.parse(audit.get("started_at").asText())) >= 0);

        // the random audit_id is hex and may hold "c4" by chance; every other field is checked as written
        final com.fasterxml.jackson.databind.node.ObjectNode withoutId = ((com.fasterxml.jackson.databind.node.ObjectNode) audit.deepCopy());
        withoutId.remove("audit_id");
        final String content = withoutId.toString();
        for (final String personal : List.of("@", "c1", "c2", "c4", "c5", "+49", "55501987", "-key")) {
            assertFalse(content.contains(personal), "the audit record must not carry " + personal);
        }
        flowFile.assertAttributeEquals(AuditProfileStore.STATUS_ATTRIBUTE, "FAIL");
        flowFile.assertAttributeEquals(AuditProfileStore.VIOLATIONS_ATTRIBUTE, "2");
        flowFile.assertAttributeEquals(AuditProfileStore.DUPLICATE_IDS_ATTRIBUTE, "2");
        flowFile.assertAttributeEquals(AuditProfileStore.STALE_SOURCES_ATTRIBUTE, "1");
        flowFile.assertAttributeEquals("record.count", "1");

        assertEquals(6, runner.getCounterValue(AuditProfileStore.COUNTER_PROFILES));
        assertEquals(2, runner.getCounterValue(AuditProfileStore.COUNTER_VIOLATIONS));
        assertEquals(2, runner.getCounterValue(AuditProfileStore.COUNTER_DUPLICATE_IDS));
        assertEquals(1, runner.getCounterValue(AuditProfileStore.COUNTER_STALE));

        final List<String> warnings = runner.getLogger().getWarnMessages().stream().map(LogMessage::getMsg).toList();
        final List<String> errors = runner.getLogger().getErrorMessages().stream().map(LogMessage::getMsg).toList();
        assertTrue(warnings.stream().anyMatch(m -> m.contains("Freshness check failed") && m.contains("ftp")), warnings.toString());
        assertTrue(warnings.stream().anyMatch(m -> m.contains("Duplicate check failed")), warnings.toString());
        assertEquals(1, errors.size(), errors.toString());
        assertTrue(errors.getFirst().contains("Consent check failed"));
        for (final String message : concat(warnings, errors)) {
            // The component's own random id prefixes every message and may contain "c4" by chance: check the rest.
            final String text = message.replaceFirst("^AuditProfileStore\\[id=[0-9a-f-]+\\] ", "");
            assertFalse(text.contains("@") || text.contains("c4") || text.contains("-key"), message);
        }
        assertEquals(1, runner.getProvenanceEvents().size());
    }

    private static List<String> concat(final List<String> a, final List<String> b) {
        final List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    @Test
    void aCleanTablePassesWithoutBulletins() throws Exception {
        granted("c1", "ann@example.org", null);
        database.syncRun("crm", Instant.now(), null);
        database.syncRun("ftp", Instant.now(), null);
        runner.run();
        final JsonNode audit = records(runner.getFlowFilesForRelationship(AuditProfileStore.REL_AUDIT).getFirst()).getFirst();
        assertEquals("PASS", audit.get("status").asText());
        assertTrue(audit.get("stale_source_names").isNull());
        assertTrue(runner.getLogger().getWarnMessages().isEmpty());
        assertTrue(runner.getLogger().getErrorMessages().isEmpty());
    }

    @Test
    void repairEmitsTheMergesInCustomerDedupsShapeAndTheViolatingIds() throws Exception {
        seed();
        runner.setProperty(AuditProfileStore.REPAIR_MODE, AuditProfileStore.RepairMode.EMIT_REPAIRS);
        runner.run();
        runner.assertTransferCount(AuditProfileStore.REL_AUDIT, 1);
        final List<JsonNode> merges = records(runner.getFlowFilesForRelationship(AuditProfileStore.REL_MERGES).getFirst());
        assertEquals(List.of("c2>c1", "c3>c1"), merges.stream()
                .map(m -> m.get(CustomerDedup.MERGE_OLD_ID_FIELD).asText() + ">" + m.get(CustomerDedup.MERGE_SURVIVING_ID_FIELD).asText()).toList());
        assertEquals("stored profiles linked by email, phone", merges.getFirst().get(CustomerDedup.MERGE_REASON_FIELD).asText());
        final MockFlowFile violationsFlowFile = runner.getFlowFilesForRelationship(AuditProfileStore.REL_VIOLATIONS).getFirst();
        violationsFlowFile.assertAttributeEquals("record.count", "2");
        final List<JsonNode> violations = records(violationsFlowFile);
        assertEquals(List.of("c4:WITHDRAWN:false", "c5:SUPPRESSED:true"), violations.stream()
                .map(v -> v.get("customer_id").asText() + ":" + v.get("reason").asText() + ":" + v.get("suppressed").asBoolean()).toList());
        final JsonNode audit = records(runner.getFlowFilesForRelationship(AuditProfileStore.REL_AUDIT).getFirst()).getFirst();
        assertTrue(audit.get("repair").asBoolean());
        assertEquals(2, audit.get("merges_emitted").asLong());
        assertEquals(2, audit.get("violations_emitted").asLong());
        assertEquals(3, runner.getProvenanceEvents().size());
    }

    @Test
    void aMergeTouchingAViolatingProfileWaitsUntilTheViolationIsRepaired() throws Exception {
        seed();
        // c7 shares the withdrawn c4's email: one group, c4 survives (smallest id), and c4 is a violator
        granted("c7", "bob@example.org", null);
        runner.setProperty(AuditProfileStore.REPAIR_MODE, AuditProfileStore.RepairMode.EMIT_REPAIRS);
        runner.run();
        assertEquals(List.of("c2>c1", "c3>c1"), mergePairs(), "c7>c4 held back");
        JsonNode audit = records(runner.getFlowFilesForRelationship(AuditProfileStore.REL_AUDIT).getFirst()).getFirst();
        assertEquals(3, audit.get("duplicate_ids").asLong(), "still reported");
        assertEquals(2, audit.get("merges_emitted").asLong());
        assertEquals(List.of("c4", "c5"), records(runner.getFlowFilesForRelationship(AuditProfileStore.REL_VIOLATIONS).getFirst()).stream()
                .map(v -> v.get("customer_id").asText()).toList());

        // c4 anonymised as the template does: nothing links it to c7 any more, so no merge for either, ever
        database.execute("UPDATE customer_profiles SET email = NULL, phone = NULL, subject_key = customer_id WHERE customer_id = 'c4'");
        runner.clearTransferState();
        runner.run();
        assertEquals(List.of("c2>c1", "c3>c1"), mergePairs());
        audit = records(runner.getFlowFilesForRelationship(AuditProfileStore.REL_AUDIT).getFirst()).getFirst();
        assertEquals(2, audit.get("duplicate_ids").asLong());
    }

    private List<String> mergePairs() throws IOException {
        return records(runner.getFlowFilesForRelationship(AuditProfileStore.REL_MERGES).getFirst()).stream()
                .map(m -> m.get(CustomerDedup.MERGE_OLD_ID_FIELD).asText() + ">" + m.get(CustomerDedup.MERGE_SURVIVING_ID_FIELD).asText()).toList();
    }

    @Test
    void moreFindingsThanTheRepairLimitEmitNoRepairAtAll() throws Exception {
        seed();
        runner.setProperty(AuditProfileStore.REPAIR_MODE, AuditProfileStore.RepairMode.EMIT_REPAIRS);
        runner.setProperty(AuditProfileStore.MAX_REPAIRS, "1");
        runner.run();
        runner.assertTransferCount(AuditProfileStore.REL_AUDIT, 1);
        runner.assertTransferCount(AuditProfileStore.REL_MERGES, 0);
        runner.assertTransferCount(AuditProfileStore.REL_VIOLATIONS, 0);
        final JsonNode audit = records(runner.getFlowFilesForRelationship(AuditProfileStore.REL_AUDIT).getFirst()).getFirst();
        assertEquals(0, audit.get("merges_emitted").asLong());
        assertEquals(0, audit.get("violations_emitted").asLong());
        assertEquals(2, audit.get("consent_violations").asLong());
        assertTrue(runner.getLogger().getErrorMessages().stream().anyMatch(m -> m.getMsg().contains("Repair withheld")));
    }

    @Test
    void anOutageWritesNothingAndYields() throws Exception {
        seed();
        runner.setProperty(AuditProfileStore.REPAIR_MODE, AuditProfileStore.RepairMode.EMIT_REPAIRS);
        pool.down = true;
        runner.run();
        runner.assertTransferCount(AuditProfileStore.REL_AUDIT, 0);
        runner.assertTransferCount(AuditProfileStore.REL_MERGES, 0);
        runner.assertTransferCount(AuditProfileStore.REL_VIOLATIONS, 0);
        assertEquals(1, runner.getCounterValue(AuditProfileStore.COUNTER_FAILED_RUNS));
        final List<LogMessage> errors = runner.getLogger().getErrorMessages();
        assertEquals(1, errors.size());
        assertTrue(errors.getFirst().getMsg().contains("wrote no audit record"), errors.getFirst().getMsg());
        assertTrue(runner.getProvenanceEvents().isEmpty());

        pool.down = false;
        runner.clearTransferState();
        runner.run();
        runner.assertTransferCount(AuditProfileStore.REL_AUDIT, 1);
    }

    @Test
    void aMissingTableFailsTheRunWithoutQuotingAnything() throws Exception {
        runner.setProperty(AuditProfileStore.PROFILE_TABLE, "no_such_profiles");
        runner.run();
        runner.assertTransferCount(AuditProfileStore.REL_AUDIT, 0);
        final String message = runner.getLogger().getErrorMessages().getFirst().getMsg();
        assertTrue(message.contains("42P01"), message);
    }

    @Test
    void aConsentStoreWithTwoRowsPerSubjectFailsTheRunClosed() throws Exception {
        seed();
        runner.setProperty(AuditProfileStore.CONSENT_TABLE, "consent");
        runner.setProperty(AuditProfileStore.PURPOSES, "email_marketing");
        database.consent("c1-key", "analytics", "GRANTED", DECIDED);
        runner.run();
        runner.assertTransferCount(AuditProfileStore.REL_AUDIT, 0);
        assertEquals(1, runner.getCounterValue(AuditProfileStore.COUNTER_FAILED_RUNS));
        final String message = runner.getLogger().getErrorMessages().getFirst().getMsg();
        assertTrue(message.contains("AmbiguousKeyException"), message);
        assertFalse(message.contains("c1-key"), message);
    }

    @Test
    void hostileOrIncompleteSettingsAreInvalid() {
        runner.assertValid();
        runner.setProperty(AuditProfileStore.PROFILE_TABLE, "customer_profiles; DROP TABLE consent");
        runner.assertNotValid();
        runner.setProperty(AuditProfileStore.PROFILE_TABLE, "customer_profiles");
        runner.setProperty(AuditProfileStore.CUSTOMER_ID_COLUMN, "id OR 1=1");
        runner.assertNotValid();
        runner.setProperty(AuditProfileStore.CUSTOMER_ID_COLUMN, "customer_id");
        runner.setProperty("crm", "soon");
        runner.assertNotValid();
        runner.setProperty("crm", "2 hours");
        runner.removeProperty(AuditProfileStore.SYNC_RUNS_TABLE);
        runner.assertNotValid();
        runner.removeProperty("crm");
        runner.removeProperty("ftp");
        runner.assertValid();
    }
}
