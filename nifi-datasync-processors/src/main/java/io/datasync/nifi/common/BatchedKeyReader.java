package io.datasync.nifi.common;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the rows of many keys from one table or view: one parameterised {@code SELECT * ... WHERE key IN (?, ...)}
 * per chunk of keys, the way a per-key lookup service would read them one at a time. Names are validated SQL
 * identifiers; keys are always bound as parameters. Nothing is cached: every call reads the database.
 */
public final class BatchedKeyReader {

    /** A column of the result, as the driver describes it ({@link java.sql.Types} code, precision and scale). */
    public record Column(String label, int sqlType, int precision, int scale) {
    }

    /**
     * One row: its values by column label in lower case (so unquoted names match whatever case the database reports),
     * and the columns of its result in order.
     */
    public record Row(Map<String, Object> values, List<Column> columns) {
        public Object get(final String column) {
            return values.get(column.toLowerCase(Locale.ROOT));
        }
    }

    /** A key matched more than one row, so the table is not shaped one row per key. Never quotes the key. */
    public static final class AmbiguousKeyException extends RuntimeException {
        public AmbiguousKeyException(final String table) {
            super("More than one row in " + table + " for one key; the table or view must hold one row per key");
        }
    }

    private final String table;
    private final String keyColumn;
    private final int chunkSize;
    private final int timeoutSeconds;

    public BatchedKeyReader(final String table, final String keyColumn, final int chunkSize) {
        this(table, keyColumn, chunkSize, 0);
    }

    /** @param timeoutSeconds the longest a query may run before the driver cancels it; 0 for no limit */
    public BatchedKeyReader(final String table, final String keyColumn, final int chunkSize, final int timeoutSeconds) {
        if (chunkSize < 1) {
            throw new IllegalArgumentException("Chunk size must be at least 1");
        }
        if (timeoutSeconds < 0) {
            throw new IllegalArgumentException("Timeout must not be negative");
        }
        this.timeoutSeconds = timeoutSeconds;
        this.table = SqlIdentifiers.requireTable(table);
        this.keyColumn = SqlIdentifiers.requireColumn(keyColumn);
        this.chunkSize = chunkSize;
    }

    /** The statement for a chunk of {@code size} keys. */
    public String sql(final int size) {
        final StringBuilder sql = new StringBuilder("SELECT * FROM ").append(table).append(" WHERE ").append(keyColumn).append(" IN (");
        for (int i = 0; i < size; i++) {
            sql.append(i == 0 ? "?" : ", ?");
        }
        return sql.append(')').toString();
    }

    /** The number of statements {@link #read} runs for this many keys. */
    public int statementsFor(final int keys) {
        return (keys + chunkSize - 1) / chunkSize;
    }

    /**
     * The row of each key that has one (keys without a row are absent), read over the given connection in chunks.
     *
     * @throws AmbiguousKeyException when a key has more than one row
     */
    public Map<String, Row> read(final Connection connection, final Collection<String> keys) throws SQLException {
        final Map<String, Row> rows = new HashMap<>();
        final List<String> all = new ArrayList<>(keys);
        final String lowerKeyColumn = keyColumn.toLowerCase(Locale.ROOT);
        for (int start = 0; start < all.size(); start += chunkSize) {
            final List<String> chunk = all.subList(start, Math.min(all.size(), start + chunkSize));
            try (PreparedStatement statement = connection.prepareStatement(sql(chunk.size()))) {
                statement.setQueryTimeout(timeoutSeconds);
                for (int i = 0; i < chunk.size(); i++) {
                    statement.setString(i + 1, chunk.get(i));
                }
                try (ResultSet resultSet = statement.executeQuery()) {
                    final ResultSetMetaData metaData = resultSet.getMetaData();
                    final int columns = metaData.getColumnCount();
                    final String[] labels = new String[columns];
                    final List<Column> described = new ArrayList<>(columns);
                    for (int column = 1; column <= columns; column++) {
                        labels[column - 1] = metaData.getColumnLabel(column).toLowerCase(Locale.ROOT);
                        described.add(new Column(metaData.getColumnLabel(column), metaData.getColumnType(column),
                                metaData.getPrecision(column), metaData.getScale(column)));
                    }
                    final List<Column> resultColumns = List.copyOf(described);
                    while (resultSet.next()) {
                        final Map<String, Object> values = new HashMap<>();
                        for (int column = 1; column <= columns; column++) {
                            values.put(labels[column - 1], resultSet.getObject(column));
                        }
                        final Object key = values.get(lowerKeyColumn);
                        if (key != null && rows.put(key.toString(), new Row(values, resultColumns)) != null) {
                            throw new AmbiguousKeyException(table);
                        }
                    }
                }
            }
        }
        return rows;
    }
}
