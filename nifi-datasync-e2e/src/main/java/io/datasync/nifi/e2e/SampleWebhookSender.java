package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The demo's webhook sender: posts JSON events to a local webhook template signed as Shopify signs them
 * ({@code X-Shopify-Hmac-Sha256}: Base64 of HMAC-SHA256 over the raw body, keyed with the secret's UTF-8 bytes; a fresh
 * {@code X-Shopify-Webhook-Id} per event), and on purpose also a forged event (signed with another secret) and a replayed
 * one (a delivered event sent again with the same id and body).
 */
public final class SampleWebhookSender {

    static final String SIGNATURE_HEADER = "X-Shopify-Hmac-Sha256";
    static final String EVENT_ID_HEADER = "X-Shopify-Webhook-Id";

    private final HttpClient http;
    private final ObjectMapper mapper = new ObjectMapper();
    private final URI endpoint;
    private final String secret;

    /** A delivered event: what a replay sends again. */
    public record Sent(String eventId, String body, int status) {
    }

    /** A sender over HTTPS to a listener on 127.0.0.1 whose certificate {@code trust} verifies (the templates serve HTTPS only). */
    public SampleWebhookSender(final int port, final String path, final String secret, final SSLContext trust) {
        this.endpoint = URI.create("https://127.0.0.1:" + port + path);
        this.secret = secret;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).sslContext(trust).build();
    }

    /** A signed event with a new id; returns what was sent and the HTTP status of the answer. */
    public Sent send(final Map<String, String> event) {
        final String body = json(event);
        final String id = UUID.randomUUID().toString();
        return new Sent(id, body, post(id, body, sign(secret, body)));
    }

    /** The event signed with a secret that is not the shared one, as an attacker would; the answer's status. */
    public int sendForged(final Map<String, String> event) {
        final String body = json(event);
        return post(UUID.randomUUID().toString(), body, sign("not-the-" + secret, body));
    }

    /** {@code sent} delivered again: same id, same body, valid signature (a redelivery or a captured request replayed). */
    public int replay(final Sent sent) {
        return post(sent.eventId(), sent.body(), sign(secret, sent.body()));
    }

    /** True once the listener answers (an unsigned request gets 401). */
    public boolean answers() {
        try {
            return post(UUID.randomUUID().toString(), "{}", null) == 401;
        } catch (final UncheckedIOException notYet) {
            return false;
        }
    }

    static String sign(final String key, final String body) {
        try {
            final Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return Base64.getEncoder().encodeToString(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private String json(final Map<String, String> event) {
        try {
            return mapper.writeValueAsString(new TreeMap<>(event));
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private int post(final String eventId, final String body, final String signature) {
        final HttpRequest.Builder request = HttpRequest.newBuilder(endpoint)
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .header(EVENT_ID_HEADER, eventId)
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (signature != null) {
            request.header(SIGNATURE_HEADER, signature);
        }
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (final IOException e) {
            throw new UncheckedIOException("POST " + endpoint + " failed", e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
