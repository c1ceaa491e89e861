package io.datasync.nifi.merge;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a FlowFile's stored-profile lookups a few at a time. Each lookup is a round trip to the
 * store (one per customer), so a FlowFile of many customers spends most of its time waiting;
 * overlapping the waits shortens it without changing the result: results come back keyed and in
 * the order the keys were given, and the first failure fails the whole batch.
 */
public final class ConcurrentLookups implements AutoCloseable {

    /** One lookup; may return empty when the store holds nothing for the key. */
    @FunctionalInterface
    public interface Lookup<V> {
        Optional<V> lookUp(String key) throws Exception;
    }

    private final ExecutorService executor;

    /**
     * @param parallelism lookups in flight at once; 1 runs them on the caller's thread
     * @param threadNamePrefix names the worker threads (shown in thread dumps)
     */
    public ConcurrentLookups(final int parallelism, final String threadNamePrefix) {
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be at least 1");
        }
        if (parallelism == 1) {
            executor = null;
        } else {
            final AtomicInteger count = new AtomicInteger();
            final ThreadFactory factory = runnable -> {
                final Thread thread = new Thread(runnable, threadNamePrefix + "-" + count.incrementAndGet());
                thread.setDaemon(true);
                return thread;
            };
            executor = Executors.newFixedThreadPool(parallelism, factory);
        }
    }

    /**
     * Looks every key up and returns the values found, in key order.
     *
     * @throws LookupException wrapping the first failure (remaining lookups are cancelled)
     */
    public <V> Map<String, V> lookUpAll(final List<String> keys, final Lookup<V> lookup) throws LookupException, InterruptedException {
        final Map<String, V> found = new LinkedHashMap<>();
        if (executor == null) {
            for (final String key : keys) {
                final Optional<V> value;
                try {
                    value = lookup.lookUp(key);
                } catch (final Exception e) {
                    throw new LookupException(e);
                }
                value.ifPresent(v -> found.put(key, v));
            }
            return found;
        }
        final List<Future<Optional<V>>> pending = new ArrayList<>(keys.size());
        try {
            for (final String key : keys) {
                pending.add(executor.submit(() -> lookup.lookUp(key)));
            }
            for (int i = 0; i < keys.size(); i++) {
                final Optional<V> value;
                try {
                    value = pending.get(i).get();
                } catch (final ExecutionException e) {
                    throw new LookupException(e.getCause());
                }
                final String key = keys.get(i);
                value.ifPresent(v -> found.put(key, v));
            }
            return found;
        } finally {
            pending.forEach(future -> future.cancel(true));
        }
    }

    @Override
    public void close() {
        if (executor != null) {
            executor.shutdownNow();
        }
    }

    /** A lookup failed; the cause is the lookup's own exception. */
    public static final class LookupException extends Exception {
        public LookupException(final Throwable cause) {
            super(cause);
        }
    }
}
