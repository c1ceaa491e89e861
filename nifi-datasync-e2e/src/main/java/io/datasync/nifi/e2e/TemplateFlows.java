package io.datasync.nifi.e2e;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Builds the two template flows through the REST API, each in its own group with its own parameter context whose
 * values are the template defaults ({@link TemplateBuilder} downloads them into templates/). Sources differ; the rest
 * is {@link DatasyncChain}.
 */
public final class TemplateFlows {

    public static final String CRM_API_SYNC = "crm-api-sync";
    public static final String FTP_BATCH_INGEST = "ftp-batch-ingest";

    /** NiFi 2.3.0 rejects a parameter reference as scheduling period over REST, so source schedules are literal. */
    static final String SOURCE_SCHEDULE = "30 sec";

    /** Avro schema of the FTP CSV drops ({@link SampleData#CSV_HEADER}). */
    static final String CSV_SCHEMA = StockFtpToPostgresFlow.CSV_SCHEMA;

    /** The ids a test needs. */
    public record Ids(String groupId, String source, String normalise, String monitor, DatasyncChain.Ids chain) {
    }

    private TemplateFlows() {
    }

    /** Every parameter of crm-api-sync with its template default (null = sensitive, left empty). */
    public static Map<String, String> crmApiSyncParameters() {
        final Map<String, String> values = new LinkedHashMap<>();
        values.put("crm.base.url", "https://crm.example.com/api");
        values.put("crm.contacts.path", "/contacts");
        values.put("crm.api.key.header", "X-Api-Key");
        values.put("crm.api.key", null);
        values.put("crm.initial.watermark", "2020-01-01T00:00:00Z");
        values.put("crm.page.size", "100");
        values.put("crm.max.pages.per.trigger", "100");
        values.put("crm.lookback", "1 hour");
        values.put("crm.settle.delay", "0 sec");
        values.put("crm.source.name", "crm");
        values.putAll(DatasyncChain.PARAMETERS);
        return values;
    }

    public static Set<String> crmApiSyncSensitive() {
        return union(DatasyncChain.SENSITIVE_PARAMETERS, Set.of("crm.api.key"));
    }

    /** Every parameter of ftp-batch-ingest with its template default (null = sensitive, left empty). */
    public static Map<String, String> ftpBatchIngestParameters() {
        final Map<String, String> values = new LinkedHashMap<>();
        values.put("ftp.host", "ftp.example.com");
        values.put("ftp.port", "21");
        values.put("ftp.username", "datasync");
        values.put("ftp.password", null);
        values.put("ftp.inbox", "/inbox");
        values.put("ftp.processed", "/processed");
        values.put("ftp.file.filter", ".*\\.csv");
        // The source name of this flow's rows in the sync runs table (the sync audit's SLA is set per name).
        values.put("ftp.source.name", "ftp");
        values.putAll(DatasyncChain.PARAMETERS);
        return values;
    }

    public static Set<String> ftpBatchIngestSensitive() {
        return union(DatasyncChain.SENSITIVE_PARAMETERS, Set.of("ftp.password"));
    }

