package io.datasync.nifi.processors;

import io.datasync.nifi.fetch.FetchState;
import io.datasync.nifi.processors.common.RunnerLogs;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import org.apache.nifi.components.state.Scope;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTPS through an SSLContextService. The server certificate is generated with the JDK's keytool
 * for each run, so no key material is kept in the repository. An API behind a private CA is fetched when the SSL
 * Context Service trusts that CA; without it (the JVM's default trust) or trusting another CA the fetch fails closed:
 * nothing emitted, no request (so no credential) reaches the server, the watermark is not advanced, and the error says why.
 */
class IncrementalApiFetchTlsTest {

    private static final char[] PASSWORD = "changeit".toCharArray();

    private static final String API_KEY = "crm-tls-secret-key-0815";
    private static final String PAGE = "{\"data\": [{\"id\":\"1\",\"updated_at\":\"2024-01-01T00:00:00Z\"}]}";

    private MockWebServer server;
    private final List<MockWebServer> others = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.shutdown();
        }
        for (final MockWebServer other : others) {
            other.shutdown();
        }
    }

    /** A fetch of {@code url} with an API key header, LINK_HEADER paging and, when {@code trust} is not null, that SSL context. */
    private static TestRunner privateApiRunner(final String url, final SSLContext trust) throws Exception {
        final TestRunner runner = TestRunners.newTestRunner(IncrementalApiFetch.class);
        if (trust != null) {
            FixedSslContextService.configure(runner, IncrementalApiFetch.SSL_CONTEXT_SERVICE, trust);
        }
        runner.setProperty(IncrementalApiFetch.ENDPOINT_URL, url);
        runner.setProperty(IncrementalApiFetch.RECORDS_POINTER, "/data");
        runner.setProperty(IncrementalApiFetch.WATERMARK_PARAMETER, "since");
        runner.setProperty(IncrementalApiFetch.PAGINATION_STRATEGY, IncrementalApiFetch.PaginationStrategy.LINK_HEADER);
        runner.setProperty(IncrementalApiFetch.AUTHENTICATION_STRATEGY, IncrementalApiFetch.AuthenticationStrategy.API_KEY_HEADER);
        runner.setProperty(IncrementalApiFetch.API_KEY_NAME, "X-Api-Key");
        runner.setProperty(IncrementalApiFetch.API_KEY, API_KEY);
        runner.setProperty(IncrementalApiFetch.MAX_RETRIES, "1");
        runner.setProperty(IncrementalApiFetch.INITIAL_RETRY_BACKOFF, "1 ms");
        runner.setProperty(IncrementalApiFetch.MAX_RETRY_BACKOFF, "4 ms");
        return runner;
    }

    @Test
    void fetchesAnApiBehindAPrivateCaWhenTheServiceTrustsIt() throws Exception {
        final LocalTlsAuthority ca = LocalTlsAuthority.shared("private");
        server = ca.startHttpsServer("127.0.0.1");
        server.enqueue(new MockResponse().setBody(PAGE));
        final TestRunner runner = privateApiRunner(server.url("/contacts").toString(), ca.clientContext());

        runner.run();

        runner.assertAllFlowFilesTransferred(IncrementalApiFetch.REL_SUCCESS, 1);
        assertEquals(1, server.getRequestCount());
        assertEquals(API_KEY, server.takeRequest(5, TimeUnit.SECONDS).getHeader("X-Api-Key"), "the key goes to the trusted API, inside TLS");
        assertEquals("2024-01-01T00:00:00Z", runner.getStateManager().getState(Scope.CLUSTER).get(FetchState.WATERMARK), "watermark advanced");
    }

    @Test
    void withoutTheServiceThePrivateCaIsNotTrustedAndTheFetchFailsClosed() throws Exception {
        final LocalTlsAuthority ca = LocalTlsAuthority.shared("private");
        server = ca.startHttpsServer("127.0.0.1");
        server.enqueue(new MockResponse().setBody(PAGE));
        // No SSL Context Service: the JVM's default trust store, which does not hold the private CA.
        final TestRunner runner = privateApiRunner(server.url("/contacts").toString(), null);

        runner.run();

        assertFailedClosed(runner);
    }

    @Test
    void aServiceTrustingAnotherCaFailsClosedToo() throws Exception {
        final LocalTlsAuthority ca = LocalTlsAuthority.shared("private");
        final LocalTlsAuthority other = LocalTlsAuthority.shared("other");
        server = ca.startHttpsServer("127.0.0.1");
        server.enqueue(new MockResponse().setBody(PAGE));
        final TestRunner runner = privateApiRunner(server.url("/contacts").toString(), other.clientContext());

        runner.run();

        assertFailedClosed(runner);

        // The operator points the service at the right CA: the same run fetches the page, nothing was lost.
        final TestRunner fixed = privateApiRunner(server.url("/contacts").toString(), ca.clientContext());
        fixed.getStateManager().setState(runner.getStateManager().getState(Scope.CLUSTER).toMap(), Scope.CLUSTER);
        fixed.run();
        fixed.assertAllFlowFilesTransferred(IncrementalApiFetch.REL_SUCCESS, 1);
        assertEquals("2024-01-01T00:00:00Z", fixed.getStateManager().getState(Scope.CLUSTER).get(FetchState.WATERMARK));
    }

    private void assertFailedClosed(final TestRunner runner) throws Exception {
        runner.assertTransferCount(IncrementalApiFetch.REL_SUCCESS, 0);
        assertTrue(runner.getFlowFilesForRelationship(IncrementalApiFetch.REL_SUCCESS).isEmpty(), "nothing fetched");
        // The handshake fails before a single HTTP byte: no request, so neither the key nor the watermark query, reached it.
        assertEquals(0, server.getRequestCount(), "no request reached the server");
        assertNull(runner.getStateManager().getState(Scope.CLUSTER).get(FetchState.WATERMARK), "watermark not advanced");
        assertTrue(runner.isYieldCalled());
        final List<String> errors = RunnerLogs.lines(runner, true);
        assertTrue(errors.stream().anyMatch(line -> line.contains("state not advanced") && line.contains("SSLHandshakeException")), errors.toString());
        assertTrue(RunnerLogs.lines(runner, false).stream().noneMatch(line -> line.contains(API_KEY)), "the API key is in no log line");
    }

    @Test
    void aNextPageLinkToAnotherHttpsHostReceivesNothingEvenWhenItsCertificateIsTrusted() throws Exception {
        final LocalTlsAuthority ca = LocalTlsAuthority.shared("private");
        server = ca.startHttpsServer("127.0.0.1");
        // Same CA, so TLS would succeed there: only the origin policy stands between the key and the other host.
        final MockWebServer elsewhere = ca.startHttpsServer("127.0.0.1");
        others.add(elsewhere);
        elsewhere.enqueue(new MockResponse().setBody("{\"data\": []}"));
        final String otherHost = "https://localhost:" + elsewhere.getPort() + "/steal?page=2";
        server.enqueue(new MockResponse().setBody(PAGE).setHeader("Link", "<" + otherHost + ">; rel=\"next\""));
        final TestRunner runner = privateApiRunner(server.url("/contacts").toString(), ca.clientContext());

        runner.run();

        assertEquals(1, server.getRequestCount());
        assertEquals(0, elsewhere.getRequestCount(), "the other host received no request, so no key");
        runner.assertTransferCount(IncrementalApiFetch.REL_SUCCESS, 0);
        assertNull(runner.getStateManager().getState(Scope.CLUSTER).get(FetchState.WATERMARK), "watermark not advanced");
        assertTrue(RunnerLogs.lines(runner, true).stream().anyMatch(line -> line.contains("Allowed Origins") && line.contains("localhost:" + elsewhere.getPort())),
                RunnerLogs.lines(runner, true).toString());
        assertTrue(RunnerLogs.lines(runner, false).stream().noneMatch(line -> line.contains(API_KEY)), "the API key is in no log line");
    }

    @Test
    void fetchesOverHttpsTrustingTheConfiguredContext(@TempDir final Path directory) throws Exception {
        final KeyStore keyStore = generateKeyStore(directory.resolve("server.p12"));
        final KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keyStore, PASSWORD);
        final SSLContext serverContext = SSLContext.getInstance("TLS");
        serverContext.init(keyManagers.getKeyManagers(), null, null);
        final TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustManagers.init(keyStore);
        final SSLContext clientContext = SSLContext.getInstance("TLS");
        clientContext.init(null, trustManagers.getTrustManagers(), null);

        server = new MockWebServer();
        server.useHttps(serverContext.getSocketFactory(), false);
        server.start(InetAddress.getByName("127.0.0.1"), 0);
        server.enqueue(new MockResponse().setBody("[{\"id\":\"1\",\"updated_at\":\"2024-01-01T00:00:00Z\"}]"));

        final TestRunner runner = TestRunners.newTestRunner(IncrementalApiFetch.class);
        FixedSslContextService.configure(runner, IncrementalApiFetch.SSL_CONTEXT_SERVICE, clientContext);
        runner.setProperty(IncrementalApiFetch.ENDPOINT_URL, server.url("/items").toString());
        runner.setProperty(IncrementalApiFetch.PAGINATION_STRATEGY, IncrementalApiFetch.PaginationStrategy.NONE);

        runner.run();

        runner.assertAllFlowFilesTransferred(IncrementalApiFetch.REL_SUCCESS, 1);
        assertTrue(runner.getFlowFilesForRelationship(IncrementalApiFetch.REL_SUCCESS).get(0).getAttribute(IncrementalApiFetch.SOURCE_URL).startsWith("https://"));
        assertEquals(1, server.getRequestCount());
    }

    private static KeyStore generateKeyStore(final Path file) throws Exception {
        final Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        final Process process = new ProcessBuilder(List.of(keytool.toString(), "-genkeypair", "-alias", "server", "-keyalg", "EC",
                "-groupname", "secp256r1", "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2",
                "-storetype", "PKCS12", "-keystore", file.toString(), "-storepass", new String(PASSWORD)))
                .redirectErrorStream(true).start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "keytool finished");
        assertEquals(0, process.exitValue(), new String(process.getInputStream().readAllBytes()));
        final KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            keyStore.load(in, PASSWORD);
        }
        return keyStore;
    }
}
