package io.datasync.nifi.benchmarks;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.datasync.nifi.processors.IncrementalApiFetch;
import org.apache.nifi.components.state.Scope;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An incremental REST fetch against the same local pages: a plain loop (JDK HttpClient + Jackson,
 * the least a hand-written job must do: fetch, parse, re-serialise each page's records as the
 * FlowFile content, track the maximum watermark) and the processors that do it in NiFi. Pages are
 * served from memory by a JDK HttpServer bound to 127.0.0.1, so the server costs nearly nothing and
 * both contestants share it. Rounds interleave the contestants as in the record benchmark.
 */
final class HttpFetchBenchmark {

    /** A fetch contestant: fetches every page once and returns the number of records it produced. */
    interface FetchContestant extends AutoCloseable {
        String name();

        long fetchAll(String firstPageUrl) throws Exception;

        @Override
        default void close() {
        }
    }

    private final Mode mode;

    HttpFetchBenchmark(final Mode mode) {
        this.mode = mode;
    }

    String run() throws Exception {
        final CustomerRecordGenerator generator = new CustomerRecordGenerator(CustomerRecordGenerator.DEFAULT_SEED);
        final int pages = mode.httpPages();
        final int pageSize = mode.httpPageSize();
        final long expectedRecords = (long) pages * pageSize;
        final AtomicLong requests = new AtomicLong();

        final HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        final ExecutorService serverThreads = Executors.newFixedThreadPool(2);
        server.setExecutor(serverThreads);
        final String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/customers";
        final byte[][] bodies = new byte[pages][];
        for (int page = 0; page < pages; page++) {
            final String next = page + 1 < pages ? base + "?page=" + (page + 2) : null;
            bodies[page] = generator.apiPage(page * pageSize, pageSize, next);
        }
        server.createContext("/customers", exchange -> {
            requests.incrementAndGet();
            final int page = pageNumber(exchange.getRequestURI().getRawQuery());
            final byte[] body = page >= 1 && page <= pages ? bodies[page - 1] : "{\"data\":[],\"next\":null}".getBytes();
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();

        final List<FetchContestant> contestants = new ArrayList<>();
        contestants.add(new PlainLoop());
        contestants.add(new IncrementalApiFetchContestant(pages, pageSize));
        final Map<String, List<Double>> rates = new LinkedHashMap<>();
        final Map<String, List<Double>> ratios = new LinkedHashMap<>();
        contestants.forEach(c -> rates.put(c.name(), new ArrayList<>()));
        final String plainName = contestants.getFirst().name();
        contestants.stream().skip(1).forEach(c -> ratios.put(c.name(), new ArrayList<>()));

        final int warmup = mode.warmupRounds();
        try {
            for (int round = 0; round < warmup + mode.httpRounds(); round++) {
                final Map<String, Double> thisRound = new LinkedHashMap<>();
                for (int i = 0; i < contestants.size(); i++) {
                    final FetchContestant contestant = contestants.get((i + round) % contestants.size());
                    System.gc();
                    final long start = System.nanoTime();
                    final long records = contestant.fetchAll(base);
                    final long nanos = System.nanoTime() - start;
                    if (records != expectedRecords) {
                        throw new IllegalStateException(contestant.name() + " produced " + records + " records, expected " + expectedRecords);
                    }
                    thisRound.put(contestant.name(), records * 1e9 / nanos);
                }
                System.err.printf("http round %d%s: %s%n", round + 1, round < warmup ? " (warm-up)" : "", thisRound);
                if (round >= warmup) {
                    thisRound.forEach((name, rate) -> rates.get(name).add(rate));
                    ratios.forEach((name, list) -> list.add(thisRound.get(name) / thisRound.get(plainName)));
                }
            }
        } finally {
            contestants.forEach(FetchContestant::close);
            server.stop(0);
            serverThreads.shutdownNow();
        }

        final Markdown md = new Markdown();
        md.heading("Incremental REST fetch (" + pages + " pages x " + Stats.count(pageSize) + " records, local server)");
        md.paragraph("Pages served from memory by a JDK HttpServer on 127.0.0.1 (" + Stats.count(requests.get()) + " requests in all). "
                + warmup + " warm-up rounds, " + mode.httpRounds() + " measured rounds, contestants interleaved.");
        md.table("contestant", "records/s (median, wall)", "range", "ratio to plain loop (median)", "target", "met");
        for (final String name : rates.keySet()) {
            final List<Double> list = rates.get(name);
            final List<Double> ratio = ratios.get(name);
            final double median = ratio == null ? Double.NaN : Stats.median(ratio);
            md.row(name, Stats.rate(Stats.median(list)), Stats.rate(Stats.min(list)) + " - " + Stats.rate(Stats.max(list)),
                    ratio == null ? "1.00 (baseline)" : Stats.ratio(median), ratio == null ? "-" : ">= 0.80",
                    ratio == null ? "-" : (median >= 0.8 ? "yes" : "**no**"));
        }
        return md.toString();
    }

    private static int pageNumber(final String query) {
        if (query != null) {
            for (final String parameter : query.split("&")) {
                if (parameter.startsWith("page=")) {
                    try {
                        return Integer.parseInt(parameter.substring(5));
                    } catch (final NumberFormatException e) {
                        return -1;
                    }
                }
            }
        }
        return 1;
    }

    /** What a hand-written job does with no framework: fetch, parse, write each page's records, keep the watermark. */
    static final class PlainLoop implements FetchContestant {
        private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        private final ObjectMapper mapper = new ObjectMapper();
        private Instant watermark = Instant.EPOCH;

        @Override
        public String name() {
            return "plain HttpClient + Jackson loop";
        }

        @Override
        public long fetchAll(final String firstPageUrl) throws IOException, InterruptedException {
            long records = 0;
            String url = firstPageUrl + "?updated_since=" + watermark;
            final List<byte[]> pageContents = new ArrayList<>();
            while (url != null) {
                final HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                if (response.statusCode() != 200) {
                    throw new IOException("HTTP " + response.statusCode() + " from " + url);
                }
                final JsonNode root = mapper.readTree(response.body());
                final JsonNode data = root.get("data");
                final ByteArrayOutputStream content = new ByteArrayOutputStream(response.body().length);
                try (JsonGenerator json = mapper.createGenerator(content)) {
                    json.writeStartArray();
                    for (final JsonNode record : data) {
                        mapper.writeTree(json, record);
                        final Instant updated = Instant.parse(record.get("updated_at").asText());
                        if (updated.isAfter(watermark)) {
                            watermark = updated;
                        }
                        records++;
                    }
                    json.writeEndArray();
                }
                pageContents.add(content.toByteArray());
                final JsonNode next = root.get("next");
                url = next == null || next.isNull() ? null : next.asText();
            }
            // Every run starts from the beginning, as the processor's runs do after their state is cleared.
            watermark = Instant.EPOCH;
            return records;
        }
    }

    /**
     * IncrementalApiFetch in nifi-mock over the same pages: next-URL pagination, ISO-8601 watermark
     * on /updated_at sent as updated_since, all pages in one trigger and one run. State is cleared after each
     * round so every round is a full sync, like the plain loop's.
     */
    static final class IncrementalApiFetchContestant implements FetchContestant {
        private final TestRunner runner;
        private final java.util.Set<org.apache.nifi.util.MockProcessSession> createdSessions;
        private final int pages;
        private boolean scheduled;

        IncrementalApiFetchContestant(final int pages, final int pageSize) {
            this.pages = pages;
            this.runner = TestRunners.newTestRunner(IncrementalApiFetch.class);
            runner.setProperty(IncrementalApiFetch.RECORDS_POINTER, "/data");
            runner.setProperty(IncrementalApiFetch.RECORD_KEY_POINTER, "/id");
            runner.setProperty(IncrementalApiFetch.WATERMARK_POINTER, "/updated_at");
            runner.setProperty(IncrementalApiFetch.WATERMARK_TYPE, IncrementalApiFetch.WatermarkType.ISO_8601);
            runner.setProperty(IncrementalApiFetch.WATERMARK_PARAMETER, "updated_since");
            runner.setProperty(IncrementalApiFetch.PAGINATION_STRATEGY, IncrementalApiFetch.PaginationStrategy.NEXT_URL);
            runner.setProperty(IncrementalApiFetch.NEXT_URL_POINTER, "/next");
            runner.setProperty(IncrementalApiFetch.PAGE_SIZE, Integer.toString(pageSize));
            runner.setProperty(IncrementalApiFetch.MAX_PAGES_PER_TRIGGER, Integer.toString(pages));
            // Maximum Tracked Keys stays at its default: state holds only the versions at the top of the
            // window, not every record of the run.
            this.createdSessions = ContestantRunner.createdSessions(runner);
        }

        @Override
        public String name() {
            return "IncrementalApiFetch";
        }

        @Override
        public long fetchAll(final String firstPageUrl) throws Exception {
            runner.setProperty(IncrementalApiFetch.ENDPOINT_URL, firstPageUrl);
            runner.getStateManager().clear(Scope.CLUSTER);
            runner.run(1, false, !scheduled);
            scheduled = true;
            long records = 0;
            final java.util.List<MockFlowFile> out = runner.getFlowFilesForRelationship(IncrementalApiFetch.REL_SUCCESS);
            for (final MockFlowFile flowFile : out) {
                records += Long.parseLong(flowFile.getAttribute("record.count"));
            }
            if (out.size() != pages) {
                throw new IllegalStateException("IncrementalApiFetch wrote " + out.size() + " FlowFiles for " + pages + " pages");
            }
            runner.clearTransferState();
            runner.clearProvenanceEvents();
            createdSessions.clear();
            return records;
        }

        @Override
        public void close() {
            if (scheduled) {
                runner.stop();
            }
            runner.shutdown();
        }
    }
}
