package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * templates/crm-api-sync.json, as committed, in a real NiFi against the sample CRM API (429, 500, ties across pages,
 * a late record) and PostgreSQL: the golden profiles and suppression rows of the sample truth and a crm sync run per
 * committed profile write; then the same from a fresh start killed with kill -9 in the middle of the run and restarted.
 * Those two runs fetch over HTTPS from an API whose certificate comes from the run's test CA (a private CA), through an
 * SSL Context Service trusting that CA added to the imported group as docs/security.md says; the template as shipped
 * (the JVM's default trust) fails closed against the same API: no request, nothing fetched.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CrmApiSyncTemplateE2ETest {

    private static final String NAME = CrmApiSyncTemplateE2ETest.class.getSimpleName();
    private static final Set<String> SOURCES = Set.of(SampleData.SOURCE_CRM);
    private static final String API_KEY = "crm-key-" + System.nanoTime();
    private static final Duration RUN_TIMEOUT = Duration.ofSeconds(180);

    private static long classStart;
    private static SampleData data;
    private static NiFiInstance nifi;
    private static NiFiRestClient client;
    /** The run's test CA: NiFi's HTTPS and client certificates, PostgreSQL's server certificate (TLS only). */
    private static TestPki pki;
    private static final List<AutoCloseable> peers = new ArrayList<>();
    private static Map<String, String> uninterrupted;
    private static Map<String, String> uninterruptedSuppression;

    @BeforeAll
    static void startNiFi() {
        classStart = System.nanoTime();
        data = SampleData.generate(42L, 40);
        nifi = NiFiInstance.create("crm-api-sync");
        pki = TestPki.create(nifi.runDir().resolve("tls"));
        client = SecuredStart.startAsAdministrator(nifi, pki);
        E2eMetrics.recordNiFi(NAME, nifi, "firstStart");
    }

    @AfterAll
    static void stopEverything() {
        TemplateAssertions.stopAll(nifi, peers, NAME, classStart);
    }

    @Test
    @Order(1)
    void committedTemplateHasNoSecretsAndNoLocalValues() throws Exception {
        final byte[] definition = Files.readAllBytes(template());
        assertEquals(List.of(), TemplateBuilder.problems(definition));
        final String json = new String(definition, StandardCharsets.UTF_8);
        for (final String type : List.of("IncrementalApiFetch", "ConsentFilter", "CustomerDedup", "ProfileMerge", "PutDatabaseRecord",
                "MonitorActivity", "RetryFlowFile", "MapCacheServer", "MapCacheClientService", "DBCPConnectionPool")) {
            assertTrue(json.contains("." + type + "\""), type + " in the template");
        }
        // Consent and stored profiles read in batches, one query per FlowFile, not one lookup per key.
        assertEquals(2, TemplateAssertions.assertBatchedDatabaseStores(definition));
    }

    @Test
    @Order(2)
    void importedTemplateWritesTheGoldenProfiles() {
        final long start = System.nanoTime();
        final Run run = startRun("crm-api-sync");
        TemplateAssertions.awaitProfiles(run.postgres, TemplateAssertions.expectedProfiles(data, SOURCES), RUN_TIMEOUT, client);
        NiFiRestClient.waitUntil(Duration.ofSeconds(60), run.crm::lateRecordVisible, "the late record to become visible");
        client.waitUntilQuiet(run.groupId, 3, Duration.ofSeconds(2), Duration.ofSeconds(120));
        TemplateAssertions.assertDatabaseMatchesTruth(run.postgres, data, SOURCES);
        TemplateAssertions.assertNothingQueued(client, run.groupId);
        E2eMetrics.record(NAME, "uninterruptedRunSeconds", Long.toString(Duration.ofNanos(System.nanoTime() - start).toSeconds()));

        // Fetched over HTTPS from a server whose certificate only the run's test CA vouches for.
        assertTrue(run.crm.baseUrl().startsWith("https://"), run.crm.baseUrl());
        assertTrue(run.crm.requests().stream().anyMatch(r -> r.status() == 200), "pages were served over TLS");
        // The faults were served and survived.
        assertTrue(run.crm.requests().stream().anyMatch(r -> r.status() == 429), "a 429 was served");
        assertTrue(run.crm.requests().stream().anyMatch(r -> r.status() == 500), "a 500 was served");

        assertTrue(TemplateAssertions.eventTypes(client, TemplateImport.processorId(client, run.groupId, "Fetch CRM contacts")).contains("RECEIVE"));
        assertTrue(TemplateAssertions.eventTypes(client, TemplateImport.processorId(client, run.groupId, "Check consent")).contains("ROUTE"));
        assertTrue(!TemplateAssertions.eventTypes(client, TemplateImport.processorId(client, run.groupId, "Link identities")).isEmpty());
        assertTrue(!TemplateAssertions.eventTypes(client, TemplateImport.processorId(client, run.groupId, "Merge profiles")).isEmpty());
        assertTrue(TemplateAssertions.eventTypes(client, TemplateImport.processorId(client, run.groupId, "Upsert profiles")).contains("SEND"));
        assertEquals(List.of(), unexpectedBulletins());
        TemplateAssertions.assertNoEmailsInLogs(nifi, data);
        // Every committed profile write (up to 16 customer buckets per fetched batch) recorded as a crm sync run.
        TemplateAssertions.assertSyncRunsMatchCommittedWrites(client, run.postgres, run.groupId, SampleData.SOURCE_CRM);
        // Why a CRM record was not used is one query: one exclusions row per excluded record, fetched exactly once
        // through the 429, the 500 and the late record.
        TemplateAssertions.assertExclusionsAuditTrail(run.postgres, data, data.crmRecords());

        uninterrupted = TemplateAssertions.profiles(run.postgres);
        uninterruptedSuppression = TemplateAssertions.suppressions(run.postgres);
        client.stopProcessGroup(run.groupId, Duration.ofSeconds(60));
        client.disableControllerServices(run.groupId, Duration.ofSeconds(60));
    }

    @Test
    @Order(3)
    void killedMidRunAndRestartedEndsIdenticalToAnUninterruptedRun() {
        assumeTrue(uninterrupted != null, "no uninterrupted run to compare with");
        final Run run = startRun("crm-api-sync-crash");
        // Kill once some, but not all, profiles are written.
        NiFiRestClient.waitUntil(RUN_TIMEOUT, () -> run.postgres.count("customer_profiles") > 0, "the first profiles");
        final long before = run.postgres.count("customer_profiles");
        nifi.crash();
        E2eMetrics.record(NAME, "profilesAtCrash", before + " of " + uninterrupted.size());
        nifi.start();
        E2eMetrics.recordNiFi(NAME, nifi, "restartAfterCrash");
        client = nifi.restClient();

        TemplateAssertions.awaitProfiles(run.postgres, uninterrupted, RUN_TIMEOUT, client);
        NiFiRestClient.waitUntil(Duration.ofSeconds(60), run.crm::lateRecordVisible, "the late record to become visible");
        client.waitUntilQuiet(run.groupId, 3, Duration.ofSeconds(2), Duration.ofSeconds(120));
        assertEquals(uninterrupted, TemplateAssertions.profiles(run.postgres), "profiles identical to the uninterrupted run");
        assertEquals(uninterruptedSuppression, TemplateAssertions.suppressions(run.postgres), "suppression identical");
        TemplateAssertions.assertDatabaseMatchesTruth(run.postgres, data, SOURCES);
        TemplateAssertions.assertNothingQueued(client, run.groupId);
        TemplateAssertions.assertNoEmailsInLogs(nifi, data);
        // Its identity cache server would otherwise hold its port through the next test's kill -9 and restart.
        client.stopProcessGroup(run.groupId, Duration.ofSeconds(60));
        client.disableControllerServices(run.groupId, Duration.ofSeconds(60));
    }

    @Test
    @Order(4)
    void offsetPagesChangedMidRunAndAKillDuringADetectedLoopEndEqualToTheTruth() {
        // Its own copy of the sample: the change made during the sync becomes part of this copy's truth.
        final SampleData changing = SampleData.generate(42L, 40);
        final PostgresPeer postgres = PostgresPeer.startWithTls(nifi.runDir().resolve("postgres-crm-api-sync-hostile"), pki);
        peers.add(postgres);
        postgres.loadConsent(changing.consentRows());
        // Request 1 is the first page; before request 2 an early contact changes, so every later row moves back by one;
        // request 5 is answered with the previous page again, like a server whose pagination loops.
        final SampleCrmApi crm = SampleCrmApi.start(changing, API_KEY, new SampleCrmApi.Faults(Set.of(), 1, Set.of(), Duration.ZERO, 2, 5));
        peers.add(crm);
        final Map<String, String> values = TemplateImport.localParameters(nifi, postgres, null, crm, API_KEY, NiFiInstance.freePort());
        values.put("identity.cache.dir", nifi.runDir().resolve("identity-cache-crm-api-sync-hostile").toString());
        values.put("crm.max.pages.per.trigger", "1");
        // No lookback: a row skipped by the shift would not be found by a later run either, so only the fetch itself can save it.
        values.put("crm.lookback", "0 sec");
        final String groupId = TemplateImport.importAndConfigure(client, client.rootGroupId(), template(), "crm-api-sync-hostile", values);
        // The same flow, paging the API's offset endpoint one page a trigger.
        client.updateProcessorConfig(TemplateImport.processorId(client, groupId, "Fetch CRM contacts"), Map.of("schedulingPeriod", "1 sec",
                "properties", Map.of("Pagination Strategy", "OFFSET", "Offset Parameter", "offset")));
        assertEquals(Map.of(), client.validationErrors(groupId));
        client.startProcessGroup(groupId);

        // kill -9 once the request after the looping page arrives: the loop was detected and committed (one page a
        // trigger), and the run is in the middle of resuming from its last safe watermark.
        NiFiRestClient.waitUntil(RUN_TIMEOUT, () -> crm.requests().stream().anyMatch(r -> r.number() == 6), "the request after the looping page");
        nifi.crash();
        E2eMetrics.record(NAME, "hostileRequestsAtCrash", Integer.toString(crm.requests().size()));
        nifi.start();
        client = nifi.restClient();

        TemplateAssertions.awaitProfiles(postgres, TemplateAssertions.expectedProfiles(changing, SOURCES), RUN_TIMEOUT, client);
        client.waitUntilQuiet(groupId, 3, Duration.ofSeconds(2), Duration.ofSeconds(120));
        assertTrue(crm.change() != null, "the contact changed during the sync");
        TemplateAssertions.assertDatabaseMatchesTruth(postgres, changing, SOURCES);
        TemplateAssertions.assertNothingQueued(client, groupId);
        // The fetch started again from a watermark after the shift: a later request pages from offset 0 with another lower bound.
        final String firstSince = since(crm.requests().getFirst().pathAndQuery());
        assertTrue(crm.requests().stream().filter(r -> r.number() > 2 && r.status() == 200)
                        .anyMatch(r -> r.pathAndQuery().contains("offset=0") && !since(r.pathAndQuery()).equals(firstSince)),
                crm.requests().toString());
        TemplateAssertions.assertNoEmailsInLogs(nifi, changing);
        client.stopProcessGroup(groupId, Duration.ofSeconds(60));
        client.disableControllerServices(groupId, Duration.ofSeconds(60));
    }

    /**
     * The template as shipped uses the JVM's default trust: against an API whose certificate comes from a private CA
     * (the run's test CA) the fetch fails closed. The TLS handshake fails before any HTTP byte, so the API sees no
     * request (neither the key nor the watermark query), nothing is fetched, and the bulletin says why (state not
     * advanced; the unit tests check the stored watermark). With an SSL Context Service trusting the CA selected, the same fetch proceeds.
     */
    @Test
    @Order(5)
    void theTemplateAsShippedFailsClosedAgainstAPrivateCaUntilAServiceTrustsIt() {
        final PostgresPeer postgres = PostgresPeer.startWithTls(nifi.runDir().resolve("postgres-crm-api-sync-untrusted"), pki);
        peers.add(postgres);
        final SampleCrmApi crm = SampleCrmApi.start(data, API_KEY, SampleCrmApi.Faults.none(), pki.sslContext(pki.server()));
        peers.add(crm);
        // As shipped: no SSL Context Service on the fetch, so the JVM's default trust, which does not know the test CA.
        final Map<String, String> values = TemplateImport.localParameters(nifi, postgres, null, crm, API_KEY, NiFiInstance.freePort());
        values.put("identity.cache.dir", nifi.runDir().resolve("identity-cache-crm-api-sync-untrusted").toString());
        final String groupId = TemplateImport.importAndConfigure(client, client.rootGroupId(), template(), "crm-api-sync-untrusted", values);
        assertEquals(Map.of(), client.validationErrors(groupId), "valid as shipped");
        final String fetch = TemplateImport.processorId(client, groupId, "Fetch CRM contacts");
        final String monitor = monitorAfter(groupId, fetch);
        client.updateProcessorConfig(fetch, Map.of("schedulingPeriod", "2 sec"));
        client.setProcessorRunStatus(fetch, "RUNNING", Duration.ofSeconds(30));

        NiFiRestClient.waitUntil(Duration.ofSeconds(60), () -> !tlsBulletins(fetch).isEmpty(), "an error bulletin from the fetch");
        NiFiInstance.sleep(3_000);
        final List<String> bulletins = tlsBulletins(fetch);
        assertTrue(bulletins.stream().allMatch(b -> b.contains("state not advanced") && !b.contains(API_KEY)), bulletins.toString());
        assertEquals(List.of(), crm.requests(), "no request reached the API: the key never left");
        assertEquals(0, client.flowFilesQueuedInto(groupId, monitor), "nothing fetched");
        assertEquals(List.of(), nifi.grepLogs(API_KEY), "the API key is in no NiFi log");

        // The administrator adds an SSL Context Service trusting the private CA and selects it: the same fetch proceeds.
        client.setProcessorRunStatus(fetch, "STOPPED", Duration.ofSeconds(60));
        PrivateCaTls.addAndSelect(client, groupId, "CRM API TLS", pki, List.of(fetch));
        client.setProcessorRunStatus(fetch, "RUNNING", Duration.ofSeconds(30));
        NiFiRestClient.waitUntil(Duration.ofSeconds(90), () -> client.flowFilesQueuedInto(groupId, monitor) > 0,
                "the first page fetched through the private CA");
        assertTrue(crm.requests().stream().anyMatch(r -> r.status() == 200), crm.requests().toString());
        client.setProcessorRunStatus(fetch, "STOPPED", Duration.ofSeconds(60));
        client.disableControllerServices(groupId, Duration.ofSeconds(60));
    }

    /** The component the fetch's success connection leads to. */
    private static String monitorAfter(final String groupId, final String source) {
        for (final JsonNode connection : client.get("/process-groups/" + groupId + "/connections").path("connections")) {
            if (source.equals(connection.path("component").path("source").path("id").asText())) {
                return connection.path("component").path("destination").path("id").asText();
            }
        }
        throw new IllegalStateException("no connection from the fetch");
    }

    /** The processor's error bulletins that name a TLS handshake failure. */
    private static List<String> tlsBulletins(final String processorId) {
        final List<String> found = new ArrayList<>();
        for (final JsonNode bulletin : client.bulletins()) {
            final String message = bulletin.path("message").asText();
            if (processorId.equals(bulletin.path("sourceId").asText()) && "ERROR".equals(bulletin.path("level").asText())
                    && message.contains("SSLHandshakeException")) {
                found.add(message);
            }
        }
        return found;
    }

    private static String since(final String pathAndQuery) {
        final int start = pathAndQuery.indexOf("updated_since=");
        if (start < 0) {
            return "";
        }
        final int end = pathAndQuery.indexOf('&', start);
        return end < 0 ? pathAndQuery.substring(start) : pathAndQuery.substring(start, end);
    }

    /** A fresh database and CRM API, the committed template imported and pointed at them, started. */
    private static Run startRun(final String groupName) {
        final PostgresPeer postgres = PostgresPeer.startWithTls(nifi.runDir().resolve("postgres-" + groupName), pki);
        peers.add(postgres);
        postgres.loadConsent(data.consentRows());
        final SampleCrmApi crm = SampleCrmApi.start(data, API_KEY, SampleCrmApi.Faults.typical(), pki.sslContext(pki.server()));
        peers.add(crm);
        final Map<String, String> values = TemplateImport.localParameters(nifi, postgres, null, crm, API_KEY, NiFiInstance.freePort());
        values.put("identity.cache.dir", nifi.runDir().resolve("identity-cache-" + groupName).toString());
        final String groupId = TemplateImport.importAndConfigure(client, client.rootGroupId(), template(), groupName, values);
        // The API's certificate is from the run's test CA: a private CA, trusted only through the added service.
        PrivateCaTls.addAndSelect(client, groupId, "CRM API TLS", pki, List.of(TemplateImport.processorId(client, groupId, "Fetch CRM contacts")));
        assertEquals(Map.of(), client.validationErrors(groupId));
        client.startProcessGroup(groupId);
        return new Run(groupId, postgres, crm);
    }

    /** Warning and error bulletins: none, the 500 the sample API serves on purpose included. */
    private static List<String> unexpectedBulletins() {
        // A retried 500 is logged at INFO (counted as "IncrementalApiFetch requests retried"): no warning is expected at all.
        return TemplateAssertions.warningBulletins(client);
    }

    private static Path template() {
        return TemplateImport.templatesDir().resolve(TemplateFlows.CRM_API_SYNC + ".json");
    }

    private record Run(String groupId, PostgresPeer postgres, SampleCrmApi crm) {
    }
}
