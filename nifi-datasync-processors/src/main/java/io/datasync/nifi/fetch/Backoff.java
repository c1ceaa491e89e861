package io.datasync.nifi.fetch;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with jitter: attempt n waits between half and all of
 * min(maximum, initial * 2^(n-1)), so that many clients retrying at once spread out.
 */
public final class Backoff {

    private final long initialNanos;
    private final long maximumNanos;
    private final DoubleSupplier random;

    /**
     * @param random values in [0, 1)
     */
    public Backoff(final Duration initial, final Duration maximum, final DoubleSupplier random) {
        this.initialNanos = Math.max(0, initial.toNanos());
        this.maximumNanos = Math.max(initialNanos, maximum.toNanos());
        this.random = random;
    }

    /** Delay before retry number {@code attempt} (1 for the first retry). */
    public Duration delay(final int attempt) {
        final int doublings = Math.min(Math.max(0, attempt - 1), 62);
        long ceiling = initialNanos;
        for (int i = 0; i < doublings && ceiling < maximumNanos; i++) {
            ceiling = ceiling > maximumNanos / 2 ? maximumNanos : ceiling * 2;
        }
        ceiling = Math.min(ceiling, maximumNanos);
        final long half = ceiling / 2;
        return Duration.ofNanos(half + (long) (random.getAsDouble() * (ceiling - half)));
    }
}
