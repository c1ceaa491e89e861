package io.datasync.nifi.processors.fetch;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.datasync.nifi.fetch.FetchState;
import org.apache.nifi.components.state.Scope;
import org.apache.nifi.processor.ProcessSession;

import java.io.IOException;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * IncrementalApiFetch's cluster state. State is written with {@code session.setState}, so that it commits
 * together with the FlowFiles of the page it describes. The {@link FetchState} this instance last committed is
 * kept with the map it wrote: while the stored map is still that map, the next trigger continues with this
 * object instead of parsing state again, and keeps the run's pairs that are remembered in memory only (see
 * TrackedKeys). It is forgotten before the object is changed and kept again once the page that changed it has
 * committed.
 */
public final class IncrementalApiFetchStateStore {

    private final ObjectMapper mapper;

    private volatile CommittedState committed;

    private record CommittedState(Map<String, String> stored, FetchState state, boolean timestampWatermark, int maxTrackedKeys) {

        /** Kept across a stop and start of the processor, unless the settings it was read with changed. */
        boolean continues(final Map<String, String> current, final IncrementalApiFetchSettings config) {
            return timestampWatermark == config.watermarkFormat.isTimestamp() && maxTrackedKeys == config.maxTrackedKeys && stored.equals(current);
        }
    }

    public IncrementalApiFetchStateStore(final ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** The stored state; the committed object itself while the stored map is the one it wrote. */
    public FetchState read(final ProcessSession session, final IncrementalApiFetchSettings config) throws IOException {
        final Map<String, String> stored = session.getState(Scope.CLUSTER).toMap();
        final CommittedState last = committed;
        return last != null && last.continues(stored, config)
                ? last.state()
                : FetchState.fromMap(stored, config.watermarkFormat.isTimestamp(), config.maxTrackedKeys, mapper);
    }

    /** Called before the object read is changed: from then on it differs from what is stored until it commits. */
    public void changing() {
        committed = null;
    }

    /**
     * Stages the state and commits the session, so that the page's FlowFiles and the state that describes them
     * commit together or not at all.
     *
     * @return why the commit failed (the page and its state were rolled back together), or null
     * @throws IOException when the state cannot be staged; nothing is committed
     */
    public Throwable commit(final ProcessSession session, final FetchState state, final IncrementalApiFetchSettings config) throws IOException {
        final AtomicReference<Throwable> commitFailure = new AtomicReference<>();
        final Map<String, String> staged = state.toMap(mapper);
        session.setState(staged, Scope.CLUSTER);
        session.commitAsync(() -> committed = new CommittedState(staged, state, config.watermarkFormat.isTimestamp(), config.maxTrackedKeys),
                commitFailure::set);
        return commitFailure.get();
    }

    /**
     * Stores "no request before" with the state as it is (nothing else changes), so that a wait longer than one trigger
     * survives the trigger, a restart and a primary-node change.
     *
     * @throws IOException when the pause cannot be staged; nothing is committed
     */
    public void pauseUntil(final ProcessSession session, final FetchState state, final Instant until, final IncrementalApiFetchSettings config)
            throws IOException {
        committed = null;
        state.setNotBefore(until);
        final Map<String, String> staged = state.toMap(mapper);
        session.setState(staged, Scope.CLUSTER);
        session.commitAsync(() -> committed = new CommittedState(staged, state, config.watermarkFormat.isTimestamp(), config.maxTrackedKeys));
    }
}
