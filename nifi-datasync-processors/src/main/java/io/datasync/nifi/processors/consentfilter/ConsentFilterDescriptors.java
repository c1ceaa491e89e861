package io.datasync.nifi.processors.consentfilter;

import io.datasync.nifi.consent.TcfPurposeMapping;
import io.datasync.nifi.processors.common.ConsentValueLists;
import io.datasync.nifi.processors.common.DatabaseStoreProperties;
import io.datasync.nifi.processors.common.RecordPathListValidator;
import io.datasync.nifi.processors.common.RecordServiceProperties;
import io.datasync.nifi.processors.common.RecordsHeldInMemory;
import java.util.List;
import java.util.Set;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationContext;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.components.Validator;
import org.apache.nifi.lookup.RecordLookupService;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.util.StandardValidators;
import org.apache.nifi.record.path.validation.RecordPathValidator;
import org.apache.nifi.serialization.RecordSetWriterFactory;

/**
 * The property descriptors of {@link io.datasync.nifi.processors.ConsentFilter} with their validators, and its relationships. Kept apart from the
 * processor so that the processor class reads as the wiring of NiFi to the plain-Java classes of
 * {@code io.datasync.nifi.consent}.
 */
public abstract class ConsentFilterDescriptors extends ConsentFilterChoices {

    public static final PropertyDescriptor RECORD_READER = RecordServiceProperties.reader("Reads the incoming records.");

    public static final PropertyDescriptor RECORD_WRITER = RecordServiceProperties.writer(
            "Writes the records of 'success', 'excluded' and 'anonymized'. Use a writer that inherits the record schema, or one whose "
                    + "schema includes the decision and reason fields.");

    public static final PropertyDescriptor SUBJECT_KEY_PATH = new PropertyDescriptor.Builder()
            .name("Subject Key Record Path")
            .description("RecordPath to the subject's key (customer id or normalised email, e.g. toLowerCase(trim(/email))). Used as the consent "
                    + "store lookup key and in suppression records. All records of one subject in a FlowFile, with the subject's store evidence, "
                    + "get one decision and one reason (this costs a second read of the FlowFile when records carry consent or a jurisdiction).")
            .required(false)
            .addValidator(new RecordPathValidator())
            .build();

    public static final PropertyDescriptor CONSENT_STATUS_PATH = new PropertyDescriptor.Builder()
            .name("Consent Status Record Path")
            .description("RecordPath to the consent held in the record: a status (read through Grant Values, Denial Values, Withdrawal Values and "
                    + "No-Decision Values; booleans and 1/0 too), or a map or nested record keyed by purpose, or a list of granted purposes.")
            .required(false)
            .addValidator(new RecordPathValidator())
            .build();

    public static final PropertyDescriptor CONSENT_TIMESTAMP_PATH = new PropertyDescriptor.Builder()
            .name("Consent Timestamp Record Path")
            .description("RecordPath to when the record's consent was captured: ISO-8601 text (Z, +02:00, +0200, a [zone id], a space instead "
                    + "of T, or a date alone, read as UTC), an epoch number (see Epoch Timestamp Unit) or a timestamp. Also dates the GPC and US "
                    + "Privacy signals. Without it the record's evidence is undated: an undated denial counts as newer than every grant, an "
                    + "undated grant as older than every denial. A value that cannot be parsed, or lies more than a day in the future, makes "
                    + "the evidence undated and adds a warning.")
            .required(false)
            .addValidator(new RecordPathValidator())
            .build();

    /** Removed: with a subject key every record of a subject now gets the subject's one decision. */
    public static final String OBSOLETE_SHARE_RESTRICTIONS = "Apply Withdrawals Across Records";

    public static final PropertyDescriptor EPOCH_UNIT = new PropertyDescriptor.Builder()
            .name("Epoch Timestamp Unit")
            .description("How consent timestamps that are plain numbers (or texts of digits) are read, in records and in the consent store.")
            .required(true)
            .allowableValues(EpochUnitChoice.class)
            .defaultValue(EpochUnitChoice.AUTO_DETECT)
            .build();

