package io.datasync.nifi.identity;

import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The key entries read along with a batch's link counts, and what the index held for them (present entries only): the
 * next resolve takes its known ids from here instead of asking again. Serves one batch only.
 */
final class KeySnapshot {

    private Set<String> covered;
    private final Map<String, String> values = new HashMap<>();

    void clear() {
        covered = null;
        values.clear();
    }

    /** Keeps what one read found for {@code keyEntries}; {@code read} may hold other entries too. */
    void take(final Set<String> keyEntries, final Map<String, String> read) {
        for (final Map.Entry<String, String> value : read.entrySet()) {
            if (keyEntries.contains(value.getKey())) {
                values.put(value.getKey(), value.getValue());
            }
        }
        covered = keyEntries;
    }

    /**
     * The ids the index holds for the key entries: from the snapshot where it covers them, the rest in one read. Empties
     * the snapshot.
     */
    Map<String, String> knownIds(final Set<String> entries, final IdentityStore store) throws IOException {
        final Set<String> coveredNow = covered;
        final Map<String, String> taken = new HashMap<>(values);
        clear();
        if (entries.isEmpty()) {
            return Map.of();
        }
        final Map<String, String> known = new HashMap<>();
        final Set<String> toRead = new HashSet<>();
        for (final String entry : entries) {
            if (coveredNow != null && coveredNow.contains(entry)) {
                final String value = taken.get(entry);
                if (value != null) {
                    known.put(entry, value);
                }
            } else {
                toRead.add(entry);
            }
        }
        if (!toRead.isEmpty()) {
            known.putAll(IdentityResolver.nonNullValues(store.getAll(toRead)));
        }
        return known;
    }
}
