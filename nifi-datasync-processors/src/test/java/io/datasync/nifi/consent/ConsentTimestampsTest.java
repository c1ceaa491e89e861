package io.datasync.nifi.consent;

import org.junit.jupiter.api.Test;

import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class ConsentTimestampsTest {

    private static final Instant NOON = Instant.parse("2026-03-01T12:00:00Z");

    @Test
    void isoTextWithAndWithoutOffset() {
        assertEquals(NOON, ConsentTimestamps.parse("2026-03-01T12:00:00Z"));
        assertEquals(NOON, ConsentTimestamps.parse("2026-03-01T14:00:00+02:00"));
        assertEquals(NOON, ConsentTimestamps.parse("2026-03-01T07:00:00-05:00"));
        assertEquals(NOON, ConsentTimestamps.parse("2026-03-01T12:00:00"));
        assertEquals(NOON, ConsentTimestamps.parse("2026-03-01 12:00:00"));
        // PostgreSQL's text form of timestamptz
        assertEquals(NOON, ConsentTimestamps.parse("2026-03-01 12:00:00+00"));
        assertEquals(NOON.plusMillis(123), ConsentTimestamps.parse("2026-03-01T12:00:00.123Z"));
        assertEquals(Instant.parse("2026-03-01T00:00:00Z"), ConsentTimestamps.parse("2026-03-01"));
    }

    @Test
    void typedValues() {
        assertEquals(NOON, ConsentTimestamps.parse(NOON.toEpochMilli()));
        assertEquals(NOON, ConsentTimestamps.parse(String.valueOf(NOON.toEpochMilli())));
        assertEquals(NOON, ConsentTimestamps.parse(Timestamp.from(NOON)));
        assertEquals(NOON, ConsentTimestamps.parse(OffsetDateTime.ofInstant(NOON, ZoneOffset.UTC)));
        assertEquals(Instant.parse("2026-03-01T00:00:00Z"), ConsentTimestamps.parse(java.sql.Date.valueOf(LocalDate.of(2026, 3, 1))));
    }

    @Test
    void unreadableIsUndated() {
        assertNull(ConsentTimestamps.parse(null));
        assertNull(ConsentTimestamps.parse(""));
        assertNull(ConsentTimestamps.parse("yesterday"));
    }
}
