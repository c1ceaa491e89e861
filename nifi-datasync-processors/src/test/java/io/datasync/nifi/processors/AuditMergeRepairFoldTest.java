package io.datasync.nifi.processors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.dbcp.DBCPService;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sync-audit template's merge repair, step by step as the template wires it, on a real PostgreSQL holding the
 * shipped DDL: AuditProfileStore (Emit Repairs) finds the stored duplicates and emits its merges; each merge becomes a
 * fold instruction (survivor in customer_id, old id in retired_customer_ids, tags and source_ids empty), ProfileMerge
 * folds the stored profiles through customer_profiles_lookup, and the UPSERT PutDatabaseRecord sends writes the
 * survivor, whose trigger retires the merged-away rows. The oracle: the profile that merging every source record of
 * the group at once under the survivor's id gives (ProfileMerge without a store), the tags as the plain union of all
 * records' tags; one row left, naming the folded ids; and the next audit finds no duplicate.
 */
class AuditMergeRepairFoldTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] SOURCES = {"crm", "web", "shop"};
    private static final String[] NAMES = {"Ann", "Anne", "Annie", null};
    private static final String[] CITIES = {"Berlin", "Paris", "Lyon", null, ""};
    private static final String[] EMAILS = {"ann.lee@example.org", "Ann.Lee@Example.org", "ANN.LEE@EXAMPLE.ORG"};
    private static final String[] TAGS = {"vip", "b2b", "kids", null};
    private static final String SUBJECT = "ann.lee@example.org";
    /** The fields the merge decides and the lookup view returns (tags are the trigger's). */
    private static final List<String> COMPARED = List.of("first_name", "email", "city", "updated_at");

    private static EmbeddedPostgres postgres;

    @BeforeAll
    @BeforeContainer
    static void startDatabase() throws IOException, SQLException {
        if (postgres != null) {
            return;
        }
        postgres = EmbeddedPostgres.builder().setServerConfig("listen_addresses", "127.0.0.1").start();
        try (Connection connection = postgres.getPostgresDatabase().getConnection()) {
            CustomerDedupDatabaseStoreTest.applyShippedDdl(connection);
        }
    }

    @AfterAll
    @AfterContainer
    static void stopDatabase() throws IOException {
        if (postgres != null) {
            postgres.close();
            postgres = null;
        }
    }

    static final class Pool extends AbstractControllerService implements DBCPService {
        @Override
        public Connection getConnection() throws ProcessException {
            try {
                return postgres.getPostgresDatabase().getConnection();
            } catch (final SQLException e) {
                throw new ProcessException("Cannot connect", e);
            }
        }
    }

    private static void execute(final String sql) throws SQLException {
        try (Connection connection = postgres.getPostgresDatabase().getConnection(); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static List<Map<String, String>> query(final String sql) throws SQLException {
        final List<Map<String, String>> rows = new ArrayList<>();
        try (Connection connection = postgres.getPostgresDatabase().getConnection(); Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery(sql)) {
            while (result.next()) {
                final Map<String, String> row = new LinkedHashMap<>();
                for (int column = 1; column <= result.getMetaData().getColumnCount(); column++) {
                    row.put(result.getMetaData().getColumnName(column), result.getString(column));
                }
                rows.add(row);
            }
        }
        return rows;
    }

    /** ProfileMerge as the templates configure it; with {@code pool} it reads stored profiles from customer_profiles_lookup. */
    private static TestRunner merger(final DBCPService pool) throws Exception {
        final TestRunner runner = TestRunners.newTestRunner(ProfileMerge.class);
        JsonRecordServices.configure(runner, ProfileMerge.RECORD_READER.getName(), ProfileMerge.RECORD_WRITER.getName());
        runner.setProperty(ProfileMerge.CUSTOMER_KEY_PATH, "/customer_id");
        runner.setProperty("Source Field", "source");
        runner.setProperty("Record Timestamp Field", "updated_at");
        runner.setProperty("Default Rule", "latest_non_empty");
        runner.setProperty(ProfileMerge.LINEAGE_FIELD, "merge_lineage");
        runner.setProperty("tags", "union");
        runner.setProperty("source_ids", "union");
        runner.setProperty("updated_at", "max");
        if (pool != null) {
            runner.addControllerService("pool", pool);
            runner.enableControllerService(pool);
            runner.setProperty(ProfileMerge.STORE_TYPE, ProfileMerge.StoredProfileStoreType.DATABASE.getValue());
            runner.setProperty(ProfileMerge.DBCP_SERVICE, "pool");
            runner.setProperty(ProfileMerge.STORED_TABLE, "customer_profiles_lookup");
            runner.setProperty(ProfileMerge.STORED_KEY_COLUMN, "customer_id");
            runner.setProperty(ProfileMerge.RETIRED_KEY_FIELD, "retired_customer_ids");
        }
        return runner;
    }

    private static List<JsonNode> merge(final TestRunner runner, final String json) throws IOException {
        runner.clearTransferState();
        runner.enqueue(json);
        runner.run();
        runner.assertAllFlowFilesTransferred(ProfileMerge.REL_SUCCESS, 1);
        final List<JsonNode> profiles = new ArrayList<>();
        JSON.readTree(runner.getFlowFilesForRelationship(ProfileMerge.REL_SUCCESS).getFirst().getContent()).forEach(profiles::add);
        return profiles;
    }

    /** The audit as the sync-audit template configures it, with Emit Repairs. */
    private static TestRunner auditor() throws Exception {
        final TestRunner runner = AuditProfileStoreTest.auditRunner(new Pool());
        runner.setProperty(AuditProfileStore.REPAIR_MODE, AuditProfileStore.RepairMode.EMIT_REPAIRS);
        return runner;
    }

    /** The UPSERT PutDatabaseRecord sends for the fields a record has (Ignore Unmatched Fields), timestamps as timestamptz. */
    private static void upsert(final JsonNode profile) throws SQLException {
        final List<String> columns = new ArrayList<>();
        final List<String> values = new ArrayList<>();
        for (final String column : List.of("customer_id", "subject_key", "email", "first_name", "city", "tags", "source_ids", "updated_at",
                "merge_lineage", "retired_customer_ids")) {
            if (profile.has(column)) {
                columns.add(column);
                final JsonNode value = profile.get(column);
                values.add(value.isNull() ? null : value.isArray() ? joined(value) : value.asText());
            }
        }
        final StringBuilder sql = new StringBuilder("INSERT INTO customer_profiles (").append(String.join(", ", columns)).append(") VALUES (");
        for (int i = 0; i < columns.size(); i++) {
            sql.append(i == 0 ? "" : ", ").append(columns.get(i).equals("updated_at") ? "CAST(? AS timestamptz)" : "?");
        }
        sql.append(") ON CONFLICT (customer_id) DO UPDATE SET ");
        sql.append(String.join(", ", columns.stream().filter(c -> !c.equals("customer_id")).map(c -> c + " = EXCLUDED." + c).toList()));
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
             PreparedStatement statement = connection.prepareStatement(sql.toString())) {
            for (int i = 0; i < values.size(); i++) {
                statement.setString(i + 1, values.get(i));
            }
            statement.executeUpdate();
        }
    }

    private static String joined(final JsonNode array) {
        final List<String> elements = new ArrayList<>();
        array.forEach(element -> elements.add(element.asText()));
        return elements.isEmpty() ? null : String.join("|", elements);
    }

    /** One customer's source records: the first carries an email variant (so the stored profiles link), later ones may not. */
    private static List<Map<String, Object>> records(final String customerId, final Random random, final int count, final int[] clock) {
        final List<Map<String, Object>> records = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            // Distinct times: ties are decided by the tie-break order, which a fold cannot change either way.
            clock[0] += 1 + random.nextInt(1000);
            final Map<String, Object> record = new LinkedHashMap<>();
            record.put("customer_id", customerId);
            record.put("subject_key", SUBJECT);
            record.put("source", SOURCES[random.nextInt(SOURCES.length)]);
            record.put("updated_at", Instant.ofEpochSecond(1_700_000_000L + clock[0]).toString());
            record.put("email", i == 0 || random.nextBoolean() ? EMAILS[random.nextInt(EMAILS.length)] : null);
            record.put("first_name", NAMES[random.nextInt(NAMES.length)]);
            record.put("city", CITIES[random.nextInt(CITIES.length)]);
            record.put("tags", TAGS[random.nextInt(TAGS.length)]);
            record.put("source_ids", customerId + ":" + i);
            records.add(record);
        }
        return records;
    }

    @Property(tries = 12)
    void theRepairFoldsEveryMergedAwayProfileAsMergingAllTheirRecordsAtOnceWould(
            @ForAll @LongRange(min = 1, max = 1_000_000_000L) final long seed,
            @ForAll @IntRange(min = 2, max = 3) final int customers) throws Exception {
        execute("TRUNCATE customer_profiles, consent, suppression, sync_runs");
        execute("INSERT INTO consent (subject_key, purpose, status, updated_at, source) VALUES ('" + SUBJECT
                + "', 'email_marketing', 'GRANTED', now() - interval '1 day', 'test')");
        final Random random = new Random(seed);
        final int[] clock = {0};
        final List<String> ids = List.of("c-a", "c-b", "c-c").subList(0, customers);
        final List<Map<String, Object>> all = new ArrayList<>();
        for (final String id : ids) {
            final List<Map<String, Object>> records = records(id, random, 1 + random.nextInt(3), clock);
            all.addAll(records);
            // each customer stored as the ingest flow stores it: its records merged, written by the UPSERT
            upsert(merge(merger(null), JSON.writeValueAsString(records)).getFirst());
        }

        final TestRunner audit = auditor();
        audit.run();
        final List<JsonNode> instructions = new ArrayList<>();
        for (final MockFlowFile merges : audit.getFlowFilesForRelationship(AuditProfileStore.REL_MERGES)) {
            for (final JsonNode merge : JSON.readTree(merges.getContent())) {
                // the template's "Fold instructions" QueryRecord
                instructions.add(JSON.createObjectNode().put("customer_id", merge.get(CustomerDedup.MERGE_SURVIVING_ID_FIELD).asText())
                        .put("retired_customer_ids", merge.get(CustomerDedup.MERGE_OLD_ID_FIELD).asText()).putNull("tags").putNull("source_ids"));
            }
        }
        assertEquals(customers - 1, instructions.size(), "one merge per merged-away id: " + instructions);
        for (final JsonNode folded : merge(merger(new Pool()), JSON.writeValueAsString(instructions))) {
            upsert(folded);
        }

        // The oracle: every record of the group, merged at once under the survivor's id (the smallest, CustomerDedup's rule).
        final List<Map<String, Object>> together = new ArrayList<>();
        for (final Map<String, Object> record : all) {
            final Map<String, Object> copy = new LinkedHashMap<>(record);
            copy.put("customer_id", "c-a");
            together.add(copy);
        }
        final JsonNode expected = merge(merger(null), JSON.writeValueAsString(together)).getFirst();
        final List<Map<String, String>> rows = query("SELECT l.*, p.tags, p.retired_customer_ids FROM customer_profiles_lookup l "
                + "JOIN customer_profiles p USING (customer_id)");
        assertEquals(1, rows.size(), "the merged-away rows are gone: " + rows);
        final Map<String, String> survivor = rows.getFirst();
        assertEquals("c-a", survivor.get("customer_id"));
        assertEquals(String.join("|", ids.subList(1, ids.size())), survivor.get("retired_customer_ids"));
        for (final String field : COMPARED) {
            assertEquals(text(expected.get(field)), survivor.get(field), field + " of " + together);
        }
        final TreeSet<String> tags = new TreeSet<>();
        all.stream().map(r -> (String) r.get("tags")).filter(t -> t != null).forEach(tags::add);
        assertEquals(tags.isEmpty() ? null : String.join("|", tags), survivor.get("tags"), "every record's tags");

        final TestRunner again = auditor();
        again.run();
        again.assertTransferCount(AuditProfileStore.REL_MERGES, 0);
        final JsonNode report = JSON.readTree(again.getFlowFilesForRelationship(AuditProfileStore.REL_AUDIT).getFirst().getContent()).get(0);
        assertEquals(0, report.get("duplicate_ids").asLong());
        assertEquals(0, report.get("consent_violations").asLong());
    }

    @Test
    void aFoldWhoseSurvivorWasNeverStoredMovesTheProfileUnderTheSurvivor() throws Exception {
        execute("TRUNCATE customer_profiles");
        final List<Map<String, Object>> records = records("c-b", new Random(5), 2, new int[1]);
        upsert(merge(merger(null), JSON.writeValueAsString(records)).getFirst());
        final JsonNode instruction = JSON.createObjectNode().put("customer_id", "c-a").put("retired_customer_ids", "c-b")
                .putNull("tags").putNull("source_ids");
        for (final JsonNode folded : merge(merger(new Pool()), "[" + instruction + "]")) {
            upsert(folded);
        }
        final List<Map<String, String>> rows = query("SELECT customer_id, retired_customer_ids, source_ids FROM customer_profiles");
        assertEquals(List.of(Map.of("customer_id", "c-a", "retired_customer_ids", "c-b", "source_ids", "c-b:0|c-b:1")),
                rows.stream().map(Map::copyOf).toList());
        assertTrue(query("SELECT * FROM customer_profiles_retired_but_stored").isEmpty());
    }

    private static String text(final JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }
}
