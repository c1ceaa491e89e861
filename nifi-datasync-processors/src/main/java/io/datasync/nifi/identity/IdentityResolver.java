package io.datasync.nifi.identity;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Gives every cluster of a batch one customer id, consistent with the shared identity index when
 * there is one.
 *
 * <p>The index holds two kinds of entries, both with fixed-size keys:</p>
 * <ul>
 *     <li>{@code k:<key hash>} -> customer id: who a match key belongs to;</li>
 *     <li>{@code a:<hash of id>} -> customer id: an id that was merged into a (smaller) surviving id;</li>
 *     <li>{@code n:<key hash>} -> link count: how many other keys have joined a customer through a batch
 *     holding this key. A key whose count exceeds the maximum links nothing more (see
 *     {@link #overLimitKeys}). Counts grow only when keys are claimed for the first time, so feeding the
 *     same data again leaves them unchanged; two nodes updating one count at the same moment can lose
 *     one of the increments (the count is a guard, not an audit).</li>
 * </ul>
 *
 * <p>Per cluster: the ids already known for its keys (and carried by its records) are collected and
 * followed through merge entries to their current id. Keys the index does not know are claimed with
 * an atomic get-and-put-if-absent, in sorted order, proposing the smallest known id (or a fresh one).
 * When a claim finds the key already taken by another id (another node won the race, or the key was
 * created since the lookup), that id joins the candidates; if nothing has been written with the
 * fresh id yet it is simply abandoned, so two nodes racing on the same new keys end with the id of
 * whichever claimed the first key. When several ids remain, the smallest survives
 * ({@link SurvivingIdRule}); each other id gets a merge entry pointing at it (again put-if-absent,
 * settling concurrent merges) and is reported; keys are re-pointed at the survivor.</p>
 *
 * <p>Not thread-safe: one instance per batch.</p>
 */
public final class IdentityResolver {

    static final String KEY_PREFIX = "k:";
    static final String ALIAS_PREFIX = MergeChains.ALIAS_PREFIX;
    static final String COUNT_PREFIX = "n:";
    private static final int MAX_MERGE_ROUNDS = 64;

    private final IdentityStore store;
    private final Function<KeyHash, String> newIdOfAnchor;
    private final List<String> ruleNames;
    private final MergeChains chains;
    private final boolean derivedIds;
    private final boolean snapshotReads;
    private final boolean bulkMergeEntries;

    private final LinkCounts linkCounts;

    /** What this batch claims in bulk before its clusters' turns. */
    private final UpFrontClaims upFront;
    private final List<IdentityMerge> merges = new ArrayList<>();
    /** Ids given to customers that nothing known identified: no id carried by a record, no key in the index. */
    private final Set<String> newCustomerIds = new HashSet<>();
    /** What {@link #overLimitKeys} read of the keys' ids, for the next {@link #resolve}. */
    private final KeySnapshot snapshot = new KeySnapshot();
    private static final String NEW_CUSTOMER = "new customer";

    /**
     * @param store the shared index, or null to resolve within the batch only
     * @param newIdSupplier creates ids for customers seen for the first time
     * @param ruleNames rule names by rule index, used in merge reasons
     */
    public IdentityResolver(final IdentityStore store, final Supplier<String> newIdSupplier, final List<String> ruleNames) {
        this(store, anchor -> newIdSupplier.get(), ruleNames, Integer.MAX_VALUE, false, true, true);
    }

    /**
     * @param newIdOfAnchor the id of a new customer, from its cluster's anchor ({@link Clusters#anchorOf})
     * @param maxLinksPerKey a key that has linked more keys than this (across batches) stops linking;
     *                       {@link Integer#MAX_VALUE} keeps no counts
     */
    public IdentityResolver(final IdentityStore store, final Function<KeyHash, String> newIdOfAnchor, final List<String> ruleNames,
                            final int maxLinksPerKey) {
        this(store, newIdOfAnchor, ruleNames, maxLinksPerKey, true, true, true);
    }

    /**
     * @param snapshotReads false: {@link #overLimitKeys} reads only the link counts and {@link #resolve} reads the keys'
     *                      ids itself, two reads per batch (how the resolver worked before; kept so tests and benchmarks
     *                      can compare both in one run)
     */
    public IdentityResolver(final IdentityStore store, final Function<KeyHash, String> newIdOfAnchor, final List<String> ruleNames,
                            final int maxLinksPerKey, final boolean snapshotReads) {
        this(store, newIdOfAnchor, ruleNames, maxLinksPerKey, true, snapshotReads, true);
    }

    /**
     * @param bulkMergeEntries false: merge entries are claimed one at a time at each cluster's turn, even on a store that
     *                         claims in bulk (how the resolver worked before; kept so benchmarks can compare both in one run)
     */
    public IdentityResolver(final IdentityStore store, final Function<KeyHash, String> newIdOfAnchor, final List<String> ruleNames,
                            final int maxLinksPerKey, final boolean snapshotReads, final boolean bulkMergeEntries) {
        this(store, newIdOfAnchor, ruleNames, maxLinksPerKey, true, snapshotReads, bulkMergeEntries);
    }

    private IdentityResolver(final IdentityStore store, final Function<KeyHash, String> newIdOfAnchor, final List<String> ruleNames,
                             final int maxLinksPerKey, final boolean derivedIds, final boolean snapshotReads, final boolean bulkMergeEntries) {
        this.bulkMergeEntries = bulkMergeEntries;
        this.derivedIds = derivedIds;
        this.snapshotReads = snapshotReads;
        this.store = store;
        this.newIdOfAnchor = newIdOfAnchor;
        this.linkCounts = new LinkCounts(store, maxLinksPerKey);
        this.ruleNames = List.copyOf(ruleNames);
        this.chains = new MergeChains(store);
        this.upFront = new UpFrontClaims(store, chains);
    }

    public static String keyEntry(final KeyHash key) {
        return KEY_PREFIX + key.toHex();
    }

    public static String countEntry(final KeyHash key) {
        return COUNT_PREFIX + key.toHex();
    }

    /**
     * Reads the link counts of a batch's keys from the index, before the batch's clusters are built, and with them, in
     * the same request, the ids the keys belong to: the next {@link #resolve} takes them from this read instead of asking
     * again. Reading the ids here rather than after the clusters are built changes nothing about the result: the ids are
     * a snapshot either way, taken before any claim, and every claim and merge is still made with the index's atomic
     * put-if-absent, which finds whatever another node wrote since.
     *
     * @return the keys that already link more keys than the maximum: they must link nothing in this batch
     * @throws IOException when the index cannot be read
     */
    public Set<KeyHash> overLimitKeys(final Collection<KeyHash> keys) throws IOException {
        snapshot.clear();
        final boolean counting = linkCounts.counting();
        if (store == null || keys.isEmpty() || !counting && !snapshotReads) {
            return Set.of();
        }
        final Map<String, KeyHash> keyOfEntry = new HashMap<>();
        final Set<String> entries = new HashSet<>();
        final Set<String> keyEntries = new HashSet<>();
        for (final KeyHash key : keys) {
            if (counting) {
                keyOfEntry.put(countEntry(key), key);
                entries.add(countEntry(key));
            }
            if (snapshotReads) {
                keyEntries.add(keyEntry(key));
            }
        }
        entries.addAll(keyEntries);
        final Map<String, String> values = nonNullValues(store.getAll(entries));
        if (snapshotReads) {
            snapshot.take(keyEntries, values);
        }
        for (final Map.Entry<String, String> count : values.entrySet()) {
            final KeyHash key = keyOfEntry.get(count.getKey());
            if (key == null) {
                continue;
            }
            linkCounts.read(key, count.getValue());
        }
        return linkCounts.overLimit();
    }

    /**
     * @return how many keys this batch pushed past the maximum link count (they link nothing from the next batch on)
     */
    public int keysReachingLimit() {
        return linkCounts.reachingLimit();
    }

    public String aliasEntry(final String customerId) {
        return chains.aliasEntry(customerId);
    }

    /**
     * @return the customer id of each cluster, by cluster index
     * @throws IOException when the index cannot be read or written; nothing about the batch is final then
     */
    public String[] resolve(final Clusters clusters) throws IOException {
        final String[] ids = new String[clusters.clusterCount()];
        if (store == null) {
            for (int cluster = 0; cluster < ids.length; cluster++) {
                ids[cluster] = resolveWithinBatch(clusters, cluster);
            }
            return ids;
        }

        final Set<String> allKeys = new HashSet<>();
        final Set<String> allExistingIds = new HashSet<>();
        for (int cluster = 0; cluster < ids.length; cluster++) {
            for (final KeyHash key : clusters.keysOf(cluster)) {
                allKeys.add(keyEntry(key));
            }
            allExistingIds.addAll(clusters.existingIdsOf(cluster));
        }
        final Map<String, String> known = snapshot.knownIds(allKeys, store);
        final Set<String> idsToFollow = new HashSet<>(allExistingIds);
        idsToFollow.addAll(known.values());
        // A derived id may have been merged into another since it was first given out (an evicted key coming back).
        final String[] newIds = new String[ids.length];
        if (derivedIds) {
            for (int cluster = 0; cluster < ids.length; cluster++) {
                if (needsNewId(clusters, cluster, known)) {
                    newIds[cluster] = newIdOf(clusters, cluster);
                    idsToFollow.add(newIds[cluster]);
                }
            }
        }
        chains.prefetch(idsToFollow);
        upFront.clear();
        upFront.claim(clusters, newIds, known, bulkMergeEntries);

        try {
            for (int cluster = 0; cluster < ids.length; cluster++) {
                ids[cluster] = resolveWithIndex(clusters, cluster, known, newIds[cluster]);
            }
        } catch (final IOException | RuntimeException e) {
            // what was accepted before the failure is sent all the same, as it would have been one write at a time
            try {
                store.flush();
            } catch (final IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        store.flush();
        upFront.clear();
        return ids;
    }


    /**
     * @return the merges found by the last {@link #resolve} calls, in the order found
     */
    public List<IdentityMerge> merges() {
        return List.copyOf(merges);
    }

    /**
     * @return the number of customers the last {@link #resolve} calls created: customers whose clusters
     *         carried no customer id and none of whose keys was in the index (or claimed concurrently)
     */
    public int newCustomerCount() {
        return newCustomerIds.size();
    }

    private String resolveWithinBatch(final Clusters clusters, final int cluster) {
        final Set<String> existing = clusters.existingIdsOf(cluster);
        if (existing.isEmpty()) {
            final String id = newIdOf(clusters, cluster);
            newCustomerIds.add(id);
            return id;
        }
        final String survivor = SurvivingIdRule.choose(existing);
        for (final String id : existing) {
            if (!id.equals(survivor)) {
                merges.add(new IdentityMerge(id, survivor, "records carrying both ids linked by " + rulesOf(clusters, cluster)));
            }
        }
        return survivor;
    }

    /**
     * @return true when nothing known identifies the cluster: no id carried by its records, none of its keys in the index
     */
    private static boolean needsNewId(final Clusters clusters, final int cluster, final Map<String, String> known) {
        if (!clusters.existingIdsOf(cluster).isEmpty()) {
            return false;
        }
        for (final KeyHash key : clusters.keysOf(cluster)) {
            if (known.containsKey(keyEntry(key))) {
                return false;
            }
        }
        return true;
    }

    private String newIdOf(final Clusters clusters, final int cluster) {
        final KeyHash anchor = clusters.anchorOf(cluster);
        return newIdOfAnchor.apply(anchor);
    }

    private String resolveWithIndex(final Clusters clusters, final int cluster, final Map<String, String> known, final String newId)
            throws IOException {
        // Candidate id -> why it is a candidate; sorted, so firstKey() is the current survivor.
        final TreeMap<String, String> candidates = new TreeMap<>();
        for (final String existingId : clusters.existingIdsOf(cluster)) {
            candidates.putIfAbsent(chains.current(existingId), "customer id carried by a record");
        }

        final List<KeyHash> keys = clusters.keysOf(cluster);
        final Map<String, String> storedValue = new HashMap<>();
        final List<KeyHash> unknownKeys = new ArrayList<>();
        for (final KeyHash key : keys) {
            final String entry = keyEntry(key);
            final String value = known.get(entry);
            if (value == null) {
                unknownKeys.add(key);
            } else {
                storedValue.put(entry, value);
                candidates.putIfAbsent(chains.current(value), "rule " + ruleName(clusters.ruleOf(key)));
            }
        }

        final Set<KeyHash> claimed = new HashSet<>();
        String lazyNewId = null;
        for (final KeyHash key : unknownKeys) {
            final String entry = keyEntry(key);
            final String proposal;
            if (!candidates.isEmpty()) {
                proposal = candidates.firstKey();
            } else if (newId != null) {
                proposal = chains.current(newId);
            } else if (derivedIds) {
                proposal = chains.current(newIdOf(clusters, cluster));
            } else {
                if (lazyNewId == null) {
                    lazyNewId = newIdOf(clusters, cluster);
                }
                proposal = lazyNewId;
            }

            final String previous = upFront.claimKey(entry, proposal);
            if (previous == null) {
                claimed.add(key);
                storedValue.put(entry, proposal);
                candidates.putIfAbsent(proposal, NEW_CUSTOMER);
            } else {
                storedValue.put(entry, previous);
                candidates.putIfAbsent(chains.current(previous), "rule " + ruleName(clusters.ruleOf(key)) + ", assigned concurrently");
            }
        }

        if (candidates.isEmpty()) {
            // No usable key and no id: a customer of its own, nothing to index.
            final String id = newId != null || derivedIds ? chains.current(newId != null ? newId : newIdOf(clusters, cluster)) : newIdOf(clusters, cluster);
            newCustomerIds.add(id);
            return id;
        }

        final String survivor = mergeInto(candidates);
        if (candidates.size() == 1 && NEW_CUSTOMER.equals(candidates.get(survivor))) {
            newCustomerIds.add(survivor);
        }
        linkCounts.add(keys, claimed);
        for (final Map.Entry<String, String> entry : storedValue.entrySet()) {
            if (!entry.getValue().equals(survivor)) {
                store.put(entry.getKey(), survivor);
            }
        }
        for (final Map.Entry<String, String> candidate : candidates.entrySet()) {
            if (!candidate.getKey().equals(survivor)) {
                merges.add(new IdentityMerge(candidate.getKey(), survivor, candidate.getValue() + "; linked by " + rulesOf(clusters, cluster)));
            }
        }
        return survivor;
    }

    /**
     * Writes a merge entry for every candidate but the smallest, and returns the survivor. A merge
     * entry someone else wrote first may lead to a further id, which joins the candidates; the loop
     * ends when every candidate but the smallest has its merge entry.
     */
    private String mergeInto(final TreeMap<String, String> candidates) throws IOException {
        final Set<String> linked = new HashSet<>();
        for (int round = 0; round < MAX_MERGE_ROUNDS; round++) {
            final String survivor = candidates.firstKey();
            boolean added = false;
            for (final String id : new ArrayList<>(candidates.keySet())) {
                if (id.equals(survivor) || linked.contains(id)) {
                    continue;
                }
                final String previous = upFront.claimMergeEntry(aliasEntry(id), survivor);
                linked.add(id);
                chains.merged(id, survivor);
                if (previous != null && !previous.equals(survivor)) {
                    final String other = chains.follow(previous);
                    if (!candidates.containsKey(other)) {
                        candidates.put(other, "merged concurrently");
                        added = true;
                    }
                }
            }
            if (!added && candidates.firstKey().equals(survivor)) {
                for (final String id : candidates.keySet()) {
                    if (!id.equals(survivor)) {
                        chains.merged(id, survivor);
                        store.repoint(id, survivor);
                        upFront.repointed(id, survivor);
                    }
                }
                return survivor;
            }
        }
        throw new IOException("Identity index did not settle after " + MAX_MERGE_ROUNDS + " merge rounds");
    }

    private String rulesOf(final Clusters clusters, final int cluster) {
        final Set<String> names = new LinkedHashSet<>();
        for (final KeyHash key : clusters.keysOf(cluster)) {
            names.add(ruleName(clusters.ruleOf(key)));
        }
        return names.isEmpty() ? "customer id" : "rules " + String.join(", ", names);
    }

    private String ruleName(final int ruleIndex) {
        return ruleIndex >= 0 && ruleIndex < ruleNames.size() ? ruleNames.get(ruleIndex) : "unknown";
    }

    static Map<String, String> nonNullValues(final Map<String, String> values) {
        final Map<String, String> result = new HashMap<>();
        if (values != null) {
            for (final Map.Entry<String, String> entry : values.entrySet()) {
                if (entry.getValue() != null && !entry.getValue().isEmpty()) {
                    result.put(entry.getKey(), entry.getValue());
                }
            }
        }
        return result;
    }
}
