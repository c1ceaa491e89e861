package io.datasync.nifi.fetch;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Builds request URLs and bodies: appends or replaces query parameters, and fills
 * {@code {{name}}} placeholders of a body template with JSON values.
 */
public final class RequestTemplates {

    private RequestTemplates() {
    }

    /** Appends parameters (in map order), replacing any of the same name already in the URL. */
    public static String withParameters(final String url, final Map<String, String> parameters) {
        String result = url;
        for (final Map.Entry<String, String> parameter : parameters.entrySet()) {
            result = withoutParameter(result, parameter.getKey());
        }
        if (parameters.isEmpty()) {
            return result;
        }
        final int fragment = result.indexOf('#');
        final String base = fragment < 0 ? result : result.substring(0, fragment);
        final StringBuilder builder = new StringBuilder(base.length() + 64).append(base);
        char separator = base.indexOf('?') < 0 ? '?' : (base.endsWith("?") || base.endsWith("&") ? 0 : '&');
        for (final Map.Entry<String, String> parameter : parameters.entrySet()) {
            if (separator != 0) {
                builder.append(separator);
            }
            builder.append(encode(parameter.getKey())).append('=').append(encode(parameter.getValue()));
            separator = '&';
        }
        if (fragment >= 0) {
            builder.append(result, fragment, result.length());
        }
        return builder.toString();
    }

    /** Removes every occurrence of the named query parameter. */
    public static String withoutParameter(final String url, final String name) {
        final int query = url.indexOf('?');
        if (query < 0) {
            return url;
        }
        final int fragment = url.indexOf('#', query);
        final String queryText = fragment < 0 ? url.substring(query + 1) : url.substring(query + 1, fragment);
        final String encodedName = encode(name);
        final StringBuilder kept = new StringBuilder();
        for (final String pair : queryText.split("&")) {
            final int equals = pair.indexOf('=');
            final String pairName = equals < 0 ? pair : pair.substring(0, equals);
            if (pair.isEmpty() || pairName.equals(name) || pairName.equals(encodedName)) {
                continue;
            }
            if (!kept.isEmpty()) {
                kept.append('&');
            }
            kept.append(pair);
        }
        final String suffix = fragment < 0 ? "" : url.substring(fragment);
        return url.substring(0, query) + (kept.isEmpty() ? "" : "?" + kept) + suffix;
    }

    /** Replaces {@code {{name}}} with the given JSON values; unknown placeholders are left as they are. */
    public static String renderBody(final String template, final Map<String, String> jsonValues) {
        final StringBuilder out = new StringBuilder(template.length() + 64);
        int position = 0;
        while (true) {
            final int open = template.indexOf("{{", position);
            final int close = open < 0 ? -1 : template.indexOf("}}", open + 2);
            if (open < 0 || close < 0) {
                return out.append(template, position, template.length()).toString();
            }
            final String name = template.substring(open + 2, close).trim();
            final String value = jsonValues.get(name);
            out.append(template, position, open).append(value != null ? value : template.substring(open, close + 2));
            position = close + 2;
        }
    }

    /** A JSON string literal, or {@code null}. */
    public static String jsonString(final String value) {
        if (value == null) {
            return "null";
        }
        final StringBuilder out = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            final char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    private static String encode(final String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
