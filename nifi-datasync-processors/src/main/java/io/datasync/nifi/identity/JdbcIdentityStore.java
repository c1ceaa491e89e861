package io.datasync.nifi.identity;

import io.datasync.nifi.common.SqlIdentifiers;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The identity index in a database table with one row per entry: {@code entry_key} (the primary key) and
 * {@code entry_value}. The entries are those of {@link IdentityResolver}: {@code k:<identifier hash>} to the
 * customer id, {@code a:<hash of an id>} to the id it was merged into, {@code n:<identifier hash>} to a link count.
 * Because the identifier hash is the primary key, one identifier belongs to exactly one customer, whatever two nodes
 * do at the same moment.
 *
 * <p>Statements, on a connection in auto-commit mode (each claim is visible to every other node at once, like the
 * map cache's):</p>
 * <ul>
 *     <li>{@link #getAll}: {@code SELECT ... WHERE entry_key IN (?, ...)}, one statement per chunk of keys;</li>
 *     <li>{@link #getAndPutIfAbsent}: {@code INSERT ... ON CONFLICT (entry_key) DO NOTHING}, then, when nothing was
 *     inserted, a {@code SELECT} of the value already there (a new statement, so it sees the row the conflicting
 *     transaction committed);</li>
 *     <li>{@link #put}: {@code INSERT ... ON CONFLICT (entry_key) DO UPDATE};</li>
 *     <li>{@link #repoint}: the identifier entries of a merged-away id re-pointed at the surviving id in one
 *     {@code UPDATE}.</li>
 * </ul>
 * {@code ON CONFLICT} is PostgreSQL's (9.5 and later) and SQLite's syntax. Keys and values are always bound as
 * parameters; table and column names are validated SQL identifiers. Exceptions never quote keys or values.
 *
 * <p>Not thread-safe: one instance per connection, per batch.</p>
 */
public final class JdbcIdentityStore implements IdentityStore {

    public static final String KEY_COLUMN = "entry_key";
    public static final String VALUE_COLUMN = "entry_value";
    private static final int MAX_CLAIM_ATTEMPTS = 3;

    private final Connection connection;
    private final int chunkSize;
    private final int timeoutSeconds;
    private final String insertIfAbsent;
    private final String selectOne;
    private final String upsert;
    private final String repoint;
    private final String selectPrefix;
    private int statements;

    /**
     * @param connection an open connection; switched to auto-commit; the caller closes it
     * @param table the table (optionally schema.table) with the columns {@value #KEY_COLUMN} (primary key) and {@value #VALUE_COLUMN}
     * @param chunkSize how many keys one SELECT asks for
     * @param timeoutSeconds the longest one statement may run; 0 for no limit
     */
    public JdbcIdentityStore(final Connection connection, final String table, final int chunkSize, final int timeoutSeconds) throws IOException {
        if (chunkSize < 1) {
            throw new IllegalArgumentException("Chunk size must be at least 1");
        }
        if (timeoutSeconds < 0) {
            throw new IllegalArgumentException("Timeout must not be negative");
        }
        final String name = SqlIdentifiers.requireTable(table);
        this.connection = connection;
        this.chunkSize = chunkSize;
        this.timeoutSeconds = timeoutSeconds;
        this.insertIfAbsent = "INSERT INTO " + name + " (" + KEY_COLUMN + ", " + VALUE_COLUMN + ") VALUES (?, ?) ON CONFLICT (" + KEY_COLUMN
                + ") DO NOTHING";
        this.selectOne = "SELECT " + VALUE_COLUMN + " FROM " + name + " WHERE " + KEY_COLUMN + " = ?";
        this.upsert = "INSERT INTO " + name + " (" + KEY_COLUMN + ", " + VALUE_COLUMN + ") VALUES (?, ?) ON CONFLICT (" + KEY_COLUMN
                + ") DO UPDATE SET " + VALUE_COLUMN + " = EXCLUDED." + VALUE_COLUMN;
        this.repoint = "UPDATE " + name + " SET " + VALUE_COLUMN + " = ? WHERE " + VALUE_COLUMN + " = ? AND " + KEY_COLUMN + " LIKE '"
                + IdentityResolver.KEY_PREFIX + "%'";
        this.selectPrefix = "SELECT " + KEY_COLUMN + ", " + VALUE_COLUMN + " FROM " + name + " WHERE " + KEY_COLUMN + " IN (";
        try {
            if (!connection.getAutoCommit()) {
                connection.setAutoCommit(true);
            }
        } catch (final SQLException e) {
            throw failure("prepare the connection", e);
        }
    }

    /** The number of statements run so far (for tests and counters). */
    public int statementCount() {
        return statements;
    }

    @Override
    public Map<String, String> getAll(final Set<String> keys) throws IOException {
        final Map<String, String> values = new HashMap<>();
        final List<String> all = new ArrayList<>(keys);
        for (int start = 0; start < all.size(); start += chunkSize) {
            final List<String> chunk = all.subList(start, Math.min(all.size(), start + chunkSize));
            final StringBuilder sql = new StringBuilder(selectPrefix);
            for (int i = 0; i < chunk.size(); i++) {
                sql.append(i == 0 ? "?" : ", ?");
            }
            sql.append(')');
            try (PreparedStatement statement = prepare(sql.toString())) {
                for (int i = 0; i < chunk.size(); i++) {
                    statement.setString(i + 1, chunk.get(i));
                }
                try (ResultSet rows = statement.executeQuery()) {
                    while (rows.next()) {
                        values.put(rows.getString(1), rows.getString(2));
                    }
                }
            } catch (final SQLException e) {
                throw failure("read identity entries", e);
            }
        }
        return values;
    }

    @Override
    public String getAndPutIfAbsent(final String key, final String value) throws IOException {
        for (int attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
            try {
                try (PreparedStatement insert = prepare(insertIfAbsent)) {
                    insert.setString(1, key);
                    insert.setString(2, value);
                    if (insert.executeUpdate() > 0) {
                        return null;
                    }
                }
                try (PreparedStatement select = prepare(selectOne)) {
                    select.setString(1, key);
                    try (ResultSet rows = select.executeQuery()) {
                        if (rows.next()) {
                            return rows.getString(1);
                        }
                    }
                }
                // The conflicting row was deleted between the two statements: claim again.
            } catch (final SQLException e) {
                throw failure("claim an identity entry", e);
            }
        }
        throw new IOException("An identity entry was neither insertable nor readable after " + MAX_CLAIM_ATTEMPTS + " attempts");
    }

    @Override
    public void put(final String key, final String value) throws IOException {
        try (PreparedStatement statement = prepare(upsert)) {
            statement.setString(1, key);
            statement.setString(2, value);
            statement.executeUpdate();
        } catch (final SQLException e) {
            throw failure("write an identity entry", e);
        }
    }

    @Override
    public void repoint(final String oldId, final String survivingId) throws IOException {
        try (PreparedStatement statement = prepare(repoint)) {
            statement.setString(1, survivingId);
            statement.setString(2, oldId);
            statement.executeUpdate();
        } catch (final SQLException e) {
            throw failure("re-point the identifiers of a merged id", e);
        }
    }

    private PreparedStatement prepare(final String sql) throws SQLException {
        final PreparedStatement statement = connection.prepareStatement(sql);
        statements++;
        if (timeoutSeconds > 0) {
            statement.setQueryTimeout(timeoutSeconds);
        }
        return statement;
    }

    /** Keeps the SQLState and the exception type, never the driver's message (it can quote bound values). */
    private static IOException failure(final String action, final SQLException e) {
        return new IOException("Could not " + action + " (" + e.getClass().getSimpleName()
                + (e.getSQLState() == null ? "" : ", SQLState " + e.getSQLState()) + ")");
    }
}
