package io.datasync.nifi.merge;

import java.util.List;

/**
 * {@code latest}: the newest value wins, even an explicit null (a source that sends null clears the field).
 * {@code latest_non_empty}: the newest non-empty value wins; a null or blank in a newer partial update
 * does not erase what an older record knew.
 */
final class LatestRule implements SurvivorshipRule {

    private final boolean nonEmptyOnly;

    LatestRule(final boolean nonEmptyOnly) {
        this.nonEmptyOnly = nonEmptyOnly;
    }

    @Override
    public MergedValue choose(final List<Candidate> candidates) {
        final Candidate winner = SurvivorshipRule.best(candidates, CandidateOrder.NEWEST_FIRST, nonEmptyOnly);
        return MergedValue.of(winner);
    }
}
