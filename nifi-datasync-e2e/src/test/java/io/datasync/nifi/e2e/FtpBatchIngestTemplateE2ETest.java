package io.datasync.nifi.e2e;

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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * templates/ftp-batch-ingest.json, as committed, in a real NiFi against the FTP server (CSV drops with Gmail dot and
 * +tag variants and national phone formats) and PostgreSQL: the golden profiles and suppression rows of the sample
 * truth, the drops moved to the processed directory, one sync run row per committed profile write, read by the
 * committed sync-audit template as a fresh source (and as stale past its SLA), a parked write recorded as no sync;
 * then the same from a fresh start killed with kill -9 in the middle of the run and restarted.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FtpBatchIngestTemplateE2ETest {

    private static final String NAME = FtpBatchIngestTemplateE2ETest.class.getSimpleName();
    private static final Set<String> SOURCES = Set.of(SampleData.SOURCE_FTP);
    private static final Duration RUN_TIMEOUT = Duration.ofSeconds(180);

    private static long classStart;
    private static SampleData data;
    /** Three drops, so a kill can fall between them. */
    private static Map<String, String> drops;
    private static NiFiInstance nifi;
    private static NiFiRestClient client;
    /** The run's test CA: NiFi's HTTPS and client certificates, PostgreSQL's server certificate (TLS only). */
    private static TestPki pki;
    private static final List<AutoCloseable> peers = new ArrayList<>();
    private static Map<String, String> uninterrupted;
    private static Map<String, String> uninterruptedSuppression;
    private static Run uninterruptedRun;
    /** The running XML-over-SFTP group of Order 5, for the fault step. */
    private static SftpXmlRun sftpXmlRun;

    @BeforeAll
    static void startNiFi() {
        classStart = System.nanoTime();
        data = SampleData.generate(42L, 40);
        drops = data.ftpCsvFiles(3);
        nifi = NiFiInstance.create("ftp-batch-ingest");
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
        for (final String type : List.of("ListFTP", "FetchFTP", "ListSFTP", "FetchSFTP", "CSVReader", "XMLReader", "ReaderLookup", "LookupAttribute", "ConsentFilter", "CustomerDedup", "ProfileMerge", "PutDatabaseRecord",
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
        final Run run = startRun("ftp-batch-ingest");
        TemplateAssertions.awaitProfiles(run.postgres, TemplateAssertions.expectedProfiles(data, SOURCES), RUN_TIMEOUT, client);
        client.waitUntilQuiet(run.groupId, 3, Duration.ofSeconds(2), Duration.ofSeconds(120));
        TemplateAssertions.assertDatabaseMatchesTruth(run.postgres, data, SOURCES);
        TemplateAssertions.assertNothingQueued(client, run.groupId);
        E2eMetrics.record(NAME, "uninterruptedRunSeconds", Long.toString(Duration.ofNanos(System.nanoTime() - start).toSeconds()));

        assertEquals(new java.util.TreeSet<>(drops.keySet()), new java.util.TreeSet<>(run.ftp.processedFiles()), "drops moved aside");
        assertEquals(List.of(), run.ftp.inboxFiles());
        assertTrue(TemplateAssertions.eventTypes(client, TemplateImport.processorId(client, run.groupId, TemplateFlows.FETCH_FTP)).contains("FETCH"));
        assertTrue(TemplateAssertions.eventTypes(client, TemplateImport.processorId(client, run.groupId, "Check consent")).contains("ROUTE"));
        assertTrue(!TemplateAssertions.eventTypes(client, TemplateImport.processorId(client, run.groupId, "Link identities")).isEmpty());
        assertTrue(!TemplateAssertions.eventTypes(client, TemplateImport.processorId(client, run.groupId, "Merge profiles")).isEmpty());
        assertTrue(TemplateAssertions.eventTypes(client, TemplateImport.processorId(client, run.groupId, "Upsert profiles")).contains("SEND"));
        assertEquals(List.of(), unexpectedBulletins());
        TemplateAssertions.assertNoEmailsInLogs(nifi, data);

        TemplateAssertions.assertExclusionsAuditTrail(run.postgres, data, data.ftpRecords());

        uninterrupted = TemplateAssertions.profiles(run.postgres);
        uninterruptedSuppression = TemplateAssertions.suppressions(run.postgres);
        uninterruptedRun = run;
        client.stopProcessGroup(run.groupId, Duration.ofSeconds(60));
        client.disableControllerServices(run.groupId, Duration.ofSeconds(60));
    }

    /**
     * The run above left one sync_runs row per profile FlowFile the UPSERT committed (its provenance SEND events,
     * counted independently through their record.count attribute), with the database's time after the test started;
     * the sync-audit template reads ftp as fresh and crm (which never synced here) as stale, then ftp as stale too once
     * its SLA is shorter than the time since that sync. A write that cannot succeed is parked and adds no row.
     */
    @Test
    @Order(3)
    void everyCommittedWriteIsASyncRunAndTheAuditReadsTheSourceFreshOrStale() throws Exception {
        assumeTrue(uninterruptedRun != null, "no uninterrupted run");
        final Run run = uninterruptedRun;
        final int syncRuns = TemplateAssertions.assertSyncRunsMatchCommittedWrites(client, run.postgres, run.groupId, SampleData.SOURCE_FTP);
        // ftp only: every stored profile's updated_at came from an ftp record this flow wrote
        assertEquals(run.postgres.query("SELECT MAX(updated_at) AS newest FROM customer_profiles").getFirst().get("newest"),
                run.postgres.query("SELECT MAX(newest_record_at) AS newest FROM sync_runs").getFirst().get("newest"));

        // A write that cannot succeed (a CHECK constraint the new record violates) is parked at once: no sync row.
        run.postgres.execute("ALTER TABLE customer_profiles ADD CONSTRAINT no_parked_city CHECK (city IS DISTINCT FROM 'Parked City')");
        final SampleData.SourceRecord granted = data.ftpRecords().stream()
                .filter(r -> data.customers().stream().anyMatch(c -> c.subjectKey().equals(r.trueSubjectKey()) && "GRANTED".equals(c.consentStatus())))
                .findFirst().orElseThrow();
        final SampleData.SourceRecord parked = new SampleData.SourceRecord(granted.source(), granted.sourceId(), granted.email(), null, null, null,
                "Parked City", granted.country(), null, null, null, java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS),
                granted.trueSubjectKey());
        client.enableControllerServices(run.groupId, Duration.ofSeconds(60));
        client.startProcessGroup(run.groupId);
        run.ftp.drop("contacts-parked.csv", SampleData.CSV_HEADER + "\n" + SampleData.csvLine(parked) + "\n");
        final String parkedFunnel = parkedFunnel(run.groupId);
        assertEquals(0, client.flowFilesQueuedInto(run.groupId, parkedFunnel), "nothing parked before");
        NiFiRestClient.waitUntil(RUN_TIMEOUT, () -> {
            NiFiInstance.sleep(500);
            return client.flowFilesQueuedInto(run.groupId, parkedFunnel) == 1 && client.groupStatus(run.groupId).path("flowFilesQueued").asInt() == 1
                    && client.groupStatus(run.groupId).path("activeThreadCount").asInt() == 0;
        }, "the failed profile write parked, nothing else in flight");
        client.stopProcessGroup(run.groupId, Duration.ofSeconds(60));
        client.disableControllerServices(run.groupId, Duration.ofSeconds(60));
        assertEquals(List.of(), run.postgres.query("SELECT customer_id FROM customer_profiles WHERE city = 'Parked City'"));
        final List<String> bulletins = TemplateAssertions.warningBulletins(client);
        assertTrue(bulletins.stream().anyMatch(b -> b.startsWith("Upsert profiles") && b.contains("no_parked_city")), "the profile write failed: " + bulletins);
        assertEquals(syncRuns, run.postgres.count("sync_runs"), "a parked write is no sync");

        // The committed sync-audit template against the same database.
        final String audit = client.uploadFlowDefinition(client.rootGroupId(), AuditFlows.SYNC_AUDIT,
                Files.readAllBytes(TemplateImport.templatesDir().resolve(AuditFlows.SYNC_AUDIT + ".json")));
        final Map<String, String> values = new java.util.LinkedHashMap<>();
        values.put("db.url", run.postgres.jdbcUrl());
        values.put("db.driver.location", nifi.driversDir().resolve("postgresql.jar").toString());
        values.put("db.user", PostgresPeer.USER);
        values.put("db.password", "not-needed-locally");
        values.putAll(run.postgres.clientTlsParameters());
        values.put("audit.sla.ftp", "1 hour");
        client.setParameters(audit, values, AuditFlows.SENSITIVE_PARAMETERS);
        client.enableControllerServices(audit, Duration.ofSeconds(60));
        assertEquals(Map.of(), client.validationErrors(audit));
        try {
            final Map<String, Object> fresh = TemplateAssertions.runAudit(client, run.postgres, audit, 1);
            assertEquals(2L, ((Number) fresh.get("sources_checked")).longValue());
            assertEquals("crm", fresh.get("stale_source_names"), "crm never synced here; ftp synced within its SLA");
            final com.fasterxml.jackson.databind.JsonNode freshness = client.mapper().readTree((String) fresh.get("freshness"));
            final com.fasterxml.jackson.databind.JsonNode ftp = freshness.get(1);
            assertEquals(SampleData.SOURCE_FTP, ftp.path("source").asText());
            assertEquals(false, ftp.path("stale").asBoolean());
            final Map<String, Object> newestRun = run.postgres.query(
                    "SELECT to_char(MAX(finished_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS last_sync,"
                    + " to_char(MAX(newest_record_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS newest FROM sync_runs").getFirst();
            assertEquals(newestRun.get("last_sync"), ftp.path("last_sync").asText(), "the last sync is the newest committed write");
            assertEquals(newestRun.get("newest"), ftp.path("newest_record").asText());

            // The same sync, judged against an SLA shorter than the time since it finished: stale.
            NiFiRestClient.waitUntil(Duration.ofSeconds(30), () -> Boolean.TRUE.equals(run.postgres.query(
                    "SELECT MAX(finished_at) < now() - interval '2 seconds' AS old FROM sync_runs").getFirst().get("old")), "the last sync 2 s old");
            client.setParameters(audit, Map.of("audit.sla.ftp", "1 sec"), Set.of());
            final Map<String, Object> stale = TemplateAssertions.runAudit(client, run.postgres, audit, 2);
            assertEquals(2L, ((Number) stale.get("stale_sources")).longValue());
            assertEquals("crm,ftp", stale.get("stale_source_names"));
            final com.fasterxml.jackson.databind.JsonNode ftpStale = client.mapper().readTree((String) stale.get("freshness")).get(1);
            assertTrue(ftpStale.path("stale").asBoolean());
            assertTrue(ftpStale.path("lag_seconds").asLong() >= 2, ftpStale.toString());
        } finally {
            client.stopProcessGroup(audit, Duration.ofSeconds(60));
            client.disableControllerServices(audit, Duration.ofSeconds(60));
        }
    }

    /** The group's "Parked failures" funnel: the one funnel connections lead into and none leaves. */
    private static String parkedFunnel(final String groupId) {
        final Set<String> into = new java.util.HashSet<>();
        final Set<String> outOf = new java.util.HashSet<>();
        for (final com.fasterxml.jackson.databind.JsonNode connection : client.get("/process-groups/" + groupId + "/connections").path("connections")) {
            final com.fasterxml.jackson.databind.JsonNode component = connection.path("component");
            if ("FUNNEL".equals(component.path("destination").path("type").asText())) {
                into.add(component.path("destination").path("id").asText());
            }
            if ("FUNNEL".equals(component.path("source").path("type").asText())) {
                outOf.add(component.path("source").path("id").asText());
            }
        }
        into.removeAll(outOf);
        assertEquals(1, into.size(), "one parked-failures funnel: " + into);
        return into.iterator().next();
    }

    @Test
    @Order(4)
    void killedMidRunAndRestartedEndsIdenticalToAnUninterruptedRun() {
        assumeTrue(uninterrupted != null, "no uninterrupted run to compare with");
        final Run run = startRun("ftp-batch-ingest-crash");
        // Kill once some, but not all, profiles are written.
        NiFiRestClient.waitUntil(RUN_TIMEOUT, () -> run.postgres.count("customer_profiles") > 0, "the first profiles");
        final long before = run.postgres.count("customer_profiles");
        nifi.crash();
        E2eMetrics.record(NAME, "profilesAtCrash", before + " of " + uninterrupted.size());
        nifi.start();
        E2eMetrics.recordNiFi(NAME, nifi, "restartAfterCrash");
        client = nifi.restClient();

        TemplateAssertions.awaitProfiles(run.postgres, uninterrupted, RUN_TIMEOUT, client);
        client.waitUntilQuiet(run.groupId, 3, Duration.ofSeconds(2), Duration.ofSeconds(120));
        assertEquals(uninterrupted, TemplateAssertions.profiles(run.postgres), "profiles identical to the uninterrupted run");
        assertEquals(uninterruptedSuppression, TemplateAssertions.suppressions(run.postgres), "suppression identical");
        TemplateAssertions.assertDatabaseMatchesTruth(run.postgres, data, SOURCES);
        TemplateAssertions.assertNothingQueued(client, run.groupId);
        TemplateAssertions.assertNoEmailsInLogs(nifi, data);
    }

    /**
     * The same people as XML exports over SFTP: the committed template with {@code ftp.file.format} XML, the FTP lister
     * disabled and the SFTP lister enabled (as docs/templates.md tells a user to switch), against an SSHD server whose
     * host key the flow checks against a known_hosts file; a fresh database ends with exactly the profiles and
     * suppression rows of the CSV-over-FTP run, the drops moved aside over SFTP, and the group raises no bulletin.
     */
    @Test
    @Order(5)
    void xmlDropsOverSftpWriteTheSameProfilesAsCsvOverFtp() {
        assumeTrue(uninterrupted != null, "no CSV-over-FTP run to compare with");
        final long start = System.nanoTime();
        final String groupName = "ftp-batch-ingest-sftp-xml";
        final PostgresPeer postgres = PostgresPeer.startWithTls(nifi.runDir().resolve("postgres-" + groupName), pki);
        peers.add(postgres);
        postgres.loadConsent(data.consentRows());
        final SftpPeer sftp = SftpPeer.start(nifi.runDir().resolve("sftp-" + groupName), "datasync", "sftp-secret-" + System.nanoTime());
        peers.add(sftp);
        final Map<String, String> xmlDrops = data.ftpXmlFiles(3);
        assertEquals(drops.size(), xmlDrops.size());
        xmlDrops.forEach(sftp::drop);

        final Map<String, String> values = TemplateImport.localParameters(nifi, postgres, null, null, null, NiFiInstance.freePort());
        values.put("identity.cache.dir", nifi.runDir().resolve("identity-cache-" + groupName).toString());
        values.put("ftp.file.format", "XML");
        values.put("ftp.file.filter", ".*\\.xml");
        values.put("ftp.inbox", sftp.inboxPath());
        values.put("ftp.processed", sftp.processedPath());
        values.put("sftp.host", sftp.host());
        values.put("sftp.port", Integer.toString(sftp.port()));
        values.put("sftp.username", sftp.user());
        values.put("sftp.password", sftp.password());
        values.put("sftp.known.hosts.file", sftp.writeKnownHosts(nifi.runDir().resolve("sftp-known-hosts")).toString());
        // The identity index is the database's (identity.store.type DATABASE, the default), so the in-flow cache server
        // is not used; it stays disabled here (its port, a free ephemeral one when picked, was once taken by another
        // connection before the server bound it, and the service then never enabled).
        final String groupId = TemplateImport.importAndConfigure(client, client.rootGroupId(), template(), groupName, values,
                Set.of("Identity cache server"));
        final String listSftp = TemplateImport.processorId(client, groupId, TemplateFlows.LIST_SFTP);
        assertEquals("DISABLED", client.get("/processors/" + listSftp).path("component").path("state").asText(), "SFTP is off in the template");
        client.setProcessorRunStatus(TemplateImport.processorId(client, groupId, TemplateFlows.LIST_FTP), "DISABLED", Duration.ofSeconds(30));
        client.setProcessorRunStatus(listSftp, "STOPPED", Duration.ofSeconds(30));
        assertEquals(Map.of(), client.validationErrors(groupId));
        client.startProcessGroup(groupId);

        TemplateAssertions.awaitProfiles(postgres, uninterrupted, RUN_TIMEOUT, client);
        client.waitUntilQuiet(groupId, 3, Duration.ofSeconds(2), Duration.ofSeconds(120));
        assertEquals(uninterrupted, TemplateAssertions.profiles(postgres), "XML over SFTP: the profiles of the CSV-over-FTP run");
        assertEquals(uninterruptedSuppression, TemplateAssertions.suppressions(postgres), "suppression identical");
        TemplateAssertions.assertDatabaseMatchesTruth(postgres, data, SOURCES);
        TemplateAssertions.assertNothingQueued(client, groupId);
        assertEquals(new java.util.TreeSet<>(xmlDrops.keySet()), new java.util.TreeSet<>(sftp.processedFiles()), "drops moved aside over SFTP");
        assertEquals(List.of(), sftp.inboxFiles());
        assertTrue(TemplateAssertions.eventTypes(client, TemplateImport.processorId(client, groupId, TemplateFlows.FETCH_SFTP)).contains("FETCH"));
        assertEquals(0, client.get("/processors/" + TemplateImport.processorId(client, groupId, TemplateFlows.FETCH_FTP))
                .path("status").path("aggregateSnapshot").path("flowFilesIn").asInt(), "the disabled FTP path took nothing");
        assertEquals(List.of(), groupBulletins(groupId), "no warning or error from either transport");
        TemplateAssertions.assertNoEmailsInLogs(nifi, data);
        E2eMetrics.record(NAME, "xmlOverSftpRunSeconds", Long.toString(Duration.ofNanos(System.nanoTime() - start).toSeconds()));
        // Left running for the fault step (Order 6), which stops it.
        sftpXmlRun = new SftpXmlRun(groupId, postgres, sftp);
    }

    /**
     * The two fault paths of the format choice, in the running XML-over-SFTP group of Order 5 (no new NiFi, no new
     * peers): a malformed XML drop (a complete contact, then a broken one) is parked whole in "Parked failures" with
     * the reader's error as a bulletin on Normalise contacts that quotes no record value, and nothing of it is written;
     * then, with {@code ftp.file.format} misspelt ({@code xml}), a well-formed drop is fetched (the flow kept running)
     * and parked by Choose reader as unmatched, before any reader saw it, so it too writes nothing.
     */
    @Test
    @Order(6)
    void malformedXmlAndAMisspeltFormatParkTheDropAndWriteNothing() {
        assumeTrue(sftpXmlRun != null, "no running XML-over-SFTP group");
        final SftpXmlRun run = sftpXmlRun;
        try {
            final String parked = parkedFunnel(run.groupId);
            final String normalizer = TemplateImport.processorId(client, run.groupId, "Normalise contacts");
            final String chooseReader = TemplateImport.processorId(client, run.groupId, "Choose reader");
            final SampleData.SourceRecord granted = data.ftpRecords().stream()
                    .filter(r -> data.customers().stream().anyMatch(c -> c.subjectKey().equals(r.trueSubjectKey()) && "GRANTED".equals(c.consentStatus())))
                    .findFirst().orElseThrow();
            final String halfCity = "Half Written City";
            final String misspeltCity = "Misspelt Format City";
            final String header = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<contacts>\n";
            final java.time.Instant now = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
            final SampleData.SourceRecord complete = new SampleData.SourceRecord(granted.source(), granted.sourceId(), granted.email(), null, null,
                    null, halfCity, granted.country(), null, null, null, now, granted.trueSubjectKey());
            assertEquals(0, queuedFromInto(run.groupId, normalizer, parked) + queuedFromInto(run.groupId, chooseReader, parked), "nothing parked before");

            // Malformed: a complete contact a streaming reader could pass on, then a contact whose element never closes.
            run.sftp.drop("contacts-malformed.xml", header + SampleData.xmlContact(complete) + "  <contact>\n    <email>" + granted.email()
                    + "\n  </contact>\n</contacts>\n");
            NiFiRestClient.waitUntil(RUN_TIMEOUT, () -> {
                NiFiInstance.sleep(500);
                return queuedFromInto(run.groupId, normalizer, parked) == 1 && client.groupStatus(run.groupId).path("flowFilesQueued").asInt() == 1
                        && client.groupStatus(run.groupId).path("activeThreadCount").asInt() == 0;
            }, "the malformed XML drop parked by Normalise contacts, nothing else in flight");
            assertEquals(List.of(), run.postgres.query("SELECT customer_id FROM customer_profiles WHERE city = '" + halfCity + "'"), "nothing half-written");
            assertEquals(uninterrupted, TemplateAssertions.profiles(run.postgres), "the profiles unchanged by the malformed drop");
            final List<String> reasons = groupBulletins(run.groupId).stream().filter(b -> b.startsWith("Normalise contacts: ")).toList();
            assertFalse(reasons.isEmpty(), "the reader's error is reported: " + groupBulletins(run.groupId));
            for (final String reason : reasons) {
                assertFalse(reason.contains(granted.email()) || reason.contains(halfCity), "the reason quotes no record value");
            }
            assertEquals("Running", client.get("/processors/" + normalizer).path("status").path("runStatus").asText(), "Normalise contacts keeps running");

            // Misspelt format: NiFi restarts Choose reader with the new value; the next (well-formed) drop is parked unread.
            client.setParameters(run.groupId, Map.of("ftp.file.format", "xml"), Set.of());
            final SampleData.SourceRecord misspelt = new SampleData.SourceRecord(granted.source(), granted.sourceId(), granted.email(), null, null,
                    null, misspeltCity, granted.country(), null, null, null, now.plusSeconds(1), granted.trueSubjectKey());
            run.sftp.drop("contacts-misspelt-format.xml", header + SampleData.xmlContact(misspelt) + "</contacts>\n");
            NiFiRestClient.waitUntil(RUN_TIMEOUT, () -> {
                NiFiInstance.sleep(500);
                return queuedFromInto(run.groupId, chooseReader, parked) == 1 && client.groupStatus(run.groupId).path("flowFilesQueued").asInt() == 2
                        && client.groupStatus(run.groupId).path("activeThreadCount").asInt() == 0;
            }, "the drop parked by Choose reader as unmatched, nothing else in flight");
            assertEquals(1, queuedFromInto(run.groupId, normalizer, parked), "the malformed drop still parked, no other reader failure");
            assertTrue(run.sftp.processedFiles().containsAll(List.of("contacts-malformed.xml", "contacts-misspelt-format.xml")),
                    "both drops fetched and moved aside: " + run.sftp.processedFiles());
            assertEquals(List.of(), run.postgres.query("SELECT customer_id FROM customer_profiles WHERE city = '" + misspeltCity + "'"),
                    "a misspelt format reads nothing");
            assertEquals(uninterrupted, TemplateAssertions.profiles(run.postgres), "the profiles unchanged");
            assertEquals(uninterruptedSuppression, TemplateAssertions.suppressions(run.postgres), "suppression unchanged");
            TemplateAssertions.assertNoEmailsInLogs(nifi, data);
        } finally {
            client.stopProcessGroup(run.groupId, Duration.ofSeconds(60));
            client.disableControllerServices(run.groupId, Duration.ofSeconds(60));
        }
    }

    /** FlowFiles queued in the group's connections from one component into another. */
    private static int queuedFromInto(final String groupId, final String sourceId, final String destinationId) {
        int queued = 0;
        for (final com.fasterxml.jackson.databind.JsonNode connection : client.get("/process-groups/" + groupId + "/connections").path("connections")) {
            final com.fasterxml.jackson.databind.JsonNode component = connection.path("component");
            if (sourceId.equals(component.path("source").path("id").asText()) && destinationId.equals(component.path("destination").path("id").asText())) {
                queued += connection.path("status").path("aggregateSnapshot").path("flowFilesQueued").asInt();
            }
        }
        return queued;
    }

    private record SftpXmlRun(String groupId, PostgresPeer postgres, SftpPeer sftp) {
    }

    /** Warning and error bulletins raised by components of one group, as "source: message". */
    private static List<String> groupBulletins(final String groupId) {
        final List<String> found = new ArrayList<>();
        for (final com.fasterxml.jackson.databind.JsonNode bulletin : client.bulletins()) {
            final String level = bulletin.path("level").asText();
            if (groupId.equals(bulletin.path("groupId").asText()) && ("ERROR".equals(level) || "WARNING".equals(level) || "WARN".equals(level))) {
                found.add(bulletin.path("sourceName").asText() + ": " + bulletin.path("message").asText());
            }
        }
        return found;
    }

    /** A fresh database and FTP server with the drops, the committed template imported and pointed at them, started. */
    private static Run startRun(final String groupName) {
        final PostgresPeer postgres = PostgresPeer.startWithTls(nifi.runDir().resolve("postgres-" + groupName), pki);
        peers.add(postgres);
        postgres.loadConsent(data.consentRows());
        final FtpPeer ftp = FtpPeer.start(nifi.runDir().resolve("ftp-" + groupName), "datasync", "ftp-secret-" + System.nanoTime());
        peers.add(ftp);
        drops.forEach(ftp::drop);
        final Map<String, String> values = TemplateImport.localParameters(nifi, postgres, ftp, null, null, NiFiInstance.freePort());
        values.put("identity.cache.dir", nifi.runDir().resolve("identity-cache-" + groupName).toString());
        final String groupId = TemplateImport.importAndConfigure(client, client.rootGroupId(), template(), groupName, values);
        assertEquals(Map.of(), client.validationErrors(groupId));
        client.startProcessGroup(groupId);
        return new Run(groupId, postgres, ftp);
    }

    private static List<String> unexpectedBulletins() {
        return TemplateAssertions.warningBulletins(client);
    }

    private static Path template() {
        return TemplateImport.templatesDir().resolve(TemplateFlows.FTP_BATCH_INGEST + ".json");
    }

    private record Run(String groupId, PostgresPeer postgres, FtpPeer ftp) {
    }
}
