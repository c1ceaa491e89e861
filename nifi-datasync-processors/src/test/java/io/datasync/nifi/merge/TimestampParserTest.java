package io.datasync.nifi.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import org.junit.jupiter.api.Test;

class TimestampParserTest {

    private static final long MAY_FIRST_TEN_UTC = Instant.parse("2024-05-01T10:00:00Z").toEpochMilli();

    @Test
    void readsIsoForms() {
        assertEquals(MAY_FIRST_TEN_UTC, TimestampParser.toEpochMillis("2024-05-01T10:00:00Z"));
        assertEquals(MAY_FIRST_TEN_UTC, TimestampParser.toEpochMillis("2024-05-01T12:00:00+02:00"));
        assertEquals(MAY_FIRST_TEN_UTC, TimestampParser.toEpochMillis("2024-05-01T08:00:00.000-02:00"));
        assertEquals(MAY_FIRST_TEN_UTC, TimestampParser.toEpochMillis("2024-05-01 10:00:00"));
        assertEquals(MAY_FIRST_TEN_UTC, TimestampParser.toEpochMillis("2024-05-01T10:00"));
        assertEquals(MAY_FIRST_TEN_UTC - 10 * 3_600_000L, TimestampParser.toEpochMillis("2024-05-01"));
    }

    @Test
    void fastPathAgreesWithJavaTime() {
        for (final String text : new String[] {"2024-05-01T10:00:00Z", "2024-05-01T10:00:00.5Z", "2024-05-01T10:00:00.123456789+05:30",
                "1969-12-31T23:59:59.500Z", "2024-02-29T23:59:59-12:00", "0001-01-01T00:00:00Z", "2024-05-01T10:00:00.12z"}) {
            final long expected = java.time.OffsetDateTime.parse(text.toUpperCase(java.util.Locale.ROOT)).toInstant().toEpochMilli();
            assertEquals(expected, TimestampParser.toEpochMillis(text), text);
        }
        assertEquals(Instant.parse("2024-05-01T10:00:00.250Z").toEpochMilli(), TimestampParser.toEpochMillis("2024-05-01 10:00:00.25"));
        assertThrows(IllegalArgumentException.class, () -> TimestampParser.toEpochMillis("2023-02-29T00:00:00Z"));
        assertThrows(IllegalArgumentException.class, () -> TimestampParser.toEpochMillis("2024-05-01T24:00:00Z"));
        assertThrows(IllegalArgumentException.class, () -> TimestampParser.toEpochMillis("2024-05-01T10:00:00+5:30"));
    }

    @Test
    void readsNumbersDatesAndJavaTime() {
        assertEquals(MAY_FIRST_TEN_UTC, TimestampParser.toEpochMillis(MAY_FIRST_TEN_UTC));
        assertEquals(MAY_FIRST_TEN_UTC, TimestampParser.toEpochMillis(String.valueOf(MAY_FIRST_TEN_UTC)));
        assertEquals(MAY_FIRST_TEN_UTC, TimestampParser.toEpochMillis(new Timestamp(MAY_FIRST_TEN_UTC)));
        assertEquals(MAY_FIRST_TEN_UTC, TimestampParser.toEpochMillis(Instant.ofEpochMilli(MAY_FIRST_TEN_UTC)));
        assertEquals(MAY_FIRST_TEN_UTC - 10 * 3_600_000L, TimestampParser.toEpochMillis(LocalDate.of(2024, 5, 1)));
    }

    @Test
    void emptyIsUnknownAndGarbageIsRejected() {
        assertNull(TimestampParser.toEpochMillis(null));
        assertNull(TimestampParser.toEpochMillis("  "));
        assertThrows(IllegalArgumentException.class, () -> TimestampParser.toEpochMillis("yesterday"));
        assertThrows(IllegalArgumentException.class, () -> TimestampParser.toEpochMillis("2024-13-01T00:00:00Z"));
        assertThrows(IllegalArgumentException.class, () -> TimestampParser.toEpochMillis(new Object()));
    }
}
