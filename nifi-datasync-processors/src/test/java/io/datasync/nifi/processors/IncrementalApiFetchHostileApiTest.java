package io.datasync.nifi.processors;

import io.datasync.nifi.processors.common.RunnerLogs;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.datasync.nifi.fetch.FetchState;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.QueueDispatcher;
import okhttp3.mockwebserver.RecordedRequest;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.state.Scope;
import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.oauth2.AccessToken;
import org.apache.nifi.oauth2.OAuth2AccessTokenProvider;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The numbered cases of an API that shifts, loops or lies: each asserts no loss and no duplicate
 * against the fake API's own table, and that nothing reaches an origin other than the Endpoint URL's.
 */
class IncrementalApiFetchHostileApiTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String T0 = "2024-03-01T10:00:00Z";
    private static final String SECRET = "sk_live_Q8zS3cr3tKey";

    @RegisterExtension
    final LocalServers servers = new LocalServers();
    private final List<Duration> sleeps = new CopyOnWriteArrayList<>();
    private final List<String> emitted = new ArrayList<>();
    private final List<String> emittedVersions = new ArrayList<>();

    private MockWebServer start(final okhttp3.mockwebserver.Dispatcher dispatcher) throws IOException {
        return servers.start(dispatcher);
    }

    /** A server on another port (another origin) that answers 200 with an empty page and records what it receives. */
    private MockWebServer foreign() throws IOException {
        final QueueDispatcher dispatcher = new QueueDispatcher();
        dispatcher.setFailFast(new MockResponse().setBody("{\"data\":[]}"));
        return start(dispatcher);
    }

    private TestRunner runner(final MockWebServer server, final IncrementalApiFetch.PaginationStrategy strategy) {
        final IncrementalApiFetch processor = new SensitiveDynamicProperties();
        processor.sleeper = sleeps::add;
        final TestRunner runner = TestRunners.newTestRunner(processor);
        runner.setProperty(IncrementalApiFetch.ENDPOINT_URL, server.url("/items").toString());
        runner.setProperty(IncrementalApiFetch.RECORDS_POINTER, "/data");
        runner.setProperty(IncrementalApiFetch.WATERMARK_PARAMETER, "since");
        runner.setProperty(IncrementalApiFetch.PAGE_SIZE_PARAMETER, "limit");
        runner.setProperty(IncrementalApiFetch.PAGE_SIZE, "100");
        runner.setProperty(IncrementalApiFetch.READ_TIMEOUT, "5 sec");
        runner.setProperty(IncrementalApiFetch.INITIAL_RETRY_BACKOFF, "1 ms");
        runner.setProperty(IncrementalApiFetch.MAX_RETRY_BACKOFF, "4 ms");
        runner.setProperty(IncrementalApiFetch.PAGINATION_STRATEGY, strategy);
        return runner;
    }

    /** Bearer token, an API-key header and a tenant header: every kind of credential the processor sends. */
    private static void withCredentials(final TestRunner runner) {
        runner.setProperty(IncrementalApiFetch.AUTHENTICATION_STRATEGY, IncrementalApiFetch.AuthenticationStrategy.BEARER);
        runner.setProperty(IncrementalApiFetch.BEARER_TOKEN, SECRET);
        runner.setProperty(sensitiveDynamic("header.X-Api-Key"), "hk-" + SECRET);
        runner.setProperty("header.X-Tenant", "acme");
    }

    private static final Set<String> SENSITIVE_DYNAMIC = Set.of("query.hapi_secret", "header.X-Api-Key");

    static String sensitiveDynamic(final String name) {
        assertTrue(SENSITIVE_DYNAMIC.contains(name));
        return name;
    }

    /**
     * NiFi marks a dynamic property sensitive when the user ticks it (@SupportsSensitiveDynamicProperties); nifi-mock
     * cannot, so this subclass does it for the names above.
     */
    static class SensitiveDynamicProperties extends IncrementalApiFetch {
        @Override
        protected PropertyDescriptor getSupportedDynamicPropertyDescriptor(final String name) {
            final PropertyDescriptor descriptor = super.getSupportedDynamicPropertyDescriptor(name);
            return SENSITIVE_DYNAMIC.contains(name) ? new PropertyDescriptor.Builder().fromPropertyDescriptor(descriptor).sensitive(true).build() : descriptor;
        }
    }

    private List<String> drain(final TestRunner runner) throws IOException {
        final List<String> ids = new ArrayList<>();
        for (final MockFlowFile flowFile : runner.getFlowFilesForRelationship(IncrementalApiFetch.REL_SUCCESS)) {
            MAPPER.readTree(flowFile.getContent()).forEach(record -> {
                ids.add(record.get("id").asText());
                emittedVersions.add(record.get("id").asText() + "@" + canonical(record.get("updated_at").asText()));
            });
        }
        runner.clearTransferState();
        emitted.addAll(ids);
        return ids;
    }

    private void assertEmittedExactlyOnce(final Set<String> expected) {
        assertEquals(expected.size(), emitted.size(), "records emitted (a duplicate would exceed the expected count): " + emitted);
        assertEquals(expected, new HashSet<>(emitted));
    }

    /** Against the server's own table: every record's current version emitted, and no version emitted twice. */
    private void assertTableEmittedWithoutDuplicates(final FakeRecordApi api) {
        final Set<String> distinct = new HashSet<>(emittedVersions);
        assertEquals(distinct.size(), emittedVersions.size(), "a version was emitted twice");
        api.table().forEach((id, updatedAt) -> assertTrue(distinct.contains(id + "@" + canonical(updatedAt)), "lost: " + id + "@" + updatedAt));
    }

    private static String canonical(final String timestamp) {
        try {
            return Instant.parse(timestamp).toString();
        } catch (final java.time.DateTimeException e) {
            return timestamp;
        }
    }

    private static String padded(final int i) {
        return String.format("r%04d", i);
    }

    private static Set<String> ids(final String prefix, final int count) {
        final Set<String> ids = new HashSet<>();
        for (int i = 0; i < count; i++) {
            ids.add(prefix + i);
        }
        return ids;
    }

    private static Map<String, String> state(final TestRunner runner) throws IOException {
        return runner.getStateManager().getState(Scope.CLUSTER).toMap();
    }

    private static MockResponse page(final String body) {
        return new MockResponse().setHeader("Content-Type", "application/json").setBody(body);
    }

    private static String records(final String prefix, final int count) {
        final StringBuilder body = new StringBuilder("{\"data\":[");
        for (int i = 0; i < count; i++) {
            body.append(i == 0 ? "" : ",").append("{\"id\":\"").append(prefix).append(i).append("\",\"updated_at\":\"").append(T0).append("\"}");
        }
        return body.append("]").toString();
    }

    // ---- case 1: an update during a run loses nothing ----

    @Test
    void case1UpdateDuringAnOffsetPagedRunIsCaughtByTheOverlapCheck() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.OFFSET);
        for (int i = 0; i < 250; i++) {
            api.add(padded(i), minutesAfterT0(i));
        }
        final TestRunner runner = runner(start(api), IncrementalApiFetch.PaginationStrategy.OFFSET);
        runner.setProperty(IncrementalApiFetch.MAX_PAGES_PER_TRIGGER, "1");
        runner.run();
        assertEquals(100, drain(runner).size());

        // An early record changes: every later record shifts back by one, and r0100 crosses the page boundary.
        api.update(padded(10), minutesAfterT0(1000));
        for (int trigger = 0; trigger < 8; trigger++) {
            runner.run();
            drain(runner);
        }
        assertTrue(emitted.contains(padded(100)), "the record that crossed the page boundary");
        assertTableEmittedWithoutDuplicates(api);
        assertEquals(minutesAfterT0(1000), state(runner).get(FetchState.WATERMARK));
        assertTrue(RunnerLogs.lines(runner, false).stream().anyMatch(line -> line.contains("shifted") && line.contains("last safe watermark")),
                RunnerLogs.lines(runner, false).toString());
    }

    @Test
    void case1KeysetPaginationCannotSkipAndGetsPastAResultCap() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.KEYSET);
        api.resultCap = 100;
        for (int i = 0; i < 450; i++) {
            // Ties: three records per minute, so pages end inside a tie group.
            api.add(padded(i), minutesAfterT0(i / 3));
        }
        final TestRunner runner = runner(start(api), IncrementalApiFetch.PaginationStrategy.KEYSET);
        runner.setProperty(IncrementalApiFetch.PAGE_SIZE, "40");
        runner.setProperty(IncrementalApiFetch.MAX_PAGES_PER_TRIGGER, "2");
        runner.assertValid();

        for (int trigger = 0; trigger < 20; trigger++) {
            runner.run();
            drain(runner);
            if (trigger == 2) {
                api.update(padded(5), minutesAfterT0(400));
                api.update(padded(300), minutesAfterT0(401));
            }
        }
        assertTableEmittedWithoutDuplicates(api);
        assertEquals(minutesAfterT0(401), state(runner).get(FetchState.WATERMARK));
        assertTrue(api.requests.stream().noneMatch(request -> request.getRequestUrl().queryParameter("offset") != null));
        assertTrue(RunnerLogs.lines(runner, true).isEmpty(), RunnerLogs.lines(runner, true).toString());
    }

    @Test
    void case1KeysetHaltsWhenATieGroupIsLargerThanAPage() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.KEYSET);
        api.addMany(30, "t", T0);
        final TestRunner runner = runner(start(api), IncrementalApiFetch.PaginationStrategy.KEYSET);
        runner.setProperty(IncrementalApiFetch.PAGE_SIZE, "10");
        runner.run();
        assertEquals(10, drain(runner).size());
        assertTrue(RunnerLogs.lines(runner, true).stream().anyMatch(line -> line.contains("raise Page Size")), RunnerLogs.lines(runner, true).toString());
        runner.setProperty(IncrementalApiFetch.PAGE_SIZE, "50");
        runner.run();
        drain(runner);
        assertEmittedExactlyOnce(ids("t", 30));
    }

    @Test
    void keysetThroughAPostSearchBodyMovesTheWatermarkInTheBody() throws Exception {
        final List<String> bodies = new CopyOnWriteArrayList<>();
        final List<String[]> table = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            table.add(new String[] {padded(i), Instant.parse(T0).plusSeconds(i / 2).toString()});
        }
        final MockWebServer server = start(new okhttp3.mockwebserver.Dispatcher() {
            @Override
            public MockResponse dispatch(final RecordedRequest request) {
                try {
                    final String body = request.getBody().readUtf8();
                    bodies.add(body);
                    final JsonNode search = json(body);
                    final Instant from = Instant.parse(search.at("/filter/gte").asText());
                    final StringBuilder page = new StringBuilder("{\"results\":[");
                    int count = 0;
                    for (final String[] row : table) {
                        if (!Instant.parse(row[1]).isBefore(from) && count < search.get("limit").asInt()) {
                            page.append(count++ == 0 ? "" : ",").append("{\"id\":\"").append(row[0]).append("\",\"updatedAt\":\"")
                                    .append(row[1]).append("\"}");
                        }
                    }
                    return page(page.append("]}").toString());
                } catch (final IOException e) {
                    return new MockResponse().setResponseCode(400);
                }
            }
        });
        final TestRunner runner = runner(server, IncrementalApiFetch.PaginationStrategy.KEYSET);
        runner.removeProperty(IncrementalApiFetch.WATERMARK_PARAMETER);
        runner.setProperty(IncrementalApiFetch.HTTP_METHOD, IncrementalApiFetch.HttpMethod.POST);
        runner.setProperty(IncrementalApiFetch.REQUEST_BODY_TEMPLATE, "{\"filter\":{\"gte\":{{watermark}}},\"sort\":\"asc\",\"limit\":{{pageSize}}}");
        runner.setProperty(IncrementalApiFetch.RECORDS_POINTER, "/results");
        runner.setProperty(IncrementalApiFetch.WATERMARK_POINTER, "/updatedAt");
        runner.setProperty(IncrementalApiFetch.INITIAL_WATERMARK, "2000-01-01T00:00:00Z");
        runner.setProperty(IncrementalApiFetch.PAGE_SIZE, "7");
        runner.assertValid();

        runner.run();

        final Set<String> all = new HashSet<>();
        table.forEach(row -> all.add(row[0]));
        final List<String> ids = new ArrayList<>();
        for (final MockFlowFile flowFile : runner.getFlowFilesForRelationship(IncrementalApiFetch.REL_SUCCESS)) {
            json(flowFile.toByteArray()).forEach(record -> ids.add(record.get("id").asText()));
        }
        assertEquals(all.size(), ids.size(), ids.toString());
        assertEquals(all, new HashSet<>(ids));
        assertEquals("\"2000-01-01T00:00:00Z\"", json(bodies.get(0)).at("/filter/gte").toString());
        assertEquals(Instant.parse(T0).plusSeconds(3).toString(), json(bodies.get(1)).at("/filter/gte").asText(),
                "the second query starts at the first page's last watermark");
        assertEquals(Instant.parse(T0).plusSeconds(12).toString(), state(runner).get(FetchState.WATERMARK));
    }

    @Test
    void keysetNeedsAWayToSendTheWatermark() throws IOException {
        final TestRunner runner = runner(start(new FakeRecordApi(FakeRecordApi.Paging.KEYSET)), IncrementalApiFetch.PaginationStrategy.KEYSET);
        runner.assertValid();
        runner.removeProperty(IncrementalApiFetch.WATERMARK_PARAMETER);
        runner.assertNotValid();
    }

    // ---- case 2: a looping cursor is escaped, and a restart during the loop repeats nothing ----

    @Test
    void case2LoopingCursorIsEscapedAndAKillDuringTheLoopRepeatsNothing() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.CURSOR_BACK_TO_PAGE_2_AFTER_5);
        for (int i = 0; i < 5000; i++) {
            api.add(padded(i), Instant.parse(T0).plusSeconds(i).toString());
        }
        final MockWebServer server = start(api);
        Map<String, String> saved = Map.of();
        for (int trigger = 0; trigger < 200 && !saved.containsKey(FetchState.WATERMARK); trigger++) {
            // A new processor instance for every trigger: what a kill -9 and restart leaves is only the cluster state.
            final TestRunner runner = runner(server, IncrementalApiFetch.PaginationStrategy.CURSOR);
            runner.setProperty(IncrementalApiFetch.CURSOR_POINTER, "/next_cursor");
            runner.setProperty(IncrementalApiFetch.CURSOR_PARAMETER, "after");
            runner.setProperty(IncrementalApiFetch.MAX_PAGES_PER_TRIGGER, "3");
            runner.getStateManager().setState(saved, Scope.CLUSTER);
            runner.run();
            drain(runner);
            saved = state(runner);
        }
        assertEquals(Instant.parse(T0).plusSeconds(4999).toString(), saved.get(FetchState.WATERMARK), "the run escaped every loop and completed");
        assertTableEmittedWithoutDuplicates(api);
        assertEmittedExactlyOnce(new HashSet<>(api.table().keySet()));
    }

    // ---- case 8: loop-detection state is bounded ----

    @Test
    void case8LoopDetectionStateStaysSmallOverALongBackfill() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.CURSOR);
        for (int i = 0; i < 100; i++) {
            api.add(padded(i), Instant.parse(T0).plusSeconds(i).toString());
        }
        final TestRunner runner = runner(start(api), IncrementalApiFetch.PaginationStrategy.CURSOR);
        runner.setProperty(IncrementalApiFetch.CURSOR_POINTER, "/next_cursor");
        runner.setProperty(IncrementalApiFetch.CURSOR_PARAMETER, "after");
        runner.setProperty(IncrementalApiFetch.PAGE_SIZE, "1");
        runner.setProperty(IncrementalApiFetch.MAX_PAGES_PER_TRIGGER, "20");
        int largest = 0;
        for (int trigger = 0; trigger < 6; trigger++) {
            runner.run(1, false, trigger == 0);
            final String positions = state(runner).getOrDefault(FetchState.RUN_POSITIONS, "");
            largest = Math.max(largest, positions.isEmpty() ? 0 : positions.split(",").length);
        }
        drain(runner);
        assertEmittedExactlyOnce(new HashSet<>(api.table().keySet()));
        assertTrue(largest <= io.datasync.nifi.fetch.LoopGuard.RECENT, "positions stored: " + largest);
    }

    // ---- case 5: credentials never reach another origin ----

    @Test
    void case5LinkHeaderToAnotherOriginIsNotFollowedAndNothingIsSentThere() throws IOException {
        final MockWebServer elsewhere = foreign();
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.LINK);
        api.addMany(150, "k", T0);
        api.enqueueFirst(page(records("k", 100) + "}").setHeader("Link", "<" + elsewhere.url("/steal?page_info=100") + ">; rel=\"next\""));
        final MockWebServer server = start(api);
        final TestRunner runner = runner(server, IncrementalApiFetch.PaginationStrategy.LINK_HEADER);
        withCredentials(runner);

        runner.run();

        assertEquals(0, elsewhere.getRequestCount(), "nothing is sent to the other origin");
        assertEquals(List.of(), drain(runner), "the page whose link cannot be followed is not emitted");
        assertTrue(runner.isYieldCalled());
        assertTrue(RunnerLogs.lines(runner, true).stream().anyMatch(line -> line.contains("Allowed Origins") && line.contains(elsewhere.getPort() + "")),
                RunnerLogs.lines(runner, true).toString());
        assertEquals(Map.of(), state(runner), "state is not advanced");

        // The API is fixed (its own links again): the run carries on with nothing lost or repeated.
        runner.run();
        drain(runner);
        assertEmittedExactlyOnce(ids("k", 150));
        assertEquals(0, elsewhere.getRequestCount());
    }

    @Test
    void case5AnAllowedOriginIsFollowed() throws IOException {
        final MockWebServer other = start(new FakeRecordApi(FakeRecordApi.Paging.LINK));
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.LINK);
        api.enqueueFirst(page(records("a", 2) + "}").setHeader("Link", "<" + other.url("/items?page_info=0") + ">; rel=\"next\""));
        final TestRunner runner = runner(start(api), IncrementalApiFetch.PaginationStrategy.LINK_HEADER);
        runner.setProperty(IncrementalApiFetch.ALLOWED_ORIGINS, "https://api2.example.com, " + other.url("/").toString().replaceAll("/$", ""));
        runner.assertValid();

        runner.run();

        assertEquals(1, other.getRequestCount());
        drain(runner);
        assertEmittedExactlyOnce(ids("a", 2));
    }

    @Test
    void case5CrossOriginRedirectIsRefusedWithoutSendingAnything() throws IOException {
        final MockWebServer elsewhere = foreign();
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.NONE);
        api.addMany(3, "r", T0);
        api.enqueueFirst(new MockResponse().setResponseCode(302).setHeader("Location", elsewhere.url("/items").toString()));
        final TestRunner runner = runner(start(api), IncrementalApiFetch.PaginationStrategy.NONE);
        runner.setProperty(IncrementalApiFetch.AUTHENTICATION_STRATEGY, IncrementalApiFetch.AuthenticationStrategy.API_KEY_QUERY);
        runner.setProperty(IncrementalApiFetch.API_KEY_NAME, "access_key");
        runner.setProperty(IncrementalApiFetch.API_KEY, SECRET);
        runner.setProperty(sensitiveDynamic("header.X-Api-Key"), "hk-" + SECRET);

        runner.run();

        assertEquals(0, elsewhere.getRequestCount(), "a redirect to another origin is not followed, with or without credentials");
        assertTrue(runner.isYieldCalled());
        assertTrue(RunnerLogs.lines(runner, true).stream().anyMatch(line -> line.contains("redirect refused")), RunnerLogs.lines(runner, true).toString());
        RunnerLogs.lines(runner, false).forEach(line -> assertFalse(line.contains(SECRET), line));
        assertEquals(Map.of(), state(runner));

        runner.run();
        drain(runner);
        assertEmittedExactlyOnce(ids("r", 3));
    }

    @Test
    void case5SameOriginRedirectIsFollowedWithCredentials() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.NONE);
        api.addMany(3, "r", T0);
        final MockWebServer server = start(api);
        api.enqueueFirst(new MockResponse().setResponseCode(307).setHeader("Location", "/items?moved=1&since=2000-01-01T00:00:00Z"));
        final TestRunner runner = runner(server, IncrementalApiFetch.PaginationStrategy.NONE);
        withCredentials(runner);

        runner.run();

        assertEquals(2, api.requests.size());
        final RecordedRequest redirected = api.requests.get(1);
        assertEquals("1", redirected.getRequestUrl().queryParameter("moved"));
        assertEquals("Bearer " + SECRET, redirected.getHeader("Authorization"));
        assertEquals("acme", redirected.getHeader("X-Tenant"));
        drain(runner);
        assertEmittedExactlyOnce(ids("r", 3));
    }

    @Test
    void case5RedirectLoopEndsTheRequest() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.NONE);
        for (int i = 0; i < 10; i++) {
            api.enqueueFirst(new MockResponse().setResponseCode(302).setHeader("Location", "/items"));
        }
        final TestRunner runner = runner(start(api), IncrementalApiFetch.PaginationStrategy.NONE);
        runner.run();
        assertTrue(api.requests.size() <= 6, "at most 5 redirects are followed: " + api.requests.size());
        assertTrue(RunnerLogs.lines(runner, true).stream().anyMatch(line -> line.contains("redirects")), RunnerLogs.lines(runner, true).toString());
    }

    // ---- case 9: a next URL that does not parse or is not HTTP ----

    @Test
    void case9UnparseableOrNonHttpNextUrlPausesTheRunWithoutWedgingIt() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.NEXT_URL);
        api.addMany(150, "n", T0);
        final MockWebServer server = start(api);
        api.enqueueFirst(page(records("n", 100) + ",\"next_url\":\"http://exa mple.com/%%zz\"}"));
        api.enqueueFirst(page(records("n", 100) + ",\"next_url\":\"file:///etc/passwd\"}"));
        final TestRunner runner = runner(server, IncrementalApiFetch.PaginationStrategy.NEXT_URL);
        runner.setProperty(IncrementalApiFetch.NEXT_URL_POINTER, "/next_url");

        runner.run();
        assertTrue(RunnerLogs.lines(runner, true).stream().anyMatch(line -> line.contains("not a valid URL")), RunnerLogs.lines(runner, true).toString());
        runner.run();
        assertTrue(RunnerLogs.lines(runner, true).stream().anyMatch(line -> line.contains("scheme is 'file'")), RunnerLogs.lines(runner, true).toString());
        assertEquals(List.of(), drain(runner));
        assertEquals(Map.of(), state(runner));

        runner.run();
        drain(runner);
        assertEmittedExactlyOnce(ids("n", 150));
    }

    @Test
    void case9AStoredNextUrlThatCannotBeUsedRestartsThePaginationInsteadOfFailingForever() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.LINK);
        api.addMany(150, "s", T0);
        final TestRunner runner = runner(start(api), IncrementalApiFetch.PaginationStrategy.LINK_HEADER);
        final Map<String, String> stale = new HashMap<>();
        stale.put(FetchState.RUN_ID, "old-run");
        stale.put(FetchState.RUN_PAGES, "1");
        stale.put(FetchState.RUN_NEXT_URL, "gopher://elsewhere.example/items?page_info=100");
        runner.getStateManager().setState(stale, Scope.CLUSTER);

        runner.run();

        assertTrue(RunnerLogs.lines(runner, true).stream().anyMatch(line -> line.contains("not a usable URL")), RunnerLogs.lines(runner, true).toString());
        drain(runner);
        assertEmittedExactlyOnce(ids("s", 150));
        assertEquals(T0, state(runner).get(FetchState.WATERMARK));
    }

    // ---- case 6: secrets never stored ----

    @Test
    void case6SensitiveQueryValueEchoedInTheNextUrlIsNeverStoredButStillSent() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.LINK);
        api.addMany(250, "e", T0);
        final TestRunner runner = runner(start(api), IncrementalApiFetch.PaginationStrategy.LINK_HEADER);
        runner.setProperty(sensitiveDynamic("query.hapi_secret"), SECRET);
        runner.setProperty(IncrementalApiFetch.AUTHENTICATION_STRATEGY, IncrementalApiFetch.AuthenticationStrategy.API_KEY_QUERY);
        runner.setProperty(IncrementalApiFetch.API_KEY_NAME, "access_key");
        runner.setProperty(IncrementalApiFetch.API_KEY, "ak-" + SECRET);
        runner.setProperty(IncrementalApiFetch.MAX_PAGES_PER_TRIGGER, "1");

        for (int trigger = 0; trigger < 4; trigger++) {
            runner.run();
            final Map<String, String> stored = state(runner);
            stored.values().forEach(value -> assertFalse(value.contains(SECRET), "state holds a secret: " + value));
            for (final MockFlowFile flowFile : runner.getFlowFilesForRelationship(IncrementalApiFetch.REL_SUCCESS)) {
                flowFile.getAttributes().values().forEach(value -> assertFalse(value.contains(SECRET), value));
            }
            runner.getProvenanceEvents().forEach(event -> assertFalse(event.getTransitUri().contains(SECRET), event.getTransitUri()));
            drain(runner);
        }
        assertNotNull(api.requests.get(1).getRequestUrl().queryParameter("page_info"), "the second request follows the stored next URL");
        for (final RecordedRequest request : api.requests) {
            assertEquals(SECRET, request.getRequestUrl().queryParameter("hapi_secret"), request.getRequestUrl().toString());
            assertEquals(1, request.getRequestUrl().queryParameterValues("hapi_secret").size());
            assertEquals("ak-" + SECRET, request.getRequestUrl().queryParameter("access_key"));
        }
        assertEmittedExactlyOnce(ids("e", 250));
        RunnerLogs.lines(runner, false).forEach(line -> assertFalse(line.contains(SECRET), line));
    }

    // ---- case 3: one bad record does not stop the feed ----

    @Test
    void case3SpaceSeparatedTimestampsAndColonlessOffsetsAreReadable() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.NONE);
        api.enqueueFirst(page("{\"data\":[{\"id\":\"a\",\"updated_at\":\"2026-12-01 19:36:33Z\"},"
                + "{\"id\":\"b\",\"updated_at\":\"2026-12-01T21:36:34+0200\"},{\"id\":\"c\",\"updated_at\":\"2026-12-01 21:36:35.5+02\"}]}"));
        final TestRunner runner = runner(start(api), IncrementalApiFetch.PaginationStrategy.NONE);
        runner.run();
        drain(runner);
        assertEmittedExactlyOnce(Set.of("a", "b", "c"));
        assertEquals("2026-12-01T19:36:35.500Z", state(runner).get(FetchState.WATERMARK));
    }

    @Test
    void case3StopRunNamesTheRecordsKeyAndEmitsNothing() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.NONE);
        api.enqueueFirst(page("{\"data\":[{\"id\":\"ok-1\",\"updated_at\":\"" + T0 + "\"},"
                + "{\"id\":\"cust-4711\",\"updated_at\":\"last tuesday\"}]}"));
        final TestRunner runner = runner(start(api), IncrementalApiFetch.PaginationStrategy.NONE);
        runner.run();
        assertEquals(List.of(), drain(runner));
        final List<String> errors = RunnerLogs.lines(runner, true);
        assertEquals(1, errors.size());
        assertTrue(errors.get(0).contains("Record 1 of the page (key 'cust-4711') has no readable watermark"), errors.get(0));
        assertTrue(errors.get(0).contains("Route to Failure"), errors.get(0));
        assertFalse(errors.get(0).contains("last tuesday"), "the value itself is not quoted");
        assertEquals(Set.of(IncrementalApiFetch.REL_SUCCESS), runner.getProcessor().getRelationships(), "no failure relationship to connect");
        assertEquals(Map.of(), state(runner));
    }

    @Test
    void case3RouteToFailureSendsTheRawRecordWithItsKeyAndReasonAndGoesOn() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.OFFSET);
        api.addMany(100, "g", T0);
        final StringBuilder first = new StringBuilder("{\"data\":[");
        final List<String> sorted = new ArrayList<>(ids("g", 100));
        sorted.sort(null);
        for (int i = 0; i < 50; i++) {
            first.append("{\"id\":\"").append(sorted.get(i)).append("\",\"updated_at\":\"").append(T0).append("\"},");
        }
        first.append("{\"id\":\"bad-1\",\"updated_at\":\"last tuesday\",\"email\":\"x@example.com\"},");
        first.append("{\"updated_at\":\"").append(T0).append("\",\"name\":\"no key\"}]}");
        api.enqueueFirst(page(first.toString()));
        final TestRunner runner = runner(start(api), IncrementalApiFetch.PaginationStrategy.OFFSET);
        runner.setProperty(IncrementalApiFetch.PAGE_SIZE, "52");
        runner.setProperty(IncrementalApiFetch.INVALID_RECORD_HANDLING, IncrementalApiFetch.InvalidRecordHandling.ROUTE_TO_FAILURE);
        assertTrue(runner.getProcessor().getRelationships().contains(IncrementalApiFetch.REL_FAILURE));

        runner.run();

        final List<MockFlowFile> failed = runner.getFlowFilesForRelationship(IncrementalApiFetch.REL_FAILURE);
        assertEquals(2, failed.size());
        failed.get(0).assertAttributeEquals(IncrementalApiFetch.INVALID_KEY, "bad-1");
        assertTrue(failed.get(0).getAttribute(IncrementalApiFetch.INVALID_REASON).contains("(key 'bad-1') has no readable watermark"));
        assertEquals(json("{\"id\":\"bad-1\",\"updated_at\":\"last tuesday\",\"email\":\"x@example.com\"}"),
                json(failed.get(0).getContent()), "the record as received");
        failed.get(1).assertAttributeNotExists(IncrementalApiFetch.INVALID_KEY);
        assertTrue(failed.get(1).getAttribute(IncrementalApiFetch.INVALID_REASON).contains("has no scalar record key"));
        drain(runner);
        // The scripted page held 50 of the table's records and 2 bad ones, so the next page did not start with its last
        // record (the overlap check): the run resumed from the safe watermark and got the rest of the table.
        assertEmittedExactlyOnce(ids("g", 100));
        assertEquals(T0, state(runner).get(FetchState.WATERMARK), "the run completed past the bad records");
        assertTrue(RunnerLogs.lines(runner, false).stream().noneMatch(line -> line.contains("x@example.com")));
        assertEquals(2L, runner.getCounterValue("IncrementalApiFetch records routed to failure"));
        assertEquals(100L, runner.getCounterValue("IncrementalApiFetch records emitted"));
        assertEquals(1L, runner.getCounterValue("IncrementalApiFetch runs completed"));
    }

    // ---- case 4: rate limits survive triggers ----

    @Test
    void case4RetryAfterLongerThanTheMaximumWaitIsHonouredByTheNextTriggerOnAnyNode() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.OFFSET);
        api.addMany(250, "q", T0);
        final MockWebServer server = start(api);
        final TestRunner primary = runner(server, IncrementalApiFetch.PaginationStrategy.OFFSET);
        final Clock start = Clock.fixed(Instant.parse("2026-12-01T12:00:00Z"), ZoneOffset.UTC);
        ((IncrementalApiFetch) primary.getProcessor()).clock = start;
        primary.setProperty(IncrementalApiFetch.MAX_PAGES_PER_TRIGGER, "1");
        primary.run();
        assertEquals(100, drain(primary).size());

        api.enqueueFirst(new MockResponse().setResponseCode(429).setHeader("Retry-After", "900"));
        primary.run();
        final int requestsSoFar = api.requests.size();
        assertEquals("2026-12-01T12:15:00Z", state(primary).get(FetchState.NOT_BEFORE));
        final List<String> warnings = RunnerLogs.lines(primary, false);
        assertTrue(warnings.stream().anyMatch(line -> line.contains("asked to wait 900 s, longer than Maximum Rate Limit Wait (60 s)")),
                warnings.toString());

        // The same processor at the next trigger, and another node that becomes primary with the cluster state: no request.
        primary.run();
        final TestRunner otherNode = runner(server, IncrementalApiFetch.PaginationStrategy.OFFSET);
        ((IncrementalApiFetch) otherNode.getProcessor()).clock = Clock.offset(start, Duration.ofSeconds(899));
        otherNode.setProperty(IncrementalApiFetch.MAX_PAGES_PER_TRIGGER, "5");
        otherNode.getStateManager().setState(state(primary), Scope.CLUSTER);
        otherNode.run();
        assertEquals(requestsSoFar, api.requests.size(), "nobody calls the API before the time it asked for");
        assertTrue(otherNode.isYieldCalled());

        ((IncrementalApiFetch) otherNode.getProcessor()).clock = Clock.offset(start, Duration.ofSeconds(900));
        otherNode.run();
        drain(otherNode);
        assertEmittedExactlyOnce(ids("q", 250));
        assertFalse(state(otherNode).containsKey(FetchState.NOT_BEFORE));
    }

    @Test
    void case4AnExhaustedBudgetLongerThanTheMaximumWaitIsStoredWithThePage() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.OFFSET);
        final Set<String> all = new HashSet<>();
        final StringBuilder firstPage = new StringBuilder("{\"data\":[");
        for (int i = 0; i < 150; i++) {
            final String id = String.format("b%03d", i);
            api.add(id, T0);
            all.add(id);
            if (i < 100) {
                firstPage.append(i == 0 ? "" : ",").append("{\"id\":\"").append(id).append("\",\"updated_at\":\"").append(T0).append("\"}");
            }
        }
        final MockWebServer server = start(api);
        final TestRunner runner = runner(server, IncrementalApiFetch.PaginationStrategy.OFFSET);
        final Clock start = Clock.fixed(Instant.parse("2026-12-01T12:00:00Z"), ZoneOffset.UTC);
        ((IncrementalApiFetch) runner.getProcessor()).clock = start;
        api.enqueueFirst(page(firstPage + "]}").setHeader("X-RateLimit-Remaining", "0").setHeader("Retry-After", "3600"));
        runner.run();
        assertEquals(100, drain(runner).size());
        assertEquals("2026-12-01T13:00:00Z", state(runner).get(FetchState.NOT_BEFORE));
        final int requests = api.requests.size();
        runner.run();
        assertEquals(requests, api.requests.size());
        ((IncrementalApiFetch) runner.getProcessor()).clock = Clock.offset(start, Duration.ofHours(1));
        runner.run();
        drain(runner);
        assertEmittedExactlyOnce(all);
    }

    // ---- case 10: honest 401 handling ----

    @Test
    void case10AProviderThatReturnsTheRefusedTokenAgainGetsNoPretendRefresh() throws Exception {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.NONE);
        api.addMany(2, "o", T0);
        api.requiredAuthorization = "Bearer something-else";
        final TestRunner runner = runner(start(api), IncrementalApiFetch.PaginationStrategy.NONE);
        final CachedTokenProvider provider = new CachedTokenProvider();
        runner.addControllerService("oauth", provider);
        runner.enableControllerService(provider);
        runner.setProperty(IncrementalApiFetch.AUTHENTICATION_STRATEGY, IncrementalApiFetch.AuthenticationStrategy.OAUTH2);
        runner.setProperty(IncrementalApiFetch.OAUTH2_ACCESS_TOKEN_PROVIDER, "oauth");

        runner.run();

        assertEquals(1, api.requests.size(), "the refused token is not sent a second time");
        assertTrue(runner.isYieldCalled());
        final List<String> errors = RunnerLogs.lines(runner, true);
        assertEquals(1, errors.size(), errors.toString());
        assertTrue(errors.get(0).contains("same access token") && errors.get(0).contains("disable and enable the OAuth2 Access Token Provider"),
                errors.get(0));
        assertFalse(errors.get(0).contains("cached-token"), "the token itself is never logged");
        assertEquals(Map.of(), state(runner));
    }

    @Test
    void case10StaticCredentialsRefusedSayWhatToChange() throws Exception {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.NONE);
        api.requiredAuthorization = "Bearer right";
        final TestRunner runner = runner(start(api), IncrementalApiFetch.PaginationStrategy.NONE);
        runner.setProperty(IncrementalApiFetch.AUTHENTICATION_STRATEGY, IncrementalApiFetch.AuthenticationStrategy.BEARER);
        runner.setProperty(IncrementalApiFetch.BEARER_TOKEN, "wrong");
        runner.run();
        assertEquals(1, api.requests.size());
        assertTrue(RunnerLogs.lines(runner, true).stream().anyMatch(line -> line.contains("HTTP 401") && line.contains("Update the credentials (Bearer Token)")),
                RunnerLogs.lines(runner, true).toString());
    }

    /** Like NiFi's standard provider: hands out its cached token until it expires. */
    private static final class CachedTokenProvider extends AbstractControllerService implements OAuth2AccessTokenProvider {
        @Override
        public AccessToken getAccessDetails() {
            return new AccessToken("cached-token", null, "Bearer", 3600, null);
        }
    }

    static String minutesAfterT0(final int minutes) {
        return Instant.parse(T0).plus(minutes, ChronoUnit.MINUTES).toString();
    }

    static JsonNode json(final String text) throws IOException {
        return MAPPER.readTree(text);
    }

    static JsonNode json(final byte[] bytes) throws IOException {
        return MAPPER.readTree(bytes);
    }
}
