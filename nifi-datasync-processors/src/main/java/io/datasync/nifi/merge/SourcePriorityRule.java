package io.datasync.nifi.merge;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code source_priority:a,b,c}: the non-empty value from the highest-ranked source wins, whatever its
 * age; among values of one source the newest wins. Sources not in the list rank after all listed ones
 * and compete among themselves by timestamp.
 */
final class SourcePriorityRule implements SurvivorshipRule {

    private final Map<String, Integer> ranks;
    private final List<String> sources;

    SourcePriorityRule(final List<String> sources) {
        this.sources = List.copyOf(sources);
        this.ranks = new HashMap<>();
        for (int i = 0; i < this.sources.size(); i++) {
            ranks.putIfAbsent(this.sources.get(i), i);
        }
    }

    List<String> sources() {
        return sources;
    }

    @Override
    public MergedValue choose(final List<Candidate> candidates) {
        Candidate winner = null;
        int winnerRank = Integer.MAX_VALUE;
        for (final Candidate candidate : candidates) {
            if (Values.isEmpty(candidate.value())) {
                continue;
            }
            final int rank = ranks.getOrDefault(candidate.source(), sources.size());
            if (winner == null || rank < winnerRank || (rank == winnerRank && CandidateOrder.NEWEST_FIRST.compare(candidate, winner) < 0)) {
                winner = candidate;
                winnerRank = rank;
            }
        }
        return MergedValue.of(winner);
    }
}
