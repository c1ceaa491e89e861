package io.datasync.nifi.benchmarks;

import io.datasync.nifi.processors.ConsentFilter;
import io.datasync.nifi.processors.CustomerDedup;
import io.datasync.nifi.processors.ProfileMerge;
import io.datasync.nifi.processors.profilemerge.MergeRule;
import org.apache.nifi.processors.standard.ConvertRecord;
import org.apache.nifi.processors.standard.DeduplicateRecord;
import org.apache.nifi.processors.standard.QueryRecord;

import java.util.ArrayList;
import java.util.List;

/**
 * The record contestants and what each is compared with. Stock processors are configured the way
 * a NiFi user would do the same job with stock parts only.
 */
final class Contestants {

    static final String FLOOR = "ConvertRecord (floor)";
    static final String STOCK_CONSENT = "QueryRecord consent SQL";
    static final String STOCK_DEDUP = "DeduplicateRecord email";
    static final String CONSENT_FILTER = "ConsentFilter (record fields)";
    static final String PROFILE_MERGE = "ProfileMerge (10 fields, 3 sources)";
    static final String CUSTOMER_DEDUP = "CustomerDedup (email, annotate)";
    static final String CUSTOMER_DEDUP_TWO_PASS = "CustomerDedup (email, annotate, read twice)";

    /** Relationship QueryRecord routes the consented records to (a dynamic property's name). */
    static final String CONSENTED = "consented";

    /**
     * The stock way to keep records whose email-marketing consent is granted, in any of the
     * vocabularies the sources use. Unknown or missing consent does not pass (fail closed), as
     * with ConsentFilter's default policy.
     */
    static final String CONSENT_SQL = "SELECT * FROM FLOWFILE WHERE LOWER(RPATH_STRING(consent, '/"
            + CustomerRecordGenerator.PURPOSE_EMAIL + "')) IN ('granted', 'opt-in', 'yes', 'true', '1')";

    /** A ratio to report: contestant against baseline, and the target if there is one. */
    record Comparison(String contestant, String baseline, double target) {
        boolean hasTarget() {
            return !Double.isNaN(target);
        }
    }

    private Contestants() {
    }

    static List<RecordContestant> all() {
        final List<RecordContestant> all = new ArrayList<>();
        all.add(floor());
        all.add(stockConsent());
        all.add(stockDedup());
        all.add(consentFilter());
        all.add(customerDedup(CUSTOMER_DEDUP, null));
        all.add(customerDedup(CUSTOMER_DEDUP_TWO_PASS, "0"));
        all.add(profileMerge());
        return all;
    }

    /** All contestants, or the floor plus those named in {@code only} (names separated by ';'). */
    static List<RecordContestant> selected(final String only) {
        if (only == null || only.isBlank()) {
            return all();
        }
        final List<String> names = java.util.Arrays.stream(only.split(";")).map(String::trim).toList();
        final List<RecordContestant> selected = all().stream()
                .filter(c -> c.name().equals(FLOOR) || names.contains(c.name())).toList();
        if (selected.size() != names.stream().filter(n -> !n.equals(FLOOR)).count() + 1) {
            throw new IllegalArgumentException("Unknown contestant in '" + only + "'; known: "
                    + all().stream().map(RecordContestant::name).toList());
        }
        return selected;
    }

    static List<Comparison> comparisons() {
        return List.of(
                new Comparison(STOCK_CONSENT, FLOOR, Double.NaN),
                new Comparison(STOCK_DEDUP, FLOOR, Double.NaN),
                new Comparison(CONSENT_FILTER, FLOOR, 0.85),
                new Comparison(CONSENT_FILTER, STOCK_CONSENT, Double.NaN),
                new Comparison(CUSTOMER_DEDUP, STOCK_DEDUP, 1.0),
                new Comparison(CUSTOMER_DEDUP_TWO_PASS, STOCK_DEDUP, 1.0),
                new Comparison(CUSTOMER_DEDUP, FLOOR, Double.NaN),
                new Comparison(PROFILE_MERGE, FLOOR, 0.5));
    }

