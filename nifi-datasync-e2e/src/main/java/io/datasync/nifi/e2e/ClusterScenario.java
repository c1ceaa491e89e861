package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * The cluster scenario: a two-node NiFi cluster runs the committed {@code templates/crm-api-sync.json}, imported
 * unchanged and configured through its parameters only, syncing the sample CRM API into PostgreSQL; the scenario
 * checks what a cluster can get wrong. It must run inside a private network namespace (see {@link NetworkNamespace});
 * {@code ClusterE2ETest} launches it there and asserts on the result file.
 * <h2>What runs</h2>
 * ZooKeeper (standalone), two cluster nodes, a third standalone NiFi that only serves the identity cache
 * (MapCacheServer, once for the whole cluster), PostgreSQL and the sample CRM API, all on 127.0.0.1.
 * <h2>The flow</h2>
 * The template as committed. Its cluster settings are the template's own: IncrementalApiFetch on the primary node with
 * a ROUND_ROBIN connection after it, PartitionRecord by a bucket of the customer id with a PARTITION_BY_ATTRIBUTE
 * connection into the single-FlowFile-per-node "Merge and store profiles" group. The scenario sets parameters
 * (database, API, page size and pages per trigger, and {@code identity.cache.host/port} = the cache NiFi) and leaves
 * the in-flow "Identity cache server" disabled, as docs/cluster.md tells a user to.
 * <p>
 * Test instrumentation, not a flow change: three GenerateFlowFile probes added to the imported group, feeding the
 * template's own "Normalise contacts" with records shaped like the CRM API's (the probe customer has a consent row).
 * <h2>Checks (written to the result JSON)</h2>
 * formation (both connected, one primary), the imported template's cluster settings, identity (one new customer's
 * records on both nodes at once: one id, one profile row), no lost profile update, primary-only fetch (each page of
 * the sync requested once, FlowFiles out of the fetch on the primary only), failover (the primary's process is stopped
 * mid-sync, the other node becomes primary and finishes from the cluster state; after the stopped node returns, the
 * profile and suppression tables equal the seeded truth of an uninterrupted single-node run), nothing parked, no
 * e-mail address in the nodes' logs.
 * <p>
 * Args: result JSON path. Exit code 0 when every check passed.
 */
public final class ClusterScenario {

    static final String API_KEY = "cluster-e2e-key";
    static final String INITIAL_WATERMARK = "2026-01-01T00:00:00Z";
    /** The template's default lookback, set explicitly: the first run asks from the initial watermark minus it. */
    static final Duration LOOKBACK = Duration.ofHours(1);
    /** Small pages and few per trigger (the template's schedule is 30 s): the sync spans triggers, so the primary can be stopped mid-sync. */
    static final int PAGE_SIZE = 3;
    static final int PAGES_PER_TRIGGER = 7;
    static final int CUSTOMERS = 40;
    static final Set<String> SOURCES = Set.of(SampleData.SOURCE_CRM);

    /** The template's in-flow MapCacheServer: left disabled on a cluster (the cache NiFi serves every node). */
    static final String IN_FLOW_CACHE_SERVER = "Identity cache server";
    static final String FETCH = "Fetch CRM contacts";
    static final String NORMALISE = "Normalise contacts";
    static final String LINK_IDENTITIES = "Link identities";
    static final String MERGE_INPUT_PORT = "records of identified customers";

    static final String IDENTITY_EMAIL_A = "Nova.Identity@Example.com";
    static final String IDENTITY_EMAIL_B = "nova.identity@example.com";
    /** The probe customer's subject key (what "Normalise contacts" makes of both spellings). */
    static final String IDENTITY_SUBJECT = "nova.identity@example.com";
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
            final List<SampleData.ConsentRow> consent = new ArrayList<>(data.consentRows());
            consent.add(new SampleData.ConsentRow(IDENTITY_SUBJECT, SampleData.PURPOSE, "GRANTED", Instant.parse("2026-01-02T00:00:00Z"),
                    "web-form"));
            postgres.loadConsent(consent);
            cacheHost.reserveHttpPort();
            note("peers up: postgres " + postgres.port() + ", api " + api.port() + ", zookeeper " + cluster.zooKeeper().connectString());

