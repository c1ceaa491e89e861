package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

/**
 * The cluster scenario: a two-node NiFi cluster syncs the sample CRM API into PostgreSQL through our processors,
 * and the scenario checks what a cluster can get wrong. It must run inside a private network namespace (see
 * {@link NetworkNamespace}); {@code ClusterE2ETest} launches it there and asserts on the result file.
 * <h2>What runs</h2>
 * ZooKeeper (standalone), two cluster nodes, a third standalone NiFi that only serves the identity cache
 * (MapCacheServer, once for the whole cluster), PostgreSQL and the sample CRM API, all on 127.0.0.1.
 * <h2>The flow (built over REST on the cluster)</h2>
 * <pre>
 * IncrementalApiFetch (primary node only, cluster state)
 *   -- ROUND_ROBIN --> CustomerDedup (MapCacheClientService -> the one MapCacheServer)
 *   --> PutDatabaseRecord INSERT cluster_contacts          (every record version, with its customer id)
 *   --> PartitionRecord (customer_id = /customer_id)
 *   -- PARTITION_BY_ATTRIBUTE customer_id --> [group, FlowFile concurrency SINGLE_FLOWFILE_PER_NODE:
 *        ProfileMerge (stored profile via DatabaseRecordLookupService)
 *        --> PutDatabaseRecord UPSERT cluster_profiles]     (one golden row per customer id)
 * Identity probe: GenerateFlowFile (all nodes, run once) --> the same CustomerDedup
 * </pre>
 * <h2>Checks (written to the result JSON)</h2>
 * formation (both connected, one primary), identity (one new customer's records on both nodes at once: one id, one
 * profile row), primary-only fetch (each page of the sync requested once, FlowFiles out of the fetch on the primary
 * only), failover (the primary's process is stopped mid-sync, the other node becomes primary and finishes from the
 * cluster state; after the stopped node returns, every record version is in the database exactly once and every
 * customer has one id and one profile row, as the seeded truth of an uninterrupted run says).
 * <p>
 * Args: result JSON path. Exit code 0 when every check passed.
 */
public final class ClusterScenario {

    static final String API_KEY = "cluster-e2e-key";
    static final String INITIAL_WATERMARK = "2026-01-01T00:00:00Z";
    static final int PAGE_SIZE = 3;
    static final int CUSTOMERS = 40;
    static final String IDENTITY_EMAIL_A = "Nova.Identity@Example.com";
    static final String IDENTITY_EMAIL_B = "nova.identity@example.com";
    static final String RACE_FIRST_NAME = "Zelda";
    static final String RACE_CITY = "Vienna";

    private static final Duration FORM_TIMEOUT = Duration.ofSeconds(Long.getLong("nifi.e2e.cluster.formTimeoutSeconds", 300));

    private final ObjectMapper mapper = new ObjectMapper();
    private final ObjectNode result = mapper.createObjectNode();
    private final ArrayNode checks = result.putArray("checks");
    private final ObjectNode metrics = result.putObject("metrics");
    private final List<String> log = new ArrayList<>();

    public static void main(final String[] args) {
        final Path resultFile = Path.of(args[0]);
        final ClusterScenario scenario = new ClusterScenario();
        int exit = 1;
        try {
            exit = scenario.run() ? 0 : 1;
        } catch (final Throwable e) {
            scenario.check("scenario completed", false, e.getClass().getSimpleName() + ": " + e.getMessage());
            e.printStackTrace();
        } finally {
            scenario.write(resultFile);
        }
        // Shutdown hooks of the NiFi instances stop anything still running.
        System.exit(exit);
    }

