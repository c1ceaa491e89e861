package io.datasync.nifi.merge;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.TemporalAccessor;
import java.util.Date;

/**
 * Turns the timestamp values sources send into epoch milliseconds: numbers (epoch milliseconds),
 * {@link Date}s and java.time values, and strings in ISO-8601 form ({@code 2024-05-01T10:00:00Z},
 * {@code 2024-05-01T12:00:00+02:00}, {@code 2024-05-01 10:00:00} or {@code 2024-05-01}, the last two read
 * as UTC) or all digits (epoch milliseconds).
 */
public final class TimestampParser {

    private TimestampParser() {
    }

    /**
     * @return epoch milliseconds, or null when the value is null or blank
     * @throws IllegalArgumentException when the value is not a timestamp in a supported form
     */
    public static Long toEpochMillis(final Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof Number number) {
            return number.longValue();
        }
        if (value instanceof Date date) {
            return date.getTime();
        }
        if (value instanceof TemporalAccessor temporal) {
            return fromTemporal(temporal);
        }
        if (value instanceof CharSequence text) {
            return parse(text.toString().trim());
        }
        throw new IllegalArgumentException("Unsupported timestamp type " + value.getClass().getSimpleName());
    }

    private static long fromTemporal(final TemporalAccessor temporal) {
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
        throw new IllegalArgumentException("Unsupported timestamp type " + temporal.getClass().getSimpleName());
    }

    private static Long parse(final String text) {
        if (text.isEmpty()) {
            return null;
        }
        if (isDigits(text)) {
            return Long.parseLong(text);
        }
        try {
            if (text.length() == 10) {
                return LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
            }
            final String isoText = text.length() > 10 && text.charAt(10) == ' ' ? text.substring(0, 10) + 'T' + text.substring(11) : text;
            if (hasOffset(isoText)) {
                return OffsetDateTime.parse(isoText).toInstant().toEpochMilli();
            }
            return LocalDateTime.parse(isoText).toInstant(ZoneOffset.UTC).toEpochMilli();
        } catch (final DateTimeParseException e) {
            throw new IllegalArgumentException("Not an ISO-8601 timestamp", e);
        }
    }

    private static boolean isDigits(final String text) {
        final int start = text.charAt(0) == '-' && text.length() > 1 ? 1 : 0;
        for (int i = start; i < text.length(); i++) {
            final char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    private static boolean hasOffset(final String text) {
        final char last = text.charAt(text.length() - 1);
        if (last == 'Z' || last == 'z') {
            return true;
        }
        // An offset sign can only follow the time part, which starts after "yyyy-MM-ddT".
        for (int i = text.length() - 1; i > 10; i--) {
            final char c = text.charAt(i);
            if (c == '+' || c == '-') {
                return true;
            }
        }
        return false;
    }
}
