package io.datasync.nifi.fetch;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * The (watermark, record key) pairs already emitted that a later request may return again: those
 * of the run in progress and, between runs, those inside the lookback window below the stored
 * watermark. A pair is one version of one record, so a record updated to a new watermark is
 * emitted again while a repeat of the same version is suppressed.
 * <p>
 * The set is bounded: {@link #addAll} refuses to grow past the bound rather than forgetting
 * pairs, because a forgotten pair could be emitted twice.
 */
public final class TrackedKeys {

    private final NavigableMap<Watermark, Set<String>> keysByWatermark = new TreeMap<>();
    private final int maximum;
    private int size;

    public TrackedKeys(final int maximum) {
        if (maximum < 1) {
            throw new IllegalArgumentException("maximum must be positive");
        }
        this.maximum = maximum;
    }

    public boolean contains(final Watermark watermark, final String key) {
        final Set<String> keys = keysByWatermark.get(watermark);
        return keys != null && keys.contains(key);
    }

    /**
     * Adds all pairs, or none when that would exceed the bound.
     *
     * @throws LimitExceededException when the set would hold more than the maximum
     */
    public void addAll(final Collection<Entry> entries) {
        int added = 0;
        for (final Entry entry : entries) {
            if (!contains(entry.watermark(), entry.key())) {
                added++;
            }
        }
        if (size + added > maximum) {
            throw new LimitExceededException(size + added, maximum);
        }
        for (final Entry entry : entries) {
            if (keysByWatermark.computeIfAbsent(entry.watermark(), ignored -> new HashSet<>()).add(entry.key())) {
                size++;
            }
        }
    }

    /** Forgets pairs below the given watermark: no later request reaches below it. */
    public void retainFrom(final Watermark lowest) {
        final Iterator<Map.Entry<Watermark, Set<String>>> below = keysByWatermark.headMap(lowest, false).entrySet().iterator();
        while (below.hasNext()) {
            size -= below.next().getValue().size();
            below.remove();
        }
    }

    public int size() {
        return size;
    }

    public int maximum() {
        return maximum;
    }

    /** Keys grouped by canonical watermark, in watermark order (for state). */
    public Map<String, List<String>> toGroups() {
        final Map<String, List<String>> groups = new LinkedHashMap<>();
        keysByWatermark.forEach((watermark, keys) -> groups.put(watermark.canonical(), new ArrayList<>(keys)));
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