    private boolean run() {
        final Path home = Path.of(System.getProperty(NiFiInstance.HOME_PROPERTY));
        final Path runDir = Path.of(System.getProperty(NiFiInstance.RUNS_PROPERTY, home.resolveSibling("e2e-runs").toString()))
                .resolve("cluster-" + System.currentTimeMillis());
        result.put("runDir", runDir.toString());
        final SampleData data = SampleData.generate(42, CUSTOMERS);
        try (PostgresPeer postgres = PostgresPeer.start(runDir.resolve("postgres"));
             SampleCrmApi api = SampleCrmApi.start(data, API_KEY, SampleCrmApi.Faults.none());
             NiFiInstance cacheHost = NiFiInstance.create(home, runDir.resolve("identity-cache"), FORM_TIMEOUT);
             NiFiCluster cluster = NiFiCluster.create(home, runDir, 2, FORM_TIMEOUT)) {
            postgres.execute(TABLES);
            cacheHost.reserveHttpPort();
            note("peers up: postgres " + postgres.port() + ", api " + api.port() + ", zookeeper " + cluster.zooKeeper().connectString());

            // The cache host and the two nodes start together; formation is timed from here.
            final long formStart = System.nanoTime();
            final CompletableFuture<Void> cacheStart = CompletableFuture.runAsync(cacheHost::start);
            cluster.start();
            final List<NiFiCluster.NodeState> formed = cluster.waitUntilFormed(cluster.node(0), 2, FORM_TIMEOUT);
            final double formSeconds = (System.nanoTime() - formStart) / 1e9;
            metrics.put("clusterFormSeconds", round(formSeconds));
            for (int i = 0; i < 2; i++) {
                metrics.put("node" + (i + 1) + "StartSeconds", round(cluster.node(i).lastStartDuration().toMillis() / 1000.0));
            }
            check("cluster formed: 2 connected nodes, one primary, one coordinator",
                    formed.stream().filter(n -> "CONNECTED".equals(n.status())).count() == 2
                            && formed.stream().filter(NiFiCluster.NodeState::isPrimary).count() == 1
                            && formed.stream().filter(NiFiCluster.NodeState::isCoordinator).count() == 1, formed.toString());
            cacheStart.join();

            final int cachePort = NiFiInstance.freePort();
            startCacheServer(cacheHost, runDir.resolve("identity-cache").resolve("map-cache"), cachePort);

            final NiFiRestClient client = new NiFiRestClient(cluster.node(0).apiUrl());
            final ClusterFlowSupport support = new ClusterFlowSupport(client);
            final Flow flow = buildFlow(client, support, home, postgres, api, cachePort);
            client.enableControllerServices(flow.groupId, Duration.ofSeconds(120));

            identityCheck(client, support, flow, postgres, cluster);
            profileRaceCheck(client, support, flow, postgres);
            syncWithFailover(client, support, flow, postgres, api, data, cluster);

            for (int i = 0; i < 2; i++) {
                metrics.put("node" + (i + 1) + "RssMiB", cluster.node(i).residentSetSizeBytes() / (1024 * 1024));
            }
            metrics.put("identityCacheHostRssMiB", cacheHost.residentSetSizeBytes() / (1024 * 1024));
            final List<String> leaked = new ArrayList<>();
            for (final String email : data.allEmailsAsWritten()) {
                for (final NiFiInstance node : cluster.nodes()) {
                    if (!node.grepLogs(email).isEmpty()) {
                        leaked.add("an address in the logs of " + node.runDir().getFileName());
                    }
                }
            }
            check("no e-mail address in any node's logs", leaked.isEmpty(), leaked.stream().distinct().toList().toString());
        }
        boolean allPassed = true;
        for (final var check : checks) {
            allPassed &= check.path("passed").asBoolean();
        }
        return allPassed;
    }

    // ---------------------------------------------------------------- identity cache host

    /** The one MapCacheServer for the cluster, on a standalone NiFi outside the cluster, persisted to disk. */
    private void startCacheServer(final NiFiInstance cacheHost, final Path persistence, final int port) {
        final NiFiRestClient cacheClient = new NiFiRestClient(cacheHost.apiUrl());
        final String group = cacheClient.createProcessGroup(cacheClient.rootGroupId(), "identity-cache");
        final Map<String, String> properties = new LinkedHashMap<>();
        properties.put("Port", Integer.toString(port));
        properties.put("Maximum Cache Entries", "100000");
        properties.put("Persistence Directory", persistence.toString());
        cacheClient.createControllerService(group, "org.apache.nifi.distributed.cache.server.map.MapCacheServer", "identity cache", properties);
        cacheClient.enableControllerServices(group, Duration.ofSeconds(60));
        note("identity MapCacheServer on 127.0.0.1:" + port + " (standalone NiFi " + cacheHost.httpPort() + ")");
    }

    // ---------------------------------------------------------------- flow

    private record Flow(String groupId, String fetchId, String dedupId, String probeId, String landingId, String partitionId,
                        String upsertGroupId, String failureFunnel, String raceFirstNameId, String raceCityId) {
    }