    static RecordContestant floor() {
        return new RecordContestant(FLOOR, ConvertRecord::new, runner -> { },
                "Record Reader", "Record Writer", List.of("success"));
    }

    static RecordContestant stockConsent() {
        return new RecordContestant(STOCK_CONSENT, QueryRecord::new,
                runner -> runner.setProperty(CONSENTED, CONSENT_SQL),
                "record-reader", "record-writer", List.of(CONSENTED));
    }

    static RecordContestant stockDedup() {
        return new RecordContestant(STOCK_DEDUP, DeduplicateRecord::new, runner -> {
            runner.setProperty("deduplication-strategy", "single");
            runner.setProperty("filter-type", "hash-set");
            // The key: the raw email field, as DeduplicateRecord has no normalisation.
            runner.setProperty("email", "/email");
        }, "record-reader", "record-writer", List.of("non-duplicate", "duplicate"));
    }

    static RecordContestant consentFilter() {
        return new RecordContestant(CONSENT_FILTER, ConsentFilter::new, runner -> {
            runner.setProperty("Purposes", CustomerRecordGenerator.PURPOSE_EMAIL);
            // Record-field mode: the per-purpose consent object and its capture time, no lookup service.
            runner.setProperty("Consent Status Record Path", "/consent");
            runner.setProperty("Consent Timestamp Record Path", "/consent_updated_at");
            runner.setProperty("Default Policy", "REQUIRE_CONSENT");
            // Every record is written (allowed ones to success, the rest to excluded), as the floor writes every record.
            runner.setProperty("Disallowed Record Action", "ROUTE_TO_EXCLUDED");
        }, "Record Reader", "Record Writer", List.of("success", "excluded"));
    }

    static RecordContestant profileMerge() {
        return new RecordContestant(PROFILE_MERGE, ProfileMerge::new, runner -> {
            runner.setProperty("Customer Key Record Path", "/customer_id");
            runner.setProperty("Source Field", "source");
            runner.setProperty("Record Timestamp Field", "updated_at");
            runner.setProperty("Default Rule", MergeRule.LATEST_NON_EMPTY.getValue());
            // Ten fields with a rule of their own, over the three sources of the data (~3 records per customer).
            runner.setProperty("email", MergeRule.LATEST_NON_EMPTY.getValue());
            runner.setProperty("phone", MergeRule.LATEST_NON_EMPTY.getValue());
            runner.setProperty("first_name", "source_priority:crm,shop,webform");
            runner.setProperty("last_name", "source_priority:crm,shop,webform");
            runner.setProperty("city", MergeRule.LATEST.getValue());
            runner.setProperty("created_at", MergeRule.MIN.getValue());
            runner.setProperty("loyalty_points", MergeRule.MAX.getValue());
            runner.setProperty("order_count", MergeRule.MAX.getValue());
            runner.setProperty("tags", MergeRule.UNION.getValue());
            runner.setProperty("consent_status", MergeRule.CONSENT.getValue());
        }, "Record Reader", "Record Writer", List.of("success"));
    }

    /**
     * One match rule on the email, normalised as an email (trim, case, Gmail dots and +tags), annotate
     * mode, no cache: identity within the FlowFile. With {@code recordsHeldInMemory} null the
     * processor's default applies (up to 100,000 records, within an eighth of the heap, are held and
     * the FlowFile is read once); 0 reads every FlowFile twice, keeping only key hashes.
     */
    static RecordContestant customerDedup(final String name, final String recordsHeldInMemory) {
        return new RecordContestant(name, CustomerDedup::new, runner -> {
            runner.setProperty("email", "/email");
            runner.setProperty("Email Record Paths", "/email");
            runner.setProperty("Output Mode", "ANNOTATE");
            if (recordsHeldInMemory != null) {
                runner.setProperty("Records Held in Memory", recordsHeldInMemory);
            }
        }, "Record Reader", "Record Writer", List.of("success"));
    }
}
