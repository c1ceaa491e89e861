package io.datasync.nifi.consent;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static io.datasync.nifi.consent.ConsentSource.GPC;
import static io.datasync.nifi.consent.ConsentSource.RECORD;
import static io.datasync.nifi.consent.ConsentSource.STORE;
import static io.datasync.nifi.consent.ConsentSource.TCF;
import static io.datasync.nifi.consent.ConsentSource.US_PRIVACY;
import static io.datasync.nifi.consent.ConsentStatus.DENIED;
import static io.datasync.nifi.consent.ConsentStatus.GRANTED;
import static io.datasync.nifi.consent.ConsentStatus.PENDING;
import static io.datasync.nifi.consent.ConsentStatus.WITHDRAWN;
import static io.datasync.nifi.consent.JurisdictionPolicy.Regime.OPT_IN;
import static io.datasync.nifi.consent.JurisdictionPolicy.Regime.OPT_OUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConsentEvaluatorTest {

    private static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");
    private static final Instant T1 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant T2 = Instant.parse("2026-02-01T00:00:00Z");
    private static final Instant T3 = Instant.parse("2026-03-01T00:00:00Z");

    private final ConsentEvaluator oneP = new ConsentEvaluator(List.of("email_marketing"), null);
    private final ConsentEvaluator twoP = new ConsentEvaluator(List.of("email_marketing", "personalisation"), null);

    private static ConsentEvidence ev(final ConsentSource source, final String purpose, final ConsentStatus status, final Instant at) {
        return new ConsentEvidence(source, purpose, status, at);
    }

    @Test
    void grantAloneAllows() {
        final ConsentDecision decision = oneP.evaluate(List.of(ev(RECORD, null, GRANTED, T1)), OPT_IN, NOW);
        assertTrue(decision.allowed());
        assertEquals(ReasonCode.GRANTED, decision.reason());
        assertEquals(T1, decision.evidenceTime());
    }

    @Test
    void noEvidenceFailsClosedInOptInAndAllowsInOptOut() {
        assertEquals(ReasonCode.NO_CONSENT_RECORD, oneP.evaluate(List.of(), OPT_IN, NOW).reason());
        assertFalse(oneP.evaluate(List.of(), OPT_IN, NOW).allowed());
        assertEquals(ReasonCode.JURISDICTION_DEFAULT, oneP.evaluate(List.of(), OPT_OUT, NOW).reason());
        assertTrue(oneP.evaluate(List.of(), OPT_OUT, NOW).allowed());
    }

    @Test
    void newerEvidenceWins() {
        assertEquals(ReasonCode.WITHDRAWN, oneP.evaluate(List.of(ev(RECORD, null, GRANTED, T1), ev(STORE, null, WITHDRAWN, T2)), OPT_IN, NOW).reason());
        assertEquals(ReasonCode.GRANTED, oneP.evaluate(List.of(ev(STORE, null, WITHDRAWN, T1), ev(RECORD, null, GRANTED, T2)), OPT_IN, NOW).reason());
    }

    @Test
    void tiesGoToTheMoreRestrictive() {
        assertEquals(ReasonCode.DENIED, oneP.evaluate(List.of(ev(RECORD, null, GRANTED, T1), ev(STORE, null, DENIED, T1)), OPT_IN, NOW).reason());
        assertEquals(ReasonCode.DENIED, oneP.evaluate(List.of(ev(STORE, null, DENIED, T1), ev(RECORD, null, GRANTED, T1)), OPT_IN, NOW).reason());
        assertEquals(ReasonCode.WITHDRAWN, oneP.evaluate(List.of(ev(STORE, null, DENIED, T1), ev(RECORD, null, WITHDRAWN, T1)), OPT_IN, NOW).reason());
        // undated evidence: both rank the same, so the restrictive one wins too
        assertEquals(ReasonCode.GPC, oneP.evaluate(List.of(ev(RECORD, null, GRANTED, null), ev(GPC, null, DENIED, null)), OPT_OUT, NOW).reason());
    }

    /** Regression (issue 14): an undated GPC lost to a store grant from 2020. An undated denial is newer than every grant. */
    @Test
    void undatedDenialOutranksEveryDatedGrant() {
        assertEquals(ReasonCode.GPC, oneP.evaluate(List.of(ev(GPC, null, DENIED, null), ev(STORE, null, GRANTED, T1)), OPT_OUT, NOW).reason());
        assertEquals(ReasonCode.WITHDRAWN, oneP.evaluate(List.of(ev(STORE, null, WITHDRAWN, null), ev(RECORD, null, GRANTED, T3)), OPT_IN, NOW).reason());
    }

    @Test
    void undatedGrantIsOlderThanEveryDenial() {
        assertEquals(ReasonCode.DENIED, oneP.evaluate(List.of(ev(RECORD, null, GRANTED, null), ev(STORE, null, DENIED, T1)), OPT_IN, NOW).reason());
        // but a dated grant beats an undated one
        assertEquals(ReasonCode.GRANTED, oneP.evaluate(List.of(ev(RECORD, null, GRANTED, null), ev(STORE, null, GRANTED, T1)), OPT_IN, NOW).reason());
    }

    @Test
    void withdrawalHoldsUntilANewerGrant() {
        final List<ConsentEvidence> afterWithdrawal = List.of(ev(STORE, null, WITHDRAWN, T2), ev(RECORD, null, GRANTED, T1));
        assertEquals(ReasonCode.WITHDRAWN, oneP.evaluate(afterWithdrawal, OPT_OUT, NOW).reason());
        final List<ConsentEvidence> regranted = List.of(ev(STORE, null, WITHDRAWN, T2), ev(RECORD, "email_marketing", GRANTED, T3));
        assertEquals(ReasonCode.GRANTED, oneP.evaluate(regranted, OPT_IN, NOW).reason());
    }

    @Test
    void everyPurposeMustBeAllowed() {
        final List<ConsentEvidence> evidence = List.of(ev(STORE, "email_marketing", GRANTED, T1), ev(STORE, "personalisation", DENIED, T1));
        final ConsentDecision decision = twoP.evaluate(evidence, OPT_IN, NOW);
        assertEquals(ReasonCode.PURPOSE_DENIED, decision.reason());
        assertFalse(decision.allowed());
        assertEquals(ReasonCode.NO_CONSENT_RECORD, twoP.evaluate(List.of(ev(STORE, "email_marketing", GRANTED, T1)), OPT_IN, NOW).reason());
        assertEquals(ReasonCode.GRANTED, twoP.evaluate(List.of(ev(STORE, null, GRANTED, T1)), OPT_IN, NOW).reason());
    }

    @Test
    void subjectGrantWithPurposeDenialAtTheSameTime() {
        final List<ConsentEvidence> evidence = List.of(ev(STORE, null, GRANTED, T1), ev(STORE, "personalisation", DENIED, T1));
        assertEquals(ReasonCode.PURPOSE_DENIED, twoP.evaluate(evidence, OPT_IN, NOW).reason());
    }

    @Test
    void mixedGrantAndOptOutDefaultIsJurisdictionDefault() {
        final ConsentDecision decision = twoP.evaluate(List.of(ev(STORE, "email_marketing", GRANTED, T1)), OPT_OUT, NOW);
        assertTrue(decision.allowed());
        assertEquals(ReasonCode.JURISDICTION_DEFAULT, decision.reason());
    }

    @Test
    void grantsExpire() {
        final ConsentEvaluator ninetyDays = new ConsentEvaluator(List.of("email_marketing"), Duration.ofDays(90));
        final ConsentDecision old = ninetyDays.evaluate(List.of(ev(STORE, null, GRANTED, T1)), OPT_IN, NOW);
        assertEquals(ReasonCode.EXPIRED, old.reason());
        assertEquals(T1, old.evidenceTime());
        assertEquals(ReasonCode.GRANTED, ninetyDays.evaluate(List.of(ev(STORE, null, GRANTED, NOW.minus(Duration.ofDays(89)))), OPT_IN, NOW).reason());
        assertEquals(ReasonCode.EXPIRED, ninetyDays.evaluate(List.of(ev(RECORD, null, GRANTED, null)), OPT_IN, NOW).reason());
        // in an opt-out regime an expired grant leaves the default in place
        assertEquals(ReasonCode.JURISDICTION_DEFAULT, ninetyDays.evaluate(List.of(ev(STORE, null, GRANTED, T1)), OPT_OUT, NOW).reason());
        // denials never expire
        assertEquals(ReasonCode.DENIED, ninetyDays.evaluate(List.of(ev(STORE, null, DENIED, T1)), OPT_OUT, NOW).reason());
    }

    @Test
    void signalReasons() {
        assertEquals(ReasonCode.GPC, oneP.evaluate(List.of(ev(GPC, null, DENIED, null)), OPT_OUT, NOW).reason());
        assertEquals(ReasonCode.US_PRIVACY_OPT_OUT, oneP.evaluate(List.of(ev(US_PRIVACY, null, DENIED, null)), OPT_OUT, NOW).reason());
        assertEquals(ReasonCode.PURPOSE_DENIED, oneP.evaluate(List.of(ev(TCF, "email_marketing", DENIED, T1)), OPT_IN, NOW).reason());
    }

    @Test
    void pendingDependsOnRegime() {
        assertEquals(ReasonCode.PENDING, oneP.evaluate(List.of(ev(RECORD, null, PENDING, T1)), OPT_IN, NOW).reason());
        assertEquals(ReasonCode.JURISDICTION_DEFAULT, oneP.evaluate(List.of(ev(RECORD, null, PENDING, T1)), OPT_OUT, NOW).reason());
    }

    /** Regression (issue 14): a newer pending or unknown hid an older withdrawal. */
    @Test
    void noDecisionNeverOutranksADecision() {
        assertEquals(ReasonCode.WITHDRAWN, oneP.evaluate(List.of(ev(RECORD, null, WITHDRAWN, T1), ev(RECORD, null, PENDING, T3)), OPT_OUT, NOW).reason());
        assertEquals(ReasonCode.GRANTED, oneP.evaluate(List.of(ev(STORE, null, GRANTED, T1), ev(RECORD, null, PENDING, T3)), OPT_IN, NOW).reason());
    }

    @Test
    void signalScopeAndLaterGrantOverride() {
        final List<ConsentEvidence> gpcThenGrant = List.of(ev(GPC, null, DENIED, T1), ev(RECORD, null, GRANTED, T2));
        // default: opt-out jurisdictions only, a later grant overrides
        assertEquals(ReasonCode.GRANTED, oneP.evaluate(gpcThenGrant, OPT_OUT, NOW).reason());
        assertEquals(ReasonCode.GRANTED, oneP.evaluate(List.of(ev(GPC, null, DENIED, T2), ev(RECORD, null, GRANTED, T1)), OPT_IN, NOW).reason());
        assertEquals(ReasonCode.GPC, oneP.evaluate(List.of(ev(GPC, null, DENIED, T2), ev(RECORD, null, GRANTED, T1)), OPT_OUT, NOW).reason());

        final SignalPolicy everywhereNoOverride = new SignalPolicy(SignalPolicy.Scope.EVERYWHERE, false);
        final ConsentEvaluator strict = new ConsentEvaluator(List.of("email_marketing"), null, everywhereNoOverride, everywhereNoOverride);
        assertEquals(ReasonCode.GPC, strict.evaluate(gpcThenGrant, OPT_IN, NOW).reason());
        assertEquals(ReasonCode.US_PRIVACY_OPT_OUT, strict.evaluate(List.of(ev(US_PRIVACY, null, DENIED, T1), ev(STORE, null, GRANTED, T3)), OPT_OUT, NOW).reason());
    }

    @Test
    void malformedSignalsDenyEverywhereWithTheirOwnReason() {
        final ConsentEvidence malformedTc = new ConsentEvidence(TCF, null, DENIED, T2, true);
        final ConsentEvidence malformedUsp = new ConsentEvidence(US_PRIVACY, null, DENIED, null, true);
        assertEquals(ReasonCode.MALFORMED_TC_STRING, oneP.evaluate(List.of(malformedTc, ev(RECORD, null, GRANTED, T1)), OPT_IN, NOW).reason());
        assertEquals(ReasonCode.GRANTED, oneP.evaluate(List.of(malformedTc, ev(RECORD, null, GRANTED, T3)), OPT_IN, NOW).reason());
        assertEquals(ReasonCode.MALFORMED_US_PRIVACY, oneP.evaluate(List.of(malformedUsp, ev(STORE, null, GRANTED, T3)), OPT_IN, NOW).reason());
        assertFalse(ReasonCode.MALFORMED_TC_STRING.isSuppression());
    }
}
