package io.datasync.nifi.audit;

import io.datasync.nifi.identity.IdentityMerge;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The audit's checks against a real PostgreSQL: each rule on a small, hand-made table. */
class ProfileAuditTest {

    private static final Instant GRANTED_AT = Instant.parse("2026-01-01T00:00:00Z");
    private static AuditDatabase database;

    @BeforeAll
    static void start() throws IOException, SQLException {
        database = AuditDatabase.start();
    }

    @AfterAll
    static void stop() throws IOException {
        if (database != null) {
            database.close();
        }
    }

    @BeforeEach
    void clear() throws SQLException {
        database.clear();
    }

    private record Run(AuditReport report, List<ConsentCheck.Violation> violations, List<IdentityMerge> merges) {
    }

    private static Run run(final ProfileAudit audit) throws SQLException {
        final List<ConsentCheck.Violation> violations = new ArrayList<>();
        final List<IdentityMerge> merges = new ArrayList<>();
        try (Connection connection = database.connect()) {
            final AuditReport report = audit.run(connection, new ProfileAudit.Findings() {
                @Override
                public void violation(final ConsentCheck.Violation violation) {
                    violations.add(violation);
                }

                @Override
                public void merge(final IdentityMerge merge) {
                    merges.add(merge);
                }
            });
            return new Run(report, violations, merges);
        }
    }

    private static void granted(final String id, final String email, final String phone) throws SQLException {
        database.profile(id, id + "-key", email, phone);
        database.consent(id + "-key", "email_marketing", "GRANTED", GRANTED_AT);
    }

    @Test
    void cleanTablePasses() throws SQLException {
        granted("c1", "ann@example.org", "+49 30 55501987");
        granted("c2", "bob@example.org", "+49 30 55501988");
        final Run run = run(Audits.audit(100));
        assertEquals("PASS", run.report().status());
        assertEquals(2, run.report().profilesScanned());
        assertEquals(2, run.report().profilesInUse());
        assertEquals(0, run.report().duplicates().groupCount());
        assertEquals(0, run.report().violations());
        assertTrue(run.merges().isEmpty());
    }

    @Test
    void gmailVariantsAndPhoneFormatsLinkTransitivelyToTheSmallestId() throws SQLException {
        granted("c3", "Ann.Lee+news@gmail.com", null);
        granted("c1", "annlee@googlemail.com", "030 55501987");
        granted("c2", "other@example.org", "+49 (30) 5550-1987");
        granted("c4", "someone@example.org", null);
        final Run run = run(Audits.audit(100));
        assertEquals(1, run.report().duplicates().groupCount());
        assertEquals(2, run.report().duplicates().duplicateIds());
        assertEquals(List.of(new IdentityMerge("c2", "c1", "stored profiles linked by email, phone"),
                new IdentityMerge("c3", "c1", "stored profiles linked by email, phone")), run.merges());
        assertEquals("WARN", run.report().status());
    }

    @Test
    void placeholdersAndAnonymizedRowsLinkNothing() throws SQLException {
        granted("c1", "noreply@shop.example", "+49 30 1111111");
        granted("c2", "noreply@shop.example", "+49 30 2222222");
        granted("c3", "x@example.org", "000000000");
        granted("c4", "y@example.org", "000000000");
        database.profile("c5", "c5", null, null);
        database.profile("c6", "c6", null, null);
        final Run run = run(Audits.audit(100));
        assertEquals(0, run.report().duplicates().groupCount());
        assertEquals(4, run.report().placeholdersBlocked(), "two placeholder emails, two repeated-digit phones");
    }

    @Test
    void aKeySharedByMoreProfilesThanTheMaximumClusterSizeLinksNothing() throws SQLException {
        granted("c1", "office@example.org", null);
        granted("c2", "office@example.org", null);
        granted("c3", "office@example.org", null);
        granted("c4", "pair@example.org", null);
        granted("c5", "pair@example.org", null);
        final Run run = run(Audits.audit(100, 2, List.of("email_marketing"), Map.of()));
        assertEquals(1, run.report().duplicates().groupCount());
        assertEquals(List.of("c4", "c5"), run.report().duplicates().groups().getFirst().ids());
        assertEquals(1, run.report().duplicates().oversizedKeys());
    }

    @Test
    void consentViolationsAreJudgedByTheStoreNowAndFailClosed() throws SQLException {
        granted("ok", "ok@example.org", null);
        granted("withdrawn", "w@example.org", null);
        database.consent("withdrawn-key", "email_marketing", "WITHDRAWN", GRANTED_AT.plusSeconds(60));
        database.profile("none", "none-key", "n@example.org", null);
        database.profile("pending", "pending-key", "p@example.org", null);
        database.consent("pending-key", "email_marketing", "PENDING", GRANTED_AT);
        granted("suppressed", "s@example.org", null);
        database.suppress("suppressed-key");
        database.profile("gone", "gone", null, null);
        database.consent("gone", "email_marketing", "WITHDRAWN", GRANTED_AT);
        database.suppress("gone");
        final Run run = run(Audits.audit(2));
        assertEquals(6, run.report().profilesScanned());
        assertEquals(5, run.report().profilesInUse());
        assertEquals(4, run.report().violations());
        assertEquals(1, run.report().suppressedInUse());
        assertEquals(Map.of("WITHDRAWN", 1L, "NO_CONSENT_RECORD", 1L, "PENDING", 1L, "SUPPRESSED", 1L), run.report().violationsByReason());
        assertEquals(List.of("none", "pending", "suppressed", "withdrawn"),
                run.violations().stream().map(ConsentCheck.Violation::customerId).sorted().toList());
        assertEquals("FAIL", run.report().status());
        assertEquals(3, run.report().pages(), "6 rows in pages of 2");
    }

