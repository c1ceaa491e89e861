package io.datasync.nifi.merge;

import java.util.List;

/** {@code first_non_empty}: the oldest non-empty value wins (e.g. the first-seen signup date or channel). */
final class FirstNonEmptyRule implements SurvivorshipRule {

    @Override
    public MergedValue choose(final List<Candidate> candidates) {
        final Candidate winner = SurvivorshipRule.best(candidates, CandidateOrder.OLDEST_FIRST, true);
        return MergedValue.of(winner);
    }
}
