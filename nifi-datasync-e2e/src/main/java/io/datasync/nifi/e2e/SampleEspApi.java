package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A sample email service provider API on 127.0.0.1, modelled on the public docs of real ESPs (Mailchimp's batch
 * subscribe, SendGrid's global suppressions, Stripe-style idempotency keys).
 * <h2>Endpoints</h2>
 * <ul>
 *   <li>{@code POST /v1/audience/members}: bulk member upsert, body {@code {"members": [{"email_address", "status",
 *       "first_name", "last_name", ...}]}}, at most {@value #MAX_BATCH} members (413 otherwise). Answers 200
 *       {@code {"updated": n, "errors": [{"email_address", "error", "error_code"}]}}: a member whose address is not
 *       an address gets {@code INVALID_EMAIL}; a member on the suppression list is refused with {@code SUPPRESSED}
 *       (as real ESPs refuse to resubscribe a suppressed address through the API).</li>
 *   <li>{@code POST /v1/audience/member}: one member (the body is the member object): the one-request-per-record way
 *       a stock InvokeHTTP flow uses.</li>
 *   <li>{@code POST /v1/suppressions}: body {@code {"suppressions": [{"email_address", "reason"}]}}; adds each address
 *       to the suppression list and unsubscribes it from the audience. Answers {@code {"errors": [...]}}.</li>
 * </ul>
 * Every request needs header {@value #API_KEY_HEADER} (401 otherwise). A request with an {@code Idempotency-Key} seen
 * before is answered with the first answer and not applied again.
 * <h2>Misbehaviour, deterministic</h2>
 * Request numbers (1-based, counting every request) in {@code tooManyRequestsAt} get 429 with {@code Retry-After: 1};
 * those in {@code serverErrorAfterApplyAt} are applied and then answered 500 (the answer lost on the way back, the
 * case idempotency keys exist for). Every request is recorded.
 */
public final class SampleEspApi implements AutoCloseable {

    public static final String API_KEY_HEADER = "X-Api-Key";
    public static final String IDEMPOTENCY_HEADER = "Idempotency-Key";
    public static final int MAX_BATCH = 500;

    /** One request as received: what was asked and whether it changed anything. */
    public record Request(int number, long receivedNanos, String method, String path, String idempotencyKey, String body, int status,
                          boolean applied, List<String> emails) {
    }

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final HttpServer server;
    private final String apiKey;
    private final Set<Integer> tooManyRequestsAt;
    private final Set<Integer> serverErrorAfterApplyAt;
    private final AtomicInteger counter = new AtomicInteger();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Map<String, ObjectNode> audience = new ConcurrentHashMap<>();
    private final Set<String> suppressions = ConcurrentHashMap.newKeySet();
    private final Map<String, String> answers = new HashMap<>();

    private SampleEspApi(final String apiKey, final Set<Integer> tooManyRequestsAt, final Set<Integer> serverErrorAfterApplyAt,
                         final SSLContext tls) throws IOException {
        this.apiKey = apiKey;
        this.tooManyRequestsAt = Set.copyOf(tooManyRequestsAt);
        this.serverErrorAfterApplyAt = Set.copyOf(serverErrorAfterApplyAt);
        if (tls == null) {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        } else {
            final HttpsServer https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
            https.setHttpsConfigurator(new HttpsConfigurator(tls));
            server = https;
        }
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
    }

    public static SampleEspApi start(final String apiKey, final Set<Integer> tooManyRequestsAt, final Set<Integer> serverErrorAfterApplyAt) {
        return start(apiKey, tooManyRequestsAt, serverErrorAfterApplyAt, null);
    }

    /** As {@link #start(String, Set, Set)}, over HTTPS with {@code tls}'s certificate when it is not null. */
    public static SampleEspApi start(final String apiKey, final Set<Integer> tooManyRequestsAt, final Set<Integer> serverErrorAfterApplyAt,
                                     final SSLContext tls) {
        try {
            return new SampleEspApi(apiKey, tooManyRequestsAt, serverErrorAfterApplyAt, tls);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String baseUrl() {
        return (server instanceof HttpsServer ? "https" : "http") + "://127.0.0.1:" + server.getAddress().getPort();
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** The subscribed members' addresses. */
    public synchronized Set<String> subscribed() {
        final Set<String> emails = new TreeSet<>();
        audience.forEach((email, member) -> {
            if ("subscribed".equals(member.path("status").asText())) {
                emails.add(email);
            }
        });
        return emails;
    }

    public synchronized Map<String, ObjectNode> audience() {
        return Map.copyOf(audience);
    }

    public synchronized Set<String> suppressions() {
        return new TreeSet<>(suppressions);
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }

    private void handle(final HttpExchange exchange) throws IOException {
        try (exchange) {
            final long received = System.nanoTime();
            final String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            final String path = exchange.getRequestURI().getPath();
            final String key = exchange.getRequestHeaders().getFirst(IDEMPOTENCY_HEADER);
            final Answer answer;
            synchronized (this) {
                final int number = counter.incrementAndGet();
                answer = answer(number, exchange, path, key, body);
                requests.add(new Request(number, received, exchange.getRequestMethod(), path, key, body, answer.status, answer.applied,
                        answer.emails));
            }
            if (answer.retryAfter != null) {
                exchange.getResponseHeaders().add("Retry-After", answer.retryAfter);
            }
            final byte[] bytes = answer.body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(answer.status, bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
    }

    private record Answer(int status, String body, boolean applied, List<String> emails, String retryAfter) {
        static Answer of(final int status, final String body) {
            return new Answer(status, body, false, List.of(), null);
        }
    }

    private Answer answer(final int number, final HttpExchange exchange, final String path, final String key, final String body) {
        if (!apiKey.equals(exchange.getRequestHeaders().getFirst(API_KEY_HEADER))) {
            return Answer.of(401, "{\"title\":\"API key missing or invalid\"}");
        }
        if (!"POST".equals(exchange.getRequestMethod())) {
            return Answer.of(405, "{\"title\":\"method not allowed\"}");
        }
        if (tooManyRequestsAt.contains(number)) {
            return new Answer(429, "{\"title\":\"too many requests\"}", false, List.of(), "1");
        }
        final JsonNode json;
        try {
            json = MAPPER.readTree(body);
        } catch (final IOException e) {
            return Answer.of(400, "{\"title\":\"body is not JSON\"}");
        }
        final List<String> emails = new ArrayList<>();
        if (key != null && answers.containsKey(key)) {
            // Seen before: the first answer again, nothing applied.
            return new Answer(200, answers.get(key), false, emails(json, path), null);
        }
        final ObjectNode response = MAPPER.createObjectNode();
        final ArrayNode errors = response.putArray("errors");
        switch (path) {
            case "/v1/audience/members" -> {
                final JsonNode members = json.path("members");
                if (!members.isArray()) {
                    return Answer.of(400, "{\"title\":\"members must be an array\"}");
                }
                if (members.size() > MAX_BATCH) {
                    return Answer.of(413, "{\"title\":\"at most " + MAX_BATCH + " members per request\"}");
                }
                int updated = 0;
                for (final JsonNode member : members) {
                    if (upsert(member, errors, emails)) {
                        updated++;
                    }
                }
                response.put("updated", updated);
            }
            case "/v1/audience/member" -> {
                if (!upsert(json, errors, emails)) {
                    return Answer.of(400, errors.get(0).toString());
                }
            }
            case "/v1/suppressions" -> {
                final JsonNode entries = json.path("suppressions");
                if (!entries.isArray()) {
                    return Answer.of(400, "{\"title\":\"suppressions must be an array\"}");
                }
                for (final JsonNode entry : entries) {
                    final String email = normalized(entry.path("email_address").asText(""));
                    if (!valid(email)) {
                        errors.addObject().put("email_address", entry.path("email_address").asText("")).put("error", "not an email address")
                                .put("error_code", "INVALID_EMAIL");
                        continue;
                    }
                    emails.add(email);
                    suppressions.add(email);
                    final ObjectNode member = audience.get(email);
                    if (member != null) {
                        member.put("status", "unsubscribed");
                    }
                }
            }
            default -> {
                return Answer.of(404, "{\"title\":\"no such endpoint\"}");
            }
        }
        if (key != null) {
            answers.put(key, response.toString());
        }
        if (serverErrorAfterApplyAt.contains(number)) {
            return new Answer(500, "{\"title\":\"internal error\"}", true, emails, null);
        }
        return new Answer(200, response.toString(), true, emails, null);
    }

    /** Applies one member; false (with an error added) when refused. */
    private boolean upsert(final JsonNode member, final ArrayNode errors, final List<String> emails) {
        final String written = member.path("email_address").asText("");
        final String email = normalized(written);
        if (!valid(email)) {
            errors.addObject().put("email_address", written).put("error", "not an email address").put("error_code", "INVALID_EMAIL");
            return false;
        }
        if (suppressions.contains(email) && "subscribed".equals(member.path("status").asText())) {
            errors.addObject().put("email_address", written).put("error", "the address is suppressed").put("error_code", "SUPPRESSED");
            return false;
        }
        emails.add(email);
        final ObjectNode stored = member.deepCopy();
        stored.put("email_address", email);
        audience.put(email, stored);
        return true;
    }

    private static List<String> emails(final JsonNode json, final String path) {
        final List<String> emails = new ArrayList<>();
        final JsonNode list = path.endsWith("/members") ? json.path("members") : path.endsWith("/suppressions") ? json.path("suppressions") : null;
        if (list == null) {
            emails.add(normalized(json.path("email_address").asText("")));
        } else {
            list.forEach(entry -> emails.add(normalized(entry.path("email_address").asText(""))));
        }
        return emails;
    }

    private static String normalized(final String email) {
        return email.trim().toLowerCase(Locale.ROOT);
    }

    private static boolean valid(final String email) {
        final int at = email.indexOf('@');
        return at > 0 && at == email.lastIndexOf('@') && at < email.length() - 1 && !email.contains(" ");
    }

    /** Requests per path, for reports. */
    public Map<String, Integer> requestCounts() {
        final Map<String, Integer> counts = new LinkedHashMap<>();
        requests.forEach(request -> counts.merge(request.path(), 1, Integer::sum));
        return counts;
    }
}
