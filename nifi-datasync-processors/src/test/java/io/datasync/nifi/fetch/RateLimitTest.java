package io.datasync.nifi.fetch;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tests RateLimiter, RateLimitHeaders and Backoff. */
class RateLimitTest {

    private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");

    private static Function<String, Optional<String>> headers(final Map<String, String> values) {
        return name -> Optional.ofNullable(values.get(name));
    }

    @Test
    void retryAfterSecondsAndHttpDate() {
        assertEquals(Optional.of(Duration.ofSeconds(7)), RateLimitHeaders.requestedWait(headers(Map.of("Retry-After", "7")), NOW));
        assertEquals(Optional.of(Duration.ofSeconds(90)),
                RateLimitHeaders.requestedWait(headers(Map.of("Retry-After", "Thu, 01 Jan 2026 12:01:30 GMT")), NOW));
        assertEquals(Optional.of(Duration.ZERO), RateLimitHeaders.requestedWait(headers(Map.of("Retry-After", "Thu, 01 Jan 2026 11:00:00 GMT")), NOW));
        assertEquals(Optional.empty(), RateLimitHeaders.requestedWait(headers(Map.of("Retry-After", "soon")), NOW));
        assertEquals(Optional.of(Duration.ofMillis(2001)), RateLimitHeaders.requestedWait(headers(Map.of("Retry-After", "2.0001")), NOW));
    }

    @Test
    void resetHeaders() {
        assertEquals(Optional.of(Duration.ofSeconds(12)), RateLimitHeaders.requestedWait(headers(Map.of("RateLimit-Reset", "12")), NOW));
        final long epoch = NOW.getEpochSecond() + 30;
        assertEquals(Optional.of(Duration.ofSeconds(30)), RateLimitHeaders.requestedWait(headers(Map.of("X-RateLimit-Reset", Long.toString(epoch))), NOW));
        assertEquals(Optional.of(Duration.ofSeconds(30)), RateLimitHeaders.requestedWait(headers(Map.of("X-RateLimit-Reset", Long.toString(epoch * 1000))), NOW));
        assertEquals(Optional.of(Duration.ofSeconds(5)), RateLimitHeaders.requestedWait(headers(Map.of("X-RateLimit-Reset", "5")), NOW));
        assertEquals(Optional.of(Duration.ofSeconds(3)),
                RateLimitHeaders.requestedWait(headers(Map.of("Retry-After", "3", "X-RateLimit-Reset", "50")), NOW));
        assertTrue(RateLimitHeaders.budgetExhausted(headers(Map.of("X-RateLimit-Remaining", "0"))));
        assertFalse(RateLimitHeaders.budgetExhausted(headers(Map.of("RateLimit-Remaining", "4"))));
    }

    @Test
    void rateLimiterSpacesRequests() {
        final AtomicLong clock = new AtomicLong(1_000);
        final RateLimiter limiter = new RateLimiter(4, clock::get);
        assertEquals(0, limiter.reserve());
        assertEquals(250_000_000L, limiter.reserve());
        assertEquals(500_000_000L, limiter.reserve());
        clock.addAndGet(2_000_000_000L);
        assertEquals(0, limiter.reserve());
    }

    @Test
    void backoffGrowsExponentiallyWithinJitterAndCap() {
        final Backoff lowest = new Backoff(Duration.ofMillis(100), Duration.ofMillis(1000), () -> 0.0);
        final Backoff highest = new Backoff(Duration.ofMillis(100), Duration.ofMillis(1000), () -> 0.999999);
        assertEquals(Duration.ofMillis(50), lowest.delay(1));
        assertEquals(Duration.ofMillis(200), lowest.delay(3));
        assertEquals(400, highest.delay(3).toMillis(), 1);
        assertEquals(1000, highest.delay(30).toMillis(), 1);
        assertEquals(Duration.ofMillis(500), lowest.delay(100));
    }
}