    public static final PropertyDescriptor GRANT_VALUES = ConsentValueLists.GRANT_VALUES;
    public static final PropertyDescriptor DENIAL_VALUES = ConsentValueLists.DENIAL_VALUES;
    public static final PropertyDescriptor WITHDRAWAL_VALUES = ConsentValueLists.WITHDRAWAL_VALUES;
    public static final PropertyDescriptor NO_DECISION_VALUES = ConsentValueLists.NO_DECISION_VALUES;

    public static final PropertyDescriptor CONSENT_STORE_TYPE = new PropertyDescriptor.Builder()
            .name("Consent Store Type")
            .description("How the consent store is read: through a Record Lookup Service (one lookup per subject), or from a database table or "
                    + "view through a Database Connection Pooling Service (one query per Store Batch Size subjects).")
            .required(true)
            .allowableValues(ConsentStoreType.class)
            .defaultValue(ConsentStoreType.LOOKUP_SERVICE)
            .build();

    private static final DatabaseStoreProperties DATABASE_STORE = new DatabaseStoreProperties(CONSENT_STORE_TYPE, ConsentStoreType.DATABASE);

    public static final PropertyDescriptor LOOKUP_SERVICE = new PropertyDescriptor.Builder()
            .name("Consent Lookup Service")
            .description("Record Lookup Service holding the consent store, queried with the subject key, e.g. a DatabaseRecordLookupService on "
                    + "the consent table. A lookup failure sends the FlowFile to 'retry'.")
            .identifiesControllerService(RecordLookupService.class)
            .required(false)
            .dependsOn(CONSENT_STORE_TYPE, ConsentStoreType.LOOKUP_SERVICE)
            .build();

    public static final PropertyDescriptor DBCP_SERVICE = DATABASE_STORE.connectionPool("Database Connection Pooling Service",
            "The connection pool of the database holding the consent table or view. A connection or query failure sends the "
                    + "FlowFile to 'retry', whole; nothing of it is emitted.");

    public static final PropertyDescriptor CONSENT_TABLE = DATABASE_STORE.tableName("Consent Table Name",
            "Table or view (optionally schema.name) with one row per subject: the subject key column and the Store Status, "
                    + "Store Timestamp and Store Purposes columns (any may be absent), e.g. the consent_lookup view. A plain SQL identifier; "
                    + "give the subject key column an index (a view must let the key condition reach the indexed table).");

    public static final PropertyDescriptor SUBJECT_KEY_COLUMN = DATABASE_STORE.keyColumn("Subject Key Column",
            "Column of the consent table or view compared with the subject keys.", "subject_key");

    public static final PropertyDescriptor STORE_BATCH_SIZE = DATABASE_STORE.batchSize("Store Batch Size",
            "How many subjects one query asks for (the size of its IN list of parameters).");

    public static final PropertyDescriptor LOOKUP_KEY_COORDINATE = new PropertyDescriptor.Builder()
            .name("Lookup Key Coordinate")
            .description("Name of the lookup coordinate that receives the subject key; the stock database and CSV lookup services use 'key'.")
            .required(true)
            .defaultValue("key")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(LOOKUP_SERVICE)
            .build();

    public static final PropertyDescriptor STORE_QUERY_TIMEOUT = DATABASE_STORE.queryTimeout("Store Query Timeout",
            "The longest one consent store query may run before it is cancelled and the FlowFile goes to 'retry' (at most 1 hour; "
                    + "0 sec: no limit). Whole seconds.");

    public static final PropertyDescriptor RECORDS_HELD_IN_MEMORY = RecordsHeldInMemory.descriptor(
            "When the FlowFile must be read before its records are decided (a Subject Key Record Path with the Database store "
                    + "type, a Jurisdiction Record Path, or consent in the records), a FlowFile with at most this many records is read "
                    + "once: its parsed records are kept from that first pass and decided and written without parsing the content again.");

