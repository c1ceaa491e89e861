package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults in the middle of a run of the committed templates in one real NiFi, each scenario on its own fresh
 * PostgreSQL, peers and imported group, secured as the templates are meant to run (see docs/security.md): NiFi over
 * HTTPS only with client-certificate logins and file-based policies, the REST client the administrator; every
 * PostgreSQL TLS-only with the templates' {@code verify-full} against the run's test CA; the CRM API over HTTPS through
 * the private-CA SSL Context Service; the standalone identity cache NiFi secured by the same CA. The faults: PostgreSQL stopped and started again on its data directory, the profile table
 * locked, the identity cache server restarted (in-flow, and standalone on a second NiFi), the consent store gone, the
 * FTP server restarted while it sends a large drop, the CRM API answering 503 for a minute.
 * <p>
 * Each scenario drops the first part of the data, waits for the first profile, injects the fault, drops the rest and has
 * ListFTP list it at once (stopped and started, as an operator would; its schedule is 30 s), so those records travel
 * the flow while the fault lasts, lifts the fault, and then expects, without any operator action: the database equal to the sample truth
 * (every profile, every suppression row, one customer id per person), nothing parked, no profile of a subject without
 * consent at any moment (a poller reads the profile table every half second during the whole scenario), and no e-mail
 * address or subject key of the run in NiFi's logs or bulletins. Recovery times are recorded in target/e2e-metrics.txt
 * and reported in docs/operations.md. After each scenario NiFi's database sessions are all TLS and the server still
 * refuses a plain connection (also after PostgreSQL's restart); the cache NiFi, stopped and started, comes back with
 * the same keystore, HTTPS only, and lets the administrator in again.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultE2ETest {

    private static final String NAME = FaultE2ETest.class.getSimpleName();
    private static final Set<String> FTP = Set.of(SampleData.SOURCE_FTP);
    private static final Set<String> CRM = Set.of(SampleData.SOURCE_CRM);
    private static final String API_KEY = "crm-key-" + System.nanoTime();
    private static final String IN_FLOW_CACHE_SERVER = "Identity cache server";
    private static final String IDENTITY_STORE_TYPE = "identity.store.type";
    private static final String CACHE_STORE = "DISTRIBUTED_MAP_CACHE";
    /** From the start of a run to its first profile. */
    private static final Duration FIRST_PROFILE_TIMEOUT = Duration.ofSeconds(180);
    /** From the end of a fault to the database equal to the truth. */
    private static final Duration RECOVERY_TIMEOUT = Duration.ofSeconds(300);
    private static final int DROPS = 6;
    /** Drops there at the start; the rest arrive while the fault lasts. */
    private static final int FIRST_BATCH = 3;

    private static long classStart;
    private static SampleData data;
    private static Map<String, String> drops;
    private static NiFiInstance nifi;
    private static NiFiRestClient client;
    /** The run's test CA: NiFi's HTTPS and client certificates, every PostgreSQL's and the CRM API's server certificate. */
    private static TestPki pki;
    /**
     * A second NiFi that only serves the identity cache, for the standalone-cache scenario; started with the first,
     * secured by the same test CA, its administrator {@code CN=cache-admin} (each start issues its own administrator's
     * certificate file).
     */
    private static NiFiInstance cacheHost;
    /** Its start; the administrator's client of the cache NiFi. */
    private static CompletableFuture<NiFiRestClient> cacheHostStart;
    /** The CRM outage scenario, run alongside the others. */
    private static CompletableFuture<Void> crmScenario;
    private static final List<AutoCloseable> peers = new CopyOnWriteArrayList<>();
    /** Every data set a scenario ran, for the personal-data check of the logs. */
    private static final List<SampleData> dataSets = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startNiFi() {
        classStart = System.nanoTime();
        data = SampleData.generate(23L, 60);
        dataSets.add(data);
        drops = data.ftpCsvFiles(DROPS);
        nifi = NiFiInstance.create("faults");
        pki = TestPki.create(nifi.runDir().resolve("tls"));
        cacheHost = NiFiInstance.create(nifi.home(), nifi.runDir().resolveSibling(nifi.runDir().getFileName() + "-identity-cache"),
                Duration.ofSeconds(300));
        cacheHost.reserveHttpPort();
        cacheHostStart = CompletableFuture.supplyAsync(() -> SecuredStart.startAsAdministrator(cacheHost, pki, "cache-admin"));
        client = SecuredStart.startAsAdministrator(nifi, pki);
        E2eMetrics.recordNiFi(NAME, nifi, "firstStart");
        crmScenario = CompletableFuture.runAsync(FaultE2ETest::crmApiOutage);
    }

    @AfterAll
    static void stopEverything() {
        if (crmScenario != null && !crmScenario.isDone()) {
            // Run without its test method (a -Dtest filter): let it end before NiFi goes.
            try {
                crmScenario.get(RECOVERY_TIMEOUT.toSeconds() + 240, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (final ExecutionException | TimeoutException e) {
                System.err.println("CRM outage scenario: " + e);
            }
        }
        try {
            if (cacheHost != null) {
                cacheHost.close();
            }
        } finally {
            TemplateAssertions.stopAll(nifi, peers, NAME, classStart);
        }
    }

    @Test
    @Order(1)
    void postgresStoppedForThirtySecondsThenStartedOnItsDataDirectory() {
        final Run run = startFtpRun("postgres-restart", data, drops, 0, Map.of(), Set.of());
        try {
            awaitFirstProfile(run);
            run.postgres.stop();
            final long faultStart = System.nanoTime();
            dropRest(run);
            sleepUntil(faultStart, Duration.ofSeconds(30));
            run.postgres.restart();
            final long faultEnd = System.nanoTime();
            record("postgresRestart.faultSeconds", seconds(faultEnd - faultStart));
            final List<String> bulletins = assertRecovered(run, FTP, faultEnd, "postgresRestart");
            assertTrue(!bulletins.isEmpty(), "the flow met the stopped database (bulletins)");
        } finally {
            finish(run);
        }
    }

    @Test
    @Order(2)
    void profileTableLockedForTwentySeconds() throws SQLException {
        final Run run = startFtpRun("profile-lock", data, drops, 0, Map.of(), Set.of());
        try {
            awaitFirstProfile(run);
            final long faultStart;
            try (Connection lock = run.postgres.connect(); Statement statement = lock.createStatement()) {
                lock.setAutoCommit(false);
                // ACCESS EXCLUSIVE: the upserts and the stored-profile lookups (a view on the table) wait for it.
                statement.execute("LOCK TABLE customer_profiles IN ACCESS EXCLUSIVE MODE");
                faultStart = System.nanoTime();
                dropRest(run);
                // The poller's reads wait too, so this connection checks the table during the lock.
                final long until = faultStart + Duration.ofSeconds(20).toNanos();
                int nifiWaiting = 0;
                while (System.nanoTime() < until) {
                    run.poller.checkWith(lock);
                    nifiWaiting = Math.max(nifiWaiting, sessionsWaitingForALock(lock));
                    NiFiInstance.sleep(1000);
                }
                lock.commit();
                record("profileLock.maxNiFiSessionsWaiting", Integer.toString(nifiWaiting));
                assertTrue(nifiWaiting > 0, "NiFi's lookups or upserts waited for the lock");
            }
            final long faultEnd = System.nanoTime();
            record("profileLock.faultSeconds", seconds(faultEnd - faultStart));
            assertRecovered(run, FTP, faultEnd, "profileLock");
        } finally {
            finish(run);
        }
    }

    @Test
    @Order(3)
    void inFlowIdentityCacheServerStoppedAndRestarted() {
        // The templates keep the identity index in the database by default; these two scenarios are about the cache store.
        final Run run = startFtpRun("cache-in-flow", data, drops, 0, Map.of(IDENTITY_STORE_TYPE, CACHE_STORE), Set.of());
        try {
            awaitFirstProfile(run);
            final String server = client.controllerServiceIdByName(run.groupId, IN_FLOW_CACHE_SERVER);
            client.setControllerServiceState(server, "DISABLED", Duration.ofSeconds(60));
            final long faultStart = System.nanoTime();
            dropRest(run);
            sleepUntil(faultStart, Duration.ofSeconds(30));
            client.setControllerServiceState(server, "ENABLED", Duration.ofSeconds(60));
            final long faultEnd = System.nanoTime();
            record("identityCacheInFlow.faultSeconds", seconds(faultEnd - faultStart));
            assertRecovered(run, FTP, faultEnd, "identityCacheInFlow");
            assertTrue(flowFilesIn(run.groupId, "Retry identity linking") > 0, "CustomerDedup met the stopped cache server");
        } finally {
            finish(run);
        }
    }

    @Test
    @Order(4)
    void standaloneIdentityCacheServerRestarted() throws Exception {
        final NiFiRestClient cacheClient;
        try {
            cacheClient = cacheHostStart.get(300, TimeUnit.SECONDS);
        } catch (final ExecutionException | TimeoutException e) {
            throw new IllegalStateException("The identity cache NiFi did not start", e);
        }
        final int cachePort = NiFiInstance.freePort();
        final String cacheGroup = cacheClient.createProcessGroup(cacheClient.rootGroupId(), "identity-cache");
        final Map<String, String> server = new LinkedHashMap<>();
        server.put("Port", Integer.toString(cachePort));
        server.put("Maximum Cache Entries", "100000");
        server.put("Persistence Directory", cacheHost.runDir().resolve("identity-cache").toString());
        final String cacheServer = cacheClient.createControllerService(cacheGroup, "org.apache.nifi.distributed.cache.server.map.MapCacheServer",
                "identity cache", server);
        cacheClient.enableControllerServices(cacheGroup, Duration.ofSeconds(60));

        final Map<String, String> values = Map.of("identity.cache.port", Integer.toString(cachePort), IDENTITY_STORE_TYPE, CACHE_STORE);
        final Run run = startFtpRun("cache-standalone", data, drops, 0, values, Set.of(IN_FLOW_CACHE_SERVER));
        try {
            awaitFirstProfile(run);
            cacheHost.stop();
            final long faultStart = System.nanoTime();
            dropRest(run);
            sleepUntil(faultStart, Duration.ofSeconds(15));
            // NiFi restarts the enabled MapCacheServer from its flow, on the same persistence directory.
            cacheHost.start();
            NiFiRestClient.waitUntil(Duration.ofSeconds(120), () -> accepts(cachePort), "the identity cache server to listen again");
            final long faultEnd = System.nanoTime();
            E2eMetrics.recordNiFi(NAME, cacheHost, "cacheHostRestart");
            record("identityCacheStandalone.faultSeconds", seconds(faultEnd - faultStart));
            assertRecovered(run, FTP, faultEnd, "identityCacheStandalone");
            // Secured again with the same keystore; the administrator logs in anew and sees the server enabled from the flow.
            final NiFiRestClient cacheAgain = SecuredStart.assertBackSecured(cacheHost);
            NiFiRestClient.waitUntil(Duration.ofSeconds(60), () -> "ENABLED".equals(serviceState(cacheAgain, cacheGroup, cacheServer)),
                    "the cache server's service ENABLED on the restarted cache NiFi");
            assertTrue(flowFilesIn(run.groupId, "Retry identity linking") > 0, "CustomerDedup met the stopped cache server");
        } finally {
            finish(run);
        }
    }

    @Test
    @Order(5)
    void consentStoreUnreachableEveryRecordWaitsNonePasses() {
        final Run run = startFtpRun("consent-store-down", data, drops, 0, Map.of(), Set.of());
        try {
            awaitFirstProfile(run);
            final String consentFilter = TemplateImport.processorId(client, run.groupId, "Check consent");
            // The lookup service's view goes away: every consent lookup fails, as when the consent store is unreachable.
            run.postgres.execute("ALTER VIEW consent_lookup RENAME TO consent_lookup_offline");
            final long faultStart = System.nanoTime();
            dropRest(run);
            // Decisions already being written when the store went away may still commit; from then on none may.
            NiFiInstance.sleep(3000);
            final long decisionsAtOutage = consentDecisions(consentFilter);
            final Map<String, String> profilesAtOutage = ProfileTables.profiles(run.postgres);
            final Map<String, String> suppressionAtOutage = ProfileTables.suppressions(run.postgres);
            int maxWaiting = 0;
            final long until = faultStart + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < until) {
                maxWaiting = Math.max(maxWaiting, client.flowFilesQueuedInto(run.groupId, consentFilter));
                assertEquals(decisionsAtOutage, consentDecisions(consentFilter), "a consent decision while the consent store was down");
                NiFiInstance.sleep(1000);
            }
            record("consentStoreDown.maxFlowFilesWaitingAtConsentFilter", Integer.toString(maxWaiting));
            assertTrue(maxWaiting > 0, "records waited at Check consent while the store was down");
            // Nothing that was still before ConsentFilter reached the tables; what had passed it before was written.
            assertTrue(ProfileTables.profiles(run.postgres).keySet().containsAll(profilesAtOutage.keySet()));
            assertEquals(suppressionAtOutage, ProfileTables.suppressions(run.postgres), "suppression rows written without the consent store");
            run.postgres.execute("ALTER VIEW consent_lookup_offline RENAME TO consent_lookup");
            final long faultEnd = System.nanoTime();
            record("consentStoreDown.faultSeconds", seconds(faultEnd - faultStart));
            final List<String> bulletins = assertRecovered(run, FTP, faultEnd, "consentStoreDown");
            assertTrue(bulletins.stream().anyMatch(b -> b.contains("Check consent")), "Check consent reported the failing lookups");
        } finally {
            finish(run);
        }
    }

    @Test
    @Order(6)
    void ftpServerRestartedWhileALargeDropIsFetched() {
        final SampleData large = SampleData.generate(7L, 1200);
        dataSets.add(large);
        final Map<String, String> oneDrop = large.ftpCsvFiles(1);
        final int size = oneDrop.values().iterator().next().getBytes(StandardCharsets.UTF_8).length;
        // About 12 s to send the whole file, so the restart (3 s in) falls in the middle of the transfer.
        final int rate = Math.max(1024, size / 12);
        record("ftpRestart.dropBytes", Integer.toString(size));
        final Run run = startFtpRun("ftp-restart", large, oneDrop, rate, Map.of(), Set.of());
        try {
            NiFiRestClient.waitUntil(FIRST_PROFILE_TIMEOUT, () -> run.ftp.downloadsStarted() > 0, "FetchFTP to start the download");
            NiFiInstance.sleep(3000);
            run.ftp.stop();
            final long faultStart = System.nanoTime();
            NiFiInstance.sleep(5000);
            run.ftp.restart();
            final long faultEnd = System.nanoTime();
            record("ftpRestart.faultSeconds", seconds(faultEnd - faultStart));
            assertRecovered(run, FTP, faultEnd, "ftpRestart");
            assertTrue(flowFilesIn(run.groupId, "Retry fetch") > 0, "the interrupted fetch was retried");
            assertTrue(run.ftp.downloadsStarted() >= 2, "the drop was downloaded again");
            assertEquals(List.copyOf(oneDrop.keySet()), run.ftp.processedFiles(), "the drop moved to processed after the fetch that succeeded");
            assertEquals(List.of(), run.ftp.inboxFiles());
        } finally {
            finish(run);
        }
    }

    /**
     * Runs alongside the FTP scenarios (started in {@link #startNiFi()}, its own template, parameter context, database
     * and API; mostly waiting out the minute of 503), so the suite takes about a minute and a half less; this joins it.
     */
    @Test
    @Order(7)
    void crmApiAnswers503ForAMinute() throws Throwable {
        try {
            crmScenario.get(RECOVERY_TIMEOUT.toSeconds() + 240, TimeUnit.SECONDS);
        } catch (final ExecutionException e) {
            throw e.getCause();
        }
    }

    private static void crmApiOutage() {
        final PostgresPeer postgres = PostgresPeer.startWithTls(nifi.runDir().resolve("postgres-crm-503"), pki);
        peers.add(postgres);
        postgres.loadConsent(data.consentRows());
        final SampleCrmApi crm = SampleCrmApi.start(data, API_KEY, new SampleCrmApi.Faults(Set.of(), 1, Set.of(), Duration.ofSeconds(20)),
                pki.sslContext(pki.server()));
        peers.add(crm);
        // Two pages succeed, then a minute of 503 from the third request on: the outage cuts the pagination.
        crm.unavailableFrom(3, Duration.ofSeconds(60));
        final Map<String, String> values = TemplateImport.localParameters(nifi, postgres, null, crm, API_KEY, NiFiInstance.freePort());
        values.put("identity.cache.dir", nifi.runDir().resolve("identity-cache-crm-503").toString());
        final String groupId = TemplateImport.importAndConfigure(client, client.rootGroupId(),
                TemplateImport.templatesDir().resolve(TemplateFlows.CRM_API_SYNC + ".json"), "crm-503", values);
        // The API's certificate is from the run's test CA, trusted through the service docs/security.md describes.
        PrivateCaTls.addAndSelect(client, groupId, "CRM API TLS", pki, List.of(TemplateImport.processorId(client, groupId, "Fetch CRM contacts")));
        final Run run = new Run("crm-503", groupId, postgres, null, new ConsentPoller(postgres, data), Map.of());
        try {
            assertEquals(Map.of(), client.validationErrors(groupId));
            client.startProcessGroup(groupId);
            run.poller.start();
            NiFiRestClient.waitUntil(FIRST_PROFILE_TIMEOUT, () -> crm.outageStartedAt() != null, "the outage to begin");
            final long faultStart = System.nanoTime();
            NiFiRestClient.waitUntil(Duration.ofSeconds(90),
                    () -> System.nanoTime() - faultStart >= Duration.ofSeconds(60).toNanos(), "the minute of 503");
            final long faultEnd = System.nanoTime();
            NiFiRestClient.waitUntil(Duration.ofSeconds(60), crm::lateRecordVisible, "the late record to become visible");
            assertRecovered(run, CRM, faultEnd, "crm503");
            assertTrue(crm.baseUrl().startsWith("https://"), crm.baseUrl());
            final long served503 = crm.requests().stream().filter(r -> r.status() == 503).count();
            record("crm503.requestsAnswered503", Long.toString(served503));
            assertTrue(served503 > 0, "503 served");
            assertTrue(crm.requests().stream().anyMatch(r -> r.status() == 200 && r.at().isAfter(crm.outageStartedAt().plusSeconds(60))),
                    "pages fetched after the outage");
        } finally {
            finish(run);
        }
    }

    // ---------------------------------------------------------------- a run

    /** One scenario's group, peers and consent poller; {@code later} holds the drops that arrive during the fault. */
    private record Run(String groupName, String groupId, PostgresPeer postgres, FtpPeer ftp, ConsentPoller poller, Map<String, String> later) {
    }

    /**
     * Fresh PostgreSQL (with the data's consent) and FTP server ({@code maxDownloadRate} bytes/s, 0 unlimited), the
     * committed ftp-batch-ingest template imported and pointed at them ({@code extraValues} on top), the first
     * {@value #FIRST_BATCH} drops in the inbox (all of them when there are fewer), started.
     */
    private static Run startFtpRun(final String name, final SampleData truth, final Map<String, String> allDrops, final int maxDownloadRate,
                                   final Map<String, String> extraValues, final Set<String> leftDisabled) {
        final PostgresPeer postgres = PostgresPeer.startWithTls(nifi.runDir().resolve("postgres-" + name), pki);
        peers.add(postgres);
        postgres.loadConsent(truth.consentRows());
        final FtpPeer ftp = FtpPeer.start(nifi.runDir().resolve("ftp-" + name), "datasync", "ftp-secret-" + System.nanoTime(), maxDownloadRate);
        peers.add(ftp);
        final Map<String, String> now = new LinkedHashMap<>();
        final Map<String, String> later = new LinkedHashMap<>();
        allDrops.forEach((file, content) -> (now.size() < FIRST_BATCH ? now : later).put(file, content));
        // Older than the rest by minutes: the server's listing has minute precision, and ListFTP lists a file only when
        // its time is newer than the newest it listed before (or, in the same minute, a name it has not seen).
        now.forEach((file, content) -> ftp.drop(file, content, Duration.ofMinutes(10)));
        final Map<String, String> values = TemplateImport.localParameters(nifi, postgres, ftp, null, null, NiFiInstance.freePort());
        values.put("identity.cache.dir", nifi.runDir().resolve("identity-cache-" + name).toString());
        values.putAll(extraValues);
        final String groupId = TemplateImport.importAndConfigure(client, client.rootGroupId(),
                TemplateImport.templatesDir().resolve(TemplateFlows.FTP_BATCH_INGEST + ".json"), name, values, leftDisabled);
        final Run run = new Run(name, groupId, postgres, ftp, new ConsentPoller(postgres, truth), later);
        assertEquals(Map.of(), client.validationErrors(groupId));
        client.startProcessGroup(groupId);
        run.poller.start();
        return run;
    }

    private static void awaitFirstProfile(final Run run) {
        NiFiRestClient.waitUntil(FIRST_PROFILE_TIMEOUT, () -> run.postgres.count("customer_profiles") > 0, "the first profile");
    }

    /**
     * Drops the rest of the data and has ListFTP list it now, so the records are in flight while the fault lasts:
     * ListFTP runs every 30 s and, with the server's minute-precision times, holds the newest files back until a
     * second listing sees the same newest time; each restart of the processor is a listing. Restarts it every few
     * seconds (bounded) until FetchFTP has begun every download.
     */
    private static void dropRest(final Run run) {
        run.later.forEach(run.ftp::drop);
        final String lister = TemplateImport.processorId(client, run.groupId, TemplateFlows.LIST_FTP);
        final int all = FIRST_BATCH + run.later.size();
        final long start = System.nanoTime();
        NiFiRestClient.waitUntil(Duration.ofSeconds(90), () -> {
            client.setProcessorRunStatus(lister, "STOPPED", Duration.ofSeconds(30));
            client.setProcessorRunStatus(lister, "RUNNING", Duration.ofSeconds(30));
            final long until = System.nanoTime() + Duration.ofSeconds(4).toNanos();
            while (System.nanoTime() < until && run.ftp.downloadsStarted() < all) {
                NiFiInstance.sleep(250);
            }
            return run.ftp.downloadsStarted() >= all;
        }, "FetchFTP to fetch the rest");
        record(run.groupName + ".restFetchedSeconds", seconds(System.nanoTime() - start));
    }

    /**
     * Waits (bounded) for the golden profiles, records how long that took after the fault ended, then checks: the
     * database equals the truth, nothing queued or parked, no subject without consent seen in the profile table at any
     * poll, no personal data in logs or bulletins. Records the warning bulletins the operator saw.
     */
    private static List<String> assertRecovered(final Run run, final Set<String> sources, final long faultEndNanos, final String scenario) {
        final SampleData truth = run.poller.truth;
        final Map<String, String> expected = ProfileTables.expectedProfiles(truth, sources);
        TemplateAssertions.awaitProfiles(run.postgres, expected, RECOVERY_TIMEOUT, client);
        record(scenario + ".recoverySeconds", seconds(System.nanoTime() - faultEndNanos));
        NiFiRestClient.waitUntil(Duration.ofSeconds(120), () -> ProfileTables.expectedSuppressions(truth, sources)
                .equals(ProfileTables.suppressions(run.postgres)), "the suppression rows");
        client.waitUntilQuiet(run.groupId, 3, Duration.ofSeconds(2), Duration.ofSeconds(180));
        record(scenario + ".quietSeconds", seconds(System.nanoTime() - faultEndNanos));
        TemplateAssertions.assertDatabaseMatchesTruth(run.postgres, truth, sources);
        TemplateAssertions.assertNothingQueued(client, run.groupId);
        run.poller.stop();
        // With the poller stopped, the sessions left are NiFi's: TLS only, also after a restart of the database.
        TemplateAssertions.assertDatabaseSessionsTlsOnly(run.postgres);
        record(scenario + ".consentPolls", run.poller.polls() + " read, " + run.poller.failedPolls() + " failed (database unreachable or locked)");
        assertEquals(Set.of(), run.poller.violations(), "a subject without consent in the profile table during the run");
        assertTrue(run.poller.polls() > 0, "the profile table was polled");
        final List<String> bulletins = groupBulletins(run.groupId);
        record(scenario + ".bulletins", bulletins.toString());
        assertNoPersonalData(bulletins);
        return bulletins;
    }

    private static void sleepUntil(final long startNanos, final Duration length) {
        final long left = startNanos + length.toNanos() - System.nanoTime();
        if (left > 0) {
            NiFiInstance.sleep(TimeUnit.NANOSECONDS.toMillis(left));
        }
    }

    /** Stops the group, disables its services and stops its peers, reporting (not throwing) what fails. */
    private static void finish(final Run run) {
        run.poller.stop();
        try {
            client.stopProcessGroup(run.groupId, Duration.ofSeconds(90));
            client.disableControllerServices(run.groupId, Duration.ofSeconds(90));
        } catch (final RuntimeException e) {
            System.err.println("While stopping group " + run.groupId + ": " + e);
        }
        for (final AutoCloseable peer : new AutoCloseable[] {run.postgres, run.ftp}) {
            try {
                if (peer != null) {
                    peer.close();
                }
            } catch (final Exception e) {
                System.err.println("While stopping a peer of group " + run.groupId + ": " + e);
            }
        }
    }

    // ---------------------------------------------------------------- observing

    /** Warning and error bulletins of the group's components, as "source: message", without repeats. */
    private static List<String> groupBulletins(final String groupId) {
        final Set<String> ids = new HashSet<>();
        client.get("/process-groups/" + groupId + "/processors?includeDescendantGroups=true").path("processors")
                .forEach(processor -> ids.add(processor.path("id").asText()));
        client.controllerServices(groupId).forEach(service -> ids.add(service.path("id").asText()));
        final Set<String> found = new LinkedHashSet<>();
        for (final JsonNode bulletin : client.bulletins()) {
            final String level = bulletin.path("level").asText();
            if (ids.contains(bulletin.path("sourceId").asText()) && ("ERROR".equals(level) || "WARNING".equals(level) || "WARN".equals(level))) {
                found.add(level + " " + bulletin.path("sourceName").asText() + ": " + bulletin.path("message").asText());
            }
        }
        return new ArrayList<>(found);
    }

    /** FlowFiles into the named processor within NiFi's last five minutes of status. */
    private static int flowFilesIn(final String groupId, final String processorName) {
        final String id = TemplateImport.processorId(client, groupId, processorName);
        return client.get("/processors/" + id).path("status").path("aggregateSnapshot").path("flowFilesIn").asInt();
    }

    /** The sum of ConsentFilter's decision counters for one processor (they commit with the session). */
    private static long consentDecisions(final String consentFilterId) {
        long sum = 0;
        for (final JsonNode counter : client.counters()) {
            if (counter.path("context").asText().contains(consentFilterId) && counter.path("name").asText().startsWith("ConsentFilter records ")) {
                sum += counter.path("valueCount").asLong();
            }
        }
        return sum;
    }

    /** No e-mail address or subject key of any data set the class ran in either NiFi's logs or in the bulletins. */
    private static void assertNoPersonalData(final List<String> bulletins) {
        final String logs = (readLogs(nifi.logDir()) + readLogs(cacheHost.logDir()) + String.join("\n", bulletins)).toLowerCase(Locale.ROOT);
        final Set<String> leaked = new TreeSet<>();
        for (final SampleData set : dataSets) {
            final Set<String> values = new HashSet<>(set.allEmailsAsWritten());
            set.customers().forEach(customer -> values.add(customer.subjectKey()));
            for (final String value : values) {
                if (logs.contains(value.toLowerCase(Locale.ROOT))) {
                    leaked.add(value.replaceAll("(?<=.).(?=[^@]*@)", "*"));
                }
            }
        }
        assertEquals(Set.of(), leaked, "personal data (masked here) in NiFi's logs or bulletins");
    }

    private static String readLogs(final Path logDir) {
        if (!Files.isDirectory(logDir)) {
            return "";
        }
        final StringBuilder all = new StringBuilder();
        try (Stream<Path> files = Files.list(logDir)) {
            for (final Path file : files.filter(Files::isRegularFile).toList()) {
                all.append(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1)).append('\n');
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return all.toString();
    }

    /** Sessions other than the consent poller's that wait for a lock (NiFi's, during the lock scenario). */
    private static int sessionsWaitingForALock(final Connection connection) {
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT count(DISTINCT l.pid) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                     + " WHERE NOT l.granted AND a.application_name <> '" + ConsentPoller.APPLICATION_NAME + "'")) {
            rows.next();
            return rows.getInt(1);
        } catch (final SQLException e) {
            throw new IllegalStateException("Could not read pg_locks", e);
        }
    }

    /** The state of one controller service of the group, as {@code viewer} sees it. */
    private static String serviceState(final NiFiRestClient viewer, final String groupId, final String serviceId) {
        for (final JsonNode service : viewer.controllerServices(groupId)) {
            if (serviceId.equals(service.path("id").asText())) {
                return service.path("component").path("state").asText();
            }
        }
        return "";
    }

    private static boolean accepts(final int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (final IOException e) {
            return false;
        }
    }

    private static String seconds(final long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1e9);
    }

    private static void record(final String what, final String value) {
        E2eMetrics.record(NAME, what, value);
    }

    /**
     * Reads the profile table every half second, on its own thread, for the subjects the truth says have no consent:
     * none may ever be there. Reads wait at most 2 s (a locked table); a failed read (database down) is counted.
     */
    private static final class ConsentPoller {
        static final String APPLICATION_NAME = "consent-poller";
        private final PostgresPeer postgres;
        private final SampleData truth;
        private final Set<String> violations = Collections.synchronizedSet(new TreeSet<>());
        private final AtomicInteger polls = new AtomicInteger();
        private final AtomicInteger failedPolls = new AtomicInteger();
        private volatile boolean running;
        private Thread thread;

        ConsentPoller(final PostgresPeer postgres, final SampleData truth) {
            this.postgres = postgres;
            this.truth = truth;
        }

        void start() {
            running = true;
            thread = new Thread(() -> {
                while (running) {
                    try (Connection connection = postgres.connect()) {
                        try (Statement statement = connection.createStatement()) {
                            statement.execute("SET statement_timeout = 2000");
                            statement.execute("SET application_name = '" + APPLICATION_NAME + "'");
                        }
                        checkWith(connection);
                    } catch (final SQLException | RuntimeException e) {
                        failedPolls.incrementAndGet();
                    }
                    NiFiInstance.sleep(500);
                }
            }, "consent-poller");
            thread.setDaemon(true);
            thread.start();
        }

        /** One read of the profile table through {@code connection}. */
        void checkWith(final Connection connection) {
            try (PreparedStatement query = connection.prepareStatement("SELECT subject_key FROM customer_profiles WHERE subject_key = ANY (?)")) {
                final Array subjects = connection.createArrayOf("varchar", truth.subjectsWithoutConsent().toArray());
                query.setArray(1, subjects);
                try (ResultSet rows = query.executeQuery()) {
                    while (rows.next()) {
                        violations.add(rows.getString(1));
                    }
                }
                polls.incrementAndGet();
            } catch (final SQLException e) {
                failedPolls.incrementAndGet();
            }
        }

        void stop() {
            running = false;
            if (thread != null) {
                try {
                    thread.join(5000);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        int polls() {
            return polls.get();
        }

        int failedPolls() {
            return failedPolls.get();
        }

        Set<String> violations() {
            synchronized (violations) {
                return new TreeSet<>(violations);
            }
        }
    }
}