    private Flow buildFlow(final NiFiRestClient client, final ClusterFlowSupport support, final Path home, final PostgresPeer postgres,
                           final SampleCrmApi api, final int cachePort) {
        final String group = client.createProcessGroup(client.rootGroupId(), "crm-api-sync (cluster)");
        final String reader = client.createControllerService(group, "org.apache.nifi.json.JsonTreeReader", "JSON reader", Map.of());
        final String writer = client.createControllerService(group, "org.apache.nifi.json.JsonRecordSetWriter", "JSON writer", Map.of());
        final String cache = client.createControllerService(group, "org.apache.nifi.distributed.cache.client.MapCacheClientService",
                "identity cache client", Map.of("Server Hostname", "127.0.0.1", "Server Port", Integer.toString(cachePort)));
        final String pool = client.createControllerService(group, "org.apache.nifi.dbcp.DBCPConnectionPool", "PostgreSQL", Map.of(
                "Database Connection URL", postgres.jdbcUrl(),
                "Database Driver Class Name", "org.postgresql.Driver",
                "database-driver-locations", home.resolve("drivers").resolve("postgresql.jar").toString(),
                "Database User", PostgresPeer.USER,
                "Password", "unused-trust-auth"));
        final String storedProfiles = client.createControllerService(group, "org.apache.nifi.lookup.db.DatabaseRecordLookupService",
                "stored profiles", Map.of(
                        "dbrecord-lookup-dbcp-service", pool,
                        "dbrecord-lookup-table-name", "cluster_profiles",
                        "dbrecord-lookup-key-column", "customer_id",
                        "dbrecord-lookup-cache-size", "0"));

        final Map<String, String> fetchProperties = new LinkedHashMap<>();
        fetchProperties.put("Endpoint URL", api.baseUrl() + "/contacts");
        fetchProperties.put("HTTP Method", "GET");
        fetchProperties.put("Records Pointer", "/data");
        fetchProperties.put("Record Key Pointer", "/id");
        fetchProperties.put("Watermark Pointer", "/updated_at");
        fetchProperties.put("Watermark Type", "ISO_8601");
        fetchProperties.put("Watermark Parameter", "updated_since");
        fetchProperties.put("Initial Watermark", INITIAL_WATERMARK);
        fetchProperties.put("Pagination Strategy", "LINK_HEADER");
        fetchProperties.put("Page Size Parameter", "limit");
        fetchProperties.put("Page Size", Integer.toString(PAGE_SIZE));
        // One page per trigger, a trigger a second: the sync takes long enough to stop the primary in the middle.
        fetchProperties.put("Maximum Pages Per Trigger", "1");
        fetchProperties.put("Authentication Strategy", "API_KEY_HEADER");
        fetchProperties.put("API Key Name", SampleCrmApi.API_KEY_HEADER);
        fetchProperties.put("API Key", API_KEY);
        final String fetch = client.createProcessor(group, "io.datasync.nifi.processors.IncrementalApiFetch", "IncrementalApiFetch",
                fetchProperties, "1 sec", Set.of());
        support.setExecutionNode(fetch, "PRIMARY");

        final Map<String, String> dedupProperties = new LinkedHashMap<>();
        dedupProperties.put("Record Reader", reader);
        dedupProperties.put("Record Writer", writer);
        dedupProperties.put("Output Mode", "ANNOTATE");
        dedupProperties.put("Timestamp Record Path", "/updated_at");
        dedupProperties.put("Email Record Paths", "/email");
        dedupProperties.put("Distributed Map Cache Client", cache);
        final String dedup = client.createProcessor(group, "io.datasync.nifi.processors.CustomerDedup", "CustomerDedup",
                dedupProperties, "0 sec", Set.of("merges"));
        // The match rule is a dynamic property: rule name "email", value the RecordPath.
        support.setProcessorProperties(dedup, Map.of("email", "/email"));

        final String landing = client.createProcessor(group, "org.apache.nifi.processors.standard.PutDatabaseRecord",
                "PutDatabaseRecord (contacts)", Map.of(
                        "put-db-record-record-reader", reader,
                        "db-type", "PostgreSQL",
                        "put-db-record-statement-type", "INSERT",
                        "put-db-record-dcbp-service", pool,
                        "put-db-record-table-name", "cluster_contacts",
                        "put-db-record-unmatched-field-behavior", "Ignore Unmatched Fields",
                        "put-db-record-unmatched-column-behavior", "Ignore Unmatched Columns"),
                "0 sec", Set.of("success"));

        final String partition = client.createProcessor(group, "org.apache.nifi.processors.standard.PartitionRecord",
                "PartitionRecord (customer_id)", Map.of("record-reader", reader, "record-writer", writer), "0 sec", Set.of("original"));
        support.setProcessorProperties(partition, Map.of("customer_id", "/customer_id"));

        // ProfileMerge reads the stored profile and PutDatabaseRecord writes the merged one: a read-modify-write. The
        // partitioned connection below brings all of a customer's FlowFiles to one node; this group, with FlowFile
        // concurrency "single FlowFile per node", keeps a second FlowFile out until the first one's profile is written,
        // so no merge works from a stored profile that another FlowFile is about to replace.
        final String upsertGroup = client.createProcessGroup(group, "profile upsert (one FlowFile per node at a time)");
        // System property only to show that the race check below fails without it (UNBOUNDED); never set in the test.
        support.setFlowFileConcurrency(upsertGroup, System.getProperty("nifi.e2e.cluster.profileGroupConcurrency", "SINGLE_FLOWFILE_PER_NODE"));
        final String profilesIn = support.createPort(upsertGroup, "input-ports", "profiles in");
        final String failuresOut = support.createPort(upsertGroup, "output-ports", "failures out");
        final String merge = client.createProcessor(upsertGroup, "io.datasync.nifi.processors.ProfileMerge", "ProfileMerge", Map.of(
                "Record Reader", reader,
                "Record Writer", writer,
                "Customer Key Record Path", "/customer_id",
                // On equal timestamps an incoming CRM value beats the stored one (listed sources win ties).
                "Tie-Break Source Order", "crm",
                "Stored Profile Lookup Service", storedProfiles), "0 sec", Set.of());

        final String upsert = client.createProcessor(upsertGroup, "org.apache.nifi.processors.standard.PutDatabaseRecord",
                "PutDatabaseRecord (profiles)", Map.of(
                        "put-db-record-record-reader", reader,
                        "db-type", "PostgreSQL",
                        "put-db-record-statement-type", "UPSERT",
                        "put-db-record-update-keys", "customer_id",
                        "put-db-record-dcbp-service", pool,
                        "put-db-record-table-name", "cluster_profiles",
                        "put-db-record-unmatched-field-behavior", "Ignore Unmatched Fields",
                        "put-db-record-unmatched-column-behavior", "Ignore Unmatched Columns"),
                "0 sec", Set.of("success"));
        client.connect(upsertGroup, profilesIn, "INPUT_PORT", merge, "PROCESSOR", Set.of());
        client.connect(upsertGroup, merge, upsert, Set.of("success"));
        client.connect(upsertGroup, merge, "PROCESSOR", failuresOut, "OUTPUT_PORT", Set.of("failure", "retry"));
        client.connect(upsertGroup, upsert, "PROCESSOR", failuresOut, "OUTPUT_PORT", Set.of("failure", "retry"));

        final String probe = client.createProcessor(group, "org.apache.nifi.processors.standard.GenerateFlowFile",
                "GenerateFlowFile (identity probe)", Map.of("generate-ff-custom-text", identityProbeJson(), "Batch Size", "1"), "1 hour", Set.of());

        // Two updates of the identity customer, each touching a different field, emitted at the same moment: without
        // one-FlowFile-at-a-time in the profile group both merges would start from the same stored profile and the
        // later write would drop the other's field.
        final String raceFirstName = client.createProcessor(group, "org.apache.nifi.processors.standard.GenerateFlowFile",
                "GenerateFlowFile (race probe: first name)", Map.of("generate-ff-custom-text", raceProbeJson("first_name", RACE_FIRST_NAME),
                        "Batch Size", "1"), "1 hour", Set.of());
        final String raceCity = client.createProcessor(group, "org.apache.nifi.processors.standard.GenerateFlowFile",
                "GenerateFlowFile (race probe: city)", Map.of("generate-ff-custom-text", raceProbeJson("city", RACE_CITY),
                        "Batch Size", "1"), "1 hour", Set.of());
        support.setExecutionNode(raceFirstName, "PRIMARY");
        support.setExecutionNode(raceCity, "PRIMARY");
        client.connect(group, raceFirstName, dedup, Set.of("success"));
        client.connect(group, raceCity, dedup, Set.of("success"));

        final String failures = client.createFunnel(group);
        final String fetchToDedup = client.connect(group, fetch, dedup, Set.of("success"));
        support.setLoadBalance(fetchToDedup, "ROUND_ROBIN", null);
        client.connect(group, probe, dedup, Set.of("success"));
        client.connect(group, dedup, landing, Set.of("success"));
        client.connect(group, dedup, partition, Set.of("success"));
        final String partitionToMerge = support.connect(group, partition, group, "PROCESSOR", profilesIn, upsertGroup, "INPUT_PORT",
                Set.of("success"));
        support.setLoadBalance(partitionToMerge, "PARTITION_BY_ATTRIBUTE", "customer_id");
        support.connect(group, failuresOut, upsertGroup, "OUTPUT_PORT", failures, group, "FUNNEL", Set.of());
        client.connect(group, dedup, "PROCESSOR", failures, "FUNNEL", Set.of("failure"));
        client.connect(group, landing, "PROCESSOR", failures, "FUNNEL", Set.of("failure", "retry"));
        client.connect(group, partition, "PROCESSOR", failures, "FUNNEL", Set.of("failure"));
        final Map<String, List<String>> invalid = client.validationErrors(group);
        if (!invalid.isEmpty()) {
            note("validation before enabling services: " + invalid);
        }
        return new Flow(group, fetch, dedup, probe, landing, partition, upsertGroup, failures, raceFirstName, raceCity);
    }

