package io.datasync.nifi.fetch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything a fetch needs to continue exactly where the last committed page left it: the
 * watermark of the last completed run, the tracked (watermark, key) pairs, and the run in
 * progress, if any. Written with every page, so that it always describes exactly what has been
 * emitted.
 */
public final class FetchState {

    public static final String WATERMARK = "watermark";
    public static final String TRACKED_KEYS = "tracked.keys";
    public static final String RUN_ID = "run.id";
    public static final String RUN_LOWER = "run.lower";
    public static final String RUN_UPPER = "run.upper";
    public static final String RUN_ADVANCE_TO = "run.advance.to";
    public static final String RUN_MAX = "run.max";
    public static final String RUN_PAGES = "run.pages";
    public static final String RUN_NEXT_URL = "run.next.url";
    public static final String RUN_NEXT_CURSOR = "run.next.cursor";
    public static final String RUN_NEXT_NUMBER = "run.next.number";
    public static final String RUN_POSITIONS = "run.positions";
    public static final String RUN_LAST_FINGERPRINT = "run.last.fingerprint";
    public static final String RUN_LOOP_MARK = "run.loop.mark";
    public static final String RUN_LOOP_COUNT = "run.loop.count";
    public static final String RUN_TAIL_WATERMARK = "run.tail.watermark";
    public static final String RUN_TAIL_KEY = "run.tail.key";
    public static final String RUN_UNORDERED = "run.unordered";
    public static final String RUN_RESUMED_FROM = "run.resumed.from";
    public static final String RUN_HALTED = "run.halted";
    /** No request before this instant (ISO-8601): a rate limit longer than one trigger may wait, honoured by every node. */
    public static final String NOT_BEFORE = "not.before";

    private static final TypeReference<Map<String, List<String>>> GROUPS = new TypeReference<>() {
    };

    private Watermark watermark;
    private final TrackedKeys trackedKeys;
    private Run run;
    private Instant notBefore;

    public FetchState(final Watermark watermark, final TrackedKeys trackedKeys, final Run run) {
        this.watermark = watermark;
        this.trackedKeys = trackedKeys;
        this.run = run;
    }

    public static FetchState fromMap(final Map<String, String> map, final boolean timestamp, final int maximumKeys, final ObjectMapper mapper) {
        final Watermark watermark = parse(map.get(WATERMARK), timestamp);
        final String keysJson = map.get(TRACKED_KEYS);
        final TrackedKeys tracked;
        try {
            tracked = keysJson == null ? new TrackedKeys(maximumKeys) : TrackedKeys.fromGroups(mapper.readValue(keysJson, GROUPS), timestamp, maximumKeys);
        } catch (final JsonProcessingException e) {
            throw new IllegalStateException("Stored tracked keys are not readable", e);
        }
        Run run = null;
        final String runId = map.get(RUN_ID);
        if (runId != null) {
            final String number = map.get(RUN_NEXT_NUMBER);
            final PagePosition next = new PagePosition(map.get(RUN_NEXT_URL), map.get(RUN_NEXT_CURSOR), number == null ? null : Long.parseLong(number));
            final LoopGuard guard = LoopGuard.of(map.get(RUN_POSITIONS), map.get(RUN_LOOP_MARK), Long.parseLong(map.getOrDefault(RUN_LOOP_COUNT, "0")));
            final String fingerprint = map.get(RUN_LAST_FINGERPRINT);
            final Tail tail = new Tail(parse(map.get(RUN_TAIL_WATERMARK), timestamp), map.get(RUN_TAIL_KEY), !"true".equals(map.get(RUN_UNORDERED)));
            run = new Run(runId, parse(map.get(RUN_LOWER), timestamp), parse(map.get(RUN_UPPER), timestamp),
                    parse(map.get(RUN_ADVANCE_TO), timestamp), parse(map.get(RUN_MAX), timestamp),
                    Long.parseLong(map.getOrDefault(RUN_PAGES, "0")), next, guard, fingerprint == null ? 0 : Long.parseLong(fingerprint), tail,
                    parse(map.get(RUN_RESUMED_FROM), timestamp), map.get(RUN_HALTED));
        }
        final FetchState state = new FetchState(watermark, tracked, run);
        final String notBefore = map.get(NOT_BEFORE);
        state.notBefore = parseInstantOrNull(notBefore);
        return state;
    }

