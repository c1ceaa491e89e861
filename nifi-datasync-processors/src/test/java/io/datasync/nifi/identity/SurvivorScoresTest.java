package io.datasync.nifi.identity;

import org.junit.jupiter.api.Test;

import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SurvivorScoresTest {

    private static final long NOON = Instant.parse("2024-03-01T12:00:00Z").toEpochMilli();

    @Test
    void readsTimestampsInTheirCommonForms() {
        assertEquals(NOON, SurvivorScores.timestampScore("2024-03-01T12:00:00Z"));
        assertEquals(NOON, SurvivorScores.timestampScore("2024-03-01T13:00:00+01:00"));
        assertEquals(NOON, SurvivorScores.timestampScore("2024-03-01T12:00:00"));
        assertEquals(NOON, SurvivorScores.timestampScore("2024-03-01 12:00:00"));
        assertEquals(NOON, SurvivorScores.timestampScore(String.valueOf(NOON)));
        assertEquals(NOON, SurvivorScores.timestampScore(NOON));
        assertEquals(NOON, SurvivorScores.timestampScore(new Timestamp(NOON)));
        assertEquals(NOON, SurvivorScores.timestampScore(Instant.ofEpochMilli(NOON)));
        assertEquals(NOON, SurvivorScores.timestampScore(OffsetDateTime.parse("2024-03-01T12:00:00Z")));
        assertEquals(NOON, SurvivorScores.timestampScore(LocalDateTime.parse("2024-03-01T12:00:00")));
        assertEquals(NOON - 12 * 3600 * 1000, SurvivorScores.timestampScore(LocalDate.parse("2024-03-01")));
        assertEquals(NOON - 12 * 3600 * 1000, SurvivorScores.timestampScore("2024-03-01"));
    }

    @Test
    void missingOrUnreadableTimestampsLose() {
        assertEquals(SurvivorScores.NO_TIMESTAMP, SurvivorScores.timestampScore(null));
        assertEquals(SurvivorScores.NO_TIMESTAMP, SurvivorScores.timestampScore(""));
        assertEquals(SurvivorScores.NO_TIMESTAMP, SurvivorScores.timestampScore("last tuesday"));
        assertTrue(SurvivorScores.timestampScore("1970-01-01") > SurvivorScores.NO_TIMESTAMP);
    }

    @Test
    void completenessCountsFilledValues() {
        assertEquals(3, SurvivorScores.completenessScore(new Object[] {"a", 1, true, null, " ", new Object[0], List.of(), Map.of()}));
        assertEquals(2, SurvivorScores.completenessScore(new Object[] {new Object[] {"x"}, List.of("y")}));
    }
}
