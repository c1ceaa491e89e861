package io.datasync.nifi.processors.http;

import io.datasync.nifi.fetch.Authorizers;
import io.datasync.nifi.fetch.Backoff;
import io.datasync.nifi.fetch.OriginPolicy;
import io.datasync.nifi.fetch.PageFetcher;
import io.datasync.nifi.fetch.RateLimiter;
import io.datasync.nifi.fetch.ResponseSizeLimit;
import io.datasync.nifi.processors.http.AbstractHttpApiProcessor.AuthenticationStrategy;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.oauth2.OAuth2AccessTokenProvider;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.proxy.ProxyConfiguration;
import org.apache.nifi.proxy.ProxyConfigurationService;
import org.apache.nifi.ssl.SSLContextService;

import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.datasync.nifi.processors.http.AbstractHttpApiProcessor.API_KEY;
import static io.datasync.nifi.processors.http.AbstractHttpApiProcessor.API_KEY_NAME;
import static io.datasync.nifi.processors.http.AbstractHttpApiProcessor.AUTHENTICATION_STRATEGY;
import static io.datasync.nifi.processors.http.AbstractHttpApiProcessor.BEARER_TOKEN;
import static io.datasync.nifi.processors.http.AbstractHttpApiProcessor.CONNECT_TIMEOUT;
import static io.datasync.nifi.processors.http.AbstractHttpApiProcessor.INITIAL_RETRY_BACKOFF;
import static io.datasync.nifi.processors.http.AbstractHttpApiProcessor.MAX_RETRY_BACKOFF;
import static io.datasync.nifi.processors.http.AbstractHttpApiProcessor.OAUTH2_ACCESS_TOKEN_PROVIDER;
import static io.datasync.nifi.processors.http.AbstractHttpApiProcessor.PASSWORD;
import static io.datasync.nifi.processors.http.AbstractHttpApiProcessor.PROXY_CONFIGURATION_SERVICE;
import static io.datasync.nifi.processors.http.AbstractHttpApiProcessor.READ_TIMEOUT;
import static io.datasync.nifi.processors.http.AbstractHttpApiProcessor.REQUEST_RATE_LIMIT;
import static io.datasync.nifi.processors.http.AbstractHttpApiProcessor.SSL_CONTEXT_SERVICE;
import static io.datasync.nifi.processors.http.AbstractHttpApiProcessor.USERNAME;

/**
 * Builds, from the properties of {@link AbstractHttpApiProcessor}, what a REST API processor needs once per
 * scheduling: the HTTP client (TLS, proxy, connect timeout), the credentials and the {@link PageFetcher} that
 * sends requests through the request budget, retries and redirects under the origin policy.
 */
public final class HttpApiClients {

    private HttpApiClients() {
    }

    /**
     * The credentials of the Authentication Strategy.
     *
     * @param authorizer adds the credentials to each request (none for an API key in the query)
     * @param secrets the values to redact wherever a URL or message is shown
     * @param keyQueryName the query parameter that carries the API key, or null
     * @param keyQueryValue the API key sent in that parameter, or null
     */
    public record Authentication(AuthenticationStrategy strategy, PageFetcher.Authorizer authorizer, List<String> secrets,
                                 String keyQueryName, String keyQueryValue) {
    }

