package io.datasync.nifi.identity;

import io.datasync.nifi.common.SqlIdentifiers;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

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
 *     <li>{@link #putAllIfAbsent}: {@code INSERT ... VALUES (?, ?), ... ON CONFLICT (entry_key) DO NOTHING RETURNING
 *     entry_key}, one statement per chunk of entries, in key order;</li>
 *     <li>{@link #put}: {@code INSERT ... ON CONFLICT (entry_key) DO UPDATE}, held back and sent as one JDBC batch (in key
 *     order) when a chunk is full, before any statement that reads or claims one of the held keys, before
 *     {@link #repoint} and on {@link #flush};</li>
 *     <li>{@link #repoint}: the identifier entries of a merged-away id re-pointed at the surviving id with
 *     {@code UPDATE ... WHERE entry_value = ?}; held back like the writes and sent as one JDBC batch (in id order, each
 *     merged-away id with the id it ends at) right after them, when a chunk is full, before any statement that reads or
 *     claims an identifier entry and on {@link #flush}. The table ends exactly as with one {@code UPDATE} per merge: a
 *     re-point of an id already re-pointed or to one, and a write naming an id waiting to be re-pointed, send what is
 *     held first.</li>
 * </ul>
 * {@code ON CONFLICT} is PostgreSQL's (9.5 and later) and SQLite's syntax, {@code RETURNING} PostgreSQL's and SQLite's
 * (3.35 and later); where the bulk claim is refused as a syntax error the store claims key by key. The multi-row
 * statements take their rows in key order, so two nodes' statements never wait on each other in a cycle; one chosen as a
 * deadlock victim all the same is retried (its rows were rolled back). Keys and values are always bound as parameters;
 * table and column names are validated SQL identifiers. Exceptions never quote keys or values.
 *
 * <p>Not thread-safe: one instance per connection, per batch.</p>
 */
public final class JdbcIdentityStore implements IdentityStore {

    public static final String KEY_COLUMN = "entry_key";
    public static final String VALUE_COLUMN = "entry_value";
    private static final int MAX_CLAIM_ATTEMPTS = 3;
    private static final int MAX_DEADLOCK_RETRIES = 3;

    private final Connection connection;
    private final int chunkSize;
    private final int timeoutSeconds;
    private final String insertIfAbsent;
    private final String selectOne;
    private final String upsert;
    private final String repoint;
    private final String selectPrefix;
    private final String selectAny;
    private final boolean postgres;
    private final boolean customPlans;
    private final String insertManyPrefix;
    private final String insertManySuffix;
    private final boolean batched;
    /** Writes held back: key to value, the last write of a key winning. */
    private final Map<String, String> pendingWrites = new HashMap<>();
    /**
     * Re-points held back: merged-away id to the id its identifier entries are to name. No target is also a key (a
     * re-point that would make one sends what is held first), so the statements can run in any order.
     */
    private final Map<String, String> pendingRepoints = new LinkedHashMap<>();
    private final boolean holdRepoints;
    private boolean bulkClaimRefused;
    private int statements;
    private final Map<String, Integer> statementsByKind = new TreeMap<>();

    /**
     * @param connection an open connection; switched to auto-commit; the caller closes it
     * @param table the table (optionally schema.table) with the columns {@value #KEY_COLUMN} (primary key) and {@value #VALUE_COLUMN}
     * @param chunkSize how many keys one SELECT asks for
     * @param timeoutSeconds the longest one statement may run; 0 for no limit
     */
    public JdbcIdentityStore(final Connection connection, final String table, final int chunkSize, final int timeoutSeconds) throws IOException {
        this(connection, table, chunkSize, timeoutSeconds, true);
    }

    /**
     * @param batched false: one statement per claim and per write, no bulk claims (how the store worked before; kept so
     *                benchmarks and tests can compare both in one run)
     */
    public JdbcIdentityStore(final Connection connection, final String table, final int chunkSize, final int timeoutSeconds,
                             final boolean batched) throws IOException {
        this(connection, table, chunkSize, timeoutSeconds, batched, batched);
    }

    /**
     * @param holdRepoints false: a re-point runs at once, after the held writes (how the batched store worked before re-points
     *                     were held; kept so benchmarks and tests can compare both in one run); only with {@code batched}
     */
    public JdbcIdentityStore(final Connection connection, final String table, final int chunkSize, final int timeoutSeconds,
                             final boolean batched, final boolean holdRepoints) throws IOException {
        this.batched = batched;
        this.holdRepoints = batched && holdRepoints;
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
        this.selectAny = "SELECT " + KEY_COLUMN + ", " + VALUE_COLUMN + " FROM " + name + " WHERE " + KEY_COLUMN + " = ANY (?)";
        this.insertManyPrefix = "INSERT INTO " + name + " (" + KEY_COLUMN + ", " + VALUE_COLUMN + ") VALUES ";
        this.insertManySuffix = " ON CONFLICT (" + KEY_COLUMN + ") DO NOTHING RETURNING " + KEY_COLUMN;
        try {
            if (!connection.getAutoCommit()) {
                connection.setAutoCommit(true);
            }
            this.postgres = "PostgreSQL".equalsIgnoreCase(connection.getMetaData().getDatabaseProductName());
        } catch (final SQLException e) {
            throw failure("prepare the connection", e);
        }
        this.customPlans = postgres && batched && forceCustomPlans();
    }

    /**
     * On PostgreSQL the reads take the keys as one array and every statement of this store is planned with its values
     * ({@code plan_cache_mode = force_custom_plan}, PostgreSQL 12 and later; on older servers the setting is refused and
     * left as it is). Why: the driver prepares a statement on the server after a few executions, and the server may then
     * keep one generic plan for it. A generic plan made while the table was small (a first load starts with an empty
     * one) is a sequential scan comparing every row with every key of the chunk; it stays cached while the table grows,
     * and a read of 1,000 keys took 100 to 600 ms at a few tens of thousands of rows (issue 17's sixth pass). Planned
     * with its values, a read is an index scan on a large table and a hashed scan on a small one, a few milliseconds.
     * The session setting is put back by {@link #releaseSession}.
     */
    private boolean forceCustomPlans() {
        try (Statement statement = connection.createStatement()) {
            statement.execute("SET plan_cache_mode = force_custom_plan");
            return true;
        } catch (final SQLException e) {
            return false;
        }
    }

    /**
     * Puts back the session setting this store changed, before the connection goes back to its pool (its other users
     * plan as the server is configured to). Sends nothing else: call {@link #flush} first.
     */
    public void releaseSession() {
        if (customPlans) {
            try (Statement statement = connection.createStatement()) {
                statement.execute("RESET plan_cache_mode");
            } catch (final SQLException e) {
                // the pool validates or replaces a broken connection; the setting only changes plans, never results
            }
        }
    }

    /** The number of statements run so far (a JDBC batch counts as one; for tests and counters). */
    public int statementCount() {
        return statements;
    }

    /**
     * The statements run so far by kind: {@code read} (SELECT of entries), {@code claim} (INSERT ... DO NOTHING of one
     * entry), {@code claim read} (its SELECT of the value already there), {@code bulk claim}, {@code write} (one upsert or
     * one batch of them), {@code re-point} (one UPDATE or one batch of them).
     */
    public Map<String, Integer> statementsByKind() {
        return Map.copyOf(statementsByKind);
    }

    @Override
    public Map<String, String> getAll(final Set<String> keys) throws IOException {
        flushIfPending(keys);
        final Map<String, String> values = new HashMap<>();
        final List<String> all = new ArrayList<>(keys);
        for (int start = 0; start < all.size(); start += chunkSize) {
            final List<String> chunk = all.subList(start, Math.min(all.size(), start + chunkSize));
            try (PreparedStatement statement = prepareRead(chunk)) {
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
        if (pendingWrites.containsKey(key) || !pendingRepoints.isEmpty() && isIdentifierEntry(key)) {
            flush();
        }
        for (int attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
            try {
                try (PreparedStatement insert = prepare("claim", insertIfAbsent)) {
                    insert.setString(1, key);
                    insert.setString(2, value);
                    if (insert.executeUpdate() > 0) {
                        return null;
                    }
                }
                try (PreparedStatement select = prepare("claim read", selectOne)) {
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
        if (batched) {
            if (pendingRepoints.containsKey(value) && isIdentifierEntry(key)) {
                // one at a time, this entry would keep the id re-pointed before it: the held re-point goes first
                flush();
            }
            pendingWrites.put(key, value);
            if (pendingWrites.size() >= chunkSize) {
                flush();
            }
            return;
        }
        try (PreparedStatement statement = prepare("write", upsert)) {
            statement.setString(1, key);
            statement.setString(2, value);
            statement.executeUpdate();
        } catch (final SQLException e) {
            throw failure("write an identity entry", e);
        }
    }

    @Override
    public void flush() throws IOException {
        flushWrites();
        flushRepoints();
    }

    private void flushWrites() throws IOException {
        if (pendingWrites.isEmpty()) {
            return;
        }
        // key order: two nodes' batches (one transaction each) lock rows in the same order
        sendBatch("write", upsert, pendingWrites, 1, 2, "write identity entries");
        pendingWrites.clear();
    }

    @Override
    public Set<String> putAllIfAbsent(final Map<String, String> entries) throws IOException {
        if (!batched || bulkClaimRefused || entries.isEmpty()) {
            return Set.of();
        }
        flushIfPending(entries.keySet());
        final List<Map.Entry<String, String>> sorted = new ArrayList<>(new TreeMap<>(entries).entrySet());
        final Set<String> inserted = new HashSet<>();
        for (int start = 0; start < sorted.size(); start += chunkSize) {
            final List<Map.Entry<String, String>> chunk = sorted.subList(start, Math.min(sorted.size(), start + chunkSize));
            final StringBuilder sql = new StringBuilder(insertManyPrefix);
            for (int i = 0; i < chunk.size(); i++) {
                sql.append(i == 0 ? "(?, ?)" : ", (?, ?)");
            }
            sql.append(insertManySuffix);
            for (int attempt = 0; ; attempt++) {
                try (PreparedStatement statement = prepare("bulk claim", sql.toString())) {
                    for (int i = 0; i < chunk.size(); i++) {
                        statement.setString(2 * i + 1, chunk.get(i).getKey());
                        statement.setString(2 * i + 2, chunk.get(i).getValue());
                    }
                    try (ResultSet rows = statement.executeQuery()) {
                        while (rows.next()) {
                            inserted.add(rows.getString(1));
                        }
                    }
                    break;
                } catch (final SQLException e) {
                    if (start == 0 && isSyntaxError(e)) {
                        // no multi-row ON CONFLICT ... RETURNING here: nothing was inserted, claim key by key from now on
                        bulkClaimRefused = true;
                        return Set.of();
                    }
                    if (attempt + 1 >= MAX_DEADLOCK_RETRIES || !isDeadlock(e)) {
                        throw failure("claim identity entries", e);
                    }
                }
            }
        }
        return inserted;
    }

    private void flushIfPending(final Set<String> keys) throws IOException {
        if (pendingWrites.isEmpty() && pendingRepoints.isEmpty()) {
            return;
        }
        for (final String key : keys) {
            if (pendingWrites.containsKey(key) || !pendingRepoints.isEmpty() && isIdentifierEntry(key)) {
                flush();
                return;
            }
        }
    }

    /** The entries a re-point changes: {@code k:} entries. */
    private static boolean isIdentifierEntry(final String key) {
        return key.startsWith(IdentityResolver.KEY_PREFIX);
    }

    /** PostgreSQL's deadlock_detected and serialization_failure: the statement was rolled back and may be run again. */
    private static boolean isDeadlock(final SQLException e) {
        return "40P01".equals(e.getSQLState()) || "40001".equals(e.getSQLState());
    }

    /** SQLState class 42: syntax error or access rule violation (e.g. RETURNING not understood). */
    private static boolean isSyntaxError(final SQLException e) {
        return e.getSQLState() != null && e.getSQLState().startsWith("42");
    }

    @Override
    public void repoint(final String oldId, final String survivingId) throws IOException {
        if (oldId.equals(survivingId)) {
            return;
        }
        if (!holdRepoints) {
            // it finds entries by value, so held-back writes go first
            flush();
            try (PreparedStatement statement = prepare("re-point", repoint)) {
                statement.setString(1, survivingId);
                statement.setString(2, oldId);
                statement.executeUpdate();
            } catch (final SQLException e) {
                throw failure("re-point the identifiers of a merged id", e);
            }
            return;
        }
        if (pendingRepoints.containsKey(oldId) || pendingRepoints.containsKey(survivingId)) {
            // re-pointed twice, or at an id waiting to be re-pointed: the order matters, so what is held goes first
            flush();
        }
        // entries on their way to oldId go on to the survivor, as the two statements one after the other would move them
        for (final Map.Entry<String, String> held : pendingRepoints.entrySet()) {
            if (held.getValue().equals(oldId)) {
                held.setValue(survivingId);
            }
        }
        pendingRepoints.put(oldId, survivingId);
        if (pendingRepoints.size() >= chunkSize) {
            flush();
        }
    }

    private void flushRepoints() throws IOException {
        if (pendingRepoints.isEmpty()) {
            return;
        }
        // id order: two nodes' batches (one transaction each) take their rows in a stable order
        sendBatch("re-point", repoint, pendingRepoints, 2, 1, "re-point the identifiers of merged ids");
        pendingRepoints.clear();
    }

    /**
     * Sends one JDBC batch of {@code sql}, a row per held entry in key order, binding the entry's key and value to the
     * given parameters; a batch PostgreSQL picks as a deadlock victim (its rows rolled back) is sent again, up to
     * {@value #MAX_DEADLOCK_RETRIES} times in all.
     */
    private void sendBatch(final String kind, final String sql, final Map<String, String> held, final int keyParameter,
                           final int valueParameter, final String action) throws IOException {
        final TreeMap<String, String> sorted = new TreeMap<>(held);
        for (int attempt = 0; ; attempt++) {
            try (PreparedStatement statement = prepare(kind, sql)) {
                for (final Map.Entry<String, String> entry : sorted.entrySet()) {
                    statement.setString(keyParameter, entry.getKey());
                    statement.setString(valueParameter, entry.getValue());
                    statement.addBatch();
                }
                statement.executeBatch();
                return;
            } catch (final SQLException e) {
                if (attempt + 1 >= MAX_DEADLOCK_RETRIES || !isDeadlock(e)) {
                    throw failure(action, e);
                }
            }
        }
    }

    /** The read of one chunk: one array parameter on PostgreSQL, an IN list of parameters elsewhere. */
    private PreparedStatement prepareRead(final List<String> chunk) throws SQLException {
        if (postgres && batched) {
            final PreparedStatement statement = prepare("read", selectAny);
            statement.setArray(1, connection.createArrayOf("varchar", chunk.toArray()));
            return statement;
        }
        final StringBuilder sql = new StringBuilder(selectPrefix);
        for (int i = 0; i < chunk.size(); i++) {
            sql.append(i == 0 ? "?" : ", ?");
        }
        sql.append(')');
        final PreparedStatement statement = prepare("read", sql.toString());
        for (int i = 0; i < chunk.size(); i++) {
            statement.setString(i + 1, chunk.get(i));
        }
        return statement;
    }

    private PreparedStatement prepare(final String kind, final String sql) throws SQLException {
        final PreparedStatement statement = connection.prepareStatement(sql);
        statements++;
        statementsByKind.merge(kind, 1, Integer::sum);
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
