package io.datasync.nifi.processors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import okhttp3.mockwebserver.SocketPolicy;
import org.apache.nifi.provenance.ProvenanceEventRecord;
import org.apache.nifi.provenance.ProvenanceEventType;
import org.apache.nifi.util.LogMessage;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PutApiRecordTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String API_KEY = "esp-secret-key-4711";

    @RegisterExtension
    final LocalServers servers = new LocalServers();
    private final List<Duration> sleeps = new CopyOnWriteArrayList<>();
    private FakeEsp esp;
    private MockWebServer server;

    /**
     * A bulk member endpoint: answers {"errors": [...]} naming the rejected members, remembers each idempotency key's
     * response and answers a repeated key with it without applying the batch again, and can be told to answer the next
     * requests with given responses instead.
     */
    static final class FakeEsp extends Dispatcher {
        final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
        final Deque<MockResponse> scripted = new ArrayDeque<>();
        final Map<String, String> answered = new HashMap<>();
        final Map<String, Integer> appliedTimes = new HashMap<>();
        final Set<String> invalid = new HashSet<>();
        final Set<String> locked = new HashSet<>();

        @Override
        public synchronized MockResponse dispatch(final RecordedRequest request) {
            requests.add(request);
            if (!API_KEY.equals(request.getHeader("X-Api-Key"))) {
                return new MockResponse().setResponseCode(401);
            }
            if (!scripted.isEmpty()) {
                return scripted.poll();
            }
            final String key = request.getHeader("Idempotency-Key");
            if (key != null && answered.containsKey(key)) {
                return json(answered.get(key));
            }
            try {
                final JsonNode members = MAPPER.readTree(request.getBody().clone().readUtf8()).get("members");
                final ArrayNode errors = MAPPER.createArrayNode();
                for (final JsonNode member : members) {
                    final String email = member.get("email").asText();
                    if (invalid.contains(email)) {
                        errors.addObject().put("email", email.toUpperCase()).put("error", "invalid address").put("code", "INVALID");
                    } else if (locked.contains(email)) {
                        errors.addObject().put("email", email).put("error", "member busy").put("code", "LOCKED");
                    } else {
                        appliedTimes.merge(email, 1, Integer::sum);
                    }
                }
                final ObjectNode response = MAPPER.createObjectNode();
                response.set("errors", errors);
                if (key != null) {
                    answered.put(key, response.toString());
                }
                return json(response.toString());
            } catch (final IOException | RuntimeException e) {
                return new MockResponse().setResponseCode(400);
            }
        }

        static MockResponse json(final String body) {
            return new MockResponse().setHeader("Content-Type", "application/json").setBody(body);
        }
    }

    @BeforeEach
    void startEsp() throws IOException {
        esp = new FakeEsp();
        server = start(esp);
    }

    private MockWebServer start(final Dispatcher dispatcher) throws IOException {
        return servers.start(dispatcher);
    }

    private String endpoint() {
        return server.url("/lists/L1/members").toString();
    }

    private TestRunner runner() throws Exception {
        final PutApiRecord processor = new PutApiRecord();
        processor.sleeper = sleeps::add;
        final TestRunner runner = TestRunners.newTestRunner(processor);
        JsonRecordServices.configure(runner, PutApiRecord.RECORD_READER.getName(), PutApiRecord.RECORD_WRITER.getName());
        runner.setProperty(PutApiRecord.ENDPOINT_URL, endpoint());
        runner.setProperty(PutApiRecord.REQUEST_BODY_TEMPLATE, "{\"members\": {{records}}, \"update_existing\": true}");
        runner.setProperty(PutApiRecord.BATCH_SIZE, "2");
        runner.setProperty(PutApiRecord.ERRORS_POINTER, "/errors");
        runner.setProperty(PutApiRecord.ITEM_KEY_POINTER, "/email");
        runner.setProperty(PutApiRecord.ERROR_ITEM_KEY_POINTER, "/email");
        runner.setProperty(PutApiRecord.ERROR_REASON_POINTER, "/error");
        runner.setProperty(PutApiRecord.ERROR_CODE_POINTER, "/code");
        runner.setProperty(PutApiRecord.RETRYABLE_ERROR_CODES, "LOCKED, RATE");
        runner.setProperty(IncrementalApiFetch.AUTHENTICATION_STRATEGY, IncrementalApiFetch.AuthenticationStrategy.API_KEY_HEADER);
        runner.setProperty(IncrementalApiFetch.API_KEY_NAME, "X-Api-Key");
        runner.setProperty(IncrementalApiFetch.API_KEY, API_KEY);
        runner.setProperty(IncrementalApiFetch.READ_TIMEOUT, "3 sec");
        runner.setProperty(IncrementalApiFetch.INITIAL_RETRY_BACKOFF, "1 ms");
        runner.setProperty(IncrementalApiFetch.MAX_RETRY_BACKOFF, "4 ms");
        return runner;
    }

    /** Records {"email": ..., "name": ...} in that (alphabetical) order, so their compact JSON is also canonical. */
    private static String members(final String... emails) {
        final ArrayNode array = MAPPER.createArrayNode();
        for (final String email : emails) {
            array.addObject().put("email", email).put("name", "N " + email.charAt(0));
        }
        return array.toString();
    }

    private static List<String> emails(final MockFlowFile flowFile) throws IOException {
        final List<String> emails = new ArrayList<>();
        for (final JsonNode record : MAPPER.readTree(flowFile.getContent())) {
            emails.add(record.get("email").asText());
        }
        return emails;
    }

    private static List<String> sentEmails(final RecordedRequest request) throws IOException {
        final List<String> emails = new ArrayList<>();
        for (final JsonNode member : MAPPER.readTree(request.getBody().clone().readUtf8()).get("members")) {
            emails.add(member.get("email").asText());
        }
        return emails;
    }

    /** The key as the issue defines it, computed independently: SHA-256 of "METHOD URL\n" + the canonical records array. */
    private static String expectedKey(final String url, final String canonicalArray) throws Exception {
        final MessageDigest digest = MessageDigest.getInstance("SHA-256");
        return HexFormat.of().formatHex(digest.digest(("POST " + url + "\n" + canonicalArray).getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void sendsConsecutiveBatchesOfTheConfiguredSizeWithContentDerivedKeys() throws Exception {
        final TestRunner runner = runner();
        runner.enqueue(members("a@x.org", "b@x.org", "c@x.org", "d@x.org", "e@x.org"));
        runner.run();

        assertEquals(3, esp.requests.size());
        assertEquals(List.of("a@x.org", "b@x.org"), sentEmails(esp.requests.get(0)));
        assertEquals(List.of("c@x.org", "d@x.org"), sentEmails(esp.requests.get(1)));
        assertEquals(List.of("e@x.org"), sentEmails(esp.requests.get(2)));
        assertEquals("POST", esp.requests.get(0).getMethod());
        assertEquals(expectedKey(endpoint(), members("a@x.org", "b@x.org")), esp.requests.get(0).getHeader("Idempotency-Key"));
        assertEquals(expectedKey(endpoint(), members("e@x.org")), esp.requests.get(2).getHeader("Idempotency-Key"));
        assertTrue(esp.requests.get(0).getBody().clone().readUtf8().contains("\"update_existing\": true"));

        runner.assertAllFlowFilesTransferred(PutApiRecord.REL_SUCCESS, 1);
        final MockFlowFile success = runner.getFlowFilesForRelationship(PutApiRecord.REL_SUCCESS).get(0);
        assertEquals(List.of("a@x.org", "b@x.org", "c@x.org", "d@x.org", "e@x.org"), emails(success));
        success.assertAttributeEquals(PutApiRecord.RECORD_COUNT, "5");
        success.assertAttributeEquals(PutApiRecord.BATCHES, "3");
        success.assertAttributeEquals(PutApiRecord.STATUS_CODE, "200");
        final List<ProvenanceEventRecord> sends = runner.getProvenanceEvents().stream()
                .filter(event -> event.getEventType() == ProvenanceEventType.SEND).toList();
        assertEquals(1, sends.size());
        assertEquals(endpoint(), sends.get(0).getTransitUri());
        assertEquals(3, runner.getCounterValue(PutApiRecord.COUNTER_BATCHES));
        assertEquals(5, runner.getCounterValue(PutApiRecord.COUNTER_ACCEPTED));
    }

    @Test
    void rejectedItemsGoToFailureWithTheApiReasonAndRetryableOnesToRetry() throws Exception {
        esp.invalid.add("b@x.org");
        esp.locked.add("c@x.org");
        final TestRunner runner = runner();
        runner.enqueue(members("a@x.org", "b@x.org", "c@x.org", "d@x.org"));
        runner.run();

        assertEquals(List.of("a@x.org", "d@x.org"), emails(runner.getFlowFilesForRelationship(PutApiRecord.REL_SUCCESS).get(0)));
        final MockFlowFile failure = runner.getFlowFilesForRelationship(PutApiRecord.REL_FAILURE).get(0);
        assertEquals(List.of("b@x.org"), emails(failure));
        failure.assertAttributeEquals(PutApiRecord.REASON, "invalid address");
        failure.assertAttributeEquals(PutApiRecord.ERROR_CODE, "INVALID");
        final MockFlowFile retry = runner.getFlowFilesForRelationship(PutApiRecord.REL_RETRY).get(0);
        assertEquals(List.of("c@x.org"), emails(retry));
        retry.assertAttributeEquals(PutApiRecord.REASON, "member busy");
        assertTrue(retry.isPenalized());
        assertEquals(1, runner.getCounterValue(PutApiRecord.COUNTER_REJECTED));
        assertEquals(1, runner.getCounterValue(PutApiRecord.COUNTER_RETRY));
    }

    @Test
    void differentReasonsGiveSeparateFailureFlowFiles() throws Exception {
        esp.scripted.add(FakeEsp.json("{\"errors\":[{\"email\":\"a@x.org\",\"error\":\"bounced\"},{\"email\":\"b@x.org\",\"error\":\"fake\"}]}"));
        final TestRunner runner = runner();
        runner.enqueue(members("a@x.org", "b@x.org"));
        runner.run();
        final List<MockFlowFile> failures = runner.getFlowFilesForRelationship(PutApiRecord.REL_FAILURE);
        assertEquals(2, failures.size());
        assertEquals(Set.of("bounced", "fake"), Set.of(failures.get(0).getAttribute(PutApiRecord.REASON), failures.get(1).getAttribute(PutApiRecord.REASON)));
        runner.assertTransferCount(PutApiRecord.REL_SUCCESS, 0);
    }

    @Test
    void waitsOutA429AndResendsTheSameBatchWithTheSameKey() throws Exception {
        esp.scripted.add(new MockResponse().setResponseCode(429).setHeader("Retry-After", "2"));
        final TestRunner runner = runner();
        runner.enqueue(members("a@x.org", "b@x.org"));
        runner.run();

        assertEquals(2, esp.requests.size());
        assertEquals(esp.requests.get(0).getHeader("Idempotency-Key"), esp.requests.get(1).getHeader("Idempotency-Key"));
        assertTrue(sleeps.contains(Duration.ofSeconds(2)), sleeps.toString());
        runner.assertAllFlowFilesTransferred(PutApiRecord.REL_SUCCESS, 1);
        assertEquals(1, runner.getCounterValue(PutApiRecord.COUNTER_RATE_LIMIT_WAITS));
    }

    @Test
    void aRateLimitLongerThanAllowedSendsTheBatchAndTheRestToRetryUnsent() throws Exception {
        esp.scripted.add(new MockResponse().setResponseCode(429).setHeader("Retry-After", "3600"));
        final TestRunner runner = runner();
        runner.enqueue(members("a@x.org", "b@x.org", "c@x.org"));
        runner.run();

        assertEquals(1, esp.requests.size(), "nothing more is sent once the API asks for a long pause");
        final List<MockFlowFile> retries = runner.getFlowFilesForRelationship(PutApiRecord.REL_RETRY);
        final List<String> retried = new ArrayList<>();
        for (final MockFlowFile retry : retries) {
            retried.addAll(emails(retry));
            assertTrue(retry.isPenalized());
        }
        assertEquals(List.of("a@x.org", "b@x.org", "c@x.org"), retried);
        runner.assertTransferCount(PutApiRecord.REL_SUCCESS, 0);
        runner.assertTransferCount(PutApiRecord.REL_FAILURE, 0);
    }

    @Test
    void retriesA5xxWithTheSameKeyAndTheApiAppliesTheBatchOnce() throws Exception {
        esp.scripted.add(new MockResponse().setResponseCode(503));
        esp.scripted.add(new MockResponse().setResponseCode(500));
        final TestRunner runner = runner();
        runner.enqueue(members("a@x.org", "b@x.org"));
        runner.run();

        assertEquals(3, esp.requests.size());
        final Set<String> keys = new HashSet<>();
        esp.requests.forEach(request -> keys.add(request.getHeader("Idempotency-Key")));
        assertEquals(1, keys.size());
        runner.assertAllFlowFilesTransferred(PutApiRecord.REL_SUCCESS, 1);
        assertEquals(Map.of("a@x.org", 1, "b@x.org", 1), esp.appliedTimes);
    }

    /**
     * The ESP applies the batch, then the connection breaks before its answer arrives (a reset): the batch is sent
     * again with the same key, the ESP recognises the key, and every member is applied once.
     */
    @Test
    void aConnectionResetAfterTheEspAppliedTheBatchIsRetriedWithTheSameKeyAndAppliedOnce() throws Exception {
        server.setDispatcher(new Dispatcher() {
            private int count;

            @Override
            public MockResponse dispatch(final RecordedRequest request) throws InterruptedException {
                final MockResponse answer = esp.dispatch(request);
                return ++count == 1 ? answer.setSocketPolicy(SocketPolicy.DISCONNECT_AFTER_REQUEST) : answer;
            }
        });
        final TestRunner runner = runner();
        runner.enqueue(members("a@x.org", "b@x.org"));
        runner.run();

        assertEquals(2, esp.requests.size(), "the batch was sent again after the reset");
        assertEquals(esp.requests.get(0).getHeader("Idempotency-Key"), esp.requests.get(1).getHeader("Idempotency-Key"));
        assertEquals(Map.of("a@x.org", 1, "b@x.org", 1), esp.appliedTimes);
        runner.assertAllFlowFilesTransferred(PutApiRecord.REL_SUCCESS, 1);
        assertEquals(List.of("a@x.org", "b@x.org"), emails(runner.getFlowFilesForRelationship(PutApiRecord.REL_SUCCESS).get(0)));
        assertEquals(1, sleeps.size(), "one backoff before the second attempt: " + sleeps);
    }

    /**
     * The ESP applies the batch but answers later than the Read Timeout: the batch is sent again with the same key and
     * applied once; a batch that times out on every attempt goes to retry unchanged, never to success or failure.
     */
    @Test
    void aTimedOutAnswerIsRetriedWithTheSameKeyAndEndlessTimeoutsGoToRetry() throws Exception {
        final boolean[] slow = {true, false};
        server.setDispatcher(new Dispatcher() {
            private int count;

            @Override
            public MockResponse dispatch(final RecordedRequest request) throws InterruptedException {
                final MockResponse answer = esp.dispatch(request);
                return slow[Math.min(count++, 1)] ? answer.setHeadersDelay(2, java.util.concurrent.TimeUnit.SECONDS) : answer;
            }
        });
        final TestRunner runner = runner();
        runner.setProperty(IncrementalApiFetch.READ_TIMEOUT, "500 ms");
        runner.enqueue(members("a@x.org", "b@x.org"));
        runner.run();

        assertEquals(2, esp.requests.size());
        assertEquals(esp.requests.get(0).getHeader("Idempotency-Key"), esp.requests.get(1).getHeader("Idempotency-Key"));
        assertEquals(Map.of("a@x.org", 1, "b@x.org", 1), esp.appliedTimes);
        runner.assertAllFlowFilesTransferred(PutApiRecord.REL_SUCCESS, 1);

        // Every attempt times out: after Max Retries the records go to retry, penalised, with the reason.
        slow[1] = true;
        final TestRunner stuck = runner();
        stuck.setProperty(IncrementalApiFetch.READ_TIMEOUT, "500 ms");
        stuck.setProperty(PutApiRecord.MAX_RETRIES, "1");
        stuck.enqueue(members("c@x.org"));
        stuck.run();
        stuck.assertAllFlowFilesTransferred(PutApiRecord.REL_RETRY, 1);
        final MockFlowFile retry = stuck.getFlowFilesForRelationship(PutApiRecord.REL_RETRY).get(0);
        assertEquals(List.of("c@x.org"), emails(retry));
        assertTrue(retry.isPenalized());
        assertFalse(retry.getAttribute(PutApiRecord.REASON).isBlank());
        assertEquals(4, esp.requests.size(), "two attempts for the stuck batch");
    }

    @Test
    void exhausted5xxRetriesRouteToRetryAndTheRetriedFlowFileCarriesTheSameFirstBatchKey() throws Exception {
        final TestRunner runner = runner();
        runner.setProperty(PutApiRecord.MAX_RETRIES, "1");
        esp.scripted.add(new MockResponse().setResponseCode(502));
        esp.scripted.add(new MockResponse().setResponseCode(502));
        runner.enqueue(members("a@x.org", "b@x.org", "c@x.org"));
        runner.run();
        assertEquals(2, esp.requests.size());
        final String firstKey = esp.requests.get(0).getHeader("Idempotency-Key");
        final List<MockFlowFile> retries = runner.getFlowFilesForRelationship(PutApiRecord.REL_RETRY);
        assertFalse(retries.isEmpty());
        runner.assertTransferCount(PutApiRecord.REL_SUCCESS, 0);

        // The retry connection leads back: the same records, in order, cut into the same batches.
        final TestRunner again = runner();
        final List<String> retried = new ArrayList<>();
        for (final MockFlowFile retry : retries) {
            retried.addAll(emails(retry));
        }
        again.enqueue(members(retried.toArray(new String[0])));
        again.run();
        assertEquals(firstKey, esp.requests.get(2).getHeader("Idempotency-Key"));
        assertEquals(List.of("a@x.org", "b@x.org", "c@x.org"), emails(again.getFlowFilesForRelationship(PutApiRecord.REL_SUCCESS).get(0)));
    }

    @Test
    void aCrashMidFlowFileLosesNothingAndTheResentBatchIsNotAppliedTwice() throws Exception {
        // First start: batch 1 is applied, batch 2 meets a 503, and NiFi dies while waiting to retry it.
        final PutApiRecord crashing = new PutApiRecord();
        crashing.sleeper = duration -> {
            throw new IllegalStateException("simulated crash");
        };
        final TestRunner first = TestRunners.newTestRunner(crashing);
        copyConfiguration(runner(), first);
        final String content = members("a@x.org", "b@x.org", "c@x.org", "d@x.org");
        first.enqueue(content);
        esp.scripted.clear();
        final Dispatcher ordinary = esp;
        server.setDispatcher(new Dispatcher() {
            private int count;

            @Override
            public MockResponse dispatch(final RecordedRequest request) throws InterruptedException {
                return ++count == 2 ? recordAnd(request, new MockResponse().setResponseCode(503)) : ordinary.dispatch(request);
            }
        });
        assertThrows(Throwable.class, first::run);
        assertEquals(1, first.getQueueSize().getObjectCount(), "the FlowFile stays queued: its session was rolled back");
        first.assertTransferCount(PutApiRecord.REL_SUCCESS, 0);
        final String batchOneKey = esp.requests.get(0).getHeader("Idempotency-Key");

        // After the restart, a new processor instance sends the same FlowFile again.
        server.setDispatcher(esp);
        final TestRunner second = runner();
        second.enqueue(content);
        second.run();
        second.assertAllFlowFilesTransferred(PutApiRecord.REL_SUCCESS, 1);
        assertEquals(List.of("a@x.org", "b@x.org", "c@x.org", "d@x.org"), emails(second.getFlowFilesForRelationship(PutApiRecord.REL_SUCCESS).get(0)));
        final RecordedRequest resent = esp.requests.get(esp.requests.size() - 2);
        assertEquals(batchOneKey, resent.getHeader("Idempotency-Key"), "the re-sent batch carries the key of the first attempt");
        assertEquals(Map.of("a@x.org", 1, "b@x.org", 1, "c@x.org", 1, "d@x.org", 1), esp.appliedTimes);
    }

    private MockResponse recordAnd(final RecordedRequest request, final MockResponse response) {
        esp.requests.add(request);
        return response;
    }

    private static void copyConfiguration(final TestRunner from, final TestRunner to) throws Exception {
        JsonRecordServices.configure(to, PutApiRecord.RECORD_READER.getName(), PutApiRecord.RECORD_WRITER.getName());
        from.getProcessContext().getProperties().forEach((descriptor, value) -> {
            if (value != null && !descriptor.equals(PutApiRecord.RECORD_READER) && !descriptor.equals(PutApiRecord.RECORD_WRITER)) {
                to.setProperty(descriptor, value);
            }
        });
    }

    @Test
    void neverSendsCredentialsOrRecordsToAnotherOrigin() throws Exception {
        final FakeEsp elsewhere = new FakeEsp();
        final MockWebServer other = start(elsewhere);
        esp.scripted.add(new MockResponse().setResponseCode(307).setHeader("Location", other.url("/steal").toString()));
        final TestRunner runner = runner();
        runner.enqueue(members("a@x.org"));
        runner.run();

        assertEquals(0, elsewhere.requests.size());
        final MockFlowFile failure = runner.getFlowFilesForRelationship(PutApiRecord.REL_FAILURE).get(0);
        assertTrue(failure.getAttribute(PutApiRecord.REASON).startsWith("redirect refused"), failure.getAttribute(PutApiRecord.REASON));
        runner.assertTransferCount(PutApiRecord.REL_SUCCESS, 0);
    }

    @Test
    void followsA307WithinTheOriginKeepingMethodBodyAndKey() throws Exception {
        esp.scripted.add(new MockResponse().setResponseCode(307).setHeader("Location", "/lists/L1/members-v2"));
        final TestRunner runner = runner();
        runner.enqueue(members("a@x.org"));
        runner.run();
        assertEquals(2, esp.requests.size());
        assertEquals("/lists/L1/members-v2", esp.requests.get(1).getPath());
        assertEquals("POST", esp.requests.get(1).getMethod());
        assertEquals(esp.requests.get(0).getHeader("Idempotency-Key"), esp.requests.get(1).getHeader("Idempotency-Key"));
        runner.assertAllFlowFilesTransferred(PutApiRecord.REL_SUCCESS, 1);
    }

    @Test
    void a303WouldTurnThePushIntoAGetAndIsNotFollowed() throws Exception {
        esp.scripted.add(new MockResponse().setResponseCode(303).setHeader("Location", "/lists/L1"));
        final TestRunner runner = runner();
        runner.enqueue(members("a@x.org"));
        runner.run();
        assertEquals(1, esp.requests.size());
        runner.assertAllFlowFilesTransferred(PutApiRecord.REL_FAILURE, 1);
    }

    @Test
    void theApiKeyNeverAppearsInLogsOrAttributes() throws Exception {
        esp.scripted.add(new MockResponse().setResponseCode(401));
        esp.scripted.add(new MockResponse().setResponseCode(500));
        esp.scripted.add(new MockResponse().setResponseCode(500));
        esp.scripted.add(new MockResponse().setResponseCode(500));
        esp.scripted.add(new MockResponse().setResponseCode(500));
        final TestRunner runner = runner();
        runner.enqueue(members("a@x.org", "b@x.org", "c@x.org"));
        runner.run();
        runner.enqueue(members("d@x.org"));
        runner.run();
        final List<LogMessage> messages = new ArrayList<>(runner.getLogger().getErrorMessages());
        messages.addAll(runner.getLogger().getWarnMessages());
        messages.addAll(runner.getLogger().getInfoMessages());
        assertFalse(messages.isEmpty());
        for (final LogMessage message : messages) {
            assertFalse(String.valueOf(message.getMsg()).contains(API_KEY));
            assertFalse(String.valueOf(message.getMsg()).contains("a@x.org"), "no personal data in logs");
            for (final Object argument : message.getArgs()) {
                assertFalse(String.valueOf(argument).contains(API_KEY));
            }
        }
        for (final MockFlowFile flowFile : runner.getFlowFilesForRelationship(PutApiRecord.REL_RETRY)) {
            flowFile.getAttributes().values().forEach(value -> assertFalse(value.contains(API_KEY)));
        }
        runner.assertTransferCount(PutApiRecord.REL_SUCCESS, 0);
    }

    @Test
    void unauthorizedGoesToRetryNotFailure() throws Exception {
        final TestRunner runner = runner();
        runner.setProperty(IncrementalApiFetch.API_KEY, "wrong");
        runner.enqueue(members("a@x.org"));
        runner.run();
        runner.assertAllFlowFilesTransferred(PutApiRecord.REL_RETRY, 1);
        runner.getFlowFilesForRelationship(PutApiRecord.REL_RETRY).get(0).assertAttributeEquals(PutApiRecord.STATUS_CODE, "401");
    }

    @Test
    void aWholeBatch400GoesToFailure() throws Exception {
        esp.scripted.add(new MockResponse().setResponseCode(400).setBody("{\"title\":\"bad request\"}"));
        final TestRunner runner = runner();
        runner.enqueue(members("a@x.org", "b@x.org"));
        runner.run();
        runner.assertAllFlowFilesTransferred(PutApiRecord.REL_FAILURE, 1);
        assertEquals(List.of("a@x.org", "b@x.org"), emails(runner.getFlowFilesForRelationship(PutApiRecord.REL_FAILURE).get(0)));
    }

    @Test
    void recordsWithoutAnItemKeyAreNotSentAndGoToFailure() throws Exception {
        final TestRunner runner = runner();
        runner.enqueue("[{\"email\":\"a@x.org\",\"name\":\"A\"},{\"email\":\"  \",\"name\":\"B\"},{\"name\":\"C\"}]");
        runner.run();
        assertEquals(1, esp.requests.size());
        assertEquals(List.of("a@x.org"), sentEmails(esp.requests.get(0)));
        final MockFlowFile failure = runner.getFlowFilesForRelationship(PutApiRecord.REL_FAILURE).get(0);
        failure.assertAttributeEquals(PutApiRecord.RECORD_COUNT, "2");
        assertTrue(failure.getAttribute(PutApiRecord.REASON).contains("no item key"));
    }

    @Test
    void anOversizedResponseSendsTheBatchToRetry() throws Exception {
        esp.scripted.add(FakeEsp.json("{\"errors\":[], \"pad\":\"" + "x".repeat(4096) + "\"}"));
        final TestRunner runner = runner();
        runner.setProperty(PutApiRecord.MAX_RESPONSE_SIZE, "1 KB");
        runner.setProperty(PutApiRecord.MAX_RETRIES, "0");
        runner.enqueue(members("a@x.org"));
        runner.run();
        runner.assertAllFlowFilesTransferred(PutApiRecord.REL_RETRY, 1);
    }

    @Test
    void malformedJsonSendsTheBatchToRetryNeverSuccess() throws Exception {
        esp.scripted.add(FakeEsp.json("{\"errors\": [ {\"email\": "));
        final TestRunner runner = runner();
        runner.enqueue(members("a@x.org", "b@x.org", "c@x.org"));
        runner.run();
        runner.assertTransferCount(PutApiRecord.REL_SUCCESS, 0);
        final List<String> retried = new ArrayList<>();
        for (final MockFlowFile retry : runner.getFlowFilesForRelationship(PutApiRecord.REL_RETRY)) {
            retried.addAll(emails(retry));
        }
        assertEquals(List.of("a@x.org", "b@x.org", "c@x.org"), retried, "the batch and the batch not sent after it");
    }

    @Test
    void aMissingErrorsArrayOrAnUnknownItemFailsTheWholeBatchClosed() throws Exception {
        for (final String body : List.of("{\"ok\":true}", "{\"errors\":{}}", "{\"errors\":[{\"email\":\"stranger@x.org\",\"error\":\"?\"}]}",
                "{\"errors\":[\"a@x.org\"]}", "{\"errors\":[{\"error\":\"no key\"}]}", "[]")) {
            esp.scripted.add(FakeEsp.json(body));
            final TestRunner runner = runner();
            runner.enqueue(members("a@x.org", "b@x.org"));
            runner.run();
            runner.assertTransferCount(PutApiRecord.REL_SUCCESS, 0);
            runner.assertAllFlowFilesTransferred(PutApiRecord.REL_FAILURE, 1);
            assertEquals(List.of("a@x.org", "b@x.org"), emails(runner.getFlowFilesForRelationship(PutApiRecord.REL_FAILURE).get(0)), body);
            assertTrue(runner.getFlowFilesForRelationship(PutApiRecord.REL_FAILURE).get(0).getAttribute(PutApiRecord.REASON)
                    .startsWith("response unusable"), body);
        }
    }

    @Test
    void withoutAnErrorsPointerA2xxAcceptsTheWholeBatchAndPutCanBeUsed() throws Exception {
        final TestRunner runner = runner();
        runner.removeProperty(PutApiRecord.ERRORS_POINTER);
        runner.setProperty(PutApiRecord.HTTP_METHOD, PutApiRecord.PushMethod.PUT);
        runner.setProperty(PutApiRecord.IDEMPOTENCY_KEY_HEADER, "X-Batch-Key");
        runner.enqueue(members("a@x.org", "b@x.org", "c@x.org"));
        runner.run();
        assertEquals("PUT", esp.requests.get(0).getMethod());
        assertEquals(64, esp.requests.get(0).getHeader("X-Batch-Key").length());
        runner.assertAllFlowFilesTransferred(PutApiRecord.REL_SUCCESS, 1);
    }

    @Test
    void theSameRecordsInAnotherOrderOrWithAnotherValueGetAnotherKey() throws Exception {
        final TestRunner runner = runner();
        runner.setProperty(PutApiRecord.BATCH_SIZE, "10");
        runner.enqueue(members("a@x.org", "b@x.org"));
        runner.enqueue(members("b@x.org", "a@x.org"));
        runner.enqueue("[{\"name\":\"N a\",\"email\":\"a@x.org\"},{\"email\":\"b@x.org\",\"name\":\"N b\"}]");
        runner.run(3);
        assertNotEquals(esp.requests.get(0).getHeader("Idempotency-Key"), esp.requests.get(1).getHeader("Idempotency-Key"));
        assertEquals(esp.requests.get(0).getHeader("Idempotency-Key"), esp.requests.get(2).getHeader("Idempotency-Key"),
                "member order within a record does not change the canonical batch");
    }

    @Test
    void unreadableInputGoesToFailureUnchanged() throws Exception {
        final TestRunner runner = runner();
        runner.enqueue("not json at all {");
        runner.run();
        runner.assertAllFlowFilesTransferred(PutApiRecord.REL_FAILURE, 1);
        assertTrue(runner.getFlowFilesForRelationship(PutApiRecord.REL_FAILURE).get(0).getAttribute(PutApiRecord.REASON).startsWith("records could not be read"));
        assertEquals(0, esp.requests.size());
    }

    @Test
    void keysPlaceholderSendsTheItemKeysAndHeaderPropertiesAreSent() throws Exception {
        final TestRunner runner = runner();
        runner.removeProperty(PutApiRecord.ERRORS_POINTER);
        runner.setProperty(PutApiRecord.REQUEST_BODY_TEMPLATE, "{\"recipient_emails\": {{keys}}, \"n\": {{count}}}");
        runner.setProperty("header.revision", "2025-01-15");
        esp.scripted.add(FakeEsp.json("{}"));
        runner.enqueue("[{\"email\":\"a@x.org\"},{\"name\":\"no key\"},{\"email\":\"b@x.org\"}]");
        runner.run();
        final JsonNode body = MAPPER.readTree(esp.requests.get(0).getBody().clone().readUtf8());
        assertEquals("[\"a@x.org\",\"b@x.org\"]", body.get("recipient_emails").toString());
        assertEquals(2, body.get("n").asInt());
        assertEquals("2025-01-15", esp.requests.get(0).getHeader("revision"));
        assertEquals(1, runner.getFlowFilesForRelationship(PutApiRecord.REL_FAILURE).size(), "the record without a key is not sent");
        assertEquals(List.of("a@x.org", "b@x.org"), emails(runner.getFlowFilesForRelationship(PutApiRecord.REL_SUCCESS).get(0)));
    }

    @Test
    void onlyHeaderDynamicPropertiesAreValid() throws Exception {
        final TestRunner runner = runner();
        runner.setProperty("query.x", "1");
        runner.assertNotValid();
    }
}
