package io.datasync.nifi.processors;

import io.datasync.nifi.consent.Anonymizer;
import io.datasync.nifi.consent.ConsentDecision;
import io.datasync.nifi.consent.ConsentEvaluator;
import io.datasync.nifi.consent.ConsentEvidence;
import io.datasync.nifi.consent.ConsentSource;
import io.datasync.nifi.consent.ConsentStatus;
import io.datasync.nifi.consent.ConsentTimestamps;
import io.datasync.nifi.consent.JurisdictionPolicy;
import io.datasync.nifi.consent.PurposeStatuses;
import io.datasync.nifi.consent.ReasonCode;
import io.datasync.nifi.consent.TcfPurposeMapping;
import io.datasync.nifi.consent.UsPrivacyString;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.WritesAttribute;
import org.apache.nifi.annotation.behavior.WritesAttributes;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.SeeAlso;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.annotation.documentation.UseCase;
import org.apache.nifi.annotation.lifecycle.OnScheduled;
import org.apache.nifi.components.DescribedValue;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationContext;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.components.Validator;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.flowfile.attributes.CoreAttributes;
import org.apache.nifi.lookup.LookupFailureException;
import org.apache.nifi.lookup.RecordLookupService;
import org.apache.nifi.processor.AbstractProcessor;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.util.StandardValidators;
import org.apache.nifi.record.path.FieldValue;
import org.apache.nifi.record.path.RecordPath;
import org.apache.nifi.record.path.validation.RecordPathValidator;
import org.apache.nifi.schema.access.SchemaNotFoundException;
import org.apache.nifi.serialization.MalformedRecordException;
import org.apache.nifi.serialization.RecordReader;
import org.apache.nifi.serialization.RecordReaderFactory;
import org.apache.nifi.serialization.RecordSetWriterFactory;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.serialization.record.RecordSchema;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

@Tags({"consent", "gdpr", "ccpa", "privacy", "record", "filter", "anonymize", "tcf", "gpc", "suppression"})
@CapabilityDescription("Decides for every record whether it may be used for the configured purposes, from consent held in the record, "
        + "in a consent store reached through a Record Lookup Service, and in consent signals carried by the record (IAB TCF v2.2 TC string, "
        + "IAB US Privacy string, Global Privacy Control). When sources disagree the newest evidence wins, and on equal timestamps the more "
        + "restrictive one. Missing consent is handled by a jurisdiction policy and fails closed by default. Allowed records go to 'success'; "
        + "the others are routed to 'excluded', dropped, or anonymised and routed to 'anonymized', each with a reason code. Optionally one small "
        + "record per withdrawn or denied subject goes to 'suppression'. A FlowFile is either fully split into its outputs or routed whole to "
        + "'failure' or 'retry'.")
@InputRequirement(InputRequirement.Requirement.INPUT_REQUIRED)
@WritesAttributes({
    @WritesAttribute(attribute = ConsentFilter.ATTR_RECORD_COUNT, description = "The number of records in the outgoing FlowFile."),
    @WritesAttribute(attribute = ConsentFilter.ATTR_MIME_TYPE, description = "The MIME type given by the Record Writer."),
    @WritesAttribute(attribute = ConsentFilter.ATTR_ALLOWED_COUNT, description = "Records of the incoming FlowFile that were allowed (written to every output)."),
    @WritesAttribute(attribute = ConsentFilter.ATTR_EXCLUDED_COUNT, description = "Records of the incoming FlowFile routed to 'excluded'."),
    @WritesAttribute(attribute = ConsentFilter.ATTR_ANONYMIZED_COUNT, description = "Records of the incoming FlowFile anonymised and routed to 'anonymized'."),
    @WritesAttribute(attribute = ConsentFilter.ATTR_DROPPED_COUNT, description = "Records of the incoming FlowFile that were not written anywhere (Drop action)."),
    @WritesAttribute(attribute = ConsentFilter.ATTR_SUPPRESSION_COUNT, description = "Suppression records written for the incoming FlowFile."),
    @WritesAttribute(attribute = ConsentFilter.ATTR_ERROR, description = "On 'failure' or 'retry': why the FlowFile could not be processed. Never holds record content.")
})
@SeeAlso(classNames = {"org.apache.nifi.lookup.db.DatabaseRecordLookupService", "org.apache.nifi.processors.standard.LookupRecord",
    "org.apache.nifi.processors.standard.PutDatabaseRecord"})
@UseCase(
        description = "Send only customers who opted in (GDPR) to email marketing, reading consent from a PostgreSQL consent table.",
        keywords = {"gdpr", "opt-in", "consent", "email marketing"},
        configuration = """
                Add a DBCPConnectionPool for the database and a DatabaseRecordLookupService with "Table Name" = consent,
                "Lookup Key Column" = subject_key and "Cache Size" = 0 (consent must be read fresh).
                Set "Purposes" to email_marketing.
                Set "Subject Key Record Path" to toLowerCase(trim(/email)) and "Consent Lookup Service" to the lookup service.
                Leave "Default Policy" at "Require Consent" and "Disallowed Record Action" at "Route to excluded".
                Connect 'success' to the campaign load, 'retry' back to ConsentFilter, and 'excluded' and 'failure' to review or auto-terminate.
                """)
@UseCase(
        description = "Honour CCPA opt-outs and Global Privacy Control for US customers while keeping other records, anonymised, for analytics.",
        keywords = {"ccpa", "opt-out", "gpc", "anonymize", "hmac"},
        configuration = """
                Set "Purposes" to email_marketing, "Jurisdiction Record Path" to /state_code, "Opt-Out Jurisdictions" to US-CA, US-CO, US-CT, US-VA.
                Set "GPC Record Path" to /gpc and "US Privacy Record Path" to /us_privacy.
                Set "Disallowed Record Action" to "Anonymize", "Anonymized Fields" to /email, /phone, "Anonymization Method" to "HMAC-SHA256"
                and "Hash Key" to a secret of at least 32 random characters (a sensitive parameter).
                Set "Write Suppression Records" to true and send 'suppression' to the suppression-list table.
                """)
public class ConsentFilter extends AbstractProcessor {

    static final String ATTR_RECORD_COUNT = "record.count";
    static final String ATTR_MIME_TYPE = "mime.type";
    static final String ATTR_ALLOWED_COUNT = "consent.allowed.count";
    static final String ATTR_EXCLUDED_COUNT = "consent.excluded.count";
    static final String ATTR_ANONYMIZED_COUNT = "consent.anonymized.count";
    static final String ATTR_DROPPED_COUNT = "consent.dropped.count";
    static final String ATTR_SUPPRESSION_COUNT = "consent.suppression.count";
    static final String ATTR_ERROR = "consent.error";

