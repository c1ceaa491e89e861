package io.datasync.nifi.e2e;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Builds the {@value #SYNC_AUDIT} template through the REST API: AuditProfileStore on a schedule (primary node only)
 * -> PutDatabaseRecord INSERT of its one audit record a run into the audit table; with Repair Mode Emit Repairs, its
 * merges delete the merged-away stored rows and its violations go through consent-sync's withdrawal action (anonymise
 * or delete the stored profile, chosen by the same parameter). Every table and column name is a parameter with
 * today's names as defaults; secrets are sensitive parameters.
 */
public final class AuditFlows {

    public static final String SYNC_AUDIT = "sync-audit";
    public static final Set<String> SENSITIVE_PARAMETERS = Set.of("db.password");

    /** Processor names the tests address. */
    public static final String AUDIT = "Audit profile store";
    public static final String WRITE_AUDIT = "Write audit record";

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
        values.put("db.profiles.table", "customer_profiles");
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
        final String dbcp = client.createControllerService(groupId, "org.apache.nifi.dbcp.DBCPConnectionPool", "PostgreSQL", Map.of(
                "Database Connection URL", "#{db.url}",
                "Database Driver Class Name", "org.postgresql.Driver",
                "database-driver-locations", "#{db.driver.location}",
                "Database User", "#{db.user}",
                "Password", "#{db.password}",
                "Max Total Connections", "4"));

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

        // Merges: the merged-away stored row goes; the surviving row keeps its values.
        final String mergedAway = client.createProcessor(groupId, "org.apache.nifi.processors.standard.QueryRecord", "Merged-away ids", Map.of(
                "record-reader", reader,
                "record-writer", writer,
                "include-zero-record-flowfiles", "false"),
                Map.of("merged_away", "SELECT old_customer_id AS #{db.profiles.id.column} FROM FLOWFILE"), null, Set.of("original"));
        final String deleteMerged = putDatabaseRecord(client, groupId, reader, dbcp, "Delete merged-away profile", "DELETE",
                "#{db.profiles.table}", null);
        client.connect(groupId, auditor, mergedAway, Set.of("merges"));
        client.connect(groupId, mergedAway, deleteMerged, Set.of("merged_away"));
        client.connect(groupId, mergedAway, "PROCESSOR", failures, "FUNNEL", Set.of("failure"));
        client.connect(groupId, deleteMerged, "PROCESSOR", failures, "FUNNEL", Set.of("failure", "retry"));

        // Violations: consent-sync's withdrawal action, chosen by the same parameter.
        final String choose = client.createProcessor(groupId, "org.apache.nifi.processors.standard.QueryRecord", "Choose withdrawal action",
                Map.of("record-reader", reader,
                        "record-writer", writer,
                        "include-zero-record-flowfiles", "false"),
                Map.of("anonymise", RealtimeFlows.ANONYMISE_QUERY.formatted(""), "delete", RealtimeFlows.DELETE_QUERY.formatted("")),
                null, Set.of("original"));
        final String anonymise = putDatabaseRecord(client, groupId, reader, dbcp, "Anonymise stored profile", "UPDATE", "#{db.profiles.table}",
                "#{db.profiles.id.column}");
        final String delete = putDatabaseRecord(client, groupId, reader, dbcp, "Delete stored profile", "DELETE", "#{db.profiles.table}", null);
        client.connect(groupId, auditor, choose, Set.of("violations"));
        client.connect(groupId, choose, anonymise, Set.of("anonymise"));
        client.connect(groupId, choose, delete, Set.of("delete"));
        client.connect(groupId, choose, "PROCESSOR", failures, "FUNNEL", Set.of("failure"));
        client.connect(groupId, anonymise, "PROCESSOR", failures, "FUNNEL", Set.of("failure", "retry"));
        client.connect(groupId, delete, "PROCESSOR", failures, "FUNNEL", Set.of("failure", "retry"));

        // Top to bottom: the audit, its record, then the two repair branches side by side; failures to the right.
        client.moveComponent("processors", auditor, 0, 0);
        client.moveComponent("processors", writeAudit, 0, 250);
        client.moveComponent("processors", mergedAway, -500, 250);
        client.moveComponent("processors", deleteMerged, -500, 500);
        client.moveComponent("processors", choose, 500, 250);
        client.moveComponent("processors", anonymise, 300, 500);
        client.moveComponent("processors", delete, 700, 500);
        client.moveComponent("funnels", failures, 0, 750);
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
