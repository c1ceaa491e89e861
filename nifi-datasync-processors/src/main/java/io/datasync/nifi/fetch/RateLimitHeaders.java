package io.datasync.nifi.fetch;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.function.Function;

/**
 * Reads how long a server asks a client to wait: {@code Retry-After} (delta seconds or an HTTP
 * date), {@code RateLimit-Reset} (delta seconds) and {@code X-RateLimit-Reset} (epoch seconds,
 * epoch milliseconds or delta seconds, told apart by size).
 */
public final class RateLimitHeaders {

    private static final long EPOCH_SECONDS_THRESHOLD = 1_000_000_000L;
    private static final long EPOCH_MILLIS_THRESHOLD = 100_000_000_000L;

    private RateLimitHeaders() {
    }

    /**
     * @param header looks up the first value of a response header (case-insensitive)
     * @return the wait the server asks for, never negative; empty when no header says
     */
    public static Optional<Duration> requestedWait(final Function<String, Optional<String>> header, final Instant now) {
        final Optional<Duration> retryAfter = header.apply("Retry-After").flatMap(value -> parseRetryAfter(value, now));
        if (retryAfter.isPresent()) {
            return retryAfter;
        }
        final Optional<Duration> reset = header.apply("RateLimit-Reset").flatMap(RateLimitHeaders::parseDeltaSeconds);
        if (reset.isPresent()) {
            return reset;
        }
        return header.apply("X-RateLimit-Reset").flatMap(value -> parseReset(value, now));
    }

    /** Whether the headers say the budget is used up ({@code X-RateLimit-Remaining: 0} or {@code RateLimit-Remaining: 0}). */
    public static boolean budgetExhausted(final Function<String, Optional<String>> header) {
        return header.apply("X-RateLimit-Remaining").or(() -> header.apply("RateLimit-Remaining"))
                .map(String::trim)
                .map(value -> value.equals("0"))
                .orElse(false);
    }

    static Optional<Duration> parseRetryAfter(final String value, final Instant now) {
        final Optional<Duration> seconds = parseDeltaSeconds(value);
        if (seconds.isPresent()) {
            return seconds;
        }
        try {
            final Instant at = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            return Optional.of(nonNegative(Duration.between(now, at)));
        } catch (final DateTimeException e) {
            return Optional.empty();
        }
    }

    static Optional<Duration> parseReset(final String value, final Instant now) {
        final Optional<Long> number = parseLong(value);
        if (number.isEmpty()) {
            return Optional.empty();
        }
        final long reset = number.get();
        if (reset >= EPOCH_MILLIS_THRESHOLD) {
            return Optional.of(nonNegative(Duration.between(now, Instant.ofEpochMilli(reset))));
        }
        if (reset >= EPOCH_SECONDS_THRESHOLD) {
            return Optional.of(nonNegative(Duration.between(now, Instant.ofEpochSecond(reset))));
        }
        return Optional.of(Duration.ofSeconds(Math.max(0, reset)));
    }

    private static Optional<Duration> parseDeltaSeconds(final String value) {
        if (value == null) {
            return Optional.empty();
        }
        final Optional<Long> whole = parseLong(value);
        if (whole.isPresent()) {
            return Optional.of(Duration.ofSeconds(Math.max(0, whole.get())));
        }
        // Some APIs (Shopify) send fractional seconds such as "2.0"; round up so the wait is never too short.
        try {
            final double seconds = Double.parseDouble(value.trim());
            return Double.isFinite(seconds) ? Optional.of(Duration.ofMillis((long) Math.ceil(Math.max(0, seconds) * 1000))) : Optional.empty();
        } catch (final NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static Optional<Long> parseLong(final String value) {
        if (value == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Long.parseLong(value.trim()));
        } catch (final NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static Duration nonNegative(final Duration duration) {
        return duration.isNegative() ? Duration.ZERO : duration;
    }
}
