package io.datasync.nifi.identity;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;

/**
 * The customers found in one batch: which cluster each record belongs to, the first record and the
 * surviving record of each cluster, the cluster's linking keys and the ids its records already carried.
 */
public final class Clusters {

    private final int[] clusterOfRecord;
    private final int[] firstRecordOfCluster;
    private final int[] survivorOfCluster;
    private final long[] survivorScoreOfCluster;
    private final boolean[] suspect;
    private final List<List<KeyHash>> keysOfCluster;
    private final List<? extends SortedSet<String>> existingIdsOfCluster;
    private final Map<KeyHash, Integer> ruleOfKey;
    private final int oversizedKeyCount;
    private final KeyHash[] anchorOfKeylessCluster;

    Clusters(final int[] clusterOfRecord, final int[] firstRecordOfCluster, final int[] survivorOfCluster,
             final long[] survivorScoreOfCluster, final boolean[] suspect,
             final List<List<KeyHash>> keysOfCluster, final List<? extends SortedSet<String>> existingIdsOfCluster,
             final Map<KeyHash, Integer> ruleOfKey, final int oversizedKeyCount, final KeyHash[] anchorOfKeylessCluster) {
        this.clusterOfRecord = clusterOfRecord;
        this.firstRecordOfCluster = firstRecordOfCluster;
        this.survivorOfCluster = survivorOfCluster;
        this.survivorScoreOfCluster = survivorScoreOfCluster;
        this.suspect = suspect;
        this.keysOfCluster = keysOfCluster;
        this.existingIdsOfCluster = existingIdsOfCluster;
        this.ruleOfKey = ruleOfKey;
        this.oversizedKeyCount = oversizedKeyCount;
        this.anchorOfKeylessCluster = anchorOfKeylessCluster;
    }

    /**
     * What a new id for the cluster is derived from: the smallest of its keys of the first rule it has keys of, or for a
     * cluster without keys, the fingerprint of its record (see {@link IdentityGraph#setFingerprint}).
     * <p>
     * The first rule rather than the smallest key of any rule: two nodes that see the same new customer at the same
     * moment through records of their own (each with its own source record id, say) share its e-mail key but not its
     * smallest key. Derived from the shared rule's key, their new ids are equal and their claims agree; derived from
     * the smallest key, they were two ids, one merged into the other after its records had left the first node.
     *
     * @return the anchor key
     */
    public KeyHash anchorOf(final int cluster) {
        final List<KeyHash> keys = keysOfCluster.get(cluster);
        if (keys == null || keys.isEmpty()) {
            return anchorOfKeylessCluster[cluster];
        }
        // the keys are sorted, so the first key of the smallest rule index is that rule's smallest key
        KeyHash anchor = keys.get(0);
        int anchorRule = ruleOf(anchor);
        for (final KeyHash key : keys) {
            final int rule = ruleOf(key);
            if (rule < anchorRule) {
                anchor = key;
                anchorRule = rule;
            }
        }
        return anchor;
    }

    public int recordCount() {
        return clusterOfRecord.length;
    }

    public int clusterCount() {
        return firstRecordOfCluster.length;
    }

    public int clusterOf(final int record) {
        return clusterOfRecord[record];
    }

    /**
     * @return true when the record is not the first record of its cluster in reading order
     */
    public boolean isDuplicate(final int record) {
        return firstRecordOfCluster[clusterOfRecord[record]] != record;
    }

    public int firstRecordOf(final int cluster) {
        return firstRecordOfCluster[cluster];
    }

    public int survivorOf(final int cluster) {
        return survivorOfCluster[cluster];
    }

    public long survivorScoreOf(final int cluster) {
        return survivorScoreOfCluster[cluster];
    }

    /**
     * @return true when the record carries a key shared by more records than allowed
     */
    public boolean isSuspect(final int record) {
        return suspect[record];
    }

    public int suspectCount() {
        int count = 0;
        for (final boolean flagged : suspect) {
            if (flagged) {
                count++;
            }
        }
        return count;
    }

    public int oversizedKeyCount() {
        return oversizedKeyCount;
    }

    /**
     * @return the linking keys of the cluster, sorted (every node processes them in the same order)
     */
    public List<KeyHash> keysOf(final int cluster) {
        final List<KeyHash> keys = keysOfCluster.get(cluster);
        return keys == null ? List.of() : Collections.unmodifiableList(keys);
    }

    /**
     * @return the distinct ids the cluster's records already carried, sorted
     */
    public SortedSet<String> existingIdsOf(final int cluster) {
        final SortedSet<String> ids = existingIdsOfCluster.get(cluster);
        return ids == null ? Collections.emptySortedSet() : Collections.unmodifiableSortedSet(ids);
    }

    /**
     * @return the index of the rule that produced the key
     */
    public int ruleOf(final KeyHash key) {
        return ruleOfKey.getOrDefault(key, -1);
    }
}