            // The cache host and the two nodes start together; formation is timed from here.
            final long formStart = System.nanoTime();
            final CompletableFuture<Void> cacheStart = CompletableFuture.runAsync(cacheHost::start);
            cluster.start();
            final List<NiFiCluster.NodeState> formed = cluster.waitUntilFormed(cluster.node(0), 2, FORM_TIMEOUT);
            final double formSeconds = (System.nanoTime() - formStart) / 1e9;
            metrics.put("clusterFormSeconds", round(formSeconds));
            metrics.put("loadAverageAtFormation", loadAverage());
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
            final Flow flow = importTemplate(client, support, cluster, postgres, api, cachePort);

            identityCheck(client, support, flow, postgres, cluster);
            profileRaceCheck(client, support, flow, postgres, cluster);
            syncWithFailover(client, support, flow, postgres, api, data, cluster);

            for (int i = 0; i < 2; i++) {
                metrics.put("node" + (i + 1) + "RssMiB", cluster.node(i).residentSetSizeBytes() / (1024 * 1024));
            }
            metrics.put("identityCacheHostRssMiB", cacheHost.residentSetSizeBytes() / (1024 * 1024));
            metrics.put("loadAverageAtEnd", loadAverage());
            final List<String> emails = new ArrayList<>(data.allEmailsAsWritten());
            emails.addAll(List.of(IDENTITY_EMAIL_A, IDENTITY_EMAIL_B));
            final List<String> leaked = new ArrayList<>();
            for (final String email : emails) {
                for (final NiFiInstance node : cluster.nodes()) {
                    if (!node.grepLogs(email).isEmpty() || !node.grepLogs(email.toLowerCase(java.util.Locale.ROOT)).isEmpty()) {
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

    // ---------------------------------------------------------------- the template

    private record Flow(String groupId, String fetchId, String linkIdentitiesId, String identityProbeId, String raceFirstNameId,
                        String raceCityId) {
    }

    /**
     * Imports templates/crm-api-sync.json into the cluster, sets its parameters, enables its services except the in-flow
     * cache server, adds the probes (instrumentation) and starts everything but the fetch and the probes.
     */
    private Flow importTemplate(final NiFiRestClient client, final ClusterFlowSupport support, final NiFiCluster cluster,
                                final PostgresPeer postgres, final SampleCrmApi api, final int cachePort) {
        final Map<String, String> values = TemplateImport.localParameters(cluster.node(0), postgres, null, api, API_KEY, cachePort);
        values.put("crm.initial.watermark", INITIAL_WATERMARK);
        values.put("crm.lookback", LOOKBACK.toSeconds() + " sec");
        values.put("crm.page.size", Integer.toString(PAGE_SIZE));
        values.put("crm.max.pages.per.trigger", Integer.toString(PAGES_PER_TRIGGER));
        // Never bound (the server stays disabled); a free port anyway, so nothing else on 127.0.0.1 could be meant.
        values.put("identity.cache.server.port", Integer.toString(NiFiInstance.freePort()));
        // This scenario exercises the cache store (a third NiFi serves it); the templates default to the database store.
        values.put("identity.store.type", "DISTRIBUTED_MAP_CACHE");
        final Path template = TemplateImport.templatesDir().resolve(TemplateFlows.CRM_API_SYNC + ".json");
        final String group = TemplateImport.upload(client, client.rootGroupId(), template, TemplateFlows.CRM_API_SYNC);
        note("imported " + template + " as group " + group);
        // Seen here: a heartbeat that arrived while the (seconds-long) upload was replicated made the coordinator ask
        // the other node to reconnect ("Revision Update Count" mismatch), and the next flow change was refused.
        cluster.waitUntilFormed(cluster.node(0), 2, FORM_TIMEOUT);
        whileReconnecting(cluster, "configure the template", () -> {
            TemplateImport.configure(client, group, values, Set.of(IN_FLOW_CACHE_SERVER));
            return null;
        });
        // A service can still be Enabling on one node for a moment after the enable call returned (seen on a loaded
        // machine); such a component is validated again once it is enabled, so poll, bounded.
        Map<String, List<String>> invalid = client.validationErrors(group);
        final long validationDeadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!invalid.isEmpty() && invalid.toString().contains("state is Enabling") && System.nanoTime() < validationDeadline) {
            NiFiInstance.sleep(500);
            invalid = client.validationErrors(group);
        }
        check("template: imported and configured by parameters only, no validation errors", invalid.isEmpty(), invalid.toString());
        checkClusterSettings(client, group);

        final String fetch = TemplateImport.processorId(client, group, FETCH);
        final String normalise = TemplateImport.processorId(client, group, NORMALISE);
        final String linkIdentities = TemplateImport.processorId(client, group, LINK_IDENTITIES);

        // Instrumentation. The identity probe runs on every node: RUN_ONCE is replicated, so each node emits the same
        // new customer at the same moment. The race probes run on the primary only and send two one-field updates of
        // that customer back to back: without one FlowFile at a time in the merge group both merges would start from
        // the same stored profile and the later write would drop the other's field.
        final String identityProbe = whileReconnecting(cluster, "create a probe", () -> client.createProcessor(group,
                "org.apache.nifi.processors.standard.GenerateFlowFile", "Test probe: identity (instrumentation)",
                Map.of("generate-ff-custom-text", identityProbeJson(), "Batch Size", "1"), "1 hour", Set.of()));
        final String raceFirstName = whileReconnecting(cluster, "create a probe", () -> client.createProcessor(group,
                "org.apache.nifi.processors.standard.GenerateFlowFile", "Test probe: race, first name (instrumentation)",
                Map.of("generate-ff-custom-text", raceProbeJson("first_name", RACE_FIRST_NAME), "Batch Size", "1"), "1 hour", Set.of()));
        final String raceCity = whileReconnecting(cluster, "create a probe", () -> client.createProcessor(group,
                "org.apache.nifi.processors.standard.GenerateFlowFile", "Test probe: race, city (instrumentation)",
                Map.of("generate-ff-custom-text", raceProbeJson("city", RACE_CITY), "Batch Size", "1"), "1 hour", Set.of()));
        for (final String probe : List.of(raceFirstName, raceCity)) {
            whileReconnecting(cluster, "set a probe's execution node", () -> {
                support.setExecutionNode(probe, "PRIMARY");
                return null;
            });
        }
        for (final String probe : List.of(identityProbe, raceFirstName, raceCity)) {
            whileReconnecting(cluster, "connect a probe", () -> client.connect(group, probe, normalise, Set.of("success")));
        }

        // Everything runs except the fetch and the probes, which the checks below trigger themselves.
        final List<String> held = List.of(fetch, identityProbe, raceFirstName, raceCity);
        held.forEach(id -> setRunStatus(cluster, support, id, "DISABLED"));
        whileReconnecting(cluster, "start the group", () -> {
            client.startProcessGroup(group);
            return null;
        });
        held.forEach(id -> setRunStatus(cluster, support, id, "STOPPED"));
        return new Flow(group, fetch, linkIdentities, identityProbe, raceFirstName, raceCity);
    }

    /**
     * Runs a flow change, and when NiFi refuses it because a node is (re)connecting, waits until both nodes are
     * connected and runs it again (at most 3 times). NiFi refuses such a change before applying it on any node, so
     * running it again is safe.
     */
    private <T> T whileReconnecting(final NiFiCluster cluster, final String what, final java.util.function.Supplier<T> change) {
        for (int attempt = 1; ; attempt++) {
            try {
                return change.get();
            } catch (final NiFiRestClient.NiFiApiException e) {
                final String message = String.valueOf(e.getMessage());
                if (attempt >= 3 || !(message.contains("currently connecting") || message.contains("currently disconnected")
                        || message.contains("unable to service request to change flow"))) {
                    throw e;
                }
                note("retrying '" + what + "' after a node (re)connected: " + message.substring(0, Math.min(200, message.length())));
                metrics.put("flowChangesRetriedWhileReconnecting", metrics.path("flowChangesRetriedWhileReconnecting").asInt() + 1);
                cluster.waitUntilFormed(cluster.node(0), 2, FORM_TIMEOUT);
            }
        }
    }

    private void setRunStatus(final NiFiCluster cluster, final ClusterFlowSupport support, final String processorId, final String state) {
        whileReconnecting(cluster, "set run status " + state, () -> {
            support.setRunStatus(processorId, state);
            return null;
        });
    }

    /** The cluster settings the scenario relies on come from the committed template, not from the scenario. */
    private void checkClusterSettings(final NiFiRestClient client, final String group) {
        final List<String> found = new ArrayList<>();
        boolean fetchRoundRobin = false;
        boolean mergePartitioned = false;
        for (final JsonNode connection : client.get("/process-groups/" + group + "/connections").path("connections")) {
            final JsonNode component = connection.path("component");
            final String source = component.path("source").path("name").asText();
            final String destination = component.path("destination").path("name").asText();
            final String strategy = component.path("loadBalanceStrategy").asText();
            if (!"DO_NOT_LOAD_BALANCE".equals(strategy)) {
                found.add(source + " -> " + destination + ": " + strategy + " " + component.path("loadBalancePartitionAttribute").asText(""));
            }
            fetchRoundRobin |= FETCH.equals(source) && "ROUND_ROBIN".equals(strategy);
            mergePartitioned |= MERGE_INPUT_PORT.equals(destination) && "PARTITION_BY_ATTRIBUTE".equals(strategy)
                    && DatasyncChain.CUSTOMER_BUCKET_ATTRIBUTE.equals(component.path("loadBalancePartitionAttribute").asText());
        }
        final String fetchNode = client.get("/processors/" + TemplateImport.processorId(client, group, FETCH))
                .path("component").path("config").path("executionNode").asText();
        check("template: its own cluster settings (fetch on the primary, round-robin after it, partitioned by customer bucket into the merge group)",
                fetchRoundRobin && mergePartitioned && "PRIMARY".equals(fetchNode), "execution node " + fetchNode + "; load-balanced " + found);
        final Map<String, String> serviceStates = new TreeMap<>();
        client.controllerServices(group).forEach(service -> serviceStates.put(service.path("component").path("name").asText(),
                service.path("component").path("state").asText()));
        check("identity cache: the in-flow server left disabled, every other service enabled (client on the shared cache host)",
                "DISABLED".equals(serviceStates.get(IN_FLOW_CACHE_SERVER)) && serviceStates.entrySet().stream()
                        .filter(e -> !IN_FLOW_CACHE_SERVER.equals(e.getKey())).allMatch(e -> "ENABLED".equals(e.getValue())),
                serviceStates.toString());
    }

    /**
     * One new customer, written two ways, as each node's probe emits it (records shaped like the CRM API's).
     * {@code ${hostname()}} is the same on both nodes here, so the record ids carry a random UUID instead.
     */
    private static String identityProbeJson() {
        return "[{\"id\":\"P-${UUID()}\",\"email\":\"" + IDENTITY_EMAIL_A + "\",\"first_name\":\"Nova\",\"last_name\":\"Identity\","
                + "\"updated_at\":\"2026-01-04T00:00:00Z\"},"
                + "{\"id\":\"P-${UUID()}\",\"email\":\"" + IDENTITY_EMAIL_B + "\",\"city\":\"Graz\",\"updated_at\":\"2026-01-04T00:00:01Z\"}]";
    }

    private static String raceProbeJson(final String field, final String value) {
        return "[{\"id\":\"R-${UUID()}\",\"email\":\"" + IDENTITY_EMAIL_B + "\",\"" + field + "\":\"" + value
                + "\",\"updated_at\":\"2026-01-04T00:10:00Z\"}]";
    }

    // ---------------------------------------------------------------- identity

    private void identityCheck(final NiFiRestClient client, final ClusterFlowSupport support, final Flow flow, final PostgresPeer postgres,
                               final NiFiCluster cluster) {
        setRunStatus(cluster, support, flow.identityProbeId, "RUN_ONCE");
        try {
            NiFiRestClient.waitUntil(Duration.ofSeconds(120), () -> probeSourceIds(postgres, "crm:P-").size() >= 4,
                    "the identity probe's four records in the probe customer's profile");
        } catch (final IllegalStateException timeout) {
            // The result file is all a CI run shows of the scenario: say where the probe's records are.
            throw new IllegalStateException(timeout.getMessage() + "; " + probeWhereabouts(client, support, flow, flow.identityProbeId, postgres, "crm:P-"), timeout);
        }
        client.waitUntilQuiet(flow.groupId, 3, Duration.ofMillis(500), Duration.ofSeconds(90));
        final Map<Integer, Integer> probeOut = support.flowFilesOutByNode(flow.identityProbeId);
        final Map<Integer, Integer> linkIn = support.flowFilesInByNode(flow.linkIdentitiesId);
        final List<Map<String, Object>> profiles = probeProfiles(postgres);
        final List<String> sourceIds = probeSourceIds(postgres, "crm:P-");
        final boolean bothNodes = probeOut.size() == 2 && probeOut.values().stream().allMatch(out -> out == 1)
                && linkIn.size() == 2 && linkIn.values().stream().allMatch(in -> in >= 1);
        check("identity: the probe ran on both nodes at once (one FlowFile out per node, Link identities received on both)",
                bothNodes, "probe out by node " + probeOut + ", Link identities in by node " + linkIn);
        // customer_profiles is keyed by customer_id only: a record that got a second id would be a second row for this
        // subject, so one row holding all four record ids in its source_ids means all four records carried that row's id.
        check("identity: 4 records of one new customer from 2 nodes got one customer id (all 4 in that id's profile, nothing parked)",
                profiles.size() == 1 && sourceIds.size() == 4 && client.groupStatus(flow.groupId).path("flowFilesQueued").asInt() == 0,
                profiles.size() + " profile rows, " + sourceIds.size() + " probe record ids in its source_ids");
        check("identity: one profile row for that customer, with that id", profiles.size() == 1 && profiles.getFirst().get("customer_id") != null,
                profiles.size() + " rows");
    }

    /** Two one-field updates of one customer at the same moment: the stored profile must end with both fields. */
    private void profileRaceCheck(final NiFiRestClient client, final ClusterFlowSupport support, final Flow flow, final PostgresPeer postgres,
                                  final NiFiCluster cluster) {
        setRunStatus(cluster, support, flow.raceFirstNameId, "RUN_ONCE");
        setRunStatus(cluster, support, flow.raceCityId, "RUN_ONCE");
        try {
            NiFiRestClient.waitUntil(Duration.ofSeconds(90), () -> probeSourceIds(postgres, "crm:R-").size() >= 2,
                    "the race probe's records in the profile");
        } catch (final IllegalStateException timeout) {
            throw new IllegalStateException(timeout.getMessage() + "; " + probeWhereabouts(client, support, flow, flow.raceCityId, postgres, "crm:R-"), timeout);
        }
        client.waitUntilQuiet(flow.groupId, 3, Duration.ofMillis(500), Duration.ofSeconds(90));
        final List<Map<String, Object>> profiles = probeProfiles(postgres);
        check("profiles: two one-field updates of one customer at the same moment both survive (no lost update)",
                profiles.size() == 1 && RACE_FIRST_NAME.equals(profiles.getFirst().get("first_name"))
                        && RACE_CITY.equals(profiles.getFirst().get("city")),
                profiles.isEmpty() ? "no profile" : "first_name " + profiles.getFirst().get("first_name") + ", city " + profiles.getFirst().get("city"));
    }

    /**
     * Where a probe's records are when they did not all arrive: FlowFiles out of the probe and into Link identities by
     * node, every non-empty queue, the processors that handled anything, warning bulletins (source and first words), and
     * every profile row holding a probe record id (its id, whether it has the probe's subject key, how many probe ids).
     */
    private static String probeWhereabouts(final NiFiRestClient client, final ClusterFlowSupport support, final Flow flow,
                                           final String probeId, final PostgresPeer postgres, final String idPrefix) {
        final StringBuilder where = new StringBuilder();
        try {
            where.append("probe out by node ").append(support.flowFilesOutByNode(probeId))
                    .append(", Link identities in by node ").append(support.flowFilesInByNode(flow.linkIdentitiesId));
            final Map<String, Integer> queued = new TreeMap<>();
            client.groupStatus(flow.groupId).findValues("connectionStatusSnapshots").forEach(array -> array.forEach(entry -> {
                final JsonNode connection = entry.path("connectionStatusSnapshot");
                if (connection.path("flowFilesQueued").asInt() > 0) {
                    queued.merge(connection.path("sourceName").asText() + " -> " + connection.path("destinationName").asText(),
                            connection.path("flowFilesQueued").asInt(), Integer::sum);
                }
            }));
            where.append("; queued ").append(queued);
            final List<String> active = new ArrayList<>();
            for (final JsonNode processor : client.processorStatuses(flow.groupId)) {
                if (processor.path("flowFilesIn").asInt() + processor.path("flowFilesOut").asInt() > 0) {
                    active.add(processor.path("name").asText() + " " + processor.path("flowFilesIn").asInt() + "/"
                            + processor.path("flowFilesOut").asInt());
                }
            }
            where.append("; in/out ").append(active);
            final List<String> warnings = new ArrayList<>();
            for (final JsonNode bulletin : client.bulletins()) {
                final String message = bulletin.path("message").asText();
                warnings.add(bulletin.path("level").asText() + " " + bulletin.path("sourceName").asText() + ": "
                        + message.substring(0, Math.min(160, message.length())));
            }
            where.append("; bulletins ").append(warnings);
        } catch (final RuntimeException e) {
            where.append("; NiFi status unavailable: ").append(e.getClass().getSimpleName());
        }
        final List<String> rows = new ArrayList<>();
        for (final Map<String, Object> row : postgres.query("SELECT customer_id, subject_key = ? AS probe_subject, source_ids FROM customer_profiles"
                + " WHERE source_ids LIKE ?", IDENTITY_SUBJECT, "%" + idPrefix + "%")) {
            final long probeIds = Arrays.stream(String.valueOf(row.get("source_ids")).split("\\|")).filter(id -> id.startsWith(idPrefix)).count();
            rows.add(row.get("customer_id") + " probe subject " + row.get("probe_subject") + ", " + probeIds + " probe ids");
        }
        return where.append("; profiles holding probe records ").append(rows).toString();
    }

    private static List<Map<String, Object>> probeProfiles(final PostgresPeer postgres) {
        return postgres.query("SELECT customer_id, first_name, city, source_ids FROM customer_profiles WHERE subject_key = ?", IDENTITY_SUBJECT);
    }

    /** The probe customer's source ids (the profile's '|'-joined list) that start with {@code prefix}. */
    private static List<String> probeSourceIds(final PostgresPeer postgres, final String prefix) {
        final List<Map<String, Object>> profiles = probeProfiles(postgres);
        if (profiles.size() != 1 || profiles.getFirst().get("source_ids") == null) {
            return List.of();
        }
        return Arrays.stream(((String) profiles.getFirst().get("source_ids")).split("\\|")).filter(id -> id.startsWith(prefix)).toList();
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
        setRunStatus(cluster, firstSupport, flow.fetchId, "RUNNING");

        // Stop the primary's process after its first trigger (PAGES_PER_TRIGGER pages, committed with the cluster
        // state); the template's schedule leaves 30 s before the next one.
        NiFiRestClient.waitUntil(Duration.ofSeconds(120), () -> crmPageRequests(api) >= PAGES_PER_TRIGGER, "the first trigger's pages");
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
        NiFiRestClient.waitUntil(Duration.ofSeconds(240), () -> syncComplete(api, expectedRecords), "the new primary to finish the sync");
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
        setRunStatus(cluster, new ClusterFlowSupport(survivorClient), flow.fetchId, "STOPPED");

        final Map<String, Long> pageCounts = syncPageCounts(api);
        final List<String> repeated = pageCounts.entrySet().stream().filter(e -> e.getValue() != 1).map(Map.Entry::getKey).toList();
        check("primary only: the API served each page of the sync exactly once (" + expectedPages + " pages)",
                repeated.isEmpty() && pageCounts.size() >= expectedPages, pageCounts.size() + " distinct pages, repeated: " + repeated);
        verifyDatabase(postgres, data);
        final long queued = survivorClient.groupStatus(flow.groupId).path("flowFilesQueued").asLong();
        check("nothing parked in the failure funnel (nothing queued anywhere in the group)", queued == 0, queued + " queued");
    }

    /**
     * Successful requests of the first sync run: the ones asking from the initial watermark minus the lookback (later
     * runs ask from the new watermark minus the lookback).
     */
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
            return java.time.OffsetDateTime.parse(value).toInstant().equals(Instant.parse(INITIAL_WATERMARK).minus(LOOKBACK));
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

    /**
     * The database against the seeded truth of an uninterrupted single-node run (what CrmApiSyncTemplateE2ETest
     * asserts for one node): golden profiles, suppression rows, one profile row and id per customer. The probe
     * customer is not part of the sample and is left out.
     */
    private void verifyDatabase(final PostgresPeer postgres, final SampleData data) {
        final Map<String, String> expected = ProfileTables.expectedProfiles(data, SOURCES);
        final Map<String, String> actual = new TreeMap<>(ProfileTables.profiles(postgres));
        actual.remove(IDENTITY_SUBJECT);
        // Differences are reported by count and a hash of the subject key: no address in the result file.
        final List<Integer> missing = expected.keySet().stream().filter(key -> !actual.containsKey(key)).map(String::hashCode).toList();
        final List<Integer> unexpected = actual.keySet().stream().filter(key -> !expected.containsKey(key)).map(String::hashCode).toList();
        final List<Integer> different = expected.keySet().stream().filter(key -> actual.containsKey(key) && !expected.get(key).equals(actual.get(key)))
                .map(String::hashCode).toList();
        check("failover: profiles identical to the seeded truth of an uninterrupted single-node run (" + expected.size() + " customers)",
                expected.equals(actual), "missing " + missing + "; unexpected " + unexpected + "; different " + different);

        final Map<String, String> expectedSuppression = ProfileTables.expectedSuppressions(data, SOURCES);
        final Map<String, String> suppression = ProfileTables.suppressions(postgres);
        check("failover: suppression rows identical to the seeded truth (" + expectedSuppression.size() + ")",
                expectedSuppression.equals(suppression), suppression.size() + " rows, " + expectedSuppression.size() + " expected");

        // Every CRM record id of a customer must be in that customer's profile (source_ids, "crm:<id>").
        final Map<String, java.util.SortedSet<String>> expectedSourceIds = new TreeMap<>();
        data.crmRecords().forEach(r -> expectedSourceIds.computeIfAbsent(r.trueSubjectKey(), key -> new java.util.TreeSet<>())
                .add(r.source() + ":" + r.sourceId()));
        expectedSourceIds.keySet().retainAll(expected.keySet());
        final Map<String, java.util.SortedSet<String>> sourceIds = new TreeMap<>();
        for (final Map<String, Object> row : postgres.query("SELECT subject_key, source_ids FROM customer_profiles WHERE subject_key <> ?",
                IDENTITY_SUBJECT)) {
            sourceIds.put((String) row.get("subject_key"), new java.util.TreeSet<>(row.get("source_ids") == null ? List.of()
                    : Arrays.asList(((String) row.get("source_ids")).split("\\|"))));
        }
        final long wrongSourceIds = expectedSourceIds.entrySet().stream().filter(e -> !e.getValue().equals(sourceIds.get(e.getKey()))).count();
        check("failover: every profile lists exactly its customer's CRM record ids (source_ids)",
                expectedSourceIds.equals(sourceIds), wrongSourceIds + " of " + expectedSourceIds.size() + " profiles differ");

        final long rows = postgres.count("customer_profiles");
        final long ids = ((Number) postgres.query("SELECT COUNT(DISTINCT customer_id) AS n FROM customer_profiles").getFirst().get("n")).longValue();
        check("failover: one profile row per customer, keyed by its one id", rows == expected.size() + 1 && ids == rows,
                rows + " profile rows (with the probe customer), " + ids + " distinct ids");
    }

    // ---------------------------------------------------------------- plumbing

    private static double loadAverage() {
        return round(java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

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
