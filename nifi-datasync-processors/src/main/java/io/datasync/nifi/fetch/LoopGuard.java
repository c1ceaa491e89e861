package io.datasync.nifi.fetch;

import java.util.ArrayList;
import java.util.List;

/**
 * Recognises a server-driven position (next URL, cursor) that a run has fetched before, in constant
 * space: the last {@link #RECENT} positions, plus one mark that moves to the current position
 * whenever the count of positions reaches a power of two (Brent's cycle detection). A cycle of up
 * to {@link #RECENT} positions is caught at its first repeat; a longer one once the mark has landed
 * inside it and the count has passed the cycle's length, within about twice the cycle length. The
 * state it needs is the same whatever the run's length.
 */
public final class LoopGuard {

    public static final int RECENT = 32;

    private final List<String> recent;
    private final String mark;
    private final long count;

    private LoopGuard(final List<String> recent, final String mark, final long count) {
        this.recent = recent;
        this.mark = mark;
        this.count = count;
    }

    public static LoopGuard empty() {
        return new LoopGuard(List.of(), null, 0);
    }

    /** Whether this position was fetched before, as far as the guard remembers. */
    public boolean seen(final String fingerprint) {
        return fingerprint.equals(mark) || recent.contains(fingerprint);
    }

    /** The guard after one more position was fetched. */
    public LoopGuard after(final String fingerprint) {
        final List<String> next = new ArrayList<>(recent.size() + 1);
        next.addAll(recent.size() >= RECENT ? recent.subList(recent.size() - RECENT + 1, recent.size()) : recent);
        next.add(fingerprint);
        final long newCount = count + 1;
        final String newMark = Long.bitCount(newCount) == 1 ? fingerprint : mark;
        return new LoopGuard(List.copyOf(next), newMark, newCount);
    }

    public List<String> recent() {
        return recent;
    }

    public String mark() {
        return mark;
    }

    public long count() {
        return count;
    }

    /** As stored: the recent positions, comma-separated. */
    public String recentText() {
        return String.join(",", recent);
    }

    @Override
    public boolean equals(final Object other) {
        return other instanceof LoopGuard guard && guard.count == count && guard.recent.equals(recent) && java.util.Objects.equals(guard.mark, mark);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(recent, mark, count);
    }

    public static LoopGuard of(final String recentText, final String mark, final long count) {
        final List<String> recent = new ArrayList<>();
        if (recentText != null && !recentText.isEmpty()) {
            for (final String fingerprint : recentText.split(",")) {
                recent.add(fingerprint);
            }
        }
        // State written before the guard was bounded may hold more; only the latest count.
        final List<String> kept = recent.size() > RECENT ? recent.subList(recent.size() - RECENT, recent.size()) : recent;
        return new LoopGuard(List.copyOf(kept), mark == null || mark.isEmpty() ? null : mark, Math.max(count, kept.size()));
    }
}
