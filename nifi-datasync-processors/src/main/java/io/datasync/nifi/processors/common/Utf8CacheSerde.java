package io.datasync.nifi.processors.common;

import java.nio.charset.StandardCharsets;
import org.apache.nifi.distributed.cache.client.Deserializer;
import org.apache.nifi.distributed.cache.client.Serializer;

/** UTF-8 string keys and values for a DistributedMapCacheClient; an absent or empty entry reads as null. */
public final class Utf8CacheSerde {

    public static final Serializer<String> SERIALIZER = (value, out) -> out.write(value.getBytes(StandardCharsets.UTF_8));
    public static final Deserializer<String> DESERIALIZER =
            input -> input == null || input.length == 0 ? null : new String(input, StandardCharsets.UTF_8);

    private Utf8CacheSerde() {
    }
}
