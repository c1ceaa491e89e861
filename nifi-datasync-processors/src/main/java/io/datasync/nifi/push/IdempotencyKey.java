package io.datasync.nifi.push;

import io.datasync.nifi.common.Digests;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

/**
 * The idempotency key of a batch: the SHA-256 (hex) of the request's method, URL and the canonical JSON of the
 * batch's records, in order. It depends on nothing but the content, so the same batch sent again (a retry, or the
 * same FlowFile processed again after a NiFi restart) carries the same key and an API that honours idempotency keys
 * applies it once; a batch with any other record, order or target gets another key.
 */
public final class IdempotencyKey {

    private IdempotencyKey() {
    }

    public static String of(final String method, final String url, final List<JsonNode> records) {
        final MessageDigest digest = Digests.sha256();
        digest.update(method.getBytes(StandardCharsets.UTF_8));
        digest.update((byte) ' ');
        digest.update(url.getBytes(StandardCharsets.UTF_8));
        digest.update((byte) '\n');
        digest.update((byte) '[');
        for (int i = 0; i < records.size(); i++) {
            if (i > 0) {
                digest.update((byte) ',');
            }
            digest.update(CanonicalJson.write(records.get(i)).getBytes(StandardCharsets.UTF_8));
        }
        digest.update((byte) ']');
        return HexFormat.of().formatHex(digest.digest());
    }
}
