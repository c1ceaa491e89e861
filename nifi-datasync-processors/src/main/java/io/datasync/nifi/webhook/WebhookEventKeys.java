package io.datasync.nifi.webhook;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Deduplication keys for the distributed map cache: a SHA-256 of the scheme's namespace and the
 * event id, so keys have a fixed length, different senders never collide, and the cache holds
 * no raw ids.
 */
public final class WebhookEventKeys {

    public static final String KEY_PREFIX = "datasync.webhook.";

    private WebhookEventKeys() {
    }

    public static String cacheKey(final String namespace, final String eventId) {
        final MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
        digest.update(namespace.getBytes(StandardCharsets.UTF_8));
        // A separator that cannot occur in the namespace keeps ("A", "BC") and ("AB", "C") apart.
        digest.update((byte) 0);
        digest.update(eventId.getBytes(StandardCharsets.UTF_8));
        return KEY_PREFIX + HexFormat.of().formatHex(digest.digest());
    }
}
