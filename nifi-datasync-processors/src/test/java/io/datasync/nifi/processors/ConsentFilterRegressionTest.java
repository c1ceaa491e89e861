package io.datasync.nifi.processors;

import io.datasync.nifi.processors.common.ConsentValueLists;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.iabtcf.encoder.PublisherRestrictionEntry;
import com.iabtcf.encoder.TCStringEncoder;
import com.iabtcf.v2.RestrictionType;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every defect listed at the top of issue 14, each as it was reported, run through ConsentFilter (and
 * ProfileMerge where the defect was there).
 */
class ConsentFilterRegressionTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TestRunner runner;
    private InMemoryConsentLookupService store;

    @BeforeEach
    void setUp() throws Exception {
        runner = TestRunners.newTestRunner(ConsentFilter.class);
        JsonRecordServices.configure(runner, ConsentFilter.RECORD_READER.getName(), ConsentFilter.RECORD_WRITER.getName());
        runner.setProperty(ConsentFilter.PURPOSES, "email_marketing");
        runner.setProperty(ConsentFilter.SUBJECT_KEY_PATH, "/email");
        runner.setProperty(ConsentFilter.CONSENT_STATUS_PATH, "/consent");
        runner.setProperty(ConsentFilter.CONSENT_TIMESTAMP_PATH, "/consent_updated_at");
        runner.setProperty(ConsentFilter.JURISDICTION_PATH, "/region");
        runner.setProperty(ConsentFilter.OPT_OUT_JURISDICTIONS, "US-CA");
        store = new InMemoryConsentLookupService();
    }

    private void useStore() throws Exception {
        runner.addControllerService("consent-store", store);
        runner.enableControllerService(store);
        runner.setProperty(ConsentFilter.LOOKUP_SERVICE, "consent-store");
    }

    private Map<Object, String> reasonsById(final String json) throws Exception {
        runner.enqueue(json);
        runner.run();
        runner.assertTransferCount(ConsentFilter.REL_FAILURE, 0);
        final Map<Object, String> reasons = new java.util.TreeMap<>();
        for (final String relationship : List.of("success", "excluded")) {
            for (final MockFlowFile flowFile : runner.getFlowFilesForRelationship(relationship)) {
                for (final Map<String, Object> record : records(flowFile)) {
                    reasons.put(record.get("id"), relationship + ":" + record.get("consent_reason"));
                }
            }
        }
        return reasons;
    }

    private static List<Map<String, Object>> records(final MockFlowFile flowFile) throws Exception {
        return JSON.readValue(flowFile.getContent(), new TypeReference<>() { });
    }

    private List<Object> warnings() throws Exception {
        final List<Object> warnings = new ArrayList<>();
        for (final String relationship : List.of("success", "excluded")) {
            for (final MockFlowFile flowFile : runner.getFlowFilesForRelationship(relationship)) {
                warnings.addAll(records(flowFile).stream().map(record -> record.get("consent_warning")).collect(Collectors.toList()));
            }
        }
        return warnings;
    }

    @Test
    void newerPendingDoesNotHideAnOlderWithdrawal() throws Exception {
        final Map<Object, String> reasons = reasonsById("""
                [{"id": 1, "email": "a@example.com", "region": "US-CA", "consent": "withdrawn", "consent_updated_at": "2026-09-18T10:00:00Z"},
                 {"id": 2, "email": "a@example.com", "region": "US-CA", "consent": "pending", "consent_updated_at": "2026-09-19T10:00:00Z"}]
                """);
        assertEquals(Map.of(1, "excluded:WITHDRAWN", 2, "excluded:WITHDRAWN"), reasons);
    }

    @Test
    void newerUnknownDoesNotHideAnOlderWithdrawal() throws Exception {
        final Map<Object, String> reasons = reasonsById("""
                [{"id": 1, "email": "a@example.com", "region": "US-CA", "consent": "withdrawn", "consent_updated_at": "2026-09-18T10:00:00Z"},
                 {"id": 2, "email": "a@example.com", "region": "US-CA", "consent": "unknown", "consent_updated_at": "2026-09-19T10:00:00Z"}]
                """);
        assertEquals(Map.of(1, "excluded:WITHDRAWN", 2, "excluded:WITHDRAWN"), reasons);
    }

    @Test
    void undatedGpcOnOneRecordHoldsAgainstADatedPendingOnAnother() throws Exception {
        runner.setProperty(ConsentFilter.GPC_PATH, "/gpc");
        // record 1 has no consent timestamp, so its GPC flag is undated
        final Map<Object, String> reasons = reasonsById("""
                [{"id": 1, "email": "a@example.com", "region": "US-CA", "gpc": true},
                 {"id": 2, "email": "a@example.com", "region": "US-CA", "consent": "pending", "consent_updated_at": "2026-09-19T10:00:00Z"}]
                """);
        assertEquals(Map.of(1, "excluded:GPC", 2, "excluded:GPC"), reasons);
    }

    @Test
    void undatedStoreWithdrawalBeatsADatedRecordGrant() throws Exception {
        useStore();
        final Map<String, Object> row = new java.util.HashMap<>();
        row.put("status", "WITHDRAWN");
        row.put("updated_at", null);
        store.put("a@example.com", row);
        final Map<Object, String> reasons = reasonsById("""
                [{"id": 1, "email": "a@example.com", "region": "DE", "consent": "GRANTED", "consent_updated_at": "2019-03-01T10:00:00Z"}]
                """);
        assertEquals(Map.of(1, "excluded:WITHDRAWN"), reasons);
    }

    @Test
    void undatedGpcBeatsAStoreGrantFrom2020() throws Exception {
        useStore();
        runner.setProperty(ConsentFilter.GPC_PATH, "/gpc");
        runner.removeProperty(ConsentFilter.CONSENT_TIMESTAMP_PATH);
        store.put("a@example.com", Map.of("status", "granted", "updated_at", "2020-06-01T00:00:00Z"));
        final Map<Object, String> reasons = reasonsById("""
                [{"id": 1, "email": "a@example.com", "region": "US-CA", "gpc": "1"}]
                """);
        assertEquals(Map.of(1, "excluded:GPC"), reasons);
    }

    @Test
    void unparseableTimestampIsReportedNotSilentlyAccepted() throws Exception {
        useStore();
        store.put("a@example.com", Map.of("status", "withdrawn", "updated_at", "2024-01-01T00:00:00Z"));
        final Map<Object, String> reasons = reasonsById("""
                [{"id": 1, "email": "a@example.com", "region": "DE", "consent": "granted", "consent_updated_at": "yesterday"},
                 {"id": 2, "email": "b@example.com", "region": "DE", "consent": "granted", "consent_updated_at": "yesterday"}]
                """);
        // undated, the grant is older than the store's withdrawal; alone it still grants, but never without a warning
        assertEquals(Map.of(1, "excluded:WITHDRAWN", 2, "success:GRANTED"), reasons);
        assertEquals(List.of("UNPARSEABLE_TIMESTAMP", "UNPARSEABLE_TIMESTAMP"), warnings());
        assertEquals(2L, runner.getCounterValue(ConsentFilter.COUNTER_WARNING_PREFIX + "UNPARSEABLE_TIMESTAMP"));
    }

    @Test
    void offsetWithoutColonAndZoneIdAreRead() throws Exception {
        useStore();
        // the withdrawal at 09:30 UTC lies between the two grants: 07:59 UTC and 10:00 UTC
        store.put("a@example.com", Map.of("status", "withdrawn", "updated_at", "2024-05-01T09:30:00Z"));
        store.put("b@example.com", Map.of("status", "withdrawn", "updated_at", "2024-05-01T09:30:00Z"));
        store.put("c@example.com", Map.of("status", "withdrawn", "updated_at", "2024-05-01T09:30:00Z"));
        final Map<Object, String> reasons = reasonsById("""
                [{"id": 1, "email": "a@example.com", "region": "DE", "consent": "granted", "consent_updated_at": "2024-05-01T12:00:00+0200"},
                 {"id": 2, "email": "b@example.com", "region": "DE", "consent": "granted", "consent_updated_at": "2024-05-01T12:00:00+02:00[Europe/Berlin]"},
                 {"id": 3, "email": "c@example.com", "region": "DE", "consent": "granted", "consent_updated_at": "2024-05-01T09:59:00+0200"}]
                """);
        assertEquals(Map.of(1, "success:GRANTED", 2, "success:GRANTED", 3, "excluded:WITHDRAWN"), reasons);
        assertEquals(java.util.Arrays.asList(null, null, null), warnings());
    }

    @Test
    void epochSecondsAreNotReadAsMilliseconds() throws Exception {
        useStore();
        // 1714557600 is 2024-05-01T10:00:00Z in seconds; read as milliseconds it would be January 1970
        store.put("a@example.com", Map.of("status", "withdrawn", "updated_at", "2024-04-30T00:00:00Z"));
        final Map<Object, String> reasons = reasonsById("""
                [{"id": 1, "email": "a@example.com", "region": "DE", "consent": "granted", "consent_updated_at": 1714557600}]
                """);
        assertEquals(Map.of(1, "success:GRANTED"), reasons);

        runner.clearTransferState();
        runner.setProperty(ConsentFilter.EPOCH_UNIT, ConsentFilter.EpochUnitChoice.MILLISECONDS);
        assertEquals(Map.of(1, "excluded:WITHDRAWN"), reasonsById("""
                [{"id": 1, "email": "a@example.com", "region": "DE", "consent": "granted", "consent_updated_at": 1714557600}]
                """));
    }

    @Test
    void grantDatedInTheFutureDoesNotBeatAWithdrawal() throws Exception {
        useStore();
        store.put("a@example.com", Map.of("status", "withdrawn", "updated_at", Instant.now().minus(Duration.ofDays(10)).toString()));
        final Map<Object, String> reasons = reasonsById("""
                [{"id": 1, "email": "a@example.com", "region": "DE", "consent": "granted", "consent_updated_at": "2999-01-01T00:00:00Z"}]
                """);
        assertEquals(Map.of(1, "excluded:WITHDRAWN"), reasons);
        assertEquals(List.of("FUTURE_TIMESTAMP"), warnings());
    }

    @Test
    void malformedUsPrivacyAndTcStringsDenyInOptOutJurisdictions() throws Exception {
        runner.setProperty(ConsentFilter.US_PRIVACY_PATH, "/usp");
        runner.setProperty(ConsentFilter.TC_STRING_PATH, "/tcf");
        runner.setProperty(ConsentFilter.TCF_PURPOSE_MAPPING, "email_marketing=1");
        final Map<Object, String> reasons = reasonsById("""
                [{"id": 1, "email": "a@example.com", "region": "US-CA", "usp": "1Y"},
                 {"id": 2, "email": "b@example.com", "region": "US-CA", "tcf": "CO-not-a-tc-string"},
                 {"id": 3, "email": "c@example.com", "region": "US-CA", "usp": "1YNN"}]
                """);
        assertEquals(Map.of(1, "excluded:MALFORMED_US_PRIVACY", 2, "excluded:MALFORMED_TC_STRING", 3, "success:JURISDICTION_DEFAULT"), reasons);
    }

    @Test
    void malformedSignalCanFailTheFlowFileInstead() {
        runner.setProperty(ConsentFilter.US_PRIVACY_PATH, "/usp");
        runner.setProperty(ConsentFilter.MALFORMED_SIGNAL_HANDLING, ConsentFilter.MalformedSignalChoice.FAIL);
        runner.enqueue("""
                [{"id": 1, "email": "a@example.com", "region": "US-CA", "usp": "1YNN"}, {"id": 2, "email": "b@example.com", "region": "US-CA", "usp": "XYZW"}]
                """);
        runner.run();
        runner.assertAllFlowFilesTransferred(ConsentFilter.REL_FAILURE, 1);
        final MockFlowFile failed = runner.getFlowFilesForRelationship(ConsentFilter.REL_FAILURE).getFirst();
        assertTrue(failed.getAttribute("consent.error").startsWith("A US Privacy string is not valid"));
        assertFalse(failed.getAttribute("consent.error").contains("XYZW"), "the value is never quoted");
    }

    @Test
    void vocabulariesAgreeBetweenConsentFilterAndProfileMerge() throws Exception {
        final Map<Object, String> reasons = reasonsById("""
                [{"id": 1, "email": "a@example.com", "region": "DE", "consent": "subscribed"},
                 {"id": 2, "email": "b@example.com", "region": "DE", "consent": "allow"},
                 {"id": 3, "email": "c@example.com", "region": "DE", "consent": "consented"}]
                """);
        assertEquals(Map.of(1, "success:GRANTED", 2, "success:GRANTED", 3, "success:GRANTED"), reasons);
        // ProfileMerge's consent rule: a consented grant newer than a withdrawal survives; a newer unknown never hides a withdrawal
        assertEquals("consented", mergeConsent("""
                {"customer_id": "c1", "source": "crm", "updated_at": "2026-01-01T00:00:00Z", "email_consent": "withdrawn"}""", """
                {"customer_id": "c1", "source": "web", "updated_at": "2026-02-01T00:00:00Z", "email_consent": "consented"}"""));
    }

    @Test
    void profileMergeKeepsAnOlderDenialOverANewerUnknown() throws Exception {
        final String golden = mergeConsent("""
                {"customer_id": "c1", "source": "crm", "updated_at": "2026-01-01T00:00:00Z", "email_consent": false}""", """
                {"customer_id": "c1", "source": "web", "updated_at": "2026-02-01T00:00:00Z", "email_consent": "unknown"}""");
        assertEquals("false", golden);
        // and the golden profile does not pass ConsentFilter
        runner.setProperty(ConsentFilter.CONSENT_STATUS_PATH, "/email_consent");
        assertEquals(Map.of(1, "excluded:DENIED"), reasonsById("""
                [{"id": 1, "email": "c1", "region": "US-CA", "email_consent": %s}]""".formatted(golden)));
    }

    @Test
    void customValueListsAreTheSameOnBothProcessors() throws Exception {
        // "paused" is a denial in this shop's vocabulary; both processors must read it so
        final String denials = ConsentFilter.DENIAL_VALUES.getDefaultValue() + ", paused";
        runner.setProperty(ConsentFilter.DENIAL_VALUES, denials);
        assertEquals(Map.of(1, "excluded:DENIED", 2, "excluded:DENIED"), reasonsById("""
                [{"id": 1, "email": "a@example.com", "region": "DE", "consent": "granted", "consent_updated_at": "2026-01-01T00:00:00Z"},
                 {"id": 2, "email": "a@example.com", "region": "DE", "consent": "Paused", "consent_updated_at": "2026-02-01T00:00:00Z"}]
                """));
        assertEquals("Paused", mergeConsent(Map.of(ConsentValueLists.DENIAL_VALUES.getName(), denials), """
                {"customer_id": "c1", "source": "crm", "updated_at": "2026-01-01T00:00:00Z", "email_consent": "granted"}""", """
                {"customer_id": "c1", "source": "web", "updated_at": "2026-02-01T00:00:00Z", "email_consent": "Paused"}"""));
        // with the default lists "Paused" is unrecognised: no decision, so the older grant survives the merge
        assertEquals("granted", mergeConsent("""
                {"customer_id": "c1", "source": "crm", "updated_at": "2026-01-01T00:00:00Z", "email_consent": "granted"}""", """
                {"customer_id": "c1", "source": "web", "updated_at": "2026-02-01T00:00:00Z", "email_consent": "Paused"}"""));

        final TestRunner merge = TestRunners.newTestRunner(ProfileMerge.class);
        merge.setProperty(ConsentValueLists.NO_DECISION_VALUES, "pending, granted");
        merge.assertNotValid();
    }

    private static String mergeConsent(final String... records) throws Exception {
        return mergeConsent(Map.of(), records);
    }

    private static String mergeConsent(final Map<String, String> properties, final String... records) throws Exception {
        final TestRunner merge = TestRunners.newTestRunner(ProfileMerge.class);
        JsonRecordServices.configure(merge, ProfileMerge.RECORD_READER.getName(), ProfileMerge.RECORD_WRITER.getName());
        properties.forEach(merge::setProperty);
        merge.setProperty("email_consent", "consent");
        merge.enqueue("[" + String.join(",", records) + "]");
        merge.run();
        merge.assertAllFlowFilesTransferred(ProfileMerge.REL_SUCCESS, 1);
        final List<Map<String, Object>> golden = records(merge.getFlowFilesForRelationship(ProfileMerge.REL_SUCCESS).getFirst());
        assertEquals(1, golden.size());
        return String.valueOf(golden.getFirst().get("email_consent"));
    }

    @Test
    void oneSubjectGetsOneDecisionAcrossItsRecords() throws Exception {
        final Map<Object, String> reasons = reasonsById("""
                [{"id": 1, "email": "a@example.com", "region": "DE", "consent": "granted", "consent_updated_at": "2026-03-01T00:00:00Z"},
                 {"id": 2, "email": "a@example.com", "region": "DE"},
                 {"id": 3, "email": "a@example.com", "region": "DE", "consent": "pending", "consent_updated_at": "2026-04-01T00:00:00Z"}]
                """);
        assertEquals(Map.of(1, "success:GRANTED", 2, "success:GRANTED", 3, "success:GRANTED"), reasons);
    }

    @Test
    void recordsWithoutASubjectKeyAreNeverPooledTogether() throws Exception {
        // one person's newer grant must not lift another person's withdrawal because both lack an email
        final Map<Object, String> reasons = reasonsById("""
                [{"id": 1, "email": "", "region": "DE", "consent": "withdrawn", "consent_updated_at": "2026-01-01T00:00:00Z"},
                 {"id": 2, "email": "", "region": "DE", "consent": "granted", "consent_updated_at": "2026-02-01T00:00:00Z"},
                 {"id": 5, "email": "  ", "region": "DE", "consent": "granted", "consent_updated_at": "2026-03-01T00:00:00Z"},
                 {"id": 3, "region": "DE", "consent": "granted", "consent_updated_at": "2026-02-01T00:00:00Z"},
                 {"id": 4, "email": null, "region": "DE", "consent": "withdrawn", "consent_updated_at": "2026-01-01T00:00:00Z"}]
                """);
        assertEquals(Map.of(1, "excluded:WITHDRAWN", 2, "success:GRANTED", 3, "success:GRANTED", 4, "excluded:WITHDRAWN", 5, "success:GRANTED"), reasons);
    }

    @Test
    void gpcDoesNotOverrideAnExplicitOptInWhereConsentIsTheRule() throws Exception {
        runner.setProperty(ConsentFilter.GPC_PATH, "/gpc");
        final String records = """
                [{"id": 1, "email": "a@example.com", "region": "DE", "gpc": true, "consent": "opt-in", "consent_updated_at": "2026-03-01T00:00:00Z"},
                 {"id": 2, "email": "b@example.com", "region": "US-CA", "gpc": true, "consent": "opt-in", "consent_updated_at": "2026-03-01T00:00:00Z"}]
                """;
        assertEquals(Map.of(1, "success:GRANTED", 2, "excluded:GPC"), reasonsById(records));

        runner.clearTransferState();
        runner.setProperty(ConsentFilter.GPC_SCOPE, ConsentFilter.SignalScope.EVERYWHERE);
        assertEquals(Map.of(1, "excluded:GPC", 2, "excluded:GPC"), reasonsById(records));
    }

    @Test
    void laterExplicitGrantOverridesGpcUnlessConfiguredOtherwise() throws Exception {
        runner.setProperty(ConsentFilter.GPC_PATH, "/gpc");
        final String records = """
                [{"id": 1, "email": "a@example.com", "region": "US-CA", "gpc": true, "consent_updated_at": "2026-03-01T00:00:00Z"},
                 {"id": 2, "email": "a@example.com", "region": "US-CA", "consent": "opted_in", "consent_updated_at": "2026-04-01T00:00:00Z"}]
                """;
        assertEquals(Map.of(1, "success:GRANTED", 2, "success:GRANTED"), reasonsById(records));

        runner.clearTransferState();
        runner.setProperty(ConsentFilter.SIGNAL_OVERRIDE, "false");
        assertEquals(Map.of(1, "excluded:GPC", 2, "excluded:GPC"), reasonsById(records));
    }

    @Test
    void tcStringGrantsOnlyWithPurposeAndVendorConsentAndNoRestriction() throws Exception {
        runner.setProperty(ConsentFilter.TC_STRING_PATH, "/tcf");
        runner.setProperty(ConsentFilter.TCF_PURPOSE_MAPPING, "email_marketing=1 7");
        runner.setProperty(ConsentFilter.TCF_VENDOR_ID, "42");
        final Instant updated = Instant.now().minus(Duration.ofDays(3)).truncatedTo(ChronoUnit.DAYS);
        final Map<Object, String> reasons = reasonsById("""
                [{"id": 1, "email": "a@example.com", "region": "DE", "tcf": "%s"},
                 {"id": 2, "email": "b@example.com", "region": "DE", "tcf": "%s"},
                 {"id": 3, "email": "c@example.com", "region": "DE", "tcf": "%s"}]
                """.formatted(tcString(updated, true, false), tcString(updated, false, false), tcString(updated, true, true)));
        assertEquals(Map.of(1, "success:GRANTED", 2, "excluded:PURPOSE_DENIED", 3, "excluded:PURPOSE_DENIED"), reasons);
    }

    private static String tcString(final Instant updated, final boolean vendorConsent, final boolean restricted) {
        final TCStringEncoder.Builder builder = TCStringEncoder.newBuilder().version(2).created(updated).lastUpdated(updated)
                .cmpId(300).cmpVersion(1).consentScreen(1).consentLanguage("EN").vendorListVersion(80).tcfPolicyVersion(4).publisherCC("DE")
                .addPurposesConsent(1).addPurposesConsent(7);
        if (vendorConsent) {
            builder.addVendorConsent(42);
        }
        if (restricted) {
            builder.addPublisherRestrictionEntry(PublisherRestrictionEntry.newBuilder().purposeId(7).restrictionType(RestrictionType.NOT_ALLOWED)
                    .addVendor(42).build());
        }
        return builder.encode();
    }
}
