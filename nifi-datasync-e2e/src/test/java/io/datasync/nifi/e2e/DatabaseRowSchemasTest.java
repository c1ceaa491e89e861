package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The explicit schemas the database writes read through (issue 17: no inference pass) against the tables the harness
 * creates from {@code sql/}: every field names a column, every column a write must fill is a field, and a field is
 * typed as a timestamp exactly when its column is a timestamp, so a write never drops a value the records carry or
 * hands PostgreSQL text for a time. The profile rows must also keep every field ProfileMerge's writer puts out. The
 * stock flow's contact rows are checked against its table the same way. No NiFi starts.
 */
class DatabaseRowSchemasTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static PostgresPeer postgres;

    @BeforeAll
    static void startPostgres() {
        postgres = PostgresPeer.start(Path.of(System.getProperty("nifi.e2e.runs", "target/e2e-runs"), "row-schemas-" + System.currentTimeMillis()));
        postgres.execute(StockConsentDedupFlow.TABLE_DDL);
    }

    @AfterAll
    static void stopPostgres() {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void profileRowsMatchTheProfilesTable() throws IOException {
        assertMatchesTable(DatasyncChain.PROFILE_ROW_SCHEMA, "customer_profiles");
    }

    @Test
    void profileRowsKeepEveryFieldProfileMergeWrites() throws IOException {
        assertEquals(fields(DatasyncChain.PROFILE_SCHEMA).keySet(), fields(DatasyncChain.PROFILE_ROW_SCHEMA).keySet());
    }

    @Test
    void suppressionRowsMatchTheSuppressionTable() throws IOException {
        assertMatchesTable(DatasyncChain.SUPPRESSION_ROW_SCHEMA, "suppression");
    }

    @Test
    void exclusionRowsMatchTheExclusionsTable() throws IOException {
        assertMatchesTable(DatasyncChain.EXCLUSION_ROW_SCHEMA, "exclusions");
    }

    @Test
    void syncRunRowsMatchTheSyncRunsTable() throws IOException {
        assertMatchesTable(DatasyncChain.SYNC_RUN_ROW_SCHEMA, "sync_runs");
    }

    @Test
    void syncRunRowNamesTheFieldsOfItsSchema() throws IOException {
        // the row ReplaceText writes and the schema its insert reads it through must not drift apart
        final String row = DatasyncChain.syncRunRow("ftp");
        for (final String field : fields(DatasyncChain.SYNC_RUN_ROW_SCHEMA).keySet()) {
            assertTrue(row.contains("\"" + field + "\": "), () -> field + " missing from " + row);
        }
    }

    @Test
    void stockContactRowsMatchTheStockTable() throws IOException {
        assertMatchesTable(StockConsentDedupFlow.CONTACT_ROW_SCHEMA, StockConsentDedupFlow.TABLE);
    }

    private static void assertMatchesTable(final String schema, final String table) throws IOException {
        final Map<String, Boolean> fieldIsTimestamp = fields(schema);
        final Map<String, Column> columns = columns(table);
        assertTrue(columns.keySet().containsAll(fieldIsTimestamp.keySet()),
                () -> "fields that are no column of " + table + ": " + minus(fieldIsTimestamp.keySet(), columns.keySet()));
        final Set<String> required = columns.entrySet().stream()
                .filter(column -> column.getValue().required())
                .map(Map.Entry::getKey)
                .collect(Collectors.toCollection(TreeSet::new));
        assertTrue(fieldIsTimestamp.keySet().containsAll(required),
                () -> "columns of " + table + " a write must fill that the schema leaves out: " + minus(required, fieldIsTimestamp.keySet()));
        for (final Map.Entry<String, Boolean> field : fieldIsTimestamp.entrySet()) {
            assertEquals(columns.get(field.getKey()).timestamp(), field.getValue(), () -> field.getKey() + ": timestamp typing differs from the column");
        }
    }

    /** The schema's fields, each with whether it is typed as a timestamp (alone or in a union with null). */
    private static Map<String, Boolean> fields(final String schema) throws IOException {
        final Map<String, Boolean> fields = new LinkedHashMap<>();
        for (final JsonNode field : JSON.readTree(schema).get("fields")) {
            final JsonNode type = field.get("type");
            boolean timestamp = isTimestamp(type);
            if (type.isArray()) {
                for (final JsonNode branch : type) {
                    timestamp |= isTimestamp(branch);
                }
            }
            fields.put(field.get("name").asText(), timestamp);
        }
        return fields;
    }

    private static boolean isTimestamp(final JsonNode type) {
        return type.isObject() && type.path("logicalType").asText().startsWith("timestamp");
    }

    private record Column(boolean timestamp, boolean required) {
    }

    private static Map<String, Column> columns(final String table) {
        final List<Map<String, Object>> rows = postgres.query("""
                SELECT column_name, data_type, is_nullable, column_default, is_identity
                FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?""", table);
        assertTrue(!rows.isEmpty(), () -> "no table " + table);
        final Map<String, Column> columns = new LinkedHashMap<>();
        for (final Map<String, Object> row : rows) {
            final boolean required = "NO".equals(row.get("is_nullable")) && row.get("column_default") == null
                    && !"YES".equals(row.get("is_identity"));
            columns.put((String) row.get("column_name"), new Column(String.valueOf(row.get("data_type")).startsWith("timestamp"), required));
        }
        return columns;
    }

    private static Set<String> minus(final Set<String> all, final Set<String> removed) {
        final Set<String> rest = new TreeSet<>(all);
        rest.removeAll(removed);
        return rest;
    }
}
