package io.datasync.nifi.consent;

/**
 * A consent state as stated by one source. The rank orders states by how restrictive they are, so
 * that two statements with the same timestamp resolve to the more restrictive one.
 */
public enum ConsentStatus {
    GRANTED(0),
    PENDING(1),
    DENIED(2),
    WITHDRAWN(3),
    /** No usable statement: an empty, unknown or unrecognised value. Never counts as evidence. */
    UNKNOWN(-1);

    private final int restrictiveness;

    ConsentStatus(final int restrictiveness) {
        this.restrictiveness = restrictiveness;
    }

    public int restrictiveness() {
        return restrictiveness;
    }

    public boolean isEvidence() {
        return this != UNKNOWN;
    }

    /** What this status contributes to a decision. */
    public EvidenceClass evidenceClass() {
        return switch (this) {
            case GRANTED -> EvidenceClass.GRANT;
            case DENIED, WITHDRAWN -> EvidenceClass.DENIAL;
            case PENDING, UNKNOWN -> EvidenceClass.NO_DECISION;
        };
    }

    /**
     * Reads a value through the default {@link ConsentVocabulary}. Anything not recognised is UNKNOWN, so an
     * unreadable value can never be taken for a grant.
     */
    public static ConsentStatus parse(final Object value) {
        return ConsentVocabulary.defaults().status(value);
    }
}
