package io.datasync.nifi.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MergeChainsTest {

    private final IdentityResolverTest.MemoryStore store = new IdentityResolverTest.MemoryStore();
    private final MergeChains chains = new MergeChains(store);

    @Test
    void aliasEntriesAreHashedPerIdAndPrefixed() {
        final String entry = chains.aliasEntry("id-B");
        assertTrue(entry.startsWith(MergeChains.ALIAS_PREFIX), entry);
        assertEquals(MergeChains.ALIAS_PREFIX.length() + 64, entry.length());
        assertEquals(entry, chains.aliasEntry("id-B"));
        assertNotEquals(entry, chains.aliasEntry("id-C"));
        assertTrue(!entry.contains("id-B"), "the id itself is not in the entry name");
    }

    @Test
    void anIdFollowsItsMergeEntriesToTheEnd() throws IOException {
        store.entries.put(chains.aliasEntry("id-C"), "id-B");
        store.entries.put(chains.aliasEntry("id-B"), "id-A");
        assertEquals("id-A", chains.follow("id-C"));
        assertEquals("id-A", chains.current("id-C"));
        assertEquals("id-Z", chains.current("id-Z"));
    }

    @Test
    void mergesOfTheBatchAreFollowedOnFromWhatWasCached() throws IOException {
        assertEquals("id-B", chains.current("id-B"));
        chains.merged("id-B", "id-A");
        chains.merged("id-A", "id-0");
        // the index knows nothing of these merges yet: the batch's own are followed
        assertEquals("id-0", chains.current("id-B"));
        assertEquals("id-B", chains.follow("id-B"));
    }

    @Test
    void prefetchFindsWhatFollowingOneByOneFinds() throws IOException {
        store.entries.put(chains.aliasEntry("id-3"), "id-2");
        store.entries.put(chains.aliasEntry("id-2"), "id-1");
        store.entries.put(chains.aliasEntry("id-9"), "id-8");
        chains.prefetch(Set.of("id-3", "id-2", "id-9", "id-5"));
        // everything is cached now: a store that is down changes nothing
        store.down = true;
        assertEquals("id-1", chains.current("id-3"));
        assertEquals("id-1", chains.current("id-2"));
        assertEquals("id-8", chains.current("id-9"));
        assertEquals("id-5", chains.current("id-5"));
    }

    @Test
    void aLoopOfForeignMergeEntriesEndsInAnErrorNotAHang() {
        store.entries.put(chains.aliasEntry("id-A"), "id-B");
        store.entries.put(chains.aliasEntry("id-B"), "id-A");
        assertThrows(IOException.class, () -> chains.follow("id-A"));
        assertThrows(IOException.class, () -> chains.prefetch(Set.of("id-A")));
    }
}
