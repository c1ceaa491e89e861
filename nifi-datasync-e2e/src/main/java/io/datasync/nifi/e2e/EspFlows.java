package io.datasync.nifi.e2e;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds the {@value #ESP_AUDIENCE_SYNC} template through the REST API, the last mile from the golden profiles to the
 * email service provider:
 * <pre>
 * QueryDatabaseTableRecord (profiles changed since the last run, primary node)
 *   -> ConsentFilter (campaign purposes and jurisdiction, stored subject key, against the consent store; fail closed)
 *        success  -> PutDatabaseRecord (addresses to be pushed, esp_member_address)
 *                      -> QueryRecord (member shape) -> PutApiRecord (bulk member upsert)
 *        excluded -> QueryRecord (unsubscribe shape) -> PutApiRecord (suppression endpoint)
 * QueryDatabaseTableRecord (new suppression rows, one per address pushed and the subject key, view esp_suppression_address,
 *   primary node) -> QueryRecord (suppression shape) -> the same suppression push
 * </pre>
 * Every table, column, URL and credential is a parameter; the API key is a sensitive parameter. Profiles are read by
 * their key and the change stamp the database sets (customer id, recorded at), so the flow does not depend on how identifiers are stored.
 * <p>
 * {@link TemplateBuilder} writes {@code esp-audience-sync.json} from {@link #build}, laid out like every template.
 */
public final class EspFlows {

    public static final String ESP_AUDIENCE_SYNC = "esp-audience-sync";
    public static final Set<String> SENSITIVE_PARAMETERS = Set.of("db.password", "esp.api.key");

    public static final String READ_PROFILES = "Read changed profiles";
    public static final String CONSENT_GATE = "Consent gate for campaign purposes";
    public static final String UPSERT_MEMBERS = "Upsert members at ESP";
    public static final String SUPPRESS = "Suppress at ESP";
    public static final String READ_SUPPRESSIONS = "Read new suppression rows";
    public static final String RECORD_ADDRESSES = "Record addresses pushed";

    private EspFlows() {
    }

    /** Template defaults: the sample ESP's API shape on a neutral host; no secrets, nothing of this machine. */
    public static Map<String, String> defaultParameters() {
        final Map<String, String> values = new LinkedHashMap<>();
        values.put("db.url", "jdbc:postgresql://db.example.internal:5432/datasync?" + DatasyncChain.PRIVACY_SAFE_JDBC_OPTIONS);
        values.put("db.driver.location", "drivers/postgresql.jar");
        values.put("db.user", "datasync");
        values.put("db.password", "");
        PostgresPool.putTlsDefaults(values);
        values.put("db.profiles.table", "customer_profiles");
        // The change column must be among the columns read: QueryDatabaseTableRecord takes its new position from the rows
        // it returns, and without the column it keeps none and reads the whole table on every run.
        // subject_key: the key the profile was stored, consented and withdrawn under (Gmail folding applied when it was
        // written; the customer id once anonymised), read as stored rather than derived again from the e-mail here.
        // country: the jurisdiction of the consent check.
        values.put("db.profiles.columns", "customer_id, subject_key, email, country, first_name, last_name, updated_at, recorded_at");
        // Both readers keep their position on the change stamp the database sets (sql/02_profiles.sql), never on a time
        // a source wrote: a late or same-second row is still read.
        values.put("db.profiles.change.column", "recorded_at");
        values.put("db.consent.lookup.table", "consent_lookup");
        // Every address a withdrawn subject was pushed under (sql/06_esp.sql): the ESP keys members by address, and the
        // suppression row holds only the folded subject key.
        values.put("db.member.address.table", "esp_member_address");
        values.put("db.suppression.table", "esp_suppression_address");
        values.put("db.suppression.columns", "subject_key, email_address, reason, decided_at, recorded_at");
        values.put("db.suppression.change.column", "recorded_at");
        // The readers read up to the start of the oldest running writer (datasync_change_horizon); only a writer
        // whose start the database user cannot see (another role's session without pg_read_all_stats, a prepared
        // transaction) makes them fall back to leaving rows this recent for the next read.
        values.put("db.change.settle", "2 seconds");
        values.put("consent.purposes", "email_marketing");
        values.put("esp.members.url", "https://esp.example.com/v1/audience/members");
        values.put("esp.members.body", "{\"members\": {{records}}}");
        values.put("esp.member.query", "SELECT LOWER(TRIM(email)) AS email_address, 'subscribed' AS status, first_name, last_name "
                + "FROM FLOWFILE WHERE email IS NOT NULL");
        values.put("esp.suppression.url", "https://esp.example.com/v1/suppressions");
        values.put("esp.suppression.body", "{\"suppressions\": {{records}}}");
        values.put("esp.unsubscribe.query", "SELECT LOWER(TRIM(email)) AS email_address, 'no_consent' AS reason FROM FLOWFILE "
                + "WHERE email IS NOT NULL");
        values.put("esp.suppression.query", "SELECT LOWER(TRIM(email_address)) AS email_address, reason FROM FLOWFILE "
                + "WHERE email_address IS NOT NULL");
        values.put("esp.batch.size", "500");
        values.put("esp.api.key.header", "X-Api-Key");
        values.put("esp.api.key", "");
        values.put("esp.idempotency.header", "Idempotency-Key");
        values.put("esp.errors.pointer", "/errors");
        values.put("esp.error.key.pointer", "/email_address");
        values.put("esp.error.reason.pointer", "/error");
        values.put("esp.error.code.pointer", "/error_code");
        values.put("esp.request.rate", "10");
        values.put("db.max.rows", "1000");
        return values;
    }

    /** Builds the flow in a new child group; returns the group id. */
    public static String build(final NiFiRestClient client, final String parentGroupId, final Map<String, String> parameters) {
        final String groupId = client.createProcessGroup(parentGroupId, ESP_AUDIENCE_SYNC);
        client.bindParameterContext(groupId, client.createParameterContext(ESP_AUDIENCE_SYNC, parameters, SENSITIVE_PARAMETERS));

        final String reader = client.createControllerService(groupId, "org.apache.nifi.json.JsonTreeReader", "JSON reader", Map.of(
                "schema-access-strategy", "infer-schema"));
        final String writer = client.createControllerService(groupId, "org.apache.nifi.json.JsonRecordSetWriter", "JSON writer", Map.of());
        final String dbcp = PostgresPool.create(client, groupId, "PostgreSQL", 4);
        final String failures = client.createFunnel(groupId);

        final String readProfiles = queryTable(client, groupId, READ_PROFILES, dbcp, writer, "#{db.profiles.table}", "#{db.profiles.columns}",
                "#{db.profiles.change.column}", "5 sec");
        // The consent of a FlowFile's subjects in one query per 500 through the pool, never cached: a withdrawal counts
        // from the next FlowFile on.
        final Map<String, String> gateProperties = new LinkedHashMap<>();
        gateProperties.put("Record Reader", reader);
        gateProperties.put("Record Writer", writer);
        gateProperties.put("Purposes", "#{consent.purposes}");
        // The stored subject key, the one consent rows are keyed by (DatasyncChain.SUBJECT_KEY_PATH_VALUE applied on the
        // way in): never the address lower-cased here, which misses every Gmail address with dots or a +tag.
        gateProperties.put("Subject Key Record Path", "/subject_key");
        // As the other templates' consent checks: ISO 3166-2 (US-CA) matched against the opt-in/opt-out jurisdictions.
        gateProperties.put("Jurisdiction Record Path", "/country");
        gateProperties.put("Consent Store Type", "DATABASE");
        gateProperties.put("Database Connection Pooling Service", dbcp);
        gateProperties.put("Consent Table Name", "#{db.consent.lookup.table}");
        gateProperties.put("Subject Key Column", "subject_key");
        gateProperties.put("Default Policy", "REQUIRE_CONSENT");
        gateProperties.put("Disallowed Record Action", "ROUTE_TO_EXCLUDED");
        final String gate = client.createProcessor(groupId, "io.datasync.nifi.processors.ConsentFilter", CONSENT_GATE, gateProperties,
                null, Set.of("anonymized", "suppression"));
        // The addresses about to be pushed are recorded first, keyed by subject (an address already recorded is left
        // as it is): the members are pushed only once that committed, so a later withdrawal finds every address the
        // ESP may hold for the subject, whatever became of the profile. A failed write pushes nothing.
        final Map<String, String> recordProperties = new LinkedHashMap<>();
        recordProperties.put("put-db-record-record-reader", reader);
        recordProperties.put("db-type", "PostgreSQL");
        recordProperties.put("put-db-record-statement-type", "INSERT_IGNORE");
        recordProperties.put("put-db-record-dcbp-service", dbcp);
        recordProperties.put("put-db-record-table-name", "#{db.member.address.table}");
        recordProperties.put("put-db-record-update-keys", "subject_key,email");
        recordProperties.put("put-db-record-unmatched-field-behavior", "Ignore Unmatched Fields");
        recordProperties.put("put-db-record-unmatched-column-behavior", "Ignore Unmatched Columns");
        final String recordAddresses = client.createProcessor(groupId, "org.apache.nifi.processors.standard.PutDatabaseRecord", RECORD_ADDRESSES,
                recordProperties, null, Set.of());
        client.updateProcessorConfig(recordAddresses, Map.of("penaltyDuration", "5 sec"));
        final String memberShape = shape(client, groupId, "Shape members", reader, writer, "members", "#{esp.member.query}");
        final String unsubscribeShape = shape(client, groupId, "Shape unsubscribes", reader, writer, "unsubscribes", "#{esp.unsubscribe.query}");
        final String upsert = push(client, groupId, UPSERT_MEMBERS, reader, writer, "#{esp.members.url}", "#{esp.members.body}");
        final String suppress = push(client, groupId, SUPPRESS, reader, writer, "#{esp.suppression.url}", "#{esp.suppression.body}");
        // Polled every second: a withdrawal's suppression row should reach the ESP within seconds, and the query on the
        // indexed change stamp finds nothing most of the time.
        final String readSuppressions = queryTable(client, groupId, READ_SUPPRESSIONS, dbcp, writer, "#{db.suppression.table}",
                "#{db.suppression.columns}", "#{db.suppression.change.column}", "1 sec");
        final String suppressionShape = shape(client, groupId, "Shape suppressions", reader, writer, "suppressions", "#{esp.suppression.query}");

        client.connect(groupId, readProfiles, gate, Set.of("success"));
        client.connect(groupId, gate, recordAddresses, Set.of("success"));
        client.connect(groupId, recordAddresses, memberShape, Set.of("success"));
        client.connect(groupId, recordAddresses, recordAddresses, Set.of("retry"));
        client.connect(groupId, gate, unsubscribeShape, Set.of("excluded"));
        client.connect(groupId, gate, gate, Set.of("retry"));
        client.connect(groupId, memberShape, upsert, Set.of("members"));
        client.connect(groupId, unsubscribeShape, suppress, Set.of("unsubscribes"));
        client.connect(groupId, readSuppressions, suppressionShape, Set.of("success"));
        client.connect(groupId, suppressionShape, suppress, Set.of("suppressions"));
        for (final String pushId : List.of(upsert, suppress)) {
            client.connect(groupId, pushId, pushId, Set.of("retry"));
            client.connect(groupId, pushId, "PROCESSOR", failures, "FUNNEL", Set.of("failure"));
        }
        for (final String id : List.of(gate, recordAddresses, memberShape, unsubscribeShape, suppressionShape)) {
            client.connect(groupId, id, "PROCESSOR", failures, "FUNNEL", Set.of("failure"));
        }
        return groupId;
    }

    private static String queryTable(final NiFiRestClient client, final String groupId, final String name, final String dbcp, final String writer,
                                     final String table, final String columns, final String maxValueColumn, final String period) {
        final String id = client.createProcessor(groupId, "org.apache.nifi.processors.standard.QueryDatabaseTableRecord", name, Map.of(
                "Database Connection Pooling Service", dbcp,
                "db-fetch-db-type", "PostgreSQL",
                "Table Name", table,
                "Columns to Return", columns,
                "Maximum-value Columns", maxValueColumn,
                // Only rows every writer has committed (sql/02_profiles.sql): a position moved past a running writer's row
                // would never read it.
                "db-fetch-where-clause", maxValueColumn + " < datasync_change_horizon(INTERVAL '#{db.change.settle}')",
                "qdbt-max-rows", "#{db.max.rows}",
                "qdbtr-record-writer", writer), period, Set.of());
        // A source that keeps its position in state: one node reads, as NiFi's own docs advise for QueryDatabaseTable.
        client.updateProcessorConfig(id, Map.of("executionNode", "PRIMARY"));
        return id;
    }

    private static String shape(final NiFiRestClient client, final String groupId, final String name, final String reader, final String writer,
                                final String relationship, final String query) {
        return client.createProcessor(groupId, "org.apache.nifi.processors.standard.QueryRecord", name, Map.of(
                "record-reader", reader,
                "record-writer", writer,
                "include-zero-record-flowfiles", "false"), Map.of(relationship, query), null, Set.of("original"));
    }

    private static String push(final NiFiRestClient client, final String groupId, final String name, final String reader, final String writer,
                               final String url, final String body) {
        final Map<String, String> properties = new LinkedHashMap<>();
        properties.put("Record Reader", reader);
        properties.put("Record Writer", writer);
        properties.put("Endpoint URL", url);
        properties.put("HTTP Method", "POST");
        properties.put("Request Body Template", body);
        properties.put("Batch Size", "#{esp.batch.size}");
        properties.put("Idempotency Key Header", "#{esp.idempotency.header}");
        properties.put("Errors Pointer", "#{esp.errors.pointer}");
        properties.put("Item Key Pointer", "/email_address");
        properties.put("Error Item Key Pointer", "#{esp.error.key.pointer}");
        properties.put("Error Reason Pointer", "#{esp.error.reason.pointer}");
        properties.put("Error Code Pointer", "#{esp.error.code.pointer}");
        properties.put("Authentication Strategy", "API_KEY_HEADER");
        properties.put("API Key Name", "#{esp.api.key.header}");
        properties.put("API Key", "#{esp.api.key}");
        properties.put("Request Rate Limit", "#{esp.request.rate}");
        properties.put("Initial Retry Backoff", "500 ms");
        properties.put("Maximum Retry Backoff", "10 sec");
        final String id = client.createProcessor(groupId, "io.datasync.nifi.processors.PutApiRecord", name, properties, null, Set.of("success"));
        // Records sent back through 'retry' wait this long before the next attempt.
        client.updateProcessorConfig(id, Map.of("penaltyDuration", "5 sec"));
        return id;
    }
}
