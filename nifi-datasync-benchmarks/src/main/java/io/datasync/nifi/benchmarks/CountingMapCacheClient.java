package io.datasync.nifi.benchmarks;

import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.distributed.cache.client.Deserializer;
import org.apache.nifi.distributed.cache.client.DistributedMapCacheClient;
import org.apache.nifi.distributed.cache.client.Serializer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * An in-memory DistributedMapCacheClient that stores exactly the bytes a processor's serializers
 * produce, as the stock map cache server would, and counts them and the calls made. What a
 * processor writes here is what it would send to (and keep in) a real cache server: key bytes plus
 * value bytes per entry, and one network round trip per call.
 */
public class CountingMapCacheClient extends AbstractControllerService implements DistributedMapCacheClient {

    private final Map<ByteBuffer, byte[]> entries = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> calls = new ConcurrentHashMap<>();

    long entryCount() {
        return entries.size();
    }

    long keyBytes() {
        return entries.keySet().stream().mapToLong(ByteBuffer::remaining).sum();
    }

    long valueBytes() {
        return entries.values().stream().mapToLong(value -> value.length).sum();
    }

    /** Calls per method name, sorted by name. */
    Map<String, Long> calls() {
        final Map<String, Long> sorted = new TreeMap<>();
        calls.forEach((method, count) -> sorted.put(method, count.sum()));
        return sorted;
    }

    void clear() {
        entries.clear();
        calls.clear();
    }

    private void count(final String method) {
        calls.computeIfAbsent(method, m -> new LongAdder()).increment();
    }

    private static <T> byte[] bytes(final T value, final Serializer<T> serializer) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        serializer.serialize(value, out);
        return out.toByteArray();
    }

    private static ByteBuffer key(final byte[] bytes) {
        return ByteBuffer.wrap(bytes).asReadOnlyBuffer();
    }

    @Override
    public <K, V> boolean putIfAbsent(final K key, final V value, final Serializer<K> keySerializer, final Serializer<V> valueSerializer)
            throws IOException {
        count("putIfAbsent");
        return entries.putIfAbsent(key(bytes(key, keySerializer)), bytes(value, valueSerializer)) == null;
    }

    @Override
    public <K, V> V getAndPutIfAbsent(final K key, final V value, final Serializer<K> keySerializer, final Serializer<V> valueSerializer,
                                      final Deserializer<V> valueDeserializer) throws IOException {
        count("getAndPutIfAbsent");
        final byte[] existing = entries.putIfAbsent(key(bytes(key, keySerializer)), bytes(value, valueSerializer));
        return existing == null ? null : valueDeserializer.deserialize(existing);
    }

    @Override
    public <K> boolean containsKey(final K key, final Serializer<K> keySerializer) throws IOException {
        count("containsKey");
        return entries.containsKey(key(bytes(key, keySerializer)));
    }

    @Override
    public <K, V> void put(final K key, final V value, final Serializer<K> keySerializer, final Serializer<V> valueSerializer) throws IOException {
        count("put");
        entries.put(key(bytes(key, keySerializer)), bytes(value, valueSerializer));
    }

    @Override
    public <K, V> void putAll(final Map<K, V> keysAndValues, final Serializer<K> keySerializer, final Serializer<V> valueSerializer)
            throws IOException {
        count("putAll");
        for (final Map.Entry<K, V> entry : keysAndValues.entrySet()) {
            entries.put(key(bytes(entry.getKey(), keySerializer)), bytes(entry.getValue(), valueSerializer));
        }
    }

    @Override
    public <K, V> V get(final K key, final Serializer<K> keySerializer, final Deserializer<V> valueDeserializer) throws IOException {
        count("get");
        final byte[] value = entries.get(key(bytes(key, keySerializer)));
        return value == null ? null : valueDeserializer.deserialize(value);
    }

    @Override
    public <K, V> Map<K, V> subMap(final Set<K> keys, final Serializer<K> keySerializer, final Deserializer<V> valueDeserializer)
            throws IOException {
        count("subMap");
        final Map<K, V> found = new HashMap<>();
        for (final K key : keys) {
            final byte[] value = entries.get(key(bytes(key, keySerializer)));
            found.put(key, value == null ? null : valueDeserializer.deserialize(value));
        }
        return found;
    }

    @Override
    public <K> boolean remove(final K key, final Serializer<K> keySerializer) throws IOException {
        count("remove");
        return entries.remove(key(bytes(key, keySerializer))) != null;
    }

    @Override
    public <K, V> V removeAndGet(final K key, final Serializer<K> keySerializer, final Deserializer<V> valueDeserializer) throws IOException {
        count("removeAndGet");
        final byte[] value = entries.remove(key(bytes(key, keySerializer)));
        return value == null ? null : valueDeserializer.deserialize(value);
    }

    @Override
    public <K> Set<K> keySet(final Deserializer<K> keyDeserializer) throws IOException {
        count("keySet");
        final Set<K> keys = new HashSet<>();
        for (final ByteBuffer key : entries.keySet()) {
            final byte[] copy = new byte[key.remaining()];
            key.duplicate().get(copy);
            keys.add(keyDeserializer.deserialize(copy));
        }
        return keys;
    }

    @Override
    public void close() {
        // Nothing to release: the entries live as long as the benchmark needs them.
    }
}
