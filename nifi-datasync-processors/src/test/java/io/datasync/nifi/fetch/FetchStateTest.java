package io.datasync.nifi.fetch;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FetchStateTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static Watermark at(final String text) {
        return WatermarkFormat.ISO_8601.parse(text);
    }

    @Test
    void runInProgressRoundTripsThroughStateMap() {
        final TrackedKeys keys = new TrackedKeys(10);
        keys.addAll(List.of(new TrackedKeys.Entry(at("2024-01-01T00:00:00Z"), "a")));
        final FetchState state = new FetchState(at("2023-12-31T00:00:00Z"), keys,
                new FetchState.Run("r1", at("2023-12-31T00:00:00Z"), at("2024-02-01T00:00:00Z"), at("2024-02-01T00:00:00Z"), at("2024-01-01T00:00:00Z"), 3,
                        PagePosition.ofCursor("c3"), new LinkedHashSet<>(List.of("ab", "cd")), 99));
        final Map<String, String> map = state.toMap(MAPPER);
        final FetchState restored = FetchState.fromMap(map, true, 10, MAPPER);
        assertEquals(state.watermark(), restored.watermark());
        assertEquals(state.run(), restored.run());
        assertTrue(restored.trackedKeys().contains(at("2024-01-01T00:00:00Z"), "a"));
        assertEquals(map, restored.toMap(MAPPER));
    }

    @Test
    void completingARunAdvancesToTheRunMaximumAndKeepsOnlyTheLookbackWindow() {
        final TrackedKeys keys = new TrackedKeys(10);
        keys.addAll(List.of(new TrackedKeys.Entry(at("2024-01-01T00:00:00Z"), "old"),
                new TrackedKeys.Entry(at("2024-01-01T09:30:00Z"), "recent"),
                new TrackedKeys.Entry(at("2024-01-01T10:00:00Z"), "edge")));
        final FetchState state = new FetchState(null, keys,
                new FetchState.Run("r", null, null, null, at("2024-01-01T10:00:00Z"), 1, PagePosition.start(), Set.of(), 0));
        state.completeRun(Duration.ofHours(1));
        assertEquals(at("2024-01-01T10:00:00Z"), state.watermark());
        assertNull(state.run());
        assertFalse(state.trackedKeys().contains(at("2024-01-01T00:00:00Z"), "old"));
        assertTrue(state.trackedKeys().contains(at("2024-01-01T09:30:00Z"), "recent"));
        assertTrue(state.trackedKeys().contains(at("2024-01-01T10:00:00Z"), "edge"));

        state.completeRun(Duration.ZERO);
        assertEquals(1, state.trackedKeys().size());
    }

    @Test
    void aRunThatEmittedNothingKeepsTheWatermark() {
        final FetchState state = new FetchState(at("2024-01-01T00:00:00Z"), new TrackedKeys(5),
                new FetchState.Run("r", null, null, null, null, 1, PagePosition.start(), Set.of(), 0));
        state.completeRun(Duration.ZERO);
        assertEquals(at("2024-01-01T00:00:00Z"), state.watermark());
    }

    @Test
    void aCompletedTimeSliceAdvancesToItsEndEvenWhenEmpty() {
        final FetchState state = new FetchState(at("2024-01-01T00:00:00Z"), new TrackedKeys(5),
                new FetchState.Run("r", at("2024-01-01T00:00:00Z"), at("2024-01-02T00:00:00Z"), at("2024-01-02T00:00:00Z"), null, 1,
                        PagePosition.start(), Set.of(), 0));
        state.completeRun(Duration.ZERO);
        assertEquals(at("2024-01-02T00:00:00Z"), state.watermark());
    }

    @Test
    void newRunFieldsAndThePauseRoundTripAndAnUnreadablePauseIsIgnored() {
        final ObjectMapper mapper = new ObjectMapper();
        final Watermark at = WatermarkFormat.ISO_8601.parse("2024-01-01T00:00:00Z");
        final FetchState state = new FetchState(null, new TrackedKeys(10), new FetchState.Run("r", at, null, null, at, 4, PagePosition.ofNumber(39),
                LoopGuard.empty().after("a").after("b"), 7, new FetchState.Tail(at, "k9", false), at, "looping"));
        state.setNotBefore(Instant.parse("2026-12-01T12:00:00Z"));
        final Map<String, String> map = state.toMap(mapper);
        final FetchState read = FetchState.fromMap(map, true, 10, mapper);
        assertEquals(state.run(), read.run());
        assertEquals(state.notBefore(), read.notBefore());
        final Map<String, String> damaged = new HashMap<>(map);
        damaged.put(FetchState.NOT_BEFORE, "soon");
        assertNull(FetchState.fromMap(damaged, true, 10, mapper).notBefore());
    }
}
