package io.datasync.nifi.merge;

import java.util.Map;

/**
 * The golden profile of one customer.
 *
 * @param values             surviving value per field, in the order of the requested fields; fields no
 *                           record carried are absent
 * @param conflictsResolved  number of fields for which the records offered differing non-empty values
 */
public record MergedProfile(Map<String, MergedValue> values, int conflictsResolved) {
}
