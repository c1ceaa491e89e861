package io.datasync.nifi.merge;

import java.util.Map;
import java.util.Objects;

/**
 * One input record (or the stored profile) in the shape the merge works on.
 *
 * @param origin          source and record timestamp
 * @param values          the fields the record actually carried; a field that is absent is not a
 *                        candidate, a field present with null is (it can clear a value under {@code latest})
 * @param fieldTimestamps per-field timestamps in epoch milliseconds; empty when the record has none
 */
public record SourceRecord(RecordOrigin origin, Map<String, Object> values, Map<String, Long> fieldTimestamps) {

    public SourceRecord {
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(values, "values");
        fieldTimestamps = fieldTimestamps == null ? Map.of() : fieldTimestamps;
    }

    /** The candidate this record offers for a field, or null when the record does not carry the field. */
    Candidate candidateFor(final String field) {
        final Object value = values.get(field);
        if (value == null && !values.containsKey(field)) {
            return null;
        }
        final Long fieldTimestamp = fieldTimestamps.isEmpty() ? null : fieldTimestamps.get(field);
        final long timestamp = fieldTimestamp == null ? origin.recordTimestamp() : fieldTimestamp;
        return new Candidate(value, timestamp, origin);
    }
}