    /**
     * One new customer, written two ways, as each node's probe emits it. {@code ${hostname()}} is the same on both
     * nodes here, so the record id carries a random UUID per node instead.
     */
    private static String identityProbeJson() {
        return "[{\"id\":\"P-${UUID()}\",\"email\":\"" + IDENTITY_EMAIL_A + "\",\"first_name\":\"Nova\",\"last_name\":\"Identity\","
                + "\"updated_at\":\"2026-01-04T00:00:00Z\"},"
                + "{\"id\":\"P-${UUID()}\",\"email\":\"" + IDENTITY_EMAIL_B + "\",\"city\":\"Graz\",\"updated_at\":\"2026-01-04T00:00:01Z\"}]";
    }

    private static String raceProbeJson(final String field, final String value) {
        return "[{\"id\":\"R-${UUID()}\",\"source\":\"crm\",\"email\":\"" + IDENTITY_EMAIL_B + "\",\"" + field + "\":\"" + value
                + "\",\"updated_at\":\"2026-01-04T00:10:00Z\"}]";
    }

    // ---------------------------------------------------------------- identity

    private void identityCheck(final NiFiRestClient client, final ClusterFlowSupport support, final Flow flow, final PostgresPeer postgres,
                               final NiFiCluster cluster) {
        for (final String id : List.of(flow.dedupId, flow.landingId, flow.partitionId)) {
            support.setRunStatus(id, "RUNNING");
        }
        client.startProcessGroup(flow.upsertGroupId);
        // RUN_ONCE is replicated to every node: each node's probe emits the same new customer at the same moment.
        support.setRunStatus(flow.probeId, "RUN_ONCE");
        NiFiRestClient.waitUntil(Duration.ofSeconds(90), () -> identityRows(postgres).size() >= 4
                && !postgres.query("SELECT 1 FROM cluster_profiles WHERE lower(email) = ?", IDENTITY_EMAIL_B).isEmpty(),
                "the identity probe's records in the database");
        client.waitUntilQuiet(flow.groupId, 3, Duration.ofMillis(500), Duration.ofSeconds(60));
        final Map<Integer, Integer> probeOut = support.flowFilesOutByNode(flow.probeId);
        final Map<Integer, Integer> dedupIn = support.flowFilesInByNode(flow.dedupId);
        final List<Map<String, Object>> rows = identityRows(postgres);
        final Set<Object> ids = rows.stream().map(row -> row.get("customer_id")).collect(Collectors.toSet());
        final List<Map<String, Object>> profiles = postgres.query(
                "SELECT customer_id FROM cluster_profiles WHERE lower(email) = ?", IDENTITY_EMAIL_B);
        final boolean bothNodes = probeOut.size() == 2 && probeOut.values().stream().allMatch(out -> out == 1)
                && dedupIn.values().stream().allMatch(in -> in >= 1);
        check("identity: the probe ran on both nodes at once (one FlowFile out per node, CustomerDedup received on both)",
                bothNodes, "probe out by node " + probeOut + ", CustomerDedup in by node " + dedupIn);
        check("identity: 4 records of one new customer from 2 nodes got one customer id", rows.size() == 4 && ids.size() == 1
                        && !ids.contains(null), rows.size() + " rows, ids " + ids);
        check("identity: one profile row for that customer, with that id", profiles.size() == 1
                && ids.contains(profiles.getFirst().get("customer_id")), profiles.toString());
    }

