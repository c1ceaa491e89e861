package io.datasync.nifi.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import org.junit.jupiter.api.Test;

class TimestampsTest {

    private static final long MAY_FIRST_TEN_UTC = Instant.parse("2024-05-01T10:00:00Z").toEpochMilli();

    @Test
    void readsIsoForms() {
        assertEquals(MAY_FIRST_TEN_UTC, Timestamps.toEpochMillis("2024-05-01T10:00:00Z"));
        assertEquals(MAY_FIRST_TEN_UTC, Timestamps.toEpochMillis("2024-05-01T12:00:00+02:00"));
        assertEquals(MAY_FIRST_TEN_UTC, Timestamps.toEpochMillis("2024-05-01T08:00:00.000-02:00"));
        assertEquals(MAY_FIRST_TEN_UTC, Timestamps.toEpochMillis("2024-05-01 10:00:00"));
        assertEquals(MAY_FIRST_TEN_UTC, Timestamps.toEpochMillis("2024-05-01T10:00"));
        assertEquals(MAY_FIRST_TEN_UTC - 10 * 3_600_000L, Timestamps.toEpochMillis("2024-05-01"));
    }

    @Test
    void fastPathAgreesWithJavaTime() {
        for (final String text : new String[] {"2024-05-01T10:00:00Z", "2024-05-01T10:00:00.5Z", "2024-05-01T10:00:00.123456789+05:30",
                "1969-12-31T23:59:59.500Z", "2024-02-29T23:59:59-12:00", "0001-01-01T00:00:00Z", "2024-05-01T10:00:00.12z"}) {
            final long expected = java.time.OffsetDateTime.parse(text.toUpperCase(java.util.Locale.ROOT)).toInstant().toEpochMilli();
            assertEquals(expected, Timestamps.toEpochMillis(text), text);
        }
        assertEquals(Instant.parse("2024-05-01T10:00:00.250Z").toEpochMilli(), Timestamps.toEpochMillis("2024-05-01 10:00:00.25"));
        assertThrows(IllegalArgumentException.class, () -> Timestamps.toEpochMillis("2023-02-29T00:00:00Z"));
        assertThrows(IllegalArgumentException.class, () -> Timestamps.toEpochMillis("2024-05-01T24:00:00Z"));
        assertThrows(IllegalArgumentException.class, () -> Timestamps.toEpochMillis("2024-05-01T10:00:00+5:30"));
    }

    @Test
    void readsNumbersDatesAndJavaTime() {
        assertEquals(MAY_FIRST_TEN_UTC, Timestamps.toEpochMillis(MAY_FIRST_TEN_UTC));
        assertEquals(MAY_FIRST_TEN_UTC, Timestamps.toEpochMillis(String.valueOf(MAY_FIRST_TEN_UTC)));
        assertEquals(MAY_FIRST_TEN_UTC, Timestamps.toEpochMillis(new Timestamp(MAY_FIRST_TEN_UTC)));
        assertEquals(MAY_FIRST_TEN_UTC, Timestamps.toEpochMillis(Instant.ofEpochMilli(MAY_FIRST_TEN_UTC)));
        assertEquals(MAY_FIRST_TEN_UTC - 10 * 3_600_000L, Timestamps.toEpochMillis(LocalDate.of(2024, 5, 1)));
    }

    @Test
    void emptyIsUnknownAndGarbageIsRejected() {
        assertNull(Timestamps.toEpochMillis(null));
        assertNull(Timestamps.toEpochMillis("  "));
        assertThrows(IllegalArgumentException.class, () -> Timestamps.toEpochMillis("yesterday"));
        assertThrows(IllegalArgumentException.class, () -> Timestamps.toEpochMillis("2024-13-01T00:00:00Z"));
        assertThrows(IllegalArgumentException.class, () -> Timestamps.toEpochMillis(new Object()));
    }

    @Test
    void readsWhatConsentStoresWrite() {
        final Instant noon = Instant.parse("2026-03-01T12:00:00Z");
        assertEquals(noon, Timestamps.toInstantOrNull("2026-03-01T07:00:00-05:00"));
        assertEquals(noon, Timestamps.toInstantOrNull("2026-03-01T12:00:00"));
        // PostgreSQL's text form of timestamptz
        assertEquals(noon, Timestamps.toInstantOrNull("2026-03-01 12:00:00+00"));
        assertEquals(noon.plusMillis(123), Timestamps.toInstantOrNull("2026-03-01T12:00:00.123Z"));
        assertEquals(noon, Timestamps.toInstantOrNull(java.time.OffsetDateTime.ofInstant(noon, java.time.ZoneOffset.UTC)));
        assertEquals(Instant.parse("2026-03-01T00:00:00Z"), Timestamps.toInstantOrNull(java.sql.Date.valueOf(LocalDate.of(2026, 3, 1))));
    }

