package io.datasync.nifi.webhook;

import io.datasync.nifi.common.Digests;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;

/**
 * The HMAC algorithms webhook senders use.
 */
public enum HmacAlgorithm {
    HMAC_SHA256("HmacSHA256"),
    HMAC_SHA1("HmacSHA1");

    private final String jcaName;

    HmacAlgorithm(final String jcaName) {
        this.jcaName = jcaName;
    }

    public String getJcaName() {
        return jcaName;
    }

    /**
     * Key from a shared secret as the senders use it: the secret text's UTF-8 bytes (Stripe's
     * "whsec_..." string included, it is not decoded).
     */
    public SecretKeySpec keyOf(final String secret) {
        if (secret == null || secret.isEmpty()) {
            throw new IllegalArgumentException("Secret must not be empty");
        }
        return new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), jcaName);
    }

    /**
     * A fresh Mac initialised with the key; Mac instances are not thread-safe, so one per request.
     */
    public Mac newMac(final SecretKeySpec key) {
        return Digests.mac(jcaName, key.getEncoded());
    }
}
