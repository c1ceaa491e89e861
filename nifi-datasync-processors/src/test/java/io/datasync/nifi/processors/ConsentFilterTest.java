package io.datasync.nifi.processors;

import io.datasync.nifi.processors.common.RunnerLogs;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.iabtcf.encoder.TCStringEncoder;
import org.apache.nifi.provenance.ProvenanceEventRecord;
import org.apache.nifi.provenance.ProvenanceEventType;
import org.apache.nifi.reporting.InitializationException;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConsentFilterTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    private static final String T_OLD = NOW.minus(Duration.ofDays(30)).toString();
    private static final String T_MID = NOW.minus(Duration.ofDays(20)).toString();
    private static final String T_NEW = NOW.minus(Duration.ofDays(10)).toString();

    private TestRunner runner;
    private InMemoryConsentLookupService store;

    @BeforeEach
    void setUp() throws InitializationException {
        runner = TestRunners.newTestRunner(ConsentFilter.class);
        JsonRecordServices.configure(runner, ConsentFilter.RECORD_READER.getName(), ConsentFilter.RECORD_WRITER.getName());
        runner.setProperty(ConsentFilter.PURPOSES, "email_marketing");
        store = new InMemoryConsentLookupService();
    }

    private void useStore() throws InitializationException {
        runner.addControllerService("consent-store", store);
        runner.enableControllerService(store);
        runner.setProperty(ConsentFilter.LOOKUP_SERVICE, "consent-store");
        runner.setProperty(ConsentFilter.SUBJECT_KEY_PATH, "toLowerCase(trim(/email))");
    }

    private void useRecordConsent() {
        runner.setProperty(ConsentFilter.CONSENT_STATUS_PATH, "/consent");
        runner.setProperty(ConsentFilter.CONSENT_TIMESTAMP_PATH, "/consent_at");
    }

    private static List<Map<String, Object>> records(final MockFlowFile flowFile) throws IOException {
        return JSON.readValue(flowFile.getContent(), new TypeReference<>() { });
    }

    private List<Map<String, Object>> recordsOf(final String relationship) throws IOException {
        final List<MockFlowFile> flowFiles = runner.getFlowFilesForRelationship(relationship);
        assertEquals(1, flowFiles.size(), "one FlowFile on " + relationship);
        return records(flowFiles.getFirst());
    }

    private static List<Object> field(final List<Map<String, Object>> records, final String name) {
        return records.stream().map(record -> record.get(name)).collect(Collectors.toList());
    }

    private void assertNoPersonalDataLogged(final String... values) {
        for (final String text : RunnerLogs.lines(runner, false)) {
            for (final String value : values) {
                assertFalse(text.contains(value), "log message must not contain personal data: " + text);
            }
        }
    }

    @Test
    void recordFieldsAloneDecideWithReasons() throws IOException {
        useRecordConsent();
        runner.enqueue("""
                [{"id": 1, "email": "a@example.com", "consent": "granted", "consent_at": "%s"},
                 {"id": 2, "email": "b@example.com", "consent": "opt-out", "consent_at": "%s"},
                 {"id": 3, "email": "c@example.com", "consent": "Withdrawn", "consent_at": "%s"},
                 {"id": 4, "email": "d@example.com"},
                 {"id": 5, "email": "e@example.com", "consent": true},
                 {"id": 6, "email": "f@example.com", "consent": "pending", "consent_at": "%s"}]
                """.formatted(T_NEW, T_NEW, T_NEW, T_NEW));
        runner.run();

        runner.assertTransferCount(ConsentFilter.REL_SUCCESS, 1);
        runner.assertTransferCount(ConsentFilter.REL_EXCLUDED, 1);
        runner.assertTransferCount(ConsentFilter.REL_FAILURE, 0);
        final List<Map<String, Object>> allowed = recordsOf("success");
        assertEquals(List.of(1, 5), field(allowed, "id"));
        assertEquals(List.of("allowed", "allowed"), field(allowed, "consent_decision"));
        assertEquals(List.of("GRANTED", "GRANTED"), field(allowed, "consent_reason"));

        final List<Map<String, Object>> excluded = recordsOf("excluded");
        assertEquals(List.of(2, 3, 4, 6), field(excluded, "id"));
        assertEquals(List.of("DENIED", "WITHDRAWN", "NO_CONSENT_RECORD", "PENDING"), field(excluded, "consent_reason"));
        assertEquals(List.of("excluded", "excluded", "excluded", "excluded"), field(excluded, "consent_decision"));

        final MockFlowFile success = runner.getFlowFilesForRelationship(ConsentFilter.REL_SUCCESS).getFirst();
        success.assertAttributeEquals("record.count", "2");
        success.assertAttributeEquals(ConsentFilter.ATTR_ALLOWED_COUNT, "2");
        success.assertAttributeEquals(ConsentFilter.ATTR_EXCLUDED_COUNT, "4");
        success.assertAttributeEquals(ConsentFilter.ATTR_DROPPED_COUNT, "0");
        success.assertAttributeEquals("mime.type", "application/json");
        runner.getFlowFilesForRelationship(ConsentFilter.REL_EXCLUDED).getFirst().assertAttributeEquals("record.count", "4");

        assertEquals(2L, runner.getCounterValue("ConsentFilter records GRANTED"));
        assertEquals(1L, runner.getCounterValue("ConsentFilter records WITHDRAWN"));
        assertEquals(1L, runner.getCounterValue("ConsentFilter records NO_CONSENT_RECORD"));

        final List<ProvenanceEventRecord> routes = runner.getProvenanceEvents().stream()
                .filter(event -> event.getEventType() == ProvenanceEventType.ROUTE).toList();
        assertEquals(2, routes.size());
        assertTrue(routes.getFirst().getDetails().startsWith("2 allowed, 4 excluded, 0 anonymized, 0 dropped"), routes.getFirst().getDetails());
        assertNoPersonalDataLogged("a@example.com", "b@example.com", "c@example.com", "d@example.com");
    }

    @Test
    void perPurposeConsentInTheRecord() throws IOException {
        runner.setProperty(ConsentFilter.PURPOSES, "email_marketing, personalisation");
        useRecordConsent();
        runner.enqueue("""
                [{"id": 1, "consent": {"email_marketing": "yes", "personalisation": 1}, "consent_at": "%s"},
                 {"id": 2, "consent": {"email_marketing": "yes", "personalisation": "no"}, "consent_at": "%s"},
                 {"id": 3, "consent": {"email_marketing": "yes"}, "consent_at": "%s"}]
                """.formatted(T_NEW, T_NEW, T_NEW));
        runner.run();

        assertEquals(List.of(1), field(recordsOf("success"), "id"));
        assertEquals(List.of("PURPOSE_DENIED", "NO_CONSENT_RECORD"), field(recordsOf("excluded"), "consent_reason"));
    }

    @Test
    void consentStoreAloneWithOneLookupPerSubject() throws Exception {
        useStore();
        store.put("a@example.com", Map.of("status", "granted", "updated_at", Timestamp.from(NOW.minus(Duration.ofDays(1)))));
        store.put("b@example.com", Map.of("status", "granted", "updated_at", T_OLD, "purposes", "{\"email_marketing\": \"denied\"}"));
        store.put("c@example.com", Map.of("updated_at", T_OLD, "purposes", "[\"personalisation\", \"email_marketing\"]"));
        runner.enqueue("""
                [{"id": 1, "email": "A@Example.com "}, {"id": 2, "email": "b@example.com"}, {"id": 3, "email": "a@example.com"},
                 {"id": 4, "email": "c@example.com"}, {"id": 5, "email": "unknown@example.com"}, {"id": 6}]
                """);
        runner.run();

        assertEquals(List.of(1, 3, 4), field(recordsOf("success"), "id"));
        final List<Map<String, Object>> excluded = recordsOf("excluded");
        assertEquals(List.of(2, 5, 6), field(excluded, "id"));
        assertEquals(List.of("PURPOSE_DENIED", "NO_CONSENT_RECORD", "NO_CONSENT_RECORD"), field(excluded, "consent_reason"));
        // a@example.com appears twice but is looked up once; record 6 has no key
        assertEquals(List.of("a@example.com", "b@example.com", "c@example.com", "unknown@example.com"), store.lookedUpKeys());
    }

    @Test
    void withdrawalInTheStoreBeatsAnOlderGrantCapturedWithTheRecord() throws Exception {
        useStore();
        useRecordConsent();
        store.put("a@example.com", Map.of("status", "withdrawn", "updated_at", T_MID));
        store.put("b@example.com", Map.of("status", "withdrawn", "updated_at", T_MID));
        store.put("c@example.com", Map.of("status", "withdrawn", "updated_at", T_MID));
        runner.enqueue("""
                [{"id": 1, "email": "a@example.com", "consent": "granted", "consent_at": "%s"},
                 {"id": 2, "email": "b@example.com", "consent": "granted", "consent_at": "%s"},
                 {"id": 3, "email": "c@example.com"}]
                """.formatted(T_OLD, T_NEW));
        runner.setProperty(ConsentFilter.JURISDICTION_PATH, "/country");
        runner.setProperty(ConsentFilter.DEFAULT_POLICY, ConsentFilter.DefaultPolicy.ALLOW_UNLESS_DENIED);
        runner.run();

        // record 2 was granted again after the withdrawal; record 3 has no grant, and even the lenient default cannot override the withdrawal
        assertEquals(List.of(2), field(recordsOf("success"), "id"));
        assertEquals(List.of(1, 3), field(recordsOf("excluded"), "id"));
        assertEquals(List.of("WITHDRAWN", "WITHDRAWN"), field(recordsOf("excluded"), "consent_reason"));
    }

    @Test
    void allRecordsOfASubjectGetTheSubjectsOneDecision() throws IOException {
        useRecordConsent();
        runner.setProperty(ConsentFilter.SUBJECT_KEY_PATH, "/email");
        runner.enqueue("""
                [{"id": 1, "email": "a@example.com", "consent": "granted", "consent_at": "%s"},
                 {"id": 2, "email": "b@example.com", "consent": "granted", "consent_at": "%s"},
                 {"id": 3, "email": "a@example.com", "consent": "withdrawn", "consent_at": "%s"},
                 {"id": 4, "email": "c@example.com", "consent": "granted", "consent_at": "%s"},
                 {"id": 5, "email": "c@example.com", "consent": "withdrawn", "consent_at": "%s"},
                 {"id": 6, "email": "c@example.com", "consent": "granted", "consent_at": "%s"}]
                """.formatted(T_OLD, T_OLD, T_MID, T_OLD, T_MID, T_NEW));
        runner.run();

        // a withdrew after granting: both of a's records are excluded; c granted again after withdrawing: all of c's records are allowed
        assertEquals(List.of(2, 4, 5, 6), field(recordsOf("success"), "id"));
        assertEquals(List.of(1, 3), field(recordsOf("excluded"), "id"));
        assertEquals(List.of("WITHDRAWN", "WITHDRAWN"), field(recordsOf("excluded"), "consent_reason"));
        assertEquals(List.of("GRANTED", "GRANTED", "GRANTED", "GRANTED"), field(recordsOf("success"), "consent_reason"));
    }

    @Test
    void theRemovedPerRecordSwitchIsMigratedAway() {
        runner.setProperty(ConsentFilter.OBSOLETE_SHARE_RESTRICTIONS, "false");
        final org.apache.nifi.util.PropertyMigrationResult result = runner.migrateProperties();
        assertTrue(result.getPropertiesRemoved().contains(ConsentFilter.OBSOLETE_SHARE_RESTRICTIONS));
        assertFalse(runner.getProcessContext().getProperties().keySet().stream()
                .anyMatch(descriptor -> descriptor.getName().equals(ConsentFilter.OBSOLETE_SHARE_RESTRICTIONS)));
        runner.assertValid();
    }

    @Test
    void equalTimestampsGoToTheMoreRestrictive() throws Exception {
        useStore();
        useRecordConsent();
        store.put("a@example.com", Map.of("status", "denied", "updated_at", T_MID));
        store.put("b@example.com", Map.of("status", "granted", "updated_at", T_MID));
        store.put("c@example.com", Map.of("status", "granted", "updated_at", T_MID));
        runner.enqueue("""
                [{"id": 1, "email": "a@example.com", "consent": "granted", "consent_at": "%s"},
                 {"id": 2, "email": "b@example.com", "consent": "denied", "consent_at": "%s"},
                 {"id": 3, "email": "c@example.com", "consent": "granted", "consent_at": "%s"}]
                """.formatted(T_MID, T_MID, T_MID));
        runner.run();

        assertEquals(List.of(3), field(recordsOf("success"), "id"));
        assertEquals(List.of("DENIED", "DENIED"), field(recordsOf("excluded"), "consent_reason"));
    }

    @Test
    void expiredConsent() throws IOException {
        useRecordConsent();
        runner.setProperty(ConsentFilter.MAX_CONSENT_AGE, "15 days");
        runner.enqueue("""
                [{"id": 1, "consent": "granted", "consent_at": "%s"}, {"id": 2, "consent": "granted", "consent_at": "%s"},
                 {"id": 3, "consent": "granted"}]
                """.formatted(T_NEW, T_MID));
        runner.run();

        assertEquals(List.of(1), field(recordsOf("success"), "id"));
        assertEquals(List.of("EXPIRED", "EXPIRED"), field(recordsOf("excluded"), "consent_reason"));
    }

    @Test
    void jurisdictionRules() throws IOException {
        runner.setProperty(ConsentFilter.JURISDICTION_PATH, "/region");
        runner.setProperty(ConsentFilter.OPT_OUT_JURISDICTIONS, "US-CA, US-CO");
        useRecordConsent();
        runner.enqueue("""
                [{"id": 1, "region": "DE"}, {"id": 2, "region": "us-ca"}, {"id": 3, "region": "BR"}, {"id": 4},
                 {"id": 5, "region": "US-CO", "consent": "no", "consent_at": "%s"}, {"id": 6, "region": "FR", "consent": "granted", "consent_at": "%s"},
                 {"id": 7, "region": "GB"}]
                """.formatted(T_NEW, T_NEW));
        runner.run();

        final List<Map<String, Object>> allowed = recordsOf("success");
        assertEquals(List.of(2, 6), field(allowed, "id"));
        assertEquals(List.of("JURISDICTION_DEFAULT", "GRANTED"), field(allowed, "consent_reason"));
        final List<Map<String, Object>> excluded = recordsOf("excluded");
        assertEquals(List.of(1, 3, 4, 5, 7), field(excluded, "id"));
        assertEquals(List.of("NO_CONSENT_RECORD", "NO_CONSENT_RECORD", "NO_CONSENT_RECORD", "DENIED", "NO_CONSENT_RECORD"), field(excluded, "consent_reason"));
    }

    @Test
    void defaultPolicyAllowUnlessDenied() throws IOException {
        runner.setProperty(ConsentFilter.JURISDICTION_PATH, "/region");
        runner.setProperty(ConsentFilter.DEFAULT_POLICY, ConsentFilter.DefaultPolicy.ALLOW_UNLESS_DENIED);
        runner.enqueue("[{\"id\": 1, \"region\": \"BR\"}, {\"id\": 2}, {\"id\": 3, \"region\": \"DE\"}]");
        runner.run();

        assertEquals(List.of(1, 2), field(recordsOf("success"), "id"));
        assertEquals(List.of(3), field(recordsOf("excluded"), "id"));
    }

    @Test
    void globalPrivacyControlAndUsPrivacyOptOut() throws IOException {
        runner.setProperty(ConsentFilter.JURISDICTION_PATH, "/region");
        runner.setProperty(ConsentFilter.OPT_OUT_JURISDICTIONS, "US");
        runner.setProperty(ConsentFilter.GPC_PATH, "/gpc");
        runner.setProperty(ConsentFilter.US_PRIVACY_PATH, "/usp");
        useRecordConsent();
        runner.enqueue("""
                [{"id": 1, "region": "US-CA", "gpc": true}, {"id": 2, "region": "US-CA", "gpc": false, "usp": "1YNN"},
                 {"id": 3, "region": "US-TX", "usp": "1YYN"}, {"id": 4, "region": "US-CA", "gpc": "1", "consent": "granted", "consent_at": "%s"},
                 {"id": 5, "region": "US-CA", "consent": "granted", "consent_at": "%s", "gpc": true, "usp": "bogus"}]
                """.formatted(T_NEW, T_NEW));
        runner.run();

        final List<Map<String, Object>> allowed = recordsOf("success");
        assertEquals(List.of(2), field(allowed, "id"));
        assertEquals(List.of("JURISDICTION_DEFAULT"), field(allowed, "consent_reason"));
        // the GPC flag travels with the capture, so it is as new as the record's grant and, being more restrictive, wins
        assertEquals(List.of("GPC", "US_PRIVACY_OPT_OUT", "GPC", "GPC"), field(recordsOf("excluded"), "consent_reason"));
        assertEquals(1L, runner.getCounterValue("ConsentFilter invalid consent signals"));
    }

    @Test
    void realTcStringDecoded() throws IOException {
        runner.setProperty(ConsentFilter.PURPOSES, "email_marketing, personalisation");
        runner.setProperty(ConsentFilter.TC_STRING_PATH, "/tcf");
        runner.setProperty(ConsentFilter.TCF_PURPOSE_MAPPING, "email_marketing=1; personalisation=1 3 4");
        final Instant updated = NOW.minus(Duration.ofDays(2)).truncatedTo(ChronoUnit.DAYS);
        final String allPurposes = tcString(updated, 1, 3, 4);
        final String noPersonalisation = tcString(updated, 1, 3);
        runner.enqueue("""
                [{"id": 1, "tcf": "%s"}, {"id": 2, "tcf": "%s"}, {"id": 3, "tcf": "not-a-tc-string"}]
                """.formatted(allPurposes, noPersonalisation));
        runner.run();

        assertEquals(List.of(1), field(recordsOf("success"), "id"));
        // an unreadable TC string is a denial with its own reason, never "no signal" (issue 14)
        assertEquals(List.of("PURPOSE_DENIED", "MALFORMED_TC_STRING"), field(recordsOf("excluded"), "consent_reason"));
        assertEquals(Arrays.asList(null, "MALFORMED_TC_STRING"), field(recordsOf("excluded"), "consent_warning"));
        assertEquals(1L, runner.getCounterValue("ConsentFilter invalid consent signals"));
    }

    @Test
    void tcStringCombinedWithANewerStoreWithdrawal() throws Exception {
        useStore();
        runner.setProperty(ConsentFilter.TC_STRING_PATH, "/tcf");
        runner.setProperty(ConsentFilter.TCF_PURPOSE_MAPPING, "email_marketing=1");
        final String tc = tcString(NOW.minus(Duration.ofDays(30)).truncatedTo(ChronoUnit.DAYS), 1);
        store.put("a@example.com", Map.of("status", "withdrawn", "updated_at", T_NEW));
        runner.enqueue("[{\"id\": 1, \"email\": \"a@example.com\", \"tcf\": \"%s\"}, {\"id\": 2, \"email\": \"b@example.com\", \"tcf\": \"%s\"}]"
                .formatted(tc, tc));
        runner.run();

        assertEquals(List.of(2), field(recordsOf("success"), "id"));
        assertEquals(List.of("WITHDRAWN"), field(recordsOf("excluded"), "consent_reason"));
    }

    private static String tcString(final Instant updated, final int... purposes) {
        final TCStringEncoder.Builder builder = TCStringEncoder.newBuilder().version(2).created(updated).lastUpdated(updated)
                .cmpId(300).cmpVersion(1).consentScreen(1).consentLanguage("EN").vendorListVersion(80).tcfPolicyVersion(4).publisherCC("DE");
        for (final int purpose : purposes) {
            builder.addPurposesConsent(purpose);
        }
        return builder.encode();
    }

    @Test
    void dropActionCountsAndReportsTheDrop() throws IOException {
        useRecordConsent();
        runner.setProperty(ConsentFilter.DISALLOWED_ACTION, ConsentFilter.DisallowedAction.DROP);
        runner.enqueue("[{\"id\": 1, \"consent\": \"yes\"}, {\"id\": 2, \"consent\": \"no\"}, {\"id\": 3}]");
        runner.run();

        runner.assertTransferCount(ConsentFilter.REL_EXCLUDED, 0);
        final MockFlowFile success = runner.getFlowFilesForRelationship(ConsentFilter.REL_SUCCESS).getFirst();
        assertEquals(List.of(1), field(records(success), "id"));
        success.assertAttributeEquals(ConsentFilter.ATTR_DROPPED_COUNT, "2");
        assertTrue(runner.getProvenanceEvents().stream().anyMatch(event -> event.getEventType() == ProvenanceEventType.ROUTE
                && event.getDetails().contains("2 dropped")));
    }

    @Test
    void allRecordsDroppedEmitsNothing() {
        runner.setProperty(ConsentFilter.DISALLOWED_ACTION, ConsentFilter.DisallowedAction.DROP);
        runner.enqueue("[{\"id\": 1}, {\"id\": 2}]");
        runner.run();

        runner.assertTransferCount(ConsentFilter.REL_SUCCESS, 0);
        runner.assertTransferCount(ConsentFilter.REL_EXCLUDED, 0);
        runner.assertTransferCount(ConsentFilter.REL_FAILURE, 0);
        runner.assertQueueEmpty();
        assertEquals(2L, runner.getCounterValue("ConsentFilter records NO_CONSENT_RECORD"));
    }

    private void anonymizeWith(final ConsentFilter.AnonymizationMethod method, final String key) {
        runner.setProperty(ConsentFilter.DISALLOWED_ACTION, ConsentFilter.DisallowedAction.ANONYMIZE);
        runner.setProperty(ConsentFilter.ANONYMIZED_FIELDS, "/email, /phone, /address/street");
        runner.setProperty(ConsentFilter.ANONYMIZATION_METHOD, method);
        if (key != null) {
            runner.setProperty(ConsentFilter.HASH_KEY, key);
        }
    }

    private static final String PERSONAL = """
            [{"id": 1, "email": "ada@example.com", "phone": 447700900123, "address": {"street": "1 Main St", "city": "Leeds"}, "consent": "granted"},
             {"id": 2, "email": "bob@example.com", "phone": 447700900456, "address": {"street": "2 High St", "city": "York"}},
             {"id": 3, "email": "ada@example.com", "phone": 447700900123, "address": {"street": "1 Main St", "city": "Leeds"}}]
            """;

    private List<Map<String, Object>> anonymizedRun() throws IOException {
        runner.setProperty(ConsentFilter.CONSENT_STATUS_PATH, "/consent");
        runner.enqueue(PERSONAL);
        runner.run();
        runner.assertTransferCount(ConsentFilter.REL_FAILURE, 0);
        final List<Map<String, Object>> anonymized = recordsOf("anonymized");
        runner.getFlowFilesForRelationship(ConsentFilter.REL_ANONYMIZED).getFirst().assertAttributeEquals(ConsentFilter.ATTR_ANONYMIZED_COUNT, "2");
        return anonymized;
    }

    @Test
    void keyedHashIsStableAcrossRunsAndChangesWithTheKey() throws Exception {
        anonymizeWith(ConsentFilter.AnonymizationMethod.HMAC_SHA256, "a-secret-key-of-32-characters-00");
        final List<Map<String, Object>> first = anonymizedRun();
        assertEquals(List.of(2, 3), field(first, "id"));
        assertEquals(List.of("anonymized", "anonymized"), field(first, "consent_decision"));
        final String bobToken = (String) first.get(0).get("email");
        final String adaToken = (String) first.get(1).get("email");
        assertTrue(adaToken.matches("[0-9a-f]{64}"), adaToken);
        assertNotEquals(adaToken, bobToken);
        assertEquals("Leeds", ((Map<?, ?>) first.get(1).get("address")).get("city"));
        assertTrue(((String) ((Map<?, ?>) first.get(1).get("address")).get("street")).matches("[0-9a-f]{64}"));
        assertTrue(((String) first.get(1).get("phone")).matches("[0-9a-f]{64}"));
        assertEquals(List.of(1), field(recordsOf("success"), "id"));
        assertEquals("ada@example.com", recordsOf("success").getFirst().get("email"));

        // a second run, as after a restart, gives the same tokens
        setUp();
        anonymizeWith(ConsentFilter.AnonymizationMethod.HMAC_SHA256, "a-secret-key-of-32-characters-00");
        assertEquals(adaToken, anonymizedRun().get(1).get("email"));

        setUp();
        anonymizeWith(ConsentFilter.AnonymizationMethod.HMAC_SHA256, "another-secret-key-of-32-chars-1");
        assertNotEquals(adaToken, anonymizedRun().get(1).get("email"));
    }

    @Test
    void maskAndRemove() throws Exception {
        anonymizeWith(ConsentFilter.AnonymizationMethod.MASK, null);
        final List<Map<String, Object>> masked = anonymizedRun();
        assertEquals(List.of("****", "****"), field(masked, "email"));
        assertEquals(List.of("****", "****"), field(masked, "phone"));

        setUp();
        anonymizeWith(ConsentFilter.AnonymizationMethod.REMOVE, null);
        final List<Map<String, Object>> removed = anonymizedRun();
        assertFalse(removed.getFirst().containsKey("email"));
        assertFalse(removed.getFirst().containsKey("phone"));
        assertNull(((Map<?, ?>) removed.getFirst().get("address")).get("street"));
        assertEquals(2, removed.getFirst().get("id"));
    }

    @Test
    void hashKeyIsRequiredAndSensitive() {
        runner.setProperty(ConsentFilter.DISALLOWED_ACTION, ConsentFilter.DisallowedAction.ANONYMIZE);
        runner.setProperty(ConsentFilter.ANONYMIZED_FIELDS, "/email");
        runner.assertNotValid();
        runner.setProperty(ConsentFilter.HASH_KEY, "short");
        runner.assertNotValid();
        runner.setProperty(ConsentFilter.HASH_KEY, "long-enough-secret-key");
        runner.assertValid();
        assertTrue(ConsentFilter.HASH_KEY.isSensitive());
    }

    @Test
    void suppressionRecordsOnePerSubject() throws Exception {
        useStore();
        runner.setProperty(ConsentFilter.WRITE_SUPPRESSION, "true");
        store.put("a@example.com", Map.of("status", "withdrawn", "updated_at", T_MID));
        store.put("b@example.com", Map.of("status", "granted", "updated_at", T_MID));
        store.put("c@example.com", Map.of("status", "opt-out", "updated_at", T_OLD));
        runner.enqueue("""
                [{"email": "a@example.com"}, {"email": "a@example.com"}, {"email": "b@example.com"}, {"email": "c@example.com"},
                 {"email": "d@example.com"}]
                """);
        runner.run();

        final List<Map<String, Object>> suppression = recordsOf("suppression");
        assertEquals(List.of(
                Map.of("subject_key", "a@example.com", "reason", "WITHDRAWN", "timestamp", T_MID),
                Map.of("subject_key", "c@example.com", "reason", "DENIED", "timestamp", T_OLD)), suppression);
        runner.getFlowFilesForRelationship(ConsentFilter.REL_SUPPRESSION).getFirst().assertAttributeEquals(ConsentFilter.ATTR_SUPPRESSION_COUNT, "2");
        assertEquals(4, recordsOf("excluded").size());
    }

    @Test
    void suppressionAndExclusionRecordsNeedASubjectKey() throws InitializationException {
        for (final org.apache.nifi.components.PropertyDescriptor keyedOutput : List.of(ConsentFilter.WRITE_SUPPRESSION, ConsentFilter.WRITE_EXCLUSIONS)) {
            setUp();
            runner.setProperty(keyedOutput, "true");
            runner.assertNotValid();
            runner.setProperty(ConsentFilter.SUBJECT_KEY_PATH, "/email");
            runner.assertValid();
        }
    }

    @Test
    void exclusionRecordsOnePerDisallowedRecordWithAKeyWhenDropped() throws Exception {
        useStore();
        runner.setProperty(ConsentFilter.PURPOSES, "email_marketing, profiling");
        runner.setProperty(ConsentFilter.WRITE_EXCLUSIONS, "true");
        runner.setProperty(ConsentFilter.DISALLOWED_ACTION, ConsentFilter.DisallowedAction.DROP);
        store.put("a@example.com", Map.of("status", "withdrawn", "updated_at", T_MID));
        // a status without purposes stands for every purpose
        store.put("b@example.com", Map.of("status", "granted", "updated_at", T_MID));
        store.put("c@example.com", Map.of("status", "opt-out", "updated_at", T_OLD));
        runner.enqueue("""
                [{"email": "a@example.com", "name": "Ann"}, {"email": " A@example.com"}, {"email": "b@example.com"},
                 {"email": "c@example.com"}, {"email": "d@example.com"}, {"name": "no key"}, {"email": "  "}]
                """);
        runner.run();

        // one per record (a twice), the unkeyed and the blank-keyed record left out; the purposes as configured; no other field of the record
        final String purposes = "email_marketing, profiling";
        assertEquals(List.of(
                Map.of("subject_key", "a@example.com", "reason_code", "WITHDRAWN", "purpose", purposes),
                Map.of("subject_key", "a@example.com", "reason_code", "WITHDRAWN", "purpose", purposes),
                Map.of("subject_key", "c@example.com", "reason_code", "DENIED", "purpose", purposes),
                Map.of("subject_key", "d@example.com", "reason_code", "NO_CONSENT_RECORD", "purpose", purposes)), recordsOf("exclusions"));
        final MockFlowFile exclusions = runner.getFlowFilesForRelationship(ConsentFilter.REL_EXCLUSIONS).getFirst();
        exclusions.assertAttributeEquals(ConsentFilter.ATTR_EXCLUSION_COUNT, "4");
        exclusions.assertAttributeEquals(ConsentFilter.ATTR_DROPPED_COUNT, "6");
        exclusions.assertAttributeEquals("record.count", "4");
        runner.assertTransferCount(ConsentFilter.REL_EXCLUDED, 0);
        assertEquals(List.of("b@example.com"), field(recordsOf("success"), "email"));
        runner.getFlowFilesForRelationship(ConsentFilter.REL_SUCCESS).getFirst().assertAttributeEquals(ConsentFilter.ATTR_EXCLUSION_COUNT, "4");
        assertTrue(runner.getProvenanceEvents().stream().anyMatch(event -> event.getEventType() == ProvenanceEventType.ROUTE
                && event.getDetails().contains("4 exclusion records")), "the route event counts the exclusion records");
        assertNoPersonalDataLogged("a@example.com", "c@example.com", "d@example.com");
    }

    @Test
    void exclusionRecordsFollowEveryDisallowedRecordWhateverTheAction() throws Exception {
        for (final ConsentFilter.DisallowedAction action : ConsentFilter.DisallowedAction.values()) {
            setUp();
            useStore();
            runner.setProperty(ConsentFilter.WRITE_EXCLUSIONS, "true");
            runner.setProperty(ConsentFilter.DISALLOWED_ACTION, action);
            if (action == ConsentFilter.DisallowedAction.ANONYMIZE) {
                anonymizeWith(ConsentFilter.AnonymizationMethod.MASK, null);
            }
            store.put("a@example.com", Map.of("status", "withdrawn", "updated_at", T_MID));
            store.put("b@example.com", Map.of("status", "granted", "updated_at", T_MID));
            runner.enqueue("[{\"email\": \"a@example.com\"}, {\"email\": \"b@example.com\"}, {\"email\": \"e@example.com\"}]");
            runner.run();
            assertEquals(List.of("a@example.com WITHDRAWN", "e@example.com NO_CONSENT_RECORD"), recordsOf("exclusions").stream()
                    .map(record -> record.get("subject_key") + " " + record.get("reason_code")).toList(), action.name());
        }
    }

    @Test
    void noExclusionRecordsUnlessAskedForOrWhenEverythingIsAllowed() throws Exception {
        useStore();
        store.put("b@example.com", Map.of("status", "granted", "updated_at", T_MID));
        runner.enqueue("[{\"email\": \"d@example.com\"}]");
        runner.run();
        runner.assertTransferCount(ConsentFilter.REL_EXCLUSIONS, 0);
        runner.assertTransferCount(ConsentFilter.REL_EXCLUDED, 1);

        runner.clearTransferState();
        runner.setProperty(ConsentFilter.WRITE_EXCLUSIONS, "true");
        runner.enqueue("[{\"email\": \"b@example.com\"}]");
        runner.run();
        runner.assertTransferCount(ConsentFilter.REL_EXCLUSIONS, 0);
        runner.assertTransferCount(ConsentFilter.REL_SUCCESS, 1);
    }

    @Test
    void exclusionsRelationshipExistsOnlyWhenAskedFor() {
        // a flow saved without the property must stay valid: an unconnected, unterminated relationship would not
        assertFalse(runner.getProcessor().getRelationships().contains(ConsentFilter.REL_EXCLUSIONS));
        runner.setProperty(ConsentFilter.WRITE_EXCLUSIONS, "true");
        assertTrue(runner.getProcessor().getRelationships().contains(ConsentFilter.REL_EXCLUSIONS));
        runner.setProperty(ConsentFilter.WRITE_EXCLUSIONS, "false");
        assertFalse(runner.getProcessor().getRelationships().contains(ConsentFilter.REL_EXCLUSIONS));
    }

    @Test
    void lookupFailureWritesNoExclusionRecords() throws Exception {
        useStore();
        runner.setProperty(ConsentFilter.WRITE_EXCLUSIONS, "true");
        store.setFailing(true);
        runner.enqueue("[{\"email\": \"a@example.com\"}]");
        runner.run();
        runner.assertAllFlowFilesTransferred(ConsentFilter.REL_RETRY, 1);
    }

    @Test
    void lookupFailureRetriesTheWholeFlowFile() throws Exception {
        useStore();
        store.put("a@example.com", Map.of("status", "granted", "updated_at", T_MID));
        store.setFailing(true);
        runner.enqueue("[{\"email\": \"a@example.com\"}, {\"email\": \"b@example.com\"}]");
        runner.run();

        runner.assertAllFlowFilesTransferred(ConsentFilter.REL_RETRY, 1);
        final MockFlowFile retried = runner.getFlowFilesForRelationship(ConsentFilter.REL_RETRY).getFirst();
        assertTrue(retried.isPenalized());
        retried.assertAttributeEquals(ConsentFilter.ATTR_ERROR, "Consent lookup failed: LookupFailureException");
        retried.assertContentEquals("[{\"email\": \"a@example.com\"}, {\"email\": \"b@example.com\"}]");
        assertNoPersonalDataLogged("a@example.com");
        assertTrue(runner.getProvenanceEvents().stream().noneMatch(event -> event.getEventType() == ProvenanceEventType.ROUTE));
    }

    @Test
    void lookupFailureAfterSomeRecordsLeavesNoHalfWrittenOutput() throws Exception {
        useStore();
        useRecordConsent();
        final InMemoryConsentLookupService failingOnSecond = new InMemoryConsentLookupService() {
            @Override
            public java.util.Optional<org.apache.nifi.serialization.record.Record> lookup(final Map<String, Object> coordinates)
                    throws org.apache.nifi.lookup.LookupFailureException {
                if ("b@example.com".equals(coordinates.get("key"))) {
                    throw new IllegalStateException("timeout");
                }
                return super.lookup(coordinates);
            }
        };
        runner.disableControllerService(store);
        runner.removeControllerService(store);
        runner.addControllerService("consent-store", failingOnSecond);
        runner.enableControllerService(failingOnSecond);
        runner.enqueue("[{\"email\": \"a@example.com\", \"consent\": \"yes\"}, {\"email\": \"b@example.com\", \"consent\": \"yes\"}]");
        runner.run();

        runner.assertAllFlowFilesTransferred(ConsentFilter.REL_RETRY, 1);
        runner.getFlowFilesForRelationship(ConsentFilter.REL_RETRY).getFirst().assertAttributeEquals(ConsentFilter.ATTR_ERROR,
                "Consent lookup failed: IllegalStateException");
    }

    @Test
    void malformedInputGoesToFailureUnchanged() {
        useRecordConsent();
        runner.enqueue("[{\"id\": 1, \"consent\": \"yes\"}, {\"id\": 2, \"email\": \"ada@exa");
        runner.run();

        runner.assertAllFlowFilesTransferred(ConsentFilter.REL_FAILURE, 1);
        final MockFlowFile failed = runner.getFlowFilesForRelationship(ConsentFilter.REL_FAILURE).getFirst();
        assertTrue(failed.isPenalized());
        assertTrue(failed.getAttribute(ConsentFilter.ATTR_ERROR).startsWith("Records could not be read or written"));
        failed.assertContentEquals("[{\"id\": 1, \"consent\": \"yes\"}, {\"id\": 2, \"email\": \"ada@exa");
        assertNoPersonalDataLogged("ada@exa");
    }

    @Test
    void emptyInputEmitsNothing() {
        runner.enqueue("[]");
        runner.run();

        runner.assertTransferCount(ConsentFilter.REL_SUCCESS, 0);
        runner.assertTransferCount(ConsentFilter.REL_EXCLUDED, 0);
        runner.assertTransferCount(ConsentFilter.REL_FAILURE, 0);
        runner.assertQueueEmpty();
    }

    @Test
    void decisionFieldsCanBeRenamedOrLeftOut() throws IOException {
        useRecordConsent();
        runner.setProperty(ConsentFilter.DECISION_FIELD, "gdpr_decision");
        runner.setProperty(ConsentFilter.REASON_FIELD, "gdpr_reason");
        runner.setProperty(ConsentFilter.WARNING_FIELD, "gdpr_warning");
        runner.enqueue("[{\"id\": 1, \"consent\": \"yes\"}, {\"id\": 2, \"consent\": \"yes please\"}]");
        runner.run();
        final Map<String, Object> expected = new HashMap<>(Map.of("id", 1, "consent", "yes", "gdpr_decision", "allowed", "gdpr_reason", "GRANTED"));
        expected.put("gdpr_warning", null);
        assertEquals(expected, recordsOf("success").getFirst());
        assertEquals(Map.of("id", 2, "consent", "yes please", "gdpr_decision", "excluded", "gdpr_reason", "NO_CONSENT_RECORD",
                "gdpr_warning", "UNRECOGNISED_STATUS"), recordsOf("excluded").getFirst());

        runner.clearTransferState();
        runner.setProperty(ConsentFilter.ADD_DECISION_FIELDS, "false");
        runner.enqueue("[{\"id\": 1, \"consent\": \"yes\"}]");
        runner.run();
        assertEquals(Map.of("id", 1, "consent", "yes"), recordsOf("success").getFirst());
    }

    @Test
    void tcfMappingMustCoverAConfiguredPurpose() {
        runner.setProperty(ConsentFilter.TC_STRING_PATH, "/tcf");
        runner.assertNotValid();
        runner.setProperty(ConsentFilter.TCF_PURPOSE_MAPPING, "personalisation=1 3");
        runner.assertNotValid();
        runner.setProperty(ConsentFilter.TCF_PURPOSE_MAPPING, "email_marketing=1; personalisation=1 3");
        runner.assertValid();
        runner.setProperty(ConsentFilter.TCF_PURPOSE_MAPPING, "email_marketing=99");
        runner.assertNotValid();
    }

    @Test
    void lookupServiceNeedsASubjectKey() throws InitializationException {
        runner.addControllerService("consent-store", store);
        runner.enableControllerService(store);
        runner.setProperty(ConsentFilter.LOOKUP_SERVICE, "consent-store");
        runner.assertNotValid();
    }
}
