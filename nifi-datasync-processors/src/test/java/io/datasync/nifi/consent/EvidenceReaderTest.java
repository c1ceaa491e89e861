package io.datasync.nifi.consent;

import com.iabtcf.encoder.TCStringEncoder;
import io.datasync.nifi.common.Timestamps;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EvidenceReaderTest {

    private static final Instant NOW = Instant.parse("2026-12-01T00:00:00Z");
    private static final List<String> PURPOSES = List.of("email_marketing");

    private static EvidenceReader reader(final EvidenceReader.MalformedSignalHandling handling) {
        return new EvidenceReader(PURPOSES, ConsentVocabulary.defaults(), Timestamps.EpochUnit.AUTO, null, "status", "updated_at",
                TcfPurposeMapping.parse("email_marketing=1"), null, handling);
    }

    private static EvidenceReader.RecordConsent record(final Object status, final Object timestamp, final Object gpc, final Object usp, final Object tc) {
        return new EvidenceReader.RecordConsent(status, timestamp, gpc, usp, tc);
    }

    @Test
    void tcStringUpdatedInTheFutureIsUndatedAndReported() {
        final Instant future = NOW.plusSeconds(10 * 86_400);
        final String tc = TCStringEncoder.newBuilder().version(2).created(future).lastUpdated(future).cmpId(300).cmpVersion(1).consentScreen(1)
                .consentLanguage("EN").vendorListVersion(80).tcfPolicyVersion(4).publisherCC("DE").addPurposesConsent(1).encode();
        final SubjectEvidence subject = new SubjectEvidence();
        reader(EvidenceReader.MalformedSignalHandling.DENY).addRecord(record(null, null, null, null, tc), NOW, subject);
        assertEquals(1, subject.evidence().size());
        assertNull(subject.evidence().getFirst().timestamp());
        assertEquals(Set.of(ConsentWarning.FUTURE_TIMESTAMP), subject.warnings());
    }

    @Test
    void gpcValuesThatAreNoFlagAreReportedAndIgnored() {
        final SubjectEvidence subject = new SubjectEvidence();
        final EvidenceReader reader = reader(EvidenceReader.MalformedSignalHandling.DENY);
        reader.addRecord(record(null, null, "maybe", null, null), NOW, subject);
        reader.addRecord(record(null, null, "0", null, null), NOW, subject);
        reader.addRecord(record(null, null, false, null, null), NOW, subject);
        assertEquals(List.of(), subject.evidence());
        assertEquals(Set.of(ConsentWarning.UNRECOGNISED_GPC), subject.warnings());
        reader.addRecord(record(null, null, " 1 ", null, null), NOW, subject);
        assertEquals(ConsentSource.GPC, subject.evidence().getFirst().source());
    }

    @Test
    void malformedSignalsDenyWithTheRecordTimeOrFail() {
        final SubjectEvidence subject = new SubjectEvidence();
        reader(EvidenceReader.MalformedSignalHandling.DENY).addRecord(record(null, "2026-03-01T00:00:00Z", null, "1Y", "CO-bad"), NOW, subject);
        assertEquals(2, subject.evidence().size());
        assertTrue(subject.evidence().stream().allMatch(e -> e.malformed() && e.timestamp().equals(Instant.parse("2026-03-01T00:00:00Z"))));
        assertEquals(Set.of(ConsentWarning.MALFORMED_US_PRIVACY, ConsentWarning.MALFORMED_TC_STRING), subject.warnings());

        final EvidenceReader failing = reader(EvidenceReader.MalformedSignalHandling.FAIL);
        final EvidenceReader.MalformedSignalException failure = assertThrows(EvidenceReader.MalformedSignalException.class,
                () -> failing.addRecord(record(null, null, null, "1ZZZ", null), NOW, new SubjectEvidence()));
        assertEquals(ConsentWarning.MALFORMED_US_PRIVACY, failure.kind());
        assertTrue(!failure.getMessage().contains("1ZZZ"));
    }

    @Test
    void storeRowsAreReadThroughTheSameRules() {
        final SubjectEvidence subject = new SubjectEvidence();
        final EvidenceReader reader = reader(EvidenceReader.MalformedSignalHandling.DENY);
        reader.addStore("Unsubscribed", "2026-03-01 10:00:00+0100", null, NOW, subject);
        reader.addStore("whatever", 1_714_557_600L, null, NOW, subject);
        reader.addStore("granted", "not a time", "{\"email_marketing\": {\"status\": \"denied\", \"updated_at\": \"2999-01-01\"}}", NOW, subject);
        assertEquals(List.of(
                new ConsentEvidence(ConsentSource.STORE, null, ConsentStatus.WITHDRAWN, Instant.parse("2026-03-01T09:00:00Z")),
                new ConsentEvidence(ConsentSource.STORE, null, ConsentStatus.GRANTED, null),
                new ConsentEvidence(ConsentSource.STORE, "email_marketing", ConsentStatus.DENIED, null)), subject.evidence());
        assertEquals(Set.of(ConsentWarning.UNRECOGNISED_STATUS, ConsentWarning.UNPARSEABLE_TIMESTAMP, ConsentWarning.FUTURE_TIMESTAMP),
                subject.warnings());
    }

    @Test
    void regimeOfASubjectFailsClosedAndIgnoresRecordsWithoutJurisdiction() {
        final SubjectEvidence subject = new SubjectEvidence();
        assertEquals(JurisdictionPolicy.Regime.OPT_IN, subject.regime(JurisdictionPolicy.Regime.OPT_IN));
        subject.addRegime(JurisdictionPolicy.Regime.OPT_OUT);
        assertEquals(JurisdictionPolicy.Regime.OPT_OUT, subject.regime(JurisdictionPolicy.Regime.OPT_IN));
        subject.addRegime(JurisdictionPolicy.Regime.OPT_IN);
        subject.addRegime(JurisdictionPolicy.Regime.OPT_OUT);
        assertEquals(JurisdictionPolicy.Regime.OPT_IN, subject.regime(JurisdictionPolicy.Regime.OPT_OUT));
    }
}
