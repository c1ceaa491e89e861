package io.datasync.nifi.merge;

/**
 * One value offered for one field by one record.
 *
 * @param value     the field value as read (may be null when the record explicitly carried null)
 * @param timestamp the per-field timestamp when the record supplied one, else the record timestamp
 * @param origin    the record the value came from
 */
public record Candidate(Object value, long timestamp, RecordOrigin origin) {

    public String source() {
        return origin.source();
    }

    public boolean hasTimestamp() {
        return timestamp != RecordOrigin.UNKNOWN_TIMESTAMP;
    }
}
