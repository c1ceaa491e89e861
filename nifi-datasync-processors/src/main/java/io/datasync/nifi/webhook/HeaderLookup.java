package io.datasync.nifi.webhook;

import java.util.Map;
import java.util.Optional;

/**
 * Finds HTTP request headers among FlowFile attributes, case-insensitively, as the two stock
 * listeners write them: HandleHttpRequest as {@code http.headers.<Name>}, ListenHTTP under the
 * plain header name (for headers matched by its "HTTP Headers to receive as Attributes (Regex)").
 * Header names are case-insensitive in HTTP, and HTTP/2 sends them lower-cased.
 */
public final class HeaderLookup {

    public static final String HANDLE_HTTP_REQUEST_PREFIX = "http.headers.";

    private final Map<String, String> attributes;

    private HeaderLookup(final Map<String, String> attributes) {
        this.attributes = attributes;
    }

    public static HeaderLookup of(final Map<String, String> attributes) {
        return new HeaderLookup(Map.copyOf(attributes));
    }

    /**
     * The trimmed value of the header, preferring HandleHttpRequest's prefixed attribute over a
     * plain one; empty when absent or blank.
     */
    public Optional<String> get(final String headerName) {
        final Optional<String> prefixed = find(HANDLE_HTTP_REQUEST_PREFIX + headerName);
        return prefixed.isPresent() ? prefixed : find(headerName);
    }

    private Optional<String> find(final String attributeName) {
        for (final Map.Entry<String, String> attribute : attributes.entrySet()) {
            if (attribute.getKey().equalsIgnoreCase(attributeName)) {
                final String value = attribute.getValue() == null ? "" : attribute.getValue().trim();
                if (!value.isEmpty()) {
                    return Optional.of(value);
                }
            }
        }
        return Optional.empty();
    }
}
