package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A secured NiFi (HTTPS only, client certificates from a CA made at run time, file-based users, groups and policies)
 * with the role set of {@link SecurityPolicies}: what each role may do is checked through the REST API as that user,
 * and NiFi's flow configuration history is checked for who changed what.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecuredNiFiE2ETest {

    private static final String NAME = SecuredNiFiE2ETest.class.getSimpleName();
    /** FlowFile content the test flow produces: what only a data steward (and an administrator) may read back. */
    private static final String CONTENT = "personal-data-" + UUID.randomUUID();

    private static final String WEBHOOK_SECRET = "shop-secret-" + UUID.randomUUID();
    private static final String DB_PASSWORD = "db-password-" + UUID.randomUUID();
    private static final String EMAIL = "secured." + UUID.randomUUID().toString().substring(0, 8) + "@example.com";
    private static final String PLAIN_EMAIL = "plain." + UUID.randomUUID().toString().substring(0, 8) + "@example.com";

    private static long classStart;
    private static TestPki pki;
    private static PostgresPeer postgres;
    private static String webhookGroup;
    private static int webhookPort;
    private static NiFiInstance nifi;
    private static NiFiRestClient admin;
    private static NiFiRestClient operator;
    private static NiFiRestClient steward;
    private static String groupId;
    private static String generateId;
    private static String contextId;

    @BeforeAll
    static void startSecuredNiFi() {
        classStart = System.nanoTime();
        nifi = NiFiInstance.create("secured");
        pki = TestPki.create(nifi.runDir().resolve("tls"));
        nifi.secured(pki, "admin");
        postgres = PostgresPeer.startWithTls(nifi.runDir().resolve("postgres-data"), pki);
        final TestPki.Identity operatorCert = pki.client("operator");
        final TestPki.Identity stewardCert = pki.client("steward");
        nifi.start();
        E2eMetrics.recordNiFi(NAME, nifi, "firstStart");
        admin = nifi.restClient();
        operator = nifi.restClient(operatorCert);
        steward = nifi.restClient(stewardCert);
        new SecurityPolicies(admin).apply(nifi.admin().distinguishedName(), List.of(operatorCert.distinguishedName()),
                List.of(stewardCert.distinguishedName()));

        // A small flow whose FlowFiles carry CONTENT: GenerateFlowFile -> a funnel, with a parameter only admins may change.
        final String root = admin.rootGroupId();
        groupId = admin.createProcessGroup(root, "secured-roles");
        contextId = admin.createParameterContext("secured-roles", Map.of("content", CONTENT), Set.of());
        admin.bindParameterContext(groupId, contextId);
        generateId = admin.createProcessor(groupId, "org.apache.nifi.processors.standard.GenerateFlowFile", "Generate", Map.of(
                "generate-ff-custom-text", "#{content}",
                "Batch Size", "1"), null, Set.of());
        final String funnel = admin.createFunnel(groupId);
        admin.connect(groupId, generateId, "PROCESSOR", funnel, "FUNNEL", Set.of("success"));
        admin.updateProcessorConfig(generateId, Map.of("schedulingPeriod", "1 sec"));
    }

    @AfterAll
    static void stopSecuredNiFi() {
        try {
            if (nifi != null) {
                nifi.close();
            }
        } finally {
            if (postgres != null) {
                postgres.close();
            }
        }
        E2eMetrics.record(NAME, "classSeconds", Long.toString(Duration.ofNanos(System.nanoTime() - classStart).toSeconds()));
    }

    @Test
    @Order(1)
    void nifiServesHttpsOnlyAndRefusesAClientWithoutCertificate() {
        assertTrue(nifi.apiUrl().startsWith("https://127.0.0.1:"), nifi.apiUrl());
        // Without a login provider NiFi needs the client certificate in the TLS handshake: no certificate, no session.
        final NiFiRestClient anonymous = new NiFiRestClient(nifi.apiUrl(), pki.sslContext(null));
        final RuntimeException refused = assertThrows(RuntimeException.class, anonymous::rootGroupId);
        assertTrue(refused instanceof java.io.UncheckedIOException
                || refused instanceof NiFiRestClient.NiFiApiException api && (api.statusCode() == 401 || api.statusCode() == 403), refused.toString());
        // A certificate from another CA is not trusted either.
        final TestPki stranger = TestPki.create(nifi.runDir().resolve("tls-stranger"));
        final NiFiRestClient impostor = new NiFiRestClient(nifi.apiUrl(), stranger.sslContext(stranger.client("admin")));
        assertThrows(RuntimeException.class, impostor::rootGroupId, "an admin certificate from another CA");
        final NiFiRestClient plain = new NiFiRestClient(nifi.apiUrl().replace("https://", "http://"));
        assertThrows(RuntimeException.class, plain::rootGroupId, "plain HTTP to the HTTPS port must fail");
    }

    @Test
    @Order(2)
    void operatorStartsAndStopsTheFlowAndSeesCountersAndBulletins() {
        operator.startProcessGroup(groupId);
        NiFiRestClient.waitUntil(Duration.ofSeconds(60), () -> queued(admin) >= 2, "FlowFiles generated");
        operator.stopProcessGroup(groupId, Duration.ofSeconds(60));
        assertFalse(operator.counters() == null);
        assertTrue(operator.bulletins() != null);
        assertEquals(groupId, operator.processGroup(groupId).path("id").asText(), "the operator sees the group");
        // Operating is not modifying: the operator cannot reconfigure a component.
        assertEquals(403, status(() -> {
            operator.updateProcessorConfig(generateId, Map.of("schedulingPeriod", "2 sec"));
            return null;
        }), "operator: change a processor's configuration");
        // The steward cannot start anything: NiFi answers a group-wide start with 200 but starts only the components
        // the user may operate, here none (the request itself appears in the flow history).
        steward.startProcessGroup(groupId);
        NiFiInstance.sleep(2000);
        assertEquals("STOPPED", admin.get("/processors/" + generateId).path("component").path("state").asText(),
                "a group start by the steward starts nothing");
        assertEquals(403, status(() -> {
            steward.setProcessorRunStatus(generateId, "RUNNING", Duration.ofSeconds(10));
            return null;
        }), "steward: start one processor");
    }

    @Test
    @Order(3)
    void operatorIsRefusedProvenanceAndContentStewardIsNot() {
        final JsonNode[] found = new JsonNode[1];
        NiFiRestClient.waitUntil(Duration.ofSeconds(60), () -> (found[0] = first(steward.provenanceEvents(generateId, 10))) != null,
                "a provenance event of the generator");
        final JsonNode event = found[0];
        final String contentPath = "/provenance-events/" + event.path("id").asText() + "/content/output";
        assertEquals(CONTENT, steward.getText(contentPath), "the data steward reads provenance content");
        assertEquals(403, status(() -> operator.getText(contentPath)), "operator: provenance content");
        assertEquals(403, status(() -> operator.provenanceEvents(generateId, 10)), "operator: provenance query");
        final String connectionId = admin.get("/process-groups/" + groupId + "/connections").path("connections").get(0).path("id").asText();
        assertEquals(403, status(() -> operator.post("/flowfile-queues/" + connectionId + "/listing-requests", operator.mapper().createObjectNode())),
                "operator: queue listing (FlowFile attributes and content)");
    }

    @Test
    @Order(4)
    void onlyAnAdministratorChangesParameters() {
        for (final NiFiRestClient user : List.of(operator, steward)) {
            assertEquals(403, status(() -> {
                user.setParameters(groupId, Map.of("content", "changed"), Set.of());
                return null;
            }), "a non-administrator changes a parameter");
        }
        admin.setParameters(groupId, Map.of("content", CONTENT + "-v2"), Set.of());
        assertEquals(CONTENT + "-v2", admin.get("/parameter-contexts/" + contextId).path("component").path("parameters").get(0)
                .path("parameter").path("value").asText());
    }

    @Test
    @Order(5)
    void flowHistoryRecordsWhoChangedWhat() {
        final JsonNode actions = admin.get("/flow/history?offset=0&count=200&sortColumn=timestamp&sortOrder=desc").path("history").path("actions");
        final List<String> seen = new ArrayList<>();
        actions.forEach(action -> seen.add(action.path("action").path("userIdentity").asText() + " "
                + action.path("action").path("operation").asText() + " " + action.path("action").path("sourceName").asText()));
        assertTrue(seen.contains("CN=operator Start secured-roles"), "the operator's start is recorded: " + seen);
        assertTrue(seen.contains("CN=operator Stop secured-roles"), "the operator's stop is recorded: " + seen);
        assertTrue(seen.contains("CN=admin Add Generate"), "the administrator's new processor is recorded: " + seen);
        assertTrue(seen.contains("CN=admin Add read /provenance"), "the administrator's policy change is recorded: " + seen);
        assertFalse(seen.stream().anyMatch(entry -> entry.startsWith("CN=steward") && !entry.startsWith("CN=steward Start ")),
                "the steward changed nothing (its group start, which started nothing, is the only entry): " + seen);
        // nifi-user.log: each authentication, and each refusal with the user's identity and what was refused.
        assertFalse(nifi.grepLogs("Authentication Success [CN=operator]").isEmpty(), "the operator's logins are logged");
        assertTrue(nifi.grepLogs("identity[CN=operator]").stream().anyMatch(line -> line.contains("Unable to view the provenance data")),
                "the operator's refused provenance content is logged");
    }

    private static int queued(final NiFiRestClient client) {
        return client.groupStatus(groupId).path("flowFilesQueued").asInt();
    }

    private static JsonNode first(final List<JsonNode> events) {
        return events.isEmpty() ? null : events.get(0);
    }

    private static int status(final Supplier<?> call) {
        try {
            call.get();
            return 200;
        } catch (final NiFiRestClient.NiFiApiException e) {
            return e.statusCode();
        }
    }

    @Test
    @Order(6)
    void webhookTemplateServesHttpsOnlyAndWritesOverTls() throws IOException {
        postgres.execute("INSERT INTO consent (subject_key, purpose, status, updated_at, source) VALUES ('" + EMAIL + "', '"
                + SampleData.PURPOSE + "', 'GRANTED', TIMESTAMPTZ '2026-01-01T00:00:00Z', 'test'), ('" + PLAIN_EMAIL + "', '"
                + SampleData.PURPOSE + "', 'GRANTED', TIMESTAMPTZ '2026-01-01T00:00:00Z', 'test')");
        webhookGroup = admin.uploadFlowDefinition(admin.rootGroupId(), RealtimeFlows.WEBHOOK_REALTIME,
                Files.readAllBytes(RealtimeTemplatesE2ETest.template(RealtimeFlows.WEBHOOK_REALTIME)));
        webhookPort = NiFiInstance.freePort();
        final Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("webhook.port", Integer.toString(webhookPort));
        parameters.put("webhook.secret", WEBHOOK_SECRET);
        parameters.put("db.url", postgres.jdbcUrl());
        parameters.put("db.driver.location", nifi.driversDir().resolve("postgresql.jar").toString());
        parameters.put("db.user", PostgresPeer.USER);
        parameters.put("db.password", DB_PASSWORD);
        parameters.putAll(RealtimeFlows.localTlsParameters(pki));
        // the identity store's key, as docs/realtime.md tells users to set it
        parameters.put("identity.hash.key", TemplateImport.LOCAL_IDENTITY_HASH_KEY);
        admin.setParameters(webhookGroup, parameters, RealtimeFlows.SENSITIVE_PARAMETERS);
        // The operator runs the flow: enabling its services and starting it are "operate" actions.
        operator.enableControllerServices(webhookGroup, Duration.ofSeconds(60));
        assertEquals(Map.of(), admin.validationErrors(webhookGroup), "the imported template is valid with its TLS parameters");
        operator.startProcessGroup(webhookGroup);

        final HttpClient https = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).sslContext(pki.sslContext(null)).build();
        NiFiRestClient.waitUntil(Duration.ofSeconds(60), () -> status(https, "https", "{}", null) == 401, "the HTTPS listener answering");

        final String body = json(Map.of("source", "shop", "source_id", "s-1", "email", EMAIL, "first_name", "Ada",
                "updated_at", "2026-03-01T10:00:00Z"));
        assertEquals(200, status(https, "https", body, RealtimeTemplatesE2ETest.shopifySignature(WEBHOOK_SECRET, body)));
        NiFiRestClient.waitUntil(Duration.ofSeconds(60), () -> !profiles(EMAIL).isEmpty(), "the profile written over TLS");

        // The same signed request over plain HTTP: refused by the TLS listener, nothing is written.
        final String plainBody = json(Map.of("source", "shop", "source_id", "s-2", "email", PLAIN_EMAIL, "first_name", "Bob",
                "updated_at", "2026-03-01T10:00:00Z"));
        final HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        final int plainStatus = status(plain, "http", plainBody, RealtimeTemplatesE2ETest.shopifySignature(WEBHOOK_SECRET, plainBody));
        assertTrue(plainStatus == -1 || plainStatus == 400, "plain HTTP to the HTTPS listener must be refused, got " + plainStatus);
        waitUntilQuiet(webhookGroup);
        assertEquals(List.of(), profiles(PLAIN_EMAIL), "a plain-HTTP webhook left a profile");

        // Every client session PostgreSQL sees uses TLS (NiFi's pool keeps its connections), and a plain one is refused.
        TemplateAssertions.assertDatabaseSessionsTlsOnly(postgres);
    }

    @Test
    @Order(7)
    void noSecretInTheDownloadedFlowTheLogsOrFlowFileAttributes() {
        final List<String> secrets = List.of(WEBHOOK_SECRET, DB_PASSWORD, pki.password());
        final String definition = new String(admin.downloadFlowDefinition(webhookGroup), StandardCharsets.UTF_8);
        for (final String secret : secrets) {
            assertFalse(definition.contains(secret), "the downloaded flow definition holds a secret");
            assertEquals(List.of(), nifi.grepLogs(secret), "NiFi's logs hold a secret");
        }
        assertEquals(List.of(), nifi.grepLogs(EMAIL), "NiFi's logs hold the customer's email");
        final String receiveId = admin.processorIdByName(webhookGroup, RealtimeFlows.RECEIVE);
        final List<JsonNode> events = steward.provenanceEvents(receiveId, 20);
        assertFalse(events.isEmpty(), "provenance events of the listener");
        for (final JsonNode event : events) {
            final String detail = steward.get("/provenance-events/" + event.path("id").asText()).toString();
            assertTrue(detail.contains("X-Shopify-Hmac-Sha256") || detail.contains("http."), "the event carries the request attributes");
            secrets.forEach(secret -> assertFalse(detail.contains(secret), "a FlowFile attribute holds a secret"));
        }
    }

    private static int status(final HttpClient client, final String scheme, final String body, final String signature) {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(scheme + "://127.0.0.1:" + webhookPort + "/webhooks/customers"))
                .timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json")
                .header("X-Shopify-Webhook-Id", UUID.randomUUID().toString())
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (signature != null) {
            request.header("X-Shopify-Hmac-Sha256", signature);
        }
        try {
            return client.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (final IOException e) {
            return -1;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Nothing queued (the failure funnel included) and no thread active, the always-listening receiver aside. */
    private static void waitUntilQuiet(final String group) {
        final int[] quietPolls = {0};
        NiFiRestClient.waitUntil(Duration.ofSeconds(90), () -> {
            final boolean nothingQueued = admin.groupStatus(group).path("flowFilesQueued").asInt() == 0;
            final boolean idle = admin.processorStatuses(group).stream()
                    .filter(status -> !RealtimeFlows.RECEIVE.equals(status.path("name").asText()))
                    .allMatch(status -> status.path("activeThreadCount").asInt() == 0);
            quietPolls[0] = nothingQueued && idle ? quietPolls[0] + 1 : 0;
            NiFiInstance.sleep(500);
            return quietPolls[0] >= 3;
        }, "group " + group + " quiet");
    }

    private static String json(final Map<String, String> fields) {
        try {
            return admin.mapper().writeValueAsString(new TreeMap<>(fields));
        } catch (final IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static List<Map<String, Object>> profiles(final String email) {
        return postgres.query("SELECT customer_id FROM customer_profiles WHERE subject_key = ?", email);
    }
}
