package io.datasync.nifi.identity;

import io.datasync.nifi.common.Digests;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * A fixed-size (SHA-256) digest of one match key. This is all that is kept in memory across records
 * and all that is written to the shared cache: never the raw or normalised identifier.
 */
public final class KeyHash implements Comparable<KeyHash> {

    public static final int LENGTH = 32;

    private final byte[] digest;
    private final int hashCode;

    KeyHash(final byte[] digest) {
        if (digest.length != LENGTH) {
            throw new IllegalArgumentException("Expected a " + LENGTH + " byte digest");
        }
        this.digest = digest;
        this.hashCode = Arrays.hashCode(digest);
    }

    /**
     * Lower-case hexadecimal form, 64 characters: the form used in cache keys and logs.
     */
    /**
     * A plain SHA-256 of text: for anchors built from key hashes, which are already keyed.
     */
    static KeyHash digestOf(final String text) {
        return new KeyHash(Digests.sha256().digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    public byte[] toBytes() {
        return digest.clone();
    }

    public String toHex() {
        return HexFormat.of().formatHex(digest);
    }

    @Override
    public boolean equals(final Object other) {
        return other instanceof KeyHash keyHash && Arrays.equals(digest, keyHash.digest);
    }

    @Override
    public int hashCode() {
        return hashCode;
    }

    @Override
    public int compareTo(final KeyHash other) {
        return Arrays.compareUnsigned(digest, other.digest);
    }

    @Override
    public String toString() {
        return toHex();
    }
}
