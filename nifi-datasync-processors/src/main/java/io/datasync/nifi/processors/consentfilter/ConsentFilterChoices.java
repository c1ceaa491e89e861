package io.datasync.nifi.processors.consentfilter;

import io.datasync.nifi.common.Timestamps;
import io.datasync.nifi.consent.Anonymizer;
import io.datasync.nifi.consent.EvidenceReader;
import io.datasync.nifi.consent.SignalPolicy;
import io.datasync.nifi.processors.common.DescribedEnum.Described;
import io.datasync.nifi.processors.common.DescribedEnum.Selection;
import io.datasync.nifi.processors.common.DescribedEnum;
import java.util.List;
import io.datasync.nifi.processors.common.ConsentPolicyDescriptors;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.serialization.record.RecordSchema;

/**
 * What {@link io.datasync.nifi.processors.ConsentFilter} writes and offers to choose from: the attributes and counters it writes, the schema of its
 * suppression and exclusion records, the decision names, and the enums of allowable values of its properties (the property
 * descriptors themselves are in {@link ConsentFilterDescriptors}).
 */
public abstract class ConsentFilterChoices extends ConsentPolicyDescriptors {

    public static final String ATTR_RECORD_COUNT = "record.count";
    public static final String ATTR_MIME_TYPE = "mime.type";
    public static final String ATTR_ALLOWED_COUNT = "consent.allowed.count";
    public static final String ATTR_EXCLUDED_COUNT = "consent.excluded.count";
    public static final String ATTR_ANONYMIZED_COUNT = "consent.anonymized.count";
    public static final String ATTR_DROPPED_COUNT = "consent.dropped.count";
    public static final String ATTR_SUPPRESSION_COUNT = "consent.suppression.count";
    public static final String ATTR_EXCLUSION_COUNT = "consent.exclusion.count";
    public static final String ATTR_ERROR = "consent.error";

    static final String SUPPRESSION_SUBJECT_FIELD = "subject_key";
    static final String SUPPRESSION_REASON_FIELD = "reason";
    static final String SUPPRESSION_TIMESTAMP_FIELD = "timestamp";
    static final RecordSchema SUPPRESSION_SCHEMA = new SimpleRecordSchema(List.of(
            new RecordField(SUPPRESSION_SUBJECT_FIELD, RecordFieldType.STRING.getDataType(), false),
            new RecordField(SUPPRESSION_REASON_FIELD, RecordFieldType.STRING.getDataType(), false),
            new RecordField(SUPPRESSION_TIMESTAMP_FIELD, RecordFieldType.STRING.getDataType(), false)));

    static final String EXCLUSION_SUBJECT_FIELD = "subject_key";
    static final String EXCLUSION_REASON_FIELD = "reason_code";
    static final String EXCLUSION_PURPOSE_FIELD = "purpose";
    /** One audit record per disallowed record: who, why, for which purposes; nothing else of the record. */
    static final RecordSchema EXCLUSION_SCHEMA = new SimpleRecordSchema(List.of(
            new RecordField(EXCLUSION_SUBJECT_FIELD, RecordFieldType.STRING.getDataType(), false),
            new RecordField(EXCLUSION_REASON_FIELD, RecordFieldType.STRING.getDataType(), false),
            new RecordField(EXCLUSION_PURPOSE_FIELD, RecordFieldType.STRING.getDataType(), false)));

    static final String DECISION_ALLOWED = "allowed";
    static final String DECISION_EXCLUDED = "excluded";
    static final String DECISION_ANONYMIZED = "anonymized";

    /** EU and EEA member states, the United Kingdom, and the EU/EEA group codes. */
    static final String DEFAULT_OPT_IN_JURISDICTIONS = "EU, EEA, AT, BE, BG, HR, CY, CZ, DK, EE, FI, FR, DE, GR, HU, IE, IT, LV, LT, LU, MT, NL, "
            + "PL, PT, RO, SK, SI, ES, SE, IS, LI, NO, GB, UK";

    public enum DisallowedAction implements DescribedEnum {
        ROUTE_TO_EXCLUDED("Route to excluded", "Records that may not be used are written, unchanged but with the decision fields, to 'excluded'."),
        DROP("Drop", "Records that may not be used are not written anywhere; they are counted in attributes, counters and provenance."),
        ANONYMIZE("Anonymize", "The configured fields of records that may not be used are anonymised and the records routed to 'anonymized'.");

        private final Described described;

        DisallowedAction(final String displayName, final String description) {
            this.described = new Described(displayName, description);
        }

        @Override
        public Described described() {
            return described;
        }
    }

