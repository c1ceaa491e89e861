package io.datasync.nifi.fetch;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
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

    @Test
    void pairsBelowTheFloorAreRememberedButNotStoredNorCounted() {
        final TrackedKeys keys = new TrackedKeys(2);
        keys.addAll(List.of(new TrackedKeys.Entry(T1, "a"), new TrackedKeys.Entry(T1, "b")), T1);
        keys.addAll(List.of(new TrackedKeys.Entry(T2, "c"), new TrackedKeys.Entry(T2, "d")), T2);
        assertTrue(keys.contains(T1, "a"), "still suppresses repeats within the run");
        assertEquals(4, keys.size());
        assertEquals(2, keys.storedSize());
        assertEquals(List.of(T2.canonical()), List.copyOf(keys.toGroups().keySet()));
        assertThrows(TrackedKeys.LimitExceededException.class, () -> keys.addAll(List.of(new TrackedKeys.Entry(T2, "e")), T1));
        assertEquals(2, keys.storedSize(), "the floor never goes down");
    }

    @Test
    void memoryOnlyPairsForgetTheEarliestBeyondTheirBound() {
        final TrackedKeys keys = new TrackedKeys(TrackedKeys.MEMORY_ONLY_MAXIMUM + 10);
        final List<TrackedKeys.Entry> low = new ArrayList<>();
        for (int i = 0; i < TrackedKeys.MEMORY_ONLY_MAXIMUM; i++) {
            low.add(new TrackedKeys.Entry(T1, "k" + i));
        }
        final Watermark t0 = Watermark.ofInstant(Instant.parse("2023-12-31T00:00:00Z"));
        keys.addAll(List.of(new TrackedKeys.Entry(t0, "oldest")));
        keys.addAll(low);
        keys.addAll(List.of(new TrackedKeys.Entry(T2, "top")), T2);
        assertFalse(keys.contains(t0, "oldest"), "the earliest pair goes first");
        assertTrue(keys.contains(T1, "k0"));
        assertEquals(TrackedKeys.MEMORY_ONLY_MAXIMUM + 1, keys.size());
    }
}
