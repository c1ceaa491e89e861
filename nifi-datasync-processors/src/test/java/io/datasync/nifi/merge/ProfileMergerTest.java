package io.datasync.nifi.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ProfileMergerTest {

    private static final TieBreakOrder ORDER = new TieBreakOrder(List.of("crm", "shop", "web"));

    private static SourceRecord record(final String source, final long timestamp, final Map<String, Long> fieldTimestamps, final Object... keyValues) {
        final Map<String, Object> values = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put((String) keyValues[i], keyValues[i + 1]);
        }
        return new SourceRecord(new RecordOrigin(source, ORDER.rankOf(source), timestamp), values, fieldTimestamps);
    }

    private final ProfileMerger merger = new ProfileMerger(
            Map.of("name", SurvivorshipRules.parse("source_priority:crm,shop,web"), "phone", SurvivorshipRules.parse("latest")),
            SurvivorshipRules.parse("latest_non_empty"));

    @Test
    void partialUpdatesKeepKnownValues() {
        final List<SourceRecord> records = List.of(
                record("crm", 100, null, "name", "Ada", "email", "ada@example.com", "city", "Paris"),
                record("web", 300, null, "email", null, "city", "Lyon"),
                record("shop", 200, null, "name", "A. Lovelace", "email", "ada@shop.example"));
        final MergedProfile profile = merger.merge(records, List.of("name", "email", "city", "country"));

        assertEquals("Ada", profile.values().get("name").value());
        assertEquals("crm", profile.values().get("name").source());
        assertEquals("ada@shop.example", profile.values().get("email").value());
        assertEquals("Lyon", profile.values().get("city").value());
        assertFalse(profile.values().containsKey("country"));
        assertEquals(3, profile.conflictsResolved());
    }

    @Test
    void absentFieldIsNoCandidateButExplicitNullIsForLatest() {
        final MergedProfile absent = merger.merge(List.of(
                record("crm", 100, null, "phone", "+33100"), record("web", 200, null, "city", "Lyon")), List.of("phone"));
        assertEquals("+33100", absent.values().get("phone").value());

        final MergedProfile cleared = merger.merge(List.of(
                record("crm", 100, null, "phone", "+33100"), record("web", 200, null, "phone", null)), List.of("phone"));
        assertNull(cleared.values().get("phone").value());
        assertEquals("web", cleared.values().get("phone").source());
    }

    @Test
    void perFieldTimestampsOverrideRecordTimestamp() {
        final List<SourceRecord> records = List.of(
                record("crm", 500, Map.of("email", 50L), "email", "stale@example.com", "city", "Paris"),
                record("web", 100, null, "email", "fresh@example.com", "city", "Lyon"));
        final MergedProfile profile = merger.merge(records, List.of("email", "city"));
        assertEquals("fresh@example.com", profile.values().get("email").value());
        assertEquals(100L, profile.values().get("email").timestamp());
        assertEquals("Paris", profile.values().get("city").value());
    }

    @Test
    void resultDoesNotDependOnRecordOrder() {
        final List<SourceRecord> records = new ArrayList<>(List.of(
                record("crm", 100, null, "name", "Ada", "email", "a@x", "phone", "1"),
                record("shop", 100, null, "name", "Ada L", "email", "b@x", "phone", "2"),
                record("web", 100, null, "email", "c@x", "phone", null),
                record("web", 100, null, "email", "d@x", "phone", "3")));
        final List<String> fields = List.of("name", "email", "phone");
        final String expected = render(merger.merge(records, fields));
        final Random random = new Random(42);
        for (int i = 0; i < 200; i++) {
            Collections.shuffle(records, random);
            assertEquals(expected, render(merger.merge(records, fields)));
        }
    }

    private static String render(final MergedProfile profile) {
        final StringBuilder text = new StringBuilder();
        profile.values().forEach((field, value) -> text.append(field).append('=').append(value.value()).append('@')
                .append(value.source()).append(';'));
        return text.append(profile.conflictsResolved()).toString();
    }
}
