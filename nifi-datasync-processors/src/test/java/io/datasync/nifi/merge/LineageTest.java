package io.datasync.nifi.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LineageTest {

    private static final long MAY_3 = Instant.parse("2024-05-03T09:00:00Z").toEpochMilli();

    @Test
    void writesAndReadsBack() {
        final Map<String, MergedValue> values = new LinkedHashMap<>();
        values.put("email", new MergedValue("x@example.com", "web", MAY_3));
        values.put("na\"me", new MergedValue("Ada", "crm", null));
        final String json = Lineage.toJson(values, new HashMap<>());

        assertEquals("{\"email\":{\"source\":\"web\",\"timestamp\":\"2024-05-03T09:00:00Z\"},"
                + "\"na\\\"me\":{\"source\":\"crm\",\"timestamp\":null}}", json);
        assertFalse(json.contains("x@example.com"));
        final Map<String, Lineage.Entry> parsed = Lineage.parse(json);
        assertEquals(new Lineage.Entry("web", MAY_3), parsed.get("email"));
        assertEquals(new Lineage.Entry("crm", null), parsed.get("na\"me"));
    }

    @Test
    void rejectsTextThatIsNotLineage() {
        assertThrows(IllegalArgumentException.class, () -> Lineage.parse("[1,2]"));
        assertThrows(IllegalArgumentException.class, () -> Lineage.parse("{\"email\": \"web\"}"));
        assertThrows(IllegalArgumentException.class, () -> Lineage.parse("{\"email\": {\"source\": \"web\", \"timestamp\": \"soon\"}}"));
        assertThrows(IllegalArgumentException.class, () -> Lineage.parse("{"));
    }

    @Test
    void splitsStoredProfileByOriginalOrigin() {
        final TieBreakOrder order = new TieBreakOrder(List.of("crm"));
        final Map<String, Object> values = new HashMap<>();
        values.put("email", "x@example.com");
        values.put("name", "Ada");
        values.put("phone", null);
        values.put("birthday", "1815-12-10");
        values.put("fax", null);
        final SourceRecord stored = new SourceRecord(new RecordOrigin("stored_profile", 1, 999L), values, Map.of());
        final Map<String, Lineage.Entry> lineage = Map.of(
                "email", new Lineage.Entry("web", MAY_3),
                "phone", new Lineage.Entry("web", MAY_3),
                "name", new Lineage.Entry("crm", null));

        final List<SourceRecord> split = Lineage.splitStoredProfile(stored, lineage, order);
        assertEquals(3, split.size());
        final Map<String, SourceRecord> bySource = new HashMap<>();
        split.forEach(record -> bySource.put(record.origin().source(), record));
        assertEquals(Map.of("birthday", "1815-12-10"), bySource.get("stored_profile").values());
        assertEquals(999L, bySource.get("stored_profile").origin().recordTimestamp());
        assertEquals(MAY_3, bySource.get("web").origin().recordTimestamp());
        assertEquals(2, bySource.get("web").values().size());
        assertNull(bySource.get("web").values().get("phone"));
        assertEquals(0, bySource.get("crm").origin().tieBreakRank());
        assertEquals(RecordOrigin.UNKNOWN_TIMESTAMP, bySource.get("crm").origin().recordTimestamp());
    }
}
