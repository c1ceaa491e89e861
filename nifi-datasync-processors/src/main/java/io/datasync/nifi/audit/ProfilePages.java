package io.datasync.nifi.audit;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the profile table page by page in customer id order with keyset paging ({@code WHERE id > last ORDER BY id
 * LIMIT n}): every page is one index range scan, however deep into the table, and at most one page is in memory. Rows
 * written or deleted while the audit runs are seen or not, depending on where the scan is; none is read twice.
 */
public final class ProfilePages {

    private final ProfileColumns columns;
    private final int pageSize;
    private final int timeoutSeconds;
    private final String firstPageSql;
    private final String nextPageSql;
    private Object lastKey;
    private boolean exhausted;

    public ProfilePages(final ProfileColumns columns, final int pageSize, final int timeoutSeconds) {
        if (pageSize < 1) {
            throw new IllegalArgumentException("Page size must be at least 1");
        }
        if (timeoutSeconds < 0) {
            throw new IllegalArgumentException("Timeout must not be negative");
        }
        this.columns = columns;
        this.pageSize = pageSize;
        this.timeoutSeconds = timeoutSeconds;
        final String select = "SELECT " + columns.selectList() + " FROM " + columns.table();
        final String order = " ORDER BY " + columns.customerId() + " LIMIT " + pageSize;
        this.firstPageSql = select + " WHERE " + columns.customerId() + " IS NOT NULL" + order;
        this.nextPageSql = select + " WHERE " + columns.customerId() + " > ?" + order;
    }

    /** The statement of the first page, then of every following page (for plans and tests). */
    public List<String> sql() {
        return List.of(firstPageSql, nextPageSql);
    }

    /** The next page, empty once the table is read to its end. */
    public List<StoredProfile> next(final Connection connection) throws SQLException {
        if (exhausted) {
            return List.of();
        }
        final List<StoredProfile> page = new ArrayList<>(Math.min(pageSize, 10_000));
        try (PreparedStatement statement = connection.prepareStatement(lastKey == null ? firstPageSql : nextPageSql)) {
            statement.setQueryTimeout(timeoutSeconds);
            if (lastKey != null) {
                statement.setObject(1, lastKey);
            }
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    lastKey = rows.getObject(1);
                    page.add(new StoredProfile(String.valueOf(lastKey), text(rows.getObject(2)), text(rows.getObject(3)),
                            columns.phone() == null ? null : text(rows.getObject(4))));
                }
            }
        }
        if (page.size() < pageSize) {
            exhausted = true;
        }
        return page;
    }

    private static String text(final Object value) {
        return value == null ? null : value.toString();
    }
}
