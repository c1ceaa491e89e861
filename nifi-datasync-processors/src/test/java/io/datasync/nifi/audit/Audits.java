package io.datasync.nifi.audit;

import io.datasync.nifi.common.Timestamps;
import io.datasync.nifi.consent.ConsentEvaluator;
import io.datasync.nifi.consent.ConsentVocabulary;
import io.datasync.nifi.consent.EvidenceReader;
import io.datasync.nifi.consent.JurisdictionPolicy;
import io.datasync.nifi.identity.BlockedValues;
import io.datasync.nifi.identity.EmailNormalizer;
import io.datasync.nifi.identity.KeyHasher;
import io.datasync.nifi.identity.PhoneNormalizer;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Builds audits over {@link AuditDatabase}'s tables with the processor's defaults. */
final class Audits {

    static final ProfileColumns COLUMNS = new ProfileColumns("customer_profiles", "customer_id", "subject_key", "email", "phone");

    private Audits() {
    }

    static ProfileAudit audit(final int pageSize, final int maxClusterSize, final List<String> purposes, final Map<String, Duration> slas) {
        final EvidenceReader reader = new EvidenceReader(purposes, ConsentVocabulary.defaults(), Timestamps.EpochUnit.MILLISECONDS, null,
                "status", "updated_at", null, null, EvidenceReader.MalformedSignalHandling.DENY);
        final ConsentCheck consent = new ConsentCheck(new ConsentCheck.Store("consent_lookup", "subject_key", "status", "updated_at", "purposes"),
                reader, new ConsentEvaluator(purposes, null), JurisdictionPolicy.Regime.OPT_IN, "suppression", "subject_key",
                Math.min(pageSize, 1000), 30);
        final MatchKeys keys = new MatchKeys(new EmailNormalizer(true), new PhoneNormalizer("DE", true),
                BlockedValues.parse(String.join(",", BlockedValues.DEFAULTS)), new KeyHasher("test"));
        final FreshnessCheck freshness = new FreshnessCheck("sync_runs", "source", "finished_at", "newest_record_at", slas, 30);
        return new ProfileAudit(COLUMNS, pageSize, 30, maxClusterSize, keys, consent, freshness, Clock.systemUTC());
    }

    static ProfileAudit audit(final int pageSize) {
        return audit(pageSize, 50, List.of("email_marketing"), Map.of());
    }
}
