package io.datasync.nifi.benchmarks;

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
        return all;
    }

    static List<Comparison> comparisons() {
        return List.of(
                new Comparison(STOCK_CONSENT, FLOOR, Double.NaN),
                new Comparison(STOCK_DEDUP, FLOOR, Double.NaN));
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
}