    static final String SUPPRESSION_SUBJECT_FIELD = "subject_key";
    static final String SUPPRESSION_REASON_FIELD = "reason";
    static final String SUPPRESSION_TIMESTAMP_FIELD = "timestamp";
    static final RecordSchema SUPPRESSION_SCHEMA = new SimpleRecordSchema(List.of(
            new RecordField(SUPPRESSION_SUBJECT_FIELD, RecordFieldType.STRING.getDataType(), false),
            new RecordField(SUPPRESSION_REASON_FIELD, RecordFieldType.STRING.getDataType(), false),
            new RecordField(SUPPRESSION_TIMESTAMP_FIELD, RecordFieldType.STRING.getDataType(), false)));

    static final String DECISION_ALLOWED = "allowed";
    static final String DECISION_EXCLUDED = "excluded";
    static final String DECISION_ANONYMIZED = "anonymized";

    /** EU and EEA member states, the United Kingdom, and the EU/EEA group codes. */
    static final String DEFAULT_OPT_IN_JURISDICTIONS = "EU, EEA, AT, BE, BG, HR, CY, CZ, DK, EE, FI, FR, DE, GR, HU, IE, IT, LV, LT, LU, MT, NL, "
            + "PL, PT, RO, SK, SI, ES, SE, IS, LI, NO, GB, UK";

    enum DefaultPolicy implements DescribedValue {
        REQUIRE_CONSENT("Require Consent", "Outside the listed jurisdictions, and when the jurisdiction is unknown, a record needs a grant (fail closed)."),
        ALLOW_UNLESS_DENIED("Allow Unless Denied", "Outside the listed jurisdictions, and when the jurisdiction is unknown, a record is allowed unless "
                + "denied, withdrawn or opted out.");

        private final String displayName;
        private final String description;

        DefaultPolicy(final String displayName, final String description) {
            this.displayName = displayName;
            this.description = description;
        }

        @Override
        public String getValue() {
            return name();
        }

        @Override
        public String getDisplayName() {
            return displayName;
        }

        @Override
        public String getDescription() {
            return description;
        }

        JurisdictionPolicy.Regime regime() {
            return this == REQUIRE_CONSENT ? JurisdictionPolicy.Regime.OPT_IN : JurisdictionPolicy.Regime.OPT_OUT;
        }
    }

    enum DisallowedAction implements DescribedValue {
        ROUTE_TO_EXCLUDED("Route to excluded", "Records that may not be used are written, unchanged but with the decision fields, to 'excluded'."),
        DROP("Drop", "Records that may not be used are not written anywhere; they are counted in attributes, counters and provenance."),
        ANONYMIZE("Anonymize", "The configured fields of records that may not be used are anonymised and the records routed to 'anonymized'.");

        private final String displayName;
        private final String description;

        DisallowedAction(final String displayName, final String description) {
            this.displayName = displayName;
            this.description = description;
        }

        @Override
        public String getValue() {
            return name();
        }

        @Override
        public String getDisplayName() {
            return displayName;
        }

        @Override
        public String getDescription() {
            return description;
        }
    }

    enum AnonymizationMethod implements DescribedValue {
        HMAC_SHA256("HMAC-SHA256", "Replaces each value with the hex HMAC-SHA256 of its text under the Hash Key: equal values give equal tokens, "
                + "which cannot be reversed or guessed without the key."),
        MASK("Mask", "Replaces each value with " + Anonymizer.MASK + "."),
        REMOVE("Remove", "Removes each value: top-level fields are left out of the output schema, nested ones are set to null.");

        private final String displayName;
        private final String description;

        AnonymizationMethod(final String displayName, final String description) {
            this.displayName = displayName;
            this.description = description;
        }

        @Override
        public String getValue() {
            return name();
        }

        @Override
        public String getDisplayName() {
            return displayName;
        }

        @Override
        public String getDescription() {
            return description;
        }
    }

    static final PropertyDescriptor RECORD_READER = new PropertyDescriptor.Builder()
            .name("Record Reader")
            .description("Reads the incoming records.")
            .identifiesControllerService(RecordReaderFactory.class)
            .required(true)
            .build();

    static final PropertyDescriptor RECORD_WRITER = new PropertyDescriptor.Builder()
            .name("Record Writer")
            .description("Writes the records of 'success', 'excluded' and 'anonymized'. Use a writer that inherits the record schema, or one whose "
                    + "schema includes the decision and reason fields.")
            .identifiesControllerService(RecordSetWriterFactory.class)
            .required(true)
            .build();

    static final PropertyDescriptor PURPOSES = new PropertyDescriptor.Builder()
            .name("Purposes")
            .description("Comma-separated purposes the output will be used for, e.g. email_marketing, personalisation. Every one must be allowed.")
            .required(true)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    static final PropertyDescriptor SUBJECT_KEY_PATH = new PropertyDescriptor.Builder()
            .name("Subject Key Record Path")
            .description("RecordPath to the subject's key (customer id or normalised email, e.g. toLowerCase(trim(/email))). Used as the consent "
                    + "store lookup key and in suppression records.")
            .required(false)
            .addValidator(new RecordPathValidator())
            .build();

    static final PropertyDescriptor CONSENT_STATUS_PATH = new PropertyDescriptor.Builder()
            .name("Consent Status Record Path")
            .description("RecordPath to the consent held in the record: a status (true/false, granted, denied, withdrawn, pending, unknown, opt-in, "
                    + "opt-out, yes/no, 1/0), or a map or nested record keyed by purpose, or a list of granted purposes.")
            .required(false)
            .addValidator(new RecordPathValidator())
            .build();

    static final PropertyDescriptor CONSENT_TIMESTAMP_PATH = new PropertyDescriptor.Builder()
            .name("Consent Timestamp Record Path")
            .description("RecordPath to when the record's consent was captured (ISO-8601 text, epoch milliseconds or a timestamp). Also dates the GPC "
                    + "and US Privacy signals. Without it the record's own evidence is undated and ranks below any dated evidence.")
            .required(false)
            .addValidator(new RecordPathValidator())
            .build();

