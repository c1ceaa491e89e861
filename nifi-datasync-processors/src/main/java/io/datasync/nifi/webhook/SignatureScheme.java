package io.datasync.nifi.webhook;

import java.util.Optional;

/**
 * One sender's way of signing a webhook: which HMAC, where the signature travels, what is signed.
 */
public interface SignatureScheme {

    /** Stable name, part of the deduplication key so that event ids of different senders never collide. */
    String dedupNamespace();

    HmacAlgorithm algorithm();

    /** Reads the claimed signature (and timestamp) from the headers without looking at the body. */
    HeaderParseResult parse(HeaderLookup headers);

    /** Where this sender puts its event id, if it has a well-known place. */
    Optional<EventIdLocation> defaultEventIdLocation();

    /**
     * @return true when a request without a body is invalid whatever its signature (Shopify's own library rejects it)
     */
    default boolean requiresBody() {
        return false;
    }
}
