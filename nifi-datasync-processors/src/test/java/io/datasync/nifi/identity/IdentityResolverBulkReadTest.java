package io.datasync.nifi.identity;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import io.datasync.nifi.identity.GeneratedBatches.Outcome;
import io.datasync.nifi.identity.GeneratedBatches.Row;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The resolver's one-read snapshot (ids read with the link counts) and its bulk up-front claims, against the resolver
 * reading the ids itself and claiming key by key (how it worked before): the same ids, merges, counts and index, and
 * a number of store requests per batch that does not grow with the number of customers.
 */
class IdentityResolverBulkReadTest {

    private static final List<String> RULES = GeneratedBatches.RULES;
    private static final KeyHasher HASHER = new KeyHasher("customer");

    /**
     * An in-memory index that counts its requests; with {@code bulk} it also claims in bulk (atomic per key, like the
     * database store), otherwise it refuses to (the default: callers claim key by key).
     */
    static final class CountingStore implements IdentityStore {
        final Map<String, String> entries = new HashMap<>();
        final boolean bulk;
        int reads;
        int claims;
        int bulkClaims;
        int writes;
        int repoints;

        CountingStore(final boolean bulk) {
            this.bulk = bulk;
        }

        @Override
        public Map<String, String> getAll(final Set<String> keys) {
            reads++;
            final Map<String, String> result = new HashMap<>();
            for (final String key : keys) {
                if (entries.containsKey(key)) {
                    result.put(key, entries.get(key));
                }
            }
            return result;
        }

        @Override
        public String getAndPutIfAbsent(final String key, final String value) {
            claims++;
            return entries.putIfAbsent(key, value);
        }

        @Override
        public void put(final String key, final String value) {
            writes++;
            entries.put(key, value);
        }

        @Override
        public void repoint(final String oldId, final String survivingId) {
            repoints++;
            for (final Map.Entry<String, String> entry : entries.entrySet()) {
                if (entry.getKey().startsWith(IdentityResolver.KEY_PREFIX) && entry.getValue().equals(oldId)) {
                    entry.setValue(survivingId);
                }
            }
        }

        @Override
        public Set<String> putAllIfAbsent(final Map<String, String> toClaim) {
            if (!bulk) {
                return Set.of();
            }
            bulkClaims++;
            final Set<String> inserted = new HashSet<>();
            for (final Map.Entry<String, String> entry : toClaim.entrySet()) {
                if (entries.putIfAbsent(entry.getKey(), entry.getValue()) == null) {
                    inserted.add(entry.getKey());
                }
            }
            return inserted;
        }
    }

    private static Outcome resolve(final IdentityStore store, final boolean snapshotReads, final List<Row> batch,
                                   final Function<KeyHash, String> newIdOfAnchor, final int maxLinks) throws IOException {
        return GeneratedBatches.resolve(store, snapshotReads, batch, HASHER, newIdOfAnchor, maxLinks);
    }

    @Property(tries = 400)
    void oneSnapshotReadAndBulkClaimsGiveWhatPerBatchReadsAndKeyByKeyClaimsGive(@ForAll("batches") final List<List<Row>> batches,
                                                                             @ForAll("limits") final int maxLinks) throws IOException {
        // few possible derived ids, the same as the carried ones: new customers' ids collide with ids in use
        final Function<KeyHash, String> newIdOfAnchor = anchor -> "id-" + Math.floorMod(anchor.hashCode(), 9);
        final CountingStore snapshotStore = new CountingStore(true);
        final CountingStore perReadStore = new CountingStore(false);
        for (final List<Row> batch : batches) {
            final Outcome snapshot = resolve(snapshotStore, true, batch, newIdOfAnchor, maxLinks);
            final Outcome perRead = resolve(perReadStore, false, batch, newIdOfAnchor, maxLinks);
            assertEquals(perRead, snapshot);
            assertEquals(new TreeMap<>(perReadStore.entries), new TreeMap<>(snapshotStore.entries));
        }
    }

