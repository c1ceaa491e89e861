package io.datasync.nifi.processors;

import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.distributed.cache.client.Deserializer;
import org.apache.nifi.distributed.cache.client.DistributedMapCacheClient;
import org.apache.nifi.distributed.cache.client.Serializer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A thread-safe DistributedMapCacheClient held in memory, with the atomic put-if-absent of the
 * real map cache server, and a switch that makes every call fail as an unreachable server would.
 */
public class InMemoryMapCacheClient extends AbstractControllerService implements DistributedMapCacheClient {

    private final Map<ByteBuffer, byte[]> entries = new ConcurrentHashMap<>();
    private volatile boolean unavailable;

    public void setUnavailable(final boolean unavailable) {
        this.unavailable = unavailable;
    }

    public int size() {
        return entries.size();
    }

    public Map<ByteBuffer, byte[]> entries() {
        return Map.copyOf(entries);
    }

    private void checkAvailable() throws IOException {
        if (unavailable) {
            throw new IOException("Connection refused: cache server 127.0.0.1:4557");
        }
    }

    private static <T> byte[] serialize(final T value, final Serializer<T> serializer) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        serializer.serialize(value, out);
        return out.toByteArray();
    }

    private static <T> ByteBuffer keyOf(final T key, final Serializer<T> serializer) throws IOException {
        return ByteBuffer.wrap(serialize(key, serializer));
    }

    @Override
    public <K, V> boolean putIfAbsent(final K key, final V value, final Serializer<K> keySerializer, final Serializer<V> valueSerializer)
            throws IOException {
        checkAvailable();
        return entries.putIfAbsent(keyOf(key, keySerializer), serialize(value, valueSerializer)) == null;
    }

    @Override
    public <K, V> V getAndPutIfAbsent(final K key, final V value, final Serializer<K> keySerializer, final Serializer<V> valueSerializer,
                                      final Deserializer<V> valueDeserializer) throws IOException {
        checkAvailable();
        final byte[] previous = entries.putIfAbsent(keyOf(key, keySerializer), serialize(value, valueSerializer));
        return previous == null ? null : valueDeserializer.deserialize(previous);
    }

    @Override
    public <K> boolean containsKey(final K key, final Serializer<K> keySerializer) throws IOException {
        checkAvailable();
        return entries.containsKey(keyOf(key, keySerializer));
    }

    @Override
    public <K, V> void put(final K key, final V value, final Serializer<K> keySerializer, final Serializer<V> valueSerializer) throws IOException {
        checkAvailable();
        entries.put(keyOf(key, keySerializer), serialize(value, valueSerializer));
    }

    @Override
    public <K, V> V get(final K key, final Serializer<K> keySerializer, final Deserializer<V> valueDeserializer) throws IOException {
        checkAvailable();
        final byte[] value = entries.get(keyOf(key, keySerializer));
        return value == null ? null : valueDeserializer.deserialize(value);
    }

    @Override
    public <K> boolean remove(final K key, final Serializer<K> serializer) throws IOException {
        checkAvailable();
        return entries.remove(keyOf(key, serializer)) != null;
    }

    @Override
    public void close() {
    }
}
