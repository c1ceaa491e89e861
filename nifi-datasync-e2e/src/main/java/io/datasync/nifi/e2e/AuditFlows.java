package io.datasync.nifi.e2e;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Builds the {@value #SYNC_AUDIT} template through the REST API: AuditProfileStore on a schedule (primary node only)
 * -> PutDatabaseRecord INSERT of its one audit record a run into the audit table; with Repair Mode Emit Repairs, its
 * merges are folded as the ingest templates fold CustomerDedup's (ProfileMerge with Retired Customer Key Field, then
 * the UPSERT whose trigger retires the merged-away row) and its violations go through consent-sync's withdrawal action
 * (anonymise or delete the stored profile, chosen by the same parameter). Every table and column name is a parameter with
 * today's names as defaults; secrets are sensitive parameters.
 */
public final class AuditFlows {

    public static final String SYNC_AUDIT = "sync-audit";
    public static final Set<String> SENSITIVE_PARAMETERS = Set.of("db.password");

    /** Processor names the tests address. */
    public static final String AUDIT = "Audit profile store";
    public static final String WRITE_AUDIT = "Write audit record";
    public static final String FOLD_INSTRUCTIONS = "Fold instructions";
    public static final String FOLD_PROFILES = "Fold merged profiles";
    public static final String WRITE_FOLDED = "Upsert folded profile";

    /** The audit's schedule; NiFi 2.3.0 refuses a parameter reference as scheduling period over REST. */
    static final String SCHEDULE = "1 hour";


    private AuditFlows() {
    }

    /** Template defaults: no secrets, no local paths or ports of this machine. */
    public static Map<String, String> defaultParameters() {
        final Map<String, String> values = new LinkedHashMap<>();
        values.put("db.url", "jdbc:postgresql://db.example.internal:5432/datasync?" + DatasyncChain.PRIVACY_SAFE_JDBC_OPTIONS);
        values.put("db.driver.location", "drivers/postgresql.jar");
        values.put("db.user", "datasync");
        values.put("db.password", "");
        PostgresPool.putTlsDefaults(values);
        values.put("db.profiles.table", "customer_profiles");
        // what ProfileMerge reads the stored profiles from when it folds a merge (sql/02_profiles.sql)
        values.put("db.profiles.lookup.table", "customer_profiles_lookup");
        values.put("db.profiles.id.column", "customer_id");
        values.put("db.profiles.subject.key.column", "subject_key");
        values.put("db.profiles.email.column", "email");
        values.put("db.profiles.phone.column", "phone");
        values.put("db.consent.lookup.table", "consent_lookup");
        values.put("db.suppression.table", "suppression");
        values.put("db.sync.runs.table", "sync_runs");
        values.put("db.audit.table", "audit");
        values.put("consent.purpose", "email_marketing");
        values.put("identity.default.phone.region", "US");
        values.put("audit.sla.crm", "2 hours");
        values.put("audit.sla.ftp", "26 hours");
        values.put("audit.repair.mode", "REPORT_ONLY");
        values.put("audit.max.repairs", "10000");
        values.put("profile.withdrawal.action", "ANONYMISE");
        return values;
    }

