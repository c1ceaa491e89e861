package io.datasync.nifi.push;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a FlowFile's records into batches: consecutive runs of at most the batch size, in order, every record in
 * exactly one batch. The cut depends only on the record count and the batch size, so the same FlowFile always
 * gives the same batches (and idempotency keys).
 */
public final class Batches {

    private Batches() {
    }

    /** The [from, to) index ranges of the batches. */
    public static List<int[]> ranges(final int recordCount, final int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be positive");
        }
        if (recordCount < 0) {
            throw new IllegalArgumentException("record count must not be negative");
        }
        final List<int[]> ranges = new ArrayList<>();
        for (int from = 0; from < recordCount; from += batchSize) {
            ranges.add(new int[] {from, Math.min(recordCount, from + batchSize)});
        }
        return ranges;
    }
}
