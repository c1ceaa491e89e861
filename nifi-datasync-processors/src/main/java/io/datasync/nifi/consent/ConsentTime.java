package io.datasync.nifi.consent;

import io.datasync.nifi.common.Timestamps;

import java.time.Duration;
import java.time.Instant;

/**
 * Reads the time of a piece of consent evidence. A value that is absent gives undated evidence; a value
 * that cannot be parsed, or that lies more than {@link #FUTURE_TOLERANCE} ahead of now, gives undated
 * evidence too and a warning: a grant dated in the future would otherwise beat every real withdrawal
 * until that date.
 *
 * @param instant the time, or null when undated
 * @param warning why a value present was not used, or null
 */
public record ConsentTime(Instant instant, ConsentWarning warning) {

    /** How far ahead of this machine's clock a timestamp may lie (clock skew between systems, time zones mistaken for UTC). */
    public static final Duration FUTURE_TOLERANCE = Duration.ofDays(1);

    private static final ConsentTime UNDATED = new ConsentTime(null, null);

    public static ConsentTime undated() {
        return UNDATED;
    }

    public static ConsentTime read(final Object value, final Timestamps.EpochUnit epochUnit, final Instant now) {
        final Long millis;
        try {
            millis = Timestamps.toEpochMillis(value, epochUnit);
        } catch (final IllegalArgumentException | ArithmeticException e) {
            return new ConsentTime(null, ConsentWarning.UNPARSEABLE_TIMESTAMP);
        }
        if (millis == null) {
            return UNDATED;
        }
        final Instant instant;
        try {
            instant = Instant.ofEpochMilli(millis);
        } catch (final RuntimeException e) {
            return new ConsentTime(null, ConsentWarning.UNPARSEABLE_TIMESTAMP);
        }
        if (instant.isAfter(now.plus(FUTURE_TOLERANCE))) {
            return new ConsentTime(null, ConsentWarning.FUTURE_TIMESTAMP);
        }
        return new ConsentTime(instant, null);
    }
}
