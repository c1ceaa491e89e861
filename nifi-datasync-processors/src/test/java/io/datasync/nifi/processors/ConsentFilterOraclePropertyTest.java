package io.datasync.nifi.processors;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.datasync.nifi.consent.ConsentCases;
import io.datasync.nifi.consent.ConsentCases.Config;
import io.datasync.nifi.consent.ConsentCases.Rec;
import io.datasync.nifi.consent.ConsentCases.Scope;
import io.datasync.nifi.consent.ConsentCases.Subject;
import io.datasync.nifi.consent.ConsentOracle;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * ConsentFilter itself, through nifi-mock, against the independent oracle: each try is one FlowFile of
 * many generated subjects (their records interleaved) with a consent store, under one generated
 * configuration. Every subject must get the oracle's decision, and one decision and one reason on all
 * its records.
 */
class ConsentFilterOraclePropertyTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Provide
    Arbitrary<List<Subject>> flowFiles() {
        return ConsentCases.subjects().list().ofMinSize(20).ofMaxSize(40);
    }

    @Provide
    Arbitrary<Config> configs() {
        return ConsentCases.configs();
    }

    /**
     * Records Held in Memory: 0 reads the FlowFile twice; 5 starts holding the first pass's records and gives up
     * past the fifth (then reads again); the default holds them all and never parses the content a second time.
     */
    @Provide
    Arbitrary<String> heldRecordLimits() {
        return Arbitraries.of("0", "5", ConsentFilter.RECORDS_HELD_IN_MEMORY.getDefaultValue());
    }

    @Property(tries = 40)
    void everySubjectGetsTheOraclesDecision(@ForAll("configs") final Config config, @ForAll("flowFiles") final List<Subject> subjects,
                                            @ForAll("heldRecordLimits") final String heldRecords) throws Exception {
        final TestRunner runner = TestRunners.newTestRunner(ConsentFilter.class);
        runner.setProperty(ConsentFilter.RECORDS_HELD_IN_MEMORY, heldRecords);
        JsonRecordServices.configure(runner, ConsentFilter.RECORD_READER.getName(), ConsentFilter.RECORD_WRITER.getName());
        final InMemoryConsentLookupService store = new InMemoryConsentLookupService();
        runner.addControllerService("consent-store", store);
        runner.enableControllerService(store);
        runner.setProperty(ConsentFilter.PURPOSES, ConsentCases.PURPOSE);
        runner.setProperty(ConsentFilter.LOOKUP_SERVICE, "consent-store");
        runner.setProperty(ConsentFilter.SUBJECT_KEY_PATH, "/email");
        runner.setProperty(ConsentFilter.WRITE_EXCLUSIONS, "true");
        runner.setProperty(ConsentFilter.CONSENT_STATUS_PATH, "/consent");
        runner.setProperty(ConsentFilter.CONSENT_TIMESTAMP_PATH, "/consent_at");
        runner.setProperty(ConsentFilter.GPC_PATH, "/gpc");
        runner.setProperty(ConsentFilter.US_PRIVACY_PATH, "/usp");
        runner.setProperty(ConsentFilter.TC_STRING_PATH, "/tcf");
        runner.setProperty(ConsentFilter.TCF_PURPOSE_MAPPING, ConsentCases.TCF_MAPPING);
        if (config.vendorCheck()) {
            runner.setProperty(ConsentFilter.TCF_VENDOR_ID, String.valueOf(ConsentCases.VENDOR_ID));
        }
        runner.setProperty(ConsentFilter.GPC_SCOPE, scope(config.gpcScope()));
        runner.setProperty(ConsentFilter.US_PRIVACY_SCOPE, scope(config.uspScope()));
        runner.setProperty(ConsentFilter.SIGNAL_OVERRIDE, String.valueOf(config.laterGrantOverrides()));
        runner.setProperty(ConsentFilter.JURISDICTION_PATH, "/region");
        runner.setProperty(ConsentFilter.OPT_IN_JURISDICTIONS, ConsentCases.OPT_IN_CODE);
        runner.setProperty(ConsentFilter.OPT_OUT_JURISDICTIONS, ConsentCases.OPT_OUT_CODE);
        runner.setProperty(ConsentFilter.DEFAULT_POLICY, config.defaultOptOut() ? ConsentFilter.DefaultPolicy.ALLOW_UNLESS_DENIED
                : ConsentFilter.DefaultPolicy.REQUIRE_CONSENT);

        // records of all subjects interleaved, round by round, so that a subject's records are never adjacent
        final List<Map<String, Object>> records = new ArrayList<>();
        int round = 0;
        boolean added = true;
        while (added) {
            added = false;
            for (int s = 0; s < subjects.size(); s++) {
                final List<Rec> recs = subjects.get(s).records();
                if (round < recs.size()) {
                    records.add(render(s, round, recs.get(round)));
                    added = true;
                }
            }
            round++;
        }
        for (int s = 0; s < subjects.size(); s++) {
            final ConsentCases.Store row = subjects.get(s).store();
            if (row != null) {
                final Map<String, Object> values = new HashMap<>();
                values.put("status", row.status().value() == null ? null : String.valueOf(row.status().value()));
                values.put("updated_at", row.time().render());
                store.put(key(s), values);
            }
        }
        runner.enqueue(JSON.writeValueAsBytes(records));
        runner.run();
        runner.assertTransferCount(ConsentFilter.REL_FAILURE, 0);

        final Map<String, Boolean> allowedBySubject = new HashMap<>();
        final Map<String, Object> reasonBySubject = new HashMap<>();
        collect(runner, ConsentFilter.REL_SUCCESS.getName(), true, allowedBySubject, reasonBySubject);
        collect(runner, ConsentFilter.REL_EXCLUDED.getName(), false, allowedBySubject, reasonBySubject);
        for (int s = 0; s < subjects.size(); s++) {
            final boolean expected = ConsentOracle.allowed(config, subjects.get(s));
            final Boolean actual = allowedBySubject.get(key(s));
            assertNotNull(actual, "subject " + s + " was not written");
            final int subject = s;
            if (!expected) {
                assertFalse(actual, () -> "false allow (" + reasonBySubject.get(key(subject)) + ") for " + subjects.get(subject) + " under " + config);
            }
            assertEquals(expected, actual, () -> "disagreement (" + reasonBySubject.get(key(subject)) + ") for " + subjects.get(subject) + " under " + config);
        }
        assertEquals(auditOf(runner, ConsentFilter.REL_EXCLUDED.getName(), "email", "consent_reason"),
                auditOf(runner, ConsentFilter.REL_EXCLUSIONS.getName(), "subject_key", "reason_code"),
                "one exclusion record per excluded record, with its subject and reason");
    }

    /** "subject reason purpose" of every record written to {@code relationship}, sorted (a multiset). */
    private static List<String> auditOf(final TestRunner runner, final String relationship, final String subjectField,
                                        final String reasonField) throws Exception {
        final List<String> audit = new ArrayList<>();
        for (final MockFlowFile flowFile : runner.getFlowFilesForRelationship(relationship)) {
            for (final Map<String, Object> record : JSON.readValue(flowFile.getContent(), new TypeReference<List<Map<String, Object>>>() { })) {
                final Object purpose = record.getOrDefault("purpose", ConsentCases.PURPOSE);
                audit.add(record.get(subjectField) + " " + record.get(reasonField) + " " + purpose);
            }
        }
        audit.sort(null);
        return audit;
    }

    private static void collect(final TestRunner runner, final String relationship, final boolean allowed, final Map<String, Boolean> allowedBySubject,
                                final Map<String, Object> reasonBySubject) throws Exception {
        for (final MockFlowFile flowFile : runner.getFlowFilesForRelationship(relationship)) {
            final List<Map<String, Object>> written = JSON.readValue(flowFile.getContent(), new TypeReference<>() { });
            for (final Map<String, Object> record : written) {
                final String subject = (String) record.get("email");
                final Boolean before = allowedBySubject.put(subject, allowed);
                final Object reasonBefore = reasonBySubject.put(subject, record.get("consent_reason"));
                if (before != null) {
                    assertEquals(before, allowed, "one decision per subject");
                    assertEquals(reasonBefore, record.get("consent_reason"), "one reason per subject");
                }
            }
        }
    }

    private static Map<String, Object> render(final int subject, final int index, final Rec rec) {
        final Map<String, Object> record = new LinkedHashMap<>();
        record.put("id", subject * 10 + index);
        record.put("email", key(subject));
        record.put("consent", rec.status() == null ? null : rec.status().value());
        record.put("consent_at", rec.time().render());
        record.put("region", rec.jurisdiction());
        record.put("gpc", rec.gpc() == null ? null : rec.gpc().value());
        record.put("usp", rec.usp() == null ? null : rec.usp().text());
        record.put("tcf", rec.tc() == null ? null : rec.tc().render());
        return record;
    }

    private static String key(final int subject) {
        return "s" + subject + "@example.com";
    }

    private static ConsentFilter.SignalScope scope(final Scope scope) {
        return scope == Scope.EVERYWHERE ? ConsentFilter.SignalScope.EVERYWHERE : ConsentFilter.SignalScope.OPT_OUT_JURISDICTIONS;
    }
}
