package io.datasync.nifi.consent;

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
 * Reads the timestamps consent systems write: date-time objects, epoch milliseconds and ISO-8601
 * text (with or without an offset; a missing offset means UTC; a date alone means its start in UTC).
 */
public final class ConsentTimestamps {

    private ConsentTimestamps() {
    }

    /**
     * @return the instant, or null when the value is empty or unreadable (the evidence is then undated)
     */
    public static Instant parse(final Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof Instant instant) {
            return instant;
        }
        if (value instanceof Date date) {
            // java.sql.Timestamp and java.sql.Date from database lookups are Dates too
            return value instanceof java.sql.Date sqlDate ? sqlDate.toLocalDate().atStartOfDay().toInstant(ZoneOffset.UTC) : date.toInstant();
        }
        if (value instanceof Number number) {
            return Instant.ofEpochMilli(number.longValue());
        }
        if (value instanceof TemporalAccessor temporal) {
            return fromTemporal(temporal);
        }
        return parseText(value.toString().trim());
    }

    private static Instant fromTemporal(final TemporalAccessor temporal) {
        if (temporal instanceof OffsetDateTime offsetDateTime) {
            return offsetDateTime.toInstant();
        }
        if (temporal instanceof ZonedDateTime zonedDateTime) {
            return zonedDateTime.toInstant();
        }
        if (temporal instanceof LocalDateTime localDateTime) {
            return localDateTime.toInstant(ZoneOffset.UTC);
        }
        if (temporal instanceof LocalDate localDate) {
            return localDate.atStartOfDay().toInstant(ZoneOffset.UTC);
        }
        return null;
    }

    private static Instant parseText(final String text) {
        if (text.isEmpty()) {
            return null;
        }
        if (isDigits(text)) {
            return Instant.ofEpochMilli(Long.parseLong(text));
        }
        try {
            if (text.length() == 10) {
                return LocalDate.parse(text).atStartOfDay().toInstant(ZoneOffset.UTC);
            }
            final String isoText = text.indexOf('T') < 0 ? text.replaceFirst(" ", "T") : text;
            final char last = isoText.charAt(isoText.length() - 1);
            if (last == 'Z' || last == 'z' || hasOffset(isoText)) {
                return OffsetDateTime.parse(isoText.replace('z', 'Z')).toInstant();
            }
            return LocalDateTime.parse(isoText).toInstant(ZoneOffset.UTC);
        } catch (final DateTimeParseException e) {
            return null;
        }
    }

    private static boolean hasOffset(final String isoText) {
        final int timeStart = isoText.indexOf('T');
        return timeStart > 0 && (isoText.indexOf('+', timeStart) > 0 || isoText.indexOf('-', timeStart) > 0);
    }

    private static boolean isDigits(final String text) {
        if (text.length() > 18) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            if (!Character.isDigit(text.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
