package io.datasync.nifi.identity;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Derived ids and per-key link counts of {@link IdentityResolver}.
 */
class IdentityResolverLinkCountTest {

    private static final List<String> RULES = List.of("email");
    private final KeyHasher hasher = new KeyHasher("customer", "k".getBytes());
    private final CustomerIds customerIds = new CustomerIds(new KeyHasher("customer", "k".getBytes()));

    private IdentityGraph graph(final String... emailsPerRecord) {
        final IdentityGraph graph = new IdentityGraph(10);
        for (final String emails : emailsPerRecord) {
            final int record = graph.addRecord();
            for (final String email : emails.split("\\|")) {
                graph.addKey(record, hasher.hash("email", email), 0);
            }
        }
        return graph;
    }

    private String[] resolve(final IdentityResolverTest.MemoryStore store, final int max, final String... emailsPerRecord) throws IOException {
        final IdentityGraph graph = graph(emailsPerRecord);
        final IdentityResolver resolver = new IdentityResolver(store, customerIds::idFor, RULES, max);
        final Set<KeyHash> overLimit = resolver.overLimitKeys(graph.keys());
        return resolver.resolve(graph.build(overLimit));
    }

    private String count(final IdentityResolverTest.MemoryStore store, final String email) {
        return store.entries.get(IdentityResolver.countEntry(hasher.hash("email", email)));
    }

    @Test
    void countsGrowOnlyWithNewlyClaimedKeys() throws IOException {
        final IdentityResolverTest.MemoryStore store = new IdentityResolverTest.MemoryStore();
        resolve(store, 5, "a|b|c");
        assertEquals("2", count(store, "a"), "two other keys joined through a");
        resolve(store, 5, "a|b|c");
        assertEquals("2", count(store, "a"), "the same keys again: nothing new");
        resolve(store, 5, "a|d");
        assertEquals("3", count(store, "a"));
        assertEquals(null, count(store, "d"), "a was there before d: nothing joined through d");
        assertEquals("2", count(store, "b"), "b was not in the batch that brought d");
    }

    @Test
    void aKeyOverTheLimitLinksNothingMore() throws IOException {
        final IdentityResolverTest.MemoryStore store = new IdentityResolverTest.MemoryStore();
        final String first = resolve(store, 2, "shared|p1")[0];
        assertEquals(first, resolve(store, 2, "shared|p2")[0]);
        assertEquals(first, resolve(store, 2, "shared|p3")[0], "the third link takes the count to 3, over 2, but still links");
        final String fourth = resolve(store, 2, "shared|p4")[0];
        assertNotEquals(first, fourth, "over the limit: the shared key links nothing");
        assertEquals(resolve(new IdentityResolverTest.MemoryStore(), Integer.MAX_VALUE, "p4")[0], fourth,
                "the record is identified by its own key alone");
    }

    @Test
    void derivedIdsAreTheSameWithOrWithoutAStoreAndFollowMerges() throws IOException {
        final String withoutStore = resolve(null, 5, "a|b")[0];
        final IdentityResolverTest.MemoryStore store = new IdentityResolverTest.MemoryStore();
        assertEquals(withoutStore, resolve(store, 5, "a|b")[0]);

        // The id derived from a and b was merged into a smaller one; the keys are then evicted.
        store.entries.put(new IdentityResolver(store, customerIds::idFor, RULES, 5).aliasEntry(withoutStore), "0-survivor");
        store.entries.keySet().removeIf(key -> key.startsWith("k:"));
        assertEquals("0-survivor", resolve(store, 5, "a|b")[0], "a derived id that was merged away is followed to its survivor");
        assertTrue(store.entries.containsValue("0-survivor"));
    }
}