    /** Two one-field updates of one customer at the same moment: the stored profile must end with both fields. */
    private void profileRaceCheck(final NiFiRestClient client, final ClusterFlowSupport support, final Flow flow, final PostgresPeer postgres) {
        support.setRunStatus(flow.raceFirstNameId, "RUN_ONCE");
        support.setRunStatus(flow.raceCityId, "RUN_ONCE");
        NiFiRestClient.waitUntil(Duration.ofSeconds(90), () -> postgres.query("SELECT 1 FROM cluster_contacts WHERE id LIKE 'R-%'").size() >= 2,
                "the race probe's records in the database");
        client.waitUntilQuiet(flow.groupId, 3, Duration.ofMillis(500), Duration.ofSeconds(60));
        final List<Map<String, Object>> profiles = postgres.query(
                "SELECT first_name, city FROM cluster_profiles WHERE lower(email) = ?", IDENTITY_EMAIL_B);
        check("profiles: two one-field updates of one customer at the same moment both survive (no lost update)",
                profiles.size() == 1 && RACE_FIRST_NAME.equals(profiles.getFirst().get("first_name"))
                        && RACE_CITY.equals(profiles.getFirst().get("city")), profiles.toString());
    }

    private static List<Map<String, Object>> identityRows(final PostgresPeer postgres) {
        return postgres.query("SELECT id, customer_id FROM cluster_contacts WHERE lower(email) = ?", IDENTITY_EMAIL_B);
    }

