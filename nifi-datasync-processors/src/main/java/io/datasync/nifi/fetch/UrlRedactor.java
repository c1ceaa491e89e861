package io.datasync.nifi.fetch;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Removes secrets from URLs and messages before they reach attributes, provenance or logs: the
 * values of credential-like query parameters, user info, and any configured secret value
 * wherever it appears (plain or URL-encoded).
 */
public final class UrlRedactor {

    public static final String MASK = "REDACTED";

    private static final Set<String> DEFAULT_SENSITIVE_PARAMETERS = Set.of(
            "api_key", "apikey", "api-key", "key", "access_token", "token", "auth", "client_secret",
            "secret", "password", "signature", "sig", "hapikey");

    private final Set<String> sensitiveParameters = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    private final List<String> secretForms = new ArrayList<>();

    public UrlRedactor(final Collection<String> extraSensitiveParameters, final Collection<String> secretValues) {
        sensitiveParameters.addAll(DEFAULT_SENSITIVE_PARAMETERS);
        sensitiveParameters.addAll(extraSensitiveParameters);
        for (final String secret : secretValues) {
            if (secret != null && !secret.isEmpty()) {
                secretForms.add(secret);
                final String encoded = URLEncoder.encode(secret, StandardCharsets.UTF_8);
                if (!encoded.equals(secret)) {
                    secretForms.add(encoded);
                    secretForms.add(encoded.replace("+", "%20"));
                }
            }
        }
        // Longer forms first, so an encoded secret is not half-replaced by a shorter one.
        secretForms.sort((a, b) -> Integer.compare(b.length(), a.length()));
    }

    public String redact(final String url) {
        if (url == null) {
            return null;
        }
        String result = redactUserInfo(url);
        final int query = result.indexOf('?');
        if (query >= 0) {
            final int fragment = result.indexOf('#', query);
            final String queryText = fragment < 0 ? result.substring(query + 1) : result.substring(query + 1, fragment);
            final StringBuilder rebuilt = new StringBuilder(result.length()).append(result, 0, query + 1);
            final String[] pairs = queryText.split("&", -1);
            for (int i = 0; i < pairs.length; i++) {
                if (i > 0) {
                    rebuilt.append('&');
                }
                final String pair = pairs[i];
                final int equals = pair.indexOf('=');
                final String name = equals < 0 ? pair : pair.substring(0, equals);
                if (equals >= 0 && sensitiveParameters.contains(decode(name).toLowerCase(Locale.ROOT))) {
                    rebuilt.append(name).append('=').append(MASK);
                } else {
                    rebuilt.append(pair);
                }
            }
            if (fragment >= 0) {
                rebuilt.append(result, fragment, result.length());
            }
            result = rebuilt.toString();
        }
        return scrub(result);
    }

    /** Replaces every configured secret value in free text. */
    public String scrub(final String text) {
        if (text == null) {
            return null;
        }
        String result = text;
        for (final String secret : secretForms) {
            if (result.contains(secret)) {
                result = result.replace(secret, MASK);
            }
        }
        return result;
    }

    private static String redactUserInfo(final String url) {
        final int scheme = url.indexOf("://");
        if (scheme < 0) {
            return url;
        }
        final int authorityStart = scheme + 3;
        int authorityEnd = url.length();
        for (final char end : new char[] {'/', '?', '#'}) {
            final int index = url.indexOf(end, authorityStart);
            if (index >= 0 && index < authorityEnd) {
                authorityEnd = index;
            }
        }
        final int at = url.lastIndexOf('@', authorityEnd - 1);
        if (at < authorityStart) {
            return url;
        }
        return url.substring(0, authorityStart) + MASK + url.substring(at);
    }

    private static String decode(final String text) {
        try {
            return URLDecoder.decode(text, StandardCharsets.UTF_8);
        } catch (final IllegalArgumentException e) {
            return text;
        }
    }
}
