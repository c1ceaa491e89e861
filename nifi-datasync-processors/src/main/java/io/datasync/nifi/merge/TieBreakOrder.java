package io.datasync.nifi.merge;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The rank of each source for tie-breaks between candidates with equal timestamps: listed sources in
 * list order, then every other source (alphabetically, through the final tie-break on the source name).
 */
public final class TieBreakOrder {

    private final Map<String, Integer> ranks = new HashMap<>();
    private final int unlistedRank;

    public TieBreakOrder(final List<String> sources) {
        for (final String source : sources) {
            ranks.putIfAbsent(source, ranks.size());
        }
        unlistedRank = ranks.size();
    }

    public int rankOf(final String source) {
        return ranks.getOrDefault(source, unlistedRank);
    }
}
