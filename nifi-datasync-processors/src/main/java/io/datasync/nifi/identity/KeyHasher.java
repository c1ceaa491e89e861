package io.datasync.nifi.identity;

import io.datasync.nifi.common.Digests;

import javax.crypto.Mac;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * Hashes a rule's normalised key parts. The namespace and the rule name are part of the hashed
 * input, so the same e-mail address under two rules (or two identity namespaces) gives two different
 * keys.
 *
 * <p>With a secret key the hash is HMAC-SHA256: whoever reads the identity index cannot confirm a
 * guessed e-mail address or enumerate phone numbers without the key. Without one it is a plain
 * SHA-256, which anyone can recompute from a candidate value. A different key gives entirely
 * different hashes: a new key is a new identity namespace.</p>
 *
 * <p>Not thread-safe: use one instance per thread or per FlowFile.</p>
 */
public final class KeyHasher {

    // Separators that cannot occur in a normalised value's meaningful content; they keep
    // ("ab", "c") and ("a", "bc") apart.
    private static final byte FIELD_SEPARATOR = 0x00;
    private static final byte PART_SEPARATOR = 0x1F;
    private static final String HMAC_ALGORITHM = "HmacSHA256";

    private final MessageDigest digest;
    private final Mac mac;
    private final byte[] namespace;

    /**
     * An unkeyed (plain SHA-256) hasher.
     */
    public KeyHasher(final String namespace) {
        this(namespace, null);
    }

    /**
     * @param secretKey the HMAC key, or null for plain SHA-256
     */
    public KeyHasher(final String namespace, final byte[] secretKey) {
        this.namespace = namespace.getBytes(StandardCharsets.UTF_8);
        if (secretKey == null) {
            this.mac = null;
            this.digest = Digests.sha256();
        } else {
            if (secretKey.length == 0) {
                throw new IllegalArgumentException("The hash key must not be empty");
            }
            this.digest = null;
            this.mac = Digests.mac(HMAC_ALGORITHM, secretKey);
        }
    }

    public boolean isKeyed() {
        return mac != null;
    }

    public KeyHash hash(final String ruleName, final List<String> normalizedParts) {
        reset();
        update(namespace);
        update(FIELD_SEPARATOR);
        update(ruleName.getBytes(StandardCharsets.UTF_8));
        update(FIELD_SEPARATOR);
        for (int i = 0; i < normalizedParts.size(); i++) {
            if (i > 0) {
                update(PART_SEPARATOR);
            }
            update(normalizedParts.get(i).getBytes(StandardCharsets.UTF_8));
        }
        return new KeyHash(finish());
    }

    public KeyHash hash(final String ruleName, final String normalizedValue) {
        return hash(ruleName, List.of(normalizedValue));
    }

    /**
     * Hashes raw bytes under a purpose label (for derived values such as customer ids), with the same
     * key as the match keys.
     */
    public KeyHash hashBytes(final String purpose, final byte[] content) {
        reset();
        update(namespace);
        update(FIELD_SEPARATOR);
        update(purpose.getBytes(StandardCharsets.UTF_8));
        update(FIELD_SEPARATOR);
        update(content);
        return new KeyHash(finish());
    }

    private void reset() {
        if (mac != null) {
            mac.reset();
        } else {
            digest.reset();
        }
    }

    private void update(final byte value) {
        if (mac != null) {
            mac.update(value);
        } else {
            digest.update(value);
        }
    }

    private void update(final byte[] value) {
        if (mac != null) {
            mac.update(value);
        } else {
            digest.update(value);
        }
    }

    private byte[] finish() {
        return mac != null ? mac.doFinal() : digest.digest();
    }
}
