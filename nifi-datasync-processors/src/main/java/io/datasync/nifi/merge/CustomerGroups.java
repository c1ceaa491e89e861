package io.datasync.nifi.merge;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The records of a FlowFile grouped by customer key (its text, trimmed), with the fold instructions of each customer:
 * keys of customers merged into it whose stored profiles are folded in. Lookups and output follow the sorted keys, so
 * nothing depends on the order the records arrived in.
 */
public final class CustomerGroups {

    /** The records of one customer key and the key as passed to the lookup. */
    public static final class Group {
        private Object rawKey;
        private final List<SourceRecord> records = new ArrayList<>(4);
        private final Set<String> retiredKeys = new TreeSet<>();

        /** The customer key as read; of keys of differing types (42 and "42") the canonically smallest. */
        public Object rawKey() {
            return rawKey;
        }

        /** The customer's records; the caller adds the stored profiles' records before merging. */
        public List<SourceRecord> records() {
            return records;
        }

        /** Keys of customers merged into this one, sorted. */
        public Set<String> retiredKeys() {
            return retiredKeys;
        }
    }

    private final Map<String, Group> groups = new HashMap<>();

    /** Adds a record of the customer with the given key. */
    public void addRecord(final Object rawKey, final SourceRecord record) {
        groupOf(rawKey).records.add(record);
    }

    /** Adds an instruction to fold the stored profile under {@code retiredKey} into the customer's; a key merged into itself folds nothing. */
    public void addFold(final Object rawKey, final String retiredKey) {
        final Group group = groupOf(rawKey);
        if (!retiredKey.equals(rawKey.toString().trim())) {
            group.retiredKeys.add(retiredKey);
        }
    }

    private Group groupOf(final Object rawKey) {
        final Group group = groups.computeIfAbsent(rawKey.toString().trim(), ignored -> new Group());
        // Keys of one group may differ in type (42 and "42"); keep a canonical one so the lookup is order-independent.
        if (group.rawKey == null || CanonicalValueComparator.INSTANCE.compare(rawKey, group.rawKey) < 0) {
            group.rawKey = rawKey;
        }
        return group;
    }

    public Group get(final String key) {
        return groups.get(key);
    }

    /** How many customers there are. */
    public int size() {
        return groups.size();
    }

    /** Customer keys in sorted order. */
    public List<String> sortedKeys() {
        final List<String> keys = new ArrayList<>(groups.keySet());
        keys.sort(null);
        return keys;
    }

    /** Whether any customer folds a retired customer's stored profile in. */
    public boolean folds() {
        for (final Group group : groups.values()) {
            if (!group.retiredKeys.isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Every key whose stored profile is read, in sorted order, to the key as passed to the lookup: the customers'
     * own keys and the retired keys folded into them.
     */
    public Map<String, Object> lookupKeys() {
        final Map<String, Object> keys = new TreeMap<>();
        for (final Map.Entry<String, Group> group : groups.entrySet()) {
            keys.put(group.getKey(), group.getValue().rawKey);
            for (final String retired : group.getValue().retiredKeys) {
                keys.putIfAbsent(retired, retired);
            }
        }
        return keys;
    }
}
