package io.datasync.nifi.consent;

import io.datasync.nifi.common.Digests;

import javax.crypto.Mac;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * Replaces personal values. The keyed hash is HMAC-SHA256 so that equal inputs give equal tokens
 * (joins still work) while nobody without the key can test guesses against them, as they could with
 * a plain hash of an email address. Not thread-safe: use one instance per thread or FlowFile.
 */
public final class Anonymizer {

    /** How a value is replaced. */
    public enum Method {
        REMOVE,
        MASK,
        HMAC_SHA256
    }

    public static final String MASK = "****";
    private static final String HMAC_ALGORITHM = "HmacSHA256";
    private static final HexFormat HEX = HexFormat.of();

    private final Method method;
    private final Mac mac;

    private Anonymizer(final Method method, final Mac mac) {
        this.method = method;
        this.mac = mac;
    }

    public static Anonymizer remove() {
        return new Anonymizer(Method.REMOVE, null);
    }

    public static Anonymizer mask() {
        return new Anonymizer(Method.MASK, null);
    }

    /**
     * @throws IllegalArgumentException when the key is empty
     */
    public static Anonymizer keyedHash(final byte[] key) {
        if (key == null || key.length == 0) {
            throw new IllegalArgumentException("A keyed hash needs a non-empty key");
        }
        return new Anonymizer(Method.HMAC_SHA256, Digests.mac(HMAC_ALGORITHM, key));
    }

    public Method method() {
        return method;
    }

    /**
     * @return the replacement: null for REMOVE and for null input, the mask, or the lowercase hex HMAC of the value's text
     */
    public String anonymize(final Object value) {
        if (value == null || method == Method.REMOVE) {
            return null;
        }
        if (method == Method.MASK) {
            return MASK;
        }
        return HEX.formatHex(mac.doFinal(value.toString().getBytes(StandardCharsets.UTF_8)));
    }
}
