package io.datasync.nifi.common;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a comma-separated list of RecordPaths at its top-level commas only, so paths that contain
 * commas inside function calls, predicates or quotes (for example {@code concat(/first, /last)})
 * stay whole.
 */
public final class PathListSplitter {

    private PathListSplitter() {
    }

    public static List<String> split(final String commaSeparated) {
        final List<String> parts = new ArrayList<>();
        if (commaSeparated == null) {
            return parts;
        }
        final StringBuilder current = new StringBuilder();
        int depth = 0;
        char quote = 0;
        boolean escaped = false;
        for (int i = 0; i < commaSeparated.length(); i++) {
            final char c = commaSeparated.charAt(i);
            if (quote != 0) {
                // A backslash escapes the next character, itself included: 'ends in \\' still closes.
                if (escaped) {
                    escaped = false;
                } else if (c == '\\') {
                    escaped = true;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '(' || c == '[') {
                depth++;
            } else if ((c == ')' || c == ']') && depth > 0) {
                depth--;
            } else if (c == ',' && depth == 0) {
                addTrimmed(parts, current);
                current.setLength(0);
                continue;
            }
            current.append(c);
        }
        addTrimmed(parts, current);
        return parts;
    }

    private static void addTrimmed(final List<String> parts, final StringBuilder part) {
        final String trimmed = part.toString().trim();
        if (!trimmed.isEmpty()) {
            parts.add(trimmed);
        }
    }
}
