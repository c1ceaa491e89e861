package io.datasync.nifi.webhook;

import java.util.List;

/**
 * What a scheme read from the request headers: the signatures the sender claims (several while
 * the sender itself rotates secrets), the bytes signed before the body, and the signed (or, for
 * generic schemes, merely sent) Unix timestamp in seconds, or null when the scheme has none.
 */
public record ClaimedSignature(List<byte[]> signatures, byte[] signedPrefix, Long timestampSeconds) {

    public ClaimedSignature {
        signatures = List.copyOf(signatures);
        signedPrefix = signedPrefix.clone();
    }
}
