package io.datasync.nifi.e2e;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds the two real-time templates through the REST API, as a data engineer would in the UI:
 * <ul>
 *   <li>{@value #WEBHOOK_REALTIME}: HandleHttpRequest -> VerifyWebhookSignature -> HandleHttpResponse (the sender is
 *   answered 200/401 at once); valid events -> subject key -> ConsentFilter -> CustomerDedup (the batch templates' identity
 *   store and identifier rules, {@link DatasyncChain#identityLinking}) -> ProfileMerge (merges found folded in) ->
 *   ConsentFilter again -> PutDatabaseRecord UPSERT -> ConsentFilter a third time, whose excluded records are
 *   anonymised or deleted (the check after the write closes the race with a withdrawal, see docs/realtime.md);</li>
 *   <li>{@value #CONSENT_SYNC}: signed consent webhooks -> consent UPSERT; on a withdrawal, a suppression row and the
 *   stored profiles of that subject key anonymised or deleted, after the consent row is committed.</li>
 * </ul>
 * Every host, port, table and credential is a parameter; secrets are sensitive parameters, which NiFi leaves out of a
 * downloaded flow definition. {@link #exportTemplates} builds both with neutral defaults and writes the definitions
 * that {@code templates/} holds.
 */
public final class RealtimeFlows {

    public static final String WEBHOOK_REALTIME = "webhook-realtime";
    public static final String CONSENT_SYNC = "consent-sync";
    public static final Set<String> SENSITIVE_PARAMETERS = Set.of("webhook.secret", "db.password", "webhook.tls.keystore.password",
            "identity.hash.key");

    /** Processor names the tests address. */
    public static final String RECEIVE = "Receive webhook";
    public static final String VERIFY = "Verify signature";
    public static final String PROFILE_MERGE = "Merge golden profile";
    public static final String UPSERT_PROFILE = "Upsert customer profile";

    /** Profile columns emptied by the anonymising action: everything that identifies or describes the person. */
    static final String ANONYMIZE_QUERY = """
            SELECT customer_id, customer_id AS subject_key,
                   CAST(NULL AS VARCHAR) AS email, CAST(NULL AS VARCHAR) AS phone,
                   CAST(NULL AS VARCHAR) AS first_name, CAST(NULL AS VARCHAR) AS last_name,
                   CAST(NULL AS VARCHAR) AS city, CAST(NULL AS VARCHAR) AS tags,
                   CAST(NULL AS VARCHAR) AS source_ids, FALSE AS consent_email
            FROM FLOWFILE
            WHERE %s '#{profile.withdrawal.action}' = 'ANONYMISE'""";
    static final String DELETE_QUERY = """
            SELECT customer_id FROM FLOWFILE
            WHERE %s '#{profile.withdrawal.action}' = 'DELETE'""";

    static final String EXCLUSION_AUDIT_ROWS = "Exclusion audit rows";
    static final String SUBJECT_KEY_STEP = "Add subject key";
    static final String FIND_CUSTOMER = "Find stored customer";
    static final String FOLD = "Fold merged customers";
    /** webhook-realtime's child group: ProfileMerge, the re-check before the write and the UPSERT, one FlowFile at a time. */
    public static final String MERGE_GROUP = "Merge and store profile";
    /**
     * A customer event's source id as the batch templates write it ({@code source:source_id}); empty when either part
     * is missing or empty (RecordPath's concat writes a missing value as nothing or as "null"), so an event without a
     * source id never gets a shared "shop:" key.
     */
    static final String SOURCE_IDS_PATH_VALUE = "replaceRegex(concat(/source, ':', /source_id), '^(null)?:.*$|^.*:(null)?$', '')";

    private RealtimeFlows() {
    }

    /** Template defaults: no secrets, no local paths or ports of this machine. */
    public static Map<String, String> defaultParameters(final String flow) {
        final Map<String, String> values = new LinkedHashMap<>();
        values.put("webhook.host", "127.0.0.1");
        values.put("webhook.port", WEBHOOK_REALTIME.equals(flow) ? "8081" : "8082");
        values.put("webhook.path", WEBHOOK_REALTIME.equals(flow) ? "/webhooks/customers" : "/webhooks/consent");
        values.put("webhook.secret", "");
        // Secure by default: the listener serves HTTPS only (Shopify and Stripe deliver to HTTPS endpoints only) and the
        // database connection verifies the server's certificate and host name. docs/security.md: how to switch off.
        values.put("webhook.tls.keystore", "/opt/nifi/conf/tls/webhook-keystore.p12");
        values.put("webhook.tls.keystore.type", "PKCS12");
        values.put("webhook.tls.keystore.password", "");
        PostgresPool.putTlsDefaults(values);
        values.put("db.url", "jdbc:postgresql://db.example.internal:5432/datasync?" + DatasyncChain.PRIVACY_SAFE_JDBC_OPTIONS);
        values.put("db.driver.location", "drivers/postgresql.jar");
        values.put("db.user", "datasync");
        values.put("db.password", "");
        values.put("db.profiles.table", "customer_profiles");
        values.put("db.consent.table", "consent");
        if (CONSENT_SYNC.equals(flow)) {
            values.put("db.suppression.table", "suppression");
        } else {
            values.put("db.consent.lookup.table", "consent_lookup");
            values.put("db.profiles.lookup.table", "customer_profiles_lookup");
            values.put("consent.purpose", "email_marketing");
            values.put("db.exclusions.table", "exclusions");
            // The batch templates' identity parameters, same names and defaults: pointed at the same database (or identity
            // cache) with the same namespace and hash key, a person has one customer id whichever template saw them first.
            for (final String shared : List.of("db.identity.table", "phone.region", "identity.namespace", "identity.store.type",
                    "identity.cache.host", "identity.cache.port")) {
                values.put(shared, DatasyncChain.PARAMETERS.get(shared));
            }
            values.put("identity.hash.key", "");
        }
        values.put("profile.withdrawal.action", "ANONYMISE");
        return values;
    }

    /**
     * The TLS parameters of a local run: the listener presents the test CA's server certificate, the database
     * connection verifies PostgreSQL's certificate against the test CA ({@code verify-full}).
     */
    public static Map<String, String> localTlsParameters(final TestPki pki) {
        final Map<String, String> values = new LinkedHashMap<>();
        values.put("webhook.tls.keystore", pki.server().keystore().toString());
        values.put("webhook.tls.keystore.type", "PKCS12");
        values.put("webhook.tls.keystore.password", pki.server().password());
        values.putAll(PostgresPool.localTlsParameters(pki));
        return values;
    }

    /** Builds the customer webhook flow in a new child group; returns the group id. */
    public static String buildWebhookRealtime(final NiFiRestClient client, final String parentGroupId, final Map<String, String> parameters) {
        final Common common = common(client, parentGroupId, WEBHOOK_REALTIME, parameters);
        final String groupId = common.groupId;
        final String consentBefore = consentFilter(client, common, "Check consent", Set.of("anonymized", "suppression"));
        // The batch templates' CustomerDedup, configured in one place: the shared identity store, e-mail (subject key),
        // phone (read in the record's country, stored in E.164) and source ids. A person a batch template stored keeps
        // that customer id here; two stored customers the webhook's identifiers link are reported on "merges".
        final String cacheClient = client.createControllerService(groupId, "org.apache.nifi.distributed.cache.client.MapCacheClientService",
                "Identity cache", Map.of(
                        "Server Hostname", "#{identity.cache.host}",
                        "Server Port", "#{identity.cache.port}"));
        final String dedup = DatasyncChain.identityLinking(client, groupId, common.reader, common.writer, common.dbcp, cacheClient);
        // Merges (old id -> surviving id) become fold instructions: ProfileMerge folds the old id's stored profile into the
        // survivor's, and the upsert retires the old row in the same statement (sql/02_profiles.sql), as the batch templates do.
        final String fold = client.createProcessor(groupId, DatasyncChain.UPDATE_RECORD, FOLD, Map.of(
                "Record Reader", common.reader,
                "Record Writer", common.writer,
                "Replacement Value Strategy", "record-path-value"), Map.of(
                "/customer_id", "/surviving_customer_id",
                "/retired_customer_ids", "/old_customer_id"), null, Set.of());
        // The stored profile read from the view through the pool, afresh for every FlowFile (no cache: a cached profile
        // would outlive its anonymisation).
        final Map<String, String> mergeProperties = new LinkedHashMap<>();
        mergeProperties.put("Record Reader", common.reader);
        mergeProperties.put("Record Writer", common.writer);
        mergeProperties.put("Customer Key Record Path", "/customer_id");
        mergeProperties.put("Source Field", "source");
        mergeProperties.put("Record Timestamp Field", "updated_at");
        mergeProperties.put("Stored Profile Store Type", "DATABASE");
        mergeProperties.put("Stored Profile Connection Pool", common.dbcp);
        mergeProperties.put("Stored Profile Table Name", "#{db.profiles.lookup.table}");
        mergeProperties.put("Stored Profile Key Column", "customer_id");
        mergeProperties.put("Lineage Field", "merge_lineage");
        mergeProperties.put("Retired Customer Key Field", "retired_customer_ids");
        // Merge, re-check and write run one FlowFile at a time (the batch templates' "Merge and store profiles"): the stored
        // profile ProfileMerge reads must already hold the previous FlowFile's write. Without it, a merge instruction and the
        // event that caused it (or two quick events of one person) read the same stored profile and the later write undoes
        // the earlier one (seen: a folded profile losing the webhook's newer city).
        final String store = client.createProcessGroup(groupId, MERGE_GROUP);
        client.bindParameterContext(store, client.parameterContextId(groupId));
        client.setFlowFileConcurrency(store, "SINGLE_FLOWFILE_PER_NODE", "STREAM_WHEN_AVAILABLE");
        final String in = client.createInputPort(store, "records of identified customers");
        final String written = client.createOutputPort(store, "written");
        final String refused = client.createOutputPort(store, "refused by consent");
        final String failed = client.createOutputPort(store, "failed");
        final String merge = client.createProcessor(store, "io.datasync.nifi.processors.ProfileMerge", PROFILE_MERGE, mergeProperties,
                null, Set.of());
        final String consentBeforeWrite = consentFilter(client, common, store, failed, "OUTPUT_PORT", "Re-check consent before write",
                Set.of("anonymized", "suppression"));
        final String upsert = putDatabaseRecord(client, common, store, UPSERT_PROFILE, "UPSERT", "#{db.profiles.table}", "customer_id", Set.of());
        client.moveComponent("input-ports", in, 0, 0);
        client.moveComponent("processors", merge, 0, 200);
        client.moveComponent("processors", consentBeforeWrite, 0, 450);
        client.moveComponent("processors", upsert, 0, 700);
        client.moveComponent("output-ports", written, 0, 950);
        client.moveComponent("output-ports", refused, 600, 450);
        client.moveComponent("output-ports", failed, 600, 700);
        client.connect(store, in, "INPUT_PORT", merge, "PROCESSOR", Set.of());
        client.connect(store, merge, merge, Set.of("retry"));
        client.connect(store, merge, "PROCESSOR", failed, "OUTPUT_PORT", Set.of("failure"));
        client.connect(store, merge, consentBeforeWrite, Set.of("success"));
        client.connect(store, consentBeforeWrite, "PROCESSOR", refused, "OUTPUT_PORT", Set.of("excluded"));
        client.connect(store, consentBeforeWrite, upsert, Set.of("success"));
        client.connect(store, upsert, "PROCESSOR", written, "OUTPUT_PORT", Set.of("success"));
        client.connect(store, upsert, "PROCESSOR", failed, "OUTPUT_PORT", Set.of("failure", "retry"));
        final String consentAfterWrite = consentFilter(client, common, "Re-check consent after write", Set.of("success", "anonymized", "suppression"));

        client.connect(groupId, common.updateKeys, consentBefore, Set.of("success"));
        client.connect(groupId, consentBefore, dedup, Set.of("success"));
        // Records and fold instructions join in one funnel, so they enter the group in the order CustomerDedup emitted them.
        final String identified = client.createFunnel(groupId);
        client.connect(groupId, dedup, "PROCESSOR", identified, "FUNNEL", Set.of("success"));
        client.connect(groupId, dedup, fold, Set.of("merges"));
        client.connect(groupId, fold, "PROCESSOR", identified, "FUNNEL", Set.of("success"));
        client.connect(groupId, fold, "PROCESSOR", common.failures, "FUNNEL", Set.of("failure"));
        client.connectAcrossGroups(groupId, identified, groupId, "FUNNEL", in, store, "INPUT_PORT", Set.of());
        client.connectAcrossGroups(groupId, written, store, "OUTPUT_PORT", consentAfterWrite, groupId, "PROCESSOR", Set.of());
        client.connectAcrossGroups(groupId, failed, store, "OUTPUT_PORT", common.failures, groupId, "FUNNEL", Set.of());
        client.connect(groupId, dedup, "PROCESSOR", common.failures, "FUNNEL", Set.of("failure"));
        withdrawalActions(client, common, consentAfterWrite, Set.of("excluded"), "");
        // Why a webhook's person was not stored: one row per excluded record in the exclusions table (subject key,
        // ConsentFilter's reason code, purpose; no other personal data), as the batch templates keep it.
        final String auditRows = DatasyncChain.exclusionAuditRows(client, groupId, common.reader, common.writer, "#{consent.purpose}");
        client.connect(groupId, consentBefore, auditRows, Set.of("excluded"));
        client.connectAcrossGroups(groupId, refused, store, "OUTPUT_PORT", auditRows, groupId, "PROCESSOR", Set.of());
        client.connect(groupId, auditRows, "PROCESSOR", common.failures, "FUNNEL", Set.of("failure"));
        // id and excluded_at are the database's
        final String insertExclusions = putDatabaseRecord(client, common, "Insert exclusions", "INSERT", "#{db.exclusions.table}", null,
                Set.of("success"));
        client.connect(groupId, auditRows, insertExclusions, Set.of(DatasyncChain.EXCLUSIONS_ROUTE));
        client.connect(groupId, insertExclusions, "PROCESSOR", common.failures, "FUNNEL", Set.of("failure", "retry"));
        return groupId;
    }

    /** Builds the consent change flow in a new child group; returns the group id. */
    public static String buildConsentSync(final NiFiRestClient client, final String parentGroupId, final Map<String, String> parameters) {
        final Common common = common(client, parentGroupId, CONSENT_SYNC, parameters);
        final String groupId = common.groupId;
        final String upsertConsent = putDatabaseRecord(client, common, "Upsert consent", "UPSERT", "#{db.consent.table}",
                "subject_key,purpose", Set.of());
        final String upsertSuppression = putDatabaseRecord(client, common, "Upsert suppression", "UPSERT", "#{db.suppression.table}",
                "subject_key", Set.of("success"));
        client.connect(groupId, common.updateKeys, upsertConsent, Set.of("success"));
        client.connect(groupId, upsertConsent, "PROCESSOR", common.failures, "FUNNEL", Set.of("failure", "retry"));
        client.connect(groupId, upsertSuppression, "PROCESSOR", common.failures, "FUNNEL", Set.of("failure", "retry"));

        // Runs only after the consent row is committed, so every ConsentFilter check that starts later sees the withdrawal.
        final String suppressionRows = client.createProcessor(groupId, "org.apache.nifi.processors.standard.QueryRecord",
                "Suppression rows of withdrawals", Map.of(
                        "record-reader", common.reader,
                        "record-writer", common.writer,
                        "include-zero-record-flowfiles", "false"),
                Map.of("suppression", "SELECT subject_key, 'consent_withdrawn' AS reason, updated_at AS decided_at FROM FLOWFILE "
                        + "WHERE status = 'WITHDRAWN'"), null, Set.of("original"));
        client.connect(groupId, upsertConsent, suppressionRows, Set.of("success"));
        client.connect(groupId, suppressionRows, upsertSuppression, Set.of("suppression"));
        client.connect(groupId, suppressionRows, "PROCESSOR", common.failures, "FUNNEL", Set.of("failure"));
        // A withdrawal acts on the stored profile of its subject key: its customer id is the identity store's (shared with
        // the batch templates), so it is read from the profile table, afresh (no cache: a merge may have retired an id).
        final String lookupService = client.createControllerService(groupId, "org.apache.nifi.lookup.db.SimpleDatabaseLookupService",
                "Customer id by subject key", Map.of(
                        "dbrecord-lookup-dbcp-service", common.dbcp,
                        "dbrecord-lookup-table-name", "#{db.profiles.table}",
                        "dbrecord-lookup-key-column", "subject_key",
                        "lookup-value-column", "customer_id",
                        "dbrecord-lookup-cache-size", "0"));
        final String findCustomer = client.createProcessor(groupId, "org.apache.nifi.processors.standard.LookupRecord", FIND_CUSTOMER, Map.of(
                "record-reader", common.reader,
                "record-writer", common.writer,
                "lookup-service", lookupService,
                "result-record-path", "/customer_id",
                "routing-strategy", "route-to-matched-unmatched"), Map.of("key", "/subject_key"), null, Set.of("unmatched"));
        client.connect(groupId, upsertConsent, findCustomer, Set.of("success"));
        client.connect(groupId, findCustomer, "PROCESSOR", common.failures, "FUNNEL", Set.of("failure"));
        withdrawalActions(client, common, findCustomer, Set.of("matched"), "status = 'WITHDRAWN' AND");
        return groupId;
    }

    /** Builds both templates with neutral defaults in a running NiFi and returns their flow definitions (pretty JSON). */
    public static Map<String, byte[]> exportTemplates(final NiFiRestClient client) {
        final String root = client.rootGroupId();
        final Map<String, byte[]> definitions = new LinkedHashMap<>();
        final String webhook = buildWebhookRealtime(client, root, defaultParameters(WEBHOOK_REALTIME));
        definitions.put(WEBHOOK_REALTIME, laidOut(client, client.downloadFlowDefinition(webhook), WEBHOOK_LAYOUT));
        final String consent = buildConsentSync(client, root, defaultParameters(CONSENT_SYNC));
        definitions.put(CONSENT_SYNC, laidOut(client, client.downloadFlowDefinition(consent), CONSENT_LAYOUT));
        return definitions;
    }

    /** Canvas positions (x, y) by processor name, so the imported flow reads top to bottom; the failure funnel last. */
    private static final Map<String, double[]> WEBHOOK_LAYOUT = Map.ofEntries(
            Map.entry(RECEIVE, new double[] {0, 0}), Map.entry(VERIFY, new double[] {0, 250}),
            Map.entry("Answer sender", new double[] {600, 250}), Map.entry(SUBJECT_KEY_STEP, new double[] {0, 500}),
            Map.entry("Check consent", new double[] {0, 750}), Map.entry("Link identities", new double[] {0, 1000}),
            Map.entry(PROFILE_MERGE, new double[] {0, 1250}), Map.entry("Re-check consent before write", new double[] {0, 1500}),
            Map.entry(UPSERT_PROFILE, new double[] {0, 1750}), Map.entry("Re-check consent after write", new double[] {0, 2000}),
            Map.entry("Choose withdrawal action", new double[] {0, 2250}), Map.entry("Anonymise stored profile", new double[] {-400, 2500}),
            Map.entry("Delete stored profile", new double[] {400, 2500}), Map.entry(EXCLUSION_AUDIT_ROWS, new double[] {-600, 1000}),
            Map.entry("Insert exclusions", new double[] {-600, 1250}), Map.entry(FOLD, new double[] {500, 1125}),
            Map.entry("funnel", new double[] {900, 1250}));
    private static final Map<String, double[]> CONSENT_LAYOUT = Map.ofEntries(
            Map.entry(RECEIVE, new double[] {0, 0}), Map.entry(VERIFY, new double[] {0, 250}),
            Map.entry("Answer sender", new double[] {600, 250}), Map.entry(SUBJECT_KEY_STEP, new double[] {0, 500}),
            Map.entry("Upsert consent", new double[] {0, 750}), Map.entry("Suppression rows of withdrawals", new double[] {600, 1000}),
            Map.entry("Upsert suppression", new double[] {600, 1250}), Map.entry(FIND_CUSTOMER, new double[] {0, 1000}),
            Map.entry("Choose withdrawal action", new double[] {0, 1250}),
            Map.entry("Anonymise stored profile", new double[] {-400, 1500}), Map.entry("Delete stored profile", new double[] {0, 1750}),
            Map.entry("funnel", new double[] {1200, 750}));

    private static byte[] laidOut(final NiFiRestClient client, final byte[] json, final Map<String, double[]> layout) {
        try {
            final com.fasterxml.jackson.databind.JsonNode definition = client.mapper().readTree(json);
            final com.fasterxml.jackson.databind.JsonNode contents = definition.path("flowContents");
            contents.path("processors").forEach(processor -> place(processor, layout.get(processor.path("name").asText())));
            contents.path("funnels").forEach(funnel -> place(funnel, layout.get("funnel")));
            return client.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(definition);
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void place(final com.fasterxml.jackson.databind.JsonNode component, final double[] position) {
        if (position != null) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) component.path("position")).put("x", position[0]).put("y", position[1]);
        }
    }

    /** What both flows share: group, context, services, the HTTP front (receive, verify, answer) and the subject key step. */
    private record Common(String groupId, String reader, String writer, String databaseReader, String dbcp, String failures,
                          String updateKeys) {
    }

    private static Common common(final NiFiRestClient client, final String parentGroupId, final String name, final Map<String, String> parameters) {
        final String groupId = client.createProcessGroup(parentGroupId, name);
        final String contextId = client.createParameterContext(name, parameters, SENSITIVE_PARAMETERS);
        client.bindParameterContext(groupId, contextId);

        // Timestamps stay ISO-8601 text, the form the stored-profile view returns, so ProfileMerge sees one type per field;
        // PostgreSQL parses the text into its timestamptz columns.
        final String reader = client.createControllerService(groupId, "org.apache.nifi.json.JsonTreeReader", "JSON reader", Map.of(
                "schema-access-strategy", "infer-schema"));
        final String writer = client.createControllerService(groupId, "org.apache.nifi.json.JsonRecordSetWriter", "JSON writer", Map.of());
        // PutDatabaseRecord binds a text value as VARCHAR, which PostgreSQL refuses for a timestamptz column: the
        // database writers read ISO-8601 text as timestamps.
        final String databaseReader = client.createControllerService(groupId, "org.apache.nifi.json.JsonTreeReader",
                "JSON reader for the database", Map.of(
                        "schema-access-strategy", "infer-schema",
                        "Timestamp Format", "yyyy-MM-dd'T'HH:mm:ssX"));
        final String dbcp = PostgresPool.create(client, groupId, "PostgreSQL", 8);
        final String webhookTls = client.createControllerService(groupId, "org.apache.nifi.ssl.StandardRestrictedSSLContextService",
                "Webhook TLS", Map.of(
                        "Keystore Filename", "#{webhook.tls.keystore}",
                        "Keystore Password", "#{webhook.tls.keystore.password}",
                        "Keystore Type", "#{webhook.tls.keystore.type}",
                        "SSL Protocol", "TLS"));
        final String contextMap = client.createControllerService(groupId, "org.apache.nifi.http.StandardHttpContextMap",
                "HTTP context map", Map.of());

        final String receive = client.createProcessor(groupId, "org.apache.nifi.processors.standard.HandleHttpRequest", RECEIVE, Map.ofEntries(
                Map.entry("Listening Port", "#{webhook.port}"),
                Map.entry("Hostname", "#{webhook.host}"),
                Map.entry("SSL Context Service", webhookTls),
                Map.entry("Client Authentication", "No Authentication"),
                Map.entry("HTTP Context Map", contextMap),
                Map.entry("Allowed Paths", "#{webhook.path}"),
                Map.entry("Allow GET", "false"),
                Map.entry("Allow PUT", "false"),
                Map.entry("Allow DELETE", "false"),
                Map.entry("Allow HEAD", "false"),
                Map.entry("Allow OPTIONS", "false")), null, Set.of());
        final String verify = client.createProcessor(groupId, "io.datasync.nifi.processors.VerifyWebhookSignature", VERIFY, Map.of(
                "Signature Scheme", "SHOPIFY",
                "Secret", "#{webhook.secret}"), null, Set.of());
        final String answer = client.createProcessor(groupId, "org.apache.nifi.processors.standard.HandleHttpResponse", "Answer sender", Map.of(
                "HTTP Status Code", "${webhook.status.code}",
                "HTTP Context Map", contextMap), null, Set.of("success"));
        // The batch templates' subject key (DatasyncChain.SUBJECT_KEY_PATH_VALUE): consent rows, consent checks and
        // identities keyed alike in every template. Customer events also get their e-mail trimmed and lower-cased and their
        // source id ("shop:s-100", the batch form), empty when the event has no source or no source id (an empty
        // identifier links nothing). The customer id is CustomerDedup's, never derived here.
        final Map<String, String> keys = new LinkedHashMap<>();
        keys.put("/subject_key", DatasyncChain.SUBJECT_KEY_PATH_VALUE);
        if (WEBHOOK_REALTIME.equals(name)) {
            keys.put("/email", "toLowerCase(trim(/email))");
            keys.put("/source_ids", SOURCE_IDS_PATH_VALUE);
        }
        final String updateKeys = client.createProcessor(groupId, "org.apache.nifi.processors.standard.UpdateRecord",
                SUBJECT_KEY_STEP, Map.of(
                        "Record Reader", reader,
                        "Record Writer", writer,
                        "Replacement Value Strategy", "record-path-value"),
                keys, null, Set.of());
        final String failures = client.createFunnel(groupId);

        client.connect(groupId, receive, verify, Set.of("success"));
        client.connect(groupId, verify, answer, Set.of("valid", "invalid", "duplicate", "failure"));
        client.connect(groupId, verify, updateKeys, Set.of("valid"));
        client.connect(groupId, answer, "PROCESSOR", failures, "FUNNEL", Set.of("failure"));
        client.connect(groupId, updateKeys, "PROCESSOR", failures, "FUNNEL", Set.of("failure"));
        return new Common(groupId, reader, writer, databaseReader, dbcp, failures, updateKeys);
    }

    /**
     * A ConsentFilter reading the consent view through the pool, one query per FlowFile (per 500 subjects), never cached:
     * a withdrawal committed before a check starts is seen by it.
     */
    /** A ConsentFilter routing disallowed records to {@code excluded}; {@code autoTerminated} are the relationships not followed. */
    private static String consentFilter(final NiFiRestClient client, final Common common, final String name, final Set<String> autoTerminated) {
        return consentFilter(client, common, common.groupId, common.failures, "FUNNEL", name, autoTerminated);
    }

    /** The same in {@code groupId}, its failures into {@code failuresId} (a funnel or an output port of that group). */
    private static String consentFilter(final NiFiRestClient client, final Common common, final String groupId, final String failuresId,
                                        final String failuresType, final String name, final Set<String> autoTerminated) {
        final Map<String, String> properties = new LinkedHashMap<>();
        properties.put("Record Reader", common.reader);
        properties.put("Record Writer", common.writer);
        properties.put("Purposes", "#{consent.purpose}");
        properties.put("Subject Key Record Path", "/subject_key");
        properties.put("Consent Store Type", "DATABASE");
        properties.put("Database Connection Pooling Service", common.dbcp);
        properties.put("Consent Table Name", "#{db.consent.lookup.table}");
        properties.put("Subject Key Column", "subject_key");
        // As in the batch templates: the event's country (ISO 3166-2, US-CA) decides which jurisdiction lists apply.
        properties.put("Jurisdiction Record Path", "/country");
        properties.put("Default Policy", "REQUIRE_CONSENT");
        properties.put("Disallowed Record Action", "ROUTE_TO_EXCLUDED");
        final String id = client.createProcessor(groupId, "io.datasync.nifi.processors.ConsentFilter", name, properties, null, autoTerminated);
        client.connect(groupId, id, id, Set.of("retry"));
        client.connect(groupId, id, "PROCESSOR", failuresId, failuresType, Set.of("failure"));
        return id;
    }

    private static String putDatabaseRecord(final NiFiRestClient client, final Common common, final String name, final String statementType,
                                            final String table, final String keys, final Set<String> autoTerminated) {
        return putDatabaseRecord(client, common, common.groupId, name, statementType, table, keys, autoTerminated);
    }

    private static String putDatabaseRecord(final NiFiRestClient client, final Common common, final String groupId, final String name,
                                            final String statementType, final String table, final String keys,
                                            final Set<String> autoTerminated) {
        final Map<String, String> properties = new LinkedHashMap<>();
        properties.put("put-db-record-record-reader", common.databaseReader);
        properties.put("db-type", "PostgreSQL");
        properties.put("put-db-record-statement-type", statementType);
        properties.put("put-db-record-dcbp-service", common.dbcp);
        properties.put("put-db-record-table-name", table);
        if (keys != null) {
            properties.put("put-db-record-update-keys", keys);
        }
        // Records carry routing fields (source, decision fields) that are not columns; columns they lack keep their value.
        properties.put("put-db-record-unmatched-field-behavior", "Ignore Unmatched Fields");
        properties.put("put-db-record-unmatched-column-behavior", "Ignore Unmatched Columns");
        return client.createProcessor(groupId, "org.apache.nifi.processors.standard.PutDatabaseRecord", name, properties, null,
                autoTerminated);
    }

    /**
     * QueryRecord picks the action named by the parameter {@code profile.withdrawal.action} (ANONYMISE or DELETE) and
     * PutDatabaseRecord applies it to the stored profile, keyed by customer id.
     */
    private static void withdrawalActions(final NiFiRestClient client, final Common common, final String sourceId,
                                          final Set<String> relationships, final String condition) {
        final String choose = client.createProcessor(common.groupId, "org.apache.nifi.processors.standard.QueryRecord",
                "Choose withdrawal action", Map.of(
                        "record-reader", common.reader,
                        "record-writer", common.writer,
                        "include-zero-record-flowfiles", "false"),
                Map.of("anonymise", ANONYMIZE_QUERY.formatted(condition), "delete", DELETE_QUERY.formatted(condition)),
                null, Set.of("original"));
        final String anonymize = putDatabaseRecord(client, common, "Anonymise stored profile", "UPDATE", "#{db.profiles.table}",
                "customer_id", Set.of("success"));
        final String delete = putDatabaseRecord(client, common, "Delete stored profile", "DELETE", "#{db.profiles.table}", null,
                Set.of("success"));
        client.connect(common.groupId, sourceId, choose, relationships);
        client.connect(common.groupId, choose, anonymize, Set.of("anonymise"));
        client.connect(common.groupId, choose, delete, Set.of("delete"));
        client.connect(common.groupId, choose, "PROCESSOR", common.failures, "FUNNEL", Set.of("failure"));
        client.connect(common.groupId, anonymize, "PROCESSOR", common.failures, "FUNNEL", Set.of("failure", "retry"));
        client.connect(common.groupId, delete, "PROCESSOR", common.failures, "FUNNEL", Set.of("failure", "retry"));
    }
}
