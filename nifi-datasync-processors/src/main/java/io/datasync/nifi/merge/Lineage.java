package io.datasync.nifi.merge;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.datasync.nifi.common.Timestamps;
import java.io.IOException;
import java.io.StringWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Lineage of a golden profile as JSON text: field name to the source and timestamp of its surviving value,
 * e.g. {@code {"email":{"source":"web","timestamp":"2024-05-03T09:00:00Z"}}}.
 * <p>
 * Read back from a stored profile, lineage lets each stored value compete under the source and timestamp it
 * originally came with, rather than under the profile's single updated-at time. Merging a stored profile
 * with new records then gives the same result as merging all records ever seen at once, whatever the order
 * in which FlowFiles arrived.
 */
public final class Lineage {

    /** Where one surviving value came from; timestamp null when unknown. */
    public record Entry(String source, Long timestamp) {
    }

    private static final JsonFactory JSON_FACTORY = new JsonFactory();

    private Lineage() {
    }

    /**
     * @param isoTimestamps cache of formatted timestamps, shared across the profiles of one FlowFile
     */
    public static String toJson(final Map<String, MergedValue> values, final Map<Long, String> isoTimestamps) {
        final StringWriter json = new StringWriter(32 + values.size() * 72);
        try (JsonGenerator generator = JSON_FACTORY.createGenerator(json)) {
            generator.writeStartObject();
            for (final Map.Entry<String, MergedValue> entry : values.entrySet()) {
                generator.writeObjectFieldStart(entry.getKey());
                generator.writeStringField("source", entry.getValue().source());
                final Long timestamp = entry.getValue().timestamp();
                if (timestamp == null) {
                    generator.writeNullField("timestamp");
                } else {
                    generator.writeStringField("timestamp", isoTimestamps.computeIfAbsent(timestamp, millis -> Instant.ofEpochMilli(millis).toString()));
                }
                generator.writeEndObject();
            }
            generator.writeEndObject();
        } catch (final IOException e) {
            // A StringWriter does not fail; reaching this is a bug.
            throw new IllegalStateException(e);
        }
        return json.toString();
    }

    /**
     * @throws IllegalArgumentException when the text is not lineage as {@link #toJson} writes it
     */
    public static Map<String, Entry> parse(final String json) {
        final Map<String, Entry> entries = new LinkedHashMap<>();
        try (JsonParser parser = JSON_FACTORY.createParser(json)) {
            expect(parser.nextToken(), JsonToken.START_OBJECT);
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                final String field = parser.currentName();
                expect(parser.nextToken(), JsonToken.START_OBJECT);
                String source = "";
                Long timestamp = null;
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    final String name = parser.currentName();
                    final JsonToken value = parser.nextToken();
                    if ("source".equals(name) && value == JsonToken.VALUE_STRING) {
                        source = parser.getText();
                    } else if ("timestamp".equals(name) && value == JsonToken.VALUE_STRING) {
                        timestamp = Timestamps.toEpochMillis(parser.getText());
                    } else if (value.isStructStart()) {
                        parser.skipChildren();
                    }
                }
                entries.put(field, new Entry(source, timestamp));
            }
        } catch (final IOException e) {
            throw new IllegalArgumentException("not lineage JSON", e);
        }
        return entries;
    }

    private static void expect(final JsonToken actual, final JsonToken expected) {
        if (actual != expected) {
            throw new IllegalArgumentException("not lineage JSON: expected " + expected + " but found " + actual);
        }
    }

    /**
     * Splits a stored profile into one record per origin named in its lineage, so each stored value competes
     * with its original source and timestamp. Fields without lineage compete under the stored profile's own
     * origin; among those, nulls are left out: a field no source ever filled must not outrank real values.
     *
     * @param stored        the stored profile as one record (its origin is the stored-profile source and updated-at)
     * @param lineage       the stored profile's lineage
     * @param tieBreakOrder ranks for the original sources
     */
    public static List<SourceRecord> splitStoredProfile(final SourceRecord stored, final Map<String, Entry> lineage,
                                                        final TieBreakOrder tieBreakOrder) {
        final Map<RecordOrigin, Map<String, Object>> valuesByOrigin = new HashMap<>();
        final Map<String, Object> unattributed = new HashMap<>();
        for (final Map.Entry<String, Object> field : stored.values().entrySet()) {
            final Entry entry = lineage.get(field.getKey());
            if (entry == null) {
                if (field.getValue() != null) {
                    unattributed.put(field.getKey(), field.getValue());
                }
                continue;
            }
            final RecordOrigin origin = new RecordOrigin(entry.source(), tieBreakOrder.rankOf(entry.source()),
                    entry.timestamp() == null ? RecordOrigin.UNKNOWN_TIMESTAMP : entry.timestamp());
            valuesByOrigin.computeIfAbsent(origin, ignored -> new HashMap<>()).put(field.getKey(), field.getValue());
        }
        final List<SourceRecord> records = new ArrayList<>(valuesByOrigin.size() + 1);
        records.add(new SourceRecord(stored.origin(), unattributed, stored.fieldTimestamps()));
        valuesByOrigin.forEach((origin, values) -> records.add(new SourceRecord(origin, values, Map.of())));
        return records;
    }
}
