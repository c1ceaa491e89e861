package io.datasync.nifi.webhook;

/**
 * What the named senders' schemes share: an HMAC-SHA256 signature in one header of the sender's, and a fixed
 * deduplication namespace. Each sender reads the header's value its own way.
 */
abstract sealed class HmacSha256HeaderScheme implements SignatureScheme permits ShopifySignatureScheme, StripeSignatureScheme {

    private final String dedupNamespace;
    private final String signatureHeader;

    HmacSha256HeaderScheme(final String dedupNamespace, final String signatureHeader) {
        this.dedupNamespace = dedupNamespace;
        this.signatureHeader = signatureHeader;
    }

    @Override
    public final String dedupNamespace() {
        return dedupNamespace;
    }

    @Override
    public final HmacAlgorithm algorithm() {
        return HmacAlgorithm.HMAC_SHA256;
    }

    @Override
    public final HeaderParseResult parse(final HeaderLookup headers) {
        return HeaderParseResult.fromSignatureHeader(headers, signatureHeader, this::parseSignatureHeader);
    }

    /** Reads the claimed signature (and timestamp) from the value of the signature header, which is present. */
    abstract HeaderParseResult parseSignatureHeader(String value);
}
