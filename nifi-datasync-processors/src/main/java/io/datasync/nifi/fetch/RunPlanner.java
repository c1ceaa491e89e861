package io.datasync.nifi.fetch;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * Sets the bounds of a new run: it starts from the stored watermark (or the Initial Watermark) less the
 * lookback window, and, for timestamp watermarks, ends at its start time less the settle delay or at the end
 * of its slice when the Maximum Run Span ends earlier.
 *
 * @param initialWatermark where the first run starts, or null for everything
 * @param lookback how far below the stored watermark each run reads again
 * @param timestamp whether watermarks are timestamps (only they have upper bounds)
 * @param settleDelay how recent a record may be and still be read by a run
 * @param maxRunSpan the longest slice of time one run covers, or null
 */
public record RunPlanner(Watermark initialWatermark, Duration lookback, boolean timestamp, Duration settleDelay, Duration maxRunSpan) {

    public FetchState.Run start(final Watermark stored, final PagePosition first, final Instant now) {
        final Watermark base = stored != null ? stored : initialWatermark;
        final Watermark lower = base == null ? null : base.lookbackFrom(lookback);
        if (!timestamp) {
            return new FetchState.Run(UUID.randomUUID().toString(), lower, null, null, null, 0, first, LoopGuard.empty(), 0,
                    FetchState.Tail.START, null, null);
        }
        final Instant settled = now.minus(settleDelay);
        // Records stamped after the run started are left for the next run, so every run has a fixed upper bound.
        Watermark upper = Watermark.ofInstant(settled);
        Watermark advanceTo = null;
        if (maxRunSpan != null && base != null) {
            // A slice that ends before the settled present is complete once fetched, so the watermark may move to its end.
            final Instant sliceEnd = base.toInstant().plus(maxRunSpan);
            if (sliceEnd.isBefore(settled)) {
                upper = Watermark.ofInstant(sliceEnd);
                advanceTo = upper;
            }
        }
        return new FetchState.Run(UUID.randomUUID().toString(), lower, upper, advanceTo, null, 0, first, LoopGuard.empty(), 0,
                FetchState.Tail.START, null, null);
    }
}
