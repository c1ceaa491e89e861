package io.datasync.nifi.identity;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.TemporalAccessor;
import java.util.Collection;
import java.util.Date;
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
        if (value == null) {
            return NO_TIMESTAMP;
        }
        if (value instanceof Date date) {
            return date.getTime();
        }
        if (value instanceof Number number) {
            return number.longValue();
        }
        if (value instanceof TemporalAccessor temporal) {
            return temporalToMillis(temporal);
        }
        return parseTimestamp(value.toString().trim());
    }

    private static long temporalToMillis(final TemporalAccessor temporal) {
        if (temporal instanceof Instant instant) {
            return instant.toEpochMilli();
        }
        if (temporal instanceof OffsetDateTime offsetDateTime) {
            return offsetDateTime.toInstant().toEpochMilli();
        }
        if (temporal instanceof ZonedDateTime zonedDateTime) {
            return zonedDateTime.toInstant().toEpochMilli();
        }
        if (temporal instanceof LocalDateTime localDateTime) {
            return localDateTime.toInstant(ZoneOffset.UTC).toEpochMilli();
        }
        if (temporal instanceof LocalDate localDate) {
            return localDate.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        }
        return NO_TIMESTAMP;
    }

    private static long parseTimestamp(final String text) {
        if (text.isEmpty()) {
            return NO_TIMESTAMP;
        }
        if (isDigits(text)) {
            try {
                return Long.parseLong(text);
            } catch (final NumberFormatException e) {
                return NO_TIMESTAMP;
            }
        }
        try {
            return OffsetDateTime.parse(text).toInstant().toEpochMilli();
        } catch (final DateTimeParseException ignored) {
            // try the next format
        }
        try {
            return LocalDateTime.parse(text.replace(' ', 'T')).toInstant(ZoneOffset.UTC).toEpochMilli();
        } catch (final DateTimeParseException ignored) {
            // try the next format
        }
        try {
            return LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        } catch (final DateTimeParseException ignored) {
            return NO_TIMESTAMP;
        }
    }

    private static boolean isDigits(final String text) {
        for (int i = 0; i < text.length(); i++) {
            if (!Character.isDigit(text.charAt(i))) {
                return false;
            }
        }
        return true;
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
