package io.datasync.nifi.fetch;

import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

class PageFetcherTest {

    private final List<Duration> sleeps = new ArrayList<>();
    private final List<String> events = new ArrayList<>();
    private MockWebServer server;
    private HttpClient client;

    @BeforeEach
    void startServer() throws IOException {
        server = new MockWebServer();
        server.start(InetAddress.getByName("127.0.0.1"), 0);
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterEach
    void stopServer() throws IOException {
        client.shutdownNow();
        server.shutdown();
    }

    private PageFetcher fetcher(final int maxRetries, final Duration maxRateLimitWait) {
        return new PageFetcher(client, new PageFetcher.Settings(Duration.ofSeconds(2), maxRetries, maxRateLimitWait, server.url("/").toString()),
                new Backoff(Duration.ofMillis(8), Duration.ofMillis(64), () -> 0.0), null, sleeps::add, Clock.systemUTC());
    }

    private PageFetcher.Outcome fetch(final PageFetcher fetcher, final PageFetcher.Authorizer authorizer) throws InterruptedException {
        final PageFetcher.PageRequest request = new PageFetcher.PageRequest(server.url("/p").uri(), Map.of("X-Tenant", "t1"), null);
        return fetcher.fetch(request, authorizer, new PageFetcher.Listener() {
            @Override
            public void retrying(final String reason, final int attempt, final Duration delay) {
                events.add("retry " + attempt + " " + reason);
            }

            @Override
            public void rateLimited(final int status, final Duration wait) {
                events.add("limited " + status);
            }

            @Override
            public void refreshingCredentials() {
                events.add("refresh");
            }
        });
    }

    private static PageFetcher.Authorizer none() {
        return new PageFetcher.Authorizer() {
            @Override
            public void authorize(final HttpRequest.Builder builder, final boolean refresh) {
            }

            @Override
            public boolean refreshable() {
                return false;
            }
        };
    }

    @Test
    void backoffDoublesBetweenRetriesOfServerErrors() throws Exception {
        server.enqueue(new MockResponse().setResponseCode(500));
        server.enqueue(new MockResponse().setResponseCode(502));
        server.enqueue(new MockResponse().setBody("[1]"));
        final PageFetcher.Success success = assertInstanceOf(PageFetcher.Success.class, fetch(fetcher(3, Duration.ofSeconds(10)), none()));
        assertEquals("[1]", new String(success.body(), StandardCharsets.UTF_8));
        assertEquals(List.of(Duration.ofMillis(4), Duration.ofMillis(8)), sleeps);
        assertEquals("t1", server.takeRequest().getHeader("X-Tenant"));
    }

    @Test
    void clientErrorsAreNotRetried() throws Exception {
        server.enqueue(new MockResponse().setResponseCode(404));
        final PageFetcher.Failed failed = assertInstanceOf(PageFetcher.Failed.class, fetch(fetcher(3, Duration.ofSeconds(10)), none()));
        assertEquals(404, failed.status());
        assertEquals(1, server.getRequestCount());
    }

    @Test
    void rateLimitsWithinTheMaximumAreWaitedOutAndLongerOnesReturned() throws Exception {
        server.enqueue(new MockResponse().setResponseCode(429).setHeader("RateLimit-Reset", "2"));
        server.enqueue(new MockResponse().setResponseCode(429).setHeader("Retry-After", "3600"));
        final PageFetcher.RateLimited limited = assertInstanceOf(PageFetcher.RateLimited.class, fetch(fetcher(3, Duration.ofSeconds(10)), none()));
        assertEquals(Duration.ofHours(1), limited.requestedWait());
        assertEquals(List.of(Duration.ofSeconds(2)), sleeps);
        assertEquals(List.of("limited 429"), events);
    }

    @Test
    void rateLimitWithoutAWaitHeaderBacksOff() throws Exception {
        server.enqueue(new MockResponse().setResponseCode(429));
        server.enqueue(new MockResponse().setBody("[]"));
        assertInstanceOf(PageFetcher.Success.class, fetch(fetcher(3, Duration.ofSeconds(10)), none()));
        assertEquals(List.of(Duration.ofMillis(4)), sleeps);
    }

    @Test
    void exhaustedBudgetOnASuccessAsksForAPause() throws Exception {
        server.enqueue(new MockResponse().setBody("[]").setHeader("X-RateLimit-Remaining", "0").setHeader("X-RateLimit-Reset", "5"));
        final PageFetcher.Success success = assertInstanceOf(PageFetcher.Success.class, fetch(fetcher(0, Duration.ofSeconds(10)), none()));
        assertEquals(Duration.ofSeconds(5), success.pauseBeforeNext());
    }

    @Test
    void unauthorizedIsRetriedOnceWithRefreshedCredentials() throws Exception {
        server.enqueue(new MockResponse().setResponseCode(401));
        server.enqueue(new MockResponse().setResponseCode(401));
        final List<Boolean> refreshFlags = new ArrayList<>();
        final PageFetcher.Authorizer refreshable = new PageFetcher.Authorizer() {
            @Override
            public void authorize(final HttpRequest.Builder builder, final boolean refresh) {
                refreshFlags.add(refresh);
            }

            @Override
            public boolean refreshable() {
                return true;
            }
        };
        final PageFetcher.Failed failed = assertInstanceOf(PageFetcher.Failed.class, fetch(fetcher(3, Duration.ofSeconds(10)), refreshable));
        assertEquals(401, failed.status());
        assertEquals(List.of(false, true), refreshFlags);
        assertEquals(List.of("refresh"), events);
    }

    private PageFetcher.Outcome post(final PageFetcher fetcher) throws InterruptedException {
        final PageFetcher.PageRequest request = new PageFetcher.PageRequest(server.url("/search").uri(), Map.of(), "{\"q\":1}");
        return fetcher.fetch(request, none(), new PageFetcher.Listener() {
            @Override
            public void retrying(final String reason, final int attempt, final Duration delay) {
            }

            @Override
            public void rateLimited(final int status, final Duration wait) {
            }

            @Override
            public void refreshingCredentials() {
            }
        });
    }

    @Test
    void redirectsKeepOrDropThePostBodyAsBrowsersDo() throws Exception {
        server.enqueue(new MockResponse().setResponseCode(307).setHeader("Location", "/search2"));
        server.enqueue(new MockResponse().setResponseCode(303).setHeader("Location", "/results?id=7"));
        server.enqueue(new MockResponse().setBody("[]"));
        final PageFetcher.Success success = assertInstanceOf(PageFetcher.Success.class, post(fetcher(0, Duration.ofSeconds(1))));
        assertEquals(server.url("/results?id=7").uri(), success.uri(), "relative links then resolve against the final URI");
        server.takeRequest();
        final okhttp3.mockwebserver.RecordedRequest kept = server.takeRequest();
        assertEquals("POST", kept.getMethod());
        assertEquals("{\"q\":1}", kept.getBody().readUtf8());
        final okhttp3.mockwebserver.RecordedRequest changed = server.takeRequest();
        assertEquals("GET", changed.getMethod());
        assertEquals(0, changed.getBodySize());
    }

    @Test
    void aRedirectToAnotherPortIsRefusedAndNotSent() throws Exception {
        server.enqueue(new MockResponse().setResponseCode(302).setHeader("Location", "http://127.0.0.1:1/elsewhere"));
        final PageFetcher.Refused refused = assertInstanceOf(PageFetcher.Refused.class, fetch(fetcher(3, Duration.ofSeconds(1)), none()));
        assertEquals("http://127.0.0.1:1", refused.origin());
        assertEquals(1, server.getRequestCount());
    }
}
