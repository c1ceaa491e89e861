package io.datasync.nifi.consent;

import java.time.Instant;

/**
 * One statement about consent.
 *
 * @param source where it came from
 * @param purpose the purpose it speaks about, or null when it covers every purpose of the subject
 * @param status what it says; never UNKNOWN
 * @param timestamp when it was given, or null when the source carries no date (undated evidence ranks below dated evidence)
 */
public record ConsentEvidence(ConsentSource source, String purpose, ConsentStatus status, Instant timestamp) {

    public ConsentEvidence {
        if (status == null || !status.isEvidence()) {
            throw new IllegalArgumentException("Evidence needs a known status");
        }
    }

    public boolean appliesTo(final String requestedPurpose) {
        return purpose == null || purpose.equals(requestedPurpose);
    }

    /**
     * True when this evidence takes precedence over the other: newer wins, dated beats undated, and
     * on equal timestamps the more restrictive status wins.
     */
    public boolean outranks(final ConsentEvidence other) {
        if (other == null) {
            return true;
        }
        if (timestamp != null && other.timestamp != null) {
            final int byTime = timestamp.compareTo(other.timestamp);
            if (byTime != 0) {
                return byTime > 0;
            }
        } else if (timestamp != null) {
            return true;
        } else if (other.timestamp != null) {
            return false;
        }
        return status.restrictiveness() > other.status.restrictiveness();
    }

    /** The reason this evidence gives when it is the deciding denial. */
    ReasonCode denialReason() {
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
