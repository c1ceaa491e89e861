package io.datasync.nifi.e2e;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Builds, through the REST API, a flow of stock processors only: ListFTP -> FetchFTP (fetched files moved to the
 * processed directory) -> PutDatabaseRecord (UPSERT into {@code staging_contacts}, CSVReader with an explicit
 * schema, the templates' DBCPConnectionPool on PostgreSQL ({@link PostgresPool}: TLS per the {@code db.tls.*}
 * parameters, {@code verify-full} by default)). Failures of each step are parked in a funnel queue, never dropped.
 * Every host, port, path and credential is a parameter of the group's parameter context, as in the templates,
 * so a downloaded flow definition of this group can be re-imported and pointed elsewhere.
 */
public final class StockFtpToPostgresFlow {

    public static final String GROUP_NAME = "stock-ftp-to-postgres";
    /** NiFi 2.3.0 rejects a parameter reference as scheduling period when a processor is created over REST. */
    static final String LIST_SCHEDULE = "2 sec";
    public static final Set<String> SENSITIVE_PARAMETERS = Set.of("ftp.password", "db.password");

    /** Avro schema of the CSV drops ({@link SampleData#CSV_HEADER}); empty optional fields read as null. */
    static final String CSV_SCHEMA = """
            {"type": "record", "name": "contact", "fields": [
              {"name": "source", "type": "string"},
              {"name": "source_id", "type": "string"},
              {"name": "email", "type": ["null", "string"]},
              {"name": "phone", "type": ["null", "string"]},
              {"name": "first_name", "type": ["null", "string"]},
              {"name": "last_name", "type": ["null", "string"]},
              {"name": "city", "type": ["null", "string"]},
              {"name": "country", "type": ["null", "string"]},
              {"name": "tags", "type": ["null", "string"]},
              {"name": "last_order_at", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}]},
              {"name": "lifetime_value", "type": ["null", "double"]},
              {"name": "updated_at", "type": {"type": "long", "logicalType": "timestamp-millis"}}
            ]}""";

    /** The ids of what was built. */
    public record Ids(String groupId, String parameterContextId, String listFtp, String fetchFtp, String putDatabaseRecord,
                      String csvReader, String dbcp, String failureFunnel) {
    }

    /** The CSVReader of the drops: explicit schema {@link #CSV_SCHEMA}, header skipped, ISO-8601 timestamps. */
    static String createCsvReader(final NiFiRestClient client, final String groupId) {
        return client.createControllerService(groupId, "org.apache.nifi.csv.CSVReader", "CSV contacts", Map.of(
                "schema-access-strategy", "schema-text-property",
                "schema-text", CSV_SCHEMA,
                "Skip Header Line", "true",
                "Timestamp Format", "yyyy-MM-dd'T'HH:mm:ssX"));
    }

    /** ListFTP and FetchFTP of a stock FTP source. */
    public record FtpSource(String listFtp, String fetchFtp) {
    }

    private StockFtpToPostgresFlow() {
    }

    /**
     * ListFTP (every {@code listSchedule}, files matching {@code fileFilterRegex} in {@code #{ftp.inbox}}) -> FetchFTP
     * (fetched files moved to {@code #{ftp.processed}}), connected, configured from the {@code ftp.*} parameters.
     * FetchFTP's failure relationships are left for the caller to route.
     */
    static FtpSource createFtpSource(final NiFiRestClient client, final String groupId, final String listSchedule, final String fileFilterRegex) {
        final String listFtp = client.createProcessor(groupId, "org.apache.nifi.processors.standard.ListFTP", "List CSV drops", Map.of(
                "Hostname", "#{ftp.host}",
                "Port", "#{ftp.port}",
                "Username", "#{ftp.username}",
                "Password", "#{ftp.password}",
                "Remote Path", "#{ftp.inbox}",
                "File Filter Regex", fileFilterRegex), listSchedule, Set.of());
        final String fetchFtp = client.createProcessor(groupId, "org.apache.nifi.processors.standard.FetchFTP", "Fetch CSV drop", Map.of(
                "Hostname", "#{ftp.host}",
                "Port", "#{ftp.port}",
                "Username", "#{ftp.username}",
                "Password", "#{ftp.password}",
                "Remote File", "${path}/${filename}",
                "Completion Strategy", "Move File",
                "Move Destination Directory", "#{ftp.processed}"), null, Set.of());
        client.connect(groupId, listFtp, fetchFtp, Set.of("success"));
        return new FtpSource(listFtp, fetchFtp);
    }

    /**
     * The parameter values that point the flow at the given peers; the database's TLS ones are those of
     * {@link PostgresPeer#clientTlsParameters()} (verify-full against the test CA of a TLS-only server).
     */
    public static Map<String, String> parameters(final FtpPeer ftp, final PostgresPeer postgres, final NiFiInstance nifi) {
        final Map<String, String> values = new LinkedHashMap<>();
        values.put("ftp.host", ftp.host());
        values.put("ftp.port", Integer.toString(ftp.port()));
        values.put("ftp.username", ftp.user());
        values.put("ftp.password", ftp.password());
        values.put("ftp.inbox", ftp.inboxPath());
        values.put("ftp.processed", ftp.processedPath());
        values.put("db.url", postgres.jdbcUrl());
        values.put("db.driver.location", nifi.driversDir().resolve("postgresql.jar").toString());
        values.put("db.user", PostgresPeer.USER);
        values.put("db.password", "not-needed-locally");
        values.put("db.table", "staging_contacts");
        PostgresPool.putTlsDefaults(values);
        values.putAll(postgres.clientTlsParameters());
        return values;
    }

    /** Creates the group, its parameter context, services, processors and connections (all stopped/disabled). */
    public static Ids build(final NiFiRestClient client, final String parentGroupId, final Map<String, String> parameters) {
        final String groupId = client.createProcessGroup(parentGroupId, GROUP_NAME);
        final String contextId = client.createParameterContext(GROUP_NAME + "-" + groupId.substring(0, 8), parameters, SENSITIVE_PARAMETERS);
        client.bindParameterContext(groupId, contextId);

        final String csvReader = createCsvReader(client, groupId);
        final String dbcp = PostgresPool.create(client, groupId, "PostgreSQL", 4);

        final FtpSource source = createFtpSource(client, groupId, LIST_SCHEDULE, ".*\\.csv");
        final String listFtp = source.listFtp();
        final String fetchFtp = source.fetchFtp();
        final Map<String, String> putProperties = new LinkedHashMap<>();
        putProperties.put("put-db-record-record-reader", csvReader);
        putProperties.put("db-type", "PostgreSQL");
        putProperties.put("put-db-record-statement-type", "UPSERT");
        putProperties.put("put-db-record-dcbp-service", dbcp);
        putProperties.put("put-db-record-table-name", "#{db.table}");
        putProperties.put("put-db-record-update-keys", "source,source_id,updated_at");
        final String putDatabaseRecord = client.createProcessor(groupId, "org.apache.nifi.processors.standard.PutDatabaseRecord",
                "Upsert staging_contacts", putProperties, null, Set.of("success"));

        final String failures = client.createFunnel(groupId);
        client.connect(groupId, fetchFtp, putDatabaseRecord, Set.of("success"));
        client.connect(groupId, fetchFtp, "PROCESSOR", failures, "FUNNEL", Set.of("comms.failure", "not.found", "permission.denied"));
        client.connect(groupId, putDatabaseRecord, "PROCESSOR", failures, "FUNNEL", Set.of("failure", "retry"));
        return new Ids(groupId, contextId, listFtp, fetchFtp, putDatabaseRecord, csvReader, dbcp, failures);
    }
}
