package io.datasync.nifi.processors.fetch;

import io.datasync.nifi.fetch.PageFetcher;
import io.datasync.nifi.fetch.UrlRedactor;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.processor.ProcessSession;

import java.time.Duration;

import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.COUNTER_RATE_LIMIT_WAITS;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.COUNTER_REQUESTS_RETRIED;

/** Logs and counts the waits and retries of one request of IncrementalApiFetch, with the URL already redacted. */
public final class IncrementalApiFetchListener implements PageFetcher.Listener {
    private final ComponentLog logger;
    private final String shownUrl;
    private final UrlRedactor redactor;
    /** Waits the fetcher made within this request because the API asked it to. */
    private int rateLimitWaits;
    /** Requests retried within this request after a transient failure (5xx, 408, timeout, connection error). */
    private int retries;

    public IncrementalApiFetchListener(final ComponentLog logger, final String shownUrl, final UrlRedactor redactor) {
        this.logger = logger;
        this.shownUrl = shownUrl;
        this.redactor = redactor;
    }

    @Override
    public void retrying(final String reason, final int attempt, final Duration delay) {
        // INFO, not a warning bulletin: a retried request may well succeed (a flaky API makes a healthy flow show warnings
        // otherwise); it is counted, and a page whose retries run out is an error bulletin.
        retries++;
        logger.info("Request to {} failed ({}); retry {} in {} ms", shownUrl, redactor.scrub(reason), attempt, delay.toMillis());
    }

    @Override
    public void rateLimited(final int status, final Duration wait) {
        rateLimitWaits++;
        logger.info("Rate limited by {} (HTTP {}); waiting {} ms as asked", shownUrl, status, wait.toMillis());
    }

    @Override
    public void refreshingCredentials() {
        logger.info("Request to {} refused with HTTP 401; asking the OAuth2 Access Token Provider for a different token", shownUrl);
    }

    /** Adds the request's waits and retries to the counters, in the session that commits the page. */
    public void adjustCounters(final ProcessSession session) {
        if (rateLimitWaits > 0) {
            session.adjustCounter(COUNTER_RATE_LIMIT_WAITS, rateLimitWaits, false);
        }
        if (retries > 0) {
            session.adjustCounter(COUNTER_REQUESTS_RETRIED, retries, false);
        }
    }
}
