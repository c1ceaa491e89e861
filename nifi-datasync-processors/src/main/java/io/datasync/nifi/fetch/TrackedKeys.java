package io.datasync.nifi.fetch;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * The (watermark, record key) pairs already emitted that a later request may return again. A pair
 * is one version of one record, so a record updated to a new watermark is emitted again while a
 * repeat of the same version is suppressed.
 * <p>
 * Only pairs at or above the <em>floor</em> go into state: the run's largest watermark so far minus
 * the lookback window. A later run starts at its watermark minus the lookback, and that watermark is
 * never below the run's largest, so it cannot return a pair below the floor. Those pairs stay in
 * memory (up to {@link #MEMORY_ONLY_MAXIMUM}, the earliest forgotten first) only to suppress repeats
 * within the run, from unstable pagination or a run restarted after a loop. That keeps state, and
 * the cost of writing it with every page, proportional to the records near the top of the window,
 * not to the size of the run.
 * <p>
 * The stored set is bounded: {@link #addAll} refuses to grow it past the bound rather than forget
 * pairs, because a forgotten pair could be emitted twice.
 */
public final class TrackedKeys {

    /** Pairs below the floor remembered in memory; about 100 bytes each. */
    public static final int MEMORY_ONLY_MAXIMUM = 200_000;

    /** Pairs at or above the floor, by watermark: what goes into state. */
    private final NavigableMap<Watermark, Set<String>> stored = new TreeMap<>();
    private int storedSize;
    /** Pairs below the floor, in the order they were emitted or fell below it. */
    private final Set<Entry> memoryOnly = new LinkedHashSet<>();
    private final int maximum;
    /** Pairs below it are not stored; null while nothing has raised it. */
    private Watermark floor;

    public TrackedKeys(final int maximum) {
        if (maximum < 1) {
            throw new IllegalArgumentException("maximum must be positive");
        }
        this.maximum = maximum;
    }

    public boolean contains(final Watermark watermark, final String key) {
        if (isBelow(watermark, floor)) {
            return memoryOnly.contains(new Entry(watermark, key));
        }
        final Set<String> keys = stored.get(watermark);
        return keys != null && keys.contains(key);
    }

    /**
     * Adds all pairs at the current floor.
     *
     * @throws LimitExceededException when state would hold more than the maximum
     */
    public void addAll(final Collection<Entry> entries) {
        addAll(entries, null);
    }

    /**
     * Raises the floor to {@code newFloor} (it never goes down) and adds all pairs, or changes nothing
     * when the stored pairs would then exceed the bound.
     *
     * @throws LimitExceededException when state would hold more than the maximum
     */
    public void addAll(final Collection<Entry> entries, final Watermark newFloor) {
        final Watermark raised = Watermark.max(floor, newFloor);
        final Set<Entry> added = new HashSet<>();
        for (final Entry entry : entries) {
            if (!isBelow(entry.watermark(), raised) && !contains(entry.watermark(), entry.key())) {
                added.add(entry);
            }
        }
        final int required = storedSize - countStoredBelow(raised) + added.size();
        if (required > maximum) {
            throw new LimitExceededException(required, maximum);
        }
        lowerStoredBelow(raised);
        for (final Entry entry : entries) {
            if (isBelow(entry.watermark(), floor)) {
                memoryOnly.add(entry);
            } else if (stored.computeIfAbsent(entry.watermark(), ignored -> new HashSet<>()).add(entry.key())) {
                storedSize++;
            }
        }
        final Iterator<Entry> earliest = memoryOnly.iterator();
        for (int excess = memoryOnly.size() - MEMORY_ONLY_MAXIMUM; excess > 0; excess--) {
            earliest.next();
            earliest.remove();
        }
    }

    /** Forgets pairs below the given watermark: no later request reaches below it. */
    public void retainFrom(final Watermark lowest) {
        final Iterator<Set<String>> below = stored.headMap(lowest, false).values().iterator();
        while (below.hasNext()) {
            storedSize -= below.next().size();
            below.remove();
        }
        memoryOnly.removeIf(entry -> isBelow(entry.watermark(), lowest));
        floor = Watermark.max(floor, lowest);
    }

    /** All pairs remembered, stored or in memory only. */
    public int size() {
        return storedSize + memoryOnly.size();
    }

    /** Pairs that go into state. */
    public int storedSize() {
        return storedSize;
    }

    public int maximum() {
        return maximum;
    }

    /** Stored keys grouped by canonical watermark, in watermark order (for state). */
    public Map<String, List<String>> toGroups() {
        final Map<String, List<String>> groups = new LinkedHashMap<>();
        stored.forEach((watermark, keys) -> groups.put(watermark.canonical(), new ArrayList<>(keys)));
        return groups;
    }

    public static TrackedKeys fromGroups(final Map<String, List<String>> groups, final boolean timestamp, final int maximum) {
        final List<Entry> entries = new ArrayList<>();
        groups.forEach((watermark, keys) -> {
            final Watermark parsed = Watermark.parseCanonical(watermark, timestamp);
            keys.forEach(key -> entries.add(new Entry(parsed, key)));
        });
        // State written under a larger bound is read back whole; only growth is refused.
        final TrackedKeys tracked = new TrackedKeys(Math.max(maximum, entries.size()));
        tracked.addAll(entries);
        return tracked;
    }

    private static boolean isBelow(final Watermark watermark, final Watermark floor) {
        return floor != null && watermark.compareTo(floor) < 0;
    }

    private int countStoredBelow(final Watermark newFloor) {
        if (newFloor == null) {
            return 0;
        }
        int count = 0;
        for (final Set<String> keys : stored.headMap(newFloor, false).values()) {
            count += keys.size();
        }
        return count;
    }

    /** Raises the floor: stored pairs below it are kept in memory only. */
    private void lowerStoredBelow(final Watermark newFloor) {
        if (newFloor == null || newFloor.equals(floor)) {
            return;
        }
        final Iterator<Map.Entry<Watermark, Set<String>>> below = stored.headMap(newFloor, false).entrySet().iterator();
        while (below.hasNext()) {
            final Map.Entry<Watermark, Set<String>> group = below.next();
            group.getValue().forEach(key -> memoryOnly.add(new Entry(group.getKey(), key)));
            storedSize -= group.getValue().size();
            below.remove();
        }
        floor = newFloor;
    }

    /** One emitted version of one record. */
    public record Entry(Watermark watermark, String key) {
    }

    /** The set would exceed its bound. */
    public static final class LimitExceededException extends RuntimeException {
        private final int required;
        private final int maximum;

        public LimitExceededException(final int required, final int maximum) {
            super("Tracked record keys would reach " + required + ", above the maximum of " + maximum);
            this.required = required;
            this.maximum = maximum;
        }

        public int getRequired() {
            return required;
        }

        public int getMaximum() {
            return maximum;
        }
    }
}