    public static Authentication authentication(final ProcessContext context) {
        final AuthenticationStrategy strategy = context.getProperty(AUTHENTICATION_STRATEGY).asAllowableValue(AuthenticationStrategy.class);
        final List<String> secrets = new ArrayList<>();
        String keyQueryName = null;
        String keyQueryValue = null;
        final PageFetcher.Authorizer authorizer;
        switch (strategy) {
            case NONE -> authorizer = Authorizers.none();
            case API_KEY_HEADER -> {
                final String key = context.getProperty(API_KEY).getValue();
                secrets.add(key);
                authorizer = Authorizers.header(context.getProperty(API_KEY_NAME).getValue(), key);
            }
            case API_KEY_QUERY -> {
                keyQueryName = context.getProperty(API_KEY_NAME).getValue();
                keyQueryValue = context.getProperty(API_KEY).getValue();
                secrets.add(keyQueryValue);
                authorizer = Authorizers.none();
            }
            case BASIC -> {
                final String username = context.getProperty(USERNAME).getValue();
                final String password = context.getProperty(PASSWORD).getValue();
                secrets.add(password);
                secrets.add(Authorizers.basicCredentials(username, password));
                authorizer = Authorizers.basic(username, password);
            }
            case BEARER -> {
                final String token = context.getProperty(BEARER_TOKEN).getValue();
                secrets.add(token);
                authorizer = Authorizers.bearer(token);
            }
            case OAUTH2 -> {
                final OAuth2AccessTokenProvider provider = context.getProperty(OAUTH2_ACCESS_TOKEN_PROVIDER).asControllerService(OAuth2AccessTokenProvider.class);
                authorizer = Authorizers.refreshingBearer(() -> provider.getAccessDetails().getAccessToken());
            }
            default -> throw new IllegalStateException("Unknown authentication strategy " + strategy);
        }
        return new Authentication(strategy, authorizer, List.copyOf(secrets), keyQueryName, keyQueryValue);
    }

    /** An HTTP/1.1 client with the connect timeout, the SSL Context Service's TLS and the proxy; it never follows redirects. */
    public static HttpClient httpClient(final ProcessContext context, final ComponentLog logger) {
        final HttpClient.Builder clientBuilder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                // Redirects are followed by PageFetcher under the origin policy, never by the client.
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(period(context, CONNECT_TIMEOUT));
        final SSLContextService sslContextService = context.getProperty(SSL_CONTEXT_SERVICE).asControllerService(SSLContextService.class);
        if (sslContextService != null) {
            clientBuilder.sslContext(sslContextService.createContext());
        }
        final ProxyConfigurationService proxyService = context.getProperty(PROXY_CONFIGURATION_SERVICE).asControllerService(ProxyConfigurationService.class);
        if (proxyService != null) {
            final ProxyConfiguration proxy = proxyService.getConfiguration();
            if (proxy.getProxyType() == Proxy.Type.HTTP) {
                clientBuilder.proxy(ProxySelector.of(new InetSocketAddress(proxy.getProxyServerHost(), proxy.getProxyServerPort())));
            } else if (proxy.getProxyType() != Proxy.Type.DIRECT) {
                logger.warn("Proxy type {} is not supported; connecting directly", proxy.getProxyType());
            }
        }
        return clientBuilder.build();
    }

    /**
     * A fetcher over the client with the Read Timeout, Request Rate Limit and retry backoff; the limits that
     * differ between processors (retries, rate-limit wait, response size, origins) come from the caller.
     */
    public static PageFetcher fetcher(final ProcessContext context, final HttpClient client, final int maxRetries, final Duration maxRateLimitWait,
                                      final ResponseSizeLimit sizeLimit, final OriginPolicy originPolicy, final PageFetcher.Sleeper sleeper,
                                      final Clock clock) {
        final String rate = context.getProperty(REQUEST_RATE_LIMIT).getValue();
        final RateLimiter rateLimiter = rate == null ? null : new RateLimiter(Double.parseDouble(rate), System::nanoTime);
        final SecureRandom random = new SecureRandom();
        final Backoff backoff = new Backoff(period(context, INITIAL_RETRY_BACKOFF), period(context, MAX_RETRY_BACKOFF), random::nextDouble);
        final PageFetcher.Settings settings = new PageFetcher.Settings(period(context, READ_TIMEOUT), maxRetries, maxRateLimitWait, sizeLimit,
                originPolicy);
        return new PageFetcher(client, settings, backoff, rateLimiter, sleeper, clock);
    }

    /** A time period property as a Duration (millisecond precision). */
    public static Duration period(final ProcessContext context, final PropertyDescriptor descriptor) {
        return Duration.ofMillis(context.getProperty(descriptor).asTimePeriod(TimeUnit.MILLISECONDS));
    }
}
