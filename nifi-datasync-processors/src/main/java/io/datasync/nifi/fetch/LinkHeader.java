package io.datasync.nifi.fetch;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Reads the target of {@code rel="next"} from RFC 8288 {@code Link} header values.
 */
public final class LinkHeader {

    private LinkHeader() {
    }

    public static Optional<String> findNext(final List<String> headerValues) {
        for (final String value : headerValues) {
            final Optional<String> next = findNext(value);
            if (next.isPresent()) {
                return next;
            }
        }
        return Optional.empty();
    }

    public static Optional<String> findNext(final String headerValue) {
        if (headerValue == null) {
            return Optional.empty();
        }
        int position = 0;
        while (true) {
            final int open = headerValue.indexOf('<', position);
            if (open < 0) {
                return Optional.empty();
            }
            final int close = headerValue.indexOf('>', open);
            if (close < 0) {
                return Optional.empty();
            }
            final String target = headerValue.substring(open + 1, close).trim();
            final int nextLink = nextLinkStart(headerValue, close + 1);
            final String params = headerValue.substring(close + 1, nextLink);
            if (hasNextRelation(params)) {
                return Optional.of(target);
            }
            position = nextLink;
        }
    }

    /** Index of the comma ending this link's parameters (commas inside quotes do not count). */
    private static int nextLinkStart(final String value, final int from) {
        boolean quoted = false;
        for (int i = from; i < value.length(); i++) {
            final char c = value.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == ',' && !quoted) {
                return i;
            }
        }
        return value.length();
    }

    private static boolean hasNextRelation(final String params) {
        for (final String param : params.split(";")) {
            final int equals = param.indexOf('=');
            if (equals < 0 || !param.substring(0, equals).trim().equalsIgnoreCase("rel")) {
                continue;
            }
            final String relations = param.substring(equals + 1).trim().replace("\"", "").toLowerCase(Locale.ROOT);
            for (final String relation : relations.split("\\s+")) {
                if (relation.equals("next")) {
                    return true;
                }
            }
        }
        return false;
    }
}
