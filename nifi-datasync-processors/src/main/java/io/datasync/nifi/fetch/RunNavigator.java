package io.datasync.nifi.fetch;

import java.util.Optional;

/**
 * Decides, after each page, where a run goes next, so that pagination that shifts, loops or lies
 * never skips a record: on to the next position; complete; resume as a fresh query from the last
 * safe watermark; or halt when no safe way on is known.
 * <p>
 * The <em>last safe watermark</em> is the watermark of the last record seen, provided every page so
 * far came in ascending watermark order: then every record below it has been seen, and a query
 * from it (inclusive) returns everything not yet seen; the versions at it that were emitted are
 * tracked and suppressed. Without that order, or without a way to send the watermark, there is no
 * such point and the run halts instead of guessing.
 */
public final class RunNavigator {

    /** How positions move. */
    public enum Kind {
        /** Every page is a fresh query from the last record's watermark. */
        KEYSET,
        /** Offsets, each page starting with the previous page's last record again to check that the list did not shift. */
        OFFSET_WITH_OVERLAP,
        /** Next URLs and cursors handed out by the server, which can loop. */
        SERVER_DRIVEN,
        /** Page numbers, offsets without overlap, or a single request. */
        COUNTED
    }

    private final Kind kind;
    private final boolean watermarkSendable;
    private final int pageSize;

    /**
     * @param watermarkSendable whether a request can carry the lower bound (Watermark Parameter or {{watermark}})
     * @param pageSize records asked for per page
     */
    public RunNavigator(final Kind kind, final boolean watermarkSendable, final int pageSize) {
        this.kind = kind;
        this.watermarkSendable = watermarkSendable;
        this.pageSize = pageSize;
    }

    public Kind kind() {
        return kind;
    }

    /** Whether this page must start with the previous page's last record again. */
    public boolean expectsOverlap(final FetchState.Run run) {
        return kind == Kind.OFFSET_WITH_OVERLAP && run.tail().lastKey() != null;
    }

    /**
     * @param run the run before the page
     * @param selection the page's selection (without the overlap record)
     * @param rawCount records in the response, the overlap record included
     * @param overlapMoved whether the overlap record was expected and not found where it was
     * @param proposed the paginator's next position (server-driven and counted kinds)
     * @param first the paginator's first position
     */
    public Decision decide(final FetchState.Run run, final RecordSelector.Selection selection, final int rawCount, final boolean overlapMoved,
                           final Optional<PagePosition> proposed, final PagePosition first) {
        final RecordSelector.Order order = selection.order();
        final FetchState.Tail before = run.tail();
        final boolean inOrder = before.ordered() && order.ascending()
                && (before.lastWatermark() == null || order.first() == null || order.first().compareTo(before.lastWatermark()) >= 0);
        final FetchState.Tail after = order.last() == null ? new FetchState.Tail(before.lastWatermark(), before.lastKey(), inOrder)
                : new FetchState.Tail(order.last(), order.lastKey(), inOrder);

        if (overlapMoved) {
            final String reason = "the previous page's last record is no longer where it was: the list shifted under an update, insert or delete";
            final Decision decision = resume(run, before, before.lastWatermark(), false, reason, after);
            if (decision instanceof Halt halt) {
                // Halting on every insert would stop such a feed for good; going on is what offsets allow, and it is said.
                final long fresh = rawCount;
                return fresh <= 0 ? new Complete(after) : new Continue(PagePosition.ofNumber(run.next().number() + rawCount - 1), after,
                        halt.reason() + "; a record may have been skipped in this run, and only a run whose Lookback Window reaches it "
                                + "will find it. Prefer Keyset pagination for this API");
            }
            return decision;
        }
        if (kind != Kind.KEYSET && selection.contentFingerprint() != 0 && selection.contentFingerprint() == run.lastFingerprint()) {
            return resume(run, before, before.lastWatermark(), false, "a pagination loop: the page holds the same records as the previous one", after);
        }
        return switch (kind) {
            case KEYSET -> keyset(run, selection, rawCount, after);
            case OFFSET_WITH_OVERLAP -> {
                final long fresh = rawCount - (expectsOverlap(run) ? 1 : 0);
                yield fresh <= 0 ? new Complete(after) : new Continue(PagePosition.ofNumber(run.next().number() + rawCount - 1), after, null);
            }
            case SERVER_DRIVEN -> {
                if (before.ordered() && !inOrder && selection.emitted().isEmpty() && selection.duplicates() > 0) {
                    // An API that kept watermark order went back to records already emitted: a cycle, caught at its first repeat.
                    yield resume(run, before, before.lastWatermark(), false, "a pagination loop: the page went back to records already emitted", after);
                }
                if (proposed.isEmpty()) {
                    yield new Complete(after);
                }
                final LoopGuard guard = run.loopGuard().after(run.next().fingerprint());
                if (guard.seen(proposed.get().fingerprint())) {
                    yield resume(run, after, after.lastWatermark(), true, "a pagination loop: the next page is one this run has already fetched", after);
                }
                yield new Continue(proposed.get(), after, null);
            }
            case COUNTED -> proposed.<Decision>map(next -> new Continue(next, after, null)).orElseGet(() -> new Complete(after));
        };
    }

