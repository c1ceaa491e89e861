package io.datasync.nifi.merge;

import java.util.List;

/**
 * Whether the records of a customer offered differing non-empty values for a field (what ProfileMerge counts as a
 * resolved conflict): empty values (null, blank text, empty arrays, collections and maps) never conflict; two values
 * conflict when {@link CanonicalValueComparator} orders them apart.
 */
public final class Conflicts {

    private Conflicts() {
    }

    /**
     * The check ProfileMerge runs: text equal to the first non-empty value is passed over without the emptiness check
     * and the comparison (equal text compares equal and is not blank when the first value is not), which is most of the
     * values of most fields.
     */
    public static boolean differ(final List<Candidate> candidates) {
        Object first = null;
        for (final Candidate candidate : candidates) {
            final Object value = candidate.value();
            if (value == null) {
                continue;
            }
            if (first == null) {
                if (!Values.isEmpty(value)) {
                    first = value;
                }
                continue;
            }
            if (value == first || value instanceof String text && text.equals(first)) {
                continue;
            }
            if (!Values.isEmpty(value) && CanonicalValueComparator.INSTANCE.compare(first, value) != 0) {
                return true;
            }
        }
        return false;
    }

    /** The former check, every value tested for emptiness and compared: the reference of tests and benchmarks. */
    public static boolean differWithFullChecks(final List<Candidate> candidates) {
        Object first = null;
        for (final Candidate candidate : candidates) {
            final Object value = candidate.value();
            if (Values.isEmpty(value)) {
                continue;
            }
            if (first == null) {
                first = value;
            } else if (CanonicalValueComparator.INSTANCE.compare(first, value) != 0) {
                return true;
            }
        }
        return false;
    }
}