    public static final PropertyDescriptor TC_STRING_PATH = new PropertyDescriptor.Builder()
            .name("TC String Record Path")
            .description("RecordPath to an IAB TCF v2 TC string. Its purpose consents count as evidence dated with the string's last update.")
            .required(false)
            .addValidator(new RecordPathValidator())
            .build();

    public static final PropertyDescriptor TCF_PURPOSE_MAPPING = new PropertyDescriptor.Builder()
            .name("TCF Purpose Mapping")
            .description("Which TCF purpose ids each of our purposes needs, as purpose=ids separated by semicolons, e.g. "
                    + "'email_marketing=1 7; personalisation=1 3 4'. A purpose is granted only when all its TCF purposes have consent.")
            .required(true)
            .addValidator(new TcfMappingValidator())
            .dependsOn(TC_STRING_PATH)
            .build();

    public static final PropertyDescriptor TCF_VENDOR_ID = new PropertyDescriptor.Builder()
            .name("TCF Vendor ID")
            .description("Our IAB Global Vendor List id. When set, a TC string grants a purpose only when the purpose has consent, this vendor has "
                    + "vendor consent, and no publisher restriction forbids this vendor the purpose. Empty: purpose consent alone.")
            .required(false)
            .addValidator(StandardValidators.createLongValidator(1, 65535, true))
            .dependsOn(TC_STRING_PATH)
            .build();

    public static final PropertyDescriptor US_PRIVACY_PATH = new PropertyDescriptor.Builder()
            .name("US Privacy Record Path")
            .description("RecordPath to an IAB US Privacy string such as 1YYN. An opt-out of sale (third character Y) denies every purpose.")
            .required(false)
            .addValidator(new RecordPathValidator())
            .build();

    public static final PropertyDescriptor GPC_PATH = new PropertyDescriptor.Builder()
            .name("GPC Record Path")
            .description("RecordPath to the Global Privacy Control flag captured with the record. A set flag (true, 1, yes) denies every purpose.")
            .required(false)
            .addValidator(new RecordPathValidator())
            .build();

    public static final PropertyDescriptor GPC_SCOPE = new PropertyDescriptor.Builder()
            .name("GPC Applies In")
            .description("Where a set Global Privacy Control flag denies use.")
            .required(true)
            .allowableValues(SignalScope.class)
            .defaultValue(SignalScope.OPT_OUT_JURISDICTIONS)
            .dependsOn(GPC_PATH)
            .build();

    public static final PropertyDescriptor US_PRIVACY_SCOPE = new PropertyDescriptor.Builder()
            .name("US Privacy Applies In")
            .description("Where a US Privacy opt-out of sale denies use. A malformed US Privacy string counts everywhere.")
            .required(true)
            .allowableValues(SignalScope.class)
            .defaultValue(SignalScope.OPT_OUT_JURISDICTIONS)
            .dependsOn(US_PRIVACY_PATH)
            .build();

    public static final PropertyDescriptor SIGNAL_OVERRIDE = new PropertyDescriptor.Builder()
            .name("Later Grant Overrides Opt-Out Signals")
            .description("Whether an explicit grant dated after a GPC or US Privacy opt-out beats it (the CCPA lets a consumer opt back in). "
                    + "An undated signal is newer than every grant either way. False: a signal that applies denies whatever grant exists.")
            .required(true)
            .allowableValues("true", "false")
            .defaultValue("true")
            .build();

    public static final PropertyDescriptor MALFORMED_SIGNAL_HANDLING = new PropertyDescriptor.Builder()
            .name("Malformed Signal Handling")
            .description("What a TC string or US Privacy string that cannot be read means. Never 'no signal'.")
            .required(true)
            .allowableValues(MalformedSignalChoice.class)
            .defaultValue(MalformedSignalChoice.DENY)
            .build();

