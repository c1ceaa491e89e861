package io.datasync.nifi.webhook;

import io.datasync.nifi.common.Digests;

import javax.crypto.Mac;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Deduplication keys for the distributed map cache: an HMAC-SHA256 (or, without a key, a SHA-256)
 * of the scheme's namespace and the event id, so keys have a fixed length, different senders never
 * collide, and the cache holds no raw ids; with a key, nobody who reads the cache can confirm a
 * guessed event id or body identity either.
 */
public final class WebhookEventKeys {

    public static final String KEY_PREFIX = "datasync.webhook.";

    private WebhookEventKeys() {
    }

    /**
     * @param hashKey the HMAC key, or null for a plain SHA-256
     */
    public static String cacheKey(final String namespace, final String eventId, final byte[] hashKey) {
        if (hashKey == null) {
            return cacheKey(namespace, eventId);
        }
        final Mac mac = Digests.hmacSha256(hashKey);
        mac.update(namespace.getBytes(StandardCharsets.UTF_8));
        mac.update((byte) 0);
        mac.update(eventId.getBytes(StandardCharsets.UTF_8));
        return KEY_PREFIX + HexFormat.of().formatHex(mac.doFinal());
    }

    public static String cacheKey(final String namespace, final String eventId) {
        final MessageDigest digest = Digests.sha256();
        digest.update(namespace.getBytes(StandardCharsets.UTF_8));
        // A separator that cannot occur in the namespace keeps ("A", "BC") and ("AB", "C") apart.
        digest.update((byte) 0);
        digest.update(eventId.getBytes(StandardCharsets.UTF_8));
        return KEY_PREFIX + HexFormat.of().formatHex(digest.digest());
    }
}
