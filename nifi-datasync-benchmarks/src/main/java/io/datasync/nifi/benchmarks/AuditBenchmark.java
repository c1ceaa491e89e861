package io.datasync.nifi.benchmarks;

import io.datasync.nifi.audit.AuditReport;
import io.datasync.nifi.audit.ConsentCheck;
import io.datasync.nifi.audit.FreshnessCheck;
import io.datasync.nifi.audit.MatchKeys;
import io.datasync.nifi.audit.ProfileAudit;
import io.datasync.nifi.audit.ProfileColumns;
import io.datasync.nifi.common.Timestamps;
import io.datasync.nifi.consent.ConsentEvaluator;
import io.datasync.nifi.consent.ConsentVocabulary;
import io.datasync.nifi.consent.EvidenceReader;
import io.datasync.nifi.consent.JurisdictionPolicy;
import io.datasync.nifi.identity.BlockedValues;
import io.datasync.nifi.identity.EmailNormalizer;
import io.datasync.nifi.identity.KeyHasher;
import io.datasync.nifi.identity.PhoneNormalizer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * AuditProfileStore's audit (the plain-Java run the processor wraps) over a profile table of the templates' shape in an
 * embedded PostgreSQL (127.0.0.1): 1% injected duplicates, 2% withdrawals, 0.1% suppressed profiles. Each round audits
 * the whole table with the processor's defaults (pages of 5,000, consent read 1,000 subjects per query) and checks the
 * counts against what was injected.
 */
final class AuditBenchmark {

    private static final String SCHEMA = """
            CREATE TABLE customer_profiles (
                customer_id  VARCHAR(64)  PRIMARY KEY,
                subject_key  VARCHAR(320) NOT NULL UNIQUE,
                email        VARCHAR(320),
                phone        VARCHAR(32),
                first_name   VARCHAR(100),
                updated_at   TIMESTAMP WITH TIME ZONE NOT NULL
            );
            CREATE TABLE consent (
                subject_key  VARCHAR(320) NOT NULL,
                purpose      VARCHAR(64)  NOT NULL,
                status       VARCHAR(16)  NOT NULL,
                updated_at   TIMESTAMP WITH TIME ZONE NOT NULL,
                PRIMARY KEY (subject_key, purpose)
            );
            CREATE VIEW consent_lookup AS
                SELECT subject_key, max(updated_at) AS updated_at,
                       jsonb_object_agg(purpose, jsonb_build_object('status', status, 'updated_at', updated_at))::text AS purposes
                FROM consent GROUP BY subject_key;
            CREATE TABLE suppression (subject_key VARCHAR(320) PRIMARY KEY, reason VARCHAR(64) NOT NULL,
                decided_at TIMESTAMP WITH TIME ZONE NOT NULL);
            CREATE TABLE sync_runs (source VARCHAR(64) NOT NULL, finished_at TIMESTAMP WITH TIME ZONE NOT NULL,
                newest_record_at TIMESTAMP WITH TIME ZONE);
            """;

    private final Mode mode;

    AuditBenchmark(final Mode mode) {
        this.mode = mode;
    }

