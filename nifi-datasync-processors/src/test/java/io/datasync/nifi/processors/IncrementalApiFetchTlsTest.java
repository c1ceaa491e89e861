package io.datasync.nifi.processors;

import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.security.util.TlsConfiguration;
import org.apache.nifi.ssl.SSLContextService;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509TrustManager;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTPS through an SSLContextService. The server certificate is generated with the JDK's keytool
 * for each run, so no key material is kept in the repository.
 */
class IncrementalApiFetchTlsTest {

    private static final char[] PASSWORD = "changeit".toCharArray();

    private MockWebServer server;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.shutdown();
        }
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
        final FixedSslContextService sslService = new FixedSslContextService(clientContext);
        runner.addControllerService("ssl", sslService);
        runner.enableControllerService(sslService);
        runner.setProperty(IncrementalApiFetch.SSL_CONTEXT_SERVICE, "ssl");
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

    /** Hands out a prepared SSLContext, as a configured StandardSSLContextService would. */
    private static final class FixedSslContextService extends AbstractControllerService implements SSLContextService {
        private final SSLContext context;

        FixedSslContextService(final SSLContext context) {
            this.context = context;
        }

        @Override
        public SSLContext createContext() {
            return context;
        }

        @Override
        public Optional<X509ExtendedKeyManager> createKeyManager() {
            return Optional.empty();
        }

        @Override
        public X509TrustManager createTrustManager() {
            throw new UnsupportedOperationException("not used by IncrementalApiFetch");
        }

        @Override
        public TlsConfiguration createTlsConfiguration() {
            throw new UnsupportedOperationException("not used by IncrementalApiFetch");
        }

        @Override
        public String getTrustStoreFile() {
            return null;
        }

        @Override
        public String getTrustStoreType() {
            return null;
        }

        @Override
        public String getTrustStorePassword() {
            return null;
        }

        @Override
        public boolean isTrustStoreConfigured() {
            return true;
        }

        @Override
        public String getKeyStoreFile() {
            return null;
        }

        @Override
        public String getKeyStoreType() {
            return null;
        }

        @Override
        public String getKeyStorePassword() {
            return null;
        }

        @Override
        public String getKeyPassword() {
            return null;
        }

        @Override
        public boolean isKeyStoreConfigured() {
            return false;
        }

        @Override
        public String getSslAlgorithm() {
            return "TLS";
        }
    }
}
