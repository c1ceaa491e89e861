package io.datasync.nifi.consent;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Decides whether a record may be used for all requested purposes, from the evidence gathered for
 * it. Per purpose the newest evidence wins (dated over undated, the more restrictive on ties); a
 * withdrawal therefore holds until a newer grant exists. Fails closed: without a valid grant only an
 * opt-out regime allows use.
 */
public final class ConsentEvaluator {

    private static final ConsentDecision JURISDICTION_DEFAULT = new ConsentDecision(ReasonCode.JURISDICTION_DEFAULT, null);
    private static final ConsentDecision NO_CONSENT_RECORD = new ConsentDecision(ReasonCode.NO_CONSENT_RECORD, null);

    private final List<String> purposes;
    private final Duration maxConsentAge;

    /**
     * @param purposes the purposes the output will be used for; all must be allowed
     * @param maxConsentAge grants older than this are expired; null for no limit
     */
    public ConsentEvaluator(final List<String> purposes, final Duration maxConsentAge) {
        if (purposes == null || purposes.isEmpty()) {
            throw new IllegalArgumentException("At least one purpose is required");
        }
        this.purposes = List.copyOf(purposes);
        this.maxConsentAge = maxConsentAge;
    }

    public List<String> purposes() {
        return purposes;
    }

    public ConsentDecision evaluate(final List<ConsentEvidence> evidence, final JurisdictionPolicy.Regime regime, final Instant now) {
        boolean allGranted = true;
        Instant newestGrant = null;
        for (final String purpose : purposes) {
            final ConsentEvidence winner = newest(evidence, purpose);
            final ConsentDecision purposeDecision = decidePurpose(winner, regime, now);
            if (!purposeDecision.allowed()) {
                return purposeDecision;
            }
            if (purposeDecision.reason() == ReasonCode.GRANTED) {
                if (newestGrant == null || purposeDecision.evidenceTime() != null && purposeDecision.evidenceTime().isAfter(newestGrant)) {
                    newestGrant = purposeDecision.evidenceTime();
                }
            } else {
                allGranted = false;
            }
        }
        return allGranted ? new ConsentDecision(ReasonCode.GRANTED, newestGrant) : JURISDICTION_DEFAULT;
    }

    private ConsentDecision decidePurpose(final ConsentEvidence winner, final JurisdictionPolicy.Regime regime, final Instant now) {
        final boolean optOutRegime = regime == JurisdictionPolicy.Regime.OPT_OUT;
        if (winner == null) {
            return optOutRegime ? JURISDICTION_DEFAULT : NO_CONSENT_RECORD;
        }
        return switch (winner.status()) {
            case GRANTED -> {
                if (isExpired(winner.timestamp(), now)) {
                    yield optOutRegime ? JURISDICTION_DEFAULT : new ConsentDecision(ReasonCode.EXPIRED, winner.timestamp());
                }
                yield new ConsentDecision(ReasonCode.GRANTED, winner.timestamp());
            }
            // a pending double opt-in is not a refusal, so an opt-out regime still allows use
            case PENDING -> optOutRegime ? JURISDICTION_DEFAULT : new ConsentDecision(ReasonCode.PENDING, winner.timestamp());
            default -> new ConsentDecision(winner.denialReason(), winner.timestamp());
        };
    }

    private boolean isExpired(final Instant grantedAt, final Instant now) {
        if (maxConsentAge == null) {
            return false;
        }
        // an undated grant cannot prove it is recent enough
        return grantedAt == null || grantedAt.plus(maxConsentAge).isBefore(now);
    }

    private static ConsentEvidence newest(final List<ConsentEvidence> evidence, final String purpose) {
        ConsentEvidence winner = null;
        for (final ConsentEvidence candidate : evidence) {
            if (candidate.appliesTo(purpose) && candidate.outranks(winner)) {
                winner = candidate;
            }
        }
        return winner;
    }
}