    public static final PropertyDescriptor JURISDICTION_PATH = new PropertyDescriptor.Builder()
            .name("Jurisdiction Record Path")
            .description("RecordPath to the subject's country or region code (e.g. DE, US-CA). Without it, or when empty, the Default Policy applies.")
            .required(false)
            .addValidator(new RecordPathValidator())
            .build();

    public static final PropertyDescriptor OPT_IN_JURISDICTIONS = new PropertyDescriptor.Builder()
            .name("Opt-In Jurisdictions")
            .description("Comma-separated country or region codes where a record needs a grant. A region such as US-CA also matches a listed US. "
                    + "Listed here and in Opt-Out Jurisdictions, opt-in wins.")
            .required(false)
            .defaultValue(DEFAULT_OPT_IN_JURISDICTIONS)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(JURISDICTION_PATH)
            .build();

    public static final PropertyDescriptor OPT_OUT_JURISDICTIONS = new PropertyDescriptor.Builder()
            .name("Opt-Out Jurisdictions")
            .description("Comma-separated country or region codes where a record is allowed unless denied, withdrawn or opted out (GPC, US Privacy), "
                    + "e.g. US-CA, US-CO, US-CT, US-VA.")
            .required(false)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(JURISDICTION_PATH)
            .build();

    public static final PropertyDescriptor DISALLOWED_ACTION = new PropertyDescriptor.Builder()
            .name("Disallowed Record Action")
            .description("What happens to records that may not be used.")
            .required(true)
            .allowableValues(DisallowedAction.class)
            .defaultValue(DisallowedAction.ROUTE_TO_EXCLUDED)
            .build();

    public static final PropertyDescriptor ANONYMIZED_FIELDS = new PropertyDescriptor.Builder()
            .name("Anonymized Fields")
            .description("Comma-separated RecordPaths of the personal fields to anonymise, e.g. /email, /phone, /address/street.")
            .required(true)
            .addValidator(new RecordPathListValidator("at least one RecordPath is required"))
            .dependsOn(DISALLOWED_ACTION, DisallowedAction.ANONYMIZE)
            .build();

    public static final PropertyDescriptor ANONYMIZATION_METHOD = new PropertyDescriptor.Builder()
            .name("Anonymization Method")
            .description("How the anonymised fields are replaced.")
            .required(true)
            .allowableValues(AnonymizationMethod.class)
            .defaultValue(AnonymizationMethod.HMAC_SHA256)
            .dependsOn(DISALLOWED_ACTION, DisallowedAction.ANONYMIZE)
            .build();

    public static final PropertyDescriptor HASH_KEY = new PropertyDescriptor.Builder()
            .name("Hash Key")
            .description("Secret key of the HMAC-SHA256 keyed hash; at least 16 characters, ideally 32 random ones. Changing it changes every token.")
            .required(true)
            .sensitive(true)
            .addValidator(new MinimumLengthSecretValidator(16))
            .dependsOn(ANONYMIZATION_METHOD, AnonymizationMethod.HMAC_SHA256)
            .build();

    public static final PropertyDescriptor ADD_DECISION_FIELDS = new PropertyDescriptor.Builder()
            .name("Add Decision Fields")
            .description("Whether to add the decision and reason fields to every written record (the schema is extended with them).")
            .required(true)
            .allowableValues("true", "false")
            .defaultValue("true")
            .build();

    public static final PropertyDescriptor DECISION_FIELD = new PropertyDescriptor.Builder()
            .name("Decision Field Name")
            .description("Field that receives the decision: allowed, excluded or anonymized.")
            .required(true)
            .defaultValue("consent_decision")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(ADD_DECISION_FIELDS, "true")
            .build();

    public static final PropertyDescriptor REASON_FIELD = new PropertyDescriptor.Builder()
            .name("Reason Field Name")
            .description("Field that receives the reason code, e.g. GRANTED, WITHDRAWN, NO_CONSENT_RECORD.")
            .required(true)
            .defaultValue("consent_reason")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(ADD_DECISION_FIELDS, "true")
            .build();

