package io.datasync.nifi.merge;

import java.util.Comparator;
import java.util.List;

/**
 * Chooses the surviving value of one field from the candidates the records of one customer offer.
 * Implementations must give the same answer for any order of the candidate list.
 */
public interface SurvivorshipRule {

    /**
     * @param candidates the values offered for the field, never empty
     * @return the surviving value, or null when no candidate qualifies (the field stays empty)
     */
    MergedValue choose(List<Candidate> candidates);

    /**
     * @return true when the surviving value is always an array, whatever the type of the candidates
     *         (the output schema must then declare the field as an array)
     */
    default boolean producesArray() {
        return false;
    }

    /**
     * @return true when the rule orders values (max, min), so that values of the wrong type must not
     *         take part (see {@link TypedCandidates})
     */
    default boolean ordersValues() {
        return false;
    }

    /** Picks the candidate the comparator prefers (sorts first) among those the filter accepts. */
    static Candidate best(final List<Candidate> candidates, final Comparator<Candidate> preference, final boolean nonEmptyOnly) {
        Candidate best = null;
        for (final Candidate candidate : candidates) {
            if (nonEmptyOnly && Values.isEmpty(candidate.value())) {
                continue;
            }
            if (best == null || preference.compare(candidate, best) < 0) {
                best = candidate;
            }
        }
        return best;
    }
}
