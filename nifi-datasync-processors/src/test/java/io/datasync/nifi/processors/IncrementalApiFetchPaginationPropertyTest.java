package io.datasync.nifi.processors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.datasync.nifi.fetch.FetchState;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.apache.nifi.components.state.Scope;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keyset and offset pagination against a model API whose records change while a run pages through
 * them, with ties, any page size, page caps and restarts that keep only the cluster state. The oracle
 * is the model's own table and history, not the product's code: every record's final version is
 * emitted, no version is emitted twice, and nothing is emitted that never existed.
 */
class IncrementalApiFetchPaginationPropertyTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Instant T0 = Instant.parse("2024-03-01T10:00:00Z");

    static {
        // Without it the JDK server's small writes wait for delayed ACKs; the test only gets slower.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    enum Strategy { KEYSET, OFFSET }

    @Property(tries = 40)
    void everyFinalVersionIsEmittedAndNoVersionTwice(@ForAll final Strategy strategy,
                                                     @ForAll @IntRange(min = 1, max = 60) final int records,
                                                     @ForAll @IntRange(min = 1, max = 4) final int tieSize,
                                                     @ForAll @IntRange(min = 5, max = 25) final int pageSize,
                                                     @ForAll @IntRange(min = 1, max = 4) final int pagesPerTrigger,
                                                     @ForAll @Size(max = 6) final List<@IntRange(min = 0, max = 100_000) Integer> updates,
                                                     @ForAll final boolean restartEveryTrigger) throws IOException {
        check(strategy, records, tieSize, pageSize, pagesPerTrigger, updates, restartEveryTrigger);
    }

    @Example
    void anUpdateBehindTheCurrentOffsetWithARestartEveryTrigger() throws IOException {
        check(Strategy.OFFSET, 40, 1, 10, 1, List.of(12 * 3 + 1, 12 * 7 + 2), true);
    }

    @Example
    void keysetWithTiesAcrossEveryPageBoundary() throws IOException {
        check(Strategy.KEYSET, 60, 4, 6, 2, List.of(12 * 10 + 1, 12 * 50 + 3, 12 * 59 + 3), true);
    }

    private static void check(final Strategy strategy, final int records, final int tieSize, final int pageSize, final int pagesPerTrigger,
                              final List<Integer> updates, final boolean restartEveryTrigger) throws IOException {
        final ModelApi api = new ModelApi();
        for (int i = 0; i < records; i++) {
            api.put(String.format("m%03d", i), T0.plusSeconds(60L * (i / tieSize)));
        }
        final HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        server.createContext("/items", api::handle);
        server.start();
        try {
            final List<String> emitted = new ArrayList<>();
            Map<String, String> state = Map.of();
            TestRunner runner = null;
            // Update u happens before trigger (u % 12) to record ((u / 12) % records), with a watermark above everything so far.
            final Map<Integer, List<Integer>> updatesByTrigger = new TreeMap<>();
            for (final int update : updates) {
                updatesByTrigger.computeIfAbsent(update % 12, ignored -> new ArrayList<>()).add((update / 12) % records);
            }
            final int lastUpdateTrigger = updatesByTrigger.isEmpty() ? -1 : ((TreeMap<Integer, List<Integer>>) updatesByTrigger).lastKey();
            int completedAfterLastUpdate = 0;
            for (int trigger = 0; completedAfterLastUpdate < 2; trigger++) {
                assertTrue(trigger < 600, "the fetch never settled");
                for (final int index : updatesByTrigger.getOrDefault(trigger, List.of())) {
                    api.put(String.format("m%03d", index), api.next());
                }
                if (runner == null || restartEveryTrigger) {
                    runner = runner(server, strategy, pageSize, pagesPerTrigger);
                    runner.getStateManager().setState(state, Scope.CLUSTER);
                }
                runner.run();
                for (final MockFlowFile flowFile : runner.getFlowFilesForRelationship(IncrementalApiFetch.REL_SUCCESS)) {
                    for (final JsonNode record : MAPPER.readTree(flowFile.getContent())) {
                        emitted.add(record.get("id").asText() + "@" + Instant.parse(record.get("updated_at").asText()));
                    }
                }
                runner.clearTransferState();
                assertTrue(runner.getLogger().getErrorMessages().isEmpty(), runner.getLogger().getErrorMessages().toString());
                state = runner.getStateManager().getState(Scope.CLUSTER).toMap();
                if (trigger >= lastUpdateTrigger && state.get(FetchState.RUN_ID) == null) {
                    completedAfterLastUpdate++;
                }
            }

            // The oracle: the model's table and history.
            final Set<String> distinct = new HashSet<>(emitted);
            assertEquals(distinct.size(), emitted.size(), "a version was emitted twice: " + emitted);
            for (final Map.Entry<String, Instant> row : api.table.entrySet()) {
                assertTrue(distinct.contains(row.getKey() + "@" + row.getValue()), "final version not emitted: " + row);
            }
            assertTrue(api.history.containsAll(distinct), "emitted a version that never existed");
            assertNull(state.get(FetchState.RUN_HALTED));
        } finally {
            server.stop(0);
        }
    }

    private static TestRunner runner(final HttpServer server, final Strategy strategy, final int pageSize, final int pagesPerTrigger) {
        final TestRunner runner = TestRunners.newTestRunner(IncrementalApiFetch.class);
        runner.setProperty(IncrementalApiFetch.ENDPOINT_URL, "http://127.0.0.1:" + server.getAddress().getPort() + "/items");
        runner.setProperty(IncrementalApiFetch.RECORDS_POINTER, "/data");
        runner.setProperty(IncrementalApiFetch.WATERMARK_PARAMETER, "since");
        runner.setProperty(IncrementalApiFetch.PAGE_SIZE_PARAMETER, "limit");
        runner.setProperty(IncrementalApiFetch.PAGE_SIZE, Integer.toString(pageSize));
        runner.setProperty(IncrementalApiFetch.MAX_PAGES_PER_TRIGGER, Integer.toString(pagesPerTrigger));
        runner.setProperty(IncrementalApiFetch.PAGINATION_STRATEGY,
                strategy == Strategy.KEYSET ? IncrementalApiFetch.PaginationStrategy.KEYSET : IncrementalApiFetch.PaginationStrategy.OFFSET);
        return runner;
    }

    /** A list API over a table sorted by (updated_at, id): since (inclusive), limit, offset. */
    private static final class ModelApi {
        private final Map<String, Instant> table = new HashMap<>();
        private final Set<String> history = new HashSet<>();
        private Instant latest = T0;

        synchronized void put(final String id, final Instant updatedAt) {
            table.put(id, updatedAt);
            history.add(id + "@" + updatedAt);
            latest = updatedAt.isAfter(latest) ? updatedAt : latest;
        }

        synchronized Instant next() {
            return latest.plusSeconds(60);
        }

        void handle(final HttpExchange exchange) throws IOException {
            final Map<String, String> query = new HashMap<>();
            final String raw = exchange.getRequestURI().getRawQuery();
            if (raw != null) {
                for (final String pair : raw.split("&")) {
                    final int equals = pair.indexOf('=');
                    query.put(URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8),
                            URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
                }
            }
            final Instant since = query.containsKey("since") ? Instant.parse(query.get("since")) : Instant.MIN;
            final int limit = Integer.parseInt(query.get("limit"));
            final int offset = Integer.parseInt(query.getOrDefault("offset", "0"));
            final List<Map.Entry<String, Instant>> rows;
            synchronized (this) {
                rows = new ArrayList<>(table.entrySet());
            }
            rows.removeIf(row -> row.getValue().isBefore(since));
            rows.sort(Map.Entry.<String, Instant>comparingByValue().thenComparing(Map.Entry.comparingByKey()));
            final StringBuilder body = new StringBuilder("{\"data\":[");
            for (int i = offset; i < Math.min(rows.size(), offset + limit); i++) {
                body.append(i == offset ? "" : ",").append("{\"id\":\"").append(rows.get(i).getKey()).append("\",\"updated_at\":\"")
                        .append(rows.get(i).getValue()).append("\"}");
            }
            final byte[] bytes = body.append("]}").toString().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }
}
