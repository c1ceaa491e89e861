package io.datasync.nifi.consent;

import java.time.Instant;

/**
 * One statement about consent.
 *
 * @param source where it came from
 * @param purpose the purpose it speaks about, or null when it covers every purpose of the subject
 * @param status what it says; never UNKNOWN (a statement of nothing is not evidence)
 * @param timestamp when it was given, or null when it carries no usable date (see {@link ConsentEvaluator} for how undated evidence ranks)
 * @param malformed true for the denial that stands in for a TC or US Privacy string that could not be read
 */
public record ConsentEvidence(ConsentSource source, String purpose, ConsentStatus status, Instant timestamp, boolean malformed) {

    public ConsentEvidence {
        if (status == null || !status.isEvidence()) {
            throw new IllegalArgumentException("Evidence needs a known status");
        }
        if (malformed && status.evidenceClass() != EvidenceClass.DENIAL) {
            throw new IllegalArgumentException("A malformed signal can only deny");
        }
    }

    public ConsentEvidence(final ConsentSource source, final String purpose, final ConsentStatus status, final Instant timestamp) {
        this(source, purpose, status, timestamp, false);
    }

    public EvidenceClass evidenceClass() {
        return status.evidenceClass();
    }

    public boolean appliesTo(final String requestedPurpose) {
        return purpose == null || purpose.equals(requestedPurpose);
    }

    /** Whether this is an opt-out signal (GPC or a US Privacy opt-out) rather than a consent statement. */
    public boolean isOptOutSignal() {
        return !malformed && (source == ConsentSource.GPC || source == ConsentSource.US_PRIVACY);
    }

    /** The reason this evidence gives when it is the deciding denial or pending request. */
    ReasonCode denialReason() {
        if (malformed) {
            return source == ConsentSource.TCF ? ReasonCode.MALFORMED_TC_STRING : ReasonCode.MALFORMED_US_PRIVACY;
        }
        if (status == ConsentStatus.WITHDRAWN) {
            return ReasonCode.WITHDRAWN;
        }
        if (status == ConsentStatus.PENDING) {
            return ReasonCode.PENDING;
        }
        return switch (source) {
            case GPC -> ReasonCode.GPC;
            case US_PRIVACY -> ReasonCode.US_PRIVACY_OPT_OUT;
            default -> purpose == null ? ReasonCode.DENIED : ReasonCode.PURPOSE_DENIED;
        };
    }
}
