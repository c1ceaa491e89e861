package io.datasync.nifi.identity;

import java.util.Collection;

/**
 * Chooses which id survives when one batch links several existing customer ids: the
 * lexicographically smallest. It needs no extra state (unlike "earliest created", which would need a
 * creation time per id in the index), gives every node the same answer whatever the order it saw the
 * ids in, and because a merge always points an id at a smaller one, chains of merges cannot loop.
 */
public final class SurvivingIdRule {

    private SurvivingIdRule() {
    }

    public static String choose(final Collection<String> candidateIds) {
        String survivor = null;
        for (final String id : candidateIds) {
            if (survivor == null || id.compareTo(survivor) < 0) {
                survivor = id;
            }
        }
        if (survivor == null) {
            throw new IllegalArgumentException("No candidate ids");
        }
        return survivor;
    }
}
