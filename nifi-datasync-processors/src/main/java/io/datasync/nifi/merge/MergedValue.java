package io.datasync.nifi.merge;

/**
 * The surviving value of one field and where it came from (for lineage).
 *
 * @param value     the value to write
 * @param source    the winning source; several sources joined by ',' when a rule combines values
 * @param timestamp epoch milliseconds of the winning value, or null when unknown
 */
public record MergedValue(Object value, String source, Long timestamp) {

    /** The winning candidate's value, source and timestamp; null when no candidate won (the field stays empty). */
    static MergedValue of(final Candidate winner) {
        if (winner == null) {
            return null;
        }
        return new MergedValue(winner.value(), winner.source(), winner.hasTimestamp() ? winner.timestamp() : null);
    }
}