    /** Builds crm-api-sync in a new child group of {@code parentGroupId}. */
    public static Ids buildCrmApiSync(final NiFiRestClient client, final String parentGroupId) {
        final String groupId = client.createProcessGroup(parentGroupId, CRM_API_SYNC);
        client.bindParameterContext(groupId, client.createParameterContext(CRM_API_SYNC, crmApiSyncParameters(), crmApiSyncSensitive()));
        final Map<String, String> services = DatasyncChain.createServices(client, groupId);

        final Map<String, String> fetch = new LinkedHashMap<>();
        fetch.put("Endpoint URL", "#{crm.base.url}#{crm.contacts.path}");
        fetch.put("Records Pointer", "/data");
        fetch.put("Record Key Pointer", "/id");
        fetch.put("Watermark Pointer", "/updated_at");
        fetch.put("Watermark Type", "ISO_8601");
        fetch.put("Watermark Parameter", "updated_since");
        fetch.put("Initial Watermark", "#{crm.initial.watermark}");
        fetch.put("Lookback Window", "#{crm.lookback}");
        fetch.put("Settle Delay", "#{crm.settle.delay}");
        fetch.put("Pagination Strategy", "LINK_HEADER");
        fetch.put("Page Size Parameter", "limit");
        fetch.put("Page Size", "#{crm.page.size}");
        fetch.put("Maximum Pages Per Trigger", "#{crm.max.pages.per.trigger}");
        fetch.put("Authentication Strategy", "API_KEY_HEADER");
        fetch.put("API Key Name", "#{crm.api.key.header}");
        fetch.put("API Key", "#{crm.api.key}");
        final String source = client.createProcessor(groupId, "io.datasync.nifi.processors.IncrementalApiFetch", "Fetch CRM contacts", fetch,
                SOURCE_SCHEDULE, Set.of());
        client.moveComponent("processors", source, 0, 0);
        // IncrementalApiFetch runs on the primary node only (@PrimaryNodeOnly); on a cluster the connection after it
        // spreads the pages over every node. A standalone NiFi ignores the load-balance setting.
        final ClusterFlowSupport cluster = new ClusterFlowSupport(client);
        cluster.setExecutionNode(source, "PRIMARY");

        final String monitor = monitor(client, groupId, "No CRM contacts arrived within #{sla.no.data}", 450, 0);
        cluster.setLoadBalance(client.connect(groupId, source, monitor, Set.of("success")), "ROUND_ROBIN", null);
        final Map<String, String> normalise = new LinkedHashMap<>();
        normalise.put("Record Reader", services.get("jsonReader"));
        normalise.put("Record Writer", services.get("jsonWriter"));
        normalise.putAll(DatasyncChain.normaliseProperties("'#{crm.source.name}'", "/id"));
        final String normaliser = createNormaliser(client, groupId, normalise, Map.of("/source", "concat('#{crm.source.name}')",
                "/source_id", "/id"));
        client.moveComponent("processors", normaliser, 0, 250);
        client.connect(groupId, monitor, normaliser, Set.of("success"));
        final DatasyncChain.Ids chain = DatasyncChain.build(client, groupId, normaliser, services, 0, 500, true,
                "#{crm.source.name}");
        client.connect(groupId, normaliser, "PROCESSOR", chain.parkedFailures(), "FUNNEL", Set.of("failure"));
        return new Ids(groupId, source, normaliser, monitor, chain);
    }

