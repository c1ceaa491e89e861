package io.datasync.nifi.fetch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecordSelectorTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final RecordSelector selector = new RecordSelector("/updated", "/id", WatermarkFormat.ISO_8601);

    private static List<JsonNode> records(final String json) throws Exception {
        final List<JsonNode> list = new ArrayList<>();
        MAPPER.readTree(json).forEach(list::add);
        return list;
    }

    private static Watermark at(final String text) {
        return WatermarkFormat.ISO_8601.parse(text);
    }

    @Test
    void suppressesVersionsAlreadyEmittedAtTheBoundaryButNotNewVersions() throws Exception {
        final TrackedKeys tracked = new TrackedKeys(100);
        tracked.addAll(List.of(new TrackedKeys.Entry(at("2024-01-01T00:00:00Z"), "1")));
        final RecordSelector.Selection selection = selector.select(records("""
                [{"id":1,"updated":"2024-01-01T00:00:00Z"},
                 {"id":2,"updated":"2024-01-01T00:00:00Z"},
                 {"id":1,"updated":"2024-01-01T00:00:05Z"}]"""), at("2024-01-01T00:00:00Z"), null, tracked);
        assertEquals(2, selection.emitted().size());
        assertEquals(1, selection.duplicates());
        assertEquals("2", selection.emitted().get(0).get("id").asText());
        assertEquals(at("2024-01-01T00:00:00Z"), selection.minWatermark());
        assertEquals(at("2024-01-01T00:00:05Z"), selection.maxWatermark());
    }

    @Test
    void windowBoundsAndRepeatsWithinOnePage() throws Exception {
        final RecordSelector.Selection selection = selector.select(records("""
                [{"id":"a","updated":"2023-12-31T23:59:59Z"},
                 {"id":"b","updated":"2024-01-01T00:00:10Z"},
                 {"id":"b","updated":"2024-01-01T00:00:10Z"},
                 {"id":"c","updated":"2024-01-01T00:10:00Z"}]"""), at("2024-01-01T00:00:00Z"), at("2024-01-01T00:05:00Z"), new TrackedKeys(10));
        assertEquals(1, selection.emitted().size());
        assertEquals(1, selection.belowWindow());
        assertEquals(1, selection.deferred());
        assertEquals(1, selection.duplicates());
        assertEquals(1, selection.newEntries().size());
    }

    @Test
    void unsortedPagesReportTheirTrueMaximum() throws Exception {
        final RecordSelector.Selection selection = selector.select(records("""
                [{"id":"x","updated":"2024-03-01T00:00:00Z"},{"id":"y","updated":"2024-01-01T00:00:00Z"}]"""), null, null, new TrackedKeys(10));
        assertEquals(at("2024-03-01T00:00:00Z"), selection.maxWatermark());
        assertEquals(at("2024-01-01T00:00:00Z"), selection.minWatermark());
    }

    @Test
    void recordWithoutWatermarkOrKeyMakesThePageMalformed() {
        assertThrows(MalformedPageException.class, () -> selector.select(records("[{\"id\":1,\"updated\":\"yesterday\"}]"), null, null, new TrackedKeys(10)));
        assertThrows(MalformedPageException.class, () -> selector.select(records("[{\"updated\":\"2024-01-01T00:00:00Z\"}]"), null, null, new TrackedKeys(10)));
    }

    @Test
    void fingerprintDiffersForDifferentContentAndIsZeroForEmptyPages() throws Exception {
        final long first = selector.select(records("[{\"id\":1,\"updated\":\"2024-01-01T00:00:00Z\"}]"), null, null, new TrackedKeys(10)).contentFingerprint();
        final long second = selector.select(records("[{\"id\":2,\"updated\":\"2024-01-01T00:00:00Z\"}]"), null, null, new TrackedKeys(10)).contentFingerprint();
        assertNotEquals(first, second);
        assertEquals(0, selector.select(List.of(), null, null, new TrackedKeys(10)).contentFingerprint());
    }

    @Test
    void invalidRecordsAreSetAsideNamingTheirKeyButNeverAnEmailAddress() throws Exception {
        final RecordSelector.Selection selection = selector.select(records("""
                [{"id":"c-1","updated":"2024-01-01T00:00:00Z"},
                 {"id":"c-2","updated":"soon"},
                 {"id":"ann@example.com","updated":"later"},
                 {"updated":"2024-01-01T00:00:00Z"}]"""), null, null, new TrackedKeys(10), true);
        assertEquals(1, selection.emitted().size());
        assertEquals(3, selection.invalid().size());
        assertEquals("c-2", selection.invalid().get(0).key());
        assertTrue(selection.invalid().get(0).reason().startsWith("Record 1 of the page (key 'c-2') has no readable watermark"));
        assertFalse(selection.invalid().get(1).reason().contains("ann@example.com"), selection.invalid().get(1).reason());
        assertTrue(selection.invalid().get(2).reason().contains("has no scalar record key"));
        assertThrows(MalformedPageException.class, () -> selector.select(records("[{\"id\":\"c-2\",\"updated\":\"soon\"}]"), null, null, new TrackedKeys(10)));
    }
}
