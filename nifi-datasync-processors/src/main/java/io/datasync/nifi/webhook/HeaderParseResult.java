package io.datasync.nifi.webhook;

import java.util.Optional;
import java.util.function.Function;

/**
 * Either the claimed signature read from the headers, or why the headers were rejected.
 */
public record HeaderParseResult(ClaimedSignature claimed, RejectionReason rejection) {

    public static HeaderParseResult claimed(final ClaimedSignature claimed) {
        return new HeaderParseResult(claimed, null);
    }

    public static HeaderParseResult rejected(final RejectionReason reason) {
        return new HeaderParseResult(null, reason);
    }

    /**
     * Reads the signature header every scheme starts from: a request without it is rejected as
     * {@link RejectionReason#MISSING_SIGNATURE}; its value is read by {@code parser}.
     */
    static HeaderParseResult fromSignatureHeader(final HeaderLookup headers, final String signatureHeader,
                                                 final Function<String, HeaderParseResult> parser) {
        final Optional<String> header = headers.get(signatureHeader);
        if (header.isEmpty()) {
            return rejected(RejectionReason.MISSING_SIGNATURE);
        }
        return parser.apply(header.get());
    }

    public boolean isRejected() {
        return rejection != null;
    }
}