    // ---------------------------------------------------------------- sync, primary only, failover

    private void syncWithFailover(final NiFiRestClient firstClient, final ClusterFlowSupport firstSupport, final Flow flow,
                                  final PostgresPeer postgres, final SampleCrmApi api, final SampleData data, final NiFiCluster cluster) {
        final int expectedRecords = data.crmRecords().size();
        final int expectedPages = (expectedRecords + PAGE_SIZE - 1) / PAGE_SIZE;
        metrics.put("crmRecords", expectedRecords);
        metrics.put("crmPages", expectedPages);

        final NiFiInstance firstPrimary = cluster.primary(cluster.node(0)).orElseThrow();
        final NiFiInstance survivor = cluster.nodes().stream().filter(node -> node != firstPrimary).findFirst().orElseThrow();
        result.put("firstPrimaryPort", firstPrimary.httpPort());
        firstSupport.setRunStatus(flow.fetchId, "RUNNING");

        // Stop the primary's process once about a third of the pages have been fetched.
        NiFiRestClient.waitUntil(Duration.ofSeconds(120), () -> crmPageRequests(api) >= expectedPages / 3, "a third of the sync");
        final Map<Integer, Integer> fetchOutBeforeStop = firstSupport.flowFilesOutByNode(flow.fetchId);
        final int pagesBeforeStop = crmPageRequests(api);
        final long stopAt = System.nanoTime();
        firstPrimary.stop();
        note("stopped the primary (" + firstPrimary.httpPort() + ") after " + pagesBeforeStop + " of " + expectedPages + " pages");
        metrics.put("pagesBeforePrimaryStopped", pagesBeforeStop);
        check("primary only: before the stop, IncrementalApiFetch sent FlowFiles from the primary only",
                fetchOutBeforeStop.getOrDefault(survivor.httpPort(), 0) == 0 && fetchOutBeforeStop.getOrDefault(firstPrimary.httpPort(), 0) > 0,
                "fetch FlowFiles out by node " + fetchOutBeforeStop);

        final NiFiRestClient survivorClient = new NiFiRestClient(survivor.apiUrl());
        NiFiRestClient.waitUntil(Duration.ofSeconds(180), () -> {
            try {
                return NiFiCluster.nodeStates(survivorClient).stream()
                        .anyMatch(node -> node.apiPort() == survivor.httpPort() && node.isPrimary() && "CONNECTED".equals(node.status()));
            } catch (final RuntimeException notYet) {
                return false;
            }
        }, "the other node to become primary");
        metrics.put("newPrimaryElectedSeconds", round((System.nanoTime() - stopAt) / 1e9));
        NiFiRestClient.waitUntil(Duration.ofSeconds(180), () -> syncComplete(api, expectedRecords), "the new primary to finish the sync");
        metrics.put("syncFinishedAfterStopSeconds", round((System.nanoTime() - stopAt) / 1e9));
        final int pagesAfterStop = crmPageRequests(api);
        final Map<Integer, Integer> fetchOutAfterStop = new ClusterFlowSupport(survivorClient).flowFilesOutByNode(flow.fetchId);
        check("failover: the new primary continued from cluster state (the remaining pages fetched by the other node)",
                pagesAfterStop > pagesBeforeStop && fetchOutAfterStop.getOrDefault(survivor.httpPort(), 0) == pagesAfterStop - pagesBeforeStop,
                pagesBeforeStop + " pages before the stop, " + pagesAfterStop + " in all; fetch FlowFiles out by connected node " + fetchOutAfterStop);

        // The stopped node comes back: FlowFiles it had queued (NiFi keeps them in that node's repositories) drain.
        final long restartAt = System.nanoTime();
        firstPrimary.start();
        cluster.waitUntilFormed(survivor, 2, FORM_TIMEOUT);
        metrics.put("nodeRejoinSeconds", round((System.nanoTime() - restartAt) / 1e9));
        survivorClient.waitUntilQuiet(flow.groupId, 4, Duration.ofSeconds(1), Duration.ofSeconds(180));
        final ClusterFlowSupport survivorSupport = new ClusterFlowSupport(survivorClient);
        survivorSupport.setRunStatus(flow.fetchId, "STOPPED");

        final Map<String, Long> pageCounts = syncPageCounts(api);
        final List<String> repeated = pageCounts.entrySet().stream().filter(e -> e.getValue() != 1).map(Map.Entry::getKey).toList();
        check("primary only: the API served each page of the sync exactly once (" + expectedPages + " pages)",
                repeated.isEmpty() && pageCounts.size() >= expectedPages, pageCounts.size() + " distinct pages, repeated: " + repeated);
        verifyDatabase(postgres, data);
        final long failed = survivorClient.groupStatus(flow.groupId).path("flowFilesQueued").asLong();
        check("nothing parked in the failure funnel", failed == 0, failed + " queued");
    }

