package io.datasync.nifi.merge;

import io.datasync.nifi.common.Timestamps;
import java.util.HashMap;
import java.util.Map;

/**
 * Turns the values of one input record (or of the stored profile) into a {@link SourceRecord}: its source, its
 * record timestamp and its optional per-field timestamps. Errors name the record and the field, never a value.
 */
public final class SourceRecordReader {

    private final TieBreakOrder tieBreakOrder;
    private final String fieldTimestampsField;

    /**
     * @param fieldTimestampsField the field holding per-field timestamps, or null when there is none
     */
    public SourceRecordReader(final TieBreakOrder tieBreakOrder, final String fieldTimestampsField) {
        this.tieBreakOrder = tieBreakOrder;
        this.fieldTimestampsField = fieldTimestampsField;
    }

    /**
     * @param values          the record's fields
     * @param source          the source name the values compete under
     * @param timestampField  the field the record timestamp was read from (named in errors)
     * @param timestamp       the record timestamp: epoch milliseconds, ISO-8601 text, or null (the oldest)
     * @param fieldTimestamps the per-field timestamps as a map from field name to timestamp, or null
     * @param recordNumber    1-based number of the record in its FlowFile, 0 for the stored profile
     */
    public SourceRecord read(final Map<String, Object> values, final String source, final String timestampField, final Object timestamp,
                             final Object fieldTimestamps, final int recordNumber) throws UnmergeableInputException {
        final Long recordTimestamp;
        try {
            recordTimestamp = Timestamps.toEpochMillis(timestamp);
        } catch (final IllegalArgumentException e) {
            throw new UnmergeableInputException(describe(recordNumber) + " has a value in '" + timestampField + "' that is not a timestamp");
        }
        final RecordOrigin origin = new RecordOrigin(source, tieBreakOrder.rankOf(source),
                recordTimestamp == null ? RecordOrigin.UNKNOWN_TIMESTAMP : recordTimestamp);
        final Map<String, Long> perField = fieldTimestampsField == null ? Map.of() : fieldTimestampsOf(fieldTimestamps, recordNumber);
        return new SourceRecord(origin, values, perField);
    }

    private Map<String, Long> fieldTimestampsOf(final Object value, final int recordNumber) throws UnmergeableInputException {
        if (value == null) {
            return Map.of();
        }
        if (!(value instanceof Map<?, ?> entries)) {
            throw new UnmergeableInputException(describe(recordNumber) + " has a value in '" + fieldTimestampsField
                    + "' that is not a map of field names to timestamps");
        }
        final Map<String, Long> timestamps = new HashMap<>(entries.size() * 2);
        for (final Map.Entry<?, ?> entry : entries.entrySet()) {
            try {
                final Long timestamp = Timestamps.toEpochMillis(entry.getValue());
                if (timestamp != null) {
                    timestamps.put(String.valueOf(entry.getKey()), timestamp);
                }
            } catch (final IllegalArgumentException e) {
                throw new UnmergeableInputException(describe(recordNumber) + " has a value in '" + fieldTimestampsField + "."
                        + entry.getKey() + "' that is not a timestamp");
            }
        }
        return timestamps;
    }

    private static String describe(final int recordNumber) {
        return recordNumber > 0 ? "Record " + recordNumber : "The stored profile";
    }
}