    /** Builds ftp-batch-ingest in a new child group of {@code parentGroupId}. */
    public static Ids buildFtpBatchIngest(final NiFiRestClient client, final String parentGroupId) {
        final String groupId = client.createProcessGroup(parentGroupId, FTP_BATCH_INGEST);
        client.bindParameterContext(groupId, client.createParameterContext(FTP_BATCH_INGEST, ftpBatchIngestParameters(),
                ftpBatchIngestSensitive()));
        final Map<String, String> services = DatasyncChain.createServices(client, groupId);
        final String csvReader = client.createControllerService(groupId, "org.apache.nifi.csv.CSVReader", "CSV contacts", Map.of(
                "schema-access-strategy", "schema-text-property",
                "schema-text", CSV_SCHEMA,
                "Skip Header Line", "true",
                "Timestamp Format", DatasyncChain.TIMESTAMP_FORMAT));

        final String listFtp = client.createProcessor(groupId, "org.apache.nifi.processors.standard.ListFTP", "List CSV drops", Map.of(
                "Hostname", "#{ftp.host}",
                "Port", "#{ftp.port}",
                "Username", "#{ftp.username}",
                "Password", "#{ftp.password}",
                "Remote Path", "#{ftp.inbox}",
                "File Filter Regex", "#{ftp.file.filter}"), SOURCE_SCHEDULE, Set.of());
        client.moveComponent("processors", listFtp, 0, -250);
        final String fetchFtp = client.createProcessor(groupId, "org.apache.nifi.processors.standard.FetchFTP", "Fetch CSV drop", Map.of(
                "Hostname", "#{ftp.host}",
                "Port", "#{ftp.port}",
                "Username", "#{ftp.username}",
                "Password", "#{ftp.password}",
                "Remote File", "${path}/${filename}",
                "Completion Strategy", "Move File",
                "Move Destination Directory", "#{ftp.processed}"), null, Set.of());
        client.moveComponent("processors", fetchFtp, 0, 0);
        client.connect(groupId, listFtp, fetchFtp, Set.of("success"));

        final String monitor = monitor(client, groupId, "No CSV drop arrived within #{sla.no.data}", 450, 0);
        client.connect(groupId, fetchFtp, monitor, Set.of("success"));
        final Map<String, String> normalise = new LinkedHashMap<>();
        normalise.put("Record Reader", csvReader);
        normalise.put("Record Writer", services.get("jsonWriter"));
        normalise.putAll(DatasyncChain.normaliseProperties("/source", "/source_id"));
        final String normaliser = createNormaliser(client, groupId, normalise, Map.of());
        client.moveComponent("processors", normaliser, 0, 250);
        client.connect(groupId, monitor, normaliser, Set.of("success"));
        final DatasyncChain.Ids chain = DatasyncChain.build(client, groupId, normaliser, services, 0, 500, false,
                "#{ftp.source.name}");
        client.connect(groupId, normaliser, "PROCESSOR", chain.parkedFailures(), "FUNNEL", Set.of("failure"));
        // A dropped connection (the FTP server restarting mid-transfer) is retried with a penalty; a file gone or
        // forbidden is parked at once, retrying cannot fix it.
        DatasyncChain.retryInto(client, groupId, "Retry fetch", fetchFtp, Set.of("comms.failure"), "fetch.retries", "10 sec",
                chain.parkedFailures(), "FUNNEL", -450, 0);
        client.connect(groupId, fetchFtp, "PROCESSOR", chain.parkedFailures(), "FUNNEL", Set.of("not.found", "permission.denied"));
        return new Ids(groupId, listFtp, normaliser, monitor, chain);
    }

    private static String createNormaliser(final NiFiRestClient client, final String groupId, final Map<String, String> properties,
                                           final Map<String, String> extraPaths) {
        final Map<String, String> known = new LinkedHashMap<>();
        final Map<String, String> dynamic = new LinkedHashMap<>(extraPaths);
        properties.forEach((name, value) -> {
            if (name.startsWith("/")) {
                dynamic.put(name, value);
            } else {
                known.put(name, value);
            }
        });
        return client.createProcessor(groupId, DatasyncChain.UPDATE_RECORD, "Normalise contacts", known, dynamic, null, Set.of());
    }

    /**
     * MonitorActivity to sit behind the source (the caller connects the source to it): FlowFiles pass through; when none
     * came within {@code #{sla.no.data}} a LogMessage at WARN raises the stale-data bulletin (and again when data is
     * back, at INFO).
     */
    private static String monitor(final NiFiRestClient client, final String groupId, final String message, final double x, final double y) {
        final Map<String, String> properties = new LinkedHashMap<>();
        properties.put("Threshold Duration", "#{sla.no.data}");
        properties.put("Continually Send Messages", "false");
        properties.put("Inactivity Message", message);
        final String monitor = client.createProcessor(groupId, "org.apache.nifi.processors.standard.MonitorActivity", "Stale-data monitor",
                properties, null, Set.of("activity.restored"));
        client.moveComponent("processors", monitor, x, y);
        final String alert = client.createProcessor(groupId, "org.apache.nifi.processors.standard.LogMessage", "Stale-data alert", Map.of(
                "log-level", "warn",
                "log-prefix", "STALE DATA: ",
                "log-message", message), null, Set.of("success"));
        client.moveComponent("processors", alert, x + 450, y);
        client.connect(groupId, monitor, alert, Set.of("inactive"));
        return monitor;
    }

    private static Set<String> union(final Set<String> a, final Set<String> b) {
        final java.util.HashSet<String> all = new java.util.HashSet<>(a);
        all.addAll(b);
        return Set.copyOf(all);
    }
}
