package io.datasync.nifi.identity;

import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How many other keys each key of one batch has linked, across batches ({@code n:} entries of the index): a key past
 * the maximum stops linking, so one shared placeholder (a call-centre phone) cannot chain thousands of people into one
 * customer. One instance serves one batch.
 */
final class LinkCounts {

    private final IdentityStore store;
    private final int maxLinksPerKey;
    private final Map<KeyHash, Integer> counts = new HashMap<>();
    private final Set<KeyHash> overLimit = new HashSet<>();
    private int reachingLimit;

    LinkCounts(final IdentityStore store, final int maxLinksPerKey) {
        this.store = store;
        this.maxLinksPerKey = maxLinksPerKey;
    }

    /** Whether counts are kept at all (no maximum: nothing to count). */
    boolean counting() {
        return maxLinksPerKey != Integer.MAX_VALUE;
    }

    /** Takes the count the index holds for {@code key}. */
    void read(final KeyHash key, final String storedValue) {
        final int value = parse(storedValue);
        counts.put(key, value);
        if (value > maxLinksPerKey) {
            overLimit.add(key);
        }
    }

    /** The keys read so far that already link more keys than the maximum. */
    Set<KeyHash> overLimit() {
        return Set.copyOf(overLimit);
    }

    /** How many keys this batch pushed past the maximum. */
    int reachingLimit() {
        return reachingLimit;
    }

    /**
     * Adds to each key of the cluster the number of other keys that joined through this batch, that is
     * the keys claimed for the first time (exactly one batch claims a key, so re-fed data adds nothing).
     */
    void add(final List<KeyHash> keys, final Set<KeyHash> claimed) throws IOException {
        if (!counting() || claimed.isEmpty()) {
            return;
        }
        for (final KeyHash key : keys) {
            final int added = claimed.size() - (claimed.contains(key) ? 1 : 0);
            if (added == 0) {
                continue;
            }
            final int before = counts.getOrDefault(key, 0);
            final int after = before + added;
            counts.put(key, after);
            store.put(IdentityResolver.countEntry(key), String.valueOf(after));
            if (before <= maxLinksPerKey && after > maxLinksPerKey) {
                reachingLimit++;
            }
        }
    }

    private static int parse(final String value) {
        try {
            return Math.max(0, Integer.parseInt(value.trim()));
        } catch (final NumberFormatException e) {
            // Not a count we wrote: count it as unknown rather than fail the batch.
            return 0;
        }
    }
}
