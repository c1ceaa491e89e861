package io.datasync.nifi.processors;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockWebServer;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The HTTP peers of one test, bound to 127.0.0.1 only and shut down after the test whatever its outcome. Register as
 * an instance field: {@code @RegisterExtension final LocalServers servers = new LocalServers();}.
 */
final class LocalServers implements AfterEachCallback {

    private final List<MockWebServer> started = new ArrayList<>();

    /** A plain HTTP server answering through the dispatcher. */
    MockWebServer start(final Dispatcher dispatcher) throws IOException {
        final MockWebServer server = new MockWebServer();
        server.setDispatcher(dispatcher);
        server.start(InetAddress.getByName("127.0.0.1"), 0);
        started.add(server);
        return server;
    }

    /** An HTTPS server presenting the certificate the CA signed, answering from its queue. */
    MockWebServer startHttps(final LocalTlsAuthority ca) throws IOException {
        final MockWebServer server = ca.startHttpsServer("127.0.0.1");
        started.add(server);
        return server;
    }

    @Override
    public void afterEach(final ExtensionContext context) throws IOException {
        IOException failure = null;
        for (final MockWebServer server : started) {
            try {
                server.shutdown();
            } catch (final IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        started.clear();
        if (failure != null) {
            throw failure;
        }
    }
}
