package io.datasync.nifi.webhook;

import java.util.List;
import java.util.Optional;

/**
 * Shopify: the Base64 HMAC-SHA256 of the raw body, keyed with the app's client secret, in
 * {@code X-Shopify-Hmac-Sha256}. Shopify signs no timestamp, so redelivery protection relies on
 * deduplication by {@code X-Shopify-Webhook-Id}.
 */
public final class ShopifySignatureScheme extends HmacSha256HeaderScheme {

    public static final String SIGNATURE_HEADER = "X-Shopify-Hmac-Sha256";
    public static final String EVENT_ID_HEADER = "X-Shopify-Webhook-Id";

    private static final byte[] NOTHING_BEFORE_BODY = new byte[0];

    public ShopifySignatureScheme() {
        super("SHOPIFY", SIGNATURE_HEADER);
    }

    @Override
    public boolean requiresBody() {
        return true;
    }

    @Override
    HeaderParseResult parseSignatureHeader(final String header) {
        try {
            final byte[] signature = SignatureEncoding.BASE64.decode(header);
            return HeaderParseResult.claimed(new ClaimedSignature(List.of(signature), NOTHING_BEFORE_BODY, null));
        } catch (final IllegalArgumentException e) {
            return HeaderParseResult.rejected(RejectionReason.MALFORMED_SIGNATURE_HEADER);
        }
    }

    @Override
    public Optional<EventIdLocation> defaultEventIdLocation() {
        return Optional.of(EventIdLocation.header(EVENT_ID_HEADER));
    }
}
