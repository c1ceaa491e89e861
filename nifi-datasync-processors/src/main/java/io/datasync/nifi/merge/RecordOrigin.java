package io.datasync.nifi.merge;

import java.util.Objects;

/**
 * Where one input record came from: its source system, that source's rank for tie-breaks, and the
 * record's own timestamp. Shared by all candidates taken from the same record.
 *
 * @param source          source name as found in the record ("" when the record names none)
 * @param tieBreakRank    position of the source in the tie-break order (lower is preferred)
 * @param recordTimestamp epoch milliseconds, or {@link #UNKNOWN_TIMESTAMP} when the record has none
 */
public record RecordOrigin(String source, int tieBreakRank, long recordTimestamp) {

    /** A missing timestamp sorts before every real one: such a value is treated as the oldest. */
    public static final long UNKNOWN_TIMESTAMP = Long.MIN_VALUE;

    public RecordOrigin {
        Objects.requireNonNull(source, "source");
    }
}
