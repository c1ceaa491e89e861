package io.datasync.nifi.merge;

import io.datasync.nifi.common.Timestamps;
import io.datasync.nifi.consent.ConsentEvaluator;
import io.datasync.nifi.consent.ConsentStatus;
import io.datasync.nifi.consent.ConsentTime;
import io.datasync.nifi.consent.ConsentVocabulary;
import io.datasync.nifi.consent.EvidenceClass;

import java.time.Instant;
import java.util.List;

/**
 * {@code consent}: keeps the value ConsentFilter would decide by, read through the same consent model
 * ({@link ConsentVocabulary}, {@link ConsentEvaluator#rank}): the newest <em>decisive</em> value (a grant or
 * a denial) wins, so a withdrawal at T beats any grant older than T, a grant newer than T beats that
 * withdrawal, and a newer {@code pending}, {@code unknown} or unrecognised value never hides either. An
 * undated denial counts as newer than every grant, an undated grant as older than every denial; a value
 * dated more than a day in the future, or before March 1973, counts as undated (ProfileMerge reads epoch
 * numbers as milliseconds, so epoch seconds land in 1970; the limit is the one below which ConsentFilter's
 * Auto-Detect reads a number as seconds). On equal rank the denial wins. Only when no value
 * decides does the newest no-decision value survive. Null or blank values are not statements: a partial
 * update without consent never erases one. The surviving value keeps its own timestamp (in the lineage).
 */
final class ConsentRule implements SurvivorshipRule {

    private final ConsentVocabulary vocabulary;

    ConsentRule(final ConsentVocabulary vocabulary) {
        this.vocabulary = vocabulary;
    }

    @Override
    public MergedValue choose(final List<Candidate> candidates) {
        final Instant latestCredible = Instant.now().plus(ConsentTime.FUTURE_TOLERANCE);
        Candidate winner = null;
        ConsentStatus winnerStatus = null;
        long winnerRank = 0;
        for (final Candidate candidate : candidates) {
            if (Values.isEmpty(candidate.value())) {
                continue;
            }
            final ConsentStatus status = vocabulary.status(candidate.value());
            final boolean decisive = status.evidenceClass() != EvidenceClass.NO_DECISION;
            final long rank = rank(candidate, status, decisive, latestCredible);
            if (winner == null || beats(candidate, status, decisive, rank, winner, winnerStatus, winnerRank)) {
                winner = candidate;
                winnerStatus = status;
                winnerRank = rank;
            }
        }
        return MergedValue.of(winner);
    }

    private static long rank(final Candidate candidate, final ConsentStatus status, final boolean decisive, final Instant latestCredible) {
        Instant time = candidate.hasTimestamp() ? Instant.ofEpochMilli(candidate.timestamp()) : null;
        if (time != null && (time.isAfter(latestCredible) || Math.abs(candidate.timestamp()) < Timestamps.EpochUnit.AUTO_SECONDS_LIMIT)) {
            // in the future, or before March 1973: most likely epoch seconds read as milliseconds; either way not a time to rank by
            time = null;
        }
        if (decisive) {
            return ConsentEvaluator.rank(status.evidenceClass(), time);
        }
        // among values that decide nothing, the newest survives; undated ones are the oldest
        return time == null ? Long.MIN_VALUE : time.toEpochMilli();
    }

    private static boolean beats(final Candidate candidate, final ConsentStatus status, final boolean decisive, final long rank,
                                 final Candidate winner, final ConsentStatus winnerStatus, final long winnerRank) {
        final boolean winnerDecisive = winnerStatus.evidenceClass() != EvidenceClass.NO_DECISION;
        if (decisive != winnerDecisive) {
            return decisive;
        }
        if (rank != winnerRank) {
            return rank > winnerRank;
        }
        if (status != winnerStatus) {
            final boolean denies = status.evidenceClass() == EvidenceClass.DENIAL;
            final boolean winnerDenies = winnerStatus.evidenceClass() == EvidenceClass.DENIAL;
            if (denies != winnerDenies) {
                return denies;
            }
            return status.restrictiveness() > winnerStatus.restrictiveness();
        }
        return CandidateOrder.TIE_BREAK.compare(candidate, winner) < 0;
    }
}
