package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A sample CRM REST API on 127.0.0.1 that behaves like real ones do. It serves a {@link SampleData}'s CRM records
 * ({@link #start}) or any given records ({@link #serving}, e.g. {@link RealDataDrops#crmRecords}), to which
 * {@link #publish} adds records committed later.
 * <h2>Endpoints</h2>
 * <ul>
 *   <li>{@code GET /contacts?updated_since=ISO-8601&limit=N[&page=P]}: contacts with {@code updated_at >= updated_since},
 *       ordered by (updated_at, id), page P (from 1) of size N. When more follow, a {@code Link: <...>; rel="next"}
 *       header gives the next page's URL.</li>
 *   <li>{@code GET /contacts?updated_since=ISO-8601&limit=N&offset=O}: the same order, from the O-th contact (from 0), no Link
 *       header: offset pagination, which shifts when a contact before the offset changes.</li>
 *   <li>{@code GET /contacts?cursor=C&limit=N}: keyset pagination: contacts strictly after the (updated_at, id)
 *       encoded in the opaque cursor (omit it to start at the beginning; {@code updated_since} may be combined
 *       on the first call). The body's {@code next_cursor} (and the Link header) continue it; null at the end.</li>
 * </ul>
 * Body: {@code {"data": [ {id, email, phone, first_name, last_name, city, country, tags, last_order_at,
 * lifetime_value, updated_at}, ... ], "next_cursor": ...}}; absent fields of partial updates are omitted.
 * Every request needs header {@value #API_KEY_HEADER} (401 otherwise).
 * <h2>Misbehaviour, deterministic</h2>
 * Request numbers (1-based, counting every request) listed in {@link Faults#tooManyRequestsAt} get
 * {@code 429} with {@code Retry-After} seconds; those in {@link Faults#serverErrorAt} get {@code 500}. The late
 * record ({@link SampleData#lateRecord()}) is hidden until {@link Faults#lateCommitDelay} after start, although its
 * {@code updated_at} lies in the past. {@link #unavailableFrom} adds an outage: {@code 503} to every request from a
 * given number on, for a given time. Every request is recorded ({@link #requests()}), so tests can assert each
 * page was served once.
 */
public final class SampleCrmApi implements AutoCloseable {

    public static final String API_KEY_HEADER = "X-Api-Key";
    private static final Comparator<SampleData.SourceRecord> API_ORDER =
            Comparator.comparing(SampleData.SourceRecord::updatedAt).thenComparing(SampleData.SourceRecord::sourceId);

    /**
     * When to misbehave.
     *
     * @param changeAtRequest before answering this request (1-based), an early contact changes ({@link SampleData#changeDuringSync()}):
     *                        its row leaves its place and the new version goes to the end; 0 for never
     * @param repeatPageAtRequest this request is answered with the previous successful page again, as a looping server does; 0 for never
     */
    public record Faults(Set<Integer> tooManyRequestsAt, int retryAfterSeconds, Set<Integer> serverErrorAt, Duration lateCommitDelay,
                         int changeAtRequest, int repeatPageAtRequest) {

        public Faults(final Set<Integer> tooManyRequestsAt, final int retryAfterSeconds, final Set<Integer> serverErrorAt,
                      final Duration lateCommitDelay) {
            this(tooManyRequestsAt, retryAfterSeconds, serverErrorAt, lateCommitDelay, 0, 0);
        }

        public static Faults none() {
            return new Faults(Set.of(), 1, Set.of(), Duration.ZERO);
        }

        /** A 429 on the 2nd request, a 500 on the 4th, the late record visible after 20 s. */
        public static Faults typical() {
            return new Faults(Set.of(2), 1, Set.of(4), Duration.ofSeconds(20));
        }
    }

    /** One request as the API saw it. */
    public record RecordedRequest(int number, Instant at, String method, String pathAndQuery, int status, int recordCount) {
    }

    private final HttpServer server;
    private final SampleData data;
    private final List<SampleData.SourceRecord> records;
    private volatile String lastPageBody;
    private volatile SampleData.Change change;
    private final SampleData.SourceRecord lateRecord;
    private final String apiKey;
    private final Faults faults;
    private final Instant startedAt = Instant.now();
    private final AtomicInteger requestCounter = new AtomicInteger();
    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final ObjectMapper mapper = new ObjectMapper();
    /** An outage (see {@link #unavailableFrom}): its first request number, its length, and when its first 503 went out. */
    private volatile int outageFromRequest = Integer.MAX_VALUE;
    private volatile Duration outageLength = Duration.ZERO;
    private volatile Instant outageStartedAt;

    private SampleCrmApi(final SampleData data, final List<SampleData.SourceRecord> contacts, final String apiKey, final Faults faults,
                         final SSLContext tls) throws IOException {
        this.data = data;
        // A copy: the API's rows change (changeAtRequest, publish) while its threads read them.
        this.records = new CopyOnWriteArrayList<>(data != null ? data.crmRecords() : sorted(contacts));
        this.lateRecord = data != null ? data.lateRecord() : null;
        this.apiKey = apiKey;
        this.faults = faults;
        if (tls == null) {
            this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } else {
            final HttpsServer https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            https.setHttpsConfigurator(new HttpsConfigurator(tls));
            this.server = https;
        }
        server.createContext("/contacts", this::handleContacts);
        server.setExecutor(Executors.newFixedThreadPool(2));
        server.start();
    }

    public static SampleCrmApi start(final SampleData data, final String apiKey, final Faults faults) {
        return start(data, apiKey, faults, null);
    }

    /** As {@link #start(SampleData, String, Faults)}, over HTTPS with {@code tls}'s certificate when it is not null. */
    public static SampleCrmApi start(final SampleData data, final String apiKey, final Faults faults, final SSLContext tls) {
        try {
            return new SampleCrmApi(data, null, apiKey, faults, tls);
        } catch (final IOException e) {
            throw new UncheckedIOException("Could not start the sample CRM API", e);
        }
    }

    /**
     * Serves the given contacts (any source's records; served in (updated_at, id) order) instead of a sample's. No late
     * record and no mid-run change ({@link Faults#changeAtRequest} must be 0): {@link #publish} adds records later.
     */
    public static SampleCrmApi serving(final List<SampleData.SourceRecord> contacts, final String apiKey, final Faults faults) {
        if (faults.changeAtRequest() != 0) {
            throw new IllegalArgumentException("a mid-run change needs a sample's data");
        }
        try {
            return new SampleCrmApi(null, contacts, apiKey, faults, null);
        } catch (final IOException e) {
            throw new UncheckedIOException("Could not start the sample CRM API", e);
        }
    }

    /** Makes {@code contacts} visible from the next request on, in (updated_at, id) order among the others: records committed later. */
    public void publish(final List<SampleData.SourceRecord> contacts) {
        synchronized (records) {
            for (final SampleData.SourceRecord contact : contacts) {
                // Each insertion at its place: a request sees the contacts in order, some of the new ones perhaps not yet.
                int at = records.size();
                while (at > 0 && API_ORDER.compare(records.get(at - 1), contact) > 0) {
                    at--;
                }
                records.add(at, contact);
            }
        }
    }

    private static List<SampleData.SourceRecord> sorted(final List<SampleData.SourceRecord> contacts) {
        final List<SampleData.SourceRecord> copy = new ArrayList<>(contacts);
        copy.sort(API_ORDER);
        return copy;
    }

    public String baseUrl() {
        return (server instanceof HttpsServer ? "https" : "http") + "://127.0.0.1:" + server.getAddress().getPort();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public List<RecordedRequest> requests() {
        return Collections.unmodifiableList(new ArrayList<>(requests));
    }

    /** Successful (200) requests per path-and-query: a correct client asks each page once. */
    public Map<String, Long> successfulPageCounts() {
        return requests.stream().filter(r -> r.status() == 200)
                .collect(Collectors.groupingBy(RecordedRequest::pathAndQuery, LinkedHashMap::new, Collectors.counting()));
    }

    /**
     * An outage: from request number {@code requestNumber} on, every request is answered {@code 503 Service Unavailable}
     * (no Retry-After, as from a load balancer with no healthy backend) until {@code length} after the first of them.
     */
    public void unavailableFrom(final int requestNumber, final Duration length) {
        outageLength = length;
        outageStartedAt = null;
        outageFromRequest = requestNumber;
    }

    /** When the outage's first 503 went out, null before. */
    public Instant outageStartedAt() {
        return outageStartedAt;
    }

    private synchronized boolean inOutage(final int number) {
        if (number < outageFromRequest) {
            return false;
        }
        final Instant now = Instant.now();
        if (outageStartedAt == null) {
            outageStartedAt = now;
        }
        return now.isBefore(outageStartedAt.plus(outageLength));
    }

    /** The change made during the sync, null before it. */
    public SampleData.Change change() {
        return change;
    }

    public boolean lateRecordVisible() {
        return !Instant.now().isBefore(startedAt.plus(faults.lateCommitDelay()));
    }

    private void handleContacts(final HttpExchange exchange) throws IOException {
        final int number = requestCounter.incrementAndGet();
        final String pathAndQuery = exchange.getRequestURI().getRawPath()
                + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery());
        int status = 200;
        int count = 0;
        // The answer is recorded before it is sent: a client that has its answer finds its request in requests().
        final String[] reply = {null};
        try {
            if (!"GET".equals(exchange.getRequestMethod())) {
                status = reply(reply, 405, "{\"error\":\"method not allowed\"}");
            } else if (!apiKey.equals(exchange.getRequestHeaders().getFirst(API_KEY_HEADER))) {
                status = reply(reply, 401, "{\"error\":\"missing or wrong API key\"}");
            } else if (inOutage(number)) {
                status = reply(reply, 503, "{\"error\":\"service unavailable\"}");
            } else if (faults.tooManyRequestsAt().contains(number)) {
                exchange.getResponseHeaders().add("Retry-After", Integer.toString(faults.retryAfterSeconds()));
                status = reply(reply, 429, "{\"error\":\"rate limit exceeded\"}");
            } else if (faults.serverErrorAt().contains(number)) {
                status = reply(reply, 500, "{\"error\":\"internal error\"}");
            } else if (number == faults.repeatPageAtRequest() && lastPageBody != null) {
                status = reply(reply, 200, lastPageBody);
            } else {
                if (number == faults.changeAtRequest() && change == null) {
                    change = data.changeDuringSync();
                    records.remove(change.replaced());
                    records.add(change.newVersion());
                }
                final Map<String, String> query = parseQuery(exchange.getRequestURI().getRawQuery());
                final Page page = page(query);
                count = page.records().size();
                final ObjectNode body = mapper.createObjectNode();
                final ArrayNode data = body.putArray("data");
                page.records().forEach(record -> data.add(toJson(record)));
                if (page.nextCursor() != null) {
                    body.put("next_cursor", page.nextCursor());
                } else {
                    body.putNull("next_cursor");
                }
                if (page.nextUrl() != null) {
                    exchange.getResponseHeaders().add("Link", "<" + baseUrl() + page.nextUrl() + ">; rel=\"next\"");
                }
                lastPageBody = body.toString();
                status = reply(reply, 200, lastPageBody);
            }
        } catch (final IllegalArgumentException e) {
            status = reply(reply, 400, mapper.createObjectNode().put("error", e.getMessage()).toString());
        } finally {
            requests.add(new RecordedRequest(number, Instant.now(), exchange.getRequestMethod(), pathAndQuery, status, count));
            try {
                if (reply[0] != null) {
                    respond(exchange, status, reply[0]);
                }
            } finally {
                exchange.close();
            }
        }
    }

    private static int reply(final String[] holder, final int status, final String body) {
        holder[0] = body;
        return status;
    }

    private record Page(List<SampleData.SourceRecord> records, String nextUrl, String nextCursor) {
    }

    private Page page(final Map<String, String> query) {
        final int limit = parseInt(query.getOrDefault("limit", "100"), "limit");
        if (limit < 1 || limit > 1000) {
            throw new IllegalArgumentException("limit must be 1..1000");
        }
        final Instant since = query.containsKey("updated_since") ? parseInstant(query.get("updated_since")) : Instant.EPOCH;
        final boolean showLate = lateRecordVisible();
        final List<SampleData.SourceRecord> visible = records.stream()
                .filter(record -> showLate || record != lateRecord)
                .filter(record -> !record.updatedAt().isBefore(since))
                .toList();
        if (query.containsKey("cursor") || "true".equals(query.get("use_cursor"))) {
            final String cursor = query.get("cursor");
            List<SampleData.SourceRecord> after = visible;
            if (cursor != null && !cursor.isEmpty()) {
                final String[] key = decodeCursor(cursor);
                final Instant at = Instant.parse(key[0]);
                after = visible.stream().filter(r -> r.updatedAt().isAfter(at)
                        || (r.updatedAt().equals(at) && r.sourceId().compareTo(key[1]) > 0)).toList();
            }
            final List<SampleData.SourceRecord> pageRecords = after.subList(0, Math.min(limit, after.size()));
            String nextCursor = null;
            String nextUrl = null;
            if (after.size() > limit) {
                final SampleData.SourceRecord last = pageRecords.getLast();
                nextCursor = encodeCursor(last);
                nextUrl = "/contacts?cursor=" + nextCursor + "&limit=" + limit;
            }
            return new Page(pageRecords, nextUrl, nextCursor);
        }
        if (query.containsKey("offset")) {
            final int offset = parseInt(query.get("offset"), "offset");
            if (offset < 0) {
                throw new IllegalArgumentException("offset starts at 0");
            }
            final int from = Math.min(offset, visible.size());
            return new Page(visible.subList(from, Math.min(from + limit, visible.size())), null, null);
        }
        final int pageNumber = parseInt(query.getOrDefault("page", "1"), "page");
        if (pageNumber < 1) {
            throw new IllegalArgumentException("page starts at 1");
        }
        final int from = Math.min((pageNumber - 1) * limit, visible.size());
        final int to = Math.min(from + limit, visible.size());
        String nextUrl = null;
        if (to < visible.size()) {
            nextUrl = "/contacts?updated_since=" + NiFiRestClient.urlEncode(since.toString()) + "&limit=" + limit + "&page=" + (pageNumber + 1);
        }
        return new Page(visible.subList(from, to), nextUrl, null);
    }

    private ObjectNode toJson(final SampleData.SourceRecord record) {
        final ObjectNode json = mapper.createObjectNode();
        json.put("id", record.sourceId());
        putIfPresent(json, "email", record.email(), Function.identity());
        putIfPresent(json, "phone", record.phone(), Function.identity());
        putIfPresent(json, "first_name", record.firstName(), Function.identity());
        putIfPresent(json, "last_name", record.lastName(), Function.identity());
        putIfPresent(json, "city", record.city(), Function.identity());
        putIfPresent(json, "country", record.country(), Function.identity());
        putIfPresent(json, "tags", record.tags(), Function.identity());
        putIfPresent(json, "last_order_at", record.lastOrderAt(), Instant::toString);
        if (record.lifetimeValue() != null) {
            json.put("lifetime_value", record.lifetimeValue());
        }
        json.put("updated_at", record.updatedAt().toString());
        return json;
    }

    private static <T> void putIfPresent(final ObjectNode json, final String name, final T value, final Function<T, String> format) {
        if (value != null) {
            json.put(name, format.apply(value));
        }
    }

    private static String encodeCursor(final SampleData.SourceRecord record) {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((record.updatedAt() + "|" + record.sourceId()).getBytes(StandardCharsets.UTF_8));
    }

    private static String[] decodeCursor(final String cursor) {
        try {
            final String[] key = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\\|", 2);
            if (key.length != 2) {
                throw new IllegalArgumentException("bad cursor");
            }
            return key;
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("bad cursor");
        }
    }

    private static Instant parseInstant(final String value) {
        try {
            return Instant.parse(value);
        } catch (final DateTimeParseException e) {
            throw new IllegalArgumentException("updated_since must be ISO-8601, e.g. 2026-01-05T08:00:00Z");
        }
    }

    private static int parseInt(final String value, final String name) {
        try {
            return Integer.parseInt(value);
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer");
        }
    }

    private static Map<String, String> parseQuery(final String rawQuery) {
        final Map<String, String> query = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return query;
        }
        for (final String pair : rawQuery.split("&")) {
            final int eq = pair.indexOf('=');
            final String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            final String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            query.put(name, value);
        }
        return query;
    }

    private static int respond(final HttpExchange exchange, final int status, final String body) throws IOException {
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
        return status;
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
