package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 22's real data through the committed crm-api-sync template in a real NiFi: the same generated people as
 * {@link RealDataFtpBatchIngestE2ETest} ({@link RealDataDrops}: US with state, DE, FR, GB, BR; national and
 * international phone forms; placeholder phones and shared placeholder e-mail addresses; people who are two customers
 * until a record committed later links them), served by the sample CRM API in a random order, three records per
 * timestamp so ties straddle pages, with a 429 and a 500 on the way; some people withdrew consent, some never gave it.
 * The late records are committed after the first sync went quiet and arrive in a later run of the fetch.
 * Checked: nothing parked or queued, each person with consent exactly one profile holding all of the person's records
 * and nobody else's, every stored phone the E.164 truth, the written country stored whole, tags sorted sets, no
 * profile of a withdrawn or unconsented person and one suppression row per withdrawal, no warning bulletin, and no
 * e-mail address or phone number of the run in NiFi's logs or bulletins.
 * <p>
 * Size: 80 people, about 125 records (about 20 pages of 10): the run takes well under a minute after NiFi has started.
 */
class RealDataCrmApiSyncE2ETest {

    private static final String NAME = RealDataCrmApiSyncE2ETest.class.getSimpleName();
    private static final String API_KEY = "crm-key-" + System.nanoTime();
    private static final Duration RUN_TIMEOUT = Duration.ofSeconds(180);

    private static long classStart;
    private static NiFiInstance nifi;
    private static NiFiRestClient client;
    /** The run's test CA: NiFi's HTTPS and client certificates, PostgreSQL's server certificate (TLS only). */
    private static TestPki pki;
    private static final List<AutoCloseable> peers = new ArrayList<>();

    @BeforeAll
    static void startNiFi() {
        classStart = System.nanoTime();
        nifi = NiFiInstance.create("real-data-crm");
        pki = TestPki.create(nifi.runDir().resolve("tls"));
        client = SecuredStart.startAsAdministrator(nifi, pki);
    }

    @AfterAll
    static void stopEverything() {
        TemplateAssertions.stopAll(nifi, peers, NAME, classStart);
    }

    @Test
    void multiCountryContactsGiveOneProfilePerPersonWithE164Phones() {
        final RealDataDrops data = RealDataDrops.generate(23L, 80, true);
        assertTrue(!data.withdrawnSubjects().isEmpty() && data.grantedPeople().size() < data.people.size() - data.withdrawnSubjects().size(),
                "the data has withdrawn and unconsented people");
        final long start = System.nanoTime();
        final PostgresPeer postgres = PostgresPeer.startWithTls(nifi.runDir().resolve("postgres-real-data-crm"), pki);
        peers.add(postgres);
        postgres.loadConsent(data.consent);
        // A 429 on the 2nd request and a 500 on the 4th, as CrmApiSyncTemplateE2ETest serves them.
        final SampleCrmApi crm = SampleCrmApi.serving(data.crmRecords(false), API_KEY, new SampleCrmApi.Faults(Set.of(2), 1, Set.of(4), Duration.ZERO));
        peers.add(crm);
        final Map<String, String> values = TemplateImport.localParameters(nifi, postgres, null, crm, API_KEY, NiFiInstance.freePort());
        values.put("identity.cache.dir", nifi.runDir().resolve("identity-cache-real-data-crm").toString());
        final String groupId = TemplateImport.importAndConfigure(client, client.rootGroupId(),
                TemplateImport.templatesDir().resolve(TemplateFlows.CRM_API_SYNC + ".json"), "real-data-crm-api-sync", values);
        assertEquals(Map.of(), client.validationErrors(groupId));
        client.startProcessGroup(groupId);
        try {
            // Before the late records, each late-linked person is two customers: two profiles.
            final int beforeLate = data.grantedPeople().size() + data.lateLinked.size();
            NiFiRestClient.waitUntil(RUN_TIMEOUT, () -> postgres.count("customer_profiles") >= beforeLate, "a profile per customer before the late records");
            client.waitUntilQuiet(groupId, 3, Duration.ofSeconds(2), Duration.ofSeconds(120));
            assertEquals(beforeLate, postgres.count("customer_profiles"), "the late-linked people are still two customers each");
            final int requestsBeforeLate = crm.requests().size();

            crm.publish(data.crmRecords(true));
            NiFiRestClient.waitUntil(RUN_TIMEOUT, () -> postgres.count("customer_profiles") == data.grantedPeople().size()
                    && processor(groupId, "Fold merged customers").path("flowFilesIn").asInt() > 0, "the late links applied");
            client.waitUntilQuiet(groupId, 3, Duration.ofSeconds(2), Duration.ofSeconds(120));
            assertTrue(crm.requests().stream().skip(requestsBeforeLate).anyMatch(r -> r.status() == 200 && r.recordCount() > 0),
                    "a later run fetched the late records");
            final double seconds = Duration.ofNanos(System.nanoTime() - start).toMillis() / 1000.0;
            E2eMetrics.record(NAME, "multiCountryRun", String.format(Locale.ROOT,
                    "%d records (%d committed late), %d people (%d with consent), %d requests, %.1f s",
                    data.recordCount(), data.crmRecords(true).size(), data.people.size(), data.grantedPeople().size(), crm.requests().size(), seconds));

            assertTrue(crm.requests().stream().anyMatch(r -> r.status() == 429), "a 429 was served");
            assertTrue(crm.requests().stream().anyMatch(r -> r.status() == 500), "a 500 was served");
            TemplateAssertions.assertNothingQueued(client, groupId);
            final long sharedSubjects = RealDataAssertions.assertProfilesMatchTruth(postgres, data);
            assertTrue(sharedSubjects >= 2, "people behind one placeholder address are separate profiles: " + sharedSubjects);
            E2eMetrics.record(NAME, "multiCountryMerges", processor(groupId, "Fold merged customers").path("flowFilesIn").asInt()
                    + " merge FlowFiles folded; " + data.lateLinked.size() + " late-linked people; " + sharedSubjects
                    + " profiles sharing a placeholder address; " + data.withdrawnSubjects().size() + " withdrawn");
            assertEquals(List.of(), TemplateAssertions.warningBulletins(client));
            RealDataAssertions.assertNoPersonalDataInLogsOrBulletins(nifi, client, data.emails, data.phones);
        } finally {
            client.stopProcessGroup(groupId, Duration.ofSeconds(60));
            client.disableControllerServices(groupId, Duration.ofSeconds(60));
        }
    }

    private static JsonNode processor(final String groupId, final String name) {
        for (final JsonNode status : client.processorStatuses(groupId)) {
            if (name.equals(status.path("name").asText())) {
                return status;
            }
        }
        throw new AssertionError("no processor " + name);
    }
}
