package io.datasync.nifi.consent;

/**
 * Why a record was allowed or not. Written to each record and used as NiFi counter names.
 */
public enum ReasonCode {
    /** Every purpose is granted by the newest evidence, within the maximum age. */
    GRANTED(true),
    /** No grant, but the subject's jurisdiction (or the default policy) allows use unless denied. */
    JURISDICTION_DEFAULT(true),
    /** The newest evidence is a withdrawal. */
    WITHDRAWN(false),
    /** The newest evidence is a denial or opt-out for the subject as a whole. */
    DENIED(false),
    /** The newest evidence for one of the purposes denies that purpose. */
    PURPOSE_DENIED(false),
    /** The newest evidence is a request still waiting for confirmation (e.g. double opt-in). */
    PENDING(false),
    /** No source says anything, and the jurisdiction requires consent. */
    NO_CONSENT_RECORD(false),
    /** The newest grant is older than the maximum consent age (or has no date while a maximum age is set). */
    EXPIRED(false),
    /** The Global Privacy Control signal is set and is the newest, or equally new and more restrictive, evidence. */
    GPC(false),
    /** The IAB US Privacy string says the subject opted out of sale. */
    US_PRIVACY_OPT_OUT(false),
    /** A TC string that cannot be decoded is the deciding evidence: it counts as a denial, never as no signal. */
    MALFORMED_TC_STRING(false),
    /** A US Privacy string that is not a valid version 1 string is the deciding evidence: it counts as an opt-out. */
    MALFORMED_US_PRIVACY(false);

    private final boolean allowed;

    ReasonCode(final boolean allowed) {
        this.allowed = allowed;
    }

    public boolean isAllowed() {
        return allowed;
    }

    /** Reasons that should reach the email provider's suppression list. */
    public boolean isSuppression() {
        // a malformed signal is not known to be the subject's refusal, so it excludes without suppressing
        return this == WITHDRAWN || this == DENIED || this == PURPOSE_DENIED || this == GPC || this == US_PRIVACY_OPT_OUT;
    }
}
