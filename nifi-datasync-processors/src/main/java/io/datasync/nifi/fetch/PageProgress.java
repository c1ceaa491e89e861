package io.datasync.nifi.fetch;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * What one fetched page does to a run, in two steps. {@link #examine} reads the page and decides, changing
 * nothing: it parses the records, drops the overlap record, selects the records not emitted before, finds the
 * next position (refusing a link to another origin) and asks the {@link RunNavigator} where the run goes. Once
 * the caller accepts the plan, {@link #track} remembers the emitted versions and {@link #advance} moves the run
 * on, or completes it.
 */
public final class PageProgress {

    private final PageParser parser;
    private final RecordSelector selector;
    private final RunNavigator navigator;
    private final Paginator paginator;
    private final OriginPolicy originPolicy;
    private final UnaryOperator<PagePosition> storable;
    private final JsonPointer lastRecordCursor;
    private final boolean routeInvalid;
    private final Duration lookback;

    /**
     * @param storable the form of a next position kept in state (without secrets)
     * @param lastRecordCursor where the cursor is in the page's last record, or null when the parser captures it from the body
     * @param routeInvalid whether records without a readable watermark or key are set apart instead of refusing the page
     * @param lookback the Lookback Window, below the largest watermark seen, within which emitted versions stay tracked
     */
    public PageProgress(final PageParser parser, final RecordSelector selector, final RunNavigator navigator, final Paginator paginator,
                        final OriginPolicy originPolicy, final UnaryOperator<PagePosition> storable, final JsonPointer lastRecordCursor,
                        final boolean routeInvalid, final Duration lookback) {
        this.parser = parser;
        this.selector = selector;
        this.navigator = navigator;
        this.paginator = paginator;
        this.originPolicy = originPolicy;
        this.storable = storable;
        this.lastRecordCursor = lastRecordCursor;
        this.routeInvalid = routeInvalid;
        this.lookback = lookback;
    }

    /** The outcome of {@link #examine}. */
    public sealed interface Examined permits Malformed, LinkRefused, Planned {
    }

    /** The page cannot be used; nothing changes. */
    public record Malformed(String message) implements Examined {
    }

    /** The page links to a next page outside the allowed origins; nothing changes. The reason may quote the link. */
    public record LinkRefused(String reason) implements Examined {
    }

    /**
     * @param page the page as parsed (the overlap record included)
     * @param selection the records to emit, set apart or suppress
     * @param decision where the run goes
     * @param emitPage whether the page's records are emitted (a loop or a shifted list may withhold them)
     * @param runMax the run's largest watermark once this page is accepted
     */
    public record Planned(PageParser.ParsedPage page, RecordSelector.Selection selection, RunNavigator.Decision decision, boolean emitPage,
                          Watermark runMax) implements Examined {
    }

    /**
     * @param body the response body
     * @param uri the URI the page came from (after redirects)
     * @param linkHeaders the response's Link headers
     */
    public Examined examine(final FetchState state, final byte[] body, final URI uri, final List<String> linkHeaders) {
        final FetchState.Run run = state.run();
        final PageParser.ParsedPage page;
        final RecordSelector.Selection selection;
        boolean overlapMoved = false;
        try {
            page = parser.parse(body);
            List<JsonNode> records = page.records();
            if (navigator.expectsOverlap(run)) {
                // The page was asked to start with the previous page's last record: it is dropped if it is still there.
                if (!records.isEmpty() && selector.isVersion(records.get(0), run.tail().lastWatermark(), run.tail().lastKey())) {
                    records = records.subList(1, records.size());
                } else {
                    overlapMoved = true;
                }
            }
            selection = selector.select(records, run.lower(), run.upper(), state.trackedKeys(), routeInvalid);
        } catch (final MalformedPageException e) {
            return new Malformed(e.getMessage());
        }

        final String captured = lastRecordCursor != null ? lastRecordValue(page.records(), lastRecordCursor) : page.captured();
        final Paginator.PageOutcome pageOutcome = new Paginator.PageOutcome(uri, page.records().size(), linkHeaders, captured);
        final Optional<PagePosition> proposed = paginator.next(run.next(), pageOutcome);
        if (proposed.isPresent() && proposed.get().url() != null) {
            final OriginPolicy.Verdict verdict = originPolicy.check(uri, proposed.get().url());
            if (!verdict.isAllowed()) {
                return new LinkRefused(verdict.reason());
            }
        }
        final RunNavigator.Decision decision = navigator.decide(run, selection, page.records().size(), overlapMoved,
                proposed.map(storable), paginator.first());
        final boolean emitPage = switch (decision) {
            case RunNavigator.Resume resume -> resume.emitPage();
            case RunNavigator.Halt halt -> halt.emitPage();
            default -> true;
        };
        final Watermark runMax = emitPage ? Watermark.max(run.max(), selection.maxWatermark()) : run.max();
        return new Planned(page, selection, decision, emitPage, runMax);
    }

    /**
     * Remembers the versions the page emits, up to the window below the run's largest watermark.
     *
     * @throws TrackedKeys.LimitExceededException when they would exceed Maximum Tracked Keys
     */
    public void track(final FetchState state, final Planned plan) {
        final Watermark runMax = plan.runMax();
        state.trackedKeys().addAll(plan.selection().newEntries(), runMax == null ? null : runMax.lookbackFrom(lookback));
    }

    /** Moves the run to where the plan decided: the next page, a fresh query, completion (which moves the watermark) or a halt. */
    public void advance(final FetchState state, final Planned plan) {
        final FetchState.Run run = state.run();
        final RecordSelector.Selection selection = plan.selection();
        final long pageNumber = run.pages() + 1;
        final long fingerprint = selection.contentFingerprint() != 0 ? selection.contentFingerprint() : run.lastFingerprint();
        final LoopGuard guard = paginator.serverDriven() ? run.loopGuard().after(run.next().fingerprint()) : run.loopGuard();
        final Watermark runMax = plan.runMax();
        switch (plan.decision()) {
            case RunNavigator.Continue next -> state.setRun(run.advanced(runMax, pageNumber, next.next(), guard, fingerprint, next.tail()));
            case RunNavigator.Advance advance ->
                    state.setRun(run.advanced(runMax, pageNumber, paginator.first(), guard, fingerprint, advance.tail()).withLower(advance.lower()));
            case RunNavigator.Complete complete -> {
                state.setRun(run.advanced(runMax, pageNumber, run.next(), guard, fingerprint, complete.tail()));
                state.completeRun(lookback);
            }
            // Nothing is lost: every record below the safe watermark was seen, and the versions at it are tracked.
            case RunNavigator.Resume resume -> state.setRun(run.resumedFrom(resume.safe(), paginator.first(), pageNumber, runMax, resume.tail()));
            case RunNavigator.Halt halt -> state.setRun(run.halted(halt.reason(), pageNumber, runMax, halt.tail()));
        }
    }

    private static String lastRecordValue(final List<JsonNode> records, final JsonPointer pointer) {
        if (records.isEmpty()) {
            return null;
        }
        final JsonNode value = records.get(records.size() - 1).at(pointer);
        return value.isValueNode() && !value.isNull() ? value.asText() : null;
    }
}
