package io.datasync.nifi.merge;

import java.util.List;
import java.util.Map;

/**
 * The golden profile of one customer.
 *
 * @param values             surviving value per field, in the order of the requested fields; fields no
 *                           record carried are absent
 * @param conflictsResolved  number of fields for which the records offered differing non-empty values
 * @param wrongTypeValues    number of values left out of an ordering rule (max, min) for being of the wrong type
 * @param wrongTypeFields    the fields those values were in
 */
public record MergedProfile(Map<String, MergedValue> values, int conflictsResolved, int wrongTypeValues, List<String> wrongTypeFields) {

    public MergedProfile(final Map<String, MergedValue> values, final int conflictsResolved) {
        this(values, conflictsResolved, 0, List.of());
    }
}