    @Test
    void unreadableIsNullOrFallback() {
        assertNull(Timestamps.toInstantOrNull(null));
        assertNull(Timestamps.toInstantOrNull(""));
        assertNull(Timestamps.toInstantOrNull("yesterday"));
        assertNull(Timestamps.toInstantOrNull("99999999999999999999999"));
        assertEquals(-1L, Timestamps.toEpochMillisOr("yesterday", -1L));
        assertEquals(-1L, Timestamps.toEpochMillisOr(null, -1L));
        assertEquals(1_000L, Timestamps.toEpochMillisOr("1000", -1L));
    }

    @Test
    void readsOffsetsWithoutColonAndZoneIds() {
        assertEquals(MAY_FIRST_TEN_UTC, Timestamps.toEpochMillis("2024-05-01T12:00:00+0200"));
        assertEquals(MAY_FIRST_TEN_UTC, Timestamps.toEpochMillis("2024-05-01 05:00:00-0500"));
        assertEquals(MAY_FIRST_TEN_UTC, Timestamps.toEpochMillis("2024-05-01T12:00:00+02"));
        assertEquals(MAY_FIRST_TEN_UTC, Timestamps.toEpochMillis("2024-05-01T12:00:00+02:00[Europe/Berlin]"));
        assertEquals(MAY_FIRST_TEN_UTC, Timestamps.toEpochMillis("2024-05-01T12:00:00[Europe/Berlin]"));
        assertEquals(MAY_FIRST_TEN_UTC + 500, Timestamps.toEpochMillis("2024-05-01T12:00:00.5+0200"));
        assertThrows(IllegalArgumentException.class, () -> Timestamps.toEpochMillis("2024-05-01T12:00:00[Mars/Olympus]"));
        assertThrows(IllegalArgumentException.class, () -> Timestamps.toEpochMillis("2024-05-01T12:00:00+02:00 Berlin"));
        assertThrows(IllegalArgumentException.class, () -> Timestamps.toEpochMillis("2024-02-30T12:00:00+0200"));
    }

    @Test
    void epochUnits() {
        final long seconds = MAY_FIRST_TEN_UTC / 1000;
        assertEquals(MAY_FIRST_TEN_UTC, Timestamps.toEpochMillis(seconds, Timestamps.EpochUnit.SECONDS));
        assertEquals(MAY_FIRST_TEN_UTC, Timestamps.toEpochMillis(String.valueOf(seconds), Timestamps.EpochUnit.SECONDS));
        assertEquals(seconds, Timestamps.toEpochMillis(seconds, Timestamps.EpochUnit.MILLISECONDS));
        assertEquals(MAY_FIRST_TEN_UTC, Timestamps.toEpochMillis(seconds, Timestamps.EpochUnit.AUTO));
        assertEquals(MAY_FIRST_TEN_UTC, Timestamps.toEpochMillis(MAY_FIRST_TEN_UTC, Timestamps.EpochUnit.AUTO));
        assertEquals(MAY_FIRST_TEN_UTC, Timestamps.toEpochMillis(" " + MAY_FIRST_TEN_UTC + " ", Timestamps.EpochUnit.AUTO));
        // the documented boundary: below 100,000,000,000 seconds, from there milliseconds
        assertEquals(99_999_999_999_000L, Timestamps.toEpochMillis(99_999_999_999L, Timestamps.EpochUnit.AUTO));
        assertEquals(100_000_000_000L, Timestamps.toEpochMillis(100_000_000_000L, Timestamps.EpochUnit.AUTO));
        assertEquals(MAY_FIRST_TEN_UTC, Timestamps.toEpochMillis("2024-05-01T10:00:00Z", Timestamps.EpochUnit.SECONDS));
        assertThrows(IllegalArgumentException.class, () -> Timestamps.toEpochMillis(Long.MAX_VALUE, Timestamps.EpochUnit.SECONDS));
        assertThrows(IllegalArgumentException.class, () -> Timestamps.toEpochMillis(Double.NaN, Timestamps.EpochUnit.AUTO));
    }

    @Test
    void offsetsWithoutAColonAreRead() {
        assertEquals(Timestamps.toEpochMillis("2026-12-01T17:36:33Z"), Timestamps.toEpochMillis("2026-12-01T19:36:33+0200"));
        assertEquals(Timestamps.toEpochMillis("2026-12-01T17:36:33Z"), Timestamps.toEpochMillis("2026-12-01 12:36:33.000-0500"));
    }
}