    static final PropertyDescriptor SHARE_RESTRICTIONS = new PropertyDescriptor.Builder()
            .name("Apply Withdrawals Across Records")
            .description("Whether a withdrawal or denial carried by one record (status, GPC, US Privacy, TCF) also applies to the other records "
                    + "of the same subject in the FlowFile, whatever their own capture time, unless they carry a newer grant. Costs a "
                    + "second read of the FlowFile's records. Withdrawals held in the consent store apply to every record anyway.")
            .required(true)
            .allowableValues("true", "false")
            .defaultValue("true")
            .dependsOn(SUBJECT_KEY_PATH)
            .build();

    static final PropertyDescriptor LOOKUP_SERVICE = new PropertyDescriptor.Builder()
            .name("Consent Lookup Service")
            .description("Record Lookup Service holding the consent store, queried with the subject key, e.g. a DatabaseRecordLookupService on "
                    + "the consent table. A lookup failure sends the FlowFile to 'retry'.")
            .identifiesControllerService(RecordLookupService.class)
            .required(false)
            .build();

    static final PropertyDescriptor LOOKUP_KEY_COORDINATE = new PropertyDescriptor.Builder()
            .name("Lookup Key Coordinate")
            .description("Name of the lookup coordinate that receives the subject key; the stock database and CSV lookup services use 'key'.")
            .required(true)
            .defaultValue("key")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(LOOKUP_SERVICE)
            .build();

    static final PropertyDescriptor STORE_STATUS_FIELD = new PropertyDescriptor.Builder()
            .name("Store Status Field")
            .description("Field of the looked-up record holding the subject's overall consent status.")
            .required(true)
            .defaultValue("status")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(LOOKUP_SERVICE)
            .build();

    static final PropertyDescriptor STORE_TIMESTAMP_FIELD = new PropertyDescriptor.Builder()
            .name("Store Timestamp Field")
            .description("Field of the looked-up record holding when its consent was last changed.")
            .required(true)
            .defaultValue("updated_at")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(LOOKUP_SERVICE)
            .build();

    static final PropertyDescriptor STORE_PURPOSES_FIELD = new PropertyDescriptor.Builder()
            .name("Store Purposes Field")
            .description("Field of the looked-up record holding per-purpose consent: a JSON object or map keyed by purpose (values are statuses, or "
                    + "objects with their own status and timestamp fields), or a list of granted purposes. May be absent from the record.")
            .required(true)
            .defaultValue("purposes")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(LOOKUP_SERVICE)
            .build();

    static final PropertyDescriptor TC_STRING_PATH = new PropertyDescriptor.Builder()
            .name("TC String Record Path")
            .description("RecordPath to an IAB TCF v2 TC string. Its purpose consents count as evidence dated with the string's last update.")
            .required(false)
            .addValidator(new RecordPathValidator())
            .build();

    static final PropertyDescriptor TCF_PURPOSE_MAPPING = new PropertyDescriptor.Builder()
            .name("TCF Purpose Mapping")
            .description("Which TCF purpose ids each of our purposes needs, as purpose=ids separated by semicolons, e.g. "
                    + "'email_marketing=1 7; personalisation=1 3 4'. A purpose is granted only when all its TCF purposes have consent.")
            .required(true)
            .addValidator(new TcfMappingValidator())
            .dependsOn(TC_STRING_PATH)
            .build();

    static final PropertyDescriptor US_PRIVACY_PATH = new PropertyDescriptor.Builder()
            .name("US Privacy Record Path")
            .description("RecordPath to an IAB US Privacy string such as 1YYN. An opt-out of sale (third character Y) denies every purpose.")
            .required(false)
            .addValidator(new RecordPathValidator())
            .build();

    static final PropertyDescriptor GPC_PATH = new PropertyDescriptor.Builder()
            .name("GPC Record Path")
            .description("RecordPath to the Global Privacy Control flag captured with the record. A set flag (true, 1, yes) denies every purpose.")
            .required(false)
            .addValidator(new RecordPathValidator())
            .build();

    static final PropertyDescriptor JURISDICTION_PATH = new PropertyDescriptor.Builder()
            .name("Jurisdiction Record Path")
            .description("RecordPath to the subject's country or region code (e.g. DE, US-CA). Without it, or when empty, the Default Policy applies.")
            .required(false)
            .addValidator(new RecordPathValidator())
            .build();

    static final PropertyDescriptor OPT_IN_JURISDICTIONS = new PropertyDescriptor.Builder()
            .name("Opt-In Jurisdictions")
            .description("Comma-separated country or region codes where a record needs a grant. A region such as US-CA also matches a listed US. "
                    + "Listed here and in Opt-Out Jurisdictions, opt-in wins.")
            .required(false)
            .defaultValue(DEFAULT_OPT_IN_JURISDICTIONS)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(JURISDICTION_PATH)
            .build();

    static final PropertyDescriptor OPT_OUT_JURISDICTIONS = new PropertyDescriptor.Builder()
            .name("Opt-Out Jurisdictions")
            .description("Comma-separated country or region codes where a record is allowed unless denied, withdrawn or opted out (GPC, US Privacy), "
                    + "e.g. US-CA, US-CO, US-CT, US-VA.")
            .required(false)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(JURISDICTION_PATH)
            .build();

    static final PropertyDescriptor DEFAULT_POLICY = new PropertyDescriptor.Builder()
            .name("Default Policy")
            .description("How missing consent is treated for jurisdictions on neither list, and when the jurisdiction is unknown.")
            .required(true)
            .allowableValues(DefaultPolicy.class)
            .defaultValue(DefaultPolicy.REQUIRE_CONSENT)
            .build();

    static final PropertyDescriptor MAX_CONSENT_AGE = new PropertyDescriptor.Builder()
            .name("Maximum Consent Age")
            .description("A grant older than this (e.g. 730 days) counts as expired; an undated grant then counts as expired too. Empty: no limit.")
            .required(false)
            .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
            .build();

    static final PropertyDescriptor DISALLOWED_ACTION = new PropertyDescriptor.Builder()
            .name("Disallowed Record Action")
            .description("What happens to records that may not be used.")
            .required(true)
            .allowableValues(DisallowedAction.class)
            .defaultValue(DisallowedAction.ROUTE_TO_EXCLUDED)
            .build();

    static final PropertyDescriptor ANONYMIZED_FIELDS = new PropertyDescriptor.Builder()
            .name("Anonymized Fields")
            .description("Comma-separated RecordPaths of the personal fields to anonymise, e.g. /email, /phone, /address/street.")
            .required(true)
            .addValidator(new RecordPathListValidator())
            .dependsOn(DISALLOWED_ACTION, DisallowedAction.ANONYMIZE)
            .build();