    /** Successful requests of the first sync run: the ones asking from the initial watermark (later runs ask from the new one). */
    private static Map<String, Long> syncPageCounts(final SampleCrmApi api) {
        final Map<String, Long> counts = new TreeMap<>();
        api.successfulPageCounts().forEach((pathAndQuery, count) -> {
            if (isFirstRunRequest(pathAndQuery)) {
                counts.put(pathAndQuery, count);
            }
        });
        return counts;
    }

    private static boolean isFirstRunRequest(final String pathAndQuery) {
        final int at = pathAndQuery.indexOf("updated_since=");
        if (at < 0) {
            return false;
        }
        final int end = pathAndQuery.indexOf('&', at);
        final String value = java.net.URLDecoder.decode(pathAndQuery.substring(at + "updated_since=".length(), end < 0 ? pathAndQuery.length() : end),
                java.nio.charset.StandardCharsets.UTF_8);
        try {
            return java.time.OffsetDateTime.parse(value).toInstant().equals(Instant.parse(INITIAL_WATERMARK));
        } catch (final java.time.format.DateTimeParseException e) {
            return false;
        }
    }

    private static int crmPageRequests(final SampleCrmApi api) {
        return (int) syncPageCounts(api).values().stream().mapToLong(Long::longValue).sum();
    }

    private static boolean syncComplete(final SampleCrmApi api, final int expectedRecords) {
        int served = 0;
        for (final SampleCrmApi.RecordedRequest request : api.requests()) {
            if (request.status() == 200 && isFirstRunRequest(request.pathAndQuery())) {
                served += request.recordCount();
            }
        }
        return served >= expectedRecords;
    }

    private void verifyDatabase(final PostgresPeer postgres, final SampleData data) {
        final List<Map<String, Object>> rows = postgres.query(
                "SELECT id, updated_at, email, customer_id FROM cluster_contacts WHERE id NOT LIKE 'P-%' AND id NOT LIKE 'R-%'");
        final Map<String, Integer> seen = new HashMap<>();
        rows.forEach(row -> seen.merge(row.get("id") + "@" + Instant.parse((String) row.get("updated_at")), 1, Integer::sum));
        final Set<String> expected = data.crmRecords().stream().map(r -> r.sourceId() + "@" + r.updatedAt()).collect(Collectors.toSet());
        final List<String> missing = expected.stream().filter(key -> !seen.containsKey(key)).sorted().toList();
        final List<String> duplicated = seen.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).sorted().toList();
        final List<String> unexpected = seen.keySet().stream().filter(key -> !expected.contains(key)).sorted().toList();
        check("failover: every record version of the sync is in the database exactly once (" + expected.size() + ")",
                missing.isEmpty() && duplicated.isEmpty() && unexpected.isEmpty() && rows.size() == expected.size(),
                rows.size() + " rows; missing " + missing + "; duplicated " + duplicated + "; unexpected " + unexpected);

