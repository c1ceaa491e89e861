package io.datasync.nifi.consent;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PurposeStatusesTest {

    private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
    private static final List<String> PURPOSES = List.of("email_marketing", "personalisation");

    private static List<ConsentEvidence> read(final Object value) {
        final List<ConsentEvidence> evidence = new ArrayList<>();
        new PurposeStatuses("status", "updated_at", null).addEvidence(value, PURPOSES, ConsentSource.STORE, T, evidence);
        return evidence;
    }

    @Test
    void mapKeyedByPurpose() {
        final List<ConsentEvidence> evidence = read(Map.of("email_marketing", "granted", "personalisation", false, "other", "maybe"));
        assertEquals(2, evidence.size());
        assertTrue(evidence.contains(new ConsentEvidence(ConsentSource.STORE, "email_marketing", ConsentStatus.GRANTED, T)));
        assertTrue(evidence.contains(new ConsentEvidence(ConsentSource.STORE, "personalisation", ConsentStatus.DENIED, T)));
    }

    @Test
    void jsonObjectText() {
        final List<ConsentEvidence> evidence = read("{\"email_marketing\": \"withdrawn\"}");
        assertEquals(List.of(new ConsentEvidence(ConsentSource.STORE, "email_marketing", ConsentStatus.WITHDRAWN, T)), evidence);
    }

    @Test
    void grantedListsDenyWhatIsNotListed() {
        final List<ConsentEvidence> expected = List.of(
                new ConsentEvidence(ConsentSource.STORE, "email_marketing", ConsentStatus.GRANTED, T),
                new ConsentEvidence(ConsentSource.STORE, "personalisation", ConsentStatus.DENIED, T));
        assertEquals(expected, read(new Object[] {"email_marketing", "analytics"}));
        assertEquals(expected, read(List.of("email_marketing")));
        assertEquals(expected, read("[\"email_marketing\"]"));
        assertEquals(expected, read("email_marketing, analytics"));
        assertEquals(expected, read("email_marketing"));
    }

    @Test
    void scalarCoversEveryPurpose() {
        assertEquals(List.of(new ConsentEvidence(ConsentSource.STORE, null, ConsentStatus.DENIED, T)), read("opt-out"));
        assertEquals(List.of(new ConsentEvidence(ConsentSource.STORE, null, ConsentStatus.GRANTED, T)), read(Boolean.TRUE));
        assertTrue(read("unknown").isEmpty());
        assertTrue(read(null).isEmpty());
    }

    @Test
    void nestedRecordReadThroughFunction() {
        final List<ConsentEvidence> evidence = new ArrayList<>();
        final Object nested = new Object();
        new PurposeStatuses("status", "updated_at", value -> value == nested ? Map.of("personalisation", "yes") : null)
                .addEvidence(nested, PURPOSES, ConsentSource.RECORD, null, evidence);
        assertEquals(List.of(new ConsentEvidence(ConsentSource.RECORD, "personalisation", ConsentStatus.GRANTED, null)), evidence);
    }

    @Test
    void purposeObjectsCarryTheirOwnDate() {
        final Instant later = Instant.parse("2026-04-01T00:00:00Z");
        final List<ConsentEvidence> evidence = read("{\"email_marketing\": {\"status\": \"withdrawn\", \"updated_at\": \"2026-04-01T00:00:00Z\"},"
                + " \"personalisation\": {\"status\": \"granted\"}}");
        assertEquals(List.of(
                new ConsentEvidence(ConsentSource.STORE, "email_marketing", ConsentStatus.WITHDRAWN, later),
                new ConsentEvidence(ConsentSource.STORE, "personalisation", ConsentStatus.GRANTED, T)), evidence);
        assertEquals(List.of(new ConsentEvidence(ConsentSource.STORE, "email_marketing", ConsentStatus.DENIED, later)),
                read(Map.of("email_marketing", Map.of("status", "no", "updated_at", later.toString()))));
    }

    @Test
    void brokenJsonIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> read("{\"email_marketing\": "));
    }
}
