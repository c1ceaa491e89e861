package io.datasync.nifi.merge;

import java.util.Comparator;
import java.util.List;

/**
 * {@code max} / {@code min}: the greatest / smallest non-null value in canonical order (numbers
 * numerically, dates by instant, strings lexicographically). When several candidates hold an equal
 * value, lineage names the newest of them.
 */
final class ExtremeValueRule implements SurvivorshipRule {

    private final Comparator<Candidate> preference;

    ExtremeValueRule(final boolean greatest) {
        final Comparator<Candidate> byValue = (left, right) -> CanonicalValueComparator.INSTANCE.compare(left.value(), right.value());
        final Comparator<Candidate> preferredValue = greatest ? byValue.reversed() : byValue;
        this.preference = preferredValue.thenComparing(CandidateOrder.NEWEST_FIRST);
    }

    @Override
    public boolean ordersValues() {
        return true;
    }

    @Override
    public MergedValue choose(final List<Candidate> candidates) {
        Candidate winner = null;
        for (final Candidate candidate : candidates) {
            if (candidate.value() != null && (winner == null || preference.compare(candidate, winner) < 0)) {
                winner = candidate;
            }
        }
        return MergedValue.of(winner);
    }
}
