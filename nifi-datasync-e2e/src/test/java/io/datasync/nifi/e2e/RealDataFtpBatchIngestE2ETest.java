package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 22 on the committed ftp-batch-ingest template in a real NiFi:
 * <ol>
 *   <li>a write that cannot succeed (a CHECK constraint every row violates) is parked at once, not retried, and no
 *       e-mail address or phone number of the run reaches NiFi's logs or bulletins although the driver's error is
 *       logged and raised as a bulletin;</li>
 *   <li>generated multi-country drops (US with state, DE, FR, GB, BR; national and international phone forms;
 *       placeholder phones and placeholder e-mail addresses shared by several people; a person's second record, with a
 *       second e-mail linked only through the phone, in another drop; people stored as two customers whose link
 *       arrives only in a later drop; drops with shuffled names): nothing parked, each person exactly one profile
 *       holding all of the person's source ids and nobody else's, every stored phone the E.164 truth (a placeholder
 *       kept in phone_as_written), the written country (ISO 3166-2 included) stored whole, tags a sorted set, every
 *       identifier naming a stored profile, no e-mail in logs or bulletins.</li>
 * </ol>
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RealDataFtpBatchIngestE2ETest {

    private static final String NAME = RealDataFtpBatchIngestE2ETest.class.getSimpleName();
    private static final Duration RUN_TIMEOUT = Duration.ofSeconds(180);

    private static long classStart;
    private static NiFiInstance nifi;
    private static NiFiRestClient client;
    private static final List<AutoCloseable> peers = new ArrayList<>();
    private static final Set<String> runEmails = new TreeSet<>();
    private static final Set<String> runPhones = new TreeSet<>();

    @BeforeAll
    static void startNiFi() {
        classStart = System.nanoTime();
        nifi = NiFiInstance.create("real-data");
        client = SecuredStart.startAsAdministrator(nifi);
    }

    @AfterAll
    static void stopEverything() {
        TemplateAssertions.stopAll(nifi, peers, NAME, classStart);
    }

    @Test
    @Order(2)
    void aWriteThatCannotSucceedIsParkedAtOnceAndLeaksNoPersonalData() {
        final RealDataDrops data = RealDataDrops.generate(7L, 30, false);
        final Run run = startRun("real-data-failing-write", data, postgres ->
                // Every profile row violates it; the server's DETAIL would quote the whole row.
                postgres.execute("ALTER TABLE customer_profiles ADD CONSTRAINT forced_failure CHECK (email IS NULL)"));
        try {
            NiFiRestClient.waitUntil(RUN_TIMEOUT, () -> processor(run.groupId, "Classify profiles write failure").path("flowFilesOut").asInt() > 0,
                    "a failed profile write classified");
            final long start = System.nanoTime();
            // Parked FlowFiles stay queued: wait until every drop that reached the write has been classified (bounded).
            NiFiRestClient.waitUntil(Duration.ofSeconds(60), () -> processor(run.groupId, TemplateFlows.FETCH_FTP).path("flowFilesOut").asInt() == data.files.size()
                    && processor(run.groupId, "Upsert profiles").path("flowFilesIn").asInt() == processor(run.groupId, "Classify profiles write failure").path("flowFilesOut").asInt()
                    && client.groupStatus(run.groupId).path("activeThreadCount").asInt() == 0
                    && processor(run.groupId, "Upsert profiles").path("flowFilesIn").asInt() == data.files.size(),
                    "every drop's failed write parked");
            E2eMetrics.record(NAME, "failedWritesParkedSecondsAfterTheFirst", Long.toString(Duration.ofNanos(System.nanoTime() - start).toSeconds()));

            assertEquals(0, run.postgres.count("customer_profiles"));
            assertEquals(0, processor(run.groupId, "Retry profiles write").path("flowFilesIn").asInt(), "a constraint violation is not retried");
            assertTrue(client.groupStatus(run.groupId).path("flowFilesQueued").asInt() >= data.files.size(), "the failed FlowFiles wait in the parked queue");
            final List<String> bulletins = TemplateAssertions.warningBulletins(client);
            assertTrue(bulletins.stream().anyMatch(b -> b.startsWith("Upsert profiles") && b.contains("forced_failure")),
                    "the failure is reported, by constraint name: " + bulletins);
            assertNoPersonalDataInLogsOrBulletins(data);
        } finally {
            stop(run);
        }
    }

    @Test
    @Order(1)
    void multiCountryDropsGiveOneProfilePerPersonWithE164Phones() {
        final RealDataDrops data = RealDataDrops.generate(22L, 80, false);
        final long start = System.nanoTime();
        final Run run = startRun("real-data-multi-country", data, postgres -> {
        });
        try {
            // Before the late drop, each late-linked person is two customers: two profiles.
            NiFiRestClient.waitUntil(RUN_TIMEOUT, () -> run.postgres.count("customer_profiles") >= data.people.size() + data.lateLinked.size(),
                    "a profile per customer before the late drop");
            client.waitUntilQuiet(run.groupId, 3, Duration.ofSeconds(2), Duration.ofSeconds(120));
            assertEquals(data.people.size() + data.lateLinked.size(), run.postgres.count("customer_profiles"),
                    "the late-linked people are still two customers each");
            run.ftp.drop(data.lateFile, data.lateContent, Duration.ofMinutes(1));
            NiFiRestClient.waitUntil(RUN_TIMEOUT, () -> run.postgres.count("customer_profiles") == data.people.size()
                    && processor(run.groupId, TemplateFlows.FETCH_FTP).path("flowFilesOut").asInt() == data.files.size() + 1, "the late links applied");
            client.waitUntilQuiet(run.groupId, 3, Duration.ofSeconds(2), Duration.ofSeconds(120));
            assertTrue(processor(run.groupId, "Fold merged customers").path("flowFilesIn").asInt() > 0, "the late drop merged stored customers");
            final double seconds = Duration.ofNanos(System.nanoTime() - start).toMillis() / 1000.0;
            E2eMetrics.record(NAME, "multiCountryRun", String.format(Locale.ROOT, "%d records in %d drops, %d people, %.1f s",
                    data.recordCount(), data.files.size(), data.people.size(), seconds));

            TemplateAssertions.assertNothingQueued(client, run.groupId);
            final long sharedSubjects = RealDataAssertions.assertProfilesMatchTruth(run.postgres, data);
            assertTrue(sharedSubjects >= 2, "people behind one placeholder address are separate profiles: " + sharedSubjects);
            E2eMetrics.record(NAME, "multiCountryMerges", processor(run.groupId, "Fold merged customers").path("flowFilesIn").asInt()
                    + " merge FlowFiles folded; " + data.lateLinked.size() + " late-linked people; " + sharedSubjects + " profiles sharing a placeholder address");
            assertEquals(List.of(), TemplateAssertions.warningBulletins(client));
            assertNoPersonalDataInLogsOrBulletins(data);
        } finally {
            stop(run);
        }
    }

    /** Stops the group and its services, so the next run's services can start, also after a failed assertion. */
    private static void stop(final Run run) {
        client.stopProcessGroup(run.groupId, Duration.ofSeconds(60));
        client.disableControllerServices(run.groupId, Duration.ofSeconds(60));
    }

    private static JsonNode processor(final String groupId, final String name) {
        for (final JsonNode status : client.processorStatuses(groupId)) {
            if (name.equals(status.path("name").asText())) {
                return status;
            }
        }
        throw new AssertionError("no processor " + name);
    }

    /** Every e-mail address (as written and lower-cased) and phone number (as written and E.164) of every run so far. */
    private static void assertNoPersonalDataInLogsOrBulletins(final RealDataDrops data) {
        runEmails.addAll(data.emails);
        runPhones.addAll(data.phones);
        RealDataAssertions.assertNoPersonalDataInLogsOrBulletins(nifi, client, runEmails, runPhones);
    }

    private interface DatabaseSetup {
        void apply(PostgresPeer postgres);
    }

    private static Run startRun(final String groupName, final RealDataDrops data, final DatabaseSetup setup) {
        final PostgresPeer postgres = PostgresPeer.start(nifi.runDir().resolve("postgres-" + groupName));
        peers.add(postgres);
        postgres.loadConsent(data.consent);
        setup.apply(postgres);
        final FtpPeer ftp = FtpPeer.start(nifi.runDir().resolve("ftp-" + groupName), "datasync", "ftp-secret-" + System.nanoTime());
        peers.add(ftp);
        // Older than the late drop by minutes: ListFTP lists a file only when its time is newer than the newest it listed.
        data.files.forEach((file, content) -> ftp.drop(file, content, Duration.ofMinutes(10)));
        final Map<String, String> values = TemplateImport.localParameters(nifi, postgres, ftp, null, null, NiFiInstance.freePort());
        values.put("identity.cache.dir", nifi.runDir().resolve("identity-cache-" + groupName).toString());
        final String groupId = TemplateImport.importAndConfigure(client, client.rootGroupId(),
                TemplateImport.templatesDir().resolve(TemplateFlows.FTP_BATCH_INGEST + ".json"), groupName, values);
        assertEquals(Map.of(), client.validationErrors(groupId));
        client.startProcessGroup(groupId);
        return new Run(groupId, postgres, ftp);
    }

    private record Run(String groupId, PostgresPeer postgres, FtpPeer ftp) {
    }
}
