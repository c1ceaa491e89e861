package io.datasync.nifi.audit;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What one audit run found: counts only, ids never (the ids go to the repair outputs), so the report can be stored and
 * shown on a dashboard without personal data.
 *
 * @param startedAt when the run started; also the "now" consent and freshness are judged at
 * @param profilesScanned every row read
 * @param profilesInUse rows still holding a contact address
 * @param duplicates the duplicate check's result (groups and the ids in them stay out of the stored record)
 * @param violations profiles in use that ConsentFilter would not allow now, or that are suppressed
 * @param suppressedInUse profiles in use whose subject key is on the suppression list
 * @param violationsByReason violations per reason code (ConsentFilter's codes, or SUPPRESSED)
 * @param placeholdersBlocked identifier values that were placeholders and linked nothing
 * @param freshness per source
 */
public record AuditReport(Instant startedAt, Duration duration, long pages, long profilesScanned, long profilesInUse,
                          DuplicateIndex.Result duplicates, long violations, long suppressedInUse, Map<String, Long> violationsByReason,
                          long placeholdersBlocked, List<FreshnessCheck.SourceFreshness> freshness) {

    /** The checks, each passing or failing on its own. */
    public enum Check {
        FRESHNESS, DUPLICATES, CONSENT
    }

    public long staleSources() {
        return freshness.stream().filter(FreshnessCheck.SourceFreshness::stale).count();
    }

    public boolean failed(final Check check) {
        return switch (check) {
            case FRESHNESS -> staleSources() > 0;
            case DUPLICATES -> duplicates.groupCount() > 0;
            case CONSENT -> violations > 0;
        };
    }

    /** FAIL when consent is violated (data must not be used), WARN when only freshness or uniqueness fail, else PASS. */
    public String status() {
        if (failed(Check.CONSENT)) {
            return "FAIL";
        }
        return failed(Check.FRESHNESS) || failed(Check.DUPLICATES) ? "WARN" : "PASS";
    }
}