        // Identity after failover: the seeded truth groups records by subject key; each group must have one id, and no
        // two groups may share one.
        final Map<String, Set<Object>> idsBySubject = new TreeMap<>();
        final Map<Object, Set<String>> subjectsById = new HashMap<>();
        for (final Map<String, Object> row : rows) {
            final String subject = SampleData.subjectKey((String) row.get("email"));
            idsBySubject.computeIfAbsent(subject, key -> new HashSet<>()).add(row.get("customer_id"));
            subjectsById.computeIfAbsent(row.get("customer_id"), key -> new HashSet<>()).add(subject);
        }
        final List<String> split = idsBySubject.entrySet().stream().filter(e -> e.getValue().size() != 1).map(Map.Entry::getKey).toList();
        final List<Object> joined = subjectsById.entrySet().stream().filter(e -> e.getValue().size() != 1).map(Map.Entry::getKey).toList();
        check("failover: each of the " + data.customers().size() + " customers has exactly one customer id",
                split.isEmpty() && joined.isEmpty() && idsBySubject.size() == data.customers().size(),
                idsBySubject.size() + " subjects; split " + split.size() + "; ids shared by several subjects " + joined.size());

        final List<Map<String, Object>> profiles = postgres.query(
                "SELECT customer_id, email, city FROM cluster_profiles WHERE lower(email) <> ?", IDENTITY_EMAIL_B);
        final Set<Object> profileIds = profiles.stream().map(row -> row.get("customer_id")).collect(Collectors.toSet());
        check("failover: one profile row per customer, keyed by its one id (" + data.customers().size() + ")",
                profiles.size() == data.customers().size() && profileIds.equals(subjectsById.keySet()),
                profiles.size() + " profile rows, " + profileIds.size() + " distinct ids");
        // ProfileMerge with the stored profile: a customer's later partial update (a move) must not erase fields the
        // earlier full record set, whichever node and FlowFile carried them.
        final Map<String, String> expectedCity = new HashMap<>();
        data.crmRecords().stream().sorted((a, b) -> a.updatedAt().compareTo(b.updatedAt()))
                .forEach(r -> {
                    if (r.city() != null) {
                        expectedCity.put(r.trueSubjectKey(), r.city());
                    }
                });
        final List<String> wrongCity = new ArrayList<>();
        for (final Map<String, Object> profile : profiles) {
            final String subject = SampleData.subjectKey((String) profile.get("email"));
            if (!java.util.Objects.equals(expectedCity.get(subject), profile.get("city"))) {
                wrongCity.add(subject.hashCode() + ": " + profile.get("city") + " != " + expectedCity.get(subject));
            }
        }
        check("profiles: the latest non-empty city of every customer survived (order-independent merge)", wrongCity.isEmpty(),
                wrongCity.size() + " wrong: " + wrongCity);
    }

    // ---------------------------------------------------------------- plumbing

    static final String TABLES = """
            CREATE TABLE cluster_contacts (
                id           VARCHAR(64)  NOT NULL,
                email        VARCHAR(320),
                updated_at   VARCHAR(40)  NOT NULL,
                customer_id  VARCHAR(64)
            );
            CREATE TABLE cluster_profiles (
                customer_id  VARCHAR(64)  PRIMARY KEY,
                email        VARCHAR(320),
                first_name   VARCHAR(100),
                last_name    VARCHAR(100),
                city         VARCHAR(100),
                country      VARCHAR(2),
                updated_at   VARCHAR(40)
            );
            """;

    private void check(final String name, final boolean passed, final String detail) {
        checks.addObject().put("name", name).put("passed", passed).put("detail", detail);
        note((passed ? "PASS " : "FAIL ") + name + " :: " + detail);
    }

    private void note(final String line) {
        final String stamped = Instant.now() + " " + line;
        log.add(stamped);
        System.out.println(stamped);
    }

    private static double round(final double value) {
        return Math.round(value * 10) / 10.0;
    }

    private void write(final Path resultFile) {
        final ArrayNode lines = result.putArray("log");
        log.forEach(lines::add);
        try {
            Files.createDirectories(resultFile.toAbsolutePath().getParent());
            Files.writeString(resultFile, mapper.writerWithDefaultPrettyPrinter().writeValueAsString(result));
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
