package io.datasync.nifi.merge;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConcurrentLookupsTest {

    @Test
    void returnsWhatWasFoundInKeyOrder() throws Exception {
        try (ConcurrentLookups lookups = new ConcurrentLookups(3, "test")) {
            final Map<String, String> found = lookups.lookUpAll(List.of("c", "a", "b", "d"),
                    key -> key.equals("b") ? Optional.empty() : Optional.of(key.toUpperCase()));
            assertEquals(List.of("c", "a", "d"), List.copyOf(found.keySet()));
            assertEquals("A", found.get("a"));
        }
    }

    @Test
    void lookupsOverlapUpToTheParallelism() throws Exception {
        final CountDownLatch allInFlight = new CountDownLatch(4);
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger mostInFlight = new AtomicInteger();
        try (ConcurrentLookups lookups = new ConcurrentLookups(4, "test")) {
            lookups.lookUpAll(List.of("1", "2", "3", "4", "5", "6", "7", "8"), key -> {
                mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                allInFlight.countDown();
                // Each of the first four waits until all four run at once; one thread at a time would time out here.
                final boolean overlapped = allInFlight.await(5, TimeUnit.SECONDS);
                inFlight.decrementAndGet();
                return overlapped ? Optional.of(key) : Optional.empty();
            });
        }
        assertEquals(4, mostInFlight.get());
    }

    @Test
    void theFirstFailureFailsTheBatch() {
        try (ConcurrentLookups lookups = new ConcurrentLookups(2, "test")) {
            final ConcurrentLookups.LookupException e = assertThrows(ConcurrentLookups.LookupException.class,
                    () -> lookups.lookUpAll(List.of("a", "b", "c"), key -> {
                        if (key.equals("b")) {
                            throw new IOException("store down");
                        }
                        return Optional.of(key);
                    }));
            assertInstanceOf(IOException.class, e.getCause());
        }
    }

    @Test
    void oneAtATimeRunsOnTheCallersThread() throws Exception {
        final Thread caller = Thread.currentThread();
        try (ConcurrentLookups lookups = new ConcurrentLookups(1, "test")) {
            final Map<String, Boolean> onCaller = lookups.lookUpAll(List.of("a"), key -> Optional.of(Thread.currentThread() == caller));
            assertTrue(onCaller.get("a"));
        }
    }
}
