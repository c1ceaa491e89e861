package io.datasync.nifi.processors.dedup;

import io.datasync.nifi.identity.IdentityStore;
import io.datasync.nifi.processors.common.Utf8CacheSerde;
import org.apache.nifi.distributed.cache.client.DistributedMapCacheClient;

import java.io.IOException;
import java.util.Map;
import java.util.Set;

/**
 * The identity index on a stock DistributedMapCacheClient: UTF-8 string keys and values, with the
 * client's atomic getAndPutIfAbsent for claims.
 */
public final class DistributedMapCacheIdentityStore implements IdentityStore {

    private final DistributedMapCacheClient client;

    public DistributedMapCacheIdentityStore(final DistributedMapCacheClient client) {
        this.client = client;
    }

    @Override
    public Map<String, String> getAll(final Set<String> keys) throws IOException {
        return client.subMap(keys, Utf8CacheSerde.SERIALIZER, Utf8CacheSerde.DESERIALIZER);
    }

    @Override
    public String getAndPutIfAbsent(final String key, final String value) throws IOException {
        return client.getAndPutIfAbsent(key, value, Utf8CacheSerde.SERIALIZER, Utf8CacheSerde.SERIALIZER, Utf8CacheSerde.DESERIALIZER);
    }

    @Override
    public void put(final String key, final String value) throws IOException {
        client.put(key, value, Utf8CacheSerde.SERIALIZER, Utf8CacheSerde.SERIALIZER);
    }
}
