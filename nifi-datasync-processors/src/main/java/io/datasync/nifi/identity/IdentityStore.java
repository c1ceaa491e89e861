package io.datasync.nifi.identity;

import java.io.IOException;
import java.util.Map;
import java.util.Set;

/**
 * The shared identity index: string keys to customer ids. Implementations must make
 * {@link #getAndPutIfAbsent} atomic across every client of the index; that is what lets two nodes
 * seeing a new key at the same moment agree on one id.
 */
public interface IdentityStore {

    /**
     * @return the values of the keys that exist (absent keys are left out or map to null)
     */
    Map<String, String> getAll(Set<String> keys) throws IOException;

    /**
     * Stores the value if the key is absent.
     *
     * @return null when the value was stored, otherwise the value already present (left unchanged)
     */
    String getAndPutIfAbsent(String key, String value) throws IOException;

    void put(String key, String value) throws IOException;

    /**
     * Called once {@code oldId} has been merged into {@code survivingId} (its merge entry written): a store that can
     * find the identifier entries by value re-points them at the survivor, so every identifier of the customer names
     * its current id. Stores that cannot (a map cache) do nothing: readers follow the merge entry instead.
     */
    default void repoint(final String oldId, final String survivingId) throws IOException {
    }
}
