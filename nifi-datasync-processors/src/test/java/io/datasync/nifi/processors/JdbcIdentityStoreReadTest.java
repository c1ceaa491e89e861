package io.datasync.nifi.processors;

import io.datasync.nifi.identity.JdbcIdentityStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The Database identity store's reads on PostgreSQL: the keys of a chunk as one array, every statement planned with its
 * values while the store holds the connection (a generic plan cached while the table was small compared every row with
 * every key once the table had grown: issue 17's sixth pass), and the session setting put back before the connection
 * returns to its pool.
 */
class JdbcIdentityStoreReadTest {

    private static IdentityTables tables;

    @BeforeAll
    static void start() throws Exception {
        tables = IdentityTables.start("identity_read", "identifiers_read");
        try (Statement statement = tables.connection().createStatement()) {
            statement.execute("INSERT INTO identity_read (entry_key, entry_value) SELECT 'k:' || md5(i::text), 'c-' || (i % 900)"
                    + " FROM generate_series(1, 3000) i");
        }
    }

    @AfterAll
    static void stop() throws Exception {
        tables.close();
    }

    private static String planCacheMode(final Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery("SHOW plan_cache_mode")) {
            result.next();
            return result.getString(1);
        }
    }

    @Test
    void readsEveryChunkAsOneArrayAndFindsExactlyTheStoredKeys() throws Exception {
        final Connection connection = tables.connection();
        final JdbcIdentityStore store = new JdbcIdentityStore(connection, "identity_read", 500, 30);
        final Set<String> keys = new HashSet<>();
        final Map<String, String> expected = new HashMap<>();
        for (int i = 1; i <= 1_200; i++) {
            // every other key stored (i up to 3,000 are), the rest absent; plus keys that look alike but are not there
            final String key = "k:" + md5(i * 2);
            keys.add(key);
            if (i * 2 <= 3000) {
                expected.put(key, "c-" + (i * 2 % 900));
            }
        }
        keys.add("k:not-there");
        keys.add("K:" + md5(2));
        assertEquals(expected, store.getAll(keys));
        assertEquals(Map.of("read", 3), store.statementsByKind(), "1,202 keys in chunks of 500: three statements");
        store.releaseSession();
    }

    @Test
    void plansWithItsValuesWhileItHoldsTheConnectionAndPutsTheSettingBack() throws Exception {
        final Connection connection = tables.connection();
        assertEquals("auto", planCacheMode(connection));
        final JdbcIdentityStore store = new JdbcIdentityStore(connection, "identity_read", 500, 30);
        assertEquals("force_custom_plan", planCacheMode(connection));
        store.getAll(Set.of("k:" + md5(1)));
        store.releaseSession();
        assertEquals("auto", planCacheMode(connection), "the pool's other users plan as the server is configured to");
    }

    @Test
    void theStoreOneStatementAtATimeLeavesTheSessionAlone() throws Exception {
        final Connection connection = tables.connection();
        final JdbcIdentityStore store = new JdbcIdentityStore(connection, "identity_read", 500, 30, false);
        assertEquals("auto", planCacheMode(connection));
        assertEquals(Map.of("k:" + md5(3), "c-3"), store.getAll(Set.of("k:" + md5(3))));
        store.releaseSession();
    }

    private static String md5(final int value) throws Exception {
        // the same text as PostgreSQL's md5(i::text), which filled the table
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(Integer.toString(value).getBytes(StandardCharsets.US_ASCII)));
    }
}
