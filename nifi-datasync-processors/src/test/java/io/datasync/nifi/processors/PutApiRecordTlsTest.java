package io.datasync.nifi.processors;

import io.datasync.nifi.processors.common.RunnerLogs;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.net.ssl.SSLContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PutApiRecord to an API behind a private CA (made at run time with keytool): the records are sent when the SSL
 * Context Service trusts that CA; without it (the JVM's default trust) or trusting another CA nothing is sent, the
 * FlowFile goes to 'retry' unchanged with putapi.reason naming the TLS failure, and the API key reaches no one.
 */
class PutApiRecordTlsTest {

    private static final String API_KEY = "esp-tls-secret-key-4711";
    private static final String RECORDS = "[{\"email\":\"a@x.org\",\"name\":\"A\"},{\"email\":\"b@x.org\",\"name\":\"B\"}]";

    @RegisterExtension
    final LocalServers servers = new LocalServers();
    private final List<Duration> sleeps = new CopyOnWriteArrayList<>();

    private TestRunner runner(final String url, final SSLContext trust) throws Exception {
        final PutApiRecord processor = new PutApiRecord();
        processor.sleeper = sleeps::add;
        final TestRunner runner = TestRunners.newTestRunner(processor);
        JsonRecordServices.configure(runner, PutApiRecord.RECORD_READER.getName(), PutApiRecord.RECORD_WRITER.getName());
        if (trust != null) {
            FixedSslContextService.configure(runner, PutApiRecord.SSL_CONTEXT_SERVICE, trust);
        }
        runner.setProperty(PutApiRecord.ENDPOINT_URL, url);
        runner.setProperty(PutApiRecord.REQUEST_BODY_TEMPLATE, "{\"members\": {{records}}}");
        runner.setProperty(PutApiRecord.BATCH_SIZE, "10");
        runner.setProperty(PutApiRecord.ITEM_KEY_POINTER, "/email");
        runner.setProperty(PutApiRecord.AUTHENTICATION_STRATEGY, PutApiRecord.AuthenticationStrategy.API_KEY_HEADER);
        runner.setProperty(PutApiRecord.API_KEY_NAME, "X-Api-Key");
        runner.setProperty(PutApiRecord.API_KEY, API_KEY);
        runner.setProperty(PutApiRecord.READ_TIMEOUT, "3 sec");
        runner.setProperty(PutApiRecord.INITIAL_RETRY_BACKOFF, "1 ms");
        runner.setProperty(PutApiRecord.MAX_RETRY_BACKOFF, "4 ms");
        return runner;
    }

    @Test
    void sendsToAnApiBehindAPrivateCaWhenTheServiceTrustsIt() throws Exception {
        final LocalTlsAuthority ca = LocalTlsAuthority.shared("private");
        final MockWebServer esp = servers.startHttps(ca);
        esp.enqueue(new MockResponse().setBody("{}"));
        final TestRunner runner = runner(esp.url("/v1/members").toString(), ca.clientContext());
        runner.enqueue(RECORDS);

        runner.run();

        runner.assertAllFlowFilesTransferred(PutApiRecord.REL_SUCCESS, 1);
        final RecordedRequest request = esp.takeRequest(5, TimeUnit.SECONDS);
        assertEquals(API_KEY, request.getHeader("X-Api-Key"), "the key goes to the trusted API, inside TLS");
        assertTrue(request.getBody().readString(StandardCharsets.UTF_8).contains("b@x.org"));
        assertTrue(request.getRequestUrl().isHttps());
    }

    @Test
    void withoutTheServiceThePrivateCaIsNotTrustedAndTheBatchGoesToRetryUnsent() throws Exception {
        final LocalTlsAuthority ca = LocalTlsAuthority.shared("private");
        final MockWebServer esp = servers.startHttps(ca);
        esp.enqueue(new MockResponse().setBody("{}"));
        // No SSL Context Service: the JVM's default trust store, which does not hold the private CA.
        final TestRunner runner = runner(esp.url("/v1/members").toString(), null);
        runner.enqueue(RECORDS, Map.of("batch", "1"));

        runner.run();

        assertRetriedUnsent(runner, esp);
    }

    @Test
    void aServiceTrustingAnotherCaSendsNothingEither() throws Exception {
        final LocalTlsAuthority ca = LocalTlsAuthority.shared("private");
        final LocalTlsAuthority other = LocalTlsAuthority.shared("other");
        final MockWebServer esp = servers.startHttps(ca);
        esp.enqueue(new MockResponse().setBody("{}"));
        final TestRunner runner = runner(esp.url("/v1/members").toString(), other.clientContext());
        runner.enqueue(RECORDS, Map.of("batch", "1"));

        runner.run();

        assertRetriedUnsent(runner, esp);
    }

    private static void assertRetriedUnsent(final TestRunner runner, final MockWebServer esp) {
        runner.assertAllFlowFilesTransferred(PutApiRecord.REL_RETRY, 1);
        final MockFlowFile retried = runner.getFlowFilesForRelationship(PutApiRecord.REL_RETRY).get(0);
        retried.assertContentEquals(RECORDS);
        retried.assertAttributeEquals("batch", "1");
        final String reason = retried.getAttribute(PutApiRecord.REASON);
        assertTrue(reason != null && reason.contains("SSLHandshakeException"), "reason names the TLS failure: " + reason);
        assertFalse(reason.contains(API_KEY));
        // The handshake fails before a single HTTP byte: no request, so neither the key nor a record, reached the server.
        assertEquals(0, esp.getRequestCount(), "no request reached the server");
        runner.getFlowFilesForRelationship(PutApiRecord.REL_RETRY).forEach(flowFile ->
                flowFile.getAttributes().values().forEach(value -> assertFalse(value.contains(API_KEY))));
        assertTrue(RunnerLogs.lines(runner, false).stream().noneMatch(line -> line.contains(API_KEY)), "the API key is in no log line");
    }

    @Test
    void aRedirectToAnotherHttpsHostIsNotFollowedEvenWhenItsCertificateIsTrusted() throws Exception {
        final LocalTlsAuthority ca = LocalTlsAuthority.shared("private");
        final MockWebServer esp = servers.startHttps(ca);
        final MockWebServer elsewhere = servers.startHttps(ca);
        elsewhere.enqueue(new MockResponse().setBody("{}"));
        esp.enqueue(new MockResponse().setResponseCode(307).setHeader("Location", "https://localhost:" + elsewhere.getPort() + "/steal"));
        final TestRunner runner = runner(esp.url("/v1/members").toString(), ca.clientContext());
        runner.enqueue(RECORDS);

        runner.run();

        assertEquals(1, esp.getRequestCount());
        assertEquals(0, elsewhere.getRequestCount(), "the other host received no request, so no key and no record");
        runner.assertAllFlowFilesTransferred(PutApiRecord.REL_FAILURE, 1);
        final String reason = runner.getFlowFilesForRelationship(PutApiRecord.REL_FAILURE).get(0).getAttribute(PutApiRecord.REASON);
        assertTrue(reason.startsWith("redirect refused"), reason);
        assertTrue(RunnerLogs.lines(runner, false).stream().noneMatch(line -> line.contains(API_KEY)), "the API key is in no log line");
    }
}