    public static final PropertyDescriptor WARNING_FIELD = new PropertyDescriptor.Builder()
            .name("Warning Field Name")
            .description("Field that receives the subject's consent data warnings, comma-separated (e.g. UNRECOGNISED_STATUS, UNPARSEABLE_TIMESTAMP), "
                    + "or null when there are none.")
            .required(true)
            .defaultValue("consent_warning")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(ADD_DECISION_FIELDS, "true")
            .build();

    public static final PropertyDescriptor WRITE_SUPPRESSION = new PropertyDescriptor.Builder()
            .name("Write Suppression Records")
            .description("Whether to write one record (subject_key, reason, timestamp) per subject whose consent is withdrawn or denied "
                    + "(WITHDRAWN, DENIED, PURPOSE_DENIED, GPC, US_PRIVACY_OPT_OUT) to 'suppression'. Needs the Subject Key Record Path.")
            .required(true)
            .allowableValues("true", "false")
            .defaultValue("false")
            .build();

    public static final PropertyDescriptor SUPPRESSION_WRITER = new PropertyDescriptor.Builder()
            .name("Suppression Record Writer")
            .description("Writer for the suppression records; they have their own schema (subject_key, reason, timestamp as ISO-8601 text). "
                    + "Empty: the Record Writer, which must then inherit the record schema.")
            .identifiesControllerService(RecordSetWriterFactory.class)
            .required(false)
            .dependsOn(WRITE_SUPPRESSION, "true")
            .build();

    public static final PropertyDescriptor WRITE_EXCLUSIONS = new PropertyDescriptor.Builder()
            .name("Write Exclusion Records")
            .description("Whether to write one audit record (subject_key, reason_code, purpose) per record that may not be used and has a "
                    + "subject key, whatever the Disallowed Record Action does with the record itself, to 'exclusions'. purpose holds the "
                    + "configured Purposes, comma-separated; no other field of the record is written. Records without a subject key have "
                    + "no one to answer for and are left out (the reason counters still count them). Needs the Subject Key Record Path.")
            .required(true)
            .allowableValues("true", "false")
            .defaultValue("false")
            .build();

    public static final PropertyDescriptor EXCLUSION_WRITER = new PropertyDescriptor.Builder()
            .name("Exclusion Record Writer")
            .description("Writer for the exclusion audit records; they have their own schema (subject_key, reason_code, purpose, all text). "
                    + "Empty: the Record Writer, which must then inherit the record schema.")
            .identifiesControllerService(RecordSetWriterFactory.class)
            .required(false)
            .dependsOn(WRITE_EXCLUSIONS, "true")
            .build();

    public static final Relationship REL_SUCCESS = new Relationship.Builder()
            .name("success")
            .description("Records that may be used for all configured purposes.")
            .build();

    public static final Relationship REL_EXCLUDED = new Relationship.Builder()
            .name("excluded")
            .description("Records that may not be used, when the action is 'Route to excluded'.")
            .build();

    public static final Relationship REL_ANONYMIZED = new Relationship.Builder()
            .name("anonymized")
            .description("Records that may not be used, anonymised, when the action is 'Anonymize'.")
            .build();

    public static final Relationship REL_SUPPRESSION = new Relationship.Builder()
            .name("suppression")
            .description("One record per subject whose consent is withdrawn or denied, when Write Suppression Records is true.")
            .build();

    public static final Relationship REL_EXCLUSIONS = new Relationship.Builder()
            .name("exclusions")
            .description("One audit record per disallowed record with a subject key (subject_key, reason_code, purpose), when Write "
                    + "Exclusion Records is true.")
            .build();

    public static final Relationship REL_FAILURE = new Relationship.Builder()
            .name("failure")
            .description("FlowFiles whose records cannot be read or written, unchanged, with the consent.error attribute.")
            .build();

