package io.datasync.nifi.identity;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdentityResolverTest {

    private static final List<String> RULES = List.of("email", "phone");

    private final KeyHasher hasher = new KeyHasher("customer");

    /**
     * A thread-safe store; entries in {@code hiddenFromReads} exist for atomic claims but not for
     * reads, which is what a key written by another node just after our read looks like.
     */
    static final class MemoryStore implements IdentityStore {
        final Map<String, String> entries = new ConcurrentHashMap<>();
        final Map<String, String> hiddenFromReads = new ConcurrentHashMap<>();
        volatile boolean down;

        @Override
        public Map<String, String> getAll(final Set<String> keys) throws IOException {
            check();
            final Map<String, String> result = new HashMap<>();
            for (final String key : keys) {
                if (entries.containsKey(key)) {
                    result.put(key, entries.get(key));
                }
            }
            return result;
        }

        @Override
        public String getAndPutIfAbsent(final String key, final String value) throws IOException {
            check();
            final String hidden = hiddenFromReads.remove(key);
            if (hidden != null) {
                entries.putIfAbsent(key, hidden);
            }
            return entries.putIfAbsent(key, value);
        }

        @Override
        public void put(final String key, final String value) throws IOException {
            check();
            entries.put(key, value);
        }

        private void check() throws IOException {
            if (down) {
                throw new IOException("cache unavailable");
            }
        }
    }

    private static Supplier<String> ids(final String prefix) {
        final AtomicInteger counter = new AtomicInteger();
        return () -> prefix + counter.incrementAndGet();
    }

    private Clusters batch(final String... emailsPerRecord) {
        final IdentityGraph graph = new IdentityGraph(10);
        for (final String emails : emailsPerRecord) {
            final int record = graph.addRecord();
            for (final String email : emails.split("\\|")) {
                graph.addKey(record, hasher.hash("email", email), 0);
            }
        }
        return graph.build();
    }

    private String keyEntry(final String email) {
        return IdentityResolver.keyEntry(hasher.hash("email", email));
    }

    @Test
    void withoutStoreEachClusterGetsANewId() throws IOException {
        final IdentityResolver resolver = new IdentityResolver(null, ids("new-"), RULES);
        final String[] ids = resolver.resolve(batch("a@x.org", "b@x.org", "a@x.org"));
        assertArrayEquals(new String[] {"new-1", "new-2"}, ids);
        assertTrue(resolver.merges().isEmpty());
    }

    @Test
    void withoutStoreTheSmallestExistingIdSurvivesAndTheMergeIsReported() throws IOException {
        final IdentityGraph graph = new IdentityGraph(10);
        final int first = graph.addRecord();
        graph.setExistingId(first, "C-200");
        graph.addKey(first, hasher.hash("email", "a@x.org"), 0);
        final int second = graph.addRecord();
        graph.setExistingId(second, "C-100");
        graph.addKey(second, hasher.hash("email", "a@x.org"), 0);

        final IdentityResolver resolver = new IdentityResolver(null, ids("new-"), RULES);
        assertArrayEquals(new String[] {"C-100"}, resolver.resolve(graph.build()));
        assertEquals(List.of(new IdentityMerge("C-200", "C-100", "records carrying both ids linked by rules email")), resolver.merges());
    }

    @Test
    void newKeysAreClaimedAndLaterBatchesGetTheSameId() throws IOException {
        final MemoryStore store = new MemoryStore();
        final String[] first = new IdentityResolver(store, ids("new-"), RULES).resolve(batch("a@x.org|a2@x.org"));
        assertEquals("new-1", first[0]);
        assertEquals("new-1", store.entries.get(keyEntry("a@x.org")));
        assertEquals("new-1", store.entries.get(keyEntry("a2@x.org")));

        final IdentityResolver later = new IdentityResolver(store, ids("other-"), RULES);
        assertArrayEquals(new String[] {"new-1", "other-1"}, later.resolve(batch("a2@x.org", "b@x.org")));
        assertTrue(later.merges().isEmpty());
    }

    @Test
    void storeHoldsOnlyHashesAndIds() throws IOException {
        final MemoryStore store = new MemoryStore();
        new IdentityResolver(store, ids("new-"), RULES).resolve(batch("jane.doe@x.org"));
        for (final Map.Entry<String, String> entry : store.entries.entrySet()) {
            assertTrue(entry.getKey().matches("k:[0-9a-f]{64}"), entry.getKey());
            assertTrue(entry.getValue().startsWith("new-"));
        }
    }

    @Test
    void freshIdIsAbandonedWhenAnotherClientClaimedTheKeyFirst() throws IOException {
        final MemoryStore store = new MemoryStore();
        // The other client claimed the key we claim first (keys are claimed in sorted order).
        final List<KeyHash> sorted = new ArrayList<>(List.of(hasher.hash("email", "a@x.org"), hasher.hash("email", "b@x.org")));
        sorted.sort(null);
        store.hiddenFromReads.put(IdentityResolver.keyEntry(sorted.get(0)), "winner");
        final IdentityResolver resolver = new IdentityResolver(store, ids("0-loser-"), RULES);
        assertArrayEquals(new String[] {"winner"}, resolver.resolve(batch("a@x.org|b@x.org")));
        assertEquals("winner", store.entries.get(IdentityResolver.keyEntry(sorted.get(1))));
        assertEquals(2, store.entries.size(), "nothing was written with the abandoned id");
        assertTrue(resolver.merges().isEmpty());
    }

    @Test
    void keyClaimedByAnotherIdAfterOursWasWrittenMergesToTheSmallest() throws IOException {
        final MemoryStore store = new MemoryStore();
        // Sorted claim order decides which key we write first; hide the later key under an id smaller than ours.
        final List<KeyHash> sorted = new ArrayList<>(List.of(hasher.hash("email", "a@x.org"), hasher.hash("email", "b@x.org")));
        sorted.sort(null);
        store.hiddenFromReads.put(IdentityResolver.keyEntry(sorted.get(1)), "0-other");
        final IdentityResolver resolver = new IdentityResolver(store, ids("z-new-"), RULES);
        assertArrayEquals(new String[] {"0-other"}, resolver.resolve(batch("a@x.org|b@x.org")));
        assertEquals("0-other", store.entries.get(IdentityResolver.keyEntry(sorted.get(0))), "our key is re-pointed");
        assertEquals(1, resolver.merges().size());
        assertEquals("z-new-1", resolver.merges().get(0).oldId());
        assertEquals("0-other", resolver.merges().get(0).survivingId());
        assertEquals("0-other", store.entries.get(resolver.aliasEntry("z-new-1")));
    }

    @Test
    void linkingTwoExistingIdsKeepsTheSmallestAndRedirectsTheOther() throws IOException {
        final MemoryStore store = new MemoryStore();
        store.entries.put(keyEntry("a@x.org"), "id-B");
        store.entries.put(keyEntry("b@x.org"), "id-A");
        final IdentityResolver resolver = new IdentityResolver(store, ids("new-"), RULES);
        assertArrayEquals(new String[] {"id-A"}, resolver.resolve(batch("a@x.org|b@x.org")));
        assertEquals(List.of(new IdentityMerge("id-B", "id-A", "rule email; linked by rules email")), resolver.merges());
        assertEquals("id-A", store.entries.get(keyEntry("a@x.org")));
        assertEquals("id-A", store.entries.get(resolver.aliasEntry("id-B")));

        // A record still carrying the merged id resolves to the survivor.
        final IdentityGraph graph = new IdentityGraph(10);
        graph.setExistingId(graph.addRecord(), "id-B");
        final IdentityResolver later = new IdentityResolver(store, ids("new-"), RULES);
        assertArrayEquals(new String[] {"id-A"}, later.resolve(graph.build()));
        assertTrue(later.merges().isEmpty());
    }

    @Test
    void mergeChainsAreFollowed() throws IOException {
        final MemoryStore store = new MemoryStore();
        final IdentityResolver resolver = new IdentityResolver(store, ids("new-"), RULES);
        store.entries.put(keyEntry("a@x.org"), "id-C");
        store.entries.put(resolver.aliasEntry("id-C"), "id-B");
        store.entries.put(resolver.aliasEntry("id-B"), "id-A");
        assertArrayEquals(new String[] {"id-A"}, resolver.resolve(batch("a@x.org")));
        assertTrue(resolver.merges().isEmpty());
    }

    /**
     * Regression (found by IdentityStoreBatchedClaimsPropertyTest, anUpFrontClaimMovedByAnEarlierRepointEndsAsTheKeyByKeyClaim):
     * the cache of current ids was filled before the batch (id-6 -> id-1, an old merge) and not followed through the
     * merges of the batch itself, so after an earlier cluster merged id-1 into id-0, a later cluster carrying id-6 came
     * back with the merged-away id-1.
     */
    @Test
    void idsReadFromTheCacheFollowMergesMadeEarlierInTheSameBatch() throws IOException {
        final MemoryStore store = new MemoryStore();
        final IdentityResolver resolver = new IdentityResolver(store, ids("new-"), RULES);
        store.entries.put(resolver.aliasEntry("id-6"), "id-1");
        final IdentityGraph graph = new IdentityGraph(10);
        final int first = graph.addRecord();
        graph.setExistingId(first, "id-1");
        graph.addKey(first, hasher.hash("email", "a@x.org"), 0);
        final int second = graph.addRecord();
        graph.setExistingId(second, "id-0");
        graph.addKey(second, hasher.hash("email", "a@x.org"), 0);
        final int third = graph.addRecord();
        graph.setExistingId(third, "id-6");
        graph.addKey(third, hasher.hash("email", "c@x.org"), 0);

        final String[] ids = resolver.resolve(graph.build());

        assertArrayEquals(new String[] {"id-0", "id-0"}, ids);
        assertEquals("id-0", store.entries.get(keyEntry("c@x.org")), "the key is claimed for the survivor, not the merged-away id");
        assertEquals(List.of(new IdentityMerge("id-1", "id-0", "customer id carried by a record; linked by rules email")), resolver.merges());
    }

    @Test
    void concurrentMergeOfTheSameIdSettlesOnTheSmallest() throws IOException {
        final MemoryStore store = new MemoryStore();
        final IdentityResolver resolver = new IdentityResolver(store, ids("new-"), RULES);
        store.entries.put(keyEntry("a@x.org"), "id-C");
        store.entries.put(keyEntry("b@x.org"), "id-B");
        // Another node merged id-C into id-A after our lookup.
        store.hiddenFromReads.put(resolver.aliasEntry("id-C"), "id-A");
        assertArrayEquals(new String[] {"id-A"}, resolver.resolve(batch("a@x.org|b@x.org")));
        assertEquals("id-A", store.entries.get(resolver.aliasEntry("id-B")));
        assertEquals("id-A", store.entries.get(keyEntry("a@x.org")));
        assertEquals("id-A", store.entries.get(keyEntry("b@x.org")));
        final Set<String> mergedAway = new HashSet<>();
        resolver.merges().forEach(merge -> {
            assertEquals("id-A", merge.survivingId());
            mergedAway.add(merge.oldId());
        });
        assertEquals(Set.of("id-B", "id-C"), mergedAway);
    }

    @Test
    void twoClientsRacingOnTheSameNewKeysAgree() throws Exception {
        final ExecutorService executor = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 200; round++) {
                final MemoryStore store = new MemoryStore();
                final CyclicBarrier start = new CyclicBarrier(2);
                final List<Future<String[]>> results = new ArrayList<>();
                for (final String prefix : List.of("node1-", "node2-")) {
                    final Clusters clusters = batch("a@x.org|p@x.org", "b@x.org", "c@x.org|a@x.org");
                    results.add(executor.submit(() -> {
                        start.await(5, TimeUnit.SECONDS);
                        return new IdentityResolver(store, ids(prefix), RULES).resolve(clusters);
                    }));
                }
                final String[] first = results.get(0).get(10, TimeUnit.SECONDS);
                final String[] second = results.get(1).get(10, TimeUnit.SECONDS);
                assertArrayEquals(first, second, "round " + round);
                assertNotEquals(first[0], first[1]);
            }
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void storeFailurePropagates() {
        final MemoryStore store = new MemoryStore();
        store.down = true;
        assertThrows(IOException.class, () -> new IdentityResolver(store, ids("new-"), RULES).resolve(batch("a@x.org")));
    }

    @Test
    void survivingIdRuleIsLexicographic() {
        assertEquals("C-1", SurvivingIdRule.choose(List.of("C-2", "C-10", "C-1")));
        assertEquals("C-10", SurvivingIdRule.choose(List.of("C-2", "C-10")));
        assertThrows(IllegalArgumentException.class, () -> SurvivingIdRule.choose(List.of()));
    }
}