    public Map<String, String> toMap(final ObjectMapper mapper) {
        final Map<String, String> map = new HashMap<>();
        if (watermark != null) {
            map.put(WATERMARK, watermark.canonical());
        }
        try {
            map.put(TRACKED_KEYS, mapper.writeValueAsString(trackedKeys.toGroups()));
        } catch (final JsonProcessingException e) {
            throw new IllegalStateException("Tracked keys could not be written", e);
        }
        if (notBefore != null) {
            map.put(NOT_BEFORE, notBefore.toString());
        }
        if (run != null) {
            map.put(RUN_ID, run.id());
            putIfPresent(map, RUN_LOWER, run.lower());
            putIfPresent(map, RUN_UPPER, run.upper());
            putIfPresent(map, RUN_ADVANCE_TO, run.advanceTo());
            putIfPresent(map, RUN_MAX, run.max());
            map.put(RUN_PAGES, Long.toString(run.pages()));
            final PagePosition next = run.next();
            if (next.url() != null) {
                map.put(RUN_NEXT_URL, next.url());
            }
            if (next.cursor() != null) {
                map.put(RUN_NEXT_CURSOR, next.cursor());
            }
            if (next.number() != null) {
                map.put(RUN_NEXT_NUMBER, Long.toString(next.number()));
            }
            map.put(RUN_POSITIONS, run.loopGuard().recentText());
            if (run.loopGuard().mark() != null) {
                map.put(RUN_LOOP_MARK, run.loopGuard().mark());
                map.put(RUN_LOOP_COUNT, Long.toString(run.loopGuard().count()));
            }
            map.put(RUN_LAST_FINGERPRINT, Long.toString(run.lastFingerprint()));
            putIfPresent(map, RUN_TAIL_WATERMARK, run.tail().lastWatermark());
            if (run.tail().lastKey() != null) {
                map.put(RUN_TAIL_KEY, run.tail().lastKey());
            }
            if (!run.tail().ordered()) {
                map.put(RUN_UNORDERED, "true");
            }
            putIfPresent(map, RUN_RESUMED_FROM, run.resumedFrom());
            if (run.halted() != null) {
                map.put(RUN_HALTED, run.halted());
            }
        }
        return map;
    }

    /**
     * Closes the run: the watermark becomes the largest one emitted, or the end of the run's time
     * slice when the run covered a whole slice (never lower than before), and
     * only the pairs a later request can still return (inside the lookback window) stay tracked.
     */
    public void completeRun(final Duration lookback) {
        if (run != null) {
            watermark = Watermark.max(Watermark.max(watermark, run.max()), run.advanceTo());
        }
        run = null;
        if (watermark != null) {
            trackedKeys.retainFrom(watermark.lookbackFrom(lookback));
        }
    }

    public Watermark watermark() {
        return watermark;
    }

    public TrackedKeys trackedKeys() {
        return trackedKeys;
    }

    public Run run() {
        return run;
    }

    /** When the API may be called again, or null when it may be called now. */
    public Instant notBefore() {
        return notBefore;
    }

    public void setNotBefore(final Instant notBefore) {
        this.notBefore = notBefore;
    }

    public void setRun(final Run run) {
        this.run = run;
    }

    private static void putIfPresent(final Map<String, String> map, final String key, final Watermark value) {
        if (value != null) {
            map.put(key, value.canonical());
        }
    }

