package io.datasync.nifi.identity;

import io.datasync.nifi.common.Timestamps;
import java.util.Collection;
import java.util.Map;

/**
 * Scores that decide which record of a customer survives in collapse mode: the highest score wins,
 * the first record seen wins ties (so "first seen" is simply a constant score).
 */
public final class SurvivorScores {

    /**
     * Score of a record whose timestamp is missing or unreadable: it loses to any dated record.
     */
    public static final long NO_TIMESTAMP = Long.MIN_VALUE;

    private SurvivorScores() {
    }

    /**
     * @return the timestamp as epoch milliseconds; strings may be ISO-8601 instants, offset or local
     * date-times (read as UTC), dates, or epoch milliseconds
     */
    public static long timestampScore(final Object value) {
        return Timestamps.toEpochMillisOr(value, NO_TIMESTAMP);
    }

    /**
     * @return how many of the values are filled: not null, not blank, not an empty array, collection or map
     */
    public static long completenessScore(final Object[] values) {
        long filled = 0;
        for (final Object value : values) {
            if (isFilled(value)) {
                filled++;
            }
        }
        return filled;
    }

    private static boolean isFilled(final Object value) {
        if (value == null) {
            return false;
        }
        if (value instanceof CharSequence text) {
            return !text.toString().isBlank();
        }
        if (value instanceof Object[] array) {
            return array.length > 0;
        }
        if (value instanceof Collection<?> collection) {
            return !collection.isEmpty();
        }
        if (value instanceof Map<?, ?> map) {
            return !map.isEmpty();
        }
        return true;
    }
}
