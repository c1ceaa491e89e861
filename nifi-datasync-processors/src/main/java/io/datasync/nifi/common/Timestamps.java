package io.datasync.nifi.common;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.time.temporal.TemporalAccessor;
import java.util.Date;

/**
 * Turns the timestamp values sources send into epoch milliseconds: numbers (epoch milliseconds),
 * {@link Date}s and java.time values, and strings in ISO-8601 form ({@code 2024-05-01T10:00:00Z},
 * {@code 2024-05-01T12:00:00+02:00}, {@code 2024-05-01 10:00:00} or {@code 2024-05-01}, the last two read
 * as UTC; PostgreSQL's text form {@code 2024-05-01 10:00:00+00} too) or all digits (epoch milliseconds).
 * One parser for every processor, so that consent, identity and merge rules read a timestamp alike.
 */
public final class Timestamps {

    // Strict, so that an impossible date such as 2023-02-29 is rejected rather than moved to the 28th.
    private static final DateTimeFormatter ISO_DATE = DateTimeFormatter.ISO_LOCAL_DATE.withResolverStyle(ResolverStyle.STRICT);
    private static final DateTimeFormatter ISO_OFFSET_DATE_TIME = DateTimeFormatter.ISO_OFFSET_DATE_TIME.withResolverStyle(ResolverStyle.STRICT);
    private static final DateTimeFormatter ISO_LOCAL_DATE_TIME = DateTimeFormatter.ISO_LOCAL_DATE_TIME.withResolverStyle(ResolverStyle.STRICT);

    /**
     * Also accepted after the strict forms: an offset without a colon ({@code +0200}) or as hours only
     * ({@code +02}), and a zone id in brackets after the offset or instead of it
     * ({@code 2024-05-01T12:00:00+02:00[Europe/Berlin]}, {@code 2024-05-01T12:00:00[Europe/Berlin]}).
     */
    private static final DateTimeFormatter OTHER_OFFSET_FORMS = new DateTimeFormatterBuilder()
            .append(DateTimeFormatter.ISO_LOCAL_DATE_TIME)
            .optionalStart().appendOffset("+HH:MM", "Z").optionalEnd()
            .optionalStart().appendOffset("+HHMM", "Z").optionalEnd()
            .optionalStart().appendOffset("+HH", "Z").optionalEnd()
            .optionalStart().appendLiteral('[').parseCaseSensitive().appendZoneRegionId().appendLiteral(']').optionalEnd()
            .toFormatter()
            .withResolverStyle(ResolverStyle.STRICT)
            .withChronology(java.time.chrono.IsoChronology.INSTANCE);

    /**
     * How a bare number (or a text of digits) is read. Sources disagree: Unix tools and many APIs send
     * seconds, JavaScript and Java send milliseconds.
     */
    public enum EpochUnit {
        MILLISECONDS,
        SECONDS,
        /**
         * By magnitude: an absolute value below {@value #AUTO_SECONDS_LIMIT} is seconds (that many
         * seconds reach the year 5138), anything larger is milliseconds (as milliseconds the limit is
         * only March 1973, earlier than any consent or profile data a source holds).
         */
        AUTO;

        public static final long AUTO_SECONDS_LIMIT = 100_000_000_000L;

        long toMillis(final long number) {
            return switch (this) {
                case MILLISECONDS -> number;
                case SECONDS -> Math.multiplyExact(number, 1000L);
                case AUTO -> Math.abs(number) < AUTO_SECONDS_LIMIT ? number * 1000L : number;
            };
        }
    }

    private Timestamps() {
    }

