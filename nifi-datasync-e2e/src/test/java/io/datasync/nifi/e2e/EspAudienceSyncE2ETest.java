package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The committed {@code templates/esp-audience-sync.json} in a real NiFi, against a real PostgreSQL and the sample ESP
 * API ({@link SampleEspApi}), which throttles (429 with Retry-After) and loses answers (500 after applying a batch). NiFi
 * is killed with {@code kill -9} while the push is under way and started again. Then: the ESP's audience equals the
 * consented golden profiles exactly, no denied or withdrawn subject was ever in a member upsert (checked against every
 * request the ESP received), every suppression is on the ESP's list, and no batch was applied twice. The ESP serves
 * HTTPS with a certificate from the run's test CA (a private CA), trusted through an SSL Context Service added to the
 * imported group as docs/security.md says; a push without it (the JVM's default trust) sends nothing and keeps the
 * records in 'retry'.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EspAudienceSyncE2ETest {

    private static final String NAME = EspAudienceSyncE2ETest.class.getSimpleName();
    private static final String API_KEY = "esp-key-" + java.util.UUID.randomUUID();
    private static final int PROFILES = 600;
    private static final Duration SYNC_TIMEOUT = Duration.ofSeconds(150);

    private static long classStart;
    private static PostgresPeer postgres;
    /** The run's test CA: consent-sync serves HTTPS only and verifies PostgreSQL's certificate, as shipped. */
    private static TestPki pki;
    private static NiFiInstance nifi;
    private static NiFiRestClient client;
    private static SampleEspApi esp;
    private static String group;

    /** Expected outcome, from the rule: consent GRANTED for email_marketing is sent; anything else is not. */
    private static final Set<String> CONSENTED = new TreeSet<>();
    private static final Set<String> DENIED = new TreeSet<>();

    /**
     * A consented Gmail person whose address has dots, capitals and a +tag: stored, consented and withdrawn under the
     * folded subject key (zoedoe@gmail.com), pushed to the ESP under the address as written. Sorts after every
     * personN address, so the tests that take the first consented subjects never pick it.
     */
    private static final String GMAIL_WRITTEN = "Zoe.Doe+News@Gmail.com";
    private static final String GMAIL_MEMBER = "zoe.doe+news@gmail.com";
    private static final String GMAIL_SUBJECT_KEY = "zoedoe@gmail.com";

    @BeforeAll
    static void startEverything() {
        classStart = System.nanoTime();
        nifi = NiFiInstance.create("esp-audience");
        pki = TestPki.create(nifi.runDir().resolve("tls"));
        postgres = PostgresPeer.startWithTls(nifi.runDir().resolve("postgres-data"), pki);
        // Request 2 and 9 throttled; 4 and 11 applied but answered 500, so their retries must be deduplicated by key.
        // HTTPS with a certificate of the run's test CA: the pushes trust it only through the service added after import.
        esp = SampleEspApi.start(API_KEY, Set.of(2, 9), Set.of(4, 11), pki.sslContext(pki.server()));
        seed();
        client = SecuredStart.startAsAdministrator(nifi, pki);
    }

    @AfterAll
    static void stopEverything() {
        try {
            if (nifi != null) {
                nifi.close();
            }
        } finally {
            try {
                if (postgres != null) {
                    postgres.close();
                }
            } finally {
                if (esp != null) {
                    esp.close();
                }
                E2eMetrics.record(NAME, "classSeconds", Long.toString(Duration.ofNanos(System.nanoTime() - classStart).toSeconds()));
            }
        }
    }

    /**
     * Golden profiles; consent: every 5th has none, every 5th + 1 withdrew (and has a suppression row), every 7th
     * granted another purpose only; the rest granted email_marketing. Some addresses are written with capitals and
     * spaces, as sources write them.
     */
    private static void seed() {
        final StringBuilder sql = new StringBuilder();
        final Instant base = Instant.parse("2026-11-01T00:00:00Z");
        for (int i = 0; i < PROFILES; i++) {
            final String email = "person" + i + "@example.org";
            final String written = i % 11 == 0 ? " Person" + i + "@Example.org " : email;
            sql.append("INSERT INTO customer_profiles (customer_id, subject_key, email, first_name, last_name, updated_at) VALUES ('c")
                    .append(i).append("', '").append(email).append("', '").append(written).append("', 'First").append(i)
                    .append("', 'Last").append(i).append("', '").append(base.plusSeconds(i)).append("');\n");
            final String status;
            String purpose = "email_marketing";
            if (i % 5 == 0) {
                status = null;
            } else if (i % 5 == 1) {
                status = "WITHDRAWN";
            } else if (i % 7 == 0) {
                status = "GRANTED";
                purpose = "analytics";
            } else {
                status = "GRANTED";
            }
            if (status != null) {
                sql.append("INSERT INTO consent (subject_key, purpose, status, updated_at, source) VALUES ('").append(email).append("', '")
                        .append(purpose).append("', '").append(status).append("', '").append(base).append("', 'test');\n");
            }
            if ("WITHDRAWN".equals(status)) {
                sql.append("INSERT INTO suppression (subject_key, reason, decided_at) VALUES ('").append(email)
                        .append("', 'consent_withdrawn', '").append(base.plusSeconds(i)).append("');\n");
            }
            if ("GRANTED".equals(status) && "email_marketing".equals(purpose)) {
                CONSENTED.add(email);
            } else {
                DENIED.add(email);
            }
        }
        // Regression: the gate keyed profiles by the address lower-cased (zoe.doe+news@gmail.com), found no consent row
        // and sent this consented person to the ESP as an unsubscribe.
        sql.append("INSERT INTO customer_profiles (customer_id, subject_key, email, country, first_name, last_name, updated_at) VALUES ('cg', '")
                .append(GMAIL_SUBJECT_KEY).append("', '").append(GMAIL_WRITTEN).append("', 'US-CA', 'Zoe', 'Doe', '").append(base).append("');\n");
        sql.append("INSERT INTO consent (subject_key, purpose, status, updated_at, source) VALUES ('").append(GMAIL_SUBJECT_KEY)
                .append("', 'email_marketing', 'GRANTED', '").append(base).append("', 'test');\n");
        CONSENTED.add(GMAIL_MEMBER);
        postgres.execute(sql.toString());
    }

    private static Map<String, String> localParameters() {
        final Map<String, String> values = new LinkedHashMap<>();
        values.put("db.url", postgres.jdbcUrl());
        values.put("db.driver.location", nifi.driversDir().resolve("postgresql.jar").toString());
        values.put("db.user", PostgresPeer.USER);
        values.put("db.password", "not-needed-locally");
        values.putAll(PostgresPool.localTlsParameters(pki));
        values.put("esp.members.url", esp.baseUrl() + "/v1/audience/members");
        values.put("esp.suppression.url", esp.baseUrl() + "/v1/suppressions");
        values.put("esp.api.key", API_KEY);
        values.put("esp.batch.size", "50");
        values.put("esp.request.rate", "20");
        values.put("db.max.rows", "100");
        return values;
    }

    private static Path template() {
        for (final Path candidate : List.of(Path.of("..", "templates", EspFlows.ESP_AUDIENCE_SYNC + ".json"),
                Path.of("templates", EspFlows.ESP_AUDIENCE_SYNC + ".json"))) {
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("templates/" + EspFlows.ESP_AUDIENCE_SYNC + ".json not found");
    }

    @Test
    @Order(1)
    void templateCarriesNoSecretsOrLocalAddresses() throws IOException {
        final byte[] json = Files.readAllBytes(template());
        assertEquals(List.of(), TemplateBuilder.problems(json));
        final JsonNode definition = client.mapper().readTree(json);
        final List<String> types = new java.util.ArrayList<>();
        definition.path("flowContents").path("processors").forEach(p -> types.add(p.path("type").asText()));
        assertTrue(types.contains("org.apache.nifi.processors.standard.QueryDatabaseTableRecord"));
        assertTrue(types.contains("io.datasync.nifi.processors.ConsentFilter"));
        assertEquals(2, types.stream().filter("io.datasync.nifi.processors.PutApiRecord"::equals).count());
        final Map<String, JsonNode> parameters = TemplateAssertions.parameters(definition);
        definition.path("flowContents").path("processors").forEach(p -> {
            if (p.path("type").asText().endsWith("QueryDatabaseTableRecord")) {
                assertEquals("PRIMARY", p.path("executionNode").asText(), "sources run on the primary node");
                // Without its change column among the columns read, the reader keeps no position (a regression seen).
                final String changeColumn = TemplateAssertions.resolve(p.path("properties").path("Maximum-value Columns").asText(), parameters);
                final List<String> columns = java.util.Arrays.stream(TemplateAssertions.resolve(p.path("properties").path("Columns to Return").asText(), parameters)
                        .split(",")).map(String::trim).toList();
                assertEquals("recorded_at", changeColumn, p.path("name").asText());
                assertTrue(columns.contains(changeColumn), p.path("name").asText() + " reads its change column");
            }
        });
    }

    @Test
    @Order(2)
    void audienceEqualsConsentedProfilesThroughThrottlingAndAKill9() {
        final String root = client.rootGroupId();
        try {
            group = client.uploadFlowDefinition(root, EspFlows.ESP_AUDIENCE_SYNC, Files.readAllBytes(template()));
        } catch (final IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        client.setParameters(group, localParameters(), EspFlows.SENSITIVE_PARAMETERS);
        client.enableControllerServices(group, Duration.ofSeconds(60));
        PrivateCaTls.addAndSelect(client, group, "ESP API TLS", pki, List.of(TemplateImport.processorId(client, group, EspFlows.UPSERT_MEMBERS),
                TemplateImport.processorId(client, group, EspFlows.SUPPRESS)));
        assertEquals(Map.of(), client.validationErrors(group), "the imported flow is valid once its parameters are set");
        final long started = System.nanoTime();
        client.startProcessGroup(group);

        // kill -9 once the push is under way (some batches applied, more to come).
        NiFiRestClient.waitUntil(SYNC_TIMEOUT, () -> {
            NiFiInstance.sleep(20);
            return esp.requests().stream().filter(r -> r.applied() && r.path().endsWith("/members")).count() >= 2;
        }, "the first member batches at the ESP");
        final int subscribedAtCrash = esp.subscribed().size();
        nifi.crash();
        E2eMetrics.record(NAME, "subscribedAtKill9", Integer.toString(subscribedAtCrash));
        nifi.start();
        client = nifi.restClient();
        E2eMetrics.recordNiFi(NAME, nifi, "restartAfterKill9");

        NiFiRestClient.waitUntil(SYNC_TIMEOUT, () -> {
            NiFiInstance.sleep(200);
            return esp.subscribed().equals(CONSENTED) && esp.suppressions().equals(DENIED);
        }, "the ESP's audience and suppression list to match the consent store");
        E2eMetrics.record(NAME, "syncSeconds", Long.toString(Duration.ofNanos(System.nanoTime() - started).toSeconds()));
        client.waitUntilQuiet(group, 3, Duration.ofSeconds(2), Duration.ofSeconds(90));

        // Nothing changed since: two more polls of the profile reader send nothing (a reader that keeps no position
        // sends the whole table again on every poll).
        final int requestsWhenQuiet = esp.requests().size();
        NiFiInstance.sleep(12_000);
        assertEquals(requestsWhenQuiet, esp.requests().size(), "requests without a change: " + summary(esp.requests()));
        assertEquals(CONSENTED, esp.subscribed(), "the audience is exactly the consented golden profiles");
        assertEquals(DENIED, esp.suppressions(), "every subject without consent, withdrawn or not, is suppressed");
        assertTrue(subscribedAtCrash < CONSENTED.size(), "the kill came in the middle of the push (" + subscribedAtCrash + ")");
    }

    @Test
    @Order(3)
    void noDeniedSubjectWasEverUpsertedAndNoBatchWasAppliedTwice() {
        final List<SampleEspApi.Request> requests = esp.requests();
        final Map<String, Integer> appliedPerKey = new HashMap<>();
        int throttled = 0;
        int lostAnswers = 0;
        int replayed = 0;
        for (final SampleEspApi.Request request : requests) {
            if (request.path().endsWith("/members")) {
                for (final String email : request.emails()) {
                    assertFalse(DENIED.contains(email), "a denied subject was sent in a member upsert (request " + request.number() + ")");
                }
                assertFalse(request.body().toLowerCase(Locale.ROOT).contains("\"unsubscribed\""), "members are only ever subscribed here");
            }
            assertTrue(request.idempotencyKey() != null && request.idempotencyKey().length() == 64, "every batch carries its key");
            if (request.applied()) {
                appliedPerKey.merge(request.idempotencyKey(), 1, Integer::sum);
            } else if (request.status() == 200) {
                replayed++;
            }
            throttled += request.status() == 429 ? 1 : 0;
            lostAnswers += request.status() == 500 ? 1 : 0;
        }
        appliedPerKey.forEach((key, times) -> assertEquals(1, times, "batch " + key + " applied " + times + " times"));
        assertEquals(2, throttled, "both 429s were met");
        assertEquals(2, lostAnswers, "both lost answers were met: " + summary(requests));
        assertTrue(replayed >= 2, "the batches whose answer was lost were sent again and recognised by their key: " + replayed);
        // Each suppression source (a denied profile, a suppression row) reached the ESP; none was applied twice.
        final Map<String, Integer> suppressionApplications = new HashMap<>();
        for (final SampleEspApi.Request request : requests) {
            if (request.applied() && request.path().endsWith("/suppressions")) {
                request.emails().forEach(email -> suppressionApplications.merge(email, 1, Integer::sum));
            }
        }
        for (final String email : DENIED) {
            final int expected = withdrew(email) ? 2 : 1;
            assertEquals(expected, suppressionApplications.getOrDefault(email, 0), email.hashCode() + ": applications");
        }
        E2eMetrics.record(NAME, "espRequests", Integer.toString(requests.size()));
        E2eMetrics.record(NAME, "replayedBatches", Integer.toString(replayed));
    }

    /** Request number, endpoint, status, applied and member count of each request: what went where, without addresses. */
    private static String summary(final List<SampleEspApi.Request> requests) {
        return requests.stream().map(r -> r.number() + ":" + r.path().substring(r.path().lastIndexOf('/') + 1) + ":" + r.status() + ":"
                + (r.applied() ? "applied" : "not") + ":" + r.emails().size()).collect(java.util.stream.Collectors.joining(" "));
    }

    /** A withdrawn subject is suppressed twice over: as a denied profile and through its suppression row. */
    private static boolean withdrew(final String email) {
        final int i = Integer.parseInt(email.substring("person".length(), email.indexOf('@')));
        return i % 5 == 1;
    }

    /**
     * Withdrawals after the sync, each written as consent-sync writes it (consent row, then suppression row), followed
     * by a newer profile update of the same person: the suppression reaches the ESP within seconds, and the update is
     * never sent as a member upsert.
     */
    @Test
    @Order(4)
    void laterWithdrawalsReachTheEspSuppressionAndALaterUpdateNeverResubscribes() {
        final List<String> withdrawing = CONSENTED.stream().limit(8).toList();
        final List<Long> latencies = new java.util.ArrayList<>();
        final long checkFrom = System.nanoTime();
        for (final String email : withdrawing) {
            final Instant now = Instant.now();
            postgres.execute("UPDATE consent SET status = 'WITHDRAWN', updated_at = '" + now + "' WHERE subject_key = '" + email
                    + "' AND purpose = 'email_marketing';\nINSERT INTO suppression (subject_key, reason, decided_at) VALUES ('" + email
                    + "', 'consent_withdrawn', '" + now + "');");
            final long written = System.nanoTime();
            NiFiRestClient.waitUntil(Duration.ofSeconds(60), () -> {
                NiFiInstance.sleep(10);
                return esp.suppressions().contains(email);
            }, "the withdrawal at the ESP's suppression list");
            latencies.add((System.nanoTime() - written) / 1_000_000);
            // A profile update after the withdrawal: the gate sends it to the suppression endpoint, never as a member.
            postgres.execute("UPDATE customer_profiles SET first_name = 'Changed', updated_at = '" + Instant.now().plusSeconds(1)
                    + "' WHERE subject_key = '" + email + "';");
        }
        latencies.sort(null);
        E2eMetrics.record(NAME, "suppressionRowToEspMillis.median", Long.toString(latencies.get(latencies.size() / 2)));
        E2eMetrics.record(NAME, "suppressionRowToEspMillis.max", Long.toString(latencies.get(latencies.size() - 1)));
        NiFiRestClient.waitUntil(Duration.ofSeconds(60), () -> {
            NiFiInstance.sleep(200);
            return esp.requests().stream().filter(r -> r.receivedNanos() > checkFrom && r.path().endsWith("/suppressions"))
                    .flatMap(r -> r.emails().stream()).filter(withdrawing::contains).count() >= 2L * withdrawing.size();
        }, "the later profile updates of the withdrawn subjects at the suppression endpoint");
        client.waitUntilQuiet(group, 3, Duration.ofSeconds(2), Duration.ofSeconds(90));
        for (final SampleEspApi.Request request : esp.requests()) {
            if (request.receivedNanos() > checkFrom && request.path().endsWith("/members")) {
                request.emails().forEach(email -> assertFalse(withdrawing.contains(email), "a withdrawn subject was upserted again: request "
                        + request.number() + " of " + summary(esp.requests())));
            }
        }
        final Set<String> expected = new TreeSet<>(CONSENTED);
        withdrawing.forEach(expected::remove);
        assertEquals(expected, esp.subscribed(), "the withdrawn subjects are no longer subscribed at the ESP");
    }

    /**
     * The whole propagation path: a signed withdrawal webhook into the committed consent-sync template (consent row,
     * then suppression row), picked up by esp-audience-sync's suppression reader and pushed to the ESP. The clock runs
     * from sending the webhook to the ESP receiving the suppression.
     */
    @Test
    @Order(5)
    void aWithdrawalWebhookReachesTheEspSuppressionWithinSeconds() throws IOException {
        final String secret = "consent-secret-" + java.util.UUID.randomUUID();
        final String consentGroup = client.uploadFlowDefinition(client.rootGroupId(), RealtimeFlows.CONSENT_SYNC,
                Files.readAllBytes(template().resolveSibling(RealtimeFlows.CONSENT_SYNC + ".json")));
        final int port = NiFiInstance.freePort();
        final Map<String, String> parameters = new LinkedHashMap<>(localParameters());
        parameters.keySet().removeIf(name -> name.startsWith("esp.") || name.equals("db.max.rows"));
        parameters.put("webhook.port", Integer.toString(port));
        parameters.put("webhook.secret", secret);
        parameters.putAll(RealtimeFlows.localTlsParameters(pki));
        client.setParameters(consentGroup, parameters, RealtimeFlows.SENSITIVE_PARAMETERS);
        client.enableControllerServices(consentGroup, Duration.ofSeconds(60));
        assertEquals(Map.of(), client.validationErrors(consentGroup));
        client.startProcessGroup(consentGroup);
        NiFiRestClient.waitUntil(Duration.ofSeconds(60), () -> postWebhook(port, "{}", null) == 401, "the consent webhook listener");

        final List<String> withdrawing = CONSENTED.stream().skip(8).limit(6).toList();
        final List<Long> latencies = new java.util.ArrayList<>();
        final long checkFrom = System.nanoTime();
        for (final String email : withdrawing) {
            final String body = client.mapper().writeValueAsString(new java.util.TreeMap<>(Map.of("email", email, "purpose", "email_marketing",
                    "status", "WITHDRAWN", "updated_at", Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString(),
                    "source", "preference_centre")));
            final long sent = System.nanoTime();
            assertEquals(200, postWebhook(port, body, RealtimeTemplatesE2ETest.shopifySignature(secret, body)));
            NiFiRestClient.waitUntil(Duration.ofSeconds(60), () -> {
                NiFiInstance.sleep(10);
                return esp.suppressions().contains(email);
            }, "the withdrawal webhook's suppression at the ESP");
            latencies.add((System.nanoTime() - sent) / 1_000_000);
        }
        // The Gmail person withdraws under yet another form of the address; consent-sync folds it to the subject key,
        // writes the suppression row under that key and anonymises the stored profile. The ESP must still get a
        // suppression for the exact address the member was pushed under.
        assertTrue(esp.subscribed().contains(GMAIL_MEMBER), "the consented Gmail person is a member");
        final String gmailBody = client.mapper().writeValueAsString(new java.util.TreeMap<>(Map.of("email", " ZoeDoe@GoogleMail.com",
                "purpose", "email_marketing", "status", "WITHDRAWN", "updated_at",
                Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString(), "source", "preference_centre")));
        final long gmailSent = System.nanoTime();
        assertEquals(200, postWebhook(port, gmailBody, RealtimeTemplatesE2ETest.shopifySignature(secret, gmailBody)));
        NiFiRestClient.waitUntil(Duration.ofSeconds(60), () -> {
            NiFiInstance.sleep(10);
            return esp.suppressions().contains(GMAIL_MEMBER);
        }, "the Gmail withdrawal's suppression of the pushed member address at the ESP");
        E2eMetrics.record(NAME, "gmailWithdrawalWebhookToEspMillis", Long.toString((System.nanoTime() - gmailSent) / 1_000_000));
        latencies.sort(null);
        E2eMetrics.record(NAME, "withdrawalWebhookToEspMillis.all", latencies.toString());
        E2eMetrics.record(NAME, "withdrawalWebhookToEspMillis.median", Long.toString(latencies.get(latencies.size() / 2)));
        client.waitUntilQuiet(group, 3, Duration.ofSeconds(2), Duration.ofSeconds(90));
        for (final SampleEspApi.Request request : esp.requests()) {
            if (request.receivedNanos() > checkFrom && request.path().endsWith("/members")) {
                request.emails().forEach(email -> assertFalse(withdrawing.contains(email), "a withdrawn subject was upserted: request "
                        + request.number() + " of " + summary(esp.requests())));
            }
        }
        withdrawing.forEach(email -> assertFalse(esp.subscribed().contains(email), "still subscribed at the ESP after withdrawing"));
        assertFalse(esp.subscribed().contains(GMAIL_MEMBER), "the Gmail person is still subscribed at the ESP after withdrawing");
        assertTrue(esp.suppressions().contains(GMAIL_SUBJECT_KEY), "the folded key is suppressed too");
        for (final SampleEspApi.Request request : esp.requests()) {
            if (request.receivedNanos() > gmailSent && request.path().endsWith("/members")) {
                assertFalse(request.emails().contains(GMAIL_MEMBER), "the withdrawn Gmail person was upserted again");
            }
        }
        client.stopProcessGroup(consentGroup, Duration.ofSeconds(60));
    }

    private static int postWebhook(final int port, final String body, final String signature) {
        final java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("https://127.0.0.1:" + port + "/webhooks/consent"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .header("X-Shopify-Webhook-Id", java.util.UUID.randomUUID().toString())
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body));
        if (signature != null) {
            request.header("X-Shopify-Hmac-Sha256", signature);
        }
        try (java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().sslContext(pki.sslContext(null)).build()) {
            return http.send(request.build(), java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (final IOException e) {
            return -1;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Regression (a CI run lost a withdrawal this way): the readers kept their position on the time a source wrote,
     * so a suppression row decided in the same second as the last one read, or decided earlier and delivered late,
     * and a profile update carrying an older updated_at were never read. They keep it on the database's own change
     * stamp now; each of these reaches the ESP.
     */
    @Test
    @Order(6)
    void sameSecondAndLateRowsStillReachTheEsp() {
        final List<String> subjects = CONSENTED.stream().skip(14).limit(4).toList();
        final String first = subjects.get(0);
        final String sameSecond = subjects.get(1);
        final String decidedEarlier = subjects.get(2);
        final String lateProfile = subjects.get(3);
        final Instant second = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        final long checkFrom = System.nanoTime();
        postgres.execute(withdrawal(first, second));
        NiFiRestClient.waitUntil(Duration.ofSeconds(60), () -> {
            NiFiInstance.sleep(10);
            return esp.suppressions().contains(first);
        }, "the first withdrawal at the ESP");
        postgres.execute(withdrawal(sameSecond, second));
        postgres.execute(withdrawal(decidedEarlier, second.minus(Duration.ofDays(1))));
        postgres.execute("UPDATE customer_profiles SET first_name = 'Late', updated_at = '2026-10-01T00:00:00Z' WHERE subject_key = '"
                + lateProfile + "';");
        NiFiRestClient.waitUntil(Duration.ofSeconds(60), () -> {
            NiFiInstance.sleep(50);
            return esp.suppressions().containsAll(List.of(sameSecond, decidedEarlier));
        }, "the same-second and the late withdrawal at the ESP");
        NiFiRestClient.waitUntil(Duration.ofSeconds(60), () -> {
            NiFiInstance.sleep(50);
            return esp.requests().stream().anyMatch(r -> r.receivedNanos() > checkFrom && r.applied() && r.path().endsWith("/members")
                    && r.emails().contains(lateProfile) && r.body().contains("\"Late\""));
        }, "the profile update with an older updated_at at the ESP");
        for (final String email : List.of(first, sameSecond, decidedEarlier)) {
            assertFalse(esp.subscribed().contains(email), "still subscribed at the ESP after withdrawing");
        }
    }

    private static String withdrawal(final String email, final Instant decided) {
        return "UPDATE consent SET status = 'WITHDRAWN', updated_at = '" + decided + "' WHERE subject_key = '" + email
                + "' AND purpose = 'email_marketing';\nINSERT INTO suppression (subject_key, reason, decided_at) VALUES ('" + email
                + "', 'consent_withdrawn', '" + decided + "');";
    }

    @Test
    @Order(7)
    void logsCarryNoEmailsOrApiKey() {
        assertEquals(List.of(), nifi.grepLogs(API_KEY), "the API key is in NiFi's logs");
        for (final String email : List.of("person3@example.org", "person11@example.org", "person13@example.org")) {
            assertEquals(List.of(), nifi.grepLogs(email), "NiFi logs mention a profile's email");
        }
    }

    /**
     * Without the SSL Context Service (the JVM's default trust, which does not know the private CA) the suppression
     * push fails closed: the TLS handshake fails before any HTTP byte, so the ESP receives nothing (neither the key nor
     * a record); the FlowFile waits in 'retry' with putapi.reason naming the TLS failure. With the service selected
     * again the same FlowFile is sent: nothing was lost.
     */
    @Test
    @Order(8)
    void withoutTheTlsServiceAPushToThePrivateCaSendsNothingAndKeepsTheRecordsForRetry() {
        final String suppress = TemplateImport.processorId(client, group, EspFlows.SUPPRESS);
        final String service = client.get("/processors/" + suppress).path("component").path("config").path("properties")
                .path("SSL Context Service").asText();
        assertTrue(!service.isEmpty() && !"null".equals(service), "the push uses the added TLS service");
        client.setProcessorRunStatus(suppress, "STOPPED", Duration.ofSeconds(60));
        final Map<String, Object> properties = new HashMap<>();
        properties.put("SSL Context Service", null);
        client.updateProcessorConfig(suppress, Map.of("properties", properties));
        client.setProcessorRunStatus(suppress, "RUNNING", Duration.ofSeconds(30));

        final String email = CONSENTED.stream().skip(30).findFirst().orElseThrow();
        final int requestsBefore = esp.requests().size();
        postgres.execute(withdrawal(email, Instant.now()));
        final String retry = selfLoop(group, suppress);
        NiFiRestClient.waitUntil(Duration.ofSeconds(90), () -> !queuedAttributes(retry).isEmpty(), "the suppression FlowFile in 'retry'");
        final List<Map<String, String>> retried = queuedAttributes(retry);
        for (final Map<String, String> attributes : retried) {
            final String reason = attributes.get("putapi.reason");
            assertTrue(reason != null && reason.contains("SSLHandshakeException"), "reason names the TLS failure: " + reason);
            assertFalse(attributes.values().stream().anyMatch(value -> value.contains(API_KEY)), "no attribute holds the API key");
        }
        assertEquals(requestsBefore, esp.requests().size(), "the ESP received nothing: " + summary(esp.requests()));
        assertFalse(esp.suppressions().contains(email));
        assertEquals(List.of(), nifi.grepLogs(API_KEY), "the API key is in NiFi's logs");

        // The administrator selects the TLS service again: the FlowFile waiting in 'retry' is sent.
        client.setProcessorRunStatus(suppress, "STOPPED", Duration.ofSeconds(60));
        client.updateProcessorConfig(suppress, Map.of("properties", Map.of("SSL Context Service", service)));
        client.setProcessorRunStatus(suppress, "RUNNING", Duration.ofSeconds(30));
        NiFiRestClient.waitUntil(Duration.ofSeconds(60), () -> {
            NiFiInstance.sleep(50);
            return esp.suppressions().contains(email);
        }, "the withdrawal at the ESP once the CA is trusted");
        NiFiRestClient.waitUntil(Duration.ofSeconds(30), () -> queuedAttributes(retry).isEmpty(), "'retry' drained");
    }

    /** The connection from a processor back to itself (its 'retry'). */
    private static String selfLoop(final String groupId, final String processorId) {
        for (final JsonNode connection : client.get("/process-groups/" + groupId + "/connections").path("connections")) {
            final JsonNode component = connection.path("component");
            if (processorId.equals(component.path("source").path("id").asText())
                    && processorId.equals(component.path("destination").path("id").asText())) {
                return connection.path("id").asText();
            }
        }
        throw new IllegalStateException("no self-loop on " + processorId);
    }

    /** The attributes of the FlowFiles queued in a connection, through NiFi's queue listing (bounded wait). */
    private static List<Map<String, String>> queuedAttributes(final String connectionId) {
        final JsonNode created = client.post("/flowfile-queues/" + connectionId + "/listing-requests", client.mapper().createObjectNode());
        final String requestId = created.path("listingRequest").path("id").asText();
        final String path = "/flowfile-queues/" + connectionId + "/listing-requests/" + requestId;
        try {
            JsonNode listing = created.path("listingRequest");
            for (int attempt = 0; attempt < 50 && !listing.path("finished").asBoolean(); attempt++) {
                NiFiInstance.sleep(100);
                listing = client.get(path).path("listingRequest");
            }
            final List<Map<String, String>> found = new java.util.ArrayList<>();
            for (final JsonNode summary : listing.path("flowFileSummaries")) {
                final JsonNode flowFile = client.get("/flowfile-queues/" + connectionId + "/flowfiles/" + summary.path("uuid").asText())
                        .path("flowFile");
                final Map<String, String> attributes = new HashMap<>();
                flowFile.path("attributes").fields().forEachRemaining(entry -> attributes.put(entry.getKey(), entry.getValue().asText()));
                found.add(attributes);
            }
            return found;
        } finally {
            client.delete(path);
        }
    }

    /**
     * Records per second into the ESP, end to end in one NiFi: the same rows read by QueryDatabaseTableRecord and shaped
     * by QueryRecord, then pushed by PutApiRecord in batches, against the stock way (SplitRecord to one record per
     * FlowFile, InvokeHTTP one request per record). Each run goes to its own sample ESP without faults or rate limits; the
     * clock runs from starting the group to the ESP holding every record.
     */
    @Test
    @Order(9)
    void bulkPushAgainstOneRequestPerRecord() {
        final int rows = 2000;
        final StringBuilder sql = new StringBuilder("CREATE TABLE esp_bench (email VARCHAR(320), first_name VARCHAR(100), last_name VARCHAR(100));\n");
        sql.append("INSERT INTO esp_bench SELECT 'bench' || g || '@example.net', 'F' || g, 'L' || g FROM generate_series(1, ").append(rows).append(") g;\n");
        postgres.execute(sql.toString());
        client.stopProcessGroup(group, Duration.ofSeconds(60));

        final double bulk = benchRun(rows, true);
        final double single = benchRun(rows, false);
        E2eMetrics.record(NAME, "bench.putApiRecord.recordsPerSecond", String.format(Locale.ROOT, "%.0f", bulk));
        E2eMetrics.record(NAME, "bench.invokeHttp.recordsPerSecond", String.format(Locale.ROOT, "%.0f", single));
        E2eMetrics.record(NAME, "bench.ratio", String.format(Locale.ROOT, "%.1f", bulk / single));
        assertTrue(bulk > single, "batches beat one request per record: " + bulk + " vs " + single);
    }

    private static double benchRun(final int rows, final boolean bulk) {
        try (SampleEspApi benchEsp = SampleEspApi.start(API_KEY, Set.of(), Set.of())) {
            final String benchGroup = client.createProcessGroup(client.rootGroupId(), bulk ? "bench-putapirecord" : "bench-invokehttp");
            final String reader = client.createControllerService(benchGroup, "org.apache.nifi.json.JsonTreeReader", "reader",
                    Map.of("schema-access-strategy", "infer-schema"));
            final String writer = client.createControllerService(benchGroup, "org.apache.nifi.json.JsonRecordSetWriter", "writer", Map.of());
            final String oneLine = client.createControllerService(benchGroup, "org.apache.nifi.json.JsonRecordSetWriter", "one object writer",
                    Map.of("output-grouping", "output-oneline"));
            final String dbcp = client.createControllerService(benchGroup, "org.apache.nifi.dbcp.DBCPConnectionPool", "db", Map.of(
                    "Database Connection URL", postgres.jdbcUrl(),
                    "Database Driver Class Name", "org.postgresql.Driver",
                    "database-driver-locations", nifi.driversDir().resolve("postgresql.jar").toString(),
                    "Database User", PostgresPeer.USER,
                    "Password", "not-needed-locally"));
            final String read = client.createProcessor(benchGroup, "org.apache.nifi.processors.standard.QueryDatabaseTableRecord", "read", Map.of(
                    "Database Connection Pooling Service", dbcp,
                    "db-fetch-db-type", "PostgreSQL",
                    "Table Name", "esp_bench",
                    "qdbt-max-rows", "1000",
                    "qdbtr-record-writer", writer), "1 hour", Set.of());
            final String shape = client.createProcessor(benchGroup, "org.apache.nifi.processors.standard.QueryRecord", "shape", Map.of(
                    "record-reader", reader,
                    "record-writer", writer,
                    "include-zero-record-flowfiles", "false"),
                    Map.of("members", "SELECT email AS email_address, 'subscribed' AS status, first_name, last_name FROM FLOWFILE"), null,
                    Set.of("original", "failure"));
            client.connect(benchGroup, read, shape, Set.of("success"));
            if (bulk) {
                final Map<String, String> properties = new LinkedHashMap<>();
                properties.put("Record Reader", reader);
                properties.put("Record Writer", writer);
                properties.put("Endpoint URL", benchEsp.baseUrl() + "/v1/audience/members");
                properties.put("Request Body Template", "{\"members\": {{records}}}");
                properties.put("Batch Size", "500");
                properties.put("Item Key Pointer", "/email_address");
                properties.put("Errors Pointer", "/errors");
                properties.put("Error Item Key Pointer", "/email_address");
                properties.put("Authentication Strategy", "API_KEY_HEADER");
                properties.put("API Key Name", SampleEspApi.API_KEY_HEADER);
                properties.put("API Key", API_KEY);
                final String push = client.createProcessor(benchGroup, "io.datasync.nifi.processors.PutApiRecord", "push", properties, null,
                        Set.of("success", "failure", "retry"));
                client.connect(benchGroup, shape, push, Set.of("members"));
            } else {
                final String split = client.createProcessor(benchGroup, "org.apache.nifi.processors.standard.SplitRecord", "split", Map.of(
                        "Record Reader", reader,
                        "Record Writer", oneLine,
                        "Records Per Split", "1"), null, Set.of("original", "failure"));
                final String invoke = client.createProcessor(benchGroup, "org.apache.nifi.processors.standard.InvokeHTTP", "invoke", Map.of(
                        "HTTP Method", "POST",
                        "HTTP URL", benchEsp.baseUrl() + "/v1/audience/member",
                        "Request Content-Type", "application/json"), Map.of(SampleEspApi.API_KEY_HEADER, API_KEY), null,
                        Set.of("Original", "Response", "Retry", "No Retry", "Failure"));
                client.connect(benchGroup, shape, split, Set.of("members"));
                client.connect(benchGroup, split, invoke, Set.of("splits"));
            }
            client.enableControllerServices(benchGroup, Duration.ofSeconds(60));
            assertEquals(Map.of(), client.validationErrors(benchGroup));
            final long started = System.nanoTime();
            client.startProcessGroup(benchGroup);
            NiFiRestClient.waitUntil(Duration.ofSeconds(240), () -> {
                NiFiInstance.sleep(20);
                return benchEsp.subscribed().size() >= rows;
            }, "every bench record at the ESP");
            final double seconds = (System.nanoTime() - started) / 1e9;
            E2eMetrics.record(NAME, "bench." + (bulk ? "putApiRecord" : "invokeHttp") + ".seconds", String.format(Locale.ROOT, "%.2f", seconds));
            E2eMetrics.record(NAME, "bench." + (bulk ? "putApiRecord" : "invokeHttp") + ".requests", Integer.toString(benchEsp.requests().size()));
            assertEquals(rows, benchEsp.subscribed().size());
            client.stopProcessGroup(benchGroup, Duration.ofSeconds(60));
            return rows / seconds;
        }
    }
}
