package io.datasync.nifi.common;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;

/**
 * New SHA-256 digests and HMAC-SHA256 MACs. Every Java platform must provide both, so their absence is a broken
 * runtime, reported as an IllegalStateException rather than a checked exception every caller would have to handle.
 * Neither object is thread-safe: callers keep one per thread or per use.
 */
public final class Digests {

    public static final String HMAC_SHA256 = "HmacSHA256";

    private Digests() {
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    /** An HMAC-SHA256 initialised with {@code key} (not empty: a MAC under an empty key protects nothing). */
    public static Mac hmacSha256(final byte[] key) {
        return mac(HMAC_SHA256, key);
    }

    /** A MAC of the JCA algorithm {@code jcaName} (HmacSHA1, HmacSHA256, ...) initialised with {@code key}. */
    public static Mac mac(final String jcaName, final byte[] key) {
        try {
            final Mac mac = Mac.getInstance(jcaName);
            mac.init(new SecretKeySpec(key, jcaName));
            return mac;
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException(jcaName + " is required by every Java platform", e);
        }
    }
}
