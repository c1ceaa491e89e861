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
    void normalisedFormIsCheckedToo() {
        final BlockedValues blocked = new BlockedValues(List.of("+15555550100"));
        assertTrue(blocked.isBlocked("(555) 555-0100", "+15555550100"));
    }

    @Test
    void realValuesPass() {
        assertFalse(defaults.isBlocked("jane@example.org", "jane@example.org"));
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
