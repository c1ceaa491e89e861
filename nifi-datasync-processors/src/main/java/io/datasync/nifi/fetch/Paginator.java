package io.datasync.nifi.fetch;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One pagination strategy: where a run starts, which parameters a position adds to a request,
 * and where the next page is. A run ends on an empty page or when there is no next position;
 * a short page alone never ends it.
 */
public interface Paginator {

    /** Where a run starts: the configured request itself, unless the strategy counts from a first page or offset. */
    default PagePosition first() {
        return PagePosition.start();
    }

    /** Query parameters that this position adds to the configured request; empty for URL positions (the default). */
    default Map<String, String> parameters(final PagePosition position) {
        return Map.of();
    }

    /** The next position, or empty when the run is complete. */
    Optional<PagePosition> next(PagePosition current, PageOutcome page);

    /** Whether positions are opaque server values (URLs, cursors) that can repeat and loop. */
    boolean serverDriven();

    /**
     * What the paginator needs to know about a fetched page.
     *
     * @param requestUri URI the page was fetched from (relative next links resolve against it)
     * @param recordCount number of records in the page, before any filtering
     * @param linkHeaders values of the Link response headers
     * @param captured cursor or next URL read from the body, null when absent
     */
    record PageOutcome(URI requestUri, int recordCount, List<String> linkHeaders, String captured) {
    }
}