    /**
     * Like {@link #toEpochMillis(Object)}, with bare numbers and digit texts read in the given unit.
     *
     * @throws IllegalArgumentException when the value is not a timestamp in a supported form, or out of range
     */
    public static Long toEpochMillis(final Object value, final EpochUnit unit) {
        if (unit == EpochUnit.MILLISECONDS || value == null) {
            return toEpochMillis(value);
        }
        try {
            if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
                return unit.toMillis(((Number) value).longValue());
            }
            if (value instanceof Number number) {
                final double numeric = number.doubleValue();
                if (Double.isNaN(numeric) || Double.isInfinite(numeric)) {
                    throw new IllegalArgumentException("Not a finite number");
                }
                return unit.toMillis(number.longValue());
            }
            if (value instanceof CharSequence text) {
                final String trimmed = text.toString().trim();
                if (!trimmed.isEmpty() && isDigits(trimmed)) {
                    return unit.toMillis(Long.parseLong(trimmed));
                }
            }
        } catch (final ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("Epoch number out of range");
        }
        return toEpochMillis(value);
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
        if (value instanceof java.sql.Date sqlDate) {
            // getTime() would be midnight in the JVM's zone; a date means its start in UTC, as in text
            return sqlDate.toLocalDate().atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
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

    /**
     * @return the instant, or null when the value is null, blank or not a timestamp in a supported form
     */
    public static Instant toInstantOrNull(final Object value) {
        try {
            final Long millis = toEpochMillis(value);
            return millis == null ? null : Instant.ofEpochMilli(millis);
        } catch (final IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * @return epoch milliseconds, or the given fallback when the value is null, blank or unreadable
     */
    public static long toEpochMillisOr(final Object value, final long fallback) {
        try {
            final Long millis = toEpochMillis(value);
            return millis == null ? fallback : millis;
        } catch (final IllegalArgumentException e) {
            return fallback;
        }
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
        final long fast = parseCommonIso(text);
        if (fast != NOT_PARSED) {
            return fast;
        }
        try {
            if (text.length() == 10) {
                return LocalDate.parse(text, ISO_DATE).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
            }
            final String isoText = withColonInOffset(text.length() > 10 && text.charAt(10) == ' ' ? text.substring(0, 10) + 'T' + text.substring(11) : text);
            if (hasOffset(isoText)) {
                return OffsetDateTime.parse(isoText, ISO_OFFSET_DATE_TIME).toInstant().toEpochMilli();
            }
            return LocalDateTime.parse(isoText, ISO_LOCAL_DATE_TIME).toInstant(ZoneOffset.UTC).toEpochMilli();
        } catch (final DateTimeParseException e) {
            final Long other = parseOtherOffsetForms(text);
            if (other != null) {
                return other;
            }
            throw new IllegalArgumentException("Not an ISO-8601 timestamp", e);
        }
    }

    /** The forms of {@link #OTHER_OFFSET_FORMS}; null when the text is in none of them, or has neither offset nor zone. */
    private static Long parseOtherOffsetForms(final String text) {
        final String isoText = text.length() > 10 && text.charAt(10) == ' ' ? text.substring(0, 10) + 'T' + text.substring(11) : text;
        try {
            final TemporalAccessor parsed = OTHER_OFFSET_FORMS.parse(isoText);
            final LocalDateTime local = LocalDateTime.from(parsed);
            final ZoneOffset offset = parsed.query(java.time.temporal.TemporalQueries.offset());
            final java.time.ZoneId zone = parsed.query(java.time.temporal.TemporalQueries.zoneId());
            if (offset != null) {
                // the offset states the instant; a zone id after it only names where it was
                return local.toInstant(offset).toEpochMilli();
            }
            if (zone != null) {
                return local.atZone(zone).toInstant().toEpochMilli();
            }
            return null;
        } catch (final DateTimeException e) {
            return null;
        }
    }

    private static final long NOT_PARSED = Long.MIN_VALUE;

    /**
     * The shape almost every source sends, {@code yyyy-MM-ddTHH:mm:ss[.fraction][Z|+HH:MM]}, read without
     * java.time's general parser (which dominates the cost of a merge otherwise).
     *
     * @return epoch milliseconds, or {@link #NOT_PARSED} for any other shape or an invalid date (the general
     *         parser then decides)
     */
    private static long parseCommonIso(final String text) {
        final int length = text.length();
        if (length < 19 || text.charAt(4) != '-' || text.charAt(7) != '-' || (text.charAt(10) != 'T' && text.charAt(10) != ' ')
                || text.charAt(13) != ':' || text.charAt(16) != ':') {
            return NOT_PARSED;
        }
        final int year = digits(text, 0, 4);
        final int month = digits(text, 5, 2);
        final int day = digits(text, 8, 2);
        final int hour = digits(text, 11, 2);
        final int minute = digits(text, 14, 2);
        final int second = digits(text, 17, 2);
        if (year < 0 || month < 0 || day < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
            return NOT_PARSED;
        }
        int position = 19;
        int millis = 0;
        if (position < length && text.charAt(position) == '.') {
            position++;
            int fractionDigits = 0;
            while (position < length && Character.isDigit(text.charAt(position))) {
                if (fractionDigits < 3) {
                    millis = millis * 10 + (text.charAt(position) - '0');
                }
                fractionDigits++;
                position++;
            }
            if (fractionDigits == 0) {
                return NOT_PARSED;
            }
            for (int i = fractionDigits; i < 3; i++) {
                millis *= 10;
            }
        }
        int offsetSeconds = 0;
        if (position < length) {
            final char designator = text.charAt(position);
            if ((designator == 'Z' || designator == 'z') && position + 1 == length) {
                offsetSeconds = 0;
            } else if ((designator == '+' || designator == '-') && position + 6 == length && text.charAt(position + 3) == ':') {
                final int offsetHours = digits(text, position + 1, 2);
                final int offsetMinutes = digits(text, position + 4, 2);
                if (offsetHours < 0 || offsetHours > 18 || offsetMinutes < 0 || offsetMinutes > 59) {
                    return NOT_PARSED;
                }
                offsetSeconds = (designator == '-' ? -1 : 1) * (offsetHours * 3600 + offsetMinutes * 60);
            } else {
                return NOT_PARSED;
            }
        }
        final long epochDay;
        try {
            epochDay = LocalDate.of(year, month, day).toEpochDay();
        } catch (final DateTimeException e) {
            return NOT_PARSED;
        }
        final long epochSecond = epochDay * 86_400L + hour * 3_600L + minute * 60L + second - offsetSeconds;
        return epochSecond * 1000L + millis;
    }

    /** The non-negative number in text[start, start+count), or -1 when any character is not a digit. */
    private static int digits(final String text, final int start, final int count) {
        int value = 0;
        for (int i = start; i < start + count; i++) {
            final char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
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

    /** {@code ...+0200} becomes {@code ...+02:00}: ISO-8601's basic offset form, which the extended-form parser rejects. */
    private static String withColonInOffset(final String text) {
        final int sign = text.length() - 5;
        if (sign > 16 && (text.charAt(sign) == '+' || text.charAt(sign) == '-') && isDigits(text.substring(sign + 1))) {
            return text.substring(0, sign + 3) + ':' + text.substring(sign + 3);
        }
        return text;
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
