package io.datasync.nifi.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SourceRecordReaderTest {

    private static final long MAY_1 = Instant.parse("2024-05-01T10:00:00Z").toEpochMilli();
    private static final long MAY_3 = Instant.parse("2024-05-03T09:00:00Z").toEpochMilli();
    private static final TieBreakOrder ORDER = new TieBreakOrder(List.of("crm", "shop"));

    @Test
    void readsSourceTimestampAndRank() throws UnmergeableInputException {
        final Map<String, Object> values = Map.of("email", "x@example.com", "updated_at", "2024-05-01T10:00:00Z");
        final SourceRecord record = new SourceRecordReader(ORDER, null).read(values, "shop", "updated_at", "2024-05-01T10:00:00Z", null, 1);

        assertEquals(new RecordOrigin("shop", ORDER.rankOf("shop"), MAY_1), record.origin());
        assertSame(values, record.values());
        assertTrue(record.fieldTimestamps().isEmpty());
    }

    @Test
    void epochMillisAndMissingTimestamp() throws UnmergeableInputException {
        final SourceRecordReader reader = new SourceRecordReader(ORDER, null);
        assertEquals(MAY_3, reader.read(Map.of(), "crm", "updated_at", MAY_3, null, 1).origin().recordTimestamp());
        assertEquals(RecordOrigin.UNKNOWN_TIMESTAMP, reader.read(Map.of(), "crm", "updated_at", null, null, 1).origin().recordTimestamp());
    }

    @Test
    void perFieldTimestampsDateTheirFields() throws UnmergeableInputException {
        final Map<String, Object> perField = new LinkedHashMap<>();
        perField.put("email", "2024-05-03T09:00:00Z");
        perField.put("phone", null);
        final SourceRecord record = new SourceRecordReader(ORDER, "field_updated_at")
                .read(Map.of("email", "x@example.com", "phone", "1"), "web", "updated_at", MAY_1, perField, 2);

        assertEquals(Map.of("email", MAY_3), record.fieldTimestamps());
        assertEquals(MAY_3, record.candidateFor("email").timestamp());
        assertEquals(MAY_1, record.candidateFor("phone").timestamp());
    }

    @Test
    void perFieldTimestampsIgnoredWithoutTheField() throws UnmergeableInputException {
        final SourceRecord record = new SourceRecordReader(ORDER, null)
                .read(Map.of(), "web", "updated_at", MAY_1, "not a map, but not configured either", 2);
        assertTrue(record.fieldTimestamps().isEmpty());
    }

    @Test
    void badTimestampNamesRecordAndFieldNotValue() {
        final UnmergeableInputException e = assertThrows(UnmergeableInputException.class, () -> new SourceRecordReader(ORDER, null)
                .read(Map.of(), "web", "updated_at", "secret-value", null, 7));
        assertEquals("Record 7 has a value in 'updated_at' that is not a timestamp", e.getMessage());

        final UnmergeableInputException stored = assertThrows(UnmergeableInputException.class, () -> new SourceRecordReader(ORDER, null)
                .read(Map.of(), "stored_profile", "modified", "secret-value", null, 0));
        assertEquals("The stored profile has a value in 'modified' that is not a timestamp", stored.getMessage());
    }

    @Test
    void perFieldTimestampsThatAreNotAMapOrNotTimestamps() {
        final SourceRecordReader reader = new SourceRecordReader(ORDER, "field_updated_at");
        final UnmergeableInputException notMap = assertThrows(UnmergeableInputException.class,
                () -> reader.read(Map.of(), "web", "updated_at", MAY_1, "secret-value", 3));
        assertEquals("Record 3 has a value in 'field_updated_at' that is not a map of field names to timestamps", notMap.getMessage());

        final UnmergeableInputException badEntry = assertThrows(UnmergeableInputException.class,
                () -> reader.read(Map.of(), "web", "updated_at", MAY_1, Map.of("email", "secret-value"), 4));
        assertEquals("Record 4 has a value in 'field_updated_at.email' that is not a timestamp", badEntry.getMessage());
        assertFalse(badEntry.getMessage().contains("secret"));
    }
}
