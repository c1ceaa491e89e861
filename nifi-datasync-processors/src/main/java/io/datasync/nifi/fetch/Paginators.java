package io.datasync.nifi.fetch;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;
import java.util.Optional;

/**
 * The pagination strategies.
 */
public final class Paginators {

    private Paginators() {
    }

    /** A single request returns everything. */
    public static Paginator none() {
        return new Paginator() {
            @Override
            public Optional<PagePosition> next(final PagePosition current, final PageOutcome page) {
                return Optional.empty();
            }

            @Override
            public boolean serverDriven() {
                return false;
            }
        };
    }

    /** RFC 8288 {@code Link: <url>; rel="next"}, resolved against the request URI. */
    public static Paginator linkHeader() {
        return new UrlPaginator() {
            @Override
            Optional<String> nextTarget(final PageOutcome page) {
                return LinkHeader.findNext(page.linkHeaders());
            }
        };
    }

    /** A next-page URL at a JSON Pointer in the body, resolved against the request URI. */
    public static Paginator nextUrl() {
        return new UrlPaginator() {
            @Override
            Optional<String> nextTarget(final PageOutcome page) {
                return Optional.ofNullable(page.captured());
            }
        };
    }

    /** A cursor token read from each page and sent back as a named parameter (or in the body). */
    public static Paginator cursor(final String cursorParameter) {
        return new Paginator() {
            @Override
            public Map<String, String> parameters(final PagePosition position) {
                return cursorParameter == null || position.cursor() == null ? Map.of() : Map.of(cursorParameter, position.cursor());
            }

            @Override
            public Optional<PagePosition> next(final PagePosition current, final PageOutcome page) {
                if (page.recordCount() == 0 || page.captured() == null || page.captured().isEmpty()) {
                    return Optional.empty();
                }
                return Optional.of(PagePosition.ofCursor(page.captured()));
            }

            @Override
            public boolean serverDriven() {
                return true;
            }
        };
    }

    /** Page numbers counted up from the first page until a page comes back empty. */
    public static Paginator pageNumber(final String pageParameter, final long firstPage) {
        return new Paginator() {
            @Override
            public PagePosition first() {
                return PagePosition.ofNumber(firstPage);
            }

            @Override
            public Map<String, String> parameters(final PagePosition position) {
                return Map.of(pageParameter, Long.toString(position.number()));
            }

            @Override
            public Optional<PagePosition> next(final PagePosition current, final PageOutcome page) {
                return page.recordCount() == 0 ? Optional.empty() : Optional.of(PagePosition.ofNumber(current.number() + 1));
            }

            @Override
            public boolean serverDriven() {
                return false;
            }
        };
    }

    /** An offset advanced by the number of records each page returned, until a page comes back empty. */
    public static Paginator offset(final String offsetParameter) {
        return new Paginator() {
            @Override
            public PagePosition first() {
                return PagePosition.ofNumber(0);
            }

            @Override
            public Map<String, String> parameters(final PagePosition position) {
                return Map.of(offsetParameter, Long.toString(position.number()));
            }

            @Override
            public Optional<PagePosition> next(final PagePosition current, final PageOutcome page) {
                return page.recordCount() == 0 ? Optional.empty() : Optional.of(PagePosition.ofNumber(current.number() + page.recordCount()));
            }

            @Override
            public boolean serverDriven() {
                return false;
            }
        };
    }

    private abstract static class UrlPaginator implements Paginator {

        abstract Optional<String> nextTarget(PageOutcome page);

        @Override
        public Optional<PagePosition> next(final PagePosition current, final PageOutcome page) {
            if (page.recordCount() == 0) {
                return Optional.empty();
            }
            return nextTarget(page)
                    .map(String::trim)
                    .filter(target -> !target.isEmpty())
                    .map(target -> PagePosition.ofUrl(resolve(page.requestUri(), target)));
        }

        /** The target resolved against the request, or as sent when it is not a valid URI (the origin policy then refuses it). */
        private static String resolve(final URI base, final String target) {
            try {
                return base.resolve(new URI(target)).toString();
            } catch (final URISyntaxException | IllegalArgumentException e) {
                return target;
            }
        }

        @Override
        public boolean serverDriven() {
            return true;
        }
    }
}
