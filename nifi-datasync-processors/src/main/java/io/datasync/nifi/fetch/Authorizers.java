package io.datasync.nifi.fetch;

import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.function.Supplier;

/**
 * The authentication strategies shared by the HTTP processors (pull and push): each adds its credentials
 * to every request {@link PageFetcher} sends, and only {@link PageFetcher} decides where a request goes.
 */
public final class Authorizers {

    private Authorizers() {
    }

    /** No credentials. */
    public static PageFetcher.Authorizer none() {
        return header(null, null);
    }

    /** A fixed header, e.g. an API key header; a null name adds nothing. */
    public static PageFetcher.Authorizer header(final String headerName, final String headerValue) {
        return new PageFetcher.Authorizer() {
            @Override
            public void authorize(final HttpRequest.Builder builder, final boolean refresh) {
                if (headerName != null) {
                    builder.header(headerName, headerValue);
                }
            }

            @Override
            public boolean refreshable() {
                return false;
            }
        };
    }

    /** The value of an HTTP Basic Authorization header, without the "Basic " prefix. */
    public static String basicCredentials(final String username, final String password) {
        return Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** HTTP Basic authentication. */
    public static PageFetcher.Authorizer basic(final String username, final String password) {
        return header("Authorization", "Basic " + basicCredentials(username, password));
    }

    /** A static bearer token. */
    public static PageFetcher.Authorizer bearer(final String token) {
        return header("Authorization", "Bearer " + token);
    }

    /**
     * Bearer tokens from a token source (an OAuth2 access token provider). After a 401 the request is repeated only
     * when the source hands out a different token than the refused one.
     */
    public static PageFetcher.Authorizer refreshingBearer(final Supplier<String> tokens) {
        return new PageFetcher.Authorizer() {
            private volatile String lastSent;

            @Override
            public void authorize(final HttpRequest.Builder builder, final boolean refresh) {
                final String token = tokens.get();
                if (refresh && token != null && token.equals(lastSent)) {
                    // NiFi's provider API has no refresh call: it hands out its cached token until that expires.
                    throw new NoFreshCredentialsException("the OAuth2 Access Token Provider returned the same access token that was "
                            + "refused, so the request was not repeated");
                }
                lastSent = token;
                builder.header("Authorization", "Bearer " + token);
            }

            @Override
            public boolean refreshable() {
                return true;
            }
        };
    }
}
