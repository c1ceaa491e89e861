package io.datasync.nifi.webhook;

/**
 * Why a webhook request was not accepted. The codes are written to FlowFile attributes, so they
 * name the failed check and never carry the secret or the expected signature.
 */
public enum RejectionReason {
    /** The signature header is absent or blank. */
    MISSING_SIGNATURE,
    /** The signature header is present but cannot be parsed or decoded. */
    MALFORMED_SIGNATURE_HEADER,
    /** No claimed signature matches the HMAC computed with any configured secret. */
    BAD_SIGNATURE,
    /** A timestamp header is configured but the request has none. */
    MISSING_TIMESTAMP,
    /** The timestamp header is not a Unix time in seconds. */
    MALFORMED_TIMESTAMP,
    /** The signed timestamp is further from the current time than the tolerance allows. */
    TIMESTAMP_OUTSIDE_TOLERANCE,
    /** The scheme requires a body (Shopify) and the request has none. */
    EMPTY_BODY
}
