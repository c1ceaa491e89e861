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
    public record Ids(String groupId, String source, String normalize, String monitor, DatasyncChain.Ids chain) {
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
        // CSV or XML: which stock reader (a dynamic property of the "Contacts reader" ReaderLookup) reads the drops.
        values.put("ftp.file.format", "CSV");
        // SFTP transport (List/Fetch drops (SFTP), disabled in the template): the drop directories above apply to it too.
        values.put("sftp.host", "sftp.example.com");
        values.put("sftp.port", "22");
        values.put("sftp.username", "datasync");
        values.put("sftp.password", null);
        values.put("sftp.private.key.file", null);
        values.put("sftp.private.key.passphrase", null);
        values.put("sftp.known.hosts.file", null);
        // The source name of this flow's rows in the sync runs table (the sync audit's SLA is set per name).
        values.put("ftp.source.name", "ftp");
        values.putAll(DatasyncChain.PARAMETERS);
        return values;
    }

    public static Set<String> ftpBatchIngestSensitive() {
        return union(DatasyncChain.SENSITIVE_PARAMETERS, Set.of("ftp.password", "sftp.password", "sftp.private.key.passphrase"));
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
        final Map<String, String> normalize = new LinkedHashMap<>();
        normalize.put("Record Reader", services.get("jsonReader"));
        normalize.put("Record Writer", services.get("jsonWriter"));
        normalize.putAll(DatasyncChain.normalizeProperties("'#{crm.source.name}'", "/id"));
        final String normalizer = createNormalizer(client, groupId, normalize, Map.of("/source", "concat('#{crm.source.name}')",
                "/source_id", "/id"));
        client.moveComponent("processors", normalizer, 0, 250);
        client.connect(groupId, monitor, normalizer, Set.of("success"));
        final DatasyncChain.Ids chain = DatasyncChain.build(client, groupId, normalizer, services, 0, 500, true,
                "#{crm.source.name}");
        client.connect(groupId, normalizer, "PROCESSOR", chain.parkedFailures(), "FUNNEL", Set.of("failure"));
        return new Ids(groupId, source, normalizer, monitor, chain);
    }

    /** The processor names of ftp-batch-ingest's two transports; the SFTP lister is disabled in the template. */
    public static final String LIST_FTP = "List drops (FTP)";
    public static final String FETCH_FTP = "Fetch drop (FTP)";
    public static final String LIST_SFTP = "List drops (SFTP)";
    public static final String FETCH_SFTP = "Fetch drop (SFTP)";

    /**
     * Builds ftp-batch-ingest in a new child group of {@code parentGroupId}: drops listed and fetched over FTP (enabled)
     * or SFTP (its lister disabled: a user enables the lister of the transport they use and disables the other, so the
     * unused one never connects), read by the stock CSVReader or XMLReader as parameter {@code ftp.file.format} says
     * (a stock ReaderLookup picks the reader named by the attribute {@code recordreader.name}, which "Choose reader" sets
     * to the parameter's value).
     */
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
        // One <contact> element per record under a root element; the same schema, so the same fields and types.
        final String xmlReader = client.createControllerService(groupId, "org.apache.nifi.xml.XMLReader", "XML contacts", Map.of(
                "schema-access-strategy", "schema-text-property",
                "schema-text", CSV_SCHEMA,
                "record_format", "true",
                "Timestamp Format", DatasyncChain.TIMESTAMP_FORMAT));
        final String contactsReader = client.createControllerService(groupId, "org.apache.nifi.lookup.ReaderLookup", "Contacts reader (CSV or XML)",
                Map.of(), Map.of("CSV", csvReader, "XML", xmlReader));

        final Map<String, String> listFtp = new LinkedHashMap<>();
        listFtp.put("Hostname", "#{ftp.host}");
        listFtp.put("Port", "#{ftp.port}");
        listFtp.put("Username", "#{ftp.username}");
        listFtp.put("Password", "#{ftp.password}");
        listFtp.put("Remote Path", "#{ftp.inbox}");
        listFtp.put("File Filter Regex", "#{ftp.file.filter}");
        final String listerFtp = client.createProcessor(groupId, "org.apache.nifi.processors.standard.ListFTP", LIST_FTP, listFtp,
                SOURCE_SCHEDULE, Set.of());
        client.moveComponent("processors", listerFtp, 0, -250);
        final Map<String, String> fetchFtp = new LinkedHashMap<>();
        fetchFtp.put("Hostname", "#{ftp.host}");
        fetchFtp.put("Port", "#{ftp.port}");
        fetchFtp.put("Username", "#{ftp.username}");
        fetchFtp.put("Password", "#{ftp.password}");
        fetchFtp.put("Remote File", "${path}/${filename}");
        fetchFtp.put("Completion Strategy", "Move File");
        fetchFtp.put("Move Destination Directory", "#{ftp.processed}");
        final String fetcherFtp = client.createProcessor(groupId, "org.apache.nifi.processors.standard.FetchFTP", FETCH_FTP, fetchFtp, null, Set.of());
        client.moveComponent("processors", fetcherFtp, 0, 0);
        client.connect(groupId, listerFtp, fetcherFtp, Set.of("success"));

        // SFTP: password or private key (both sensitive where secret); the server's host key is always checked, against
        // #{sftp.known.hosts.file} or, when that is empty, the NiFi user's ~/.ssh/known_hosts.
        final Map<String, String> sftp = new LinkedHashMap<>();
        sftp.put("Hostname", "#{sftp.host}");
        sftp.put("Port", "#{sftp.port}");
        sftp.put("Username", "#{sftp.username}");
        sftp.put("Password", "#{sftp.password}");
        sftp.put("Private Key Path", "#{sftp.private.key.file}");
        sftp.put("Private Key Passphrase", "#{sftp.private.key.passphrase}");
        sftp.put("Host Key File", "#{sftp.known.hosts.file}");
        sftp.put("Strict Host Key Checking", "true");
        final Map<String, String> listSftp = new LinkedHashMap<>(sftp);
        listSftp.put("Remote Path", "#{ftp.inbox}");
        listSftp.put("File Filter Regex", "#{ftp.file.filter}");
        final String listerSftp = client.createProcessor(groupId, "org.apache.nifi.processors.standard.ListSFTP", LIST_SFTP, listSftp,
                SOURCE_SCHEDULE, Set.of());
        client.moveComponent("processors", listerSftp, -450, -250);
        final Map<String, String> fetchSftp = new LinkedHashMap<>(sftp);
        fetchSftp.put("Remote File", "${path}/${filename}");
        fetchSftp.put("Completion Strategy", "Move File");
        fetchSftp.put("Move Destination Directory", "#{ftp.processed}");
        final String fetcherSftp = client.createProcessor(groupId, "org.apache.nifi.processors.standard.FetchSFTP", FETCH_SFTP, fetchSftp, null, Set.of());
        client.moveComponent("processors", fetcherSftp, -450, 0);
        client.connect(groupId, listerSftp, fetcherSftp, Set.of("success"));

        final String monitor = monitor(client, groupId, "No drop arrived within #{sla.no.data}", 450, 0);
        client.connect(groupId, fetcherFtp, monitor, Set.of("success"));
        client.connect(groupId, fetcherSftp, monitor, Set.of("success"));
        // Stock NiFi has no processor that sets a constant attribute short of UpdateAttribute (its own NAR); LookupAttribute
        // sets recordreader.name to the format's entry in "Known file formats", and sends a drop to the parked failures
        // as unmatched when #{ftp.file.format} names no known format, rather than read it with the wrong reader.
        final String formats = client.createControllerService(groupId, "org.apache.nifi.lookup.SimpleKeyValueLookupService", "Known file formats",
                Map.of(), Map.of("CSV", "CSV", "XML", "XML"));
        final String chooseReader = client.createProcessor(groupId, "org.apache.nifi.processors.standard.LookupAttribute", "Choose reader",
                Map.of("lookup-service", formats, "include-empty-values", "false"), Map.of("recordreader.name", "#{ftp.file.format}"), null, Set.of());
        client.moveComponent("processors", chooseReader, 0, 125);
        client.connect(groupId, monitor, chooseReader, Set.of("success"));
        final Map<String, String> normalize = new LinkedHashMap<>();
        normalize.put("Record Reader", contactsReader);
        normalize.put("Record Writer", services.get("jsonWriter"));
        normalize.putAll(DatasyncChain.normalizeProperties("/source", "/source_id"));
        final String normalizer = createNormalizer(client, groupId, normalize, Map.of());
        client.moveComponent("processors", normalizer, 0, 250);
        client.connect(groupId, chooseReader, normalizer, Set.of("matched"));
        final DatasyncChain.Ids chain = DatasyncChain.build(client, groupId, normalizer, services, 0, 500, false,
                "#{ftp.source.name}");
        client.connect(groupId, normalizer, "PROCESSOR", chain.parkedFailures(), "FUNNEL", Set.of("failure"));
        client.connect(groupId, chooseReader, "PROCESSOR", chain.parkedFailures(), "FUNNEL", Set.of("unmatched", "failure"));
        // A dropped connection (the server restarting mid-transfer) is retried with a penalty; a file gone or
        // forbidden is parked at once, retrying cannot fix it.
        DatasyncChain.retryInto(client, groupId, "Retry fetch", fetcherFtp, Set.of("comms.failure"), "fetch.retries", "10 sec",
                chain.parkedFailures(), "FUNNEL", -450, 0);
        client.connect(groupId, fetcherFtp, "PROCESSOR", chain.parkedFailures(), "FUNNEL", Set.of("not.found", "permission.denied"));
        DatasyncChain.retryInto(client, groupId, "Retry SFTP fetch", fetcherSftp, Set.of("comms.failure"), "fetch.retries", "10 sec",
                chain.parkedFailures(), "FUNNEL", -900, 0);
        client.connect(groupId, fetcherSftp, "PROCESSOR", chain.parkedFailures(), "FUNNEL", Set.of("not.found", "permission.denied"));
        // Only one transport lists: the template ships with FTP; SFTP's lister waits, disabled, until a user switches.
        client.setProcessorRunStatus(listerSftp, "DISABLED", java.time.Duration.ofSeconds(30));
        return new Ids(groupId, listerFtp, normalizer, monitor, chain);
    }

    private static String createNormalizer(final NiFiRestClient client, final String groupId, final Map<String, String> properties,
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
