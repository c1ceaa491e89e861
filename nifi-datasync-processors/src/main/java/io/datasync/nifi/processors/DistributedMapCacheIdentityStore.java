package io.datasync.nifi.processors;

import io.datasync.nifi.identity.IdentityStore;
import org.apache.nifi.distributed.cache.client.Deserializer;
import org.apache.nifi.distributed.cache.client.DistributedMapCacheClient;
import org.apache.nifi.distributed.cache.client.Serializer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;

/**
 * The identity index on a stock DistributedMapCacheClient: UTF-8 string keys and values, with the
 * client's atomic getAndPutIfAbsent for claims.
 */
final class DistributedMapCacheIdentityStore implements IdentityStore {

    private static final Serializer<String> STRING_SERIALIZER = (value, out) -> out.write(value.getBytes(StandardCharsets.UTF_8));
    private static final Deserializer<String> STRING_DESERIALIZER =
            input -> input == null || input.length == 0 ? null : new String(input, StandardCharsets.UTF_8);

    private final DistributedMapCacheClient client;

    DistributedMapCacheIdentityStore(final DistributedMapCacheClient client) {
        this.client = client;
    }

    @Override
    public Map<String, String> getAll(final Set<String> keys) throws IOException {
        return client.subMap(keys, STRING_SERIALIZER, STRING_DESERIALIZER);
    }

    @Override
    public String getAndPutIfAbsent(final String key, final String value) throws IOException {
        return client.getAndPutIfAbsent(key, value, STRING_SERIALIZER, STRING_SERIALIZER, STRING_DESERIALIZER);
    }

    @Override
    public void put(final String key, final String value) throws IOException {
        client.put(key, value, STRING_SERIALIZER, STRING_SERIALIZER);
    }
}