    /**
     * Another node claims some of the batch's keys for its own ids after the snapshot was read and before the batch
     * resolves (the snapshot is older than the claims, the case the snapshot widens): every key of every cluster still
     * ends naming, through the merge entries, the customer its cluster came back with. Both ways of reading.
     */
    @Property(tries = 300)
    void keysClaimedElsewhereAfterTheSnapshotStillEndWithTheClustersId(@ForAll("batches") final List<List<Row>> batches,
                                                                       @ForAll("limits") final int maxLinks,
                                                                       @ForAll("foreign") final Map<Integer, Integer> foreignClaims,
                                                                       @ForAll final boolean snapshotReads)
            throws IOException {
        final Function<KeyHash, String> newIdOfAnchor = anchor -> "id-" + Math.floorMod(anchor.hashCode(), 9);
        final CountingStore store = new CountingStore(true);
        for (final List<Row> batch : batches) {
            final IdentityGraph graph = GeneratedBatches.graph(batch, HASHER);
            final IdentityResolver resolver = new IdentityResolver(store, newIdOfAnchor, RULES, maxLinks, snapshotReads);
            final Set<KeyHash> overLimit = resolver.overLimitKeys(graph.keys());
            for (final Map.Entry<Integer, Integer> claim : foreignClaims.entrySet()) {
                final KeyHash key = HASHER.hash(RULES.get(claim.getKey() % 2), "value-" + claim.getKey());
                store.entries.putIfAbsent(IdentityResolver.keyEntry(key), "id-" + claim.getValue());
            }
            final Clusters clusters = graph.build(overLimit);
            final String[] ids = resolver.resolve(clusters);
            for (int cluster = 0; cluster < ids.length; cluster++) {
                for (final KeyHash key : clusters.keysOf(cluster)) {
                    final String stored = store.entries.get(IdentityResolver.keyEntry(key));
                    // through the merge entries: a cluster may come back with an id a later cluster of the batch merged away
                    // (reported as a merge), here when another node's id is also the id derived for a cluster
                    assertEquals(follow(resolver, store, ids[cluster]), follow(resolver, store, stored),
                            "a key of cluster " + cluster + " names another customer");
                }
            }
        }
    }

    private static String follow(final IdentityResolver resolver, final CountingStore store, final String id) {
        String current = id;
        for (int hop = 0; hop < 100; hop++) {
            final String next = store.entries.get(resolver.aliasEntry(current));
            if (next == null || next.equals(current)) {
                return current;
            }
            current = next;
        }
        throw new AssertionError("merge chain does not end");
    }

    /**
     * The round trips of a batch: one read (ids and link counts), one per hop of merge entries (one when nothing was
     * merged), one bulk claim; no claim per key, whether 5 or 300 returning customers each bring a new phone.
     */
    @Test
    void requestsPerBatchDoNotGrowWithTheCustomers() throws IOException {
        for (final int customers : List.of(5, 300)) {
            final CountingStore store = new CountingStore(true);
            final Function<KeyHash, String> newIdOfAnchor = anchor -> "c-" + anchor.toHex().substring(0, 16);
            final List<Row> first = new ArrayList<>();
            final List<Row> second = new ArrayList<>();
            for (int customer = 0; customer < customers; customer++) {
                // customer c: email 4c, phone 4c + 1; in the second batch a new phone 4c + 3, and a new customer 4c + 2
                first.add(new Row(List.of(4 * customer, 4 * customer + 1), null));
                second.add(new Row(List.of(4 * customer, 4 * customer + 3), null));
                second.add(new Row(List.of(4 * customer + 2), null));
            }
            resolve(store, true, first, newIdOfAnchor, 50);
            store.reads = 0;
            store.claims = 0;
            store.bulkClaims = 0;
            final Outcome outcome = resolve(store, true, second, newIdOfAnchor, 50);
            assertEquals(2, store.reads, customers + " customers: one read of ids and counts, one of merge entries");
            assertEquals(1, store.bulkClaims, customers + " customers: one bulk claim");
            assertEquals(0, store.claims, customers + " customers: no claim key by key");
            assertEquals(customers, outcome.newCustomers());
            assertTrue(outcome.merges().isEmpty());

            // the same batch resolved the way it was before: one read more, and a claim per new key of a returning customer
            final CountingStore before = new CountingStore(false);
            resolve(before, false, first, newIdOfAnchor, 50);
            before.reads = 0;
            before.claims = 0;
            assertEquals(outcome, resolve(before, false, second, newIdOfAnchor, 50));
            assertEquals(3, before.reads);
            assertEquals(2 * customers, before.claims);
        }
    }

    @Provide
    Arbitrary<List<List<Row>>> batches() {
        return GeneratedBatches.batches();
    }

    @Provide
    Arbitrary<Integer> limits() {
        return GeneratedBatches.limits();
    }

    @Provide
    Arbitrary<Map<Integer, Integer>> foreign() {
        return Arbitraries.maps(Arbitraries.integers().between(0, 29), Arbitraries.integers().between(0, 8)).ofMaxSize(4);
    }
}
