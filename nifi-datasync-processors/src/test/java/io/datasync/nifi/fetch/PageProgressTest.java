package io.datasync.nifi.fetch;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PageProgressTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String ENDPOINT = "https://api.example.com/customers";
    private static final URI PAGE_URI = URI.create(ENDPOINT + "?updated_since=2024-01-01T00:00:00Z");

    private static Watermark at(final String text) {
        return Watermark.ofInstant(Instant.parse(text));
    }

    private static FetchState stateWithRun() {
        return new FetchState(at("2024-01-01T00:00:00Z"), new TrackedKeys(100), new FetchState.Run("r", at("2024-01-01T00:00:00Z"),
                at("2024-02-01T00:00:00Z"), null, null, 0, PagePosition.start(), Set.of(), 0));
    }

    private static PageProgress nextUrlProgress() {
        return new PageProgress(new PageParser(MAPPER, "/data", "/next"), new RecordSelector("/updated_at", "/id", WatermarkFormat.ISO_8601),
                new RunNavigator(RunNavigator.Kind.SERVER_DRIVEN, true, 2), Paginators.nextUrl(), new OriginPolicy(ENDPOINT, List.of()),
                UnaryOperator.identity(), null, false, Duration.ZERO);
    }

    private static byte[] body(final String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aMalformedPageChangesNothing() {
        final FetchState state = stateWithRun();
        final FetchState.Run before = state.run();
        final PageProgress.Examined examined = nextUrlProgress().examine(state, body("{\"data\": [tru"), PAGE_URI, List.of());
        assertInstanceOf(PageProgress.Malformed.class, examined);
        assertSame(before, state.run());
        assertEquals(0, state.trackedKeys().size());
    }

    @Test
    void aLinkToAnotherOriginIsRefusedBeforeAnythingChanges() {
        final FetchState state = stateWithRun();
        final FetchState.Run before = state.run();
        final PageProgress.Examined examined = nextUrlProgress().examine(state, body("""
                {"data": [{"id": "1", "updated_at": "2024-01-05T00:00:00Z"}], "next": "https://collector.example.net/steal?page=2"}"""),
                PAGE_URI, List.of());
        final PageProgress.LinkRefused refused = assertInstanceOf(PageProgress.LinkRefused.class, examined);
        assertTrue(refused.reason().contains("collector.example.net"), refused.reason());
        assertSame(before, state.run());
        assertEquals(0, state.trackedKeys().size());
    }

    @Test
    void anAcceptedPageIsTrackedAndTheRunMovesToTheNextUrl() {
        final FetchState state = stateWithRun();
        final PageProgress progress = nextUrlProgress();
        final PageProgress.Planned plan = assertInstanceOf(PageProgress.Planned.class, progress.examine(state, body("""
                {"data": [{"id": "1", "updated_at": "2024-01-05T00:00:00Z"}, {"id": "2", "updated_at": "2024-01-07T00:00:00Z"}],
                 "next": "/customers?page=2"}"""), PAGE_URI, List.of()));
        assertTrue(plan.emitPage());
        assertEquals(2, plan.selection().emitted().size());
        assertEquals(at("2024-01-07T00:00:00Z"), plan.runMax());
        // Examining changes nothing yet.
        assertEquals(0, state.trackedKeys().size());
        assertEquals(0, state.run().pages());

        progress.track(state, plan);
        progress.advance(state, plan);
        assertTrue(state.trackedKeys().contains(at("2024-01-07T00:00:00Z"), "2"));
        assertEquals(1, state.run().pages());
        assertEquals(ENDPOINT + "?page=2", state.run().next().url());
        assertEquals(at("2024-01-07T00:00:00Z"), state.run().max());
    }

    @Test
    void theLastPageCompletesTheRunAndMovesTheWatermarkToTheLargestSeen() {
        final FetchState state = stateWithRun();
        final PageProgress progress = nextUrlProgress();
        final PageProgress.Planned plan = assertInstanceOf(PageProgress.Planned.class, progress.examine(state, body("""
                {"data": [{"id": "3", "updated_at": "2024-01-09T00:00:00Z"}, {"id": "4", "updated_at": "2024-01-08T00:00:00Z"}]}"""),
                PAGE_URI, List.of()));
        assertInstanceOf(RunNavigator.Complete.class, plan.decision());
        progress.track(state, plan);
        progress.advance(state, plan);
        assertNull(state.run());
        assertEquals(at("2024-01-09T00:00:00Z"), state.watermark());
    }

    @Test
    void aCursorFromTheLastRecordIsSentBack() {
        final FetchState state = stateWithRun();
        final PageProgress progress = new PageProgress(new PageParser(MAPPER, "/data", null),
                new RecordSelector("/updated_at", "/id", WatermarkFormat.ISO_8601), new RunNavigator(RunNavigator.Kind.SERVER_DRIVEN, true, 2),
                Paginators.cursor("starting_after"), new OriginPolicy(ENDPOINT, List.of()), UnaryOperator.identity(),
                JsonPointer.compile("/id"), false, Duration.ZERO);
        final PageProgress.Planned plan = assertInstanceOf(PageProgress.Planned.class, progress.examine(state, body("""
                {"data": [{"id": "cus_1", "updated_at": "2024-01-05T00:00:00Z"}, {"id": "cus_2", "updated_at": "2024-01-06T00:00:00Z"}]}"""),
                PAGE_URI, List.of()));
        progress.track(state, plan);
        progress.advance(state, plan);
        assertEquals("cus_2", state.run().next().cursor());
    }

    @Test
    void tooManyTrackedKeysLeaveTheRunWhereItWas() {
        final FetchState state = new FetchState(null, new TrackedKeys(1), new FetchState.Run("r", at("2024-01-01T00:00:00Z"),
                at("2024-02-01T00:00:00Z"), null, null, 0, PagePosition.start(), Set.of(), 0));
        final PageProgress progress = nextUrlProgress();
        final PageProgress.Planned plan = assertInstanceOf(PageProgress.Planned.class, progress.examine(state, body("""
                {"data": [{"id": "1", "updated_at": "2024-01-05T00:00:00Z"}, {"id": "2", "updated_at": "2024-01-05T00:00:00Z"}],
                 "next": "/customers?page=2"}"""), PAGE_URI, List.of()));
        final FetchState.Run before = state.run();
        assertThrows(TrackedKeys.LimitExceededException.class, () -> progress.track(state, plan));
        assertSame(before, state.run());
    }
}
