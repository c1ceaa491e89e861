package io.datasync.nifi.fetch;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Decides where a request may go. Credentials, API keys and configured headers are sent with every
 * request, so a next-page link or a redirect may only lead to the origin (scheme, host and port) of
 * the Endpoint URL or to an origin on the allow-list; anything else, and anything that is not an
 * absolute http(s) URL, is refused before a connection is made.
 */
public final class OriginPolicy {

    private final String home;
    private final Set<String> allowed = new LinkedHashSet<>();

    /**
     * @param endpoint the configured Endpoint URL
     * @param allowedOrigins further origins such as {@code https://api2.example.com} or {@code http://host:8080}
     * @throws IllegalArgumentException when the endpoint or an allowed origin is not an absolute http(s) URL
     */
    public OriginPolicy(final String endpoint, final Collection<String> allowedOrigins) {
        home = originOf(parse(endpoint));
        for (final String origin : allowedOrigins) {
            allowed.add(originOf(parse(origin.trim())));
        }
    }

    /**
     * Reads a comma-separated allow-list.
     *
     * @return the origins, or an empty list for null or blank text
     * @throws IllegalArgumentException when an entry is not an absolute http(s) URL without path, query or user info
     */
    public static List<String> parseAllowList(final String text) {
        final List<String> origins = new ArrayList<>();
        if (text == null || text.isBlank()) {
            return origins;
        }
        for (final String part : text.split(",")) {
            final String entry = part.trim();
            if (entry.isEmpty()) {
                continue;
            }
            final URI uri = parse(entry);
            final String path = uri.getRawPath();
            if ((path != null && !path.isEmpty() && !path.equals("/")) || uri.getRawQuery() != null || uri.getRawFragment() != null) {
                throw new IllegalArgumentException("an origin is scheme://host[:port] without a path or query");
            }
            origins.add(originOf(uri));
        }
        return origins;
    }

    /**
     * Checks a target, resolved against the URI it was found in.
     *
     * @param base the URI of the response that named the target (relative targets resolve against it)
     * @param target the next URL or redirect location as the server sent it
     * @return the verdict: the absolute URI to request, or why it is refused
     */
    public Verdict check(final URI base, final String target) {
        if (target == null || target.isBlank()) {
            return Verdict.refused("the link is empty");
        }
        final URI resolved;
        try {
            resolved = base == null ? new URI(target.trim()) : base.resolve(new URI(target.trim()));
        } catch (final URISyntaxException | IllegalArgumentException e) {
            return Verdict.refused("the link is not a valid URL");
        }
        return check(resolved);
    }

    /** Checks an absolute URI. */
    public Verdict check(final URI uri) {
        final String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            return Verdict.refused("the link's scheme is " + (scheme == null ? "missing" : "'" + scheme + "'") + ", not http or https");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            return Verdict.refused("the link has no host");
        }
        if (uri.getRawUserInfo() != null) {
            return Verdict.refused("the link carries user info");
        }
        final String origin = originOf(uri);
        if (origin.equals(home) || allowed.contains(origin)) {
            return Verdict.allowed(uri, origin);
        }
        return new Verdict(null, origin, "the link leads to " + origin + ", which is neither the Endpoint URL's origin " + home
                + " nor in Allowed Origins");
    }

    /** The Endpoint URL's origin. */
    public String home() {
        return home;
    }

    private static URI parse(final String text) {
        final URI uri;
        try {
            uri = new URI(text);
        } catch (final URISyntaxException e) {
            throw new IllegalArgumentException("not a valid URL", e);
        }
        final String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            throw new IllegalArgumentException("not an absolute http or https URL");
        }
        if (uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("user info is not allowed in an origin");
        }
        return uri;
    }

    /** scheme://host:port, lower case, with the scheme's default port made explicit. */
    static String originOf(final URI uri) {
        final String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        final int port = uri.getPort() >= 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + ":" + port;
    }

    /**
     * @param uri the URI to request, null when refused
     * @param origin the target's origin, null when it has none
     * @param reason why it is refused, null when allowed
     */
    public record Verdict(URI uri, String origin, String reason) {

        static Verdict allowed(final URI uri, final String origin) {
            return new Verdict(uri, origin, null);
        }

        static Verdict refused(final String reason) {
            return new Verdict(null, null, reason);
        }

        public boolean isAllowed() {
            return uri != null;
        }
    }
}
