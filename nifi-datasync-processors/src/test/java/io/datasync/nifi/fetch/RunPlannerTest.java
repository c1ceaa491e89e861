package io.datasync.nifi.fetch;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class RunPlannerTest {

    private static final Instant NOW = Instant.parse("2024-06-01T12:00:00Z");

    private static Watermark at(final String text) {
        return Watermark.ofInstant(Instant.parse(text));
    }

    @Test
    void aTimestampRunStartsBelowTheStoredWatermarkByTheLookbackAndEndsAtNowLessTheSettleDelay() {
        final RunPlanner planner = new RunPlanner(at("2024-01-01T00:00:00Z"), Duration.ofMinutes(10), true, Duration.ofMinutes(1), null);
        final FetchState.Run run = planner.start(at("2024-06-01T11:00:00Z"), PagePosition.start(), NOW);
        assertEquals(at("2024-06-01T10:50:00Z"), run.lower());
        assertEquals(at("2024-06-01T11:59:00Z"), run.upper());
        assertNull(run.advanceTo());
        assertEquals(0, run.pages());
        assertEquals(PagePosition.start(), run.next());
    }

    @Test
    void theInitialWatermarkIsUsedOnlyWithoutAStoredOne() {
        final RunPlanner planner = new RunPlanner(at("2024-01-01T00:00:00Z"), Duration.ZERO, true, Duration.ZERO, null);
        assertEquals(at("2024-01-01T00:00:00Z"), planner.start(null, PagePosition.start(), NOW).lower());
        assertNull(new RunPlanner(null, Duration.ZERO, true, Duration.ZERO, null).start(null, PagePosition.start(), NOW).lower());
    }

    @Test
    void aSliceThatEndsBeforeTheSettledPresentMovesTheWatermarkToItsEnd() {
        final RunPlanner planner = new RunPlanner(null, Duration.ZERO, true, Duration.ofMinutes(5), Duration.ofDays(7));
        final FetchState.Run backfill = planner.start(at("2024-01-01T00:00:00Z"), PagePosition.start(), NOW);
        assertEquals(at("2024-01-08T00:00:00Z"), backfill.upper());
        assertEquals(at("2024-01-08T00:00:00Z"), backfill.advanceTo());

        final FetchState.Run recent = planner.start(at("2024-05-30T00:00:00Z"), PagePosition.start(), NOW);
        assertEquals(at("2024-06-01T11:55:00Z"), recent.upper());
        assertNull(recent.advanceTo());
    }

    @Test
    void numericWatermarksHaveNoUpperBound() {
        final RunPlanner planner = new RunPlanner(Watermark.ofNumber(5), Duration.ZERO, false, Duration.ZERO, null);
        final FetchState.Run run = planner.start(Watermark.ofNumber(42), PagePosition.ofNumber(1), NOW);
        assertEquals(Watermark.ofNumber(42), run.lower());
        assertNull(run.upper());
        assertNull(run.advanceTo());
        assertEquals(PagePosition.ofNumber(1), run.next());
    }

    @Test
    void everyRunHasItsOwnId() {
        final RunPlanner planner = new RunPlanner(null, Duration.ZERO, false, Duration.ZERO, null);
        assertNotEquals(planner.start(null, PagePosition.start(), NOW).id(), planner.start(null, PagePosition.start(), NOW).id());
    }
}
