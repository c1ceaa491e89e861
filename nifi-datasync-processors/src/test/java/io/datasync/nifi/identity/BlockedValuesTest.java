package io.datasync.nifi.identity;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlockedValuesTest {

    private final BlockedValues defaults = new BlockedValues(BlockedValues.DEFAULTS);

    @Test
    void defaultPlaceholdersAreBlocked() {
        assertTrue(defaults.isBlocked(" TEST@example.com ", "test@example.com"));
        assertTrue(defaults.isBlocked("N/A", "n/a"));
        assertTrue(defaults.isBlocked("0000000000", "0000000000"));
    }

    @Test
    void emptyAndUnusableValuesAreBlocked() {
        assertTrue(defaults.isBlocked("", ""));
        assertTrue(defaults.isBlocked("  ", "x"));
        assertTrue(defaults.isBlocked("garbage", null));
    }

    @Test
    void normalizedFormIsCheckedToo() {
        final BlockedValues blocked = new BlockedValues(List.of("+15555550100"));
        assertTrue(blocked.isBlocked("(555) 555-0100", "+15555550100"));
    }

    @Test
    void realValuesPass() {
        assertFalse(defaults.isBlocked("jane@example.org", "jane@example.org"));
    }

    @Test
    void realNumbersWhoseSubscriberDigitsFormARunStillLink() {
        // only a dialling prefix is skipped before the run, never an area code (seen: 415 and 11 were
        // taken for a prefix, so these real numbers were blocked and their people never linked by phone)
        assertFalse(defaults.isBlocked("(415) 234-5678", "+14152345678"));
        assertFalse(defaults.isBlocked("(11) 91234-5678", "+5511912345678"));
        assertFalse(defaults.isBlocked("+1 415 234 5678", "+14152345678"));
    }

    @Test
    void placeholderNumbersBehindADiallingPrefixAreBlocked() {
        assertTrue(defaults.isBlocked("+1 555 555 5555", "+15555555555"));
        assertTrue(defaults.isBlocked("+44 9876 543210", "+449876543210"));
        assertTrue(defaults.isBlocked("0044 1111 111111", "+441111111111"));
        assertTrue(defaults.isBlocked("07777 777777", "+447777777777"));
        assertTrue(defaults.isBlocked("0123456789", "0123456789"));
    }

    @Test
    void configuredListReplacesDefaults() {
        final BlockedValues blocked = BlockedValues.parse(" noreply@shop.example , unknown ");
        assertTrue(blocked.isBlocked("NoReply@Shop.example", "noreply@shop.example"));
        assertTrue(blocked.isBlocked("Unknown", "unknown"));
        assertFalse(blocked.isBlocked("test@example.com", "test@example.com"));
        assertFalse(BlockedValues.parse(null).isBlocked("a", "a"));
    }
}
