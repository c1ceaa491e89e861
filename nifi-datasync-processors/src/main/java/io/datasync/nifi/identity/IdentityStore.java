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

    /**
     * Inserts every entry whose key is absent, in as few requests as the store can, and says which ones it inserted; an
     * entry whose key is present is left unchanged and left out of the result. Atomic per key, like
     * {@link #getAndPutIfAbsent}. A store that cannot do this in bulk inserts nothing and returns an empty set (the
     * default): callers then claim key by key.
     *
     * @return the keys this call inserted
     */
    default Set<String> putAllIfAbsent(final Map<String, String> entries) throws IOException {
        return Set.of();
    }

    /**
     * Makes every write accepted so far visible to other clients of the index. A store may hold {@link #put} writes back
     * to send them together; it always sends them before anything that could read or claim their keys, and here.
     */
    default void flush() throws IOException {
    }
}
