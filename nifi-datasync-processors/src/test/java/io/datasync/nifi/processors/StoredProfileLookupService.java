package io.datasync.nifi.processors;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.lookup.LookupFailureException;
import org.apache.nifi.lookup.LookupService;
import org.apache.nifi.serialization.record.Record;

/** A stand-in for DatabaseRecordLookupService: stored profiles by key, and a switch to simulate an outage. */
public class StoredProfileLookupService extends AbstractControllerService implements LookupService<Record> {

    private final Map<String, Record> profiles = new ConcurrentHashMap<>();
    private volatile boolean down;
    private final AtomicInteger lookups = new AtomicInteger();

    public void put(final String key, final Record profile) {
        profiles.put(key, profile);
    }

    public void clear() {
        profiles.clear();
    }

    public void setDown(final boolean down) {
        this.down = down;
    }

    public int getLookups() {
        return lookups.get();
    }

    @Override
    public Optional<Record> lookup(final Map<String, Object> coordinates) throws LookupFailureException {
        lookups.incrementAndGet();
        if (down) {
            throw new LookupFailureException("database unavailable");
        }
        return Optional.ofNullable(profiles.get(String.valueOf(coordinates.get("key"))));
    }

    @Override
    public Class<?> getValueType() {
        return Record.class;
    }

    @Override
    public Set<String> getRequiredKeys() {
        return Set.of("key");
    }
}
