package io.datasync.nifi.consent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConsentVocabularyTest {

    private static final ConsentVocabulary DEFAULTS = ConsentVocabulary.defaults();

    @Test
    void grantsOnlyWhenClear() {
        assertEquals(EvidenceClass.GRANT, DEFAULTS.read(true).evidenceClass());
        assertEquals(EvidenceClass.GRANT, DEFAULTS.read(" Opted_In ").evidenceClass());
        assertEquals(EvidenceClass.GRANT, DEFAULTS.read(1).evidenceClass());
        assertEquals(EvidenceClass.DENIAL, DEFAULTS.read(false).evidenceClass());
        assertEquals(EvidenceClass.DENIAL, DEFAULTS.read("withdrawn").evidenceClass());
        assertEquals(EvidenceClass.NO_DECISION, DEFAULTS.read("maybe").evidenceClass());
        assertEquals(EvidenceClass.DENIAL, DEFAULTS.read(0).evidenceClass());
        assertEquals(EvidenceClass.NO_DECISION, DEFAULTS.read(null).evidenceClass());
    }

    /** Regression (issue 14): ProfileMerge and ConsentFilter read subscribed, allow and consented differently. */
    @ParameterizedTest
    @ValueSource(strings = {"subscribed", "SUBSCRIBED", "allow", "allowed", "consented", "opted in", "Opt-In", "confirmed"})
    void crmAndEspGrantWordsAreGrants(final String word) {
        assertEquals(ConsentStatus.GRANTED, DEFAULTS.status(word));
    }

    @ParameterizedTest
    @ValueSource(strings = {"unsubscribed", "Unsubscribed", "revoked", "withdrawn", "consent_withdrawn"})
    void withdrawalWords(final String word) {
        assertEquals(ConsentStatus.WITHDRAWN, DEFAULTS.status(word));
    }

    @ParameterizedTest
    @ValueSource(strings = {"opt-out", "OPTED_OUT", "not_subscribed", "NEVER_SUBSCRIBED", "cleaned", "bounced", "held", "complained",
        "spam_reported", "redacted", "transactional", "declined"})
    void denialWordsIncludeDeliverabilityStates(final String word) {
        assertEquals(ConsentStatus.DENIED, DEFAULTS.status(word));
    }

    @ParameterizedTest
    @ValueSource(strings = {"pending", "requested", "unconfirmed"})
    void pendingIsNoDecision(final String word) {
        final ConsentVocabulary.Reading reading = DEFAULTS.read(word);
        assertEquals(ConsentStatus.PENDING, reading.status());
        assertEquals(EvidenceClass.NO_DECISION, reading.evidenceClass());
        assertTrue(reading.recognised());
    }

    @Test
    void unrecognisedIsNoDecisionAndFlagged() {
        for (final Object value : new Object[] {"maybe", "active", 2, 0.5, new Object(), "granted!"}) {
            final ConsentVocabulary.Reading reading = DEFAULTS.read(value);
            assertEquals(EvidenceClass.NO_DECISION, reading.evidenceClass(), String.valueOf(value));
            assertFalse(reading.recognised(), String.valueOf(value));
        }
        assertTrue(DEFAULTS.read("unknown").recognised());
        assertTrue(DEFAULTS.read("").recognised());
        assertTrue(DEFAULTS.read(null).recognised());
        assertEquals(ConsentStatus.UNKNOWN, DEFAULTS.status("unknown"));
    }

    @Test
    void everyDefaultWordHasExactlyOneClass() {
        // the constructor refuses a word on two lists; the defaults must pass it
        new ConsentVocabulary(ConsentVocabulary.DEFAULT_GRANTS, ConsentVocabulary.DEFAULT_DENIALS, ConsentVocabulary.DEFAULT_WITHDRAWALS,
                ConsentVocabulary.DEFAULT_NO_DECISIONS);
        for (final String word : ConsentVocabulary.DEFAULT_GRANTS) {
            assertEquals(EvidenceClass.GRANT, DEFAULTS.read(word).evidenceClass(), word);
        }
        for (final String word : ConsentVocabulary.DEFAULT_DENIALS) {
            assertEquals(ConsentStatus.DENIED, DEFAULTS.status(word), word);
        }
        for (final String word : ConsentVocabulary.DEFAULT_WITHDRAWALS) {
            assertEquals(ConsentStatus.WITHDRAWN, DEFAULTS.status(word), word);
        }
        for (final String word : ConsentVocabulary.DEFAULT_NO_DECISIONS) {
            assertEquals(EvidenceClass.NO_DECISION, DEFAULTS.read(word).evidenceClass(), word);
            assertTrue(DEFAULTS.read(word).recognised(), word);
        }
    }

    @Test
    void customListsAndConflicts() {
        final ConsentVocabulary custom = new ConsentVocabulary(List.of("active"), List.of("inactive"), List.of("gone"), List.of("later"));
        assertEquals(ConsentStatus.GRANTED, custom.status("ACTIVE"));
        assertEquals(ConsentStatus.DENIED, custom.status("inactive"));
        assertEquals(ConsentStatus.WITHDRAWN, custom.status("gone"));
        assertEquals(ConsentStatus.PENDING, custom.status("later"));
        assertFalse(custom.read("subscribed").recognised());
        assertThrows(IllegalArgumentException.class, () -> new ConsentVocabulary(List.of("yes"), List.of("YES"), List.of(), List.of()));
        assertThrows(IllegalArgumentException.class, () -> new ConsentVocabulary(List.of("opt-in"), List.of(), List.of(), List.of("opt in")));
    }

    @Test
    void separatorsAreFoldedLikeTheDocumentationSays() {
        assertEquals("opted_in", ConsentVocabulary.normalize(" Opted - In "));
        assertEquals("opt_in", ConsentVocabulary.normalize("opt__in"));
        assertEquals("opt_in", ConsentVocabulary.normalize("OPT\tIN"));
        assertEquals("a_b", ConsentVocabulary.normalize("a_b"));
        assertEquals("x_y", ConsentVocabulary.normalize("x-_-y"));
        assertEquals("_x", ConsentVocabulary.normalize("-x"));
        assertEquals("granted", ConsentVocabulary.normalize("GRANTED"));
        assertEquals("", ConsentVocabulary.normalize("   "));
    }
}
