package io.datasync.nifi.fetch;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.DateTimeException;
import java.time.Instant;

/**
 * How a watermark is written: in a record field, in a request parameter or in a body template.
 */
public enum WatermarkFormat {
    ISO_8601(true),
    EPOCH_SECONDS(true),
    EPOCH_MILLIS(true),
    NUMBER(false);

    private final boolean timestamp;

    WatermarkFormat(final boolean timestamp) {
        this.timestamp = timestamp;
    }

    public boolean isTimestamp() {
        return timestamp;
    }

    /**
     * Reads a watermark from a record field.
     *
     * @throws IllegalArgumentException when the node is missing, null or not in this format
     */
    public Watermark parse(final JsonNode node) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            throw new IllegalArgumentException("watermark field is missing or null");
        }
        if (node.isNumber()) {
            return switch (this) {
                case ISO_8601 -> throw new IllegalArgumentException("expected an ISO-8601 text, found a number");
                case EPOCH_SECONDS -> node.isIntegralNumber() ? Watermark.ofInstant(Instant.ofEpochSecond(node.longValue())) : fromSeconds(node.decimalValue());
                case EPOCH_MILLIS -> {
                    if (!node.isIntegralNumber()) {
                        throw new IllegalArgumentException("expected whole epoch milliseconds");
                    }
                    yield Watermark.ofInstant(Instant.ofEpochMilli(node.longValue()));
                }
                case NUMBER -> {
                    if (!node.isIntegralNumber() || !node.canConvertToLong()) {
                        throw new IllegalArgumentException("expected a whole number");
                    }
                    yield Watermark.ofNumber(node.longValue());
                }
            };
        }
        if (node.isTextual()) {
            return parse(node.textValue());
        }
        throw new IllegalArgumentException("watermark field is neither text nor a number");
    }

    /**
     * Reads a watermark written as text in this format.
     *
     * @throws IllegalArgumentException when the text is not in this format
     */
    public Watermark parse(final String text) {
        final String trimmed = text == null ? "" : text.trim();
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException("watermark text is empty");
        }
        try {
            return switch (this) {
                // Instant.parse takes any offset (Z, +02:00) like OffsetDateTime.parse, at about two thirds of its cost.
                case ISO_8601 -> Watermark.ofInstant(Instant.parse(normalizeIso(trimmed)));
                case EPOCH_SECONDS -> fromSeconds(new BigDecimal(trimmed));
                case EPOCH_MILLIS -> Watermark.ofInstant(Instant.ofEpochMilli(Long.parseLong(trimmed)));
                case NUMBER -> Watermark.ofNumber(Long.parseLong(trimmed));
            };
        } catch (final DateTimeException | NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("not a valid " + name() + " watermark", e);
        }
    }

    /**
     * Reads a user-entered watermark (such as an initial watermark): for timestamp formats both
     * ISO-8601 and this format's numeric form are accepted.
     */
    public Watermark parseLenient(final String text) {
        if (timestamp && text != null && text.indexOf('T') > 0) {
            return ISO_8601.parse(text);
        }
        return parse(text);
    }

    /**
     * Writes a watermark as request parameter text. Timestamps are rounded down to this format's
     * precision, so an inclusive lower bound never skips a record.
     */
    public String format(final Watermark watermark) {
        if (timestamp != watermark.isTimestamp()) {
            throw new IllegalArgumentException("Format " + name() + " does not fit watermark " + watermark);
        }
        return switch (this) {
            case ISO_8601 -> watermark.canonical();
            case EPOCH_SECONDS -> Long.toString(watermark.toInstant().getEpochSecond());
            case EPOCH_MILLIS -> Long.toString(watermark.toInstant().toEpochMilli());
            case NUMBER -> Long.toString(watermark.toNumber());
        };
    }

    /** Writes a watermark as a JSON value (quoted text for ISO-8601, a bare number otherwise). */
    public String formatJson(final Watermark watermark) {
        final String text = format(watermark);
        return this == ISO_8601 ? "\"" + text + "\"" : text;
    }

    /**
     * The usual variants of ISO-8601 that APIs send, in the form {@link Instant#parse} reads: a space instead of the
     * {@code T} (SQL style, {@code 2026-12-01 19:36:33Z}) and an offset without a colon or minutes ({@code +0200}, {@code +02}).
     * A text without any offset stays unreadable: its instant is unknown.
     */
    static String normalizeIso(final String text) {
        String result = text;
        if (result.length() > 10 && result.charAt(10) == ' ') {
            result = result.substring(0, 10) + 'T' + result.substring(11).trim();
        }
        final int length = result.length();
        // Offset as +HHMM or +HH at the end of the time part (which starts after yyyy-MM-ddT).
        if (length > 16) {
            if (isSignedDigits(result, length - 5, 4)) {
                result = result.substring(0, length - 2) + ':' + result.substring(length - 2);
            } else if (isSignedDigits(result, length - 3, 2) && result.charAt(length - 6) != '+' && result.charAt(length - 6) != '-') {
                result = result + ":00";
            }
        }
        return result;
    }

    private static boolean isSignedDigits(final String text, final int signAt, final int digits) {
        if (signAt <= 16 || (text.charAt(signAt) != '+' && text.charAt(signAt) != '-')) {
            return false;
        }
        for (int i = signAt + 1; i <= signAt + digits; i++) {
            if (!Character.isDigit(text.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static Watermark fromSeconds(final BigDecimal seconds) {
        final BigDecimal whole = seconds.setScale(0, RoundingMode.FLOOR);
        final int nanos = seconds.subtract(whole).movePointRight(9).setScale(0, RoundingMode.FLOOR).intValueExact();
        return Watermark.ofInstant(Instant.ofEpochSecond(whole.longValueExact(), nanos));
    }
}