    String run() throws Exception {
        final int profiles = mode == Mode.FULL ? 1_000_000 : 200_000;
        final int rounds = 2;
        final Markdown md = new Markdown().heading("Sync audit: AuditProfileStore over the stored profiles");
        try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().setServerConfig("listen_addresses", "127.0.0.1").start();
             Connection connection = postgres.getPostgresDatabase().getConnection()) {
            final long seedStart = System.nanoTime();
            seed(connection, profiles);
            final double seedSeconds = (System.nanoTime() - seedStart) / 1e9;
            final long duplicates = profiles / 100;
            final long withdrawn = profiles / 50;
            final long suppressed = profiles / 1000;
            md.paragraph(String.format(Locale.ROOT, "%,d clean profiles plus %,d duplicates (the email of another profile in capitals), "
                    + "%,d withdrawals and %,d suppressed profiles (not withdrawn) written straight into PostgreSQL 17 (seeded in %.0f s). "
                    + "Page size 5,000; one connection; the audit and the database share the machine.", profiles, duplicates, withdrawn,
                    suppressed, seedSeconds));
            md.table("round", "profiles scanned", "seconds", "profiles/s", "seconds per million", "duplicate ids", "violations", "heap used after (MB)");
            for (int round = 1; round <= rounds; round++) {
                System.gc();
                final AuditReport report = audit().run(connection, ProfileAudit.REPORT_ONLY);
                final double seconds = report.duration().toNanos() / 1e9;
                if (report.duplicates().duplicateIds() != duplicates || report.violations() != withdrawn + suppressed) {
                    throw new IllegalStateException("audit found " + report.duplicates().duplicateIds() + " duplicates and " + report.violations()
                            + " violations; injected " + duplicates + " and " + (withdrawn + suppressed));
                }
                final Runtime runtime = Runtime.getRuntime();
                md.row(Integer.toString(round), String.format(Locale.ROOT, "%,d", report.profilesScanned()),
                        String.format(Locale.ROOT, "%.1f", seconds),
                        String.format(Locale.ROOT, "%,.0f", report.profilesScanned() / seconds),
                        String.format(Locale.ROOT, "%.1f", seconds * 1_000_000 / report.profilesScanned()),
                        String.format(Locale.ROOT, "%,d", report.duplicates().duplicateIds()),
                        String.format(Locale.ROOT, "%,d", report.violations()),
                        Long.toString((runtime.totalMemory() - runtime.freeMemory()) / (1024 * 1024)));
            }
        }
        final String section = md.toString();
        System.out.println(section);
        return section;
    }

    private static ProfileAudit audit() {
        final List<String> purposes = List.of("email_marketing");
        final EvidenceReader reader = new EvidenceReader(purposes, ConsentVocabulary.defaults(), Timestamps.EpochUnit.MILLISECONDS, null,
                "status", "updated_at", null, null, EvidenceReader.MalformedSignalHandling.DENY);
        final ConsentCheck consent = new ConsentCheck(new ConsentCheck.Store("consent_lookup", "subject_key", "status", "updated_at", "purposes"),
                reader, new ConsentEvaluator(purposes, null), JurisdictionPolicy.Regime.OPT_IN, "suppression", "subject_key", 1000, 0);
        final MatchKeys keys = new MatchKeys(new EmailNormalizer(true), new PhoneNormalizer("DE", true),
                BlockedValues.parse(String.join(",", BlockedValues.DEFAULTS)), new KeyHasher("datasync-audit"));
        final FreshnessCheck freshness = new FreshnessCheck("sync_runs", "source", "finished_at", "newest_record_at",
                Map.of("crm", Duration.ofHours(2)), 0);
        return new ProfileAudit(new ProfileColumns("customer_profiles", "customer_id", "subject_key", "email", "phone"), 5000, 0, 50, keys,
                consent, freshness, Clock.systemUTC());
    }

    private static void seed(final Connection connection, final int profiles) throws Exception {
        try (Statement statement = connection.createStatement()) {
            statement.execute(SCHEMA);
            statement.execute("""
                    INSERT INTO customer_profiles (customer_id, subject_key, email, phone, first_name, updated_at)
                    SELECT 'c' || lpad(g::text, 9, '0'), 'person' || g || '@example.org', 'person' || g || '@example.org',
                           '+49 30 ' || (20000000 + g * 7), 'N' || g, now() - interval '1 day'
                    FROM generate_series(1, %d) g""".formatted(profiles));
            statement.execute("""
                    INSERT INTO customer_profiles (customer_id, subject_key, email, phone, first_name, updated_at)
                    SELECT 'd' || lpad(g::text, 9, '0'), 'dup' || g || '@example.org', 'PERSON' || g || '@EXAMPLE.ORG', NULL, 'D' || g,
                           now() - interval '1 day'
                    FROM generate_series(100, %d, 100) g""".formatted(profiles));
            statement.execute("""
                    INSERT INTO consent (subject_key, purpose, status, updated_at)
                    SELECT subject_key, 'email_marketing', 'GRANTED', now() - interval '30 days' FROM customer_profiles""");
            statement.execute("""
                    UPDATE consent SET status = 'WITHDRAWN', updated_at = now() - interval '1 hour'
                    WHERE subject_key IN (SELECT 'person' || g || '@example.org' FROM generate_series(50, %d, 50) g)""".formatted(profiles));
            statement.execute("""
                    INSERT INTO suppression (subject_key, reason, decided_at)
                    SELECT 'person' || g || '@example.org', 'complaint', now() FROM generate_series(25, %d, 1000) g""".formatted(profiles));
            statement.execute("INSERT INTO sync_runs VALUES ('crm', now() - interval '10 minutes', now() - interval '20 minutes')");
            statement.execute("VACUUM ANALYZE");
        }
    }
}
