package io.datasync.nifi.identity;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * What a batch claims in bulk before its clusters' turns, with {@link IdentityStore#putAllIfAbsent}: the keys the
 * index did not know, and the merge entries of the clusters whose ids are already known to need merging. Each is
 * claimed for exactly what the cluster's own turn would ask of the store one entry at a time, so the turn takes the
 * claim as made and the index ends as the one-at-a-time claims leave it; an entry someone else holds is left out and
 * claimed at the cluster's turn, which then finds its owner as before. A store that cannot claim in bulk claims
 * nothing here and every claim is made at the cluster's turn.
 *
 * <p>Not thread-safe: one instance per resolver.</p>
 */
final class UpFrontClaims {

    private final IdentityStore store;
    private final MergeChains chains;
    /** Key entries inserted up front, with the id they were given. */
    private final Map<String, String> keys = new HashMap<>();
    /** Ids re-pointed at their survivor since the up-front claims: they moved the claimed key entries holding them too. */
    private final Map<String, String> repointedSinceClaims = new HashMap<>();
    /** Merge entries inserted up front, with the survivor they name. */
    private final Map<String, String> mergeEntries = new HashMap<>();

    UpFrontClaims(final IdentityStore store, final MergeChains chains) {
        this.store = store;
        this.chains = chains;
    }

    /**
     * Claims, in one bulk request, what the clusters' turns would claim one entry at a time:
     * <ul>
     *     <li>every key the index did not know, for the id the cluster's turn would propose for it: the cluster's new id
     *     when nothing known identifies it (no id carried, no key in the index), otherwise the smallest current id
     *     among the ids its records carry and its known keys hold;</li>
     *     <li>with {@code withMergeEntries}, the merge entries of every cluster whose known ids are two or more: each id but
     *     the smallest is merged into the smallest, as the cluster's turn would merge them. Only clusters that share
     *     none of these ids with another cluster of the batch, nor with a new id: the merges of the others depend on
     *     the clusters before them and are claimed at their turn.</li>
     * </ul>
     */
    void claim(final Clusters clusters, final String[] newIds, final Map<String, String> known, final boolean withMergeEntries)
            throws IOException {
        final List<TreeSet<String>> idsOfCluster = new ArrayList<>(newIds.length);
        final Map<String, Integer> clustersOfId = new HashMap<>();
        final Map<String, String> entries = new HashMap<>();
        for (int cluster = 0; cluster < newIds.length; cluster++) {
            // a cluster with a new id has no known id, so its proposal is the new id
            final TreeSet<String> ids = knownIds(clusters, cluster, known);
            if (newIds[cluster] != null) {
                ids.add(chains.current(newIds[cluster]));
            }
            idsOfCluster.add(ids);
            ids.forEach(id -> clustersOfId.merge(id, 1, Integer::sum));
            if (ids.isEmpty()) {
                // no id to propose yet (ids from a supplier are made when the cluster's turn comes): claimed key by key
                continue;
            }
            for (final KeyHash key : clusters.keysOf(cluster)) {
                final String entry = IdentityResolver.keyEntry(key);
                if (!known.containsKey(entry)) {
                    // should a key belong to two clusters, it goes to the first, as the key-by-key claims would give it
                    entries.putIfAbsent(entry, ids.first());
                }
            }
        }
        if (withMergeEntries) {
            for (final TreeSet<String> ids : idsOfCluster) {
                if (ids.size() > 1 && ids.stream().allMatch(id -> clustersOfId.get(id) == 1)) {
                    final String survivor = ids.first();
                    for (final String id : ids.tailSet(survivor, false)) {
                        entries.put(chains.aliasEntry(id), survivor);
                    }
                }
            }
        }
        if (entries.isEmpty()) {
            return;
        }
        for (final String inserted : store.putAllIfAbsent(entries)) {
            (inserted.startsWith(IdentityResolver.KEY_PREFIX) ? keys : mergeEntries).put(inserted, entries.get(inserted));
        }
    }

    /**
     * {@link IdentityStore#getAndPutIfAbsent} of a key entry, unless it was claimed up front: then the claim has succeeded
     * already, and the entry, which this batch holds, is given the id proposed now if it holds another one (the id
     * claimed up front was merged away by an earlier cluster of this batch, or a re-point of such an id moved it), so it
     * ends as the key-by-key claim would have left it.
     */
    String claimKey(final String entry, final String proposal) throws IOException {
        final String claimed = keys.remove(entry);
        if (claimed == null) {
            return store.getAndPutIfAbsent(entry, proposal);
        }
        String held = claimed;
        // a survivor is always smaller than the id merged into it, so the chain ends
        for (String next = repointedSinceClaims.get(held); next != null; next = repointedSinceClaims.get(held)) {
            held = next;
        }
        if (!held.equals(proposal)) {
            store.put(entry, proposal);
        }
        return null;
    }

    /**
     * {@link IdentityStore#getAndPutIfAbsent} of a merge entry, unless it was claimed up front: then it answers as the
     * store would have, had the entry been written by someone else with the survivor claimed up front (null when that is
     * the survivor now). The survivor can be smaller now only through a key another node claimed since the read; the
     * caller then merges the survivor claimed up front too, as it does any id found merged concurrently.
     */
    String claimMergeEntry(final String entry, final String survivor) throws IOException {
        final String claimed = mergeEntries.remove(entry);
        if (claimed == null) {
            return store.getAndPutIfAbsent(entry, survivor);
        }
        return claimed.equals(survivor) ? null : claimed;
    }

    /** Tells the key claims that {@code id}'s key entries now name {@code survivor}. */
    void repointed(final String id, final String survivor) {
        if (!keys.isEmpty()) {
            repointedSinceClaims.put(id, survivor);
        }
    }

    void clear() {
        keys.clear();
        repointedSinceClaims.clear();
        mergeEntries.clear();
    }

    /** The current ids of what the cluster's records carry and its known keys hold, smallest first. */
    private TreeSet<String> knownIds(final Clusters clusters, final int cluster, final Map<String, String> known) throws IOException {
        final TreeSet<String> ids = new TreeSet<>();
        for (final String existingId : clusters.existingIdsOf(cluster)) {
            ids.add(chains.current(existingId));
        }
        for (final KeyHash key : clusters.keysOf(cluster)) {
            final String value = known.get(IdentityResolver.keyEntry(key));
            if (value != null) {
                ids.add(chains.current(value));
            }
        }
        return ids;
    }
}