    public enum AnonymizationMethod implements DescribedEnum {
        HMAC_SHA256("HMAC-SHA256", "Replaces each value with the hex HMAC-SHA256 of its text under the Hash Key: equal values give equal tokens, "
                + "which cannot be reversed or guessed without the key."),
        MASK("Mask", "Replaces each value with " + Anonymizer.MASK + "."),
        REMOVE("Remove", "Removes each value: top-level fields are left out of the output schema, nested ones are set to null.");

        private final Described described;

        AnonymizationMethod(final String displayName, final String description) {
            this.described = new Described(displayName, description);
        }

        @Override
        public Described described() {
            return described;
        }
    }

    public enum EpochUnitChoice implements DescribedEnum.Selecting<Timestamps.EpochUnit> {
        AUTO_DETECT("Auto-Detect", "A number whose absolute value is below 100,000,000,000 is epoch seconds (that many seconds reach the year "
                + "5138), a larger one epoch milliseconds (as milliseconds that limit is March 1973, older than any consent data).",
                Timestamps.EpochUnit.AUTO),
        SECONDS("Seconds", "Numbers are epoch seconds.", Timestamps.EpochUnit.SECONDS),
        MILLISECONDS("Milliseconds", "Numbers are epoch milliseconds.", Timestamps.EpochUnit.MILLISECONDS);

        private final Selection<Timestamps.EpochUnit> selection;

        EpochUnitChoice(final String displayName, final String description, final Timestamps.EpochUnit unit) {
            this.selection = new Selection<>(displayName, description, unit);
        }

        @Override
        public Selection<Timestamps.EpochUnit> selection() {
            return selection;
        }
    }

    public enum SignalScope implements DescribedEnum.Selecting<SignalPolicy.Scope> {
        OPT_OUT_JURISDICTIONS("Opt-Out Jurisdictions", "The signal counts only where the subject's regime is opt-out (the Opt-Out Jurisdictions, "
                + "or the Default Policy Allow Unless Denied): there it is the legal opt-out (CCPA). Where use needs a grant (GDPR), the grant "
                + "decides.", SignalPolicy.Scope.OPT_OUT_JURISDICTIONS),
        EVERYWHERE("Everywhere", "The signal counts in every jurisdiction.", SignalPolicy.Scope.EVERYWHERE);

        private final Selection<SignalPolicy.Scope> selection;

        SignalScope(final String displayName, final String description, final SignalPolicy.Scope scope) {
            this.selection = new Selection<>(displayName, description, scope);
        }

        @Override
        public Selection<SignalPolicy.Scope> selection() {
            return selection;
        }
    }

    public enum MalformedSignalChoice implements DescribedEnum.Selecting<EvidenceReader.MalformedSignalHandling> {
        DENY("Treat as Denial", "An unreadable TC or US Privacy string denies every purpose, with reason MALFORMED_TC_STRING or "
                + "MALFORMED_US_PRIVACY, unless a grant dated after the record's consent timestamp exists.", EvidenceReader.MalformedSignalHandling.DENY),
        FAIL("Route to failure", "A FlowFile with an unreadable TC or US Privacy string goes to 'failure', whole, with consent.error saying "
                + "which signal.", EvidenceReader.MalformedSignalHandling.FAIL);

        private final Selection<EvidenceReader.MalformedSignalHandling> selection;

        MalformedSignalChoice(final String displayName, final String description, final EvidenceReader.MalformedSignalHandling handling) {
            this.selection = new Selection<>(displayName, description, handling);
        }

        @Override
        public Selection<EvidenceReader.MalformedSignalHandling> selection() {
            return selection;
        }
    }

    public enum ConsentStoreType implements DescribedEnum {
        LOOKUP_SERVICE("Lookup Service", "The consent store is read through the Consent Lookup Service, one lookup per subject: for stores that "
                + "are not databases (CSV, REST, ...), or no store at all when that property is empty."),
        DATABASE("Database", "The consent store is a table or view read through a Database Connection Pooling Service: the rows of all "
                + "subjects of a FlowFile in one parameterised query per Store Batch Size subjects, before any record is written.");

        private final Described described;

        ConsentStoreType(final String displayName, final String description) {
            this.described = new Described(displayName, description);
        }

        @Override
        public Described described() {
            return described;
        }
    }

    static final String COUNTER_PREFIX = "ConsentFilter records ";
    static final String COUNTER_INVALID_SIGNAL = "ConsentFilter invalid consent signals";
    public static final String COUNTER_WARNING_PREFIX = "ConsentFilter warnings ";
}
