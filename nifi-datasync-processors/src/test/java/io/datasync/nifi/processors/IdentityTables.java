package io.datasync.nifi.processors;

import java.io.IOException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Identity tables with the shipped DDL ({@code sql/01_identity.sql}) under names of a test's own, on a real PostgreSQL:
 * for the property tests that write the same operations to two tables, two ways, and compare the tables row for row.
 */
final class IdentityTables implements AutoCloseable {

    private final EmbeddedConsentDatabase database;
    private final List<String> tables;

    private IdentityTables(final EmbeddedConsentDatabase database, final List<String> tables) {
        this.database = database;
        this.tables = tables;
    }

    /**
     * @param tablesAndViews pairs of names: the table that replaces {@code customer_identity} and the view that replaces
     *                       {@code customer_identifiers} (its index names follow the table's)
     */
    static IdentityTables start(final String... tablesAndViews) throws IOException, SQLException {
        if (tablesAndViews.length == 0 || tablesAndViews.length % 2 != 0) {
            throw new IllegalArgumentException("pairs of a table and a view name expected");
        }
        final EmbeddedConsentDatabase database = EmbeddedConsentDatabase.start();
        try {
            final String ddl = Files.readString(CustomerDedupDatabaseStoreTest.identityDdl());
            for (int i = 0; i < tablesAndViews.length; i += 2) {
                database.execute(ddl.replace("customer_identity", tablesAndViews[i]).replace("customer_identifiers", tablesAndViews[i + 1]));
            }
        } catch (final IOException | SQLException | RuntimeException e) {
            database.close();
            throw e;
        }
        final List<String> tables = new ArrayList<>();
        for (int i = 0; i < tablesAndViews.length; i += 2) {
            tables.add(tablesAndViews[i]);
        }
        return new IdentityTables(database, List.copyOf(tables));
    }

    /** The one connection the tests and the stores under test share. */
    Connection connection() throws SQLException {
        return database.shared();
    }

    /** Empties every table of the fixture. */
    void truncate() throws SQLException {
        database.execute(tables.stream().map(table -> "TRUNCATE " + table).collect(Collectors.joining("; ")));
    }

    /** The table's rows, entry key to entry value, sorted by key. */
    Map<String, String> rows(final String table) throws SQLException {
        final Map<String, String> rows = new TreeMap<>();
        try (Statement statement = connection().createStatement();
             ResultSet resultSet = statement.executeQuery("SELECT entry_key, entry_value FROM " + table)) {
            while (resultSet.next()) {
                rows.put(resultSet.getString(1), resultSet.getString(2));
            }
        }
        return rows;
    }

    @Override
    public void close() throws IOException {
        database.close();
    }
}
