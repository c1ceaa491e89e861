package io.datasync.nifi.processors;

import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.distributed.cache.client.Deserializer;
import org.apache.nifi.distributed.cache.client.DistributedMapCacheClient;
import org.apache.nifi.distributed.cache.client.Serializer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A thread-safe in-memory DistributedMapCacheClient with the stock server's semantics: putIfAbsent and
 * getAndPutIfAbsent are atomic per key. Can be switched "down" so every call throws IOException, and can
 * yield the thread inside each call to widen race windows between concurrent clients.
 */
public class InMemoryMapCacheClient extends AbstractControllerService implements DistributedMapCacheClient {

    private final ConcurrentHashMap<ByteBuffer, byte[]> entries = new ConcurrentHashMap<>();
    private final AtomicBoolean down = new AtomicBoolean();
    private final AtomicInteger getAndPutIfAbsentCalls = new AtomicInteger();
    private final AtomicInteger claimsFoundTaken = new AtomicInteger();
    private volatile boolean yieldInsideCalls;

    public void setDown(final boolean isDown) {
        down.set(isDown);
    }

    public void setYieldInsideCalls(final boolean yield) {
        this.yieldInsideCalls = yield;
    }

    public int getAndPutIfAbsentCalls() {
        return getAndPutIfAbsentCalls.get();
    }

    /**
     * @return how many getAndPutIfAbsent calls found the key already present (lost a race or came late)
     */
    public int claimsFoundTaken() {
        return claimsFoundTaken.get();
    }

    public int size() {
        return entries.size();
    }

    /**
     * @return every entry as UTF-8 strings, sorted by key
     */
    public Map<String, String> snapshot() {
        final Map<String, String> snapshot = new TreeMap<>();
        entries.forEach((key, value) -> snapshot.put(StandardCharsets.UTF_8.decode(key.duplicate()).toString(), new String(value, StandardCharsets.UTF_8)));
        return snapshot;
    }

    public void putString(final String key, final String value) {
        entries.put(ByteBuffer.wrap(key.getBytes(StandardCharsets.UTF_8)), value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public <K, V> boolean putIfAbsent(final K key, final V value, final Serializer<K> keySerializer, final Serializer<V> valueSerializer) throws IOException {
        checkUp();
        return entries.putIfAbsent(toKey(key, keySerializer), toBytes(value, valueSerializer)) == null;
    }

    @Override
    public <K, V> V getAndPutIfAbsent(final K key, final V value, final Serializer<K> keySerializer, final Serializer<V> valueSerializer,
                                      final Deserializer<V> valueDeserializer) throws IOException {
        checkUp();
        getAndPutIfAbsentCalls.incrementAndGet();
        final byte[] previous = entries.putIfAbsent(toKey(key, keySerializer), toBytes(value, valueSerializer));
        if (previous != null) {
            claimsFoundTaken.incrementAndGet();
        }
        pause();
        return previous == null ? null : valueDeserializer.deserialize(previous);
    }

    @Override
    public <K> boolean containsKey(final K key, final Serializer<K> keySerializer) throws IOException {
        checkUp();
        return entries.containsKey(toKey(key, keySerializer));
    }

    @Override
    public <K, V> void put(final K key, final V value, final Serializer<K> keySerializer, final Serializer<V> valueSerializer) throws IOException {
        checkUp();
        entries.put(toKey(key, keySerializer), toBytes(value, valueSerializer));
        pause();
    }

    @Override
    public <K, V> V get(final K key, final Serializer<K> keySerializer, final Deserializer<V> valueDeserializer) throws IOException {
        checkUp();
        final byte[] value = entries.get(toKey(key, keySerializer));
        pause();
        return value == null ? null : valueDeserializer.deserialize(value);
    }

    @Override
    public void close() {
    }

    @Override
    public <K> boolean remove(final K key, final Serializer<K> keySerializer) throws IOException {
        checkUp();
        return entries.remove(toKey(key, keySerializer)) != null;
    }

    private void checkUp() throws IOException {
        if (down.get()) {
            throw new IOException("Connection refused: cache server unavailable");
        }
    }

    private void pause() {
        if (yieldInsideCalls) {
            Thread.yield();
        }
    }

    private static <T> ByteBuffer toKey(final T key, final Serializer<T> serializer) throws IOException {
        return ByteBuffer.wrap(toBytes(key, serializer));
    }

    private static <T> byte[] toBytes(final T value, final Serializer<T> serializer) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        serializer.serialize(value, out);
        return out.toByteArray();
    }
}
