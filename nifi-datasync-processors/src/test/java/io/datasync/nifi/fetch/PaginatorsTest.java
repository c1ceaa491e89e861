package io.datasync.nifi.fetch;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PaginatorsTest {

    private static final URI REQUEST = URI.create("https://api.example.com/v1/items?since=1");

    private static Paginator.PageOutcome page(final int records, final List<String> links, final String captured) {
        return new Paginator.PageOutcome(REQUEST, records, links, captured);
    }

    @Test
    void linkHeaderFollowsRelNextAndResolvesRelativeTargets() {
        final Paginator paginator = Paginators.linkHeader();
        final Optional<PagePosition> next = paginator.next(paginator.first(),
                page(2, List.of("<https://api.example.com/v1/items?page_info=p>; rel=\"previous\", </v1/items?page_info=n>; rel=\"next\""), null));
        assertEquals("https://api.example.com/v1/items?page_info=n", next.orElseThrow().url());
        assertTrue(paginator.next(next.get(), page(2, List.of("<https://x/p>; rel=\"previous\""), null)).isEmpty());
        assertTrue(paginator.next(next.get(), page(0, List.of("</v1/items?page_info=m>; rel=\"next\""), null)).isEmpty());
    }

    @Test
    void shortPagesDoNotEndPagination() {
        final Paginator offset = Paginators.offset("offset");
        final PagePosition second = offset.next(offset.first(), page(3, List.of(), null)).orElseThrow();
        assertEquals(Map.of("offset", "3"), offset.parameters(second));
        assertTrue(offset.next(second, page(0, List.of(), null)).isEmpty());

        final Paginator pages = Paginators.pageNumber("page", 1);
        assertEquals(Map.of("page", "1"), pages.parameters(pages.first()));
        assertEquals(Map.of("page", "2"), pages.parameters(pages.next(pages.first(), page(1, List.of(), null)).orElseThrow()));
    }

    @Test
    void cursorAndNextUrlEndWhenAbsent() {
        final Paginator cursor = Paginators.cursor("after");
        assertEquals(Map.of(), cursor.parameters(cursor.first()));
        final PagePosition next = cursor.next(cursor.first(), page(5, List.of(), "abc")).orElseThrow();
        assertEquals(Map.of("after", "abc"), cursor.parameters(next));
        assertTrue(cursor.next(next, page(5, List.of(), null)).isEmpty());
        assertTrue(cursor.next(next, page(5, List.of(), "")).isEmpty());

        final Paginator nextUrl = Paginators.nextUrl();
        assertEquals("https://api.example.com/v1/items?cursor=9", nextUrl.next(nextUrl.first(), page(1, List.of(), "items?cursor=9")).orElseThrow().url());
        assertTrue(nextUrl.next(nextUrl.first(), page(1, List.of(), null)).isEmpty());
        assertTrue(Paginators.none().next(PagePosition.start(), page(10, List.of(), "x")).isEmpty());
    }

    @Test
    void fingerprintsIdentifyPositions() {
        assertEquals(PagePosition.ofCursor("a").fingerprint(), PagePosition.ofCursor("a").fingerprint());
        assertNotEquals(PagePosition.ofCursor("a").fingerprint(), PagePosition.ofUrl("a").fingerprint());
    }

    @Test
    void linkHeaderParsing() {
        assertEquals(Optional.of("https://x/2"), LinkHeader.findNext("<https://x/2>; rel=next"));
        assertEquals(Optional.of("https://x/3"), LinkHeader.findNext("<https://x/1>; title=\"a, b\"; rel=\"prev\", <https://x/3>; rel=\"last next\""));
        assertEquals(Optional.empty(), LinkHeader.findNext("<https://x/1>; rel=\"nextish\""));
    }
}
