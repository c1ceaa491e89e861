package io.datasync.nifi.identity;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Collects, for the records of one batch, the hashes of their match keys, their existing customer
 * ids and their survivor scores; then links records that share a key (transitively) into clusters.
 * Memory is a few ints per record and per key plus the 32-byte key hashes: no record content.
 *
 * <p>Merge protection: a key carried by more records than {@code maxRecordsPerKey} is suspicious
 * (a shared placeholder, a call-centre number) and links nothing; the records carrying it are flagged.</p>
 */
public final class IdentityGraph {

    private final int maxRecordsPerKey;
    private final UnionFind unionFind;

    private final Map<KeyHash, Integer> keyIndexes = new HashMap<>();
    private final List<KeyHash> keys = new ArrayList<>();
    private int[] keyRule = new int[64];
    private int[] keyRecordCount = new int[64];
    private int[] keyLastRecord = new int[64];

    // One entry per (record, key) pair, in insertion order.
    private int[] entryRecord = new int[64];
    private int[] entryKey = new int[64];
    private int entryCount;

    private final Map<String, Integer> firstRecordByExistingId = new HashMap<>();
    private final List<String> existingIds = new ArrayList<>();
    private int[] recordExistingId = new int[64];
    private long[] recordScore = new long[64];
    // Fingerprints of records that carry no key, for ids that do not change from run to run.
    private final Map<Integer, KeyHash> fingerprints = new HashMap<>();

    public IdentityGraph(final int maxRecordsPerKey) {
        if (maxRecordsPerKey < 2) {
            throw new IllegalArgumentException("A key must be allowed to link at least two records");
        }
        this.maxRecordsPerKey = maxRecordsPerKey;
        this.unionFind = new UnionFind(64);
    }

    /**
     * Registers the next record and returns its index (0, 1, 2, ... in reading order).
     */
    public int addRecord() {
        final int record = unionFind.add();
        if (record == recordExistingId.length) {
            recordExistingId = Arrays.copyOf(recordExistingId, record * 2);
            recordScore = Arrays.copyOf(recordScore, record * 2);
        }
        recordExistingId[record] = -1;
        recordScore[record] = 0;
        return record;
    }

    public int recordCount() {
        return unionFind.size();
    }

    /**
     * @return whether keys were added to the record; valid for the record added last
     */
    public boolean hasKeys(final int record) {
        return entryCount > 0 && entryRecord[entryCount - 1] == record;
    }

    /**
     * Sets what identifies a record that has no key (a hash of its source id or of its content): a
     * customer made of that record alone gets an id derived from it.
     */
    public void setFingerprint(final int record, final KeyHash fingerprint) {
        fingerprints.put(record, fingerprint);
    }

    /**
     * @return every distinct key added so far
     */
    public List<KeyHash> keys() {
        return Collections.unmodifiableList(keys);
    }

    /**
     * Adds a key to a record. Adding the same key to the same record twice counts once.
     */
    public void addKey(final int record, final KeyHash key, final int ruleIndex) {
        Integer keyIndex = keyIndexes.get(key);
        if (keyIndex == null) {
            keyIndex = keys.size();
            keys.add(key);
            keyIndexes.put(key, keyIndex);
            if (keyIndex == keyRule.length) {
                keyRule = Arrays.copyOf(keyRule, keyIndex * 2);
                keyRecordCount = Arrays.copyOf(keyRecordCount, keyIndex * 2);
                keyLastRecord = Arrays.copyOf(keyLastRecord, keyIndex * 2);
            }
            keyRule[keyIndex] = ruleIndex;
            keyRecordCount[keyIndex] = 0;
            keyLastRecord[keyIndex] = -1;
        }
        if (keyLastRecord[keyIndex] == record) {
            return;
        }
        keyLastRecord[keyIndex] = record;
        keyRecordCount[keyIndex]++;

        if (entryCount == entryRecord.length) {
            entryRecord = Arrays.copyOf(entryRecord, entryCount * 2);
            entryKey = Arrays.copyOf(entryKey, entryCount * 2);
        }
        entryRecord[entryCount] = record;
        entryKey[entryCount] = keyIndex;
        entryCount++;
    }

    /**
     * Records the customer id a record already carries. Records carrying the same id always belong
     * to the same customer.
     */
    public void setExistingId(final int record, final String existingId) {
        Integer idIndex = firstRecordByExistingId.get(existingId);
        if (idIndex == null) {
            idIndex = existingIds.size();
            existingIds.add(existingId);
            firstRecordByExistingId.put(existingId, idIndex);
        }
        recordExistingId[record] = idIndex;
    }

    /**
     * Sets the survivor score of a record: the record with the highest score represents its customer,
     * the first seen winning ties.
     */
    public void setScore(final int record, final long score) {
        recordScore[record] = score;
    }

    public Clusters build() {
        return build(Set.of());
    }

