package io.datasync.nifi.audit;

import io.datasync.nifi.identity.IdentityMerge;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One audit run over one database connection: the profile table is read once, page by page; each page's match keys go
 * to the duplicate index and its profiles in use through the consent check; then the duplicate groups and the
 * freshness of the sources are read. Memory holds one page, the duplicate groups and the counts, never the table.
 */
public final class ProfileAudit {

    /** Receives what repair acts on, as the run finds it. Called on the auditing thread. */
    public interface Findings {
        void violation(ConsentCheck.Violation violation) throws SQLException;

        void merge(IdentityMerge merge) throws SQLException;
    }

    /** Findings nobody acts on (report only). */
    public static final Findings REPORT_ONLY = new Findings() {
        @Override
        public void violation(final ConsentCheck.Violation violation) {
        }

        @Override
        public void merge(final IdentityMerge merge) {
        }
    };

    private final ProfileColumns columns;
    private final int pageSize;
    private final int timeoutSeconds;
    private final int maxClusterSize;
    private final MatchKeys matchKeys;
    private final ConsentCheck consentCheck;
    private final FreshnessCheck freshnessCheck;
    private final Clock clock;

    /**
     * @param freshnessCheck the freshness check, or null when no sync runs table is audited
     * @param matchKeys used by this run only (it counts placeholders)
     */
    public ProfileAudit(final ProfileColumns columns, final int pageSize, final int timeoutSeconds, final int maxClusterSize,
                        final MatchKeys matchKeys, final ConsentCheck consentCheck, final FreshnessCheck freshnessCheck, final Clock clock) {
        this.columns = columns;
        this.pageSize = pageSize;
        this.timeoutSeconds = timeoutSeconds;
        this.maxClusterSize = maxClusterSize;
        this.matchKeys = matchKeys;
        this.consentCheck = consentCheck;
        this.freshnessCheck = freshnessCheck;
        this.clock = clock;
    }

    public AuditReport run(final Connection connection, final Findings findings) throws SQLException {
        final Instant start = clock.instant();
        final ProfilePages pages = new ProfilePages(columns, pageSize, timeoutSeconds);
        long pageCount = 0;
        long scanned = 0;
        long inUse = 0;
        long violations = 0;
        long suppressed = 0;
        final Map<String, Long> byReason = new TreeMap<>();
        final DuplicateIndex.Result duplicates;
        try (DuplicateIndex index = new DuplicateIndex(connection, timeoutSeconds, maxClusterSize)) {
            List<StoredProfile> page = pages.next(connection);
            while (!page.isEmpty()) {
                pageCount++;
                scanned += page.size();
                for (final StoredProfile profile : page) {
                    if (profile.usable()) {
                        inUse++;
                    }
                    index.add(profile.customerId(), matchKeys.of(profile));
                }
                index.flush();
                for (final ConsentCheck.Violation violation : consentCheck.check(connection, page, start)) {
                    violations++;
                    if (violation.suppressed()) {
                        suppressed++;
                    }
                    byReason.merge(violation.reason(), 1L, Long::sum);
                    findings.violation(violation);
                }
                page = pages.next(connection);
            }
            duplicates = index.find();
        }
        for (final IdentityMerge merge : duplicates.merges()) {
            findings.merge(merge);
        }
        final List<FreshnessCheck.SourceFreshness> freshness = freshnessCheck == null ? List.of() : freshnessCheck.check(connection, start);
        return new AuditReport(start, Duration.between(start, clock.instant()), pageCount, scanned, inUse, duplicates, violations, suppressed,
                Map.copyOf(byReason), matchKeys.placeholdersBlocked(), freshness);
    }
}