    static final PropertyDescriptor ANONYMIZATION_METHOD = new PropertyDescriptor.Builder()
            .name("Anonymization Method")
            .description("How the anonymised fields are replaced.")
            .required(true)
            .allowableValues(AnonymizationMethod.class)
            .defaultValue(AnonymizationMethod.HMAC_SHA256)
            .dependsOn(DISALLOWED_ACTION, DisallowedAction.ANONYMIZE)
            .build();

    static final PropertyDescriptor HASH_KEY = new PropertyDescriptor.Builder()
            .name("Hash Key")
            .description("Secret key of the HMAC-SHA256 keyed hash; at least 16 characters, ideally 32 random ones. Changing it changes every token.")
            .required(true)
            .sensitive(true)
            .addValidator(new MinimumLengthSecretValidator(16))
            .dependsOn(ANONYMIZATION_METHOD, AnonymizationMethod.HMAC_SHA256)
            .build();

    static final PropertyDescriptor ADD_DECISION_FIELDS = new PropertyDescriptor.Builder()
            .name("Add Decision Fields")
            .description("Whether to add the decision and reason fields to every written record (the schema is extended with them).")
            .required(true)
            .allowableValues("true", "false")
            .defaultValue("true")
            .build();

    static final PropertyDescriptor DECISION_FIELD = new PropertyDescriptor.Builder()
            .name("Decision Field Name")
            .description("Field that receives the decision: allowed, excluded or anonymized.")
            .required(true)
            .defaultValue("consent_decision")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(ADD_DECISION_FIELDS, "true")
            .build();

    static final PropertyDescriptor REASON_FIELD = new PropertyDescriptor.Builder()
            .name("Reason Field Name")
            .description("Field that receives the reason code, e.g. GRANTED, WITHDRAWN, NO_CONSENT_RECORD.")
            .required(true)
            .defaultValue("consent_reason")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(ADD_DECISION_FIELDS, "true")
            .build();

    static final PropertyDescriptor WRITE_SUPPRESSION = new PropertyDescriptor.Builder()
            .name("Write Suppression Records")
            .description("Whether to write one record (subject_key, reason, timestamp) per subject whose consent is withdrawn or denied "
                    + "(WITHDRAWN, DENIED, PURPOSE_DENIED, GPC, US_PRIVACY_OPT_OUT) to 'suppression'. Needs the Subject Key Record Path.")
            .required(true)
            .allowableValues("true", "false")
            .defaultValue("false")
            .build();

    static final PropertyDescriptor SUPPRESSION_WRITER = new PropertyDescriptor.Builder()
            .name("Suppression Record Writer")
            .description("Writer for the suppression records; they have their own schema (subject_key, reason, timestamp as ISO-8601 text). "
                    + "Empty: the Record Writer, which must then inherit the record schema.")
            .identifiesControllerService(RecordSetWriterFactory.class)
            .required(false)
            .dependsOn(WRITE_SUPPRESSION, "true")
            .build();

    static final Relationship REL_SUCCESS = new Relationship.Builder()
            .name("success")
            .description("Records that may be used for all configured purposes.")
            .build();

    static final Relationship REL_EXCLUDED = new Relationship.Builder()
            .name("excluded")
            .description("Records that may not be used, when the action is 'Route to excluded'.")
            .build();

    static final Relationship REL_ANONYMIZED = new Relationship.Builder()
            .name("anonymized")
            .description("Records that may not be used, anonymised, when the action is 'Anonymize'.")
            .build();

    static final Relationship REL_SUPPRESSION = new Relationship.Builder()
            .name("suppression")
            .description("One record per subject whose consent is withdrawn or denied, when Write Suppression Records is true.")
            .build();

    static final Relationship REL_FAILURE = new Relationship.Builder()
            .name("failure")
            .description("FlowFiles whose records cannot be read or written, unchanged, with the consent.error attribute.")
            .build();

    static final Relationship REL_RETRY = new Relationship.Builder()
            .name("retry")
            .description("FlowFiles whose consent lookup failed (store down, timeout), unchanged and penalised; nothing of them was emitted.")
            .build();

    private static final List<PropertyDescriptor> PROPERTY_DESCRIPTORS = List.of(
            RECORD_READER, RECORD_WRITER, PURPOSES, SUBJECT_KEY_PATH, SHARE_RESTRICTIONS, CONSENT_STATUS_PATH, CONSENT_TIMESTAMP_PATH,
            LOOKUP_SERVICE, LOOKUP_KEY_COORDINATE, STORE_STATUS_FIELD, STORE_TIMESTAMP_FIELD, STORE_PURPOSES_FIELD,
            TC_STRING_PATH, TCF_PURPOSE_MAPPING, US_PRIVACY_PATH, GPC_PATH,
            JURISDICTION_PATH, OPT_IN_JURISDICTIONS, OPT_OUT_JURISDICTIONS, DEFAULT_POLICY, MAX_CONSENT_AGE,
            DISALLOWED_ACTION, ANONYMIZED_FIELDS, ANONYMIZATION_METHOD, HASH_KEY,
            ADD_DECISION_FIELDS, DECISION_FIELD, REASON_FIELD, WRITE_SUPPRESSION, SUPPRESSION_WRITER);

    private static final Set<Relationship> RELATIONSHIPS = Set.of(REL_SUCCESS, REL_EXCLUDED, REL_ANONYMIZED, REL_SUPPRESSION, REL_FAILURE, REL_RETRY);

    private static final String COUNTER_PREFIX = "ConsentFilter records ";
    private static final String COUNTER_INVALID_SIGNAL = "ConsentFilter invalid consent signals";

    private static final Function<Object, Map<String, Object>> RECORD_AS_MAP = value -> value instanceof Record record ? record.toMap() : null;

