package io.datasync.nifi.e2e;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Builds, through the REST API, the chain every template shares, inside an existing group whose parameter context
 * holds {@link #PARAMETERS}:
 * <pre>
 *  (normalised JSON records) -> ConsentFilter -> CustomerDedup -> [Merge and store profiles] -> customer_profiles
 *                                  |                               ProfileMerge -> PutDatabaseRecord UPSERT
 *                                  |                                    (committed) -> Profiles written? -> Sync run row -> INSERT -> sync_runs
 *                                  +-> suppression -> Suppression reason -> PutDatabaseRecord UPSERT -> suppression
 *                                  +-> exclusions (audit rows; disallowed records dropped) -> PutDatabaseRecord INSERT -> exclusions
 * </pre>
 * With {@code partitionByCustomer} (crm-api-sync), a PartitionRecord before the group splits each FlowFile by a
 * bucket of the customer id ({@link #CUSTOMER_BUCKET_PATH}) and the connection into the group is load-balanced by that
 * attribute: on a cluster all FlowFiles of one customer reach one node, whose single-FlowFile group then merges them
 * one after the other. A standalone NiFi ignores the load-balance setting.
 * <p>
 * Input records carry {@code source}, {@code source_ids}, {@code subject_key} (normalised email), {@code email},
 * {@code phone} (as written: CustomerDedup stores it in E.164), names, {@code city}, {@code country}, {@code tags}, {@code last_order_at},
 * {@code lifetime_value}, {@code updated_at}; {@link #normaliseProperties} gives the UpdateRecord properties that make
 * them from a source's fields.
 * <p>
 * "Merge and store profiles" is a child group with FlowFile concurrency Single FlowFile Per Node: the stored
 * profile ProfileMerge reads must already hold the previous FlowFile's merge, so merge and write run one FlowFile
 * at a time. Transient write failures (connection lost, deadlock, timeout) are retried with a penalty (RetryFlowFile),
 * then parked; failures that would fail again (constraint violations, data errors) are parked at once, with the driver's
 * message (row values left out, see {@link #PRIVACY_SAFE_JDBC_OPTIONS}) in putdatabaserecord.error, like every other
 * failure in the "Parked failures" funnel: a visible queue, never dropped.
 */
public final class DatasyncChain {

    /** Parameters the chain references (name to default value in the committed templates). */
    public static final Map<String, String> PARAMETERS = parameters();
    /** Parameters holding credentials: sensitive, empty in the committed templates. */
    public static final Set<String> SENSITIVE_PARAMETERS = Set.of("db.password", "identity.hash.key");

    static final String JSON_READER = "org.apache.nifi.json.JsonTreeReader";
    static final String JSON_WRITER = "org.apache.nifi.json.JsonRecordSetWriter";
    static final String UPDATE_RECORD = "org.apache.nifi.processors.standard.UpdateRecord";
    /**
     * PostgreSQL JDBC options every db.url should carry: {@code logServerErrorDetail=false} keeps the server's DETAIL
     * ({@code Key (subject_key)=(ann@example.com) already exists}) and, in pgjdbc 42.7, the statement with its bound
     * values in "Batch entry N ... was aborted" out of exception messages. PutDatabaseRecord logs those messages at
     * ERROR, raises them as bulletins and copies them into putdatabaserecord.error.
     */
    public static final String PRIVACY_SAFE_JDBC_OPTIONS = "logServerErrorDetail=false";

    static final String ROUTE_ON_ATTRIBUTE = "org.apache.nifi.processors.standard.RouteOnAttribute";
    static final String TRANSIENT_ROUTE = "transient";

    /**
     * True when PutDatabaseRecord's putdatabaserecord.error names an error a later attempt can get past: the
     * connection lost or refused, the server starting or shutting down, too many clients, a deadlock or serialization
     * failure (SQLState class 40), a statement or lock timeout, the pool out of connections. Constraint violations
     * (class 23), data errors (class 22) and everything else are not retried. Matched on the messages of pgjdbc, the
     * PostgreSQL server (English, the default lc_messages) and the connection pool.
     */
    static final String TRANSIENT_WRITE_ERROR = "${putdatabaserecord.error:find('(?i)(I/O error|connection has been closed"
            + "|connection attempt failed|refused|connection reset|terminating connection|database system is (starting up"
            + "|shutting down|in recovery)|deadlock detected|could not serialize access|canceling statement due to"
            + "|could not obtain lock|too many clients|remaining connection slots|cannot get a connection"
            + "|cannot create poolableconnectionfactory|timeout waiting for idle object|timed out)')}";

    static final String PUT_DATABASE_RECORD = "org.apache.nifi.processors.standard.PutDatabaseRecord";
    static final String RETRY_FLOW_FILE = "org.apache.nifi.processors.standard.RetryFlowFile";
    static final String TIMESTAMP_FORMAT = "yyyy-MM-dd'T'HH:mm:ssX";
    /**
     * How the database writes' explicit-schema readers read times: ISO-8601 with an offset ({@code Z} or {@code +02:00})
     * and no fraction or one of 3, 6 or 9 digits (what sources, {@code Instant.toString()} in ConsentFilter's undated
     * suppression rows and ProfileMerge's {@code profilemerge.newest.timestamp} write). {@link #TIMESTAMP_FORMAT} alone
     * refused all but whole seconds in UTC, so a source writing {@code +01:00} had every profile write parked.
     */
    static final String ROW_TIMESTAMP_FORMAT = "yyyy-MM-dd'T'HH:mm:ss[.SSSSSSSSS][.SSSSSS][.SSS]XXX";
    static final String PARTITION_RECORD = "org.apache.nifi.processors.standard.PartitionRecord";

    /** FlowFile attribute the partitioned connection into "Merge and store profiles" is load-balanced by. */
    public static final String CUSTOMER_BUCKET_ATTRIBUTE = "customer.bucket";
    /**
     * The bucket: the first hexadecimal digit of the (random UUID) customer id, so 16 buckets. One customer is always
     * in one bucket, hence on one node, and a batch splits into at most 16 FlowFiles instead of one per customer,
     * which the one-FlowFile-at-a-time group would pass slowly.
     */
    public static final String CUSTOMER_BUCKET_PATH = "substring(/customer_id, 0, 1)";

    /**
     * The golden profile as ProfileMerge writes it: the profile table's columns, timestamps as ISO-8601 text (the
     * form both the JSON records and the lookup view carry, so they never conflict), the lists as the '|'-joined
     * text ProfileMerge's List Delimiter makes of them.
     */
    static final String PROFILE_SCHEMA = """
            {"type": "record", "name": "profile", "fields": [
              {"name": "customer_id", "type": "string"},
              {"name": "subject_key", "type": ["null", "string"]},
              {"name": "email", "type": ["null", "string"]},
              {"name": "phone", "type": ["null", "string"]},
              {"name": "phone_as_written", "type": ["null", "string"]},
              {"name": "first_name", "type": ["null", "string"]},
              {"name": "last_name", "type": ["null", "string"]},
              {"name": "city", "type": ["null", "string"]},
              {"name": "country", "type": ["null", "string"]},
              {"name": "tags", "type": ["null", "string"]},
              {"name": "last_order_at", "type": ["null", "string"]},
              {"name": "lifetime_value", "type": ["null", "double"]},
              {"name": "consent_email", "type": ["null", "boolean"]},
              {"name": "source_ids", "type": ["null", "string"]},
              {"name": "updated_at", "type": ["null", "string"]},
              {"name": "merge_lineage", "type": ["null", "string"]},
              {"name": "retired_customer_ids", "type": ["null", "string"]}
            ]}""";

    /**
     * The rows the profile UPSERT reads (ProfileMerge's output): the columns of
     * {@code customer_profiles} that records carry, lists already joined, the two times typed as timestamps. An explicit
     * schema spares PutDatabaseRecord the inference pass over every FlowFile (issue 17); a time that is
     * not in {@link #ROW_TIMESTAMP_FORMAT} fails the FlowFile with the reader's reason, as it failed the UPSERT before.
     */
    static final String PROFILE_ROW_SCHEMA = timesTyped(PROFILE_SCHEMA, "profile_row", "last_order_at", "updated_at");

    /**
     * {@code schema} (a record of {@value #OPTIONAL_TEXT}-typed fields) renamed {@code recordName}, with the
     * {@code timeFields} typed as timestamps instead of text.
     */
    static String timesTyped(final String schema, final String recordName, final String... timeFields) {
        String typed = schema.replaceFirst("\"name\": \"[a-z_]+\", \"fields\"", "\"name\": \"" + recordName + "\", \"fields\"");
        for (final String field : timeFields) {
            final String text = "{\"name\": \"" + field + "\", \"type\": " + OPTIONAL_TEXT + "}";
            if (!typed.contains(text)) {
                throw new IllegalArgumentException(field + " is no optional text field of the schema");
            }
            typed = typed.replace(text, "{\"name\": \"" + field + "\", \"type\": " + OPTIONAL_TIMESTAMP + "}");
        }
        return typed;
    }

    private static final String OPTIONAL_TEXT = "[\"null\", \"string\"]";
    private static final String OPTIONAL_TIMESTAMP = "[\"null\", {\"type\": \"long\", \"logicalType\": \"timestamp-millis\"}]";

    /** The suppression rows "Suppression reason" writes: what {@code suppression} takes from a record. */
    static final String SUPPRESSION_ROW_SCHEMA = """
            {"type": "record", "name": "suppression_row", "fields": [
              {"name": "subject_key", "type": ["null", "string"]},
              {"name": "reason", "type": ["null", "string"]},
              {"name": "decided_at", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}]}
            ]}""";

    /** The rows "Exclusion audit rows" writes: what {@code exclusions} takes from a record. */
    static final String EXCLUSION_ROW_SCHEMA = """
            {"type": "record", "name": "exclusion_row", "fields": [
              {"name": "subject_key", "type": ["null", "string"]},
              {"name": "reason_code", "type": ["null", "string"]},
              {"name": "purpose", "type": ["null", "string"]}
            ]}""";

    /** The ids of the shared services and of the chain's entry point. */
    public record Ids(String jsonReader, String jsonWriter, String dbcp, String cacheServer,
                      String cacheClient, String consentFilter, String customerDedup, String partitionByCustomer, String mergeGroup,
                      String profileMerge, String putProfiles, String putSuppression, String parkedFailures, String putSyncRun) {
    }

    private DatasyncChain() {
    }

    private static Map<String, String> parameters() {
        final Map<String, String> values = new LinkedHashMap<>();
        values.put("db.url", "jdbc:postgresql://localhost:5432/datasync?" + PRIVACY_SAFE_JDBC_OPTIONS);
        values.put("db.driver.location", "./drivers/postgresql.jar");
        values.put("db.user", "datasync");
        values.put("db.password", null);
        PostgresPool.putTlsDefaults(values);
        values.put("db.profiles.table", "customer_profiles");
        values.put("db.profiles.lookup.table", "customer_profiles_lookup");
        values.put("db.suppression.table", "suppression");
        values.put("db.consent.lookup.table", "consent_lookup");
        // CustomerDedup's identity index (sql/01_identity.sql): identifier hash (primary key) to customer id.
        values.put("db.identity.table", "customer_identity");
        values.put("db.exclusions.table", "exclusions");
        // One row per committed profile write (sql/04_audit.sql), read by the sync-audit template's freshness check.
        values.put("db.sync.runs.table", "sync_runs");
        values.put("consent.purposes", "email_marketing");
        values.put("phone.region", "GB");
        values.put("identity.namespace", "datasync");
        // Where CustomerDedup keeps the identity index: DATABASE (the db.identity.table table, through the profile
        // database's pool: nothing else to run, one index for every node) or DISTRIBUTED_MAP_CACHE (the identity.cache.*
        // MapCacheServer below).
        values.put("identity.store.type", "DATABASE");
        // Keys the identity hashes in the cache (HMAC-SHA256); see CustomerDedup's "Identity Hash Key".
        values.put("identity.hash.key", null);
        values.put("identity.cache.host", "localhost");
        values.put("identity.cache.port", "4557");
        values.put("identity.cache.server.port", "4557");
        values.put("identity.cache.dir", "./state/datasync-identity-cache");
        // The server evicts beyond this; an evicted key gives the customer's next record a new id (a second profile
        // for the same subject, refused by its unique key). About two keys per customer (email, phone) plus merges.
        values.put("identity.cache.max.entries", "1000000");
        values.put("retry.max", "5");
        values.put("sla.no.data", "1 hour");
        return values;
    }

    /**
     * UpdateRecord properties (Record Path Value strategy) that add the chain's common fields from a source's own:
     * {@code email} trimmed and lower-cased, {@code subject_key} (Gmail rules, as in the consent table), {@code source_ids}.
     * Phones are left as written here: CustomerDedup stores them in E.164, read in each record's own country, with
     * the same library and rules it matches them by (see {@link #STOCK_PHONE_PATH_VALUE} for what a regex did instead).
     */
    public static Map<String, String> normalizeProperties(final String sourceNamePath, final String sourceIdPath) {
        final Map<String, String> properties = new LinkedHashMap<>();
        properties.put("Replacement Value Strategy", "record-path-value");
        properties.put("/email", "toLowerCase(trim(/email))");
        // Gmail: the +tag goes, googlemail.com becomes gmail.com, then the dots of the local part go.
        properties.put("/subject_key", SUBJECT_KEY_PATH_VALUE);
        properties.put("/source_ids", "concat(" + sourceNamePath + ", ':', " + sourceIdPath + ")");
        return properties;
    }

    /**
     * The stock-only flows' phone "normalisation" (UpdateRecord RecordPath value): spaces and brackets out, a leading
     * trunk 0 becomes +44. Right for British numbers only; kept for the stock comparison flows, which have nothing better.
     */
    static final String STOCK_PHONE_PATH_VALUE = "replaceRegex(replaceRegex(/phone, '[ ()-]', ''), '^0', '+44')";

    /** Creates the shared services of a template group (not yet enabled). */
    static Map<String, String> createServices(final NiFiRestClient client, final String groupId) {
        final Map<String, String> ids = new LinkedHashMap<>();
        // No Timestamp Format: timestamps stay ISO-8601 text all along (the lookup views return the same text), so
        // ProfileMerge never sees a timestamp typed differently by two sources; PutDatabaseRecord converts the text.
        ids.put("jsonReader", client.createControllerService(groupId, JSON_READER, "JSON records", Map.of()));
        // The database writes' readers type ISO-8601 text as timestamps (PostgreSQL refuses text for timestamptz), each
        // through the table's own explicit schema: no inference pass over the FlowFile.
        ids.put("profileRowReader", schemaReader(client, groupId, "Profile rows for the database", PROFILE_ROW_SCHEMA));
        ids.put("suppressionRowReader", schemaReader(client, groupId, "Suppression rows for the database", SUPPRESSION_ROW_SCHEMA));
        ids.put("exclusionRowReader", schemaReader(client, groupId, "Exclusion rows for the database", EXCLUSION_ROW_SCHEMA));
        ids.put("syncRunRowReader", schemaReader(client, groupId, "Sync run rows for the database", SYNC_RUN_ROW_SCHEMA));
        ids.put("jsonWriter", client.createControllerService(groupId, JSON_WRITER, "JSON records out", Map.of(
                "Timestamp Format", TIMESTAMP_FORMAT)));
        // ProfileMerge's output through an explicit schema (see PROFILE_SCHEMA): the table's columns, the union fields as
        // the '|'-joined text ProfileMerge's List Delimiter makes of them.
        ids.put("profileWriter", client.createControllerService(groupId, JSON_WRITER, "Profile records out", Map.of(
                "Schema Write Strategy", "no-schema",
                "schema-access-strategy", "schema-text-property",
                "schema-text", PROFILE_SCHEMA,
                "Timestamp Format", TIMESTAMP_FORMAT)));
        ids.put("dbcp", PostgresPool.create(client, groupId, "Profile database", 12));
        ids.put("cacheServer", client.createControllerService(groupId, "org.apache.nifi.distributed.cache.server.map.MapCacheServer",
                "Identity cache server", Map.of(
                        "Port", "#{identity.cache.server.port}",
                        "Persistence Directory", "#{identity.cache.dir}",
                        "Maximum Cache Entries", "#{identity.cache.max.entries}")));
        ids.put("cacheClient", client.createControllerService(groupId, "org.apache.nifi.distributed.cache.client.MapCacheClientService",
                "Identity cache", Map.of(
                        "Server Hostname", "#{identity.cache.host}",
                        "Server Port", "#{identity.cache.port}")));
        return ids;
    }

    /**
     * A JSON reader with an explicit schema for what a database write reads: no inference pass over the FlowFile, times
     * typed with {@link #ROW_TIMESTAMP_FORMAT}, fields outside the schema left out (the writes ignore them anyway).
     */
    static String schemaReader(final NiFiRestClient client, final String groupId, final String name, final String schema) {
        return client.createControllerService(groupId, JSON_READER, name, Map.of(
                "schema-access-strategy", "schema-text-property",
                "schema-text", schema,
                "Timestamp Format", ROW_TIMESTAMP_FORMAT));
    }

    /**
     * Builds the chain in {@code groupId} behind {@code upstreamId} (a processor whose {@code success} carries the
     * normalised JSON records), with the services of {@link #createServices}; {@code partitionByCustomer} adds the
     * PartitionRecord step and the load-balanced connection into the merge group (see the class comment);
     * {@code syncSourceName} names the source in the sync runs table ({@link #syncRuns}). Returns what was built
     * ({@code partitionByCustomer} null without it).
     */
    static Ids build(final NiFiRestClient client, final String groupId, final String upstreamId, final Map<String, String> services,
                     final double x, final double y, final boolean partitionByCustomer, final String syncSourceName) {
        final String reader = services.get("jsonReader");
        final String writer = services.get("jsonWriter");
        final String parked = client.createFunnel(groupId);
        client.moveComponent("funnels", parked, x + 900, y + 300);

        final Map<String, String> consent = new LinkedHashMap<>();
        consent.put("Record Reader", reader);
        consent.put("Record Writer", writer);
        consent.put("Purposes", "#{consent.purposes}");
        consent.put("Subject Key Record Path", "/subject_key");
        // The consent rows of all subjects of a FlowFile in one query per Store Batch Size (500) subjects, through the
        // pool; read afresh for every FlowFile (nothing cached), so a withdrawal counts from the next FlowFile on.
        consent.put("Consent Store Type", "DATABASE");
        consent.put("Database Connection Pooling Service", services.get("dbcp"));
        consent.put("Consent Table Name", "#{db.consent.lookup.table}");
        consent.put("Subject Key Column", "subject_key");
        // The record's country as written, ISO 3166-2 subdivisions (US-CA) included: matched against the processor's
        // Opt-In and Opt-Out Jurisdictions (a US-CA record matches a listed US); anything else gets the Default Policy.
        consent.put("Jurisdiction Record Path", "/country");
        consent.put("Default Policy", "REQUIRE_CONSENT");
        // A record that may not be used goes no further, but leaves its audit record (subject key, reason, purpose) on
        // 'exclusions', in the exclusions table's shape: written as the records are decided, with no second read of them.
        consent.put("Disallowed Record Action", "DROP");
        consent.put("Write Exclusion Records", "true");
        consent.put("Write Suppression Records", "true");
        final String consentFilter = client.createProcessor(groupId, "io.datasync.nifi.processors.ConsentFilter", "Check consent", consent,
                null, Set.of("excluded", "anonymized"));
        // Two tasks: one can parse and write records while the other waits for its consent query; it keeps no state
        // between FlowFiles, and the merge downstream does not depend on the order FlowFiles arrive in.
        client.updateProcessorConfig(consentFilter, Map.of("concurrentlySchedulableTaskCount", 2));
        client.moveComponent("processors", consentFilter, x, y);
        client.connect(groupId, upstreamId, consentFilter, Set.of("success"));
        client.connect(groupId, consentFilter, consentFilter, Set.of("retry"));
        client.connect(groupId, consentFilter, "PROCESSOR", parked, "FUNNEL", Set.of("failure"));

        // The records for the merge leave out nulls: ProfileMerge's reader infers types per FlowFile, and a field that is
        // null in every record of one (an FTP export without lifetime values) is inferred as text, which clashes with the
        // stored profile's number (a "conflicting types" warning on every such drop). Left out, the stored value stands.
        final String mergeInputWriter = client.createControllerService(groupId, JSON_WRITER, "JSON records out, nulls left out", Map.of(
                "Timestamp Format", TIMESTAMP_FORMAT,
                "suppress-nulls", "always-suppress"));
        final String customerDedup = identityLinking(client, groupId, reader, partitionByCustomer ? writer : mergeInputWriter,
                services.get("dbcp"), services.get("cacheClient"));
        client.moveComponent("processors", customerDedup, x, y + 250);
        client.connect(groupId, consentFilter, customerDedup, Set.of("success"));
        // Its failure is mostly the identity cache being unreachable (a server restart): retried with a penalty, so the
        // flow resumes by itself once the cache is back; an unreadable FlowFile ends up parked after the retries.
        // CustomerDedup penalises its failures itself (30 s), so the loop adds little.
        retryInto(client, groupId, "Retry identity linking", customerDedup, Set.of("failure"), "dedup.retries", "10 sec", parked, "FUNNEL",
                x - 450, y + 250);

        // Suppression: ConsentFilter's reason codes become the table's reasons (WITHDRAWN -> consent_withdrawn).
        final Map<String, String> reason = new LinkedHashMap<>();
        reason.put("Record Reader", reader);
        reason.put("Record Writer", writer);
        reason.put("Replacement Value Strategy", "record-path-value");
        final String suppressionReason = client.createProcessor(groupId, UPDATE_RECORD, "Suppression reason", reason, Map.of(
                "/reason", "toLowerCase(concat('consent_', /reason))",
                "/decided_at", "/timestamp"), null, Set.of());
        client.moveComponent("processors", suppressionReason, x + 450, y);
        client.connect(groupId, consentFilter, suppressionReason, Set.of("suppression"));
        client.connect(groupId, suppressionReason, "PROCESSOR", parked, "FUNNEL", Set.of("failure"));
        final String putSuppression = putWithRetry(client, groupId, "suppression", "#{db.suppression.table}", "subject_key", services,
                services.get("suppressionRowReader"), suppressionReason, "success", parked, "FUNNEL", x + 450, y + 250, Map.of());

        exclusionAudit(client, groupId, consentFilter, services, parked, x + 900, y);

        // The serialised merge-and-store group.
        final String mergeGroup = client.createProcessGroup(groupId, "Merge and store profiles");
        client.moveComponent("process-groups", mergeGroup, x, y + (partitionByCustomer ? 750 : 500));
        client.bindParameterContext(mergeGroup, client.parameterContextId(groupId));
        client.setFlowFileConcurrency(mergeGroup, "SINGLE_FLOWFILE_PER_NODE", "STREAM_WHEN_AVAILABLE");
        final String in = client.createInputPort(mergeGroup, "records of identified customers");
        final String failed = client.createOutputPort(mergeGroup, "failed");
        client.moveComponent("input-ports", in, 0, 0);
        client.moveComponent("output-ports", failed, 700, 700);
        // CustomerDedup's merges (old id -> surviving id) become fold instructions for ProfileMerge: the survivor in
        // customer_id, the old id in retired_customer_ids. They join the records in one funnel, so both enter the
        // one-FlowFile-at-a-time group in the order CustomerDedup emitted them (a merge after the records it links).
        final String fold = client.createProcessor(groupId, UPDATE_RECORD, "Fold merged customers", Map.of(
                "Record Reader", reader,
                "Record Writer", writer,
                "Replacement Value Strategy", "record-path-value"), Map.of(
                "/customer_id", "/surviving_customer_id",
                "/retired_customer_ids", "/old_customer_id"), null, Set.of());
        client.moveComponent("processors", fold, x + 450, y + 500);
        client.connect(groupId, customerDedup, fold, Set.of("merges"));
        client.connect(groupId, fold, "PROCESSOR", parked, "FUNNEL", Set.of("failure"));
        final String identified = client.createFunnel(groupId);
        client.moveComponent("funnels", identified, x + 150, y + 450);
        client.connect(groupId, customerDedup, "PROCESSOR", identified, "FUNNEL", Set.of("success"));
        client.connect(groupId, fold, "PROCESSOR", identified, "FUNNEL", Set.of("success"));
        String partition = null;
        if (partitionByCustomer) {
            // Nulls left out here too (see mergeInputWriter): a bucket may hold only records without, say, lifetime_value
            // (seen in CrmApiSyncTemplateE2ETest: a "conflicting types" warning).
            final Map<String, String> partitionProperties = new LinkedHashMap<>();
            partitionProperties.put("record-reader", reader);
            partitionProperties.put("record-writer", mergeInputWriter);
            partition = client.createProcessor(groupId, PARTITION_RECORD, "Partition by customer bucket", partitionProperties,
                    Map.of(CUSTOMER_BUCKET_ATTRIBUTE, CUSTOMER_BUCKET_PATH), null, Set.of("original"));
            client.moveComponent("processors", partition, x, y + 500);
            client.connect(groupId, identified, "FUNNEL", partition, "PROCESSOR", Set.of());
            client.connect(groupId, partition, "PROCESSOR", parked, "FUNNEL", Set.of("failure"));
            final String intoMerge = client.connectAcrossGroups(groupId, partition, groupId, "PROCESSOR", in, mergeGroup, "INPUT_PORT",
                    Set.of("success"));
            new ClusterFlowSupport(client).setLoadBalance(intoMerge, "PARTITION_BY_ATTRIBUTE", CUSTOMER_BUCKET_ATTRIBUTE);
        } else {
            client.connectAcrossGroups(groupId, identified, groupId, "FUNNEL", in, mergeGroup, "INPUT_PORT", Set.of());
        }
        client.connectAcrossGroups(groupId, failed, mergeGroup, "OUTPUT_PORT", parked, groupId, "FUNNEL", Set.of());

        final Map<String, String> merge = new LinkedHashMap<>();
        merge.put("Record Reader", reader);
        merge.put("Record Writer", services.get("profileWriter"));
        merge.put("Customer Key Record Path", "/customer_id");
        merge.put("Source Field", "source");
        merge.put("Record Timestamp Field", "updated_at");
        merge.put("Default Rule", "latest_non_empty");
        // The stored profiles of all customers of a FlowFile in one query per Stored Profile Batch Size (500) customers.
        merge.put("Stored Profile Store Type", "DATABASE");
        merge.put("Stored Profile Connection Pool", services.get("dbcp"));
        merge.put("Stored Profile Table Name", "#{db.profiles.lookup.table}");
        merge.put("Stored Profile Key Column", "customer_id");
        merge.put("Lineage Field", "merge_lineage");
        // The table keeps lists as text joined by '|' (sorted sets): ProfileMerge writes the unions that way, so no
        // UpdateRecord re-reads and re-writes every profile to join them (issue 17).
        merge.put("List Delimiter", "|");
        // A fold instruction reads the merged-away customer's stored profile too and writes the survivor's profile with
        // the old id here; the table's trigger then deletes the old row in the same statement (sql/02_profiles.sql).
        merge.put("Retired Customer Key Field", "retired_customer_ids");
        final String profileMerge = client.createProcessor(mergeGroup, "io.datasync.nifi.processors.ProfileMerge", "Merge profiles", merge,
                Map.of("tags", "union", "source_ids", "union", "last_order_at", "max", "updated_at", "max"), null, Set.of());
        client.moveComponent("processors", profileMerge, 0, 200);
        client.connect(mergeGroup, in, "INPUT_PORT", profileMerge, "PROCESSOR", Set.of());
        client.connect(mergeGroup, profileMerge, profileMerge, Set.of("retry"));
        client.connect(mergeGroup, profileMerge, "PROCESSOR", failed, "OUTPUT_PORT", Set.of("failure"));

        final String putProfiles = putWithRetry(client, mergeGroup, "profiles", "#{db.profiles.table}", "customer_id", services,
                services.get("profileRowReader"), profileMerge, "success", failed, "OUTPUT_PORT", 0, 450, Map.of());
        // Only what the UPSERT committed leaves the group through "written": it becomes the sync run record.
        client.updateProcessorConfig(putProfiles, Map.of("autoTerminatedRelationships", java.util.List.of()));
        final String written = client.createOutputPort(mergeGroup, "written");
        client.moveComponent("output-ports", written, 0, 700);
        client.connect(mergeGroup, putProfiles, "PROCESSOR", written, "OUTPUT_PORT", Set.of("success"));
        final String putSyncRun = syncRuns(client, groupId, mergeGroup, written, syncSourceName, services, parked, x + 450,
                y + (partitionByCustomer ? 1000 : 750));
        return new Ids(reader, writer, services.get("dbcp"), services.get("cacheServer"), services.get("cacheClient"), consentFilter, customerDedup, partition, mergeGroup, profileMerge,
                putProfiles, putSuppression, parked, putSyncRun);
    }

    /** CustomerDedup's identifier fields (dynamic properties: identifier type to RecordPath), the same in every template. */
    static final Map<String, String> IDENTIFIER_PATHS = Map.of("email", "/subject_key", "phone", "/phone", "source_id", "/source_ids");

    /**
     * The "Link identities" CustomerDedup every template that stores profiles runs, batch and webhook alike, so one
     * person gets one customer id whichever template sees them first: the shared identity store
     * ({@code #{identity.store.type}}: the {@code #{db.identity.table}} table through {@code dbcp}, or the identity cache
     * through {@code cacheClient}) under {@code #{identity.namespace}} and {@code #{identity.hash.key}}; the identifiers
     * {@link #IDENTIFIER_PATHS} (the subject key, the phone read in the record's own country and written back in E.164,
     * the source ids). Output Mode ANNOTATE: every record on {@code success} with its customer id, the merges it finds
     * (old id to surviving id, against what is stored too) on {@code merges}; {@code unique} and {@code duplicate}
     * are auto-terminated. Returns the processor id; the caller connects and places it.
     */
    static String identityLinking(final NiFiRestClient client, final String groupId, final String reader, final String writer,
                                  final String dbcp, final String cacheClient) {
        final Map<String, String> dedup = new LinkedHashMap<>();
        dedup.put("Record Reader", reader);
        dedup.put("Record Writer", writer);
        dedup.put("Output Mode", "ANNOTATE");
        dedup.put("Email Record Paths", "/subject_key");
        dedup.put("Phone Record Paths", "/phone");
        dedup.put("Default Phone Region", "#{phone.region}");
        // National numbers are read in the record's own country; the stored phone is the E.164 key matching used, and
        // a phone that cannot be normalised (a placeholder, too short) is kept as written in phone_as_written.
        dedup.put("Phone Region Record Path", "/country");
        dedup.put("Normalized Phone Field", "phone");
        dedup.put("Unnormalized Phone Field", "phone_as_written");
        dedup.put("Identity Store Type", "#{identity.store.type}");
        dedup.put("Identity Connection Pool", dbcp);
        dedup.put("Identity Table Name", "#{db.identity.table}");
        dedup.put("Distributed Map Cache Client", cacheClient);
        dedup.put("Identity Namespace", "#{identity.namespace}");
        dedup.put("Identity Hash Key", "#{identity.hash.key}");
        // The source record's id is an identifier too: an edited CRM contact stays its customer whatever its e-mail became,
        // and a record whose only e-mail and phone are placeholders still has a key (its own), never a shared one.
        return client.createProcessor(groupId, "io.datasync.nifi.processors.CustomerDedup", "Link identities", dedup,
                IDENTIFIER_PATHS, null, Set.of("unique", "duplicate"));
    }

    /** The subject key (RecordPath value) of an e-mail address: trimmed, lower-cased, Gmail's +tag, domain alias and dots folded. */
    static final String SUBJECT_KEY_PATH_VALUE = "replaceRegex(replaceRegex(toLowerCase(trim(/email)), "
            + "'^([^@+]+)([+][^@]*)?@(gmail|googlemail)[.]com$', '$1@gmail.com'), '[.](?=[^@]*@gmail[.]com$)', '')";

    /** RouteOnAttribute route of the writes that committed at least one profile. */
    static final String SYNC_RUN_ROUTE = "profiles_written";

    /**
     * The sync run row a committed write becomes, from ProfileMerge's attributes (no read of the profiles): the
     * source, the newest {@code updated_at} among the profiles written ({@code profilemerge.newest.timestamp}, UTC with
     * milliseconds; JSON null when absent) and how many were written ({@code record.count}).
     */
    static String syncRunRow(final String sourceName) {
        return "{\"source\": \"" + sourceName + "\", \"newest_record_at\": "
                + "${profilemerge.newest.timestamp:isEmpty():ifElse('null', ${profilemerge.newest.timestamp:prepend('\"'):append('\"')})}, "
                + "\"record_count\": ${record.count}}";
    }

    /** What {@code sync_runs} takes from {@link #syncRunRow}; the time as ProfileMerge writes it (with milliseconds). */
    static final String SYNC_RUN_ROW_SCHEMA = """
            {"type": "record", "name": "sync_run_row", "fields": [
              {"name": "source", "type": ["null", "string"]},
              {"name": "newest_record_at", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}]},
              {"name": "record_count", "type": ["null", "long"]}
            ]}""";

    /**
     * The sync run record of every committed profile write, for the sync audit's freshness check: each FlowFile the
     * UPSERT committed ({@code writtenPort}, an output port of {@code mergeGroup}) with at least one profile
     * ({@code record.count} > 0, RouteOnAttribute; an empty write records nothing) becomes one row of
     * {@code #{db.sync.runs.table}} (ReplaceText, {@link #syncRunRow}: the content replaced, never read): the source
     * ({@code sourceName}, a literal or parameter reference), the newest {@code updated_at} among the profiles written
     * and how many were written, from ProfileMerge's attributes; inserted with {@code finished_at} left to the table's
     * default, the database's clock after the profile commit. A FlowFile whose write failed never reaches the port, so
     * a parked or retrying write is no sync. The insert has the same retry, classification and parking as the other
     * writes.
     */
    static String syncRuns(final NiFiRestClient client, final String groupId, final String mergeGroup, final String writtenPort,
                           final String sourceName, final Map<String, String> services, final String parked, final double x,
                           final double y) {
        final String anyWritten = client.createProcessor(groupId, ROUTE_ON_ATTRIBUTE, "Profiles written?", Map.of(),
                Map.of(SYNC_RUN_ROUTE, "${record.count:gt(0)}"), null, Set.of("unmatched"));
        client.moveComponent("processors", anyWritten, x, y);
        client.connectAcrossGroups(groupId, writtenPort, mergeGroup, "OUTPUT_PORT", anyWritten, groupId, "PROCESSOR", Set.of());
        final Map<String, String> row = new LinkedHashMap<>();
        row.put("Replacement Strategy", "Always Replace");
        row.put("Evaluation Mode", "Entire text");
        row.put("Replacement Value", syncRunRow(sourceName));
        final String runRow = client.createProcessor(groupId, REPLACE_TEXT, "Sync run row", row, null, Set.of());
        client.moveComponent("processors", runRow, x, y + 250);
        client.connect(groupId, anyWritten, runRow, Set.of(SYNC_RUN_ROUTE));
        client.connect(groupId, runRow, "PROCESSOR", parked, "FUNNEL", Set.of("failure"));
        final Map<String, String> extra = new LinkedHashMap<>();
        extra.put("put-db-record-statement-type", "INSERT");
        // finished_at is the database's (DEFAULT clock_timestamp(), sql/04_audit.sql)
        extra.put("put-db-record-unmatched-column-behavior", "Ignore Unmatched Columns");
        return putWithRetry(client, groupId, "sync run", "#{db.sync.runs.table}", null, services, services.get("syncRunRowReader"), runRow,
                "success", parked,
                "FUNNEL", x, y + 500, extra);
    }

    static final String REPLACE_TEXT = "org.apache.nifi.processors.standard.ReplaceText";

    /**
     * The exclusions audit trail: ConsentFilter's {@code exclusions} records (subject key, reason code and purpose, one
     * per disallowed record with a subject key; no other field of the record) inserted into
     * {@code #{db.exclusions.table}}, whose {@code id} and {@code excluded_at} the database sets. So "why was this
     * person not mailed?" is one query on that table, long after provenance expired.
     */
    static String exclusionAudit(final NiFiRestClient client, final String groupId, final String consentFilter,
                                 final Map<String, String> services, final String parked, final double x, final double y) {
        final Map<String, String> extra = new LinkedHashMap<>();
        extra.put("put-db-record-statement-type", "INSERT");
        // id and excluded_at are the database's
        extra.put("put-db-record-unmatched-column-behavior", "Ignore Unmatched Columns");
        return putWithRetry(client, groupId, "exclusions", "#{db.exclusions.table}", null, services, services.get("exclusionRowReader"),
                consentFilter, EXCLUSIONS_ROUTE, parked,
                "FUNNEL", x, y, extra);
    }

    /**
     * The "Exclusion audit rows" QueryRecord webhook-realtime runs on ConsentFilter's {@code excluded} records (two
     * ConsentFilters feed it there, one through an output port): subject key, reason code and {@code purpose} (a
     * parameter reference, {@code #{consent.purpose}}) on route {@value #EXCLUSIONS_ROUTE}, records without a subject key
     * left out; {@code original} auto-terminated. The caller connects its input, failure and the insert. The batch chain
     * has ConsentFilter write these rows itself (Write Exclusion Records, {@link #exclusionAudit}).
     */
    static String exclusionAuditRows(final NiFiRestClient client, final String groupId, final String reader, final String writer,
                                     final String purpose) {
        final Map<String, String> query = new LinkedHashMap<>();
        query.put("record-reader", reader);
        query.put("record-writer", writer);
        query.put("include-zero-record-flowfiles", "false");
        return client.createProcessor(groupId, QUERY_RECORD, "Exclusion audit rows", query, Map.of(EXCLUSIONS_ROUTE,
                "SELECT subject_key, consent_reason AS reason_code, '" + purpose + "' AS purpose FROM FLOWFILE"
                        + " WHERE subject_key IS NOT NULL"), null, Set.of("original"));
    }

    static final String QUERY_RECORD = "org.apache.nifi.processors.standard.QueryRecord";
    static final String EXCLUSIONS_ROUTE = "exclusions";

    /**
     * A RetryFlowFile named {@code name} that takes {@code relationships} of {@code targetId} and sends them back to it,
     * penalised for {@code penalty}, up to {@code #{retry.max}} times, then to {@code parkedId}. {@code retryAttribute}
     * counts the attempts; each loop has its own, because RetryFlowFile fails a FlowFile whose counter another
     * RetryFlowFile started.
     */
    static String retryInto(final NiFiRestClient client, final String groupId, final String name, final String targetId,
                            final Set<String> relationships, final String retryAttribute, final String penalty, final String parkedId,
                            final String parkedType, final double x, final double y) {
        final Map<String, String> retry = new LinkedHashMap<>();
        retry.put("retry-attribute", retryAttribute);
        retry.put("maximum-retries", "#{retry.max}");
        retry.put("penalize-retries", "true");
        final String retryProcessor = client.createProcessor(groupId, RETRY_FLOW_FILE, name, retry, null, Set.of());
        client.updateProcessorConfig(retryProcessor, Map.of("penaltyDuration", penalty));
        client.moveComponent("processors", retryProcessor, x, y);
        client.connect(groupId, targetId, retryProcessor, relationships);
        client.connect(groupId, retryProcessor, targetId, Set.of("retry"));
        client.connect(groupId, retryProcessor, "PROCESSOR", parkedId, parkedType, Set.of("retries_exceeded", "failure"));
        return retryProcessor;
    }

    /**
     * PutDatabaseRecord (UPSERT unless {@code overrides} say otherwise) behind {@code upstreamRelationship} of
     * {@code upstreamId}, reading through {@code reader} (an explicit-schema reader of the table's rows, see
     * {@link #schemaReader}); its failure and retry go to a RetryFlowFile that sends them back, penalised, up to
     * {@code #{retry.max}} times, then to {@code parkedId} (a funnel or an output port). {@code overrides} replace
     * PutDatabaseRecord's other properties (e.g. another statement type).
     */
    static String putWithRetry(final NiFiRestClient client, final String groupId, final String what, final String table,
                               final String updateKeys, final Map<String, String> services, final String reader, final String upstreamId,
                               final String upstreamRelationship, final String parkedId, final String parkedType,
                               final double x, final double y, final Map<String, String> overrides) {
        final Map<String, String> put = new LinkedHashMap<>();
        put.put("put-db-record-record-reader", reader);
        put.put("db-type", "PostgreSQL");
        put.put("put-db-record-statement-type", "UPSERT");
        put.put("put-db-record-dcbp-service", services.get("dbcp"));
        put.put("put-db-record-table-name", table);
        if (updateKeys != null) {
            put.put("put-db-record-update-keys", updateKeys);
        }
        put.putAll(overrides);
        final String verb = "INSERT".equals(put.get("put-db-record-statement-type")) ? "Insert " : "Upsert ";
        final String putRecords = client.createProcessor(groupId, PUT_DATABASE_RECORD, verb + what, put, null, Set.of("success"));
        client.moveComponent("processors", putRecords, x, y);
        client.connect(groupId, upstreamId, putRecords, Set.of(upstreamRelationship));

        // PutDatabaseRecord does not penalise what it routes to failure, so this penalty alone spaces the attempts: 30 s
        // gives a database that restarts or fails over #{retry.max} x 30 s (2.5 min with the default) before anything is
        // parked (10 s parked a FlowFile when the database was away for a minute, in FaultE2ETest).
        final String retryWrite = retryInto(client, groupId, "Retry " + what + " write", putRecords, Set.of("retry"), "flowfile.retries",
                "30 sec", parkedId, parkedType, x + 450, y);
        // PostgreSQL's driver raises no SQLTransientException, so PutDatabaseRecord routes nearly every error to failure:
        // its message (putdatabaserecord.error) tells a transient error from one that fails the same way every time.
        final String classify = client.createProcessor(groupId, ROUTE_ON_ATTRIBUTE, "Classify " + what + " write failure", Map.of(),
                Map.of(TRANSIENT_ROUTE, TRANSIENT_WRITE_ERROR), null, Set.of());
        client.moveComponent("processors", classify, x + 450, y - 200);
        client.connect(groupId, putRecords, classify, Set.of("failure"));
        client.connect(groupId, classify, retryWrite, Set.of(TRANSIENT_ROUTE));
        // Constraint violations, data errors and anything not known to be transient: parked at once, with the reason.
        client.connect(groupId, classify, "PROCESSOR", parkedId, parkedType, Set.of("unmatched"));
        return putRecords;
    }
}
