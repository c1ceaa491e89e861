package io.datasync.nifi.fetch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashSet;
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
            final Set<String> positions = new LinkedHashSet<>();
            final String positionText = map.get(RUN_POSITIONS);
            if (positionText != null && !positionText.isEmpty()) {
                positions.addAll(List.of(positionText.split(",")));
            }
            final String fingerprint = map.get(RUN_LAST_FINGERPRINT);
            run = new Run(runId, parse(map.get(RUN_LOWER), timestamp), parse(map.get(RUN_UPPER), timestamp),
                    parse(map.get(RUN_ADVANCE_TO), timestamp), parse(map.get(RUN_MAX), timestamp),
                    Long.parseLong(map.getOrDefault(RUN_PAGES, "0")), next, positions, fingerprint == null ? 0 : Long.parseLong(fingerprint));
        }
        final FetchState state = new FetchState(watermark, tracked, run);
        final String notBefore = map.get(NOT_BEFORE);
        state.notBefore = notBefore == null || notBefore.isEmpty() ? null : Instant.parse(notBefore);
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
            map.put(RUN_POSITIONS, String.join(",", run.positions()));
            map.put(RUN_LAST_FINGERPRINT, Long.toString(run.lastFingerprint()));
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
     * @param positions fingerprints of the server-driven positions already fetched (loop detection)
     * @param lastFingerprint content fingerprint of the last non-empty page (loop detection)
     */
    public record Run(String id, Watermark lower, Watermark upper, Watermark advanceTo, Watermark max, long pages, PagePosition next,
                      Set<String> positions, long lastFingerprint) {
    }
}
