package io.datasync.nifi.webhook;

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

    public boolean isRejected() {
        return rejection != null;
    }
}
