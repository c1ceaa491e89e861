package io.datasync.nifi.consent;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Decides whether a subject may be used for all requested purposes, from all the evidence gathered for
 * it. Per purpose:
 * <ol>
 *   <li>Opt-out signals (GPC, US Privacy) that do not apply in the subject's regime are left out.</li>
 *   <li>Only decisive evidence (grants and denials) competes; pending or unknown statements never
 *       outrank a decision.</li>
 *   <li>The newest decisive evidence wins. An undated denial counts as newer than every grant, an
 *       undated grant as older than every denial; a signal that a later grant may not override counts
 *       as newer than every grant. On a tie the denial wins.</li>
 *   <li>Without decisive evidence the regime decides: an opt-out regime allows use, an opt-in regime
 *       does not.</li>
 * </ol>
 * Every purpose must be allowed. Fails closed: without a valid grant only an opt-out regime allows use.
 */
public final class ConsentEvaluator {

    private static final ConsentDecision JURISDICTION_DEFAULT = new ConsentDecision(ReasonCode.JURISDICTION_DEFAULT, null);
    private static final ConsentDecision NO_CONSENT_RECORD = new ConsentDecision(ReasonCode.NO_CONSENT_RECORD, null);

    private final List<String> purposes;
    private final Duration maxConsentAge;
    private final SignalPolicy gpcPolicy;
    private final SignalPolicy usPrivacyPolicy;

    public ConsentEvaluator(final List<String> purposes, final Duration maxConsentAge) {
        this(purposes, maxConsentAge, SignalPolicy.DEFAULT, SignalPolicy.DEFAULT);
    }

    /**
     * @param purposes the purposes the output will be used for; all must be allowed
     * @param maxConsentAge grants older than this are expired; null for no limit
     * @param gpcPolicy how Global Privacy Control is honoured
     * @param usPrivacyPolicy how a US Privacy opt-out of sale is honoured
     */
    public ConsentEvaluator(final List<String> purposes, final Duration maxConsentAge, final SignalPolicy gpcPolicy,
                            final SignalPolicy usPrivacyPolicy) {
        if (purposes == null || purposes.isEmpty()) {
            throw new IllegalArgumentException("At least one purpose is required");
        }
        this.purposes = List.copyOf(purposes);
        this.maxConsentAge = maxConsentAge;
        this.gpcPolicy = gpcPolicy;
        this.usPrivacyPolicy = usPrivacyPolicy;
    }

    public List<String> purposes() {
        return purposes;
    }

    public ConsentDecision evaluate(final List<ConsentEvidence> evidence, final JurisdictionPolicy.Regime regime, final Instant now) {
        boolean allGranted = true;
        Instant newestGrant = null;
        for (final String purpose : purposes) {
            final ConsentDecision purposeDecision = decidePurpose(evidence, purpose, regime, now);
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

    private ConsentDecision decidePurpose(final List<ConsentEvidence> evidence, final String purpose, final JurisdictionPolicy.Regime regime,
                                          final Instant now) {
        final boolean optOutRegime = regime == JurisdictionPolicy.Regime.OPT_OUT;
        ConsentEvidence winner = null;
        long winnerRank = 0;
        ConsentEvidence pending = null;
        for (final ConsentEvidence candidate : evidence) {
            if (!candidate.appliesTo(purpose) || !counts(candidate, regime)) {
                continue;
            }
            if (candidate.evidenceClass() == EvidenceClass.NO_DECISION) {
                if (candidate.status() == ConsentStatus.PENDING && (pending == null || newer(candidate.timestamp(), pending.timestamp()))) {
                    pending = candidate;
                }
                continue;
            }
            final long rank = rank(candidate);
            if (winner == null || rank > winnerRank || rank == winnerRank && beatsOnTie(candidate, winner)) {
                winner = candidate;
                winnerRank = rank;
            }
        }
        if (winner == null) {
            if (optOutRegime) {
                return JURISDICTION_DEFAULT;
            }
            // a pending double opt-in is not a refusal, but in an opt-in regime it is no grant either
            return pending == null ? NO_CONSENT_RECORD : new ConsentDecision(ReasonCode.PENDING, pending.timestamp());
        }
        if (winner.evidenceClass() == EvidenceClass.DENIAL) {
            return new ConsentDecision(winner.denialReason(), winner.timestamp());
        }
        if (isExpired(winner.timestamp(), now)) {
            return optOutRegime ? JURISDICTION_DEFAULT : new ConsentDecision(ReasonCode.EXPIRED, winner.timestamp());
        }
        return new ConsentDecision(ReasonCode.GRANTED, winner.timestamp());
    }

    private boolean counts(final ConsentEvidence candidate, final JurisdictionPolicy.Regime regime) {
        if (!candidate.isOptOutSignal()) {
            return true;
        }
        return policyOf(candidate).appliesIn(regime);
    }

    private SignalPolicy policyOf(final ConsentEvidence signal) {
        return signal.source() == ConsentSource.GPC ? gpcPolicy : usPrivacyPolicy;
    }

    /**
     * Orders decisive evidence by time: undated denials, and signals that no grant may override, above
     * every date; undated grants below every date.
     */
    private long rank(final ConsentEvidence candidate) {
        if (candidate.isOptOutSignal() && !policyOf(candidate).laterGrantOverrides()) {
            return Long.MAX_VALUE;
        }
        return rank(candidate.evidenceClass(), candidate.timestamp());
    }

    /**
     * Where decisive evidence stands in time: its epoch milliseconds when dated; an undated denial above
     * every date, an undated grant below every date. Higher is newer; on equal rank the denial wins. The one
     * ordering of consent evidence, used wherever evidence competes (also by ProfileMerge's consent rule).
     *
     * @param evidenceClass GRANT or DENIAL
     * @param timestamp when it was given, or null when undated
     */
    public static long rank(final EvidenceClass evidenceClass, final Instant timestamp) {
        if (timestamp == null) {
            return evidenceClass == EvidenceClass.DENIAL ? Long.MAX_VALUE : Long.MIN_VALUE;
        }
        return timestamp.toEpochMilli();
    }

    /** On equal rank a denial beats a grant; between denials the more restrictive status, then a fixed source order, so input order never matters. */
    private static boolean beatsOnTie(final ConsentEvidence candidate, final ConsentEvidence current) {
        final boolean candidateDenies = candidate.evidenceClass() == EvidenceClass.DENIAL;
        final boolean currentDenies = current.evidenceClass() == EvidenceClass.DENIAL;
        if (candidateDenies != currentDenies) {
            return candidateDenies;
        }
        if (candidate.status() != current.status()) {
            return candidate.status().restrictiveness() > current.status().restrictiveness();
        }
        if (candidate.malformed() != current.malformed()) {
            // the subject's own opt-out says more than an unreadable string, and it reaches the suppression list
            return current.malformed();
        }
        if (candidate.source() != current.source()) {
            return candidate.source().ordinal() > current.source().ordinal();
        }
        return candidate.purpose() != null && current.purpose() == null;
    }

    private static boolean newer(final Instant candidate, final Instant current) {
        return candidate != null && (current == null || candidate.isAfter(current));
    }

    private boolean isExpired(final Instant grantedAt, final Instant now) {
        if (maxConsentAge == null) {
            return false;
        }
        // an undated grant cannot prove it is recent enough
        return grantedAt == null || grantedAt.plus(maxConsentAge).isBefore(now);
    }
}