    /** Builds the flow in a new child group; returns the group id. */
    public static String build(final NiFiRestClient client, final String parentGroupId, final Map<String, String> parameters) {
        final String groupId = client.createProcessGroup(parentGroupId, SYNC_AUDIT);
        client.bindParameterContext(groupId, client.createParameterContext(SYNC_AUDIT, parameters, SENSITIVE_PARAMETERS));

        final String reader = client.createControllerService(groupId, "org.apache.nifi.json.JsonTreeReader", "JSON reader", Map.of(
                "schema-access-strategy", "infer-schema"));
        final String writer = client.createControllerService(groupId, "org.apache.nifi.json.JsonRecordSetWriter", "JSON writer", Map.of());
        // The audit record's times are ISO-8601 text; read as timestamps so PostgreSQL gets timestamptz values.
        final String databaseReader = client.createControllerService(groupId, "org.apache.nifi.json.JsonTreeReader",
                "JSON reader for the database", Map.of(
                        "schema-access-strategy", "infer-schema",
                        "Timestamp Format", "yyyy-MM-dd'T'HH:mm:ssX"));
        final String dbcp = PostgresPool.create(client, groupId, "PostgreSQL", 4);

        final Map<String, String> audit = new LinkedHashMap<>();
        audit.put("Database Connection Pooling Service", dbcp);
        audit.put("Record Writer", writer);
        audit.put("Profile Table Name", "#{db.profiles.table}");
        audit.put("Customer ID Column", "#{db.profiles.id.column}");
        audit.put("Subject Key Column", "#{db.profiles.subject.key.column}");
        audit.put("Email Column", "#{db.profiles.email.column}");
        audit.put("Phone Column", "#{db.profiles.phone.column}");
        audit.put("Default Phone Region", "#{identity.default.phone.region}");
        audit.put("Consent Table Name", "#{db.consent.lookup.table}");
        audit.put("Purposes", "#{consent.purpose}");
        audit.put("Default Policy", "REQUIRE_CONSENT");
        audit.put("Suppression Table Name", "#{db.suppression.table}");
        audit.put("Sync Runs Table Name", "#{db.sync.runs.table}");
        audit.put("Repair Mode", "#{audit.repair.mode}");
        audit.put("Maximum Repairs Per Run", "#{audit.max.repairs}");
        final String auditor = client.createProcessor(groupId, "io.datasync.nifi.processors.AuditProfileStore", AUDIT, audit,
                Map.of("crm", "#{audit.sla.crm}", "ftp", "#{audit.sla.ftp}"), SCHEDULE, Set.of());
        final String writeAudit = putDatabaseRecord(client, groupId, databaseReader, dbcp, WRITE_AUDIT, "INSERT", "#{db.audit.table}", null);
        final String failures = client.createFunnel(groupId);
        client.connect(groupId, auditor, writeAudit, Set.of("audit"));
        client.connect(groupId, writeAudit, "PROCESSOR", failures, "FUNNEL", Set.of("failure", "retry"));

        // Merges: folded as the ingest templates fold CustomerDedup's merges. Each merge becomes a fold instruction (the
        // survivor in the id column, the merged-away id in retired_customer_ids; tags and source_ids present and empty, so
        // the UPSERT sets them to what the table's trigger took over from the retired row). ProfileMerge reads both stored
        // profiles and merges them by their lineage; the UPSERT writes the survivor, and the trigger deletes the
        // merged-away row in the same statement (sql/02_profiles.sql).
        final String instructions = client.createProcessor(groupId, "org.apache.nifi.processors.standard.QueryRecord", FOLD_INSTRUCTIONS,
                Map.of("record-reader", reader,
                        "record-writer", writer,
                        "include-zero-record-flowfiles", "false"),
                Map.of("fold", "SELECT surviving_customer_id AS #{db.profiles.id.column}, old_customer_id AS retired_customer_ids,"
                        + " CAST(NULL AS VARCHAR) AS tags, CAST(NULL AS VARCHAR) AS source_ids FROM FLOWFILE"), null, Set.of("original"));
        final Map<String, String> merge = new LinkedHashMap<>();
        merge.put("Record Reader", reader);
        merge.put("Record Writer", writer);
        merge.put("Customer Key Record Path", "/#{db.profiles.id.column}");
        merge.put("Source Field", "source");
        merge.put("Record Timestamp Field", "updated_at");
        merge.put("Default Rule", "latest_non_empty");
        merge.put("Stored Profile Store Type", "DATABASE");
        merge.put("Stored Profile Connection Pool", dbcp);
        merge.put("Stored Profile Table Name", "#{db.profiles.lookup.table}");
        merge.put("Stored Profile Key Column", "#{db.profiles.id.column}");
        merge.put("Lineage Field", "merge_lineage");
        merge.put("Retired Customer Key Field", "retired_customer_ids");
        // the ingest templates' survivorship rules (DatasyncChain)
        final String fold = client.createProcessor(groupId, "io.datasync.nifi.processors.ProfileMerge", FOLD_PROFILES, merge,
                Map.of("tags", "union", "source_ids", "union", "last_order_at", "max", "updated_at", "max"), null, Set.of());
        final String writeFolded = putDatabaseRecord(client, groupId, databaseReader, dbcp, WRITE_FOLDED, "UPSERT", "#{db.profiles.table}",
                "#{db.profiles.id.column}");
        client.connect(groupId, auditor, instructions, Set.of("merges"));
        client.connect(groupId, instructions, fold, Set.of("fold"));
        client.connect(groupId, instructions, "PROCESSOR", failures, "FUNNEL", Set.of("failure"));
        // a stored profile that cannot be read now (database away): penalised and tried again
        client.connect(groupId, fold, fold, Set.of("retry"));
        client.connect(groupId, fold, writeFolded, Set.of("success"));
        client.connect(groupId, fold, "PROCESSOR", failures, "FUNNEL", Set.of("failure"));
        client.connect(groupId, writeFolded, "PROCESSOR", failures, "FUNNEL", Set.of("failure", "retry"));

        // Violations: consent-sync's withdrawal action, chosen by the same parameter.
        final String choose = client.createProcessor(groupId, "org.apache.nifi.processors.standard.QueryRecord", "Choose withdrawal action",
                Map.of("record-reader", reader,
                        "record-writer", writer,
                        "include-zero-record-flowfiles", "false"),
                Map.of("anonymise", RealtimeFlows.ANONYMIZE_QUERY.formatted(""), "delete", RealtimeFlows.DELETE_QUERY.formatted("")),
                null, Set.of("original"));
        final String anonymize = putDatabaseRecord(client, groupId, reader, dbcp, "Anonymise stored profile", "UPDATE", "#{db.profiles.table}",
                "#{db.profiles.id.column}");
        final String delete = putDatabaseRecord(client, groupId, reader, dbcp, "Delete stored profile", "DELETE", "#{db.profiles.table}", null);
        client.connect(groupId, auditor, choose, Set.of("violations"));
        client.connect(groupId, choose, anonymize, Set.of("anonymise"));
        client.connect(groupId, choose, delete, Set.of("delete"));
        client.connect(groupId, choose, "PROCESSOR", failures, "FUNNEL", Set.of("failure"));
        client.connect(groupId, anonymize, "PROCESSOR", failures, "FUNNEL", Set.of("failure", "retry"));
        client.connect(groupId, delete, "PROCESSOR", failures, "FUNNEL", Set.of("failure", "retry"));

        // Top to bottom: the audit, its record, then the two repair branches side by side; failures to the right.
        client.moveComponent("processors", auditor, 0, 0);
        client.moveComponent("processors", writeAudit, 0, 250);
        client.moveComponent("processors", instructions, -500, 250);
        client.moveComponent("processors", fold, -500, 500);
        client.moveComponent("processors", writeFolded, -500, 750);
        client.moveComponent("processors", choose, 500, 250);
        client.moveComponent("processors", anonymize, 300, 500);
        client.moveComponent("processors", delete, 700, 500);
        client.moveComponent("funnels", failures, 0, 1000);
        return groupId;
    }

    private static String putDatabaseRecord(final NiFiRestClient client, final String groupId, final String reader, final String dbcp,
                                            final String name, final String statementType, final String table, final String keys) {
        final Map<String, String> properties = new LinkedHashMap<>();
        properties.put("put-db-record-record-reader", reader);
        properties.put("db-type", "PostgreSQL");
        properties.put("put-db-record-statement-type", statementType);
        properties.put("put-db-record-dcbp-service", dbcp);
        properties.put("put-db-record-table-name", table);
        if (keys != null) {
            properties.put("put-db-record-update-keys", keys);
        }
        properties.put("put-db-record-unmatched-field-behavior", "Ignore Unmatched Fields");
        properties.put("put-db-record-unmatched-column-behavior", "Ignore Unmatched Columns");
        return client.createProcessor(groupId, "org.apache.nifi.processors.standard.PutDatabaseRecord", name, properties, null, Set.of("success"));
    }
}
