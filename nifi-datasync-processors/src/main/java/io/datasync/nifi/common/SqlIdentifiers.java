package io.datasync.nifi.common;

import java.util.regex.Pattern;

/**
 * Table, view and column names that are put into SQL text. Only plain unquoted identifiers are accepted (letters,
 * digits and underscores, not starting with a digit, at most 63 characters: PostgreSQL's limit), optionally
 * schema-qualified once for tables, so no name can carry quotes, spaces, comments or statement separators.
 */
public final class SqlIdentifiers {

    static final int MAX_LENGTH = 63;
    private static final Pattern PART = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private SqlIdentifiers() {
    }

    /** Null when the text is a valid column name, otherwise why not. */
    public static String checkColumn(final String name) {
        if (name == null || name.isEmpty()) {
            return "is empty";
        }
        if (name.length() > MAX_LENGTH) {
            return "is longer than " + MAX_LENGTH + " characters";
        }
        return PART.matcher(name).matches() ? null
                : "must be a plain SQL identifier: letters, digits and underscores, not starting with a digit";
    }

    /** Null when the text is a valid table or view name (optionally schema.table), otherwise why not. */
    public static String checkTable(final String name) {
        if (name == null || name.isEmpty()) {
            return "is empty";
        }
        final int dot = name.indexOf('.');
        if (dot < 0) {
            return checkColumn(name);
        }
        final String schemaProblem = checkColumn(name.substring(0, dot));
        if (schemaProblem != null) {
            return "schema " + schemaProblem;
        }
        final String tableProblem = checkColumn(name.substring(dot + 1));
        return tableProblem == null ? null : "table " + tableProblem;
    }

    /** The name itself, when valid; otherwise an IllegalArgumentException that does not quote it. */
    public static String requireTable(final String name) {
        final String problem = checkTable(name);
        if (problem != null) {
            throw new IllegalArgumentException("Table name " + problem);
        }
        return name;
    }

    /** The name itself, when valid; otherwise an IllegalArgumentException that does not quote it. */
    public static String requireColumn(final String name) {
        final String problem = checkColumn(name);
        if (problem != null) {
            throw new IllegalArgumentException("Column name " + problem);
        }
        return name;
    }
}