    /**
     * @param overLimitKeys keys known (from the shared index) to link more than the maximum already:
     *                      treated like keys shared by too many records of this batch
     */
    public Clusters build(final Set<KeyHash> overLimitKeys) {
        final int records = unionFind.size();
        final int[] firstRecordOfKey = new int[keys.size()];
        Arrays.fill(firstRecordOfKey, -1);
        final boolean[] suspect = new boolean[records];
        final boolean[] oversized = new boolean[keys.size()];
        int oversizedKeys = 0;
        for (int key = 0; key < keys.size(); key++) {
            if (keyRecordCount[key] > maxRecordsPerKey || overLimitKeys.contains(keys.get(key))) {
                oversized[key] = true;
                oversizedKeys++;
            }
        }

        for (int entry = 0; entry < entryCount; entry++) {
            final int record = entryRecord[entry];
            final int key = entryKey[entry];
            if (oversized[key]) {
                suspect[record] = true;
            } else if (firstRecordOfKey[key] < 0) {
                firstRecordOfKey[key] = record;
            } else {
                unionFind.union(firstRecordOfKey[key], record);
            }
        }

        final int[] firstRecordOfId = new int[existingIds.size()];
        Arrays.fill(firstRecordOfId, -1);
        for (int record = 0; record < records; record++) {
            final int id = recordExistingId[record];
            if (id >= 0) {
                if (firstRecordOfId[id] < 0) {
                    firstRecordOfId[id] = record;
                } else {
                    unionFind.union(firstRecordOfId[id], record);
                }
            }
        }

        // Clusters are numbered in the order of their first record, so output is stable.
        final int[] clusterOfRoot = new int[records];
        Arrays.fill(clusterOfRoot, -1);
        final int[] clusterOfRecord = new int[records];
        final List<Integer> firstRecords = new ArrayList<>();
        final List<Integer> survivors = new ArrayList<>();
        for (int record = 0; record < records; record++) {
            final int root = unionFind.find(record);
            int cluster = clusterOfRoot[root];
            if (cluster < 0) {
                cluster = firstRecords.size();
                clusterOfRoot[root] = cluster;
                firstRecords.add(record);
                survivors.add(record);
            } else if (recordScore[record] > recordScore[survivors.get(cluster)]) {
                survivors.set(cluster, record);
            }
            clusterOfRecord[record] = cluster;
        }

        final int clusterCount = firstRecords.size();
        final List<List<KeyHash>> clusterKeys = new ArrayList<>(Collections.nCopies(clusterCount, (List<KeyHash>) null));
        final Map<KeyHash, Integer> ruleOfKey = new HashMap<>();
        for (int key = 0; key < keys.size(); key++) {
            if (firstRecordOfKey[key] < 0) {
                continue;
            }
            final int cluster = clusterOfRecord[firstRecordOfKey[key]];
            List<KeyHash> list = clusterKeys.get(cluster);
            if (list == null) {
                list = new ArrayList<>(2);
                clusterKeys.set(cluster, list);
            }
            list.add(keys.get(key));
            ruleOfKey.put(keys.get(key), keyRule[key]);
        }
        for (final List<KeyHash> list : clusterKeys) {
            if (list != null) {
                Collections.sort(list);
            }
        }

        final List<TreeSet<String>> clusterIds = new ArrayList<>(Collections.nCopies(clusterCount, (TreeSet<String>) null));
        for (int id = 0; id < existingIds.size(); id++) {
            final int cluster = clusterOfRecord[firstRecordOfId[id]];
            TreeSet<String> set = clusterIds.get(cluster);
            if (set == null) {
                set = new TreeSet<>();
                clusterIds.set(cluster, set);
            }
            set.add(existingIds.get(id));
        }

        final int[] survivorRecords = toIntArray(survivors);
        final long[] survivorScores = new long[clusterCount];
        for (int cluster = 0; cluster < clusterCount; cluster++) {
            survivorScores[cluster] = recordScore[survivorRecords[cluster]];
        }
        return new Clusters(clusterOfRecord, toIntArray(firstRecords), survivorRecords, survivorScores, suspect,
                clusterKeys, clusterIds, ruleOfKey, oversizedKeys, anchors(clusterKeys, firstRecords));
    }

    /**
     * What a keyless cluster's id is derived from: the fingerprint of its record, or, for a record
     * whose keys all proved oversized, a digest of those keys and how many records before it in the
     * batch carried the same ones (so two such records never share an id).
     */
    private KeyHash[] anchors(final List<List<KeyHash>> clusterKeys, final List<Integer> firstRecords) {
        final KeyHash[] anchors = new KeyHash[firstRecords.size()];
        Map<Integer, List<KeyHash>> keysOfRecord = null;
        final Map<String, Integer> seenKeySets = new HashMap<>();
        for (int cluster = 0; cluster < anchors.length; cluster++) {
            final List<KeyHash> linking = clusterKeys.get(cluster);
            if (linking != null && !linking.isEmpty()) {
                continue;
            }
            final int record = firstRecords.get(cluster);
            final KeyHash fingerprint = fingerprints.get(record);
            if (fingerprint != null) {
                anchors[cluster] = fingerprint;
                continue;
            }
            if (keysOfRecord == null) {
                keysOfRecord = new HashMap<>();
                for (int entry = 0; entry < entryCount; entry++) {
                    keysOfRecord.computeIfAbsent(entryRecord[entry], r -> new ArrayList<>()).add(keys.get(entryKey[entry]));
                }
            }
            final List<KeyHash> own = new ArrayList<>(keysOfRecord.getOrDefault(record, List.of()));
            Collections.sort(own);
            final StringBuilder joined = new StringBuilder();
            own.forEach(key -> joined.append(key.toHex()).append(','));
            final int ordinal = seenKeySets.merge(joined.toString(), 1, Integer::sum);
            anchors[cluster] = KeyHash.digestOf(joined.append('#').append(ordinal).toString());
        }
        return anchors;
    }

    private static int[] toIntArray(final List<Integer> values) {
        final int[] array = new int[values.size()];
        for (int i = 0; i < array.length; i++) {
            array[i] = values.get(i);
        }
        return array;
    }
}
