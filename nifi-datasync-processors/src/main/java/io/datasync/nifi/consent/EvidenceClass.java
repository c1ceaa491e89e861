package io.datasync.nifi.consent;

/** What a piece of consent evidence contributes to a decision. */
public enum EvidenceClass {
    /** Consent given: allows use if it is the newest decisive evidence. */
    GRANT,
    /** Consent refused, withdrawn, or an opt-out: forbids use if it is the newest decisive evidence (or ties with it). */
    DENIAL,
    /** Says nothing either way (pending, unknown, unrecognised): never outranks a grant or a denial. */
    NO_DECISION
}
