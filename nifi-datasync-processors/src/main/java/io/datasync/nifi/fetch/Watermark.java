package io.datasync.nifi.fetch;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;

/**
 * A watermark value: either an instant (kept at full nanosecond precision, so that a stored
 * watermark never drifts below or above what a record carried) or a numeric id.
 */
public final class Watermark implements Comparable<Watermark> {

    private final boolean timestamp;
    private final long major;
    private final int nanos;

    private Watermark(final boolean timestamp, final long major, final int nanos) {
        this.timestamp = timestamp;
        this.major = major;
        this.nanos = nanos;
    }

    public static Watermark ofInstant(final Instant instant) {
        return new Watermark(true, instant.getEpochSecond(), instant.getNano());
    }

    public static Watermark ofNumber(final long number) {
        return new Watermark(false, number, 0);
    }

    /**
     * Parses the form produced by {@link #canonical()}.
     */
    public static Watermark parseCanonical(final String text, final boolean timestamp) {
        return timestamp ? ofInstant(Instant.parse(text)) : ofNumber(Long.parseLong(text));
    }

    public boolean isTimestamp() {
        return timestamp;
    }

    public Instant toInstant() {
        if (!timestamp) {
            throw new IllegalStateException("Numeric watermark has no instant");
        }
        return Instant.ofEpochSecond(major, nanos);
    }

    public long toNumber() {
        return major;
    }

    public Watermark minus(final Duration duration) {
        if (duration == null || duration.isZero()) {
            return this;
        }
        if (!timestamp) {
            throw new IllegalStateException("A duration cannot be subtracted from a numeric watermark");
        }
        return ofInstant(toInstant().minus(duration));
    }

    /**
     * The lowest watermark a run re-reads below this one: this minus the lookback window for
     * timestamps; numeric watermarks have no lookback.
     */
    public Watermark lookbackFrom(final Duration lookback) {
        return timestamp ? minus(lookback) : this;
    }

    /** Stable text form used in state and attributes: ISO-8601 UTC instant or a decimal number. */
    public String canonical() {
        return timestamp ? DateTimeFormatter.ISO_INSTANT.format(toInstant()) : Long.toString(major);
    }

    public static Watermark min(final Watermark a, final Watermark b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        return a.compareTo(b) <= 0 ? a : b;
    }

    public static Watermark max(final Watermark a, final Watermark b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        return a.compareTo(b) >= 0 ? a : b;
    }

    @Override
    public int compareTo(final Watermark other) {
        if (timestamp != other.timestamp) {
            throw new IllegalArgumentException("Cannot compare a timestamp watermark with a numeric one");
        }
        final int byMajor = Long.compare(major, other.major);
        return byMajor != 0 ? byMajor : Integer.compare(nanos, other.nanos);
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof Watermark other && timestamp == other.timestamp && major == other.major && nanos == other.nanos;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Boolean.hashCode(timestamp) + Long.hashCode(major)) + nanos;
    }

    @Override
    public String toString() {
        return canonical();
    }
}
