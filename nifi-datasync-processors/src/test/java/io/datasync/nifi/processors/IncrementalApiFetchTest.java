package io.datasync.nifi.processors;

import io.datasync.nifi.processors.common.RunnerLogs;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.datasync.nifi.fetch.FetchState;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import okhttp3.mockwebserver.SocketPolicy;
import org.apache.nifi.components.state.Scope;
import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.oauth2.AccessToken;
import org.apache.nifi.oauth2.OAuth2AccessTokenProvider;
import org.apache.nifi.provenance.ProvenanceEventRecord;
import org.apache.nifi.provenance.ProvenanceEventType;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IncrementalApiFetchTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String T0 = "2024-03-01T10:00:00Z";

    @RegisterExtension
    final LocalServers servers = new LocalServers();
    private final List<Duration> sleeps = new CopyOnWriteArrayList<>();
    private final List<String> emittedIds = new ArrayList<>();

    private MockWebServer start(final FakeRecordApi api) throws IOException {
        return servers.start(api);
    }

    private TestRunner runner(final MockWebServer server, final FakeRecordApi.Paging paging) {
        final IncrementalApiFetch processor = new IncrementalApiFetch();
        processor.sleeper = sleeps::add;
        final TestRunner runner = TestRunners.newTestRunner(processor);
        runner.setProperty(IncrementalApiFetch.ENDPOINT_URL, server.url("/items").toString());
        runner.setProperty(IncrementalApiFetch.RECORDS_POINTER, "/data");
        runner.setProperty(IncrementalApiFetch.RECORD_KEY_POINTER, "/id");
        runner.setProperty(IncrementalApiFetch.WATERMARK_POINTER, "/updated_at");
        runner.setProperty(IncrementalApiFetch.WATERMARK_PARAMETER, "since");
        runner.setProperty(IncrementalApiFetch.PAGE_SIZE_PARAMETER, "limit");
        runner.setProperty(IncrementalApiFetch.PAGE_SIZE, "100");
        runner.setProperty(IncrementalApiFetch.READ_TIMEOUT, "3 sec");
        runner.setProperty(IncrementalApiFetch.INITIAL_RETRY_BACKOFF, "1 ms");
        runner.setProperty(IncrementalApiFetch.MAX_RETRY_BACKOFF, "4 ms");
        configurePaging(runner, paging);
        return runner;
    }

    private static void configurePaging(final TestRunner runner, final FakeRecordApi.Paging paging) {
        switch (paging) {
            case NONE -> runner.setProperty(IncrementalApiFetch.PAGINATION_STRATEGY, IncrementalApiFetch.PaginationStrategy.NONE);
            case LINK -> runner.setProperty(IncrementalApiFetch.PAGINATION_STRATEGY, IncrementalApiFetch.PaginationStrategy.LINK_HEADER);
            case NEXT_URL -> {
                runner.setProperty(IncrementalApiFetch.PAGINATION_STRATEGY, IncrementalApiFetch.PaginationStrategy.NEXT_URL);
                runner.setProperty(IncrementalApiFetch.NEXT_URL_POINTER, "/next_url");
            }
            case CURSOR, LOOPING_CURSOR -> {
                runner.setProperty(IncrementalApiFetch.PAGINATION_STRATEGY, IncrementalApiFetch.PaginationStrategy.CURSOR);
                runner.setProperty(IncrementalApiFetch.CURSOR_POINTER, "/next_cursor");
                runner.setProperty(IncrementalApiFetch.CURSOR_PARAMETER, "after");
            }
            case STARTING_AFTER -> {
                runner.setProperty(IncrementalApiFetch.PAGINATION_STRATEGY, IncrementalApiFetch.PaginationStrategy.CURSOR);
                runner.setProperty(IncrementalApiFetch.CURSOR_SOURCE, IncrementalApiFetch.CursorSource.LAST_RECORD);
                runner.setProperty(IncrementalApiFetch.CURSOR_POINTER, "/id");
                runner.setProperty(IncrementalApiFetch.CURSOR_PARAMETER, "starting_after");
            }
            case PAGE -> runner.setProperty(IncrementalApiFetch.PAGINATION_STRATEGY, IncrementalApiFetch.PaginationStrategy.PAGE_NUMBER);
            case OFFSET -> runner.setProperty(IncrementalApiFetch.PAGINATION_STRATEGY, IncrementalApiFetch.PaginationStrategy.OFFSET);
        }
    }

    /** Collects the ids of all FlowFiles now in success, then clears the transfer state. */
    private List<String> drain(final TestRunner runner) throws IOException {
        final List<String> ids = new ArrayList<>();
        for (final MockFlowFile flowFile : runner.getFlowFilesForRelationship(IncrementalApiFetch.REL_SUCCESS)) {
            final JsonNode array = MAPPER.readTree(flowFile.getContent());
            assertEquals(Integer.toString(array.size()), flowFile.getAttribute(IncrementalApiFetch.RECORD_COUNT));
            assertEquals("application/json", flowFile.getAttribute("mime.type"));
            array.forEach(record -> ids.add(record.get("id").asText()));
        }
        runner.clearTransferState();
        emittedIds.addAll(ids);
        return ids;
    }

    private void assertEmittedExactlyOnce(final Set<String> expected) {
        assertEquals(expected.size(), emittedIds.size(), "records emitted (duplicates would exceed the expected count)");
        assertEquals(expected, new HashSet<>(emittedIds));
    }

    private static Set<String> ids(final String prefix, final int count) {
        final Set<String> ids = new HashSet<>();
        for (int i = 0; i < count; i++) {
            ids.add(prefix + i);
        }
        return ids;
    }

    private static String minutesAfterT0(final int minutes) {
        return Instant.parse(T0).plus(minutes, ChronoUnit.MINUTES).toString();
    }

    private static String state(final TestRunner runner, final String key) throws IOException {
        return runner.getStateManager().getState(Scope.CLUSTER).get(key);
    }

    @ParameterizedTest
    @EnumSource(value = FakeRecordApi.Paging.class, names = {"NONE", "LINK", "NEXT_URL", "CURSOR", "PAGE", "OFFSET", "STARTING_AFTER"})
    void everyPaginationStrategyFetchesEveryRecordOnce(final FakeRecordApi.Paging paging) throws IOException {
        final FakeRecordApi api = new FakeRecordApi(paging);
        for (int i = 0; i < 250; i++) {
            api.add("r" + i, minutesAfterT0(i));
        }
        final TestRunner runner = runner(start(api), paging);

        runner.run();

        final List<MockFlowFile> flowFiles = runner.getFlowFilesForRelationship(IncrementalApiFetch.REL_SUCCESS);
        assertEquals(paging == FakeRecordApi.Paging.NONE ? 1 : 3, flowFiles.size());
        assertEquals("1", flowFiles.get(0).getAttribute(IncrementalApiFetch.PAGE_NUMBER));
        assertEquals(minutesAfterT0(0), flowFiles.get(0).getAttribute(IncrementalApiFetch.WATERMARK_MIN));
        drain(runner);
        assertEmittedExactlyOnce(ids("r", 250));
        assertEquals(minutesAfterT0(249), state(runner, FetchState.WATERMARK));
        assertNull(state(runner, FetchState.RUN_ID), "run complete");

        // The next run asks from the watermark inclusive and emits nothing new.
        runner.run();
        assertTrue(drain(runner).isEmpty());
        final RecordedRequest last = api.requests.get(api.requests.size() - 1);
        assertTrue(last.getRequestUrl().toString().contains("since=" + minutesAfterT0(249).replace(":", "%3A")), last.getRequestUrl().toString());
    }

    @Test
    void twoHundredFiftyRecordsWithOneTimestampAcrossThreeRunsAreEmittedOnce() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.OFFSET);
        api.addMany(100, "a", T0);
        final TestRunner runner = runner(start(api), FakeRecordApi.Paging.OFFSET);

        runner.run();
        assertEquals(100, drain(runner).size());
        api.addMany(100, "b", T0);
        runner.run();
        assertEquals(100, drain(runner).size());
        api.addMany(50, "c", T0);
        runner.run();
        assertEquals(50, drain(runner).size());
        runner.run();
        assertEquals(0, drain(runner).size());

        final Set<String> expected = ids("a", 100);
        expected.addAll(ids("b", 100));
        expected.addAll(ids("c", 50));
        assertEmittedExactlyOnce(expected);
        assertEquals(T0, state(runner, FetchState.WATERMARK));
    }

    @Test
    void tiesAcrossPageBoundariesWithAPageCapResumeAtTheSavedPosition() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.LINK);
        api.addMany(250, "t", T0);
        final TestRunner runner = runner(start(api), FakeRecordApi.Paging.LINK);
        runner.setProperty(IncrementalApiFetch.MAX_PAGES_PER_TRIGGER, "1");

        runner.run();
        assertEquals(100, drain(runner).size());
        assertNotNull(state(runner, FetchState.RUN_NEXT_URL), "position saved with the first page");
        assertNull(state(runner, FetchState.WATERMARK), "watermark advances only when the run completes");
        runner.run();
        assertEquals(100, drain(runner).size());
        runner.run();
        assertEquals(50, drain(runner).size());
        assertEquals(T0, state(runner, FetchState.WATERMARK));
        runner.run();
        assertEquals(0, drain(runner).size());
        assertEmittedExactlyOnce(ids("t", 250));
    }

    @Test
    void stopMidPaginationThenANewProcessorInstanceResumesFromState() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.CURSOR);
        api.addMany(250, "s", T0);
        final MockWebServer server = start(api);
        final TestRunner first = runner(server, FakeRecordApi.Paging.CURSOR);
        first.setProperty(IncrementalApiFetch.MAX_PAGES_PER_TRIGGER, "2");
        first.run();
        assertEquals(200, drain(first).size());
        final Map<String, String> saved = first.getStateManager().getState(Scope.CLUSTER).toMap();
        assertEquals("c200", saved.get(FetchState.RUN_NEXT_CURSOR));

        final TestRunner second = runner(server, FakeRecordApi.Paging.CURSOR);
        second.getStateManager().setState(saved, Scope.CLUSTER);
        second.run();
        final List<MockFlowFile> resumed = second.getFlowFilesForRelationship(IncrementalApiFetch.REL_SUCCESS);
        assertEquals(1, resumed.size());
        assertEquals("3", resumed.get(0).getAttribute(IncrementalApiFetch.PAGE_NUMBER));
        assertEquals(saved.get(FetchState.RUN_ID), resumed.get(0).getAttribute(IncrementalApiFetch.RUN_ID));
        drain(second);
        assertEmittedExactlyOnce(ids("s", 250));
        assertTrue(api.requests.get(api.requests.size() - 1).getRequestUrl().toString().contains("after=c200"));
    }

    @Test
    void recordCommittedLateWithinTheLookbackWindowIsPickedUp() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.OFFSET);
        api.add("early", minutesAfterT0(0));
        api.add("edge", minutesAfterT0(60));
        final TestRunner runner = runner(start(api), FakeRecordApi.Paging.OFFSET);
        runner.setProperty(IncrementalApiFetch.LOOKBACK_WINDOW, "30 min");

        runner.run();
        assertEquals(List.of("early", "edge"), drain(runner));
        assertEquals(minutesAfterT0(60), state(runner, FetchState.WATERMARK));

        // Committed after the first run, stamped before its watermark: inside and outside the lookback window.
        api.add("late", minutesAfterT0(45));
        api.add("too-late", minutesAfterT0(10));
        runner.run();
        assertEquals(List.of("late"), drain(runner));
        assertTrue(api.requests.get(api.requests.size() - 1).getRequestUrl().toString().contains("since=" + minutesAfterT0(30).replace(":", "%3A")));

        runner.run();
        assertEquals(List.of(), drain(runner), "versions inside the window are suppressed, not repeated");
    }

    @Test
    void settleDelayHoldsBackRecentRecordsSoALateCommitIsNotSkipped() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.OFFSET);
        final Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        api.add("settled", now.minus(Duration.ofHours(1)).toString());
        api.add("fresh", now.minus(Duration.ofMinutes(1)).toString());
        final TestRunner runner = runner(start(api), FakeRecordApi.Paging.OFFSET);
        runner.setProperty(IncrementalApiFetch.SETTLE_DELAY, "10 min");

        runner.run();
        assertEquals(List.of("settled"), drain(runner));
        assertEquals(now.minus(Duration.ofHours(1)).toString(), state(runner, FetchState.WATERMARK));

        api.add("late", now.minus(Duration.ofMinutes(20)).toString());
        runner.run();
        assertEquals(List.of("late"), drain(runner), "the fresh record stays deferred until it is older than the settle delay");
    }

    @Test
    void maximumRunSpanBackfillsInSlicesThatEachComplete() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.OFFSET);
        api.add("day0", T0);
        api.add("day2a", Instant.parse(T0).plus(Duration.ofDays(2)).toString());
        api.add("day2b", Instant.parse(T0).plus(Duration.ofDays(2)).toString());
        api.add("day5", Instant.parse(T0).plus(Duration.ofDays(5)).toString());
        final TestRunner runner = runner(start(api), FakeRecordApi.Paging.OFFSET);
        runner.setProperty(IncrementalApiFetch.INITIAL_WATERMARK, T0);
        runner.setProperty(IncrementalApiFetch.MAX_RUN_SPAN, "1 day");
        runner.setProperty(IncrementalApiFetch.UPPER_BOUND_PARAMETER, "until");
        runner.setProperty(IncrementalApiFetch.MAX_TRACKED_KEYS, "2");

        runner.run();
        assertEquals(List.of("day0"), drain(runner));
        assertEquals(Instant.parse(T0).plus(Duration.ofDays(1)).toString(), state(runner, FetchState.WATERMARK));
        assertTrue(api.requests.get(0).getRequestUrl().toString().contains("until=" + Instant.parse(T0).plus(Duration.ofDays(1)).plusSeconds(1).toString().replace(":", "%3A")));
        runner.run();
        assertEquals(List.of("day2a", "day2b"), drain(runner));
        for (int run = 0; run < 4; run++) {
            runner.run();
        }
        drain(runner);
        assertEmittedExactlyOnce(Set.of("day0", "day2a", "day2b", "day5"));
        assertEquals(Instant.parse(T0).plus(Duration.ofDays(6)).toString(), state(runner, FetchState.WATERMARK));
    }

    @Test
    void unsortedResponsesAdvanceToTheLargestWatermarkOfTheRun() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.STARTING_AFTER);
        api.newestFirst = true;
        for (int i = 0; i < 30; i++) {
            api.add("u" + i, minutesAfterT0(i * 7 % 30));
        }
        final TestRunner runner = runner(start(api), FakeRecordApi.Paging.STARTING_AFTER);
        runner.setProperty(IncrementalApiFetch.PAGE_SIZE, "8");

        runner.run();
        drain(runner);
        assertEmittedExactlyOnce(ids("u", 30));
        assertEquals(minutesAfterT0(29), state(runner, FetchState.WATERMARK));
    }

    @Test
    void retryAfterInSecondsIsHonoured() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.NONE);
        api.addMany(3, "x", T0);
        api.enqueueFirst(new MockResponse().setResponseCode(429).setHeader("Retry-After", "7"));
        final TestRunner runner = runner(start(api), FakeRecordApi.Paging.NONE);

        runner.run();
        assertEquals(3, drain(runner).size());
        assertEquals(List.of(Duration.ofSeconds(7)), sleeps);
        assertFalse(runner.isYieldCalled());
        assertEquals(1L, runner.getCounterValue("IncrementalApiFetch pages fetched"));
        assertEquals(3L, runner.getCounterValue("IncrementalApiFetch records emitted"));
        assertEquals(1L, runner.getCounterValue("IncrementalApiFetch rate-limit waits"));
        assertEquals(1L, runner.getCounterValue("IncrementalApiFetch runs completed"));
        assertNull(runner.getCounterValue("IncrementalApiFetch rate-limit pauses"));
        assertNull(runner.getCounterValue("IncrementalApiFetch runs halted"));
        assertNull(runner.getCounterValue("IncrementalApiFetch records routed to failure"));
    }

    @Test
    void retryAfterAsHttpDateIsHonoured() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.NONE);
        api.addMany(3, "x", T0);
        final String in30Seconds = DateTimeFormatter.RFC_1123_DATE_TIME.format(Instant.now().plusSeconds(30).atOffset(ZoneOffset.UTC));
        api.enqueueFirst(new MockResponse().setResponseCode(503).setHeader("Retry-After", in30Seconds));
        final TestRunner runner = runner(start(api), FakeRecordApi.Paging.NONE);

        runner.run();
        assertEquals(3, drain(runner).size());
        assertEquals(1, sleeps.size());
        assertTrue(sleeps.get(0).toSeconds() >= 25 && sleeps.get(0).toSeconds() <= 30, sleeps.toString());
    }

    @Test
    void rateLimitLongerThanTheMaximumWaitYieldsAndResumesWithoutLoss() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.PAGE);
        api.addMany(150, "p", T0);
        final MockResponse limited = new MockResponse().setResponseCode(429).setHeader("Retry-After", "600");
        final TestRunner runner = runner(start(api), FakeRecordApi.Paging.PAGE);
        runner.setProperty(IncrementalApiFetch.MAX_PAGES_PER_TRIGGER, "1");

        runner.run();
        assertEquals(100, drain(runner).size());
        final Map<String, String> afterFirstPage = runner.getStateManager().getState(Scope.CLUSTER).toMap();
        api.enqueueFirst(limited);
        runner.run();
        assertTrue(runner.isYieldCalled());
        assertEquals(0, drain(runner).size());
        final Map<String, String> afterLimit = new java.util.HashMap<>(runner.getStateManager().getState(Scope.CLUSTER).toMap());
        assertNotNull(afterLimit.remove(FetchState.NOT_BEFORE), "the wait is stored so that the next trigger honours it");
        assertEquals(afterFirstPage, afterLimit, "a rate limit loses no progress");
        assertTrue(sleeps.isEmpty(), "a 600 s wait is not slept through");
        assertTrue(runner.getLogger().getErrorMessages().isEmpty(), "a rate limit is not a failure");
        assertEquals(1L, runner.getCounterValue("IncrementalApiFetch rate-limit pauses"));
        assertNull(runner.getCounterValue("IncrementalApiFetch rate-limit waits"));
        assertEquals(1L, runner.getCounterValue("IncrementalApiFetch pages fetched"), "the limited request is no page");

        ((IncrementalApiFetch) runner.getProcessor()).clock = java.time.Clock.offset(java.time.Clock.systemUTC(), Duration.ofSeconds(601));
        runner.run();
        runner.run();
        drain(runner);
        assertEmittedExactlyOnce(ids("p", 150));
        assertEquals(150L, runner.getCounterValue("IncrementalApiFetch records emitted"));
    }

    @Test
    void serverErrorsAreRetriedWithBackoffThenSucceed() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.NONE);
        api.addMany(2, "e", T0);
        api.enqueueFirst(new MockResponse().setResponseCode(500));
        api.enqueueFirst(new MockResponse().setResponseCode(503));
        final TestRunner runner = runner(start(api), FakeRecordApi.Paging.NONE);

        runner.run();
        assertEquals(2, drain(runner).size());
        assertEquals(2, sleeps.size());
        assertTrue(sleeps.stream().allMatch(d -> d.toMillis() <= 4), sleeps.toString());
        assertEquals(3, api.requests.size());
        // Retries that succeed are counted and logged at INFO, never as warning bulletins on a healthy flow.
        assertEquals(2L, runner.getCounterValue("IncrementalApiFetch requests retried"));
        assertEquals(0, runner.getLogger().getWarnMessages().size());
        assertEquals(2, runner.getLogger().getInfoMessages().stream().filter(m -> m.getMsg().contains("Request to ")).count());
    }

    @Test
    void persistentServerErrorsStopTheRunWithoutAdvancingState() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.NONE);
        api.addMany(2, "e", T0);
        for (int i = 0; i < 4; i++) {
            api.enqueueFirst(new MockResponse().setResponseCode(502));
        }
        final TestRunner runner = runner(start(api), FakeRecordApi.Paging.NONE);
        runner.setProperty(IncrementalApiFetch.MAX_RETRIES, "3");

        runner.run();
        assertEquals(0, drain(runner).size());
        assertTrue(runner.isYieldCalled());
        assertEquals(1, runner.getLogger().getErrorMessages().size());
        assertTrue(RunnerLogs.lines(runner, false).get(0).contains("HTTP 502"), RunnerLogs.lines(runner, false).get(0));
        assertNull(state(runner, FetchState.WATERMARK));

        runner.run();
        assertEquals(2, drain(runner).size());
    }

    @Test
    void readTimeoutIsRetried() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.NONE);
        api.addMany(2, "r", T0);
        api.enqueueFirst(new MockResponse().setHeadersDelay(1500, TimeUnit.MILLISECONDS).setBody("[]"));
        final TestRunner runner = runner(start(api), FakeRecordApi.Paging.NONE);
        runner.setProperty(IncrementalApiFetch.READ_TIMEOUT, "600 ms");

        runner.run();
        assertEquals(2, drain(runner).size());
        assertTrue(RunnerLogs.lines(runner, false).stream().anyMatch(line -> line.contains("timed out")), RunnerLogs.lines(runner, false).toString());
    }

    @Test
    void connectionResetIsRetried() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.NONE);
        api.addMany(2, "c", T0);
        api.enqueueFirst(new MockResponse().setSocketPolicy(SocketPolicy.DISCONNECT_AFTER_REQUEST));
        final TestRunner runner = runner(start(api), FakeRecordApi.Paging.NONE);

        runner.run();
        assertEquals(2, drain(runner).size());
        assertTrue(api.requests.size() >= 2);
        assertFalse(runner.isYieldCalled());
    }

    @Test
    void loopingCursorResumesFromTheLastSafeWatermarkAndFetchesEverythingOnce() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.LOOPING_CURSOR);
        for (int i = 0; i < 5; i++) {
            api.add("l" + i, minutesAfterT0(i));
        }
        final TestRunner runner = runner(start(api), FakeRecordApi.Paging.LOOPING_CURSOR);
        runner.setProperty(IncrementalApiFetch.PAGE_SIZE, "1");

        runner.run();
        assertEquals(List.of("l0", "l1", "l2", "l3", "l4"), drain(runner));
        assertTrue(RunnerLogs.lines(runner, false).stream().anyMatch(line -> line.contains("pagination loop") && line.contains("resumes as a fresh query")),
                RunnerLogs.lines(runner, false).toString());
        assertEquals(minutesAfterT0(4), state(runner, FetchState.WATERMARK), "the run escaped the loop and completed");
        assertTrue(api.requests.size() <= 12, "requests: " + api.requests.size());
        final JsonNode stored = MAPPER.readTree(state(runner, FetchState.TRACKED_KEYS));
        assertEquals(1, stored.size(), "only the top of the window is stored: " + stored);

        runner.run();
        assertEquals(List.of(), drain(runner), "the next run repeats nothing");
    }

    @Test
    void loopingCursorWithoutAWatermarkParameterHaltsAndRepeatsNothing() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.LOOPING_CURSOR);
        for (int i = 0; i < 5; i++) {
            api.add("l" + i, minutesAfterT0(i));
        }
        final TestRunner runner = runner(start(api), FakeRecordApi.Paging.LOOPING_CURSOR);
        runner.removeProperty(IncrementalApiFetch.WATERMARK_PARAMETER);
        runner.setProperty(IncrementalApiFetch.PAGE_SIZE, "1");

        runner.run(1, false, true);
        assertEquals(List.of("l0", "l1", "l2"), drain(runner));
        assertTrue(runner.isYieldCalled());
        assertTrue(RunnerLogs.lines(runner, false).stream().anyMatch(line -> line.contains("pagination loop") && line.contains("halted")), RunnerLogs.lines(runner, false).toString());
        assertNull(state(runner, FetchState.WATERMARK), "a looping run never completes");
        assertNotNull(state(runner, FetchState.RUN_HALTED));
        final int requests = api.requests.size();
        assertTrue(requests <= 4);

        // Later triggers of the running processor send nothing until an operator acts.
        runner.run(3, false, false);
        assertEquals(requests, api.requests.size());
        assertTrue(RunnerLogs.lines(runner, false).stream().anyMatch(line -> line.contains("is halted")), RunnerLogs.lines(runner, false).toString());
        assertEquals(List.of(), drain(runner));

        // runner.run() stops and starts the processor: the operator's retry. The same instance keeps the run's lower versions in memory.
        runner.run();
        assertEquals(List.of(), drain(runner), "restarting the run repeats nothing");
        assertNotNull(state(runner, FetchState.RUN_HALTED), "and it halts again at the loop");
        assertEquals(2L, runner.getCounterValue("IncrementalApiFetch runs halted"));
        assertEquals(3L, runner.getCounterValue("IncrementalApiFetch records emitted"));
        assertNull(runner.getCounterValue("IncrementalApiFetch runs completed"));
    }

    @Test
    void malformedPageStopsTheRunAndTheNextTriggerResumes() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.OFFSET);
        api.addMany(150, "m", T0);
        final MockWebServer server = start(api);
        final TestRunner runner = runner(server, FakeRecordApi.Paging.OFFSET);
        runner.setProperty(IncrementalApiFetch.MAX_PAGES_PER_TRIGGER, "1");
        runner.run();
        assertEquals(100, drain(runner).size());

        api.enqueueFirst(new MockResponse().setBody("{\"data\": [{\"id\": \"m100\", \"updated_at\""));
        runner.run();
        assertEquals(0, drain(runner).size());
        assertTrue(runner.isYieldCalled());
        assertTrue(RunnerLogs.lines(runner, false).stream().anyMatch(line -> line.contains("Malformed page")));
        assertEquals("99", state(runner, FetchState.RUN_NEXT_NUMBER), "the next page starts with the last record again (overlap check)");

        runner.setProperty(IncrementalApiFetch.MAX_PAGES_PER_TRIGGER, "5");
        runner.run();
        drain(runner);
        assertEmittedExactlyOnce(ids("m", 150));
    }

    @Test
    void recordWithoutWatermarkIsAMalformedPage() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.NONE);
        api.enqueueFirst(new MockResponse().setBody("{\"data\": [{\"id\": \"1\", \"updated_at\": \"last tuesday\"}]}"));
        final TestRunner runner = runner(start(api), FakeRecordApi.Paging.NONE);
        runner.run();
        assertEquals(0, drain(runner).size());
        assertTrue(RunnerLogs.lines(runner, false).stream().anyMatch(line -> line.contains("no readable watermark")));
    }

    @Test
    void oauth2TokenIsRefreshedOnceOn401() throws Exception {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.NONE);
        api.addMany(2, "o", T0);
        api.requiredAuthorization = "Bearer fresh-token";
        final TestRunner runner = runner(start(api), FakeRecordApi.Paging.NONE);
        final RotatingTokenProvider provider = new RotatingTokenProvider();
        runner.addControllerService("oauth", provider);
        runner.enableControllerService(provider);
        runner.setProperty(IncrementalApiFetch.AUTHENTICATION_STRATEGY, IncrementalApiFetch.AuthenticationStrategy.OAUTH2);
        runner.setProperty(IncrementalApiFetch.OAUTH2_ACCESS_TOKEN_PROVIDER, "oauth");

        runner.run();
        assertEquals(2, drain(runner).size());
        assertEquals(List.of("Bearer stale-token", "Bearer fresh-token"), api.requests.stream().map(r -> r.getHeader("Authorization")).toList());
    }

    @Test
    void secondOauth2RefusalFailsTheRun() throws Exception {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.NONE);
        api.requiredAuthorization = "Bearer never";
        final TestRunner runner = runner(start(api), FakeRecordApi.Paging.NONE);
        final RotatingTokenProvider provider = new RotatingTokenProvider();
        runner.addControllerService("oauth", provider);
        runner.enableControllerService(provider);
        runner.setProperty(IncrementalApiFetch.AUTHENTICATION_STRATEGY, IncrementalApiFetch.AuthenticationStrategy.OAUTH2);
        runner.setProperty(IncrementalApiFetch.OAUTH2_ACCESS_TOKEN_PROVIDER, "oauth");

        runner.run();
        assertEquals(2, api.requests.size());
        assertTrue(runner.isYieldCalled());
        assertTrue(RunnerLogs.lines(runner, false).stream().anyMatch(line -> line.contains("HTTP 401")));
    }

    @Test
    void apiKeyNeverAppearsInAttributesProvenanceStateOrLogs() throws IOException {
        final String secret = "sk_live_Q8zS3cr3tKey";
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.LINK);
        api.addMany(150, "k", T0);
        api.enqueueFirst(new MockResponse().setResponseCode(500));
        final TestRunner runner = runner(start(api), FakeRecordApi.Paging.LINK);
        runner.setProperty(IncrementalApiFetch.AUTHENTICATION_STRATEGY, IncrementalApiFetch.AuthenticationStrategy.API_KEY_QUERY);
        runner.setProperty(IncrementalApiFetch.API_KEY_NAME, "access_key");
        runner.setProperty(IncrementalApiFetch.API_KEY, secret);
        runner.setProperty("query.segment", "vip");
        runner.setProperty("header.X-Tenant", "acme");

        runner.run();

        assertTrue(api.requests.stream().allMatch(r -> secret.equals(r.getRequestUrl().queryParameter("access_key"))),
                api.requests.stream().map(r -> r.getRequestUrl().toString()).toList().toString());
        assertEquals("vip", api.requests.get(1).getRequestUrl().queryParameter("segment"));
        assertEquals("acme", api.requests.get(1).getHeader("X-Tenant"));
        final List<MockFlowFile> flowFiles = runner.getFlowFilesForRelationship(IncrementalApiFetch.REL_SUCCESS);
        assertEquals(2, flowFiles.size());
        for (final MockFlowFile flowFile : flowFiles) {
            assertTrue(flowFile.getAttribute(IncrementalApiFetch.SOURCE_URL).contains("access_key=REDACTED"), flowFile.getAttribute(IncrementalApiFetch.SOURCE_URL));
            flowFile.getAttributes().values().forEach(value -> assertFalse(value.contains(secret)));
        }
        final List<ProvenanceEventRecord> events = runner.getProvenanceEvents();
        assertEquals(2, events.size());
        for (final ProvenanceEventRecord event : events) {
            assertEquals(ProvenanceEventType.RECEIVE, event.getEventType());
            assertTrue(event.getTransitUri().contains("/items?") && event.getTransitUri().contains("access_key=REDACTED"), event.getTransitUri());
            assertFalse(event.getTransitUri().contains(secret));
        }
        final List<String> lines = RunnerLogs.lines(runner, false);
        assertFalse(lines.isEmpty());
        lines.forEach(line -> assertFalse(line.contains(secret), line));
        runner.getStateManager().getState(Scope.CLUSTER).toMap().values().forEach(value -> assertFalse(value.contains(secret)));
        drain(runner);
        assertEmittedExactlyOnce(ids("k", 150));
    }

    @Test
    void staticCredentialsAreSentAsConfigured() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.NONE);
        api.addMany(1, "a", T0);
        final TestRunner runner = runner(start(api), FakeRecordApi.Paging.NONE);

        runner.setProperty(IncrementalApiFetch.AUTHENTICATION_STRATEGY, IncrementalApiFetch.AuthenticationStrategy.BASIC);
        runner.setProperty(IncrementalApiFetch.USERNAME, "sync");
        runner.setProperty(IncrementalApiFetch.PASSWORD, "pa55");
        runner.run();
        assertEquals("Basic c3luYzpwYTU1", api.requests.get(0).getHeader("Authorization"));

        runner.setProperty(IncrementalApiFetch.AUTHENTICATION_STRATEGY, IncrementalApiFetch.AuthenticationStrategy.BEARER);
        runner.setProperty(IncrementalApiFetch.BEARER_TOKEN, "tok-1");
        runner.run();
        assertEquals("Bearer tok-1", api.requests.get(1).getHeader("Authorization"));

        runner.setProperty(IncrementalApiFetch.AUTHENTICATION_STRATEGY, IncrementalApiFetch.AuthenticationStrategy.API_KEY_HEADER);
        runner.setProperty(IncrementalApiFetch.API_KEY_NAME, "X-Api-Key");
        runner.setProperty(IncrementalApiFetch.API_KEY, "key-1");
        runner.run();
        assertEquals("key-1", api.requests.get(2).getHeader("X-Api-Key"));
        assertNull(api.requests.get(2).getHeader("Authorization"));
        assertEquals(1, drain(runner).size(), "later runs suppress the record already emitted");
    }

    @Test
    void requestRateLimitSpacesRequests() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.LINK);
        api.addMany(30, "q", T0);
        final TestRunner runner = runner(start(api), FakeRecordApi.Paging.LINK);
        runner.setProperty(IncrementalApiFetch.PAGE_SIZE, "10");
        runner.setProperty(IncrementalApiFetch.REQUEST_RATE_LIMIT, "0.1");

        runner.run();
        assertEquals(30, drain(runner).size());
        assertEquals(2, sleeps.size(), sleeps.toString());
        // The sleeper records instead of sleeping, so the limiter's slots pile up: 10 s, then 20 s, less the time elapsed.
        assertTrue(sleeps.get(0).toMillis() > 5000 && sleeps.get(0).toMillis() <= 10000, sleeps.toString());
        assertTrue(sleeps.get(1).toMillis() > sleeps.get(0).toMillis() + 5000 && sleeps.get(1).toMillis() <= 20000, sleeps.toString());
    }

    @Test
    void exceedingMaximumTrackedKeysFailsLoudlyWithoutEmitting() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.OFFSET);
        api.addMany(150, "b", T0);
        final TestRunner runner = runner(start(api), FakeRecordApi.Paging.OFFSET);
        runner.setProperty(IncrementalApiFetch.MAX_TRACKED_KEYS, "120");

        runner.run();
        assertEquals(100, drain(runner).size());
        assertTrue(runner.isYieldCalled());
        assertTrue(RunnerLogs.lines(runner, false).stream().anyMatch(line -> line.contains("Maximum Tracked Keys")));
        assertEquals("99", state(runner, FetchState.RUN_NEXT_NUMBER), "state still describes exactly the emitted page (the next one starts with its last record)");
    }

    @Test
    void aRunLargerThanMaximumTrackedKeysCompletesWhenFewRecordsShareTheTopOfTheWindow() throws IOException {
        final FakeRecordApi api = new FakeRecordApi(FakeRecordApi.Paging.LINK);
        for (int i = 0; i < 300; i++) {
            api.add("w" + i, minutesAfterT0(i));
        }
        final TestRunner runner = runner(start(api), FakeRecordApi.Paging.LINK);
        runner.setProperty(IncrementalApiFetch.MAX_TRACKED_KEYS, "20");
        runner.setProperty(IncrementalApiFetch.LOOKBACK_WINDOW, "5 min");
        runner.setProperty(IncrementalApiFetch.PAGE_SIZE, "50");
        runner.setProperty(IncrementalApiFetch.MAX_PAGES_PER_TRIGGER, "1");

        for (int trigger = 0; trigger < 7; trigger++) {
            runner.run();
            final JsonNode stored = MAPPER.readTree(state(runner, FetchState.TRACKED_KEYS));
            int pairs = 0;
            for (final JsonNode keys : stored) {
                pairs += keys.size();
            }
            assertTrue(pairs <= 6, "state holds only the versions within the lookback of the largest watermark: " + stored);
        }
        drain(runner);
        assertEmittedExactlyOnce(ids("w", 300));
        assertEquals(minutesAfterT0(299), state(runner, FetchState.WATERMARK));
        assertTrue(RunnerLogs.lines(runner, false).stream().noneMatch(line -> line.contains("Maximum Tracked Keys")));

        // The next run re-reads the lookback window and repeats none of it.
        runner.run();
        assertEquals(List.of(), drain(runner));
    }

    @Test
    void postSearchWithCursorInTheBody() throws Exception {
        final AtomicInteger calls = new AtomicInteger();
        final MockWebServer server = servers.start(new okhttp3.mockwebserver.Dispatcher() {
            @Override
            public MockResponse dispatch(final RecordedRequest request) {
                final int call = calls.getAndIncrement();
                final String body = call == 0
                        ? "{\"results\":[{\"id\":\"1\",\"updatedAt\":\"2024-03-01T10:00:00.000Z\"}],\"paging\":{\"next\":{\"after\":\"1\"}}}"
                        : "{\"results\":[{\"id\":\"2\",\"updatedAt\":\"2024-03-01T11:00:00.000Z\"}]}";
                return new MockResponse().setBody(body);
            }
        });
        final IncrementalApiFetch processor = new IncrementalApiFetch();
        final TestRunner runner = TestRunners.newTestRunner(processor);
        runner.setProperty(IncrementalApiFetch.ENDPOINT_URL, server.url("/crm/v3/objects/contacts/search").toString());
        runner.setProperty(IncrementalApiFetch.HTTP_METHOD, IncrementalApiFetch.HttpMethod.POST);
        runner.setProperty(IncrementalApiFetch.REQUEST_BODY_TEMPLATE,
                "{\"filterGroups\":[{\"filters\":[{\"propertyName\":\"lastmodifieddate\",\"operator\":\"GTE\",\"value\":{{watermark}}}]}],"
                        + "\"limit\":{{pageSize}},\"after\":{{cursor}}}");
        runner.setProperty(IncrementalApiFetch.RECORDS_POINTER, "/results");
        runner.setProperty(IncrementalApiFetch.WATERMARK_POINTER, "/updatedAt");
        runner.setProperty(IncrementalApiFetch.WATERMARK_PARAMETER_FORMAT, IncrementalApiFetch.ParameterFormat.EPOCH_MILLIS);
        runner.setProperty(IncrementalApiFetch.INITIAL_WATERMARK, "2024-03-01T00:00:00Z");
        runner.setProperty(IncrementalApiFetch.PAGINATION_STRATEGY, IncrementalApiFetch.PaginationStrategy.CURSOR);
        runner.setProperty(IncrementalApiFetch.CURSOR_POINTER, "/paging/next/after");
        runner.setProperty(IncrementalApiFetch.PAGE_SIZE, "50");
        runner.assertValid();

        runner.run();

        assertEquals(2, drain(runner).size());
        final RecordedRequest first = server.takeRequest();
        final RecordedRequest second = server.takeRequest();
        assertEquals("POST", first.getMethod());
        final JsonNode firstBody = MAPPER.readTree(first.getBody().readUtf8());
        assertEquals(1709251200000L, firstBody.at("/filterGroups/0/filters/0/value").longValue());
        assertEquals(50, firstBody.get("limit").intValue());
        assertTrue(firstBody.get("after").isNull());
        assertEquals("1", MAPPER.readTree(second.getBody().readUtf8()).get("after").asText());
        assertEquals("2024-03-01T11:00:00Z", state(runner, FetchState.WATERMARK));
    }

    @Test
    void configurationIsValidated() throws IOException {
        final TestRunner runner = runner(start(new FakeRecordApi(FakeRecordApi.Paging.NONE)), FakeRecordApi.Paging.NONE);
        runner.assertValid();
        runner.setProperty(IncrementalApiFetch.WATERMARK_POINTER, "updated_at");
        runner.assertNotValid();
        runner.setProperty(IncrementalApiFetch.WATERMARK_POINTER, "/updated_at");
        runner.setProperty("segment", "vip");
        runner.assertNotValid();
        runner.removeProperty("segment");
        runner.setProperty(IncrementalApiFetch.INITIAL_WATERMARK, "yesterday");
        runner.assertNotValid();
        runner.setProperty(IncrementalApiFetch.INITIAL_WATERMARK, "2024-01-01T00:00:00+01:00");
        runner.assertValid();
        runner.setProperty(IncrementalApiFetch.PAGINATION_STRATEGY, IncrementalApiFetch.PaginationStrategy.CURSOR);
        runner.setProperty(IncrementalApiFetch.CURSOR_POINTER, "/next");
        runner.assertNotValid();
        runner.setProperty(IncrementalApiFetch.CURSOR_PARAMETER, "after");
        runner.assertValid();
    }

    /** Hands out a stale token first and fresh ones after, like a provider whose cached token was revoked. */
    private static final class RotatingTokenProvider extends AbstractControllerService implements OAuth2AccessTokenProvider {
        private final AtomicInteger calls = new AtomicInteger();

        @Override
        public AccessToken getAccessDetails() {
            final String token = calls.getAndIncrement() == 0 ? "stale-token" : "fresh-token";
            return new AccessToken(token, null, "Bearer", 3600, null);
        }
    }
}