    public static final Relationship REL_RETRY = new Relationship.Builder()
            .name("retry")
            .description("FlowFiles whose consent lookup failed (store down, timeout), unchanged and penalised; nothing of them was emitted.")
            .build();

    protected static final List<PropertyDescriptor> PROPERTY_DESCRIPTORS = List.of(
            RECORD_READER, RECORD_WRITER, PURPOSES, SUBJECT_KEY_PATH, CONSENT_STATUS_PATH, CONSENT_TIMESTAMP_PATH, EPOCH_UNIT,
            GRANT_VALUES, DENIAL_VALUES, WITHDRAWAL_VALUES, NO_DECISION_VALUES,
            CONSENT_STORE_TYPE, LOOKUP_SERVICE, LOOKUP_KEY_COORDINATE, DBCP_SERVICE, CONSENT_TABLE, SUBJECT_KEY_COLUMN, STORE_BATCH_SIZE,
            STORE_QUERY_TIMEOUT, STORE_STATUS_FIELD, STORE_TIMESTAMP_FIELD, STORE_PURPOSES_FIELD,
            TC_STRING_PATH, TCF_PURPOSE_MAPPING, TCF_VENDOR_ID, US_PRIVACY_PATH, GPC_PATH, GPC_SCOPE, US_PRIVACY_SCOPE, SIGNAL_OVERRIDE,
            MALFORMED_SIGNAL_HANDLING,
            JURISDICTION_PATH, OPT_IN_JURISDICTIONS, OPT_OUT_JURISDICTIONS, DEFAULT_POLICY, MAX_CONSENT_AGE,
            DISALLOWED_ACTION, ANONYMIZED_FIELDS, ANONYMIZATION_METHOD, HASH_KEY,
            ADD_DECISION_FIELDS, DECISION_FIELD, REASON_FIELD, WARNING_FIELD, WRITE_SUPPRESSION, SUPPRESSION_WRITER,
            WRITE_EXCLUSIONS, EXCLUSION_WRITER, RECORDS_HELD_IN_MEMORY);

    protected static final Set<Relationship> RELATIONSHIPS = Set.of(REL_SUCCESS, REL_EXCLUDED, REL_ANONYMIZED, REL_SUPPRESSION, REL_FAILURE, REL_RETRY);
    /**
     * With Write Exclusion Records: 'exclusions' exists only then, so a flow saved before it existed (or without it)
     * does not turn invalid for a relationship it neither connects nor terminates.
     */
    protected static final Set<Relationship> RELATIONSHIPS_WITH_EXCLUSIONS = Set.of(REL_SUCCESS, REL_EXCLUDED, REL_ANONYMIZED, REL_SUPPRESSION,
            REL_EXCLUSIONS, REL_FAILURE, REL_RETRY);

    /** Validates the TCF purpose mapping syntax. */
    private static final class TcfMappingValidator implements Validator {
        @Override
        public ValidationResult validate(final String subject, final String input, final ValidationContext context) {
            try {
                TcfPurposeMapping.parse(input);
                return new ValidationResult.Builder().subject(subject).input(input).valid(true).build();
            } catch (final IllegalArgumentException e) {
                return new ValidationResult.Builder().subject(subject).input(input).valid(false).explanation(e.getMessage()).build();
            }
        }
    }

    /** Checks a secret's length without ever echoing it in the validation result. */
    private static final class MinimumLengthSecretValidator implements Validator {
        private final int minimumLength;

        MinimumLengthSecretValidator(final int minimumLength) {
            this.minimumLength = minimumLength;
        }

        @Override
        public ValidationResult validate(final String subject, final String input, final ValidationContext context) {
            final boolean valid = input != null && input.length() >= minimumLength;
            return new ValidationResult.Builder().subject(subject).valid(valid)
                    .explanation(valid ? null : "must be at least " + minimumLength + " characters long").build();
        }
    }
}
