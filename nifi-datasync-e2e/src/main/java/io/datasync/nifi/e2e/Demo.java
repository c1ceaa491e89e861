package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * The one-command demo ({@code ./demo.sh}): starts PostgreSQL, the FTP server and the sample CRM API with sample
 * data, a real NiFi with our NAR, imports the flows and runs them, prints where everything is, and keeps running
 * until Ctrl-C, which stops everything.
 * <p>
 * Arguments: {@code --templates DIR} (default {@code templates}), {@code --exit-after-start} (stop right after the
 * summary; for smoke checks). The NiFi install comes from system property {@value NiFiInstance#HOME_PROPERTY}.
 */
public final class Demo {

    private static final String CRM_API_KEY = "demo-crm-key";

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

        final SampleData data = SampleData.generate(42L, 40);
        final NiFiInstance nifi = NiFiInstance.create("demo");
        System.out.println("Run directory (logs, repositories, peers' data): " + nifi.runDir());
        final PostgresPeer postgres = PostgresPeer.start(nifi.runDir().resolve("postgres-data"));
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

        // Phase 1: a flow of stock processors, built over REST, so there is something to watch.
        final StockFtpToPostgresFlow.Ids stock = StockFtpToPostgresFlow.build(client, rootId, StockFtpToPostgresFlow.parameters(ftp, postgres, nifi));
        client.enableControllerServices(stock.groupId(), Duration.ofSeconds(60));
        client.startProcessGroup(stock.groupId());

        final Map<String, String> peerParameters = peerParameters(nifi, postgres, ftp, crm);
        final List<String> imported = importTemplates(client, rootId, templatesDir, peerParameters);

        try {
            NiFiRestClient.waitUntil(Duration.ofSeconds(180), () -> postgres.count("staging_contacts") >= data.ftpRecords().size(),
                    "the FTP drops to reach PostgreSQL");
        } catch (final IllegalStateException slow) {
            System.out.println("The FTP drops have not all reached PostgreSQL yet; watch the flow in the UI.");
        }
        printSummary(nifi, postgres, ftp, crm, data, imported);

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
        System.out.println("Flows:        " + StockFtpToPostgresFlow.GROUP_NAME + " (stock processors)"
                + (imported.isEmpty() ? "; no templates/ found to import yet" : "; templates: " + String.join(", ", imported)));
        System.out.println("Loaded:       staging_contacts=" + postgres.count("staging_contacts")
                + ", customer_profiles=" + postgres.count("customer_profiles")
                + ", suppression=" + postgres.count("suppression"));
        System.out.println("Logs:         " + nifi.logDir());
        System.out.println("=====================================================");
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