    @Test
    void everyPurposeMustBeAllowed() throws SQLException {
        granted("c1", "a@example.org", null);
        database.consent("c1-key", "analytics", "GRANTED", GRANTED_AT);
        granted("c2", "b@example.org", null);
        final Run run = run(Audits.audit(100, 50, List.of("email_marketing", "analytics"), Map.of()));
        assertEquals(List.of("c2"), run.violations().stream().map(ConsentCheck.Violation::customerId).toList());
    }

    @Test
    void pageSizeChangesNothingButThePageCount() throws SQLException {
        for (int i = 0; i < 23; i++) {
            granted("c" + (100 + i), "p" + (i % 7) + "@example.org", null);
        }
        database.consent("c105-key", "email_marketing", "WITHDRAWN", GRANTED_AT.plusSeconds(1));
        final Run small = run(Audits.audit(1));
        final Run large = run(Audits.audit(1000));
        assertEquals(large.merges(), small.merges());
        assertEquals(large.violations(), small.violations());
        assertEquals(23, small.report().profilesScanned());
        assertEquals(23, small.report().pages(), "pages holding rows");
        assertEquals(1, large.report().pages());
        assertEquals(7, large.report().duplicates().groupCount());
        assertEquals(16, large.report().duplicates().duplicateIds());
    }

    @Test
    void keysSpanningSeveralInsertStatementsAreAllGrouped() throws SQLException {
        // 1,300 profiles, each email twice and every profile with a phone: 2,600 keys, several full statements and a partial one
        database.execute("""
                INSERT INTO customer_profiles (customer_id, subject_key, email, phone, updated_at)
                SELECT 'c' || lpad(g::text, 5, '0'), 'k' || g, 'p' || (g / 2) || '@example.org', '+49 30 ' || (20000000 + g * 7), now()
                FROM generate_series(0, 1299) g""");
        final Run run = run(Audits.audit(700));
        assertEquals(1300, run.report().profilesScanned());
        assertEquals(650, run.report().duplicates().groupCount());
        assertEquals(650, run.merges().size());
        assertEquals(new IdentityMerge("c00001", "c00000", "stored profiles linked by email"), run.merges().getFirst());
    }

    @Test
    void freshnessJudgesTheLastSuccessfulSyncAgainstEachSourcesSla() throws SQLException {
        final Instant now = Instant.now();
        database.syncRun("crm", now.minus(Duration.ofHours(5)), now.minus(Duration.ofHours(6)));
        database.syncRun("crm", now.minus(Duration.ofMinutes(30)), now.minus(Duration.ofHours(1)));
        database.syncRun("ftp", now.minus(Duration.ofHours(30)), null);
        database.syncRun("shop", now.minus(Duration.ofDays(9)), null);
        final Map<String, Duration> slas = Map.of("crm", Duration.ofHours(2), "ftp", Duration.ofHours(26), "webforms", Duration.ofHours(1));
        final Run run = run(Audits.audit(100, 50, List.of("email_marketing"), slas));
        final List<FreshnessCheck.SourceFreshness> sources = run.report().freshness();
        assertEquals(List.of("crm", "ftp", "shop", "webforms"), sources.stream().map(FreshnessCheck.SourceFreshness::source).toList());
        assertFalse(sources.get(0).stale());
        assertEquals(now.minus(Duration.ofHours(1)).getEpochSecond(), sources.get(0).newestRecord().getEpochSecond());
        assertTrue(sources.get(1).stale(), "30 hours behind a 26 hour SLA");
        assertFalse(sources.get(2).stale(), "no SLA: reported only");
        assertNull(sources.get(2).sla());
        assertTrue(sources.get(3).stale(), "an SLA and never synced");
        assertNull(sources.get(3).lastSync());
        assertEquals(2, run.report().staleSources());
        assertEquals("WARN", run.report().status());
    }

    @Test
    void exactlyAtTheSlaIsNotStale() {
        final FreshnessCheck check = new FreshnessCheck("sync_runs", "source", "finished_at", null, Map.of("crm", Duration.ofHours(1)), 0);
        final Instant now = Instant.parse("2026-12-01T12:00:00Z");
        assertFalse(check.judge("crm", now.minus(Duration.ofHours(1)), null, now).stale());
        assertTrue(check.judge("crm", now.minus(Duration.ofHours(1)).minusMillis(1), null, now).stale());
    }

    @Test
    void theSpillTableIsGoneAfterTheRunAndALeftoverOneIsReplaced() throws SQLException {
        granted("c1", "a@example.org", null);
        try (Connection connection = database.connect()) {
            connection.createStatement().execute("CREATE TEMPORARY TABLE " + DuplicateIndex.SPILL_TABLE + " (junk INT)");
            Audits.audit(10).run(connection, ProfileAudit.REPORT_ONLY);
            assertThrows(SQLException.class, () -> connection.createStatement().executeQuery("SELECT 1 FROM " + DuplicateIndex.SPILL_TABLE));
        }
    }

    @Test
    void hostileNamesAreRejectedWithoutQuotingThem() {
        final IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> new ProfileColumns("customer_profiles; DROP TABLE consent", "customer_id", "subject_key", "email", "phone"));
        assertFalse(error.getMessage().contains("DROP"));
        assertThrows(IllegalArgumentException.class, () -> new ProfileColumns("customer_profiles", "id\" OR 1=1", "subject_key", "email", null));
        assertThrows(IllegalArgumentException.class, () -> new FreshnessCheck("sync_runs", "source--", "finished_at", null, Map.of(), 0));
        assertThrows(IllegalArgumentException.class, () -> new ConsentCheck.Store("consent lookup", "subject_key", "s", "u", "p"));
    }
}
