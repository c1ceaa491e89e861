package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The two real-time templates ({@code templates/webhook-realtime.json}, {@code templates/consent-sync.json}) imported
 * into a real NiFi next to a real PostgreSQL, driven by Shopify-signed webhooks whose signatures this test computes from
 * the scheme (Base64 HMAC-SHA256 of the raw body in {@code X-Shopify-Hmac-Sha256}).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RealtimeTemplatesE2ETest {

    private static final String NAME = RealtimeTemplatesE2ETest.class.getSimpleName();
    private static final Duration LAND_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration QUIET_TIMEOUT = Duration.ofSeconds(90);
    private static final String CUSTOMER_SECRET = "shop-secret-" + UUID.randomUUID();
    private static final String CONSENT_SECRET = "consent-secret-" + UUID.randomUUID();
    private static final String SIGNATURE_HEADER = "X-Shopify-Hmac-Sha256";

    /** Every email this test sends, as written, for the log check. */
    private static final List<String> EMAILS_SENT = new ArrayList<>();

    private static long classStart;
    private static PostgresPeer postgres;
    private static NiFiInstance nifi;
    private static NiFiRestClient client;
    private static String webhookGroup;
    private static String consentGroup;
    private static int webhookPort;
    private static int consentPort;
    /** HTTPS client trusting the run's test CA (the templates listen on HTTPS only). */
    private static HttpClient http;
    private static TestPki pki;
    /** The FTP server of the ftp-batch-ingest group imported beside the webhook flows (null until that test runs). */
    private static FtpPeer ftp;

    @BeforeAll
    static void startEverything() throws IOException {
        classStart = System.nanoTime();
        nifi = NiFiInstance.create("realtime");
        pki = TestPki.create(nifi.runDir().resolve("tls"));
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).sslContext(pki.sslContext(null)).build();
        postgres = PostgresPeer.startWithTls(nifi.runDir().resolve("postgres-data"), pki);
        client = SecuredStart.startAsAdministrator(nifi, pki);
        assertTrue(nifi.apiUrl().startsWith("https://"), "the templates run on a secured NiFi");
        E2eMetrics.recordNiFi(NAME, nifi, "firstStart");

        final String root = client.rootGroupId();
        webhookGroup = client.uploadFlowDefinition(root, RealtimeFlows.WEBHOOK_REALTIME, Files.readAllBytes(template(RealtimeFlows.WEBHOOK_REALTIME)));
        consentGroup = client.uploadFlowDefinition(root, RealtimeFlows.CONSENT_SYNC, Files.readAllBytes(template(RealtimeFlows.CONSENT_SYNC)));
        webhookPort = NiFiInstance.freePort();
        consentPort = NiFiInstance.freePort();
        client.setParameters(webhookGroup, localParameters(webhookPort, CUSTOMER_SECRET), RealtimeFlows.SENSITIVE_PARAMETERS);
        client.setParameters(consentGroup, localParameters(consentPort, CONSENT_SECRET), RealtimeFlows.SENSITIVE_PARAMETERS);
        for (final String group : List.of(webhookGroup, consentGroup)) {
            client.enableControllerServices(group, Duration.ofSeconds(60));
            assertEquals(Map.of(), client.validationErrors(group), "the imported flow is valid once its parameters are set");
            client.startProcessGroup(group);
        }
        // HandleHttpRequest starts its server asynchronously: wait until both ports answer (an unsigned request: 401).
        NiFiRestClient.waitUntil(Duration.ofSeconds(60), () -> answers(webhookPort, "/webhooks/customers")
                && answers(consentPort, "/webhooks/consent"), "both webhook listeners answering");
    }

    @AfterAll
    static void stopEverything() {
        try {
            if (nifi != null) {
                nifi.close();
            }
            if (ftp != null) {
                ftp.close();
            }
        } finally {
            if (postgres != null) {
                postgres.close();
            }
            E2eMetrics.record(NAME, "classSeconds", Long.toString(Duration.ofNanos(System.nanoTime() - classStart).toSeconds()));
        }
    }

    @Test
    @Order(1)
    void templatesCarryNoSecretsLocalPortsOrPaths() throws IOException {
        for (final String flow : List.of(RealtimeFlows.WEBHOOK_REALTIME, RealtimeFlows.CONSENT_SYNC)) {
            final String json = Files.readString(template(flow));
            assertFalse(json.contains(CUSTOMER_SECRET) || json.contains(CONSENT_SECRET));
            assertFalse(json.contains("/work/") || json.contains("/tmp/") || json.contains("127.0.0.1:"), flow + " has a local path or address");
            final JsonNode definition = client.mapper().readTree(json);
            final JsonNode contexts = definition.path("parameterContexts");
            assertEquals(1, contexts.size(), flow + " has one parameter context");
            for (final JsonNode parameter : contexts.elements().next().path("parameters")) {
                if (parameter.path("sensitive").asBoolean()) {
                    assertTrue(parameter.path("value").isMissingNode() || parameter.path("value").isNull()
                            || parameter.path("value").asText().isEmpty(), flow + ": sensitive parameter with a value");
                }
            }
            final JsonNode children = definition.path("flowContents").path("processGroups");
            if (RealtimeFlows.WEBHOOK_REALTIME.equals(flow)) {
                // merge, re-check and write one FlowFile at a time, as in the batch templates
                assertEquals(1, children.size(), flow + " has one child group");
                assertEquals(RealtimeFlows.MERGE_GROUP, children.get(0).path("name").asText());
                assertEquals("SINGLE_FLOWFILE_PER_NODE", children.get(0).path("flowFileConcurrency").asText());
                assertEquals(0, children.get(0).path("controllerServices").size(), "the child uses its parent's services");
            } else {
                assertEquals(0, children.size(), flow + " is one flat group");
            }
            final List<String> serviceTypes = new ArrayList<>();
            definition.path("flowContents").path("controllerServices").forEach(service -> serviceTypes.add(service.path("type").asText()));
            final List<String> expectedTypes = new ArrayList<>(List.of("org.apache.nifi.dbcp.DBCPConnectionPool",
                    "org.apache.nifi.http.StandardHttpContextMap", "org.apache.nifi.json.JsonRecordSetWriter", "org.apache.nifi.json.JsonTreeReader",
                    "org.apache.nifi.json.JsonTreeReader", "org.apache.nifi.ssl.StandardRestrictedSSLContextService"));
            // webhook-realtime: the identity cache client CustomerDedup uses when identity.store.type is the cache (the batch
            // templates' parameters); consent-sync: the one-row lookup of a withdrawn subject's customer id (one event, one query).
            expectedTypes.add(RealtimeFlows.WEBHOOK_REALTIME.equals(flow) ? "org.apache.nifi.distributed.cache.client.MapCacheClientService"
                    : "org.apache.nifi.lookup.db.SimpleDatabaseLookupService");
            // The webhook flow's three ConsentFilters and its ProfileMerge read the database in batches through the pool.
            assertEquals(RealtimeFlows.WEBHOOK_REALTIME.equals(flow) ? 4 : 0, TemplateAssertions.assertBatchedDatabaseStores(json.getBytes(StandardCharsets.UTF_8)));
            serviceTypes.sort(null);
            expectedTypes.sort(null);
            assertEquals(expectedTypes, serviceTypes, flow + " holds its own services");
            assertEquals(0, definition.path("externalControllerServices").size(), flow + " references no service outside itself");
        }
    }

    @Test
    @Order(2)
    void signedWebhooksLandAsMergedProfiles() {
        final String ada = "ada.lovelace@example.org";
        grantConsent(ada);
        grantConsent("bob.marley@example.net");

        assertEquals(200, postCustomer(Map.of("source", "shop", "source_id", "s-100", "email", " Ada.Lovelace@Example.org ",
                "first_name", "Ada", "last_name", "Lovelace", "phone", "+447700900123", "city", "London", "country", "GB",
                "updated_at", "2026-03-01T10:00:00Z")));
        final Map<String, Object> first = awaitProfile(ada, row -> "+447700900123".equals(row.get("phone")));
        // The customer id is the identity store's (shared with the batch templates), keyed by each of the event's
        // identifiers: the subject key, the phone in E.164 and the source id.
        final String adaId = (String) first.get("customer_id");
        assertTrue(((Number) postgres.query("SELECT count(*) AS n FROM customer_identity WHERE entry_value = ?", adaId).getFirst()
                .get("n")).longValue() >= 3, "the event's e-mail, phone and source id point at its customer id");
        assertFalse(sha256Hex(ada).equals(adaId), "no id derived from the e-mail alone");
        assertEquals("Ada", first.get("first_name"));

        // A partial, newer update from another source: ProfileMerge keeps what the stored profile knew.
        assertEquals(200, postCustomer(Map.of("source", "crm", "source_id", "c-7", "email", "ada.lovelace@example.org",
                "phone", "+447700900999", "city", "Cambridge", "updated_at", "2026-03-02T09:00:00Z")));
        final Map<String, Object> merged = awaitProfile(ada, row -> "+447700900999".equals(row.get("phone")));
        assertEquals("Ada", merged.get("first_name"));
        assertEquals("Lovelace", merged.get("last_name"));
        assertEquals("Cambridge", merged.get("city"));
        assertEquals("GB", merged.get("country"));
        assertEquals(Instant.parse("2026-03-02T09:00:00Z"), merged.get("updated_at"));

        // An older update arriving late does not overwrite newer values.
        assertEquals(200, postCustomer(Map.of("source", "shop", "source_id", "s-100", "email", "ada.lovelace@example.org",
                "city", "Oxford", "updated_at", "2026-02-01T00:00:00Z")));
        assertEquals(200, postCustomer(Map.of("source", "shop", "source_id", "s-200", "email", "bob.marley@example.net",
                "first_name", "Bob", "updated_at", "2026-03-01T00:00:00Z")));
        // No consent row: fail closed, answered 200 (authentic) but never stored.
        assertEquals(200, postCustomer(Map.of("source", "shop", "source_id", "s-300", "email", "carol.noconsent@example.com",
                "first_name", "Carol", "updated_at", "2026-03-01T00:00:00Z")));
        awaitProfile("bob.marley@example.net", row -> "Bob".equals(row.get("first_name")));
        waitUntilQuiet(webhookGroup, 3);

        assertEquals("Cambridge", profile(ada).get("city"), "the late, older city lost");
        assertTrue(profiles("carol.noconsent@example.com").isEmpty(), "a subject without consent is not stored");
        // ... and why is one query: an exclusions row with ConsentFilter's reason code and the purpose, nothing else of hers.
        assertEquals(List.of(Map.of("reason_code", "NO_CONSENT_RECORD", "purpose", "email_marketing")), postgres.query(
                "SELECT reason_code, purpose FROM exclusions WHERE subject_key = ?", "carol.noconsent@example.com"));
        assertEquals(2, postgres.count("customer_profiles"));
    }

    @Test
    @Order(3)
    void unsignedOrTamperedWebhooksAreAnswered401AndLandNowhere() {
        final String dave = "dave.tamper@example.org";
        grantConsent(dave);
        final long before = postgres.count("customer_profiles");
        final String body = json(Map.of("source", "shop", "source_id", "s-400", "email", dave, "first_name", "Dave",
                "updated_at", "2026-03-01T00:00:00Z"));
        final String tampered = body.replace("Dave", "Mallory");

        assertEquals(401, post(webhookPort, "/webhooks/customers", body, null), "unsigned");
        assertEquals(401, post(webhookPort, "/webhooks/customers", tampered, shopifySignature(CUSTOMER_SECRET, body)), "tampered body");
        assertEquals(401, post(webhookPort, "/webhooks/customers", body, shopifySignature("another-secret", body)), "wrong secret");
        assertEquals(401, post(consentPort, "/webhooks/consent", json(withdrawal("ada.lovelace@example.org", Instant.now())), null),
                "unsigned withdrawal");
        waitUntilQuiet(webhookGroup, 3);
        waitUntilQuiet(consentGroup, 3);

        assertEquals(before, postgres.count("customer_profiles"));
        assertTrue(profiles(dave).isEmpty());
        assertEquals("GRANTED", consentStatus("ada.lovelace@example.org"), "an unsigned withdrawal changes nothing");
        assertEquals(0, postgres.count("suppression"));
    }

    @Test
    @Order(4)
    void withdrawalPostedWhileRecordsAreQueuedLeavesNoProfileData() {
        final String erin = "erin.withdraws@example.org";
        grantConsent(erin);
        assertEquals(200, postCustomer(customer(erin, "Erin", "+447700900555", "2026-03-01T00:00:00Z")));
        final String erinId = (String) awaitProfile(erin, row -> "Erin".equals(row.get("first_name"))).get("customer_id");

        // Hold newer updates of the same subject in the queue in front of ProfileMerge.
        final String merge = client.processorIdByName(webhookGroup, RealtimeFlows.PROFILE_MERGE);
        client.setProcessorRunStatus(merge, "STOPPED", Duration.ofSeconds(30));
        try {
            withdrawWhileQueued(erin, erinId, merge);
        } finally {
            client.setProcessorRunStatus(merge, "RUNNING", Duration.ofSeconds(30));
        }
        // The queued updates were merged, then dropped by the consent re-check before the write.
        waitUntilQuiet(webhookGroup, 4);
        waitUntilQuiet(consentGroup, 2);
        assertNoProfileData(erin);
        assertTrue(isAnonymized(erinId), "the stored profile stays anonymised");
        // The queued updates were refused by the re-check before the write, each refused record recorded with its reason
        // (one to three rows: ProfileMerge may fold the queued FlowFiles' records into one).
        final long refusals = ((Number) postgres.query("SELECT count(*) AS n FROM exclusions WHERE subject_key = ? AND reason_code = 'WITHDRAWN'",
                erin).get(0).get("n")).longValue();
        assertTrue(refusals >= 1 && refusals <= 3, "exclusion rows of the refused updates: " + refusals);
    }

    private static void withdrawWhileQueued(final String erin, final String erinId, final String merge) {
        for (int i = 1; i <= 3; i++) {
            assertEquals(200, postCustomer(customer(erin, "Erin" + i, "+44770090055" + i, "2026-03-0" + (1 + i) + "T00:00:00Z")));
        }
        // ProfileMerge stopped: the first update waits in front of it inside "Merge and store profile" (one FlowFile at a
        // time), the other two in front of that group; nothing else of the flow holds anything.
        NiFiRestClient.waitUntil(Duration.ofSeconds(30), () -> queuedInWebhookFlow() == 3, "three updates queued before ProfileMerge");

        final long withdrawnAt = System.nanoTime();
        assertEquals(200, postConsent(withdrawal(erin, Instant.now())));
        final long answeredAt = System.nanoTime();
        final long[] consentRowAt = {0};
        final long[] anonymizedAt = {0};
        NiFiRestClient.waitUntil(LAND_TIMEOUT, () -> {
            if (consentRowAt[0] == 0 && "WITHDRAWN".equals(consentStatus(erin))) {
                consentRowAt[0] = System.nanoTime();
            }
            if (anonymizedAt[0] == 0 && profiles(erin).isEmpty() && isAnonymized(erinId)) {
                anonymizedAt[0] = System.nanoTime();
            }
            NiFiInstance.sleep(20);
            return consentRowAt[0] != 0 && anonymizedAt[0] != 0;
        }, "the withdrawal to reach the consent table and the stored profile");
        record("withdrawal.responseMillis", answeredAt - withdrawnAt);
        record("withdrawal.toConsentRowMillis", consentRowAt[0] - withdrawnAt);
        record("withdrawal.toAnonymisedProfileMillis", anonymizedAt[0] - withdrawnAt);
        assertEquals(1, postgres.query("SELECT 1 FROM suppression WHERE subject_key = ? AND reason = 'consent_withdrawn'", erin).size());
        assertEquals(3, queuedInWebhookFlow(), "the updates were still queued when the withdrawal landed");
        assertEquals(1, client.flowFilesQueuedInto(mergeGroupId(), merge), "one of them inside the merge group, in front of ProfileMerge");
    }

    @Test
    @Order(5)
    void deleteActionRemovesTheStoredProfile() {
        final String frank = "frank.deletes@example.org";
        grantConsent(frank);
        client.setParameters(consentGroup, Map.of("profile.withdrawal.action", "DELETE"), java.util.Set.of());
        client.setParameters(webhookGroup, Map.of("profile.withdrawal.action", "DELETE"), java.util.Set.of());
        assertEquals(200, postCustomer(customer(frank, "Frank", "+447700900777", "2026-03-01T00:00:00Z")));
        final String frankId = (String) awaitProfile(frank, row -> "Frank".equals(row.get("first_name"))).get("customer_id");

        final long withdrawnAt = System.nanoTime();
        assertEquals(200, postConsent(withdrawal(frank, Instant.now())));
        NiFiRestClient.waitUntil(LAND_TIMEOUT, () -> {
            NiFiInstance.sleep(20);
            return postgres.query("SELECT 1 FROM customer_profiles WHERE customer_id = ?", frankId).isEmpty();
        }, "the stored profile deleted");
        record("withdrawal.toDeletedProfileMillis", System.nanoTime() - withdrawnAt);
        // A late update of the withdrawn subject is dropped.
        assertEquals(200, postCustomer(customer(frank, "Frankie", "+447700900778", "2026-03-05T00:00:00Z")));
        waitUntilQuiet(webhookGroup, 3);
        waitUntilQuiet(consentGroup, 2);
        assertNoProfileData(frank);
        assertTrue(postgres.query("SELECT 1 FROM customer_profiles WHERE customer_id = ?", frankId).isEmpty());
        assertEquals("WITHDRAWN", consentStatus(frank));
    }

    @Test
    @Order(6)
    void outOfOrderConsentEventsNeverLiftAWithdrawal() {
        final String gina = "gina.reorders@example.org";
        grantConsent(gina);
        client.setParameters(consentGroup, Map.of("profile.withdrawal.action", "ANONYMISE"), java.util.Set.of());
        client.setParameters(webhookGroup, Map.of("profile.withdrawal.action", "ANONYMISE"), java.util.Set.of());
        assertEquals(200, postCustomer(customer(gina, "Gina", "+447700900888", "2026-03-01T00:00:00Z")));
        final String ginaId = (String) awaitProfile(gina, row -> "Gina".equals(row.get("first_name"))).get("customer_id");
        // lists as a batch template writes them: tags and the ids the person has in other systems
        postgres.execute("UPDATE customer_profiles SET tags = 'vip', source_ids = 'crm:C-88|shop:s-88' WHERE subject_key = '" + gina + "'");
        // with the source id the webhook stored (shop:s-<n>), a sorted set
        assertEquals(String.join("|", new java.util.TreeSet<>(List.of("crm:C-88", "shop:s-88", "shop:s-" + gina.hashCode()))),
                profile(gina).get("source_ids"));

        final Instant withdrawnAt = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        assertEquals(200, postConsent(withdrawal(gina, withdrawnAt)));
        NiFiRestClient.waitUntil(LAND_TIMEOUT, () -> {
            NiFiInstance.sleep(20);
            return "WITHDRAWN".equals(consentStatus(gina)) && isAnonymized(ginaId);
        }, "the withdrawal to reach the consent table and the stored profile");

        // a newer request awaiting confirmation, then a grant older than the withdrawal, delivered late
        assertEquals(200, postConsent(consentEvent(gina, "PENDING", withdrawnAt.plusSeconds(60))));
        assertEquals(200, postConsent(consentEvent(gina, "GRANTED", withdrawnAt.minusSeconds(3600))));
        // a grant at the very second of the withdrawal: the tie goes to the withdrawal
        assertEquals(200, postConsent(consentEvent(gina, "GRANTED", withdrawnAt)));
        // quiet means nothing queued, the failure funnel included: no consent write was refused or parked
        waitUntilQuiet(consentGroup, 3);
        assertEquals("WITHDRAWN", consentStatus(gina), "the stored consent is still the withdrawal");

        // the subject stays suppressed: a customer update is dropped, the anonymised profile stays empty
        assertEquals(200, postCustomer(customer(gina, "Gina2", "+447700900889", "2026-03-05T00:00:00Z")));
        waitUntilQuiet(webhookGroup, 3);
        assertNoProfileData(gina);
        assertTrue(isAnonymized(ginaId));
        final Map<String, Object> anonymized = postgres.query("SELECT * FROM customer_profiles WHERE customer_id = ?", ginaId).getFirst();
        assertEquals(null, anonymized.get("tags"), "tags emptied");
        assertEquals(null, anonymized.get("source_ids"), "source ids emptied");
        assertEquals(1, postgres.query("SELECT 1 FROM suppression WHERE subject_key = ?", gina).size());
    }

    /**
     * webhook-realtime and ftp-batch-ingest in one NiFi on one database, with the same identity parameters: people the
     * batch stored keep their customer id when they arrive by webhook, whether by their e-mail or only by their phone in
     * national form; a webhook whose identifiers belong to two stored customers leaves one profile, the other retired.
     */
    @Test
    @Order(7)
    void batchCustomersKeepTheirIdsWhenTheyArriveByWebhook() {
        final String hana = "hana.batch@example.org";
        final String ivan = "ivan.batch@example.org";
        final String ivanNew = "ivan.new@example.org";
        final String jo = "jo.batch@example.org";
        final String kim = "kim.batch@example.org";
        for (final String email : List.of(hana, ivan, ivanNew, jo, kim)) {
            grantConsent(email);
            EMAILS_SENT.add(email);
        }
        ftp = FtpPeer.start(nifi.runDir().resolve("ftp"), "datasync", "ftp-secret-" + System.nanoTime());
        ftp.drop("contacts-identity.csv", SampleData.CSV_HEADER + "\n"
                + "ftp,f-901," + hana + ",07700 900301,Hana,Batch,Leeds,GB,,,,2026-02-01T00:00:00Z\n"
                + "ftp,f-902," + ivan + ",+44 7700 900302,Ivan,Batch,Leeds,GB,,,,2026-02-01T00:00:00Z\n"
                + "ftp,f-903," + jo + ",07700 900303,Jo,Batch,Leeds,GB,,,,2026-02-01T00:00:00Z\n"
                + "ftp,f-904," + kim + ",,Kim,Batch,Leeds,GB,,,,2026-02-01T00:00:00Z\n");
        final Map<String, String> values = TemplateImport.localParameters(nifi, postgres, ftp, null, null, NiFiInstance.freePort());
        values.put("identity.cache.dir", nifi.runDir().resolve("identity-cache-ftp").toString());
        final String batchGroup = TemplateImport.importAndConfigure(client, client.rootGroupId(),
                TemplateImport.templatesDir().resolve(TemplateFlows.FTP_BATCH_INGEST + ".json"), TemplateFlows.FTP_BATCH_INGEST, values);
        final Map<String, String> batchIds = new LinkedHashMap<>();
        try {
            assertEquals(Map.of(), client.validationErrors(batchGroup));
            client.startProcessGroup(batchGroup);
            NiFiRestClient.waitUntil(Duration.ofSeconds(180), () -> List.of(hana, ivan, jo, kim).stream().allMatch(key -> profiles(key).size() == 1),
                    "the batch's four profiles");
            client.waitUntilQuiet(batchGroup, 3, Duration.ofSeconds(2), Duration.ofSeconds(120));
        } finally {
            client.stopProcessGroup(batchGroup, Duration.ofSeconds(60));
            client.disableControllerServices(batchGroup, Duration.ofSeconds(60));
        }
        for (final String key : List.of(hana, ivan, jo, kim)) {
            batchIds.put(key, (String) profile(key).get("customer_id"));
        }
        assertEquals("+447700900301", profile(hana).get("phone"), "the batch stores E.164");
        final long before = postgres.count("customer_profiles");

        // The same person by e-mail (written differently): the batch's customer id, one profile.
        assertEquals(200, postCustomer(Map.of("source", "shop", "source_id", "s-901", "email", " Hana.Batch@Example.ORG ",
                "city", "York", "country", "GB", "updated_at", "2026-03-01T00:00:00Z")));
        final Map<String, Object> hanaRow = awaitProfile(hana, row -> "York".equals(row.get("city")));
        assertEquals(batchIds.get(hana), hanaRow.get("customer_id"), "a batch customer keeps the batch's id");
        assertEquals("Hana", hanaRow.get("first_name"), "the stored profile merged, not replaced");

        // Another e-mail, and only the stored phone in national form: the same person, the batch's id.
        assertEquals(200, postCustomer(Map.of("source", "shop", "source_id", "s-902", "email", ivanNew, "phone", "07700 900302",
                "country", "GB", "city", "Hull", "updated_at", "2026-03-01T00:00:00Z")));
        NiFiRestClient.waitUntil(LAND_TIMEOUT, () -> "Hull".equals(cityOf(batchIds.get(ivan))), "the phone-linked update");
        final Map<String, Object> ivanRow = postgres.query("SELECT * FROM customer_profiles WHERE customer_id = ?", batchIds.get(ivan)).getFirst();
        assertEquals("+447700900302", ivanRow.get("phone"), "the webhook's national number stored in E.164");
        assertEquals("Ivan", ivanRow.get("first_name"));

        // The e-mail of one stored customer and the phone of another: the webhook links them, one profile stays.
        assertEquals(200, postCustomer(Map.of("source", "shop", "source_id", "s-904", "email", kim, "phone", "07700 900303",
                "country", "GB", "city", "Bath", "updated_at", "2026-03-01T00:00:00Z")));
        final List<String> linked = List.of(batchIds.get(jo), batchIds.get(kim));
        NiFiRestClient.waitUntil(LAND_TIMEOUT, () -> {
            final List<Map<String, Object>> rows = postgres.query("SELECT city FROM customer_profiles WHERE customer_id IN (?, ?)",
                    linked.get(0), linked.get(1));
            return rows.size() == 1 && "Bath".equals(rows.getFirst().get("city"));
        }, "the two stored customers folded into one");
        waitUntilQuiet(webhookGroup, 3);

        final List<Map<String, Object>> survivors = postgres.query("SELECT * FROM customer_profiles WHERE customer_id IN (?, ?)",
                linked.get(0), linked.get(1));
        assertEquals(1, survivors.size(), "one profile for the linked person");
        final String survivor = (String) survivors.getFirst().get("customer_id");
        final String retired = survivor.equals(linked.get(0)) ? linked.get(1) : linked.get(0);
        assertTrue(String.valueOf(survivors.getFirst().get("retired_customer_ids")).contains(retired), "the old id recorded as retired");
        assertEquals(List.of(), postgres.query("SELECT * FROM customer_profiles_retired_but_stored"));
        assertEquals("+447700900303", survivors.getFirst().get("phone"));
        // Four batch people and one new address: four profiles before, three after (jo and kim are one person).
        assertEquals(before - 1, postgres.count("customer_profiles"));
        assertTrue(profiles(ivanNew).size() + profiles(ivan).size() == 1, "no second profile for ivan");
        for (final String key : List.of(hana, ivan)) {
            assertEquals(1, postgres.query("SELECT 1 FROM customer_profiles WHERE customer_id = ?", batchIds.get(key)).size());
        }
        assertEquals(0, client.groupStatus(webhookGroup).path("flowFilesQueued").asInt(), "nothing parked");
    }

    private static int queuedInWebhookFlow() {
        return client.groupStatus(webhookGroup).path("flowFilesQueued").asInt();
    }

    private static String mergeGroupId() {
        for (final JsonNode group : client.get("/process-groups/" + webhookGroup + "/process-groups").path("processGroups")) {
            if (RealtimeFlows.MERGE_GROUP.equals(group.path("component").path("name").asText())) {
                return group.path("id").asText();
            }
        }
        throw new IllegalStateException("no " + RealtimeFlows.MERGE_GROUP + " group");
    }

    private static String cityOf(final String customerId) {
        final List<Map<String, Object>> rows = postgres.query("SELECT city FROM customer_profiles WHERE customer_id = ?", customerId);
        return rows.size() == 1 ? (String) rows.getFirst().get("city") : null;
    }

    @Test
    @Order(8)
    void logsAndBulletinsCarryNoEmails() {
        for (final String email : EMAILS_SENT) {
            assertEquals(List.of(), nifi.grepLogs(email.trim()), "NiFi logs mention a sample email");
        }
        for (final JsonNode bulletin : client.bulletins()) {
            final String message = bulletin.path("message").asText().toLowerCase(Locale.ROOT);
            EMAILS_SENT.forEach(email -> assertFalse(message.contains(email.trim().toLowerCase(Locale.ROOT)), "bulletin mentions an email"));
            assertFalse("ERROR".equals(bulletin.path("level").asText()), "error bulletin: " + bulletin.path("message").asText());
        }
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Nothing queued in the group and no thread active except HandleHttpRequest's, which keeps one thread polling
     * for requests while it runs (so the harness's group-wide check never sees this flow quiet).
     */
    private static void waitUntilQuiet(final String groupId, final int consecutivePolls) {
        final int[] quietPolls = {0};
        NiFiRestClient.waitUntil(QUIET_TIMEOUT, () -> {
            final boolean nothingQueued = client.groupStatus(groupId).path("flowFilesQueued").asInt() == 0;
            final boolean idle = client.processorStatuses(groupId).stream()
                    .filter(status -> !RealtimeFlows.RECEIVE.equals(status.path("name").asText()))
                    .allMatch(status -> status.path("activeThreadCount").asInt() == 0);
            quietPolls[0] = nothingQueued && idle ? quietPolls[0] + 1 : 0;
            NiFiInstance.sleep(500);
            return quietPolls[0] >= consecutivePolls;
        }, "group " + groupId + " quiet");
    }

    static Path template(final String flow) {
        for (final Path candidate : List.of(Path.of("..", "templates", flow + ".json"), Path.of("templates", flow + ".json"))) {
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("templates/" + flow + ".json not found");
    }

    private static Map<String, String> localParameters(final int port, final String secret) {
        final Map<String, String> values = new LinkedHashMap<>();
        values.put("webhook.port", Integer.toString(port));
        values.put("webhook.secret", secret);
        values.put("db.url", postgres.jdbcUrl());
        values.put("db.driver.location", nifi.driversDir().resolve("postgresql.jar").toString());
        values.put("db.user", PostgresPeer.USER);
        values.put("db.password", "not-needed-locally");
        values.putAll(RealtimeFlows.localTlsParameters(pki));
        if (port == webhookPort) {
            // The batch templates' key (TemplateImport): one identity store, one customer id per person.
            values.put("identity.hash.key", TemplateImport.LOCAL_IDENTITY_HASH_KEY);
        }
        return values;
    }

    private static Map<String, String> customer(final String email, final String firstName, final String phone, final String updatedAt) {
        return Map.of("source", "shop", "source_id", "s-" + email.hashCode(), "email", email, "first_name", firstName,
                "phone", phone, "updated_at", updatedAt);
    }

    private static Map<String, String> withdrawal(final String email, final Instant at) {
        return Map.of("email", email, "purpose", SampleData.PURPOSE, "status", "WITHDRAWN",
                "updated_at", at.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString(), "source", "preference_centre");
    }

    private static Map<String, String> consentEvent(final String email, final String status, final Instant at) {
        return Map.of("email", email, "purpose", SampleData.PURPOSE, "status", status,
                "updated_at", at.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString(), "source", "preference_centre");
    }

    private static void grantConsent(final String email) {
        postgres.execute("INSERT INTO consent (subject_key, purpose, status, updated_at, source) VALUES ('"
                + email.trim().toLowerCase(Locale.ROOT) + "', '" + SampleData.PURPOSE + "', 'GRANTED', TIMESTAMPTZ '2026-01-01T00:00:00Z', 'test')");
    }

    private static int postCustomer(final Map<String, String> event) {
        EMAILS_SENT.add(event.get("email"));
        final String body = json(event);
        return post(webhookPort, "/webhooks/customers", body, shopifySignature(CUSTOMER_SECRET, body));
    }

    private static int postConsent(final Map<String, String> event) {
        final String body = json(event);
        return post(consentPort, "/webhooks/consent", body, shopifySignature(CONSENT_SECRET, body));
    }

    private static String json(final Map<String, String> fields) {
        try {
            return client.mapper().writeValueAsString(new java.util.TreeMap<>(fields));
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Shopify's scheme: Base64 of HMAC-SHA256 over the raw body, keyed with the secret's UTF-8 bytes. */
    static String shopifySignature(final String secret, final String body) {
        try {
            final Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return Base64.getEncoder().encodeToString(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256Hex(final String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int post(final int port, final String path, final String body, final String signature) {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .header("X-Shopify-Webhook-Id", UUID.randomUUID().toString())
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (signature != null) {
            request.header(SIGNATURE_HEADER, signature);
        }
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (final IOException e) {
            throw new UncheckedIOException("POST " + path + " failed", e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static boolean answers(final int port, final String path) {
        try {
            return post(port, path, "{}", null) == 401;
        } catch (final UncheckedIOException notYet) {
            return false;
        }
    }

    private static List<Map<String, Object>> profiles(final String subjectKey) {
        return postgres.query("SELECT * FROM customer_profiles WHERE subject_key = ?", subjectKey);
    }

    private static Map<String, Object> profile(final String subjectKey) {
        final List<Map<String, Object>> rows = profiles(subjectKey);
        assertEquals(1, rows.size(), "one profile row");
        return rows.getFirst();
    }

    private static Map<String, Object> awaitProfile(final String subjectKey, final java.util.function.Predicate<Map<String, Object>> ready) {
        NiFiRestClient.waitUntil(LAND_TIMEOUT, () -> {
            final List<Map<String, Object>> rows = profiles(subjectKey);
            return rows.size() == 1 && ready.test(rows.getFirst());
        }, "profile of a test subject to land");
        return profile(subjectKey);
    }

    private static String consentStatus(final String subjectKey) {
        final List<Map<String, Object>> rows = postgres.query("SELECT status FROM consent WHERE subject_key = ? AND purpose = ?",
                subjectKey, SampleData.PURPOSE);
        return rows.isEmpty() ? null : (String) rows.getFirst().get("status");
    }

    private static boolean isAnonymized(final String customerId) {
        final List<Map<String, Object>> rows = postgres.query("SELECT * FROM customer_profiles WHERE customer_id = ?", customerId);
        if (rows.size() != 1) {
            return false;
        }
        final Map<String, Object> row = rows.getFirst();
        return row.get("email") == null && row.get("phone") == null && row.get("first_name") == null && row.get("last_name") == null
                && row.get("city") == null && customerId.equals(row.get("subject_key"));
    }

    /** No column of any profile row holds the subject's email, name or phone. */
    private static void assertNoProfileData(final String email) {
        assertTrue(profiles(email).isEmpty(), "no profile keyed by the subject");
        final List<Map<String, Object>> rows = postgres.query(
                "SELECT customer_id FROM customer_profiles WHERE lower(email) = ? OR first_name LIKE 'Erin%' OR first_name LIKE 'Frank%' "
                        + "OR phone LIKE '+44770090055%' OR phone LIKE '+44770090077%'", email);
        assertEquals(List.of(), rows, "personal data of the withdrawn subject in customer_profiles");
        for (final Map<String, Object> row : postgres.query("SELECT * FROM customer_profiles")) {
            assertFalse(row.toString().toLowerCase(Locale.ROOT).contains(email), "a profile row mentions the withdrawn email");
        }
    }

    private static void record(final String what, final long nanos) {
        E2eMetrics.record(NAME, what, Long.toString(Duration.ofNanos(nanos).toMillis()));
    }
}
