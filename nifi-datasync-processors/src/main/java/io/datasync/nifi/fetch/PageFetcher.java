package io.datasync.nifi.fetch;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Sends one page request and sees it through transient trouble: waits for the request budget,
 * retries 5xx, 408, timeouts and broken connections with backoff, honours the wait a 429 or 503
 * asks for, and asks for fresh credentials once on 401 (only resending when they differ). Follows
 * redirects itself, and only to origins the {@link OriginPolicy} allows, so credentials never reach
 * another origin. Reads at most the {@link ResponseSizeLimit}. Returns what happened; it never throws
 * for an HTTP problem.
 */
public final class PageFetcher {

    private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);

    private final HttpClient client;
    private final Settings settings;
    private final Backoff backoff;
    private final RateLimiter rateLimiter;
    private final Sleeper sleeper;
    private final Clock clock;

    /**
     * @param rateLimiter request budget, or null for none
     */
    public PageFetcher(final HttpClient client, final Settings settings, final Backoff backoff, final RateLimiter rateLimiter,
                       final Sleeper sleeper, final Clock clock) {
        this.client = client;
        this.settings = settings;
        this.backoff = backoff;
        this.rateLimiter = rateLimiter;
        this.sleeper = sleeper;
        this.clock = clock;
    }

    /** Redirects followed for one request at most, as browsers and the JDK client do. */
    static final int MAX_REDIRECTS = 5;

    public Outcome fetch(final PageRequest original, final Authorizer authorizer, final Listener listener) throws InterruptedException {
        int failures = 0;
        int rateLimitedResponses = 0;
        int redirects = 0;
        boolean refreshed = false;
        PageRequest request = original;
        while (true) {
            if (rateLimiter != null) {
                final long waitNanos = rateLimiter.reserve();
                if (waitNanos > 0) {
                    sleeper.sleep(Duration.ofNanos(waitNanos));
                }
            }
            final long started = System.nanoTime();
            final HttpResponse<byte[]> response;
            try {
                response = send(build(request, authorizer, refreshed));
            } catch (final Authorizer.NoFreshCredentialsException e) {
                return new Failed("HTTP 401: " + e.getMessage(), 401);
            } catch (final ResponseSizeLimit.TooLargeException e) {
                return new Failed(e.getMessage(), 0);
            } catch (final TransientException e) {
                failures++;
                if (failures > settings.maxRetries()) {
                    return new Failed(e.getMessage() + " (" + failures + " attempts)", 0);
                }
                final Duration delay = backoff.delay(failures);
                listener.retrying(e.getMessage(), failures, delay);
                sleeper.sleep(delay);
                continue;
            }
            final int status = response.statusCode();
            final Function<String, Optional<String>> header = name -> response.headers().firstValue(name);
            if (REDIRECTS.contains(status)) {
                final Optional<String> location = header.apply("Location");
                if (location.isEmpty()) {
                    return new Failed("HTTP " + status + " without a Location header", status);
                }
                if (++redirects > MAX_REDIRECTS) {
                    return new Failed("more than " + MAX_REDIRECTS + " redirects", status);
                }
                final OriginPolicy.Verdict verdict = settings.originPolicy().check(request.uri(), location.get());
                if (!verdict.isAllowed()) {
                    return new Refused("HTTP " + status + " redirect refused: " + verdict.reason(), verdict.origin());
                }
                // 303, and 301/302 after a POST, become a GET as in browsers; 307 and 308 keep the method and body.
                final boolean keepBody = status == 307 || status == 308;
                if (!keepBody && request.method() != null) {
                    // A push (explicit method) must not turn into a GET whose answer would look like the push's result.
                    return new Failed("HTTP " + status + " redirect would turn the " + request.method() + " into a GET; not followed", status);
                }
                request = new PageRequest(verdict.uri(), request.headers(), keepBody ? request.body() : null, request.method());
                continue;
            }
            if (status >= 200 && status < 300) {
                final long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                final Duration pause = RateLimitHeaders.budgetExhausted(header)
                        ? RateLimitHeaders.requestedWait(header, clock.instant()).orElse(Duration.ZERO) : Duration.ZERO;
                return new Success(status, response.body(), response.headers(), response.uri(), elapsedMillis, pause);
            }
            if (status == 401 && authorizer.refreshable() && !refreshed) {
                // The retry only goes out if the authorizer has different credentials to offer (see build).
                refreshed = true;
                listener.refreshingCredentials();
                continue;
            }
            final Optional<Duration> requestedWait = RateLimitHeaders.requestedWait(header, clock.instant());
            if (status == 429 || (status == 503 && requestedWait.isPresent())) {
                rateLimitedResponses++;
                final Duration wait = requestedWait.isPresent() ? requestedWait.get() : backoff.delay(rateLimitedResponses);
                if (wait.compareTo(settings.maxRateLimitWait()) > 0 || rateLimitedResponses > settings.maxRetries() + 1) {
                    return new RateLimited(status, wait);
                }
                listener.rateLimited(status, wait);
                sleeper.sleep(wait);
                continue;
            }
            if (status >= 500 || status == 408) {
                failures++;
                if (failures > settings.maxRetries()) {
                    return new Failed("HTTP " + status + " (" + failures + " attempts)", status);
                }
                final Duration delay = backoff.delay(failures);
                listener.retrying("HTTP " + status, failures, delay);
                sleeper.sleep(delay);
                continue;
            }
            return new Failed("HTTP " + status, status);
        }
    }

    private HttpRequest build(final PageRequest request, final Authorizer authorizer, final boolean refreshed) {
        final HttpRequest.Builder builder = HttpRequest.newBuilder(request.uri()).timeout(settings.readTimeout());
        request.headers().forEach(builder::header);
        builder.header("Accept", "application/json");
        if (request.body() == null) {
            builder.GET();
        } else {
            builder.header("Content-Type", "application/json");
            builder.method(request.method() == null ? "POST" : request.method(), HttpRequest.BodyPublishers.ofString(request.body()));
        }
        authorizer.authorize(builder, refreshed);
        return builder.build();
    }

    private HttpResponse<byte[]> send(final HttpRequest request) throws InterruptedException, TransientException {
        final CompletableFuture<HttpResponse<byte[]>> future = client.sendAsync(request, settings.sizeLimit().handler());
        try {
            // The request timeout only covers the wait for headers; this bounds the body as well.
            return future.get(settings.readTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (final TimeoutException e) {
            future.cancel(true);
            throw new TransientException("read timed out after " + settings.readTimeout().toMillis() + " ms");
        } catch (final ExecutionException e) {
            final Throwable cause = e.getCause();
            for (Throwable link = cause; link != null; link = link.getCause()) {
                if (link instanceof ResponseSizeLimit.TooLargeException tooLarge) {
                    throw tooLarge;
                }
            }
            if (cause instanceof IOException) {
                throw new TransientException(describe(cause));
            }
            throw new IllegalStateException("HTTP request failed unexpectedly", cause);
        } catch (final InterruptedException e) {
            future.cancel(true);
            throw e;
        }
    }

    private static String describe(final Throwable cause) {
        final String message = cause.getMessage();
        return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    /** Waits; replaceable in tests. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    /** Adds credentials to a request. */
    public interface Authorizer {
        /**
         * @param refresh true when the previous attempt was refused with 401 and fresh credentials are wanted
         * @throws NoFreshCredentialsException when fresh credentials are wanted but only the refused ones are available
         */
        void authorize(HttpRequest.Builder builder, boolean refresh);

        /** Whether fresh credentials can be obtained (OAuth2), making a retry after 401 worthwhile. */
        boolean refreshable();

        /** Thrown by {@link #authorize} when a retry would only resend the credentials just refused. */
        final class NoFreshCredentialsException extends RuntimeException {
            public NoFreshCredentialsException(final String message) {
                super(message);
            }
        }
    }

    /** Told about waits, for logging. */
    public interface Listener {
        void retrying(String reason, int attempt, Duration delay);

        void rateLimited(int status, Duration wait);

        void refreshingCredentials();
    }

    /**
     * @param readTimeout limit for one whole exchange
     * @param maxRetries retries after a transient failure; also bounds rate-limited responses per request
     * @param maxRateLimitWait longest wait honoured inside a trigger
     * @param sizeLimit largest response body read
     * @param originPolicy where redirects may lead
     */
    public record Settings(Duration readTimeout, int maxRetries, Duration maxRateLimitWait, ResponseSizeLimit sizeLimit,
                           OriginPolicy originPolicy) {

        /** No size limit beyond 1 GB; redirects only within the given endpoint's origin. */
        public Settings(final Duration readTimeout, final int maxRetries, final Duration maxRateLimitWait, final String endpoint) {
            this(readTimeout, maxRetries, maxRateLimitWait, new ResponseSizeLimit(1L << 30), new OriginPolicy(endpoint, List.of()));
        }
    }

    /**
     * A request; a null body means GET, otherwise a JSON body sent with the method.
     *
     * @param method POST, PUT or PATCH for a body; null for the default (GET without a body, POST with one), whose POST may
     *               follow a 301, 302 or 303 as a GET. A request with an explicit method never changes it on a redirect.
     */
    public record PageRequest(URI uri, Map<String, String> headers, String body, String method) {

        public PageRequest(final URI uri, final Map<String, String> headers, final String body) {
            this(uri, headers, body, null);
        }
    }

    /** What a fetch came to. */
    public sealed interface Outcome permits Success, RateLimited, Failed, Refused {
    }

    /**
     * A redirect led somewhere the origin policy forbids; nothing was sent there.
     *
     * @param origin the refused origin, null when the target has none
     */
    public record Refused(String reason, String origin) implements Outcome {
    }

    /**
     * @param pauseBeforeNext wait the server asks for before the next request (budget used up), zero when none
     */
    public record Success(int status, byte[] body, HttpHeaders headers, URI uri, long elapsedMillis, Duration pauseBeforeNext) implements Outcome {
    }

    /** The server asked for a longer wait than allowed within a trigger; resume later. */
    public record RateLimited(int status, Duration requestedWait) implements Outcome {
    }

    /**
     * @param status HTTP status, 0 when no response came
     */
    public record Failed(String reason, int status) implements Outcome {
    }

    private static final class TransientException extends Exception {
        TransientException(final String message) {
            super(message);
        }
    }
}