    private volatile Settings settings;

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return PROPERTY_DESCRIPTORS;
    }

    @Override
    public Set<Relationship> getRelationships() {
        return RELATIONSHIPS;
    }

    @Override
    protected Collection<ValidationResult> customValidate(final ValidationContext context) {
        final List<ValidationResult> results = new ArrayList<>();
        final boolean hasSubjectKey = context.getProperty(SUBJECT_KEY_PATH).isSet();
        if (context.getProperty(LOOKUP_SERVICE).isSet() && !hasSubjectKey) {
            results.add(new ValidationResult.Builder().subject(SUBJECT_KEY_PATH.getName()).valid(false)
                    .explanation("the Consent Lookup Service is queried with the subject key, so the Subject Key Record Path is required").build());
        }
        if (context.getProperty(TC_STRING_PATH).isSet() && context.getProperty(TCF_PURPOSE_MAPPING).isSet() && context.getProperty(PURPOSES).isSet()) {
            try {
                final TcfPurposeMapping mapping = TcfPurposeMapping.parse(context.getProperty(TCF_PURPOSE_MAPPING).getValue());
                final boolean coversAPurpose = Arrays.stream(context.getProperty(PURPOSES).getValue().split(",")).map(String::trim).anyMatch(mapping::covers);
                if (!coversAPurpose) {
                    results.add(new ValidationResult.Builder().subject(TCF_PURPOSE_MAPPING.getName()).valid(false)
                            .explanation("maps none of the configured Purposes, so the TC string would never count").build());
                }
            } catch (final IllegalArgumentException e) {
                // reported by the property's own validator
            }
        }
        if (context.getProperty(WRITE_SUPPRESSION).asBoolean() && !hasSubjectKey) {
            results.add(new ValidationResult.Builder().subject(SUBJECT_KEY_PATH.getName()).valid(false)
                    .explanation("suppression records carry the subject key, so the Subject Key Record Path is required").build());
        }
        return results;
    }

    @OnScheduled
    public void onScheduled(final ProcessContext context) {
        settings = new Settings(context);
    }

    @Override
    public void onTrigger(final ProcessContext context, final ProcessSession session) {
        FlowFile original = session.get();
        if (original == null) {
            return;
        }
        final Settings current = settings;
        final Run run = new Run(current, session, original);
        try {
            run.process();
        } catch (final ConsentLookupFailure e) {
            run.discardOutputs();
            // the lookup service's message can quote the key (an email), so only the type is reported
            getLogger().warn("Consent lookup failed for {} ({}); routing to retry", original, e.causeType());
            original = session.putAttribute(original, ATTR_ERROR, "Consent lookup failed: " + e.causeType());
            original = session.penalize(original);
            session.transfer(original, REL_RETRY);
            return;
        } catch (final IOException | MalformedRecordException | SchemaNotFoundException | RuntimeException e) {
            run.discardOutputs();
            // reader and writer messages can quote record content, so only the type is reported
            final String errorType = e.getClass().getSimpleName();
            getLogger().error("Cannot apply consent to {} ({}); routing to failure", original, errorType);
            original = session.putAttribute(original, ATTR_ERROR, "Records could not be read or written: " + errorType);
            original = session.penalize(original);
            session.transfer(original, REL_FAILURE);
            return;
        }
        run.complete();
    }

    /** Configuration read and compiled once per scheduling, shared by all threads (immutable). */
    private static final class Settings {
        final RecordReaderFactory readerFactory;
        final RecordSetWriterFactory writerFactory;
        final RecordSetWriterFactory suppressionWriterFactory;
        final ConsentEvaluator evaluator;
        final List<String> purposes;
        final ValueReader subjectKeyPath;
        final ValueReader consentStatusPath;
        final ValueReader consentTimestampPath;
        final ValueReader tcStringPath;
        final TcfPurposeMapping tcfMapping;
        final ValueReader usPrivacyPath;
        final ValueReader gpcPath;
        final ValueReader jurisdictionPath;
        final JurisdictionPolicy jurisdictionPolicy;
        final JurisdictionPolicy.Regime defaultRegime;
        final RecordLookupService lookupService;
        final String lookupCoordinate;
        final String storeStatusField;
        final String storeTimestampField;
        final String storePurposesField;
        final PurposeStatuses recordPurposeStatuses;
        final PurposeStatuses storePurposeStatuses;
        final DisallowedAction action;
        final AnonymizationMethod anonymizationMethod;
        final List<RecordPath> anonymizedPaths;
        final byte[] hashKey;
        final boolean addDecisionFields;
        final String decisionField;
        final String reasonField;
        final RecordField decisionRecordField;
        final RecordField reasonRecordField;
        final boolean writeSuppression;
        final boolean shareRestrictionsAcrossRecords;

        Settings(final ProcessContext context) {
            readerFactory = context.getProperty(RECORD_READER).asControllerService(RecordReaderFactory.class);
            writerFactory = context.getProperty(RECORD_WRITER).asControllerService(RecordSetWriterFactory.class);
            purposes = Arrays.stream(context.getProperty(PURPOSES).getValue().split(",")).map(String::trim).filter(p -> !p.isEmpty()).distinct().toList();
            final Duration maxAge = context.getProperty(MAX_CONSENT_AGE).isSet()
                    ? Duration.ofMillis(context.getProperty(MAX_CONSENT_AGE).asTimePeriod(TimeUnit.MILLISECONDS)) : null;
            evaluator = new ConsentEvaluator(purposes, maxAge);
            subjectKeyPath = compile(context, SUBJECT_KEY_PATH);
            consentStatusPath = compile(context, CONSENT_STATUS_PATH);
            consentTimestampPath = compile(context, CONSENT_TIMESTAMP_PATH);
            tcStringPath = compile(context, TC_STRING_PATH);
            tcfMapping = tcStringPath == null ? null : TcfPurposeMapping.parse(context.getProperty(TCF_PURPOSE_MAPPING).getValue());
            usPrivacyPath = compile(context, US_PRIVACY_PATH);
            gpcPath = compile(context, GPC_PATH);
            jurisdictionPath = compile(context, JURISDICTION_PATH);
            defaultRegime = context.getProperty(DEFAULT_POLICY).asAllowableValue(DefaultPolicy.class).regime();
            jurisdictionPolicy = new JurisdictionPolicy(
                    JurisdictionPolicy.parseList(jurisdictionPath == null ? null : context.getProperty(OPT_IN_JURISDICTIONS).getValue()),
                    JurisdictionPolicy.parseList(jurisdictionPath == null ? null : context.getProperty(OPT_OUT_JURISDICTIONS).getValue()),
                    defaultRegime);
            lookupService = context.getProperty(LOOKUP_SERVICE).asControllerService(RecordLookupService.class);
            lookupCoordinate = context.getProperty(LOOKUP_KEY_COORDINATE).getValue();
            storeStatusField = context.getProperty(STORE_STATUS_FIELD).getValue();
            storeTimestampField = context.getProperty(STORE_TIMESTAMP_FIELD).getValue();
            storePurposesField = context.getProperty(STORE_PURPOSES_FIELD).getValue();
            recordPurposeStatuses = new PurposeStatuses("status", "updated_at", RECORD_AS_MAP);
            storePurposeStatuses = new PurposeStatuses(storeStatusField, storeTimestampField, RECORD_AS_MAP);
            action = context.getProperty(DISALLOWED_ACTION).asAllowableValue(DisallowedAction.class);
            anonymizationMethod = action == DisallowedAction.ANONYMIZE
                    ? context.getProperty(ANONYMIZATION_METHOD).asAllowableValue(AnonymizationMethod.class) : null;
            anonymizedPaths = action == DisallowedAction.ANONYMIZE
                    ? Arrays.stream(context.getProperty(ANONYMIZED_FIELDS).getValue().split(",")).map(String::trim).filter(p -> !p.isEmpty())
                            .map(RecordPath::compile).toList()
                    : List.of();
            hashKey = anonymizationMethod == AnonymizationMethod.HMAC_SHA256
                    ? context.getProperty(HASH_KEY).getValue().getBytes(StandardCharsets.UTF_8) : null;
            addDecisionFields = context.getProperty(ADD_DECISION_FIELDS).asBoolean();
            decisionField = context.getProperty(DECISION_FIELD).getValue();
            reasonField = context.getProperty(REASON_FIELD).getValue();
            decisionRecordField = new RecordField(decisionField, RecordFieldType.STRING.getDataType(), true);
            reasonRecordField = new RecordField(reasonField, RecordFieldType.STRING.getDataType(), true);
            writeSuppression = context.getProperty(WRITE_SUPPRESSION).asBoolean();
            final RecordSetWriterFactory suppressionWriter = context.getProperty(SUPPRESSION_WRITER).asControllerService(RecordSetWriterFactory.class);
            suppressionWriterFactory = suppressionWriter == null ? writerFactory : suppressionWriter;
            final boolean recordCarriesConsent = consentStatusPath != null || gpcPath != null || usPrivacyPath != null || tcStringPath != null;
            shareRestrictionsAcrossRecords = subjectKeyPath != null && recordCarriesConsent && context.getProperty(SHARE_RESTRICTIONS).asBoolean();
        }

        private static ValueReader compile(final ProcessContext context, final PropertyDescriptor descriptor) {
            return ValueReader.of(context.getProperty(descriptor).getValue());
        }

        Anonymizer newAnonymizer() {
            return switch (anonymizationMethod) {
                case HMAC_SHA256 -> Anonymizer.keyedHash(hashKey);
                case MASK -> Anonymizer.mask();
                case REMOVE -> Anonymizer.remove();
            };
        }
    }

    /** The processing of one FlowFile: its outputs, counts and per-key lookup cache. */
    private final class Run {
        private final Settings settings;
        private final ProcessSession session;
        private final FlowFile original;
        private final Instant now = Instant.now();
        private final ConsentOutput allowedOutput;
        private final ConsentOutput excludedOutput;
        private final ConsentOutput anonymizedOutput;
        private final ConsentOutput suppressionOutput;
        private final Map<String, List<ConsentEvidence>> storeEvidenceByKey = new HashMap<>();
        private final Map<String, List<ConsentEvidence>> restrictionsBySubject = new HashMap<>();
        private final Set<String> suppressedSubjects = new HashSet<>();
        private final int[] reasonCounts = new int[ReasonCode.values().length];
        private final List<ConsentEvidence> evidence = new ArrayList<>();
        private final Anonymizer anonymizer;
        private int droppedCount;
        private long recordIndex;
        private int invalidSignals;
        private RecordSchema outputSchema;
        private RecordSchema anonymizedSchema;

        Run(final Settings settings, final ProcessSession session, final FlowFile original) {
            this.settings = settings;
            this.session = session;
            this.original = original;
            this.allowedOutput = new ConsentOutput(REL_SUCCESS, settings.writerFactory);
            this.excludedOutput = new ConsentOutput(REL_EXCLUDED, settings.writerFactory);
            this.anonymizedOutput = new ConsentOutput(REL_ANONYMIZED, settings.writerFactory);
            this.suppressionOutput = new ConsentOutput(REL_SUPPRESSION, settings.suppressionWriterFactory);
            this.anonymizer = settings.action == DisallowedAction.ANONYMIZE ? settings.newAnonymizer() : null;
        }

        void process() throws IOException, MalformedRecordException, SchemaNotFoundException, ConsentLookupFailure {
            if (settings.shareRestrictionsAcrossRecords) {
                collectRestrictionsBySubject();
            }
            try (InputStream in = session.read(original);
                 RecordReader reader = settings.readerFactory.createRecordReader(original, in, getLogger())) {
                final RecordSchema readSchema = reader.getSchema();
                outputSchema = settings.addDecisionFields ? withDecisionFields(readSchema) : readSchema;
                Record record;
                while ((record = reader.nextRecord()) != null) {
                    handle(record);
                }
            }
            for (final ConsentOutput output : outputs()) {
                output.finish();
            }
        }

        private void handle(final Record record) throws IOException, SchemaNotFoundException, ConsentLookupFailure {
            final String subjectKey = settings.subjectKeyPath == null ? null : text(firstValue(record, settings.subjectKeyPath));
            final ConsentDecision decision = decide(record, subjectKey);
            reasonCounts[decision.reason().ordinal()]++;
            recordIndex++;
            if (getLogger().isDebugEnabled()) {
                // the record's position only: its key is personal data, and a short hash of an email is easy to reverse by guessing
                getLogger().debug("Record {} of {} decided {}", recordIndex, original, decision.reason());
            }

            if (decision.allowed()) {
                markDecision(record, DECISION_ALLOWED, decision.reason());
                allowedOutput.write(record, outputSchema, session, original, getLogger());
            } else {
                switch (settings.action) {
                    case ROUTE_TO_EXCLUDED -> {
                        markDecision(record, DECISION_EXCLUDED, decision.reason());
                        excludedOutput.write(record, outputSchema, session, original, getLogger());
                    }
                    case DROP -> droppedCount++;
                    case ANONYMIZE -> {
                        anonymize(record);
                        markDecision(record, DECISION_ANONYMIZED, decision.reason());
                        anonymizedOutput.write(record, anonymizedSchema(), session, original, getLogger());
                    }
                }
            }

            if (settings.writeSuppression && subjectKey != null && decision.reason().isSuppression() && suppressedSubjects.add(subjectKey)) {
                final Map<String, Object> values = new LinkedHashMap<>();
                values.put(SUPPRESSION_SUBJECT_FIELD, subjectKey);
                values.put(SUPPRESSION_REASON_FIELD, decision.reason().name());
                values.put(SUPPRESSION_TIMESTAMP_FIELD, (decision.evidenceTime() == null ? now : decision.evidenceTime()).toString());
                suppressionOutput.write(new MapRecord(SUPPRESSION_SCHEMA, values), SUPPRESSION_SCHEMA, session, original, getLogger());
            }
        }

        /**
         * First pass: the withdrawals and denials carried by any record of a subject, so that they also
         * apply to the subject's other records, whatever those records' own capture times.
         */
        private void collectRestrictionsBySubject() throws IOException, MalformedRecordException, SchemaNotFoundException {
            final int invalidBefore = invalidSignals;
            try (InputStream in = session.read(original);
                 RecordReader reader = settings.readerFactory.createRecordReader(original, in, getLogger())) {
                Record record;
                while ((record = reader.nextRecord()) != null) {
                    final String subjectKey = text(firstValue(record, settings.subjectKeyPath));
                    if (subjectKey == null) {
                        continue;
                    }
                    gatherRecordEvidence(record);
                    for (final ConsentEvidence restriction : evidence) {
                        if (restriction.status() == ConsentStatus.WITHDRAWN || restriction.status() == ConsentStatus.DENIED) {
                            restrictionsBySubject.computeIfAbsent(subjectKey, key -> new ArrayList<>(1)).add(restriction);
                        }
                    }
                }
            }
            // the second pass counts them
            invalidSignals = invalidBefore;
        }

        private ConsentDecision decide(final Record record, final String subjectKey) throws ConsentLookupFailure {
            gatherRecordEvidence(record);
            if (subjectKey != null && !restrictionsBySubject.isEmpty()) {
                final List<ConsentEvidence> restrictions = restrictionsBySubject.get(subjectKey);
                if (restrictions != null) {
                    evidence.addAll(restrictions);
                }
            }
            if (settings.lookupService != null && subjectKey != null && !subjectKey.isBlank()) {
                evidence.addAll(storeEvidence(subjectKey));
            }
            final JurisdictionPolicy.Regime regime = settings.jurisdictionPath == null ? settings.defaultRegime
                    : settings.jurisdictionPolicy.regimeFor(text(firstValue(record, settings.jurisdictionPath)));
            return settings.evaluator.evaluate(evidence, regime, now);
        }

        /** Replaces the evidence list with what the record itself carries. */
        private void gatherRecordEvidence(final Record record) {
            evidence.clear();
            final Instant recordTimestamp = settings.consentTimestampPath == null ? null
                    : ConsentTimestamps.parse(firstValue(record, settings.consentTimestampPath));
            if (settings.consentStatusPath != null) {
                try {
                    settings.recordPurposeStatuses.addEvidence(firstValue(record, settings.consentStatusPath), settings.purposes,
                            ConsentSource.RECORD, recordTimestamp, evidence);
                } catch (final IllegalArgumentException e) {
                    invalidSignals++;
                }
            }
            if (settings.gpcPath != null && ConsentStatus.parse(firstValue(record, settings.gpcPath)) == ConsentStatus.GRANTED) {
                // a set GPC flag is the subject's opt-out of sale and sharing
                evidence.add(new ConsentEvidence(ConsentSource.GPC, null, ConsentStatus.DENIED, recordTimestamp));
            }
            if (settings.usPrivacyPath != null) {
                addUsPrivacy(text(firstValue(record, settings.usPrivacyPath)), recordTimestamp);
            }
            if (settings.tcStringPath != null) {
                final String tcString = text(firstValue(record, settings.tcStringPath));
                if (tcString != null && !tcString.isBlank()) {
                    try {
                        settings.tcfMapping.addEvidence(tcString, settings.purposes, evidence);
                    } catch (final IllegalArgumentException e) {
                        invalidSignals++;
                    }
                }
            }
        }

        private void addUsPrivacy(final String usPrivacy, final Instant recordTimestamp) {
            if (usPrivacy == null || usPrivacy.isBlank()) {
                return;
            }
            try {
                if (UsPrivacyString.optOutOfSale(usPrivacy.trim()) == UsPrivacyString.OptOut.OPTED_OUT) {
                    evidence.add(new ConsentEvidence(ConsentSource.US_PRIVACY, null, ConsentStatus.DENIED, recordTimestamp));
                }
            } catch (final IllegalArgumentException e) {
                invalidSignals++;
            }
        }

        private List<ConsentEvidence> storeEvidence(final String subjectKey) throws ConsentLookupFailure {
            final List<ConsentEvidence> cached = storeEvidenceByKey.get(subjectKey);
            if (cached != null) {
                return cached;
            }
            final Optional<Record> stored;
            try {
                stored = settings.lookupService.lookup(Map.of(settings.lookupCoordinate, subjectKey), original.getAttributes());
            } catch (final LookupFailureException | RuntimeException e) {
                throw new ConsentLookupFailure(e);
            }
            final List<ConsentEvidence> found = new ArrayList<>(2);
            if (stored.isPresent()) {
                final Record row = stored.get();
                final Instant updatedAt = ConsentTimestamps.parse(row.getValue(settings.storeTimestampField));
                final ConsentStatus status = ConsentStatus.parse(row.getValue(settings.storeStatusField));
                if (status.isEvidence()) {
                    found.add(new ConsentEvidence(ConsentSource.STORE, null, status, updatedAt));
                }
                try {
                    settings.storePurposeStatuses.addEvidence(row.getValue(settings.storePurposesField), settings.purposes, ConsentSource.STORE, updatedAt, found);
                } catch (final IllegalArgumentException e) {
                    invalidSignals++;
                }
            }
            storeEvidenceByKey.put(subjectKey, found);
            return found;
        }

        private void markDecision(final Record record, final String decision, final ReasonCode reason) {
            if (settings.addDecisionFields) {
                // the prebuilt fields avoid creating field objects for every record
                record.setValue(settings.decisionRecordField, decision);
                record.setValue(settings.reasonRecordField, reason.name());
            }
        }

        private void anonymize(final Record record) {
            for (final RecordPath path : settings.anonymizedPaths) {
                path.evaluate(record).getSelectedFields().forEach(this::anonymizeField);
            }
        }

        private void anonymizeField(final FieldValue fieldValue) {
            if (anonymizer.method() == Anonymizer.Method.REMOVE) {
                fieldValue.updateValue(null);
            } else {
                fieldValue.updateValue(anonymizer.anonymize(fieldValue.getValue()), RecordFieldType.STRING.getDataType());
            }
        }

        /** Anonymised top-level fields become text, or leave the schema when removed. */
        private RecordSchema anonymizedSchema() {
            if (anonymizedSchema == null) {
                final Set<String> topLevel = new HashSet<>();
                for (final RecordPath path : settings.anonymizedPaths) {
                    final String text = path.getPath().trim();
                    if (text.matches("/[A-Za-z_][A-Za-z0-9_]*")) {
                        topLevel.add(text.substring(1));
                    }
                }
                final List<RecordField> fields = new ArrayList<>();
                for (final RecordField field : outputSchema.getFields()) {
                    if (!topLevel.contains(field.getFieldName())) {
                        fields.add(field);
                    } else if (anonymizer.method() != Anonymizer.Method.REMOVE) {
                        fields.add(new RecordField(field.getFieldName(), RecordFieldType.STRING.getDataType(), true));
                    }
                }
                anonymizedSchema = new SimpleRecordSchema(fields);
            }
            return anonymizedSchema;
        }

        private RecordSchema withDecisionFields(final RecordSchema schema) {
            final List<RecordField> fields = new ArrayList<>(schema.getFields());
            if (schema.getField(settings.decisionField).isEmpty()) {
                fields.add(settings.decisionRecordField);
            }
            if (schema.getField(settings.reasonField).isEmpty()) {
                fields.add(settings.reasonRecordField);
            }
            return new SimpleRecordSchema(fields);
        }

        private List<ConsentOutput> outputs() {
            return List.of(allowedOutput, excludedOutput, anonymizedOutput, suppressionOutput);
        }

        void discardOutputs() {
            for (final ConsentOutput output : outputs()) {
                output.discard(session);
            }
        }

        /** Transfers the outputs, reports counts and provenance, and removes the original. */
        void complete() {
            final Map<String, String> counts = new HashMap<>();
            counts.put(ATTR_ALLOWED_COUNT, String.valueOf(allowedOutput.recordCount()));
            counts.put(ATTR_EXCLUDED_COUNT, String.valueOf(excludedOutput.recordCount()));
            counts.put(ATTR_ANONYMIZED_COUNT, String.valueOf(anonymizedOutput.recordCount()));
            counts.put(ATTR_DROPPED_COUNT, String.valueOf(droppedCount));
            counts.put(ATTR_SUPPRESSION_COUNT, String.valueOf(suppressionOutput.recordCount()));
            final String details = summary();

            for (final ConsentOutput output : outputs()) {
                if (output.isStarted()) {
                    final FlowFile child = output.complete(session, counts);
                    session.getProvenanceReporter().route(child, output.relationship(), details);
                    session.transfer(child, output.relationship());
                }
            }
            for (final ReasonCode reason : ReasonCode.values()) {
                if (reasonCounts[reason.ordinal()] > 0) {
                    session.adjustCounter(COUNTER_PREFIX + reason.name(), reasonCounts[reason.ordinal()], false);
                }
            }
            if (invalidSignals > 0) {
                session.adjustCounter(COUNTER_INVALID_SIGNAL, invalidSignals, false);
            }
            // the framework records the DROP of the original with this as its details
            final FlowFile described = session.putAttribute(original, CoreAttributes.DISCARD_REASON.key(), details);
            session.remove(described);
            getLogger().debug("{}: {}", original, details);
        }

        private String summary() {
            final StringBuilder text = new StringBuilder();
            text.append(allowedOutput.recordCount()).append(" allowed, ")
                    .append(excludedOutput.recordCount()).append(" excluded, ")
                    .append(anonymizedOutput.recordCount()).append(" anonymized, ")
                    .append(droppedCount).append(" dropped, ")
                    .append(suppressionOutput.recordCount()).append(" suppression records; reasons:");
            boolean any = false;
            for (final ReasonCode reason : ReasonCode.values()) {
                if (reasonCounts[reason.ordinal()] > 0) {
                    text.append(' ').append(reason.name()).append('=').append(reasonCounts[reason.ordinal()]);
                    any = true;
                }
            }
            if (!any) {
                text.append(" none");
            }
            return text.toString();
        }
    }

    private static Object firstValue(final Record record, final ValueReader reader) {
        return reader.read(record);
    }

    /**
     * Reads the first value a RecordPath selects. A plain top-level field such as /consent is read
     * directly: the common case then costs a map lookup instead of a path evaluation.
     */
    static final class ValueReader {
        private static final Pattern TOP_LEVEL_FIELD = Pattern.compile("/([A-Za-z_][A-Za-z0-9_]*)");

        private final RecordPath path;
        private final String fieldName;

        private ValueReader(final String pathText) {
            final Matcher matcher = TOP_LEVEL_FIELD.matcher(pathText.trim());
            this.fieldName = matcher.matches() ? matcher.group(1) : null;
            this.path = fieldName == null ? RecordPath.compile(pathText) : null;
        }

        static ValueReader of(final String pathText) {
            return pathText == null || pathText.isBlank() ? null : new ValueReader(pathText);
        }

        Object read(final Record record) {
            if (fieldName != null) {
                return record.getValue(fieldName);
            }
            return path.evaluate(record).getSelectedFields().findFirst().map(FieldValue::getValue).orElse(null);
        }
    }

    private static String text(final Object value) {
        return value == null ? null : value.toString();
    }

    /** A consent store lookup failed; the whole FlowFile must be retried. */
    private static final class ConsentLookupFailure extends Exception {
        private final String causeType;

        ConsentLookupFailure(final Exception cause) {
            super(cause.getClass().getSimpleName());
            this.causeType = cause.getClass().getSimpleName();
        }

        String causeType() {
            return causeType;
        }
    }

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

    /** Validates a comma-separated list of RecordPaths. */
    private static final class RecordPathListValidator implements Validator {
        private final RecordPathValidator single = new RecordPathValidator();

        @Override
        public ValidationResult validate(final String subject, final String input, final ValidationContext context) {
            if (input == null || input.isBlank()) {
                return new ValidationResult.Builder().subject(subject).input(input).valid(false).explanation("at least one RecordPath is required").build();
            }
            for (final String path : input.split(",")) {
                final ValidationResult result = single.validate(subject, path.trim(), context);
                if (!result.isValid()) {
                    return result;
                }
            }
            return new ValidationResult.Builder().subject(subject).input(input).valid(true).build();
        }
    }
}
