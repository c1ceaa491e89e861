package io.datasync.nifi.webhook;

/**
 * Outcome of verifying one request.
 *
 * @param rejection null when the request is authentic and fresh
 * @param matchedSecretIndex index of the secret whose HMAC matched (0 = current, 1 = previous), or -1
 * @param timestampSeconds the request's timestamp, or null when the scheme has none
 */
public record VerificationResult(RejectionReason rejection, int matchedSecretIndex, Long timestampSeconds) {

    public static VerificationResult rejected(final RejectionReason reason, final Long timestampSeconds) {
        return new VerificationResult(reason, -1, timestampSeconds);
    }

    public boolean isValid() {
        return rejection == null;
    }
}
