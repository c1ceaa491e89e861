package io.datasync.nifi.merge;

import java.util.Comparator;
import java.util.List;

/**
 * {@code consent}: the newest consent statement wins, so a withdrawal at T beats any grant older than T
 * and a grant newer than T beats that withdrawal. On equal timestamps the more restrictive statement
 * (anything that is not a clear grant, see {@link ConsentValues}) wins. Null or blank values are not
 * statements: a partial update without consent never erases one.
 */
final class ConsentRule implements SurvivorshipRule {

    private static final Comparator<Candidate> PREFERENCE = (left, right) -> {
        final int byTime = Long.compare(right.timestamp(), left.timestamp());
        if (byTime != 0) {
            return byTime;
        }
        final int byRestriction = Boolean.compare(ConsentValues.isGrant(left.value()), ConsentValues.isGrant(right.value()));
        return byRestriction != 0 ? byRestriction : CandidateOrder.TIE_BREAK.compare(left, right);
    };

    @Override
    public MergedValue choose(final List<Candidate> candidates) {
        final Candidate winner = SurvivorshipRule.best(candidates, PREFERENCE, true);
        return winner == null ? null : MergedValue.of(winner);
    }
}
