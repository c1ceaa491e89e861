package io.datasync.nifi.fetch;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrackedKeysTest {

    private static final Watermark T1 = Watermark.ofInstant(Instant.parse("2024-01-01T00:00:00Z"));
    private static final Watermark T2 = Watermark.ofInstant(Instant.parse("2024-01-02T00:00:00Z"));

    @Test
    void aPairIsOneVersionOfOneRecord() {
        final TrackedKeys keys = new TrackedKeys(10);
        keys.addAll(List.of(new TrackedKeys.Entry(T1, "a")));
        assertTrue(keys.contains(T1, "a"));
        assertFalse(keys.contains(T2, "a"));
        assertFalse(keys.contains(T1, "b"));
    }

    @Test
    void exceedingTheBoundAddsNothing() {
        final TrackedKeys keys = new TrackedKeys(2);
        keys.addAll(List.of(new TrackedKeys.Entry(T1, "a")));
        final TrackedKeys.LimitExceededException e = assertThrows(TrackedKeys.LimitExceededException.class,
                () -> keys.addAll(List.of(new TrackedKeys.Entry(T1, "b"), new TrackedKeys.Entry(T1, "c"))));
        assertEquals(3, e.getRequired());
        assertEquals(1, keys.size());
        assertFalse(keys.contains(T1, "b"));
        keys.addAll(List.of(new TrackedKeys.Entry(T1, "a"), new TrackedKeys.Entry(T2, "b")));
        assertEquals(2, keys.size());
    }

    @Test
    void retainFromDropsOlderPairsAndGroupsRoundTrip() {
        final TrackedKeys keys = new TrackedKeys(10);
        keys.addAll(List.of(new TrackedKeys.Entry(T1, "a"), new TrackedKeys.Entry(T2, "b"), new TrackedKeys.Entry(T2, "c")));
        keys.retainFrom(T2);
        assertEquals(2, keys.size());
        assertFalse(keys.contains(T1, "a"));

        final TrackedKeys restored = TrackedKeys.fromGroups(keys.toGroups(), true, 10);
        assertTrue(restored.contains(T2, "b"));
        assertTrue(restored.contains(T2, "c"));
        assertEquals(2, restored.size());
    }

    @Test
    void stateLargerThanALoweredBoundIsKeptButCannotGrow() {
        final TrackedKeys keys = new TrackedKeys(10);
        keys.addAll(List.of(new TrackedKeys.Entry(T1, "a"), new TrackedKeys.Entry(T1, "b")));
        final TrackedKeys restored = TrackedKeys.fromGroups(keys.toGroups(), true, 1);
        assertEquals(2, restored.size());
        assertThrows(TrackedKeys.LimitExceededException.class, () -> restored.addAll(List.of(new TrackedKeys.Entry(T2, "c"))));
    }
}
