package io.datasync.nifi.merge;

import java.util.Comparator;

/**
 * The stable orders the rules use to pick among candidates. Every order ends with the same tie-break:
 * <ol>
 *   <li>the source's position in the tie-break source order (earlier wins; unlisted sources after listed ones),</li>
 *   <li>the value in {@link CanonicalValueComparator canonical order} (smaller wins),</li>
 *   <li>the source name (alphabetically smaller wins).</li>
 * </ol>
 * Comparators return a negative number when the first candidate is preferred.
 */
public final class CandidateOrder {

    /** Preference among candidates that the primary criterion of a rule could not separate. */
    public static final Comparator<Candidate> TIE_BREAK = (left, right) -> {
        final int byRank = Integer.compare(left.origin().tieBreakRank(), right.origin().tieBreakRank());
        if (byRank != 0) {
            return byRank;
        }
        final int byValue = CanonicalValueComparator.INSTANCE.compare(left.value(), right.value());
        if (byValue != 0) {
            return byValue;
        }
        return left.source().compareTo(right.source());
    };

    /** Newest first; unknown timestamps count as the oldest. */
    public static final Comparator<Candidate> NEWEST_FIRST = (left, right) -> {
        final int byTime = Long.compare(right.timestamp(), left.timestamp());
        return byTime != 0 ? byTime : TIE_BREAK.compare(left, right);
    };

    /** Oldest first; unknown timestamps count as the oldest. */
    public static final Comparator<Candidate> OLDEST_FIRST = (left, right) -> {
        final int byTime = Long.compare(left.timestamp(), right.timestamp());
        return byTime != 0 ? byTime : TIE_BREAK.compare(left, right);
    };

    private CandidateOrder() {
    }
}
