package io.datasync.nifi.processors;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The repository's sql/ files, run in name order on a real PostgreSQL as a user would run them: the profile model
 * keyed by customer_id only, the merge-retiring write, and identifiers that cannot collide.
 */
class ShippedDdlTest {

    private static EmbeddedPostgres postgres;
    private static Connection connection;

    @BeforeAll
    static void createSchema() throws IOException, SQLException {
        postgres = EmbeddedPostgres.builder().setServerConfig("listen_addresses", "127.0.0.1").start();
        connection = postgres.getPostgresDatabase().getConnection();
        CustomerDedupDatabaseStoreTest.applyShippedDdl(connection);
    }

    @AfterAll
    static void stop() throws IOException, SQLException {
        if (connection != null) {
            connection.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @BeforeEach
    void empty() throws SQLException {
        execute("TRUNCATE customer_profiles, customer_identity");
    }

    private static void execute(final String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static List<List<String>> query(final String sql) throws SQLException {
        final List<List<String>> rows = new ArrayList<>();
        try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery(sql)) {
            while (result.next()) {
                final List<String> row = new ArrayList<>();
                for (int column = 1; column <= result.getMetaData().getColumnCount(); column++) {
                    row.add(result.getString(column));
                }
                rows.add(row);
            }
        }
        return rows;
    }

    /** The statement PutDatabaseRecord's PostgreSQL UPSERT sends for these columns. */
    private static void upsert(final String customerId, final String subjectKey, final String tags, final String sourceIds,
                               final String retired) throws SQLException {
        try (var statement = connection.prepareStatement("INSERT INTO customer_profiles (customer_id, subject_key, tags, source_ids, "
                + "retired_customer_ids, updated_at) VALUES (?, ?, ?, ?, ?, now()) ON CONFLICT (customer_id) DO UPDATE SET "
                + "subject_key = EXCLUDED.subject_key, tags = EXCLUDED.tags, source_ids = EXCLUDED.source_ids, "
                + "retired_customer_ids = EXCLUDED.retired_customer_ids, updated_at = EXCLUDED.updated_at")) {
            statement.setString(1, customerId);
            statement.setString(2, subjectKey);
            statement.setString(3, tags);
            statement.setString(4, sourceIds);
            statement.setString(5, retired);
            statement.executeUpdate();
        }
    }

    @Test
    void twoCustomersMayShareASubjectKeyAndProfilesHaveNoOtherKey() throws SQLException {
        upsert("c1", "test@example.com", null, "crm:1", null);
        upsert("c2", "test@example.com", null, "crm:2", null);
        upsert("c3", null, null, "crm:3", null);
        assertEquals(3, query("SELECT * FROM customer_profiles").size());
    }

    @Test
    void aWriteNamingRetiredIdsTakesOverTheirListsAndDeletesThemInOneStatement() throws SQLException {
        upsert("a", "ann@example.org", "vip|b2b", "crm:1", null);
        upsert("b", "ann.work@example.org", "kids|vip", "shop:7", null);
        upsert("old", "ann@example.org", "outdoor", "web:3", "older");
        // a new survivor row (INSERT) and an existing one (ON CONFLICT UPDATE) both retire what they name
        upsert("a", "ann@example.org", "newsletter", null, "b|old");
        assertEquals(List.of(List.of("a", "b2b|kids|newsletter|outdoor|vip", "crm:1|shop:7|web:3", "b|old|older")),
                query("SELECT customer_id, tags, source_ids, retired_customer_ids FROM customer_profiles"));
        upsert("z", null, null, "crm:9", "a");
        assertEquals(List.of(List.of("z", "a|b|old|older")),
                query("SELECT customer_id, retired_customer_ids FROM customer_profiles"));
        assertEquals(List.of(), query("SELECT * FROM customer_profiles_retired_but_stored"));
        upsert("z", null, "late", null, null);
        assertEquals(List.of(List.of("b2b|kids|late|newsletter|outdoor|vip", "a|b|old|older")), query("SELECT tags, retired_customer_ids FROM customer_profiles"),
                "a later write without retired ids keeps the history and the lists");
    }

    @Test
    void aSyncRunWithoutAFinishTimeTakesTheDatabaseClockAfterEveryEarlierWrite() throws SQLException {
        execute("TRUNCATE sync_runs");
        upsert("a", null, null, "crm:1", null);
        // two rows of one statement, as the ingest templates insert them: no finish time of their own, none shared
        execute("INSERT INTO sync_runs (source, newest_record_at, record_count) VALUES ('crm', now(), 3), ('crm', NULL, 1)");
        assertEquals(List.of(List.of("2", "2", "t")), query("SELECT count(*), count(DISTINCT finished_at), "
                + "bool_and(finished_at >= (SELECT recorded_at FROM customer_profiles) AND finished_at <= clock_timestamp()) FROM sync_runs"));
    }

    @Test
    void aProfileNeverRetiresItself() throws SQLException {
        upsert("a", null, "x", null, "a");
        assertEquals(List.of(List.of("a", "x")), query("SELECT customer_id, tags FROM customer_profiles"));
    }

    @Test
    void anIdentifierBelongsToOneCustomer() throws SQLException {
        execute("INSERT INTO customer_identity (entry_key, entry_value) VALUES ('k:" + "0".repeat(64) + "', 'c1')");
        assertThrows(SQLException.class, () -> execute("INSERT INTO customer_identity (entry_key, entry_value) VALUES ('k:"
                + "0".repeat(64) + "', 'c2')"));
        assertEquals(List.of(List.of("0".repeat(64), "c1")), query("SELECT identifier_hash, customer_id FROM customer_identifiers"));
        assertNull(query("SELECT max(entry_value) FROM customer_identity WHERE entry_key LIKE 'a:%'").get(0).get(0));
    }
}
