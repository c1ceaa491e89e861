package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * The one-command demo ({@code ./demo.sh}): starts PostgreSQL, the FTP server and the sample CRM API with sample
 * data, a real NiFi with our NAR, imports the four templates side by side and runs them (the batch ones on the sample
 * data, the webhook ones with {@link SampleWebhookSender}), prints what each did, and keeps running until Ctrl-C,
 * which stops everything; a failure or {@link #START_TIMEOUT} stops everything too.
 * <p>
 * Arguments: {@code --templates DIR} (default {@code templates}), {@code --exit-after-start} (stop right after the
 * summary; for smoke checks). The NiFi install comes from system property {@value NiFiInstance#HOME_PROPERTY}.
 */
public final class Demo {

    private static final String CRM_API_KEY = "demo-crm-key";
    /** Horizontal distance between the imported groups on the root canvas (a group is 384 wide). */
    static final double GROUP_SPACING = 480;
    /** The longest the demo may take from start to its summary before it stops everything. */
    static final Duration START_TIMEOUT = Duration.ofMinutes(20);

    private Demo() {
    }

    public static void main(final String[] args) throws InterruptedException {
        try {
            run(args);
        } catch (final RuntimeException e) {
            // Exit explicitly: the peers' non-daemon threads would otherwise keep the JVM (and NiFi) alive.
            e.printStackTrace();
            System.err.println("The demo failed; stopping everything.");
            System.exit(1);
        }
    }

    private static void run(final String[] args) throws InterruptedException {
        Path templatesDir = Path.of("templates");
        boolean exitAfterStart = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--templates" -> templatesDir = Path.of(args[++i]);
                case "--exit-after-start" -> exitAfterStart = true;
                default -> throw new IllegalArgumentException("Unknown argument " + args[i]);
            }
        }

        final List<AutoCloseable> started = new ArrayList<>();
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("Stopping NiFi and the local peers...");
            closeAll(started);
            stopped.countDown();
        }, "demo-shutdown"));

        // Bounded: if starting and running the flows takes longer than this, everything is stopped (the shutdown hook).
        final Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(START_TIMEOUT.toMillis());
                System.err.println("The demo did not get through its flows within " + START_TIMEOUT.toMinutes() + " minutes; stopping everything.");
                System.exit(1);
            } catch (final InterruptedException finished) {
                Thread.currentThread().interrupt();
            }
        }, "demo-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();

        final SampleData data = SampleData.generate(42L, 40);
        final NiFiInstance nifi = NiFiInstance.create("demo");
        System.out.println("Run directory (logs, repositories, peers' data): " + nifi.runDir());
        // Secure by default, as the webhook templates are: a test CA made for this run, PostgreSQL with TLS required (the
        // batch templates' driver negotiates it, the webhook templates verify the server), webhooks over HTTPS.
        final TestPki pki = TestPki.create(nifi.runDir().resolve("tls"));
        final PostgresPeer postgres = PostgresPeer.startWithTls(nifi.runDir().resolve("postgres-data"), pki);
        started.addFirst(postgres);
        postgres.loadConsent(data.consentRows());
        final FtpPeer ftp = FtpPeer.start(nifi.runDir().resolve("ftp-home"), "datasync", "demo-ftp-password");
        started.addFirst(ftp);
        data.ftpCsvFiles(2).forEach(ftp::drop);
        final SampleCrmApi crm = SampleCrmApi.start(data, CRM_API_KEY, SampleCrmApi.Faults.typical());
        started.addFirst(crm);

        System.out.println("Starting NiFi (about 15-60 s, longer on a busy machine)...");
        nifi.start();
        started.addFirst(nifi);
        final NiFiRestClient client = new NiFiRestClient(nifi.apiUrl());
        final String rootId = client.rootGroupId();

        // The two templates, as committed: the CRM flow first, then the FTP flow, so that the two never merge the
        // same customer at the same moment (each flow serialises its own merges, not the other's).
        final int identityCachePort = NiFiInstance.freePort();
        final Map<String, String> crmValues = TemplateImport.localParameters(nifi, postgres, ftp, crm, CRM_API_KEY, identityCachePort);
        crmValues.put("identity.cache.dir", nifi.runDir().resolve("identity-cache").toString());
        final String crmGroup = TemplateImport.importAndConfigure(client, rootId, templatesDir.resolve(TemplateFlows.CRM_API_SYNC + ".json"),
                TemplateFlows.CRM_API_SYNC, crmValues);
        client.moveComponent("process-groups", crmGroup, 0, 0);
        client.startProcessGroup(crmGroup);
        System.out.println("Running " + TemplateFlows.CRM_API_SYNC + " on the sample CRM API (429, 500, ties, a late record)...");
        waitFor(postgres, "customer_profiles", data.expectedProfiles(java.util.Set.of(SampleData.SOURCE_CRM)).size());
        NiFiRestClient.waitUntil(Duration.ofSeconds(120), crm::lateRecordVisible, "the late CRM record");
        client.waitUntilQuiet(crmGroup, 3, Duration.ofSeconds(2), Duration.ofSeconds(120));

        // The FTP flow shares the CRM flow's identity cache (its own cache server listens on another port, unused).
        final Map<String, String> ftpValues = new LinkedHashMap<>(crmValues);
        ftpValues.put("identity.cache.server.port", Integer.toString(NiFiInstance.freePort()));
        ftpValues.put("identity.cache.dir", nifi.runDir().resolve("identity-cache-ftp").toString());
        final String ftpGroup = TemplateImport.importAndConfigure(client, rootId, templatesDir.resolve(TemplateFlows.FTP_BATCH_INGEST + ".json"),
                TemplateFlows.FTP_BATCH_INGEST, ftpValues);
        // Side by side on the root canvas, never one over the other.
        client.moveComponent("process-groups", ftpGroup, GROUP_SPACING, 0);
        client.startProcessGroup(ftpGroup);
        System.out.println("Running " + TemplateFlows.FTP_BATCH_INGEST + " on the FTP drops...");
        try {
            NiFiRestClient.waitUntil(Duration.ofSeconds(240), () -> ftp.inboxFiles().isEmpty(), "the FTP drops to be fetched");
            client.waitUntilQuiet(ftpGroup, 3, Duration.ofSeconds(2), Duration.ofSeconds(120));
        } catch (final IllegalStateException slow) {
            System.out.println("The FTP flow is still busy; watch it in the UI.");
        }
        final List<String> imported = List.of(TemplateFlows.CRM_API_SYNC, TemplateFlows.FTP_BATCH_INGEST, RealtimeFlows.WEBHOOK_REALTIME,
                RealtimeFlows.CONSENT_SYNC);
        // What the batch flows did, counted before the webhook flows add their own profile and counters.
        final List<String> batchReport = batchCounts(client, crm, data, postgres);
        final List<String> realtimeReport = runRealtime(client, rootId, templatesDir, nifi, postgres, pki);
        printSummary(nifi, postgres, ftp, crm, data, imported);
        batchReport.forEach(System.out::println);
        realtimeReport.forEach(System.out::println);
        printExclusionExample(postgres);
        printBulletins(client);
        System.out.println("The local NiFi has NO LOGIN and listens on 127.0.0.1 only.");

        watchdog.interrupt();
        if (exitAfterStart) {
            System.exit(0);
        }
        System.out.println("Press Ctrl-C to stop everything.");
        stopped.await();
    }

    /**
     * Imports every flow definition in {@code templatesDir} (phase 2 puts them in templates/), fills the parameters
     * whose names match the local peers, enables the services and starts each flow. Returns the imported names.
     * <p>
     * HOOK for phase 2: the parameter names of the templates are defined there; {@link #peerParameters} is where
     * their local values come from. Parameters not listed keep the template's value.
     */
    static List<String> importTemplates(final NiFiRestClient client, final String rootId, final Path templatesDir,
                                        final Map<String, String> peerParameters) {
        final List<String> imported = new ArrayList<>();
        if (!Files.isDirectory(templatesDir)) {
            return imported;
        }
        final List<Path> definitions;
        try (Stream<Path> files = Files.list(templatesDir)) {
            definitions = files.filter(file -> file.getFileName().toString().endsWith(".json")).sorted().toList();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        for (final Path definition : definitions) {
            final String name = definition.getFileName().toString().replaceFirst("\\.json$", "");
            try {
                final String groupId = client.uploadFlowDefinition(rootId, name, Files.readAllBytes(definition));
                final String contextId = client.parameterContextId(groupId);
                if (contextId != null) {
                    final Map<String, String> values = new LinkedHashMap<>();
                    final java.util.Set<String> sensitive = new java.util.HashSet<>();
                    for (final JsonNode parameter : client.get("/parameter-contexts/" + contextId).path("component").path("parameters")) {
                        final String parameterName = parameter.path("parameter").path("name").asText();
                        if (peerParameters.containsKey(parameterName)) {
                            values.put(parameterName, peerParameters.get(parameterName));
                            if (parameter.path("parameter").path("sensitive").asBoolean()) {
                                sensitive.add(parameterName);
                            }
                        }
                    }
                    if (!values.isEmpty()) {
                        client.setParameters(groupId, values, sensitive);
                    }
                }
                client.enableControllerServices(groupId, Duration.ofSeconds(90));
                client.startProcessGroup(groupId);
                imported.add(name);
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return imported;
    }

    /** Local values for template parameters, by parameter name (phase 2 aligns these names with templates/). */
    static Map<String, String> peerParameters(final NiFiInstance nifi, final PostgresPeer postgres, final FtpPeer ftp, final SampleCrmApi crm) {
        final Map<String, String> values = new LinkedHashMap<>(StockFtpToPostgresFlow.parameters(ftp, postgres, nifi));
        values.put("crm.base.url", crm.baseUrl());
        values.put("crm.api.key", CRM_API_KEY);
        return values;
    }

    private static void printSummary(final NiFiInstance nifi, final PostgresPeer postgres, final FtpPeer ftp, final SampleCrmApi crm,
                                     final SampleData data, final List<String> imported) {
        System.out.println();
        System.out.println("================ nifi-datasync demo ================");
        System.out.println("NiFi UI:      " + nifi.uiUrl());
        System.out.println("              NO LOGIN: this local NiFi is unauthenticated and bound to 127.0.0.1 only.");
        System.out.printf("NiFi started in %.0f s, RSS %d MiB%n", nifi.lastStartDuration().toMillis() / 1000.0,
                nifi.residentSetSizeBytes() / (1024 * 1024));
        System.out.println("PostgreSQL:   " + postgres.jdbcUrl() + " (user " + PostgresPeer.USER + ")");
        System.out.println("FTP:          ftp://127.0.0.1:" + ftp.port() + ftp.inboxPath() + " (user " + ftp.user() + ")");
        System.out.println("Sample CRM:   " + crm.baseUrl() + "/contacts (header " + SampleCrmApi.API_KEY_HEADER + ")");
        System.out.println("Sample data:  " + data.customers().size() + " customers, " + data.crmRecords().size() + " CRM records, "
                + data.ftpRecords().size() + " FTP rows, " + data.consentRows().size() + " consent rows");
        System.out.println("Flows:        " + String.join(", ", imported) + " (imported from templates/)");
        System.out.println("Loaded:       customer_profiles=" + postgres.count("customer_profiles")
                + ", suppression=" + postgres.count("suppression") + ", exclusions=" + postgres.count("exclusions"));
        System.out.println("Logs:         " + nifi.logDir());
        System.out.println("=====================================================");
    }

    private static void waitFor(final PostgresPeer postgres, final String table, final long rows) {
        try {
            NiFiRestClient.waitUntil(Duration.ofSeconds(240), () -> postgres.count(table) >= rows, rows + " rows in " + table);
        } catch (final IllegalStateException slow) {
            System.out.println("Not all rows of " + table + " are there yet; watch the flow in the UI.");
        }
    }

    /** What the batch flows did, from the CRM API's request log, the FTP drops, NiFi's counters and the tables. */
    static List<String> batchCounts(final NiFiRestClient client, final SampleCrmApi crm, final SampleData data, final PostgresPeer postgres) {
        final long fetched = crm.requests().stream().filter(r -> r.status() == 200).mapToLong(SampleCrmApi.RecordedRequest::recordCount).sum();
        long allowed = 0;
        long excluded = 0;
        for (final JsonNode counter : client.get("/counters").path("counters").path("aggregateSnapshot").path("counters")) {
            final String name = counter.path("name").asText();
            // NiFi lists each counter per processor and once more summed over all of them ("All ...'s"): sum those.
            if (counter.path("context").asText().startsWith("All ") && name.startsWith("ConsentFilter records ")) {
                final long value = counter.path("valueCount").asLong();
                if (name.endsWith(" GRANTED") || name.endsWith(" JURISDICTION_DEFAULT")) {
                    allowed += value;
                } else {
                    excluded += value;
                }
            }
        }
        final long profiles = postgres.count("customer_profiles");
        final List<String> lines = new ArrayList<>();
        lines.add("Records fetched:        " + fetched + " from the CRM API (pages served " + crm.successfulPageCounts().size()
                + " distinct), " + data.ftpRecords().size() + " from the FTP drops");
        lines.add("Excluded by consent:    " + excluded + " records (withdrawn or no consent); suppression rows: "
                + postgres.count("suppression"));
        lines.add("Duplicates merged:      " + Math.max(0, allowed - profiles) + " of " + allowed + " allowed records folded into existing profiles");
        lines.add("Profiles written:       " + profiles + " (expected from the sample truth: " + data.expectedProfiles().size() + ")");
        return lines;
    }

    /** The demo subject of the real-time flows (invented; not in the generated sample data). */
    static final String REALTIME_EMAIL = "ada.lovelace@example.org";

    /**
     * Imports webhook-realtime and consent-sync beside the batch groups and drives them with the sample sender: a
     * consent grant through consent-sync, a signed customer event through webhook-realtime (a profile appears), the same
     * event forged (refused) and replayed (recognised as a duplicate), then a withdrawal through consent-sync (the
     * subject is suppressed and the stored profile anonymised). Returns the lines that say what each flow did.
     */
    static List<String> runRealtime(final NiFiRestClient client, final String rootId, final Path templatesDir, final NiFiInstance nifi,
                                    final PostgresPeer postgres, final TestPki pki) {
        final int webhookPort = NiFiInstance.freePort();
        final int consentPort = NiFiInstance.freePort();
        final String webhookSecret = "demo-webhook-secret";
        final String consentSecret = "demo-consent-secret";
        final String webhookGroup = uploadRealtime(client, rootId, templatesDir, RealtimeFlows.WEBHOOK_REALTIME, 2);
        final String consentGroup = uploadRealtime(client, rootId, templatesDir, RealtimeFlows.CONSENT_SYNC, 3);
        client.setParameters(webhookGroup, realtimeParameters(webhookPort, webhookSecret, nifi, postgres, pki), RealtimeFlows.SENSITIVE_PARAMETERS);
        client.setParameters(consentGroup, realtimeParameters(consentPort, consentSecret, nifi, postgres, pki), RealtimeFlows.SENSITIVE_PARAMETERS);
        for (final String group : List.of(webhookGroup, consentGroup)) {
            client.enableControllerServices(group, Duration.ofSeconds(90));
            client.startProcessGroup(group);
        }
        final SampleWebhookSender customers = new SampleWebhookSender(webhookPort, "/webhooks/customers", webhookSecret, pki.sslContext(null));
        final SampleWebhookSender consents = new SampleWebhookSender(consentPort, "/webhooks/consent", consentSecret, pki.sslContext(null));
        System.out.println("Running " + RealtimeFlows.WEBHOOK_REALTIME + " and " + RealtimeFlows.CONSENT_SYNC + " with the sample webhook sender...");
        NiFiRestClient.waitUntil(Duration.ofSeconds(90), () -> customers.answers() && consents.answers(), "both webhook listeners answering");

        final Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        final int granted = consents.send(consentEvent("GRANTED", now.minusSeconds(120))).status();
        NiFiRestClient.waitUntil(Duration.ofSeconds(90), () -> "GRANTED".equals(consentStatus(postgres)), "the consent grant in the consent table");
        final Map<String, String> customer = Map.of("source", "shop", "source_id", "s-100", "email", REALTIME_EMAIL, "first_name", "Ada",
                "last_name", "Lovelace", "city", "London", "country", "GB", "updated_at", now.minusSeconds(60).toString());
        final SampleWebhookSender.Sent accepted = customers.send(customer);
        final Map<String, String> tampered = new LinkedHashMap<>(customer);
        tampered.put("first_name", "Mallory");
        final int forged = customers.sendForged(tampered);
        final int replayed = customers.replay(accepted);
        NiFiRestClient.waitUntil(Duration.ofSeconds(90), () -> !postgres.query(
                "SELECT 1 FROM customer_profiles WHERE subject_key = ? AND first_name = 'Ada'", REALTIME_EMAIL).isEmpty(), "the webhook's profile");
        // The identity store's id (shared with the batch groups), read back once.
        final String customerId = String.valueOf(postgres.query("SELECT customer_id FROM customer_profiles WHERE subject_key = ?",
                REALTIME_EMAIL).getFirst().get("customer_id"));
        final long profilesBefore = postgres.query("SELECT 1 FROM customer_profiles WHERE customer_id = ?", customerId).size();

        final int withdrawn = consents.send(consentEvent("WITHDRAWN", now)).status();
        NiFiRestClient.waitUntil(Duration.ofSeconds(90), () -> "WITHDRAWN".equals(consentStatus(postgres))
                && !postgres.query("SELECT 1 FROM suppression WHERE subject_key = ?", REALTIME_EMAIL).isEmpty()
                && !postgres.query("SELECT 1 FROM customer_profiles WHERE customer_id = ? AND email IS NULL AND first_name IS NULL",
                customerId).isEmpty(), "the withdrawal to suppress the subject and anonymise the profile");
        // Nothing left queued (HandleHttpRequest always holds a thread, so "quiet" is about queues only here).
        for (final String group : List.of(webhookGroup, consentGroup)) {
            NiFiRestClient.waitUntil(Duration.ofSeconds(60), () -> {
                NiFiInstance.sleep(500);
                return client.groupStatus(group).path("flowFilesQueued").asInt() == 0;
            }, "nothing queued in " + group);
        }

        final List<String> report = new ArrayList<>();
        report.add("webhook-realtime:       signed customer event -> HTTP " + accepted.status() + ", " + profilesBefore
                + " profile written (customer id " + customerId.substring(0, 12) + "...); forged signature -> HTTP " + forged
                + " (refused, nothing written); the same event replayed -> HTTP " + replayed + ", accepted again: this template has no"
                + " redelivery cache (docs/realtime.md), and the replay is harmless, ProfileMerge ranks it by its own updated_at");
        report.add("consent-sync:           GRANTED -> HTTP " + granted + " (consent row written, the profile could enter); WITHDRAWN -> HTTP "
                + withdrawn + ": suppression row written, stored profile anonymised (e-mail, phone, names emptied), consent "
                + consentStatus(postgres));
        return report;
    }

    private static String uploadRealtime(final NiFiRestClient client, final String rootId, final Path templatesDir, final String name,
                                         final int slot) {
        try {
            final String group = client.uploadFlowDefinition(rootId, name, Files.readAllBytes(templatesDir.resolve(name + ".json")));
            client.moveComponent("process-groups", group, slot * GROUP_SPACING, 0);
            return group;
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, String> realtimeParameters(final int port, final String secret, final NiFiInstance nifi, final PostgresPeer postgres,
                                                          final TestPki pki) {
        final Map<String, String> values = new LinkedHashMap<>(RealtimeFlows.localTlsParameters(pki));
        values.put("webhook.port", Integer.toString(port));
        values.put("webhook.secret", secret);
        values.put("db.url", postgres.jdbcUrl());
        values.put("db.driver.location", nifi.driversDir().resolve("postgresql.jar").toString());
        values.put("db.user", PostgresPeer.USER);
        values.put("db.password", "not-needed-locally");
        // The batch groups' identity hash key: one identity store, one customer id per person across the templates.
        values.put("identity.hash.key", TemplateImport.LOCAL_IDENTITY_HASH_KEY);
        return values;
    }

    private static Map<String, String> consentEvent(final String status, final Instant at) {
        return Map.of("email", REALTIME_EMAIL, "purpose", SampleData.PURPOSE, "status", status, "updated_at", at.toString(),
                "source", "preference_centre");
    }

    private static String consentStatus(final PostgresPeer postgres) {
        final List<Map<String, Object>> rows = postgres.query("SELECT status FROM consent WHERE subject_key = ? AND purpose = ?",
                REALTIME_EMAIL, SampleData.PURPOSE);
        return rows.isEmpty() ? null : String.valueOf(rows.getFirst().get("status"));
    }

    /**
     * "Why was this person not mailed?": the exclusions audit trail answers it with one query; shown for the first
     * subject the run excluded (sample data, invented people).
     */
    static void printExclusionExample(final PostgresPeer postgres) {
        final List<Map<String, Object>> first = postgres.query("SELECT subject_key FROM exclusions ORDER BY excluded_at, subject_key LIMIT 1");
        System.out.println("Exclusions audit:       " + postgres.count("exclusions") + " rows (subject key, reason code, purpose, time)");
        if (first.isEmpty()) {
            return;
        }
        final String subject = String.valueOf(first.getFirst().get("subject_key"));
        final String sql = "SELECT reason_code, purpose, excluded_at FROM exclusions WHERE subject_key = ? ORDER BY excluded_at DESC LIMIT 3";
        System.out.println("Why was " + subject + " not mailed?");
        System.out.println("  " + sql.replace("?", "'" + subject.replace("'", "''") + "'"));
        for (final Map<String, Object> row : postgres.query(sql, subject)) {
            System.out.println("  -> " + row.get("reason_code") + " for " + row.get("purpose") + " at " + row.get("excluded_at"));
        }
    }

    /**
     * The warning and error bulletins NiFi raised during the run (a normal demo run raises none), each with its source
     * and message. Returns how many there were.
     */
    static int printBulletins(final NiFiRestClient client) {
        final List<JsonNode> raised = client.bulletins().stream()
                .filter(b -> "WARNING".equals(b.path("level").asText()) || "ERROR".equals(b.path("level").asText()))
                .toList();
        System.out.println("Bulletins:              " + raised.size() + " warnings or errors");
        for (final JsonNode bulletin : raised) {
            System.out.println("  " + bulletin.path("level").asText() + " " + bulletin.path("sourceName").asText() + ": "
                    + bulletin.path("message").asText());
        }
        return raised.size();
    }

    private static void closeAll(final List<AutoCloseable> started) {
        for (final AutoCloseable closeable : started) {
            try {
                closeable.close();
            } catch (final Exception e) {
                System.err.println("While stopping " + closeable.getClass().getSimpleName() + ": " + e);
            }
        }
    }
}
