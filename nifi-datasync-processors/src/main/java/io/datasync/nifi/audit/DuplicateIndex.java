package io.datasync.nifi.audit;

import io.datasync.nifi.identity.IdentityMerge;
import io.datasync.nifi.identity.SurvivingIdRule;
import io.datasync.nifi.identity.UnionFind;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Finds stored profiles that share a match key under different customer ids, with bounded memory however large the
 * table: the keys of each page go into a temporary table of the audit's own database session (hashes and ids, no
 * values), and the database groups them once the scan is done. Only the profiles that do share a key come back into
 * memory, where they are linked transitively (one person's email links two ids, their phone a third) and each group's
 * surviving id is chosen by CustomerDedup's rule (the smallest id). A key shared by more profiles than the maximum
 * cluster size links nothing, as in CustomerDedup: it is a placeholder or a shared office number, not a person.
 * <p>
 * The temporary table lives as long as the connection's session; it is dropped when the index is closed and dropped
 * first if a failed run left it behind on a pooled connection.
 */
public final class DuplicateIndex implements AutoCloseable {

    /** The temporary table; temporary tables are private to a session, so concurrent audits never share one. */
    public static final String SPILL_TABLE = "datasync_audit_match_keys";

    /** One group of stored profiles that CustomerDedup would have given one id. */
    public record DuplicateGroup(String survivingId, List<String> ids, List<String> rules) {
    }

    /** What the check found: the groups (ids sorted), the merges they imply and the keys too widely shared to link. */
    public record Result(List<DuplicateGroup> groups, long oversizedKeys) {

        public int groupCount() {
            return groups.size();
        }

        /** Ids that a merge would point at another id: every id of a group but the survivor. */
        public long duplicateIds() {
            long count = 0;
            for (final DuplicateGroup group : groups) {
                count += group.ids().size() - 1;
            }
            return count;
        }

        /** The merges in CustomerDedup's shape, old id to surviving id, grouped and sorted. */
        public List<IdentityMerge> merges() {
            final List<IdentityMerge> merges = new ArrayList<>();
            for (final DuplicateGroup group : groups) {
                final String reason = "stored profiles linked by " + String.join(", ", group.rules());
                for (final String id : group.ids()) {
                    if (!id.equals(group.survivingId())) {
                        merges.add(new IdentityMerge(id, group.survivingId(), reason));
                    }
                }
            }
            return merges;
        }
    }

    private final Connection connection;
    private final int timeoutSeconds;
    private final int maxClusterSize;
    /** Keys per INSERT statement: one multi-row statement is one round trip (3 parameters a row, far below drivers' limits). */
    static final int ROWS_PER_INSERT = 500;

    private final PreparedStatement fullInsert;
    private final List<String[]> pending = new ArrayList<>();

    /**
     * Creates the temporary table on this connection.
     *
     * @param maxClusterSize a key shared by more distinct ids than this links nothing (at least 2)
     */
    public DuplicateIndex(final Connection connection, final int timeoutSeconds, final int maxClusterSize) throws SQLException {
        if (maxClusterSize < 2) {
            throw new IllegalArgumentException("Maximum cluster size must be at least 2");
        }
        this.connection = connection;
        this.timeoutSeconds = timeoutSeconds;
        this.maxClusterSize = maxClusterSize;
        try (Statement statement = connection.createStatement()) {
            statement.setQueryTimeout(timeoutSeconds);
            statement.execute("DROP TABLE IF EXISTS " + SPILL_TABLE);
            statement.execute("CREATE TEMPORARY TABLE " + SPILL_TABLE
                    + " (match_key CHAR(64) NOT NULL, rule VARCHAR(16) NOT NULL, customer_id VARCHAR(4000) NOT NULL)");
        }
        this.fullInsert = connection.prepareStatement(insertSql(ROWS_PER_INSERT));
    }

    /** Adds the keys of one profile; written with the next {@link #flush()} (or sooner, once a statement's worth is pending). */
    public void add(final String customerId, final List<MatchKeys.MatchKey> keys) throws SQLException {
        for (final MatchKeys.MatchKey key : keys) {
            pending.add(new String[] {key.hash(), key.rule(), customerId});
            if (pending.size() == ROWS_PER_INSERT) {
                write(fullInsert, pending);
                pending.clear();
            }
        }
    }

    /** Writes the keys added since the last flush. */
    public void flush() throws SQLException {
        if (!pending.isEmpty()) {
            try (PreparedStatement insert = connection.prepareStatement(insertSql(pending.size()))) {
                write(insert, pending);
            }
            pending.clear();
        }
    }

    private void write(final PreparedStatement insert, final List<String[]> rows) throws SQLException {
        insert.setQueryTimeout(timeoutSeconds);
        int parameter = 1;
        for (final String[] row : rows) {
            for (final String value : row) {
                insert.setString(parameter++, value);
            }
        }
        insert.executeUpdate();
    }

    private static String insertSql(final int rows) {
        final StringBuilder sql = new StringBuilder("INSERT INTO ").append(SPILL_TABLE).append(" (match_key, rule, customer_id) VALUES ");
        for (int i = 0; i < rows; i++) {
            sql.append(i == 0 ? "(?, ?, ?)" : ", (?, ?, ?)");
        }
        return sql.toString();
    }

    /** Groups the keys written so far. */
    public Result find() throws SQLException {
        flush();
        final Map<String, Integer> indexOf = new HashMap<>();
        final List<String> ids = new ArrayList<>();
        final UnionFind links = new UnionFind(64);
        final Map<Integer, TreeSet<String>> rulesOfElement = new HashMap<>();
        // One sort, no join: a temporary table has no statistics, and with none the planner may nest a join of the table with
        // its own groups (quadratic). Rows are counted, not distinct ids: ids are unique in the pages, and a key counted
        // twice for one id can only yield a group of one id, which is dropped below.
        final String sql = "SELECT match_key, rule, customer_id FROM (SELECT match_key, rule, customer_id, COUNT(*) OVER (PARTITION BY match_key)"
                + " AS sharing FROM " + SPILL_TABLE + ") keys WHERE sharing BETWEEN 2 AND ? ORDER BY match_key, customer_id";
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setQueryTimeout(timeoutSeconds);
            statement.setInt(1, maxClusterSize);
            try (ResultSet rows = statement.executeQuery()) {
                String currentKey = null;
                int first = -1;
                while (rows.next()) {
                    final String key = rows.getString(1);
                    final int element = indexOf.computeIfAbsent(rows.getString(3), id -> {
                        ids.add(id);
                        return links.add();
                    });
                    rulesOfElement.computeIfAbsent(element, e -> new TreeSet<>()).add(rows.getString(2));
                    if (!key.equals(currentKey)) {
                        currentKey = key;
                        first = element;
                    } else {
                        links.union(first, element);
                    }
                }
            }
        }
        final Map<Integer, TreeSet<String>> members = new TreeMap<>();
        final Map<Integer, TreeSet<String>> rules = new HashMap<>();
        for (int element = 0; element < ids.size(); element++) {
            final int root = links.find(element);
            members.computeIfAbsent(root, r -> new TreeSet<>()).add(ids.get(element));
            rules.computeIfAbsent(root, r -> new TreeSet<>()).addAll(rulesOfElement.get(element));
        }
        final List<DuplicateGroup> groups = new ArrayList<>();
        for (final Map.Entry<Integer, TreeSet<String>> group : members.entrySet()) {
            if (group.getValue().size() < 2) {
                continue;
            }
            groups.add(new DuplicateGroup(SurvivingIdRule.choose(group.getValue()), List.copyOf(group.getValue()),
                    List.copyOf(rules.get(group.getKey()))));
        }
        groups.sort((a, b) -> a.survivingId().compareTo(b.survivingId()));
        return new Result(List.copyOf(groups), oversizedKeys());
    }

    private long oversizedKeys() throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT COUNT(*) FROM (SELECT match_key FROM " + SPILL_TABLE
                + " GROUP BY match_key HAVING COUNT(*) > ?) oversized")) {
            statement.setQueryTimeout(timeoutSeconds);
            statement.setInt(1, maxClusterSize);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    /** Drops the temporary table. */
    @Override
    public void close() throws SQLException {
        try {
            fullInsert.close();
        } finally {
            try (Statement statement = connection.createStatement()) {
                statement.execute("DROP TABLE IF EXISTS " + SPILL_TABLE);
            }
        }
    }
}
