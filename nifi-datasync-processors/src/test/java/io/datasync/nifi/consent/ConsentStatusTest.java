package io.datasync.nifi.consent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConsentStatusTest {

    @ParameterizedTest
    @ValueSource(strings = {"granted", "GRANTED", " Granted ", "true", "yes", "Y", "1", "opt-in", "OPT_IN", "optin"})
    void grantedSpellings(final String text) {
        assertEquals(ConsentStatus.GRANTED, ConsentStatus.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"denied", "false", "no", "N", "0", "opt-out", "Opt_Out", "optout"})
    void deniedSpellings(final String text) {
        assertEquals(ConsentStatus.DENIED, ConsentStatus.parse(text));
    }

    @Test
    void withdrawnPendingUnknown() {
        assertEquals(ConsentStatus.WITHDRAWN, ConsentStatus.parse("Withdrawn"));
        assertEquals(ConsentStatus.PENDING, ConsentStatus.parse("PENDING"));
        assertEquals(ConsentStatus.UNKNOWN, ConsentStatus.parse("unknown"));
    }

    @Test
    void typedValues() {
        assertEquals(ConsentStatus.GRANTED, ConsentStatus.parse(Boolean.TRUE));
        assertEquals(ConsentStatus.DENIED, ConsentStatus.parse(Boolean.FALSE));
        assertEquals(ConsentStatus.GRANTED, ConsentStatus.parse(1));
        assertEquals(ConsentStatus.DENIED, ConsentStatus.parse(0L));
        assertEquals(ConsentStatus.UNKNOWN, ConsentStatus.parse(2));
    }

    @Test
    void unreadableValuesAreNeverEvidence() {
        assertEquals(ConsentStatus.UNKNOWN, ConsentStatus.parse(null));
        assertEquals(ConsentStatus.UNKNOWN, ConsentStatus.parse(""));
        assertEquals(ConsentStatus.UNKNOWN, ConsentStatus.parse("maybe"));
        assertFalse(ConsentStatus.UNKNOWN.isEvidence());
        assertTrue(ConsentStatus.PENDING.isEvidence());
    }

    @Test
    void restrictivenessOrder() {
        assertTrue(ConsentStatus.WITHDRAWN.restrictiveness() > ConsentStatus.DENIED.restrictiveness());
        assertTrue(ConsentStatus.DENIED.restrictiveness() > ConsentStatus.PENDING.restrictiveness());
        assertTrue(ConsentStatus.PENDING.restrictiveness() > ConsentStatus.GRANTED.restrictiveness());
    }
}
