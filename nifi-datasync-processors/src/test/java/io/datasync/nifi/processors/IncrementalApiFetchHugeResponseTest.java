package io.datasync.nifi.processors;

import io.datasync.nifi.processors.common.RunnerLogs;
import com.sun.net.httpserver.HttpServer;
import org.apache.nifi.components.state.Scope;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Case 7: a 500 MB page, generated lazily by the server, fails the run cleanly without filling the heap. */
class IncrementalApiFetchHugeResponseTest {

    private static final long HUGE = 500L * 1024 * 1024;

    private HttpServer server;
    private final AtomicLong written = new AtomicLong();

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(2));
        // A page that starts like a real one and then goes on for 500 MB of records, written as it is read.
        server.createContext("/chunked", exchange -> stream(exchange, 0));
        server.createContext("/declared", exchange -> stream(exchange, HUGE));
        server.start();
    }

    private void stream(final com.sun.net.httpserver.HttpExchange exchange, final long declaredLength) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, declaredLength);
        final byte[] chunk = new byte[64 * 1024];
        Arrays.fill(chunk, (byte) ' ');
        final byte[] head = "{\"data\":[{\"id\":\"1\",\"updated_at\":\"2024-03-01T10:00:00Z\"}".getBytes(StandardCharsets.UTF_8);
        System.arraycopy(head, 0, chunk, 0, head.length);
        try (OutputStream body = exchange.getResponseBody()) {
            for (long sent = 0; sent < HUGE; sent += chunk.length) {
                body.write(chunk);
                written.addAndGet(chunk.length);
                Arrays.fill(chunk, 0, head.length, (byte) ' ');
            }
        } catch (final IOException e) {
            // The client hung up: what the test expects.
        } finally {
            exchange.close();
        }
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }

    private TestRunner runner(final String path) {
        final TestRunner runner = TestRunners.newTestRunner(IncrementalApiFetch.class);
        runner.setProperty(IncrementalApiFetch.ENDPOINT_URL, "http://127.0.0.1:" + server.getAddress().getPort() + path);
        runner.setProperty(IncrementalApiFetch.RECORDS_POINTER, "/data");
        runner.setProperty(IncrementalApiFetch.PAGINATION_STRATEGY, IncrementalApiFetch.PaginationStrategy.NONE);
        runner.setProperty(IncrementalApiFetch.MAX_RESPONSE_SIZE, "4 MB");
        runner.setProperty(IncrementalApiFetch.READ_TIMEOUT, "20 sec");
        return runner;
    }

    private static long heapUsed() {
        System.gc();
        long used = 0;
        for (final MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                used += pool.getUsage().getUsed();
            }
        }
        return used;
    }

    private static long heapPeak() {
        long peak = 0;
        for (final MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak;
    }

    private void assertFailsCleanly(final TestRunner runner) throws IOException {
        final long before = heapUsed();
        ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
        final long started = System.nanoTime();

        runner.run();

        final long seconds = (System.nanoTime() - started) / 1_000_000_000L;
        assertEquals(0, runner.getFlowFilesForRelationship(IncrementalApiFetch.REL_SUCCESS).size());
        assertTrue(runner.isYieldCalled());
        final List<String> errors = RunnerLogs.lines(runner, true);
        assertEquals(1, errors.size(), errors.toString());
        assertTrue(errors.get(0).contains("Maximum Response Size of 4194304 bytes"), errors.get(0));
        assertEquals(Map.of(), runner.getStateManager().getState(Scope.CLUSTER).toMap(), "state not advanced");
        assertTrue(written.get() < 64L * 1024 * 1024, "the client stopped reading early; server wrote " + written.get() + " bytes");
        assertTrue(seconds < 15, "took " + seconds + " s");
        // The heap peak includes everything the JVM did meanwhile; a 500 MB body would show as hundreds of MB.
        final long growth = heapPeak() - before;
        assertTrue(growth < 128L * 1024 * 1024, "heap peak grew by " + growth / (1024 * 1024) + " MB");
    }

    @Test
    void aStreamedBodyPastTheLimitIsCutOff() throws IOException {
        assertFailsCleanly(runner("/chunked"));
    }

    @Test
    void aBodyDeclaredLargerThanTheLimitIsNotRead() throws IOException {
        assertFailsCleanly(runner("/declared"));
    }
}