    /** A pause that cannot be read is no pause: the worst outcome is one early request, never a feed stuck on its state. */
    private static Instant parseInstantOrNull(final String text) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        try {
            return Instant.parse(text);
        } catch (final java.time.DateTimeException e) {
            return null;
        }
    }

    private static Watermark parse(final String text, final boolean timestamp) {
        return text == null || text.isEmpty() ? null : Watermark.parseCanonical(text, timestamp);
    }

    /**
     * A run in progress.
     *
     * @param id identifies the run in FlowFile attributes
     * @param lower inclusive lower bound fixed when the run started, null for none
     * @param upper inclusive upper bound (now minus settle delay, or the end of a time slice) fixed when the run started, null for none
     * @param advanceTo where the watermark goes when the run completes even if it emitted less (end of a settled time slice), or null
     * @param max largest watermark emitted so far in the run
     * @param pages pages fetched so far in the run
     * @param next position of the next request
     * @param loopGuard the server-driven positions already fetched (loop detection), bounded
     * @param lastFingerprint content fingerprint of the last non-empty page (loop detection)
     * @param tail the last record seen and whether records came in watermark order so far
     * @param resumedFrom the watermark the run last resumed from after its pagination failed it, or null
     * @param halted why the run cannot go on safely, or null
     */
    public record Run(String id, Watermark lower, Watermark upper, Watermark advanceTo, Watermark max, long pages, PagePosition next,
                      LoopGuard loopGuard, long lastFingerprint, Tail tail, Watermark resumedFrom, String halted) {

        public Run(final String id, final Watermark lower, final Watermark upper, final Watermark advanceTo, final Watermark max, final long pages,
                   final PagePosition next, final Set<String> positions, final long lastFingerprint) {
            this(id, lower, upper, advanceTo, max, pages, next, LoopGuard.of(String.join(",", positions), null, positions.size()), lastFingerprint,
                    Tail.START, null, null);
        }

        /** The run after a page: a new position, guard, fingerprint and tail. */
        public Run advanced(final Watermark newMax, final long newPages, final PagePosition newNext, final LoopGuard newGuard, final long fingerprint,
                            final Tail newTail) {
            return new Run(id, lower, upper, advanceTo, newMax, newPages, newNext, newGuard, fingerprint, newTail, resumedFrom, halted);
        }

        /**
         * The run continuing as a fresh query from a watermark below which it has seen everything: its pagination
         * starts again at {@code first}, with that watermark as lower bound.
         */
        public Run resumedFrom(final Watermark safe, final PagePosition first, final long newPages, final Watermark newMax, final Tail newTail) {
            return new Run(id, Watermark.max(lower, safe), upper, advanceTo, newMax, newPages, first, LoopGuard.empty(), 0,
                    new Tail(null, null, newTail.ordered()), safe, null);
        }

        /** The same run with a higher lower bound (keyset pagination). */
        public Run withLower(final Watermark newLower) {
            return new Run(id, newLower, upper, advanceTo, max, pages, next, loopGuard, lastFingerprint, tail, resumedFrom, halted);
        }

        public Run halted(final String reason, final long newPages, final Watermark newMax, final Tail newTail) {
            return new Run(id, lower, upper, advanceTo, newMax, newPages, next, loopGuard, lastFingerprint, newTail, resumedFrom, reason);
        }

        /** The run's pagination from its first position again, with what it emitted still tracked. */
        public Run restarted(final PagePosition first) {
            return new Run(id, lower, upper, advanceTo, max, pages, first, LoopGuard.empty(), 0, new Tail(null, null, tail.ordered()), resumedFrom, null);
        }
    }

    /**
     * The last record a run has seen.
     *
     * @param lastWatermark watermark of the last record of the last page, null before the first
     * @param lastKey key of that record
     * @param ordered whether every page so far came in ascending watermark order, each starting at or above the one before
     */
    public record Tail(Watermark lastWatermark, String lastKey, boolean ordered) {
        public static final Tail START = new Tail(null, null, true);
    }
}
