package io.datasync.nifi.identity;

import java.nio.ByteBuffer;
import java.util.UUID;

/**
 * Derives the id of a customer seen for the first time from what identifies it (the cluster's
 * anchor key, see {@link Clusters#anchorOf}, or a keyless record's fingerprint), so the same data gives the same ids on every
 * run, on every node and without a shared index. The id is a UUID (version 8, RFC 9562) made of the
 * first 128 bits of a hash of that anchor under the identity key: it reveals nothing about the
 * identifiers behind it to whoever lacks the key. Not thread-safe (holds a {@link KeyHasher}).
 */
public final class CustomerIds {

    private static final String PURPOSE = "\u0001customer-id";

    private final KeyHasher hasher;

    public CustomerIds(final KeyHasher hasher) {
        this.hasher = hasher;
    }

    public String idFor(final KeyHash anchor) {
        final byte[] digest = hasher.hashBytes(PURPOSE, anchor.toBytes()).toBytes();
        final ByteBuffer buffer = ByteBuffer.wrap(digest);
        long high = buffer.getLong();
        long low = buffer.getLong();
        high = (high & ~0xF000L) | 0x8000L;
        low = (low & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(high, low).toString();
    }
}
