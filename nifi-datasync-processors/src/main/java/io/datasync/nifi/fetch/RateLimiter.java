package io.datasync.nifi.fetch;

import java.util.function.LongSupplier;

/**
 * A steady request budget: requests are spaced at least 1/rate seconds apart.
 */
public final class RateLimiter {

    private final long intervalNanos;
    private final LongSupplier nanoClock;
    private long nextFreeNanos;
    private boolean started;

    public RateLimiter(final double requestsPerSecond, final LongSupplier nanoClock) {
        if (!(requestsPerSecond > 0)) {
            throw new IllegalArgumentException("requests per second must be positive");
        }
        this.intervalNanos = Math.max(1L, (long) (1_000_000_000L / requestsPerSecond));
        this.nanoClock = nanoClock;
    }

    /** Reserves the next request slot; returns how many nanoseconds to wait before sending. */
    public synchronized long reserve() {
        final long now = nanoClock.getAsLong();
        if (!started || now - nextFreeNanos >= 0) {
            started = true;
            nextFreeNanos = now + intervalNanos;
            return 0;
        }
        final long wait = nextFreeNanos - now;
        nextFreeNanos += intervalNanos;
        return wait;
    }
}
