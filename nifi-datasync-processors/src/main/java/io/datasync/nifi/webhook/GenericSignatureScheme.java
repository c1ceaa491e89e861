package io.datasync.nifi.webhook;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Any sender that puts an HMAC (SHA-256 or SHA-1, hex or Base64) of the body in a named header,
 * optionally behind a prefix such as GitHub's {@code sha256=}. With a timestamp header, the
 * timestamp is checked against the tolerance; it is also signed when the signed content is
 * {@code <timestamp><separator><body>}, otherwise it only catches stale redeliveries, since an
 * attacker could change an unsigned timestamp.
 */
public final class GenericSignatureScheme implements SignatureScheme {

    private final String signatureHeader;
    private final String signaturePrefix;
    private final HmacAlgorithm algorithm;
    private final SignatureEncoding encoding;
    private final String timestampHeader;
    private final String timestampSeparator;

    /**
     * @param signaturePrefix text before the encoded signature, or null for none
     * @param timestampHeader header holding Unix seconds, or null for no timestamp check
     * @param timestampSeparator when not null, the signed content is timestamp + separator + body
     */
    public GenericSignatureScheme(final String signatureHeader, final String signaturePrefix, final HmacAlgorithm algorithm,
                                  final SignatureEncoding encoding, final String timestampHeader, final String timestampSeparator) {
        this.signatureHeader = Objects.requireNonNull(signatureHeader, "signatureHeader");
        this.signaturePrefix = signaturePrefix == null ? "" : signaturePrefix;
        this.algorithm = Objects.requireNonNull(algorithm, "algorithm");
        this.encoding = Objects.requireNonNull(encoding, "encoding");
        this.timestampHeader = timestampHeader;
        if (timestampSeparator != null && timestampHeader == null) {
            throw new IllegalArgumentException("A signed timestamp needs a timestamp header");
        }
        this.timestampSeparator = timestampSeparator;
    }

    @Override
    public String dedupNamespace() {
        return "GENERIC:" + signatureHeader.toLowerCase(Locale.ROOT);
    }

    @Override
    public HmacAlgorithm algorithm() {
        return algorithm;
    }

    @Override
    public HeaderParseResult parse(final HeaderLookup headers) {
        return HeaderParseResult.fromSignatureHeader(headers, signatureHeader, value -> parseSignature(value, headers));
    }

    private HeaderParseResult parseSignature(final String value, final HeaderLookup headers) {
        if (!value.regionMatches(true, 0, signaturePrefix, 0, signaturePrefix.length())) {
            return HeaderParseResult.rejected(RejectionReason.MALFORMED_SIGNATURE_HEADER);
        }
        final byte[] signature;
        try {
            signature = encoding.decode(value.substring(signaturePrefix.length()).trim());
        } catch (final IllegalArgumentException e) {
            return HeaderParseResult.rejected(RejectionReason.MALFORMED_SIGNATURE_HEADER);
        }

        if (timestampHeader == null) {
            return HeaderParseResult.claimed(new ClaimedSignature(List.of(signature), new byte[0], null));
        }
        final Optional<String> timestamp = headers.get(timestampHeader);
        if (timestamp.isEmpty()) {
            return HeaderParseResult.rejected(RejectionReason.MISSING_TIMESTAMP);
        }
        if (!UnixSeconds.isValid(timestamp.get())) {
            return HeaderParseResult.rejected(RejectionReason.MALFORMED_TIMESTAMP);
        }
        final byte[] signedPrefix = timestampSeparator == null
                ? new byte[0]
                : (timestamp.get() + timestampSeparator).getBytes(StandardCharsets.UTF_8);
        return HeaderParseResult.claimed(new ClaimedSignature(List.of(signature), signedPrefix, Long.parseLong(timestamp.get())));
    }

    @Override
    public Optional<EventIdLocation> defaultEventIdLocation() {
        return Optional.empty();
    }
}