    private Decision keyset(final FetchState.Run run, final RecordSelector.Selection selection, final int rawCount, final FetchState.Tail after) {
        final RecordSelector.Order order = selection.order();
        if (order.first() == null) {
            return rawCount < pageSize ? new Complete(after)
                    : new Halt("a full page without a single readable watermark; keyset pagination cannot move past it", true, after);
        }
        if (!order.ascending() || (run.lower() != null && order.first().compareTo(run.lower()) < 0)) {
            return new Halt("keyset pagination needs records sorted by watermark, ascending, from the requested watermark on; "
                    + "this page is not", true, new FetchState.Tail(after.lastWatermark(), after.lastKey(), false));
        }
        if (run.upper() != null && order.last().compareTo(run.upper()) > 0) {
            return new Complete(after);
        }
        if (run.lower() == null || order.last().compareTo(run.lower()) > 0) {
            return new Advance(order.last(), after);
        }
        // Every record of the page carries the lower bound itself.
        if (rawCount < pageSize) {
            return new Complete(after);
        }
        if (selection.emitted().isEmpty()) {
            return new Halt("more records share the watermark " + run.lower() + " than fit on one page (Page Size " + pageSize
                    + "), so a query from it cannot get past them; raise Page Size", true, after);
        }
        return new Advance(run.lower(), after);
    }

    private Decision resume(final FetchState.Run run, final FetchState.Tail orderEvidence, final Watermark lastSeen, final boolean emitPage,
                            final String reason, final FetchState.Tail after) {
        if (!watermarkSendable) {
            return new Halt(reason + "; the run cannot resume from its last safe watermark because requests carry no watermark "
                    + "(set Watermark Parameter, or {{watermark}} in the Request Body Template)", emitPage, after);
        }
        if (!orderEvidence.ordered()) {
            return new Halt(reason + "; the records did not come in watermark order, so no watermark is known below which every record "
                    + "was seen", emitPage, after);
        }
        final Watermark safe = lastSeen != null ? lastSeen : run.lower();
        if (safe == null || (run.resumedFrom() != null && safe.compareTo(run.resumedFrom()) <= 0)) {
            return new Halt(reason + "; resuming from the last safe watermark made no progress", emitPage, after);
        }
        return new Resume(safe, reason, emitPage, after);
    }

    /** What happens after a page. Every decision carries the run's tail after the page. */
    public sealed interface Decision permits Continue, Advance, Complete, Resume, Halt {
        FetchState.Tail tail();
    }

    /**
     * On to the next position; the page is emitted.
     *
     * @param warning what went wrong without a safe way around it, null when nothing did
     */
    public record Continue(PagePosition next, FetchState.Tail tail, String warning) implements Decision {
    }

    /** Keyset: the next page is a fresh query from this watermark; the page is emitted. */
    public record Advance(Watermark lower, FetchState.Tail tail) implements Decision {
    }

    /** The run is complete; the page is emitted. */
    public record Complete(FetchState.Tail tail) implements Decision {
    }

    /** The run's pagination failed it: a fresh query from the safe watermark; the page is emitted only when it is trustworthy. */
    public record Resume(Watermark safe, String reason, boolean emitPage, FetchState.Tail tail) implements Decision {
    }

    /** No safe way on: the run stops until an operator acts. */
    public record Halt(String reason, boolean emitPage, FetchState.Tail tail) implements Decision {
    }
}
