package io.datasync.nifi.processors;

import io.datasync.nifi.consent.ConsentVocabulary;
import io.datasync.nifi.merge.CanonicalValueComparator;
import io.datasync.nifi.merge.ConcurrentLookups;
import io.datasync.nifi.merge.Lineage;
import io.datasync.nifi.merge.MergedProfile;
import io.datasync.nifi.merge.MergedValue;
import io.datasync.nifi.merge.ProfileMerger;
import io.datasync.nifi.merge.RecordOrigin;
import io.datasync.nifi.merge.SourceRecord;
import io.datasync.nifi.merge.SurvivorshipRule;
import io.datasync.nifi.merge.SurvivorshipRules;
import io.datasync.nifi.merge.TieBreakOrder;
import io.datasync.nifi.common.BatchedKeyReader;
import io.datasync.nifi.common.Timestamps;
import io.datasync.nifi.processors.common.DatabaseStoreProperties;
import io.datasync.nifi.processors.common.DescribedEnum;
import io.datasync.nifi.processors.common.DescribedEnum.Described;
import io.datasync.nifi.processors.common.PiiSafeErrors;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.nifi.annotation.behavior.DynamicProperty;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.SupportsBatching;
import org.apache.nifi.annotation.behavior.SystemResource;
import org.apache.nifi.annotation.behavior.SystemResourceConsideration;
import org.apache.nifi.annotation.behavior.WritesAttribute;
import org.apache.nifi.annotation.behavior.WritesAttributes;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.SeeAlso;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.annotation.documentation.UseCase;
import org.apache.nifi.annotation.lifecycle.OnScheduled;
import org.apache.nifi.annotation.lifecycle.OnStopped;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationContext;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.components.Validator;
import org.apache.nifi.dbcp.DBCPService;
import org.apache.nifi.expression.ExpressionLanguageScope;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.lookup.LookupFailureException;
import org.apache.nifi.lookup.LookupService;
import org.apache.nifi.processor.AbstractProcessor;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.processor.util.StandardValidators;
import org.apache.nifi.record.path.FieldValue;
import org.apache.nifi.record.path.RecordPath;
import org.apache.nifi.record.path.validation.RecordPathValidator;
import org.apache.nifi.schema.access.SchemaNotFoundException;
import org.apache.nifi.serialization.MalformedRecordException;
import org.apache.nifi.serialization.RecordReader;
import org.apache.nifi.serialization.RecordReaderFactory;
import org.apache.nifi.serialization.RecordSetWriter;
import org.apache.nifi.serialization.RecordSetWriterFactory;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.WriteResult;
import org.apache.nifi.serialization.record.DataType;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.serialization.record.RecordSchema;
import org.apache.nifi.serialization.record.util.DataTypeUtils;

@Tags({"record", "merge", "golden record", "survivorship", "profile", "customer", "mdm", "consent", "lineage", "datasync"})
@CapabilityDescription("Folds all records of one customer (grouped by a customer-key RecordPath) and, optionally, the customer's "
        + "stored profile (from a LookupService, or read in batches from a database table through a DBCPService) into one golden "
        + "profile per customer. Each field survives by its own rule "
        + "(latest, latest_non_empty, source_priority, first_non_empty, max, min, union, consent), set per field as a dynamic "
        + "property, or by the Default Rule. The result does not depend on the order of the input records: ties are broken by "
        + "timestamp, then the Tie-Break Source Order, then a canonical comparison of the values, then the source name. "
        + "A newer consent withdrawal always beats an older grant. Optionally writes a lineage field naming, per field, the "
        + "source and timestamp of the surviving value. The output schema is the union of the input and stored-profile "
        + "fields; scalar type conflicts between sources are written as strings and reported. A FlowFile with records "
        + "without a customer key, unreadable content, unparsable timestamps or irreconcilable types goes to failure whole; "
        + "a failed lookup sends it to retry. Output is never partial.")
@InputRequirement(InputRequirement.Requirement.INPUT_REQUIRED)
@DynamicProperty(name = "The name of a top-level field",
        value = "A survivorship rule: latest, latest_non_empty, first_non_empty, max, min, union, consent, or source_priority:<source>,<source>,...",
        description = "Sets the survivorship rule of one field, overriding the Default Rule for it.")
@WritesAttributes({
    @WritesAttribute(attribute = ProfileMerge.RECORD_COUNT, description = "Number of golden profiles written"),
    @WritesAttribute(attribute = ProfileMerge.MIME_TYPE, description = "MIME type reported by the Record Writer"),
    @WritesAttribute(attribute = ProfileMerge.PROFILES_OUT, description = "Number of golden profiles written (one per customer key)"),
    @WritesAttribute(attribute = ProfileMerge.RECORDS_MERGED, description = "Number of input records folded into the profiles"),
    @WritesAttribute(attribute = ProfileMerge.STORED_PROFILES, description = "Number of profiles merged with a stored profile from the lookup"),
    @WritesAttribute(attribute = ProfileMerge.CONFLICTS_RESOLVED,
            description = "Number of (profile, field) pairs for which the sources offered differing non-empty values"),
    @WritesAttribute(attribute = ProfileMerge.TYPE_CONFLICTS, description = "Number of fields whose types conflicted between sources and that were written as strings"),
    @WritesAttribute(attribute = ProfileMerge.TYPE_CONFLICT_FIELDS, description = "Comma-separated names of the fields with a type conflict (absent when none)"),
    @WritesAttribute(attribute = ProfileMerge.WRONG_TYPE_VALUES_ATTRIBUTE, description = "Number of values left out of a max or min "
            + "rule for being of the wrong type (text in a numeric field, for example)"),
    @WritesAttribute(attribute = ProfileMerge.ERROR, description = "Why the FlowFile went to failure or retry")
})
@SeeAlso(classNames = {
    "org.apache.nifi.lookup.db.DatabaseRecordLookupService",
    "org.apache.nifi.processors.standard.PutDatabaseRecord",
    "org.apache.nifi.processors.standard.PartitionRecord"
})
@UseCase(
        description = "Build one golden customer profile per customer id from partial updates of several sources and the stored profile, ready for an UPSERT.",
        keywords = {"golden record", "survivorship", "merge profiles", "mdm", "upsert"},
        configuration = """
                Set "Record Reader" and "Record Writer" to services matching the incoming data (e.g. JsonTreeReader and JsonRecordSetWriter).
                Set "Customer Key Record Path" to the field holding the customer id, e.g. `/customer_id` as stamped by CustomerDedup.
                Set "Source Field" to `source` and "Record Timestamp Field" to `updated_at`.
                Set "Default Rule" to `latest_non_empty` so that nulls in partial updates never erase known values.
                Add dynamic properties for fields that need another rule, e.g. `email_consent` = `consent`, `tags` = `union`,
                `lifetime_value` = `max`, `first_seen` = `first_non_empty`, `name` = `source_priority:crm,shop,web`.
                Set "Stored Profile Lookup Service" to a DatabaseRecordLookupService on the profiles table (Lookup Key Column = customer_id),
                keep "Stored Profile Lookup Key" at `key` and set "Stored Profile Timestamp Field" to the table's updated-at column.
                Set "Lineage Field" to `_lineage` and keep it as a column of the profiles table, so that stored values keep
                their original source and timestamp in later merges.
                Connect `success` to PutDatabaseRecord (Statement Type UPSERT, Update Keys customer_id), loop `retry` back to ProfileMerge,
                and send `failure` to an error-handling path.
                """
)
// Batching is safe: stored profiles are only read (lookup service or database), and the golden profiles go out
// through the session; nothing outside NiFi changes before the session commits.
@SupportsBatching
@SystemResourceConsideration(resource = SystemResource.MEMORY, description = "Reads the whole FlowFile and holds all of its records, "
        + "grouped by customer key, together with the stored profile of every customer in it, before it writes one profile per "
        + "customer: memory grows with the FlowFile's record count (and with Concurrent Lookups in flight), per concurrent task. "
        + "Split or partition large inputs by customer key (e.g. PartitionRecord) before this processor.")
public class ProfileMerge extends AbstractProcessor {

    static final String RECORD_COUNT = "record.count";
    static final String MIME_TYPE = "mime.type";
    static final String PROFILES_OUT = "profilemerge.profiles";
    static final String RECORDS_MERGED = "profilemerge.records.merged";
    static final String STORED_PROFILES = "profilemerge.stored.profiles";
    static final String CONFLICTS_RESOLVED = "profilemerge.conflicts.resolved";
    static final String TYPE_CONFLICTS = "profilemerge.type.conflicts";
    static final String TYPE_CONFLICT_FIELDS = "profilemerge.type.conflict.fields";
    static final String ERROR = "profilemerge.error";
    static final String WRONG_TYPE_VALUES_ATTRIBUTE = "profilemerge.wrong.type.values";

    /** NiFi counters, adjusted in the session that transfers the FlowFile; names carry no record data. */
    static final String COUNTER_RECORDS_IN = "ProfileMerge records in";
    static final String COUNTER_PROFILES_WRITTEN = "ProfileMerge profiles written";
    static final String COUNTER_STORED_PROFILES_MERGED = "ProfileMerge merges with a stored profile";
    static final String COUNTER_CONFLICTS_RESOLVED = "ProfileMerge conflicts resolved";
    static final String COUNTER_TYPE_CONFLICTS = "ProfileMerge type conflicts";
    static final String COUNTER_WRONG_TYPE_VALUES_SKIPPED = "ProfileMerge wrong-type values skipped";
    static final String COUNTER_ROUTED_PREFIX = "ProfileMerge FlowFiles routed to ";

    public enum WrongTypeHandling implements DescribedEnum {
        SKIP("Skip and Count", "The value takes no part in the rule; the FlowFile's " + WRONG_TYPE_VALUES_ATTRIBUTE + " counts it."),
        FAIL("Route to Failure", "The FlowFile goes to failure, unchanged, naming the field.");

        private final Described described;

        WrongTypeHandling(final String displayName, final String description) {
            this.described = new Described(displayName, description);
        }

        @Override
        public Described described() {
            return described;
        }
    }

    private static final Pattern SIMPLE_FIELD_PATH = Pattern.compile("/[A-Za-z_][A-Za-z0-9_]*");

    private static final Validator RULE_VALIDATOR = (subject, input, context) -> {
        try {
            SurvivorshipRules.parse(input);
            return new ValidationResult.Builder().subject(subject).input(input).valid(true).build();
        } catch (final IllegalArgumentException e) {
            return new ValidationResult.Builder().subject(subject).input(input).valid(false).explanation(e.getMessage()).build();
        }
    };

    static final PropertyDescriptor RECORD_READER = new PropertyDescriptor.Builder()
            .name("Record Reader")
            .description("Reads the incoming records (partial customer updates from any number of sources).")
            .identifiesControllerService(RecordReaderFactory.class)
            .required(true)
            .build();

    static final PropertyDescriptor RECORD_WRITER = new PropertyDescriptor.Builder()
            .name("Record Writer")
            .description("Writes the golden profiles, one record per customer key.")
            .identifiesControllerService(RecordSetWriterFactory.class)
            .required(true)
            .build();

    static final PropertyDescriptor CUSTOMER_KEY_PATH = new PropertyDescriptor.Builder()
            .name("Customer Key Record Path")
            .description("RecordPath to the customer key that groups records into one profile. It must select exactly one "
                    + "non-blank scalar value in every record; a FlowFile with any record without one goes to failure whole.")
            .required(true)
            .defaultValue("/customer_id")
            .addValidator(new RecordPathValidator())
            .build();

    static final PropertyDescriptor SOURCE_FIELD = new PropertyDescriptor.Builder()
            .name("Source Field")
            .description("Top-level field naming the system a record came from (e.g. crm, shop, web). Used by source_priority, "
                    + "the tie-break and lineage. A record without it has the empty source name.")
            .required(true)
            .defaultValue("source")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    static final PropertyDescriptor TIMESTAMP_FIELD = new PropertyDescriptor.Builder()
            .name("Record Timestamp Field")
            .description("Top-level field holding when the record's data was current: epoch milliseconds, or ISO-8601 text "
                    + "(2024-05-01T10:00:00Z; without an offset it is read as UTC). A record without it counts as the oldest; "
                    + "a value that is not a timestamp sends the FlowFile to failure.")
            .required(true)
            .defaultValue("updated_at")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    static final PropertyDescriptor FIELD_TIMESTAMPS_FIELD = new PropertyDescriptor.Builder()
            .name("Field Timestamps Field")
            .description("Optional top-level field holding per-field timestamps: a record or map from field name to timestamp, "
                    + "e.g. {\"email\": \"2024-05-03T09:00:00Z\"}. A field listed there is dated by that timestamp instead of the "
                    + "record timestamp. This field is metadata: it is not written to the output.")
            .required(false)
            .defaultValue("field_updated_at")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    static final PropertyDescriptor DEFAULT_RULE = new PropertyDescriptor.Builder()
            .name("Default Rule")
            .description("Survivorship rule for every field that has no dynamic property of its own.")
            .required(true)
            .allowableValues(MergeRule.class)
            .defaultValue(MergeRule.LATEST_NON_EMPTY)
            .build();

    static final PropertyDescriptor TIE_BREAK_SOURCES = new PropertyDescriptor.Builder()
            .name("Tie-Break Source Order")
            .description("Comma-separated source names. When a rule cannot separate candidates (equal timestamps), the source "
                    + "listed first wins; unlisted sources come after listed ones. Remaining ties go to the smaller value in "
                    + "canonical order, then to the alphabetically smaller source name.")
            .required(false)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    enum StoredProfileStoreType implements DescribedEnum {
        LOOKUP_SERVICE("Lookup Service", "Stored profiles are read through the Stored Profile Lookup Service, one lookup per customer (or not "
                + "at all when that property is empty)."),
        DATABASE("Database", "Stored profiles are read from a table or view through a Database Connection Pooling Service: the profiles "
                + "of all customers of a FlowFile in one parameterised query per Stored Profile Batch Size customers.");

        private final Described described;

        StoredProfileStoreType(final String displayName, final String description) {
            this.described = new Described(displayName, description);
        }

        @Override
        public Described described() {
            return described;
        }
    }

    static final PropertyDescriptor STORE_TYPE = new PropertyDescriptor.Builder()
            .name("Stored Profile Store Type")
            .description("How stored profiles are read: through a lookup service (one lookup per customer), or from a database table or view "
                    + "(one query per Stored Profile Batch Size customers).")
            .required(true)
            .allowableValues(StoredProfileStoreType.class)
            .defaultValue(StoredProfileStoreType.LOOKUP_SERVICE)
            .build();

    private static final DatabaseStoreProperties DATABASE_STORE = new DatabaseStoreProperties(STORE_TYPE, StoredProfileStoreType.DATABASE);

    static final PropertyDescriptor DBCP_SERVICE = DATABASE_STORE.connectionPool("Stored Profile Connection Pool",
            "Database Connection Pooling Service of the database holding the stored profiles. A connection or query failure "
                    + "sends the FlowFile to retry.");

    static final PropertyDescriptor STORED_TABLE = DATABASE_STORE.tableName("Stored Profile Table Name",
            "Table or view (optionally schema.name) with one row per customer, e.g. customer_profiles_lookup. A plain SQL "
                    + "identifier. Its columns become the stored profile's fields, typed from their SQL types.");

    static final PropertyDescriptor STORED_KEY_COLUMN = DATABASE_STORE.keyColumn("Stored Profile Key Column",
            "Column compared with the customer keys (bound as text parameters: make it text, casting in a view if needed).", "customer_id");

    static final PropertyDescriptor STORED_BATCH_SIZE = DATABASE_STORE.batchSize("Stored Profile Batch Size",
            "How many customers one query asks for (the size of its IN list of parameters).");

    static final PropertyDescriptor STORED_QUERY_TIMEOUT = DATABASE_STORE.queryTimeout("Stored Profile Query Timeout",
            "The longest one stored profile query may run before it is cancelled and the FlowFile goes to retry (at most 1 hour; "
                    + "0 sec: no limit). Whole seconds.");

    static final PropertyDescriptor LOOKUP_SERVICE = new PropertyDescriptor.Builder()
            .name("Stored Profile Lookup Service")
            .description("Optional LookupService returning the customer's current stored profile as a record (e.g. a "
                    + "DatabaseRecordLookupService on the profiles table). The stored profile takes part in the merge as one more "
                    + "record, so the output is the complete profile. A lookup failure sends the FlowFile to retry.")
            .required(false)
            .identifiesControllerService(LookupService.class)
                .dependsOn(STORE_TYPE, StoredProfileStoreType.LOOKUP_SERVICE)
            .build();

    static final PropertyDescriptor LOOKUP_KEY = new PropertyDescriptor.Builder()
            .name("Stored Profile Lookup Key")
            .description("Name of the lookup coordinate that receives the customer key (DatabaseRecordLookupService expects 'key').")
            .required(true)
            .defaultValue("key")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(LOOKUP_SERVICE)
            .build();

    static final PropertyDescriptor CONCURRENT_LOOKUPS = new PropertyDescriptor.Builder()
            .name("Concurrent Lookups")
            .description("How many stored profiles of one FlowFile are looked up at a time. Each lookup is one round trip to the store "
                    + "per customer, so with a database behind the lookup service a FlowFile of many customers mostly waits; a few "
                    + "lookups at a time overlap those waits. The result does not depend on it. Keep it below the connection pool's "
                    + "size, leaving connections for the processors that share the pool.")
            .required(true)
            .defaultValue("1")
            .addValidator(StandardValidators.createLongValidator(1, 32, true))
            .dependsOn(LOOKUP_SERVICE)
            .build();

    static final PropertyDescriptor STORED_SOURCE_NAME = new PropertyDescriptor.Builder()
            .name("Stored Profile Source Name")
            .description("Source name under which the stored profile's values compete (in source_priority lists, the tie-break "
                    + "order and lineage).")
            .required(true)
            .defaultValue("stored_profile")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    static final PropertyDescriptor STORED_TIMESTAMP_FIELD = new PropertyDescriptor.Builder()
            .name("Stored Profile Timestamp Field")
            .description("Field of the stored profile holding when it was last updated; its values compete with that timestamp. "
                    + "Without it, stored values count as the oldest.")
            .required(true)
            .defaultValue("updated_at")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    static final PropertyDescriptor LINEAGE_FIELD = new PropertyDescriptor.Builder()
            .name("Lineage Field")
            .description("Optional output field to write lineage into: a JSON object mapping each field to the source and "
                    + "timestamp of its surviving value, e.g. {\"email\":{\"source\":\"web\",\"timestamp\":\"2024-05-03T09:00:00Z\"}}. "
                    + "When the stored profile carries this field too, each stored value competes under its original source and "
                    + "timestamp, which makes the result independent of the order in which FlowFiles are merged into it.")
            .required(false)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    static final PropertyDescriptor RETIRED_KEY_FIELD = new PropertyDescriptor.Builder()
            .name("Retired Customer Key Field")
            .description("Optional top-level field that folds stored profiles into another customer's: a record with a value here "
                    + "(a customer key that was merged into the record's customer, such as CustomerDedup's old_customer_id) is an "
                    + "instruction, not data: the stored profile under that key is read like the customer's own and its values compete "
                    + "in the merge (by their lineage, when it has one); the record's other fields are not merged. The output profile "
                    + "carries the folded keys in this field, '|'-joined and sorted, so the database write can retire their rows in the "
                    + "same transaction. A customer whose instructions find no stored profile at all is not written.")
            .required(false)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    static final PropertyDescriptor WRONG_TYPE_VALUES = new PropertyDescriptor.Builder()
            .name("Wrong-Type Values")
            .description("What happens to a value of the wrong type for a max or min rule: text that is not a number in a field "
                    + "where another record has a number, or anything but a date in a field of dates. It never wins the rule.")
            .required(true)
            .allowableValues(WrongTypeHandling.class)
            .defaultValue(WrongTypeHandling.SKIP)
            .build();

    static final Relationship REL_SUCCESS = new Relationship.Builder()
            .name("success")
            .description("The FlowFile with its records replaced by one golden profile per customer key")
            .build();

    static final Relationship REL_FAILURE = new Relationship.Builder()
            .name("failure")
            .description("FlowFiles that cannot be merged (unreadable, records without a key, bad timestamps, irreconcilable "
                    + "types), unchanged, with the reason in " + ERROR)
            .build();

    static final Relationship REL_RETRY = new Relationship.Builder()
            .name("retry")
            .description("FlowFiles whose stored profiles could not be looked up, unchanged and penalized; retrying may succeed")
            .build();

    private static final List<PropertyDescriptor> PROPERTIES = List.of(
            RECORD_READER, RECORD_WRITER, CUSTOMER_KEY_PATH, SOURCE_FIELD, TIMESTAMP_FIELD, FIELD_TIMESTAMPS_FIELD,
            DEFAULT_RULE, TIE_BREAK_SOURCES, STORE_TYPE, LOOKUP_SERVICE, LOOKUP_KEY, CONCURRENT_LOOKUPS,
            DBCP_SERVICE, STORED_TABLE, STORED_KEY_COLUMN, STORED_BATCH_SIZE, STORED_QUERY_TIMEOUT, STORED_SOURCE_NAME, STORED_TIMESTAMP_FIELD, LINEAGE_FIELD,
            RETIRED_KEY_FIELD, WRONG_TYPE_VALUES, ConsentValueLists.GRANT_VALUES, ConsentValueLists.DENIAL_VALUES, ConsentValueLists.WITHDRAWAL_VALUES,
            ConsentValueLists.NO_DECISION_VALUES);

    private static final Set<Relationship> RELATIONSHIPS = Set.of(REL_SUCCESS, REL_FAILURE, REL_RETRY);

    private volatile Settings settings;

    /** Everything onTrigger needs, built once when the processor is scheduled. */
    private record Settings(
            RecordReaderFactory readerFactory,
            RecordSetWriterFactory writerFactory,
            RecordPath keyPath,
            String keyField,
            String keyPathText,
            String sourceField,
            String timestampField,
            String fieldTimestampsField,
            TieBreakOrder tieBreakOrder,
            ProfileMerger merger,
            LookupService<?> lookupService,
            DBCPService dbcpService,
            BatchedKeyReader storedReader,
            String lookupKey,
            ConcurrentLookups lookups,
            String storedSourceName,
            String storedTimestampField,
            String lineageField,
            String retiredKeyField,
            WrongTypeHandling wrongTypeHandling) {
    }

    /** Thrown for content that can be read but not merged; the message names fields, never values. */
    private static final class UnmergeableInputException extends Exception {
        UnmergeableInputException(final String message) {
            super(message);
        }
    }

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return PROPERTIES;
    }

    @Override
    public Set<Relationship> getRelationships() {
        return RELATIONSHIPS;
    }

    @Override
    protected PropertyDescriptor getSupportedDynamicPropertyDescriptor(final String propertyDescriptorName) {
        return new PropertyDescriptor.Builder()
                .name(propertyDescriptorName)
                .description("Survivorship rule of the field '" + propertyDescriptorName + "'")
                .required(false)
                .dynamic(true)
                .expressionLanguageSupported(ExpressionLanguageScope.NONE)
                .addValidator(RULE_VALIDATOR)
                .build();
    }

    @Override
    protected Collection<ValidationResult> customValidate(final ValidationContext context) {
        final List<ValidationResult> results = new ArrayList<>();
        ConsentValueLists.validate(context).ifPresent(results::add);
        final boolean database = context.getProperty(STORE_TYPE).asAllowableValue(StoredProfileStoreType.class) == StoredProfileStoreType.DATABASE;
        final LookupService<?> lookupService = database ? null : context.getProperty(LOOKUP_SERVICE).asControllerService(LookupService.class);
        if (lookupService != null) {
            if (!Record.class.isAssignableFrom(lookupService.getValueType())) {
                results.add(new ValidationResult.Builder().subject(LOOKUP_SERVICE.getName()).valid(false)
                        .explanation("the lookup service must return records (a RecordLookupService)").build());
            }
            final String lookupKey = context.getProperty(LOOKUP_KEY).getValue();
            final Set<String> requiredKeys = lookupService.getRequiredKeys();
            if (requiredKeys != null && !requiredKeys.isEmpty() && !Set.of(lookupKey).containsAll(requiredKeys)) {
                results.add(new ValidationResult.Builder().subject(LOOKUP_KEY.getName()).input(lookupKey).valid(false)
                        .explanation("the lookup service requires the keys " + requiredKeys + "; only '" + lookupKey + "' is supplied").build());
            }
        }
        return results;
    }

    @OnScheduled
    public void onScheduled(final ProcessContext context) {
        // the consent rule reads status values through the same lists as ConsentFilter
        final ConsentVocabulary consentValues = ConsentValueLists.vocabulary(context);
        final Map<String, SurvivorshipRule> fieldRules = new HashMap<>();
        for (final PropertyDescriptor descriptor : context.getProperties().keySet()) {
            if (descriptor.isDynamic()) {
                fieldRules.put(descriptor.getName(), SurvivorshipRules.parse(context.getProperty(descriptor).getValue(), consentValues));
            }
        }
        final SurvivorshipRule defaultRule = SurvivorshipRules.parse(context.getProperty(DEFAULT_RULE).asAllowableValue(MergeRule.class).getValue(),
                consentValues);

        final String keyPathText = context.getProperty(CUSTOMER_KEY_PATH).getValue();
        final String keyField = SIMPLE_FIELD_PATH.matcher(keyPathText).matches() ? keyPathText.substring(1) : null;
        final boolean database = context.getProperty(STORE_TYPE).asAllowableValue(StoredProfileStoreType.class) == StoredProfileStoreType.DATABASE;
        final LookupService<?> lookupService = database ? null : context.getProperty(LOOKUP_SERVICE).asControllerService(LookupService.class);

        settings = new Settings(
                context.getProperty(RECORD_READER).asControllerService(RecordReaderFactory.class),
                context.getProperty(RECORD_WRITER).asControllerService(RecordSetWriterFactory.class),
                keyField == null ? RecordPath.compile(keyPathText) : null,
                keyField,
                keyPathText,
                context.getProperty(SOURCE_FIELD).getValue(),
                context.getProperty(TIMESTAMP_FIELD).getValue(),
                context.getProperty(FIELD_TIMESTAMPS_FIELD).getValue(),
                new TieBreakOrder(SurvivorshipRules.parseSourceList(context.getProperty(TIE_BREAK_SOURCES).getValue())),
                new ProfileMerger(fieldRules, defaultRule),
                lookupService,
                database ? context.getProperty(DBCP_SERVICE).asControllerService(DBCPService.class) : null,
                database ? new BatchedKeyReader(context.getProperty(STORED_TABLE).getValue(), context.getProperty(STORED_KEY_COLUMN).getValue(),
                        context.getProperty(STORED_BATCH_SIZE).asInteger(),
                        Math.toIntExact(context.getProperty(STORED_QUERY_TIMEOUT).asTimePeriod(TimeUnit.SECONDS))) : null,
                lookupService == null ? null : context.getProperty(LOOKUP_KEY).getValue(),
                lookupService == null ? null : new ConcurrentLookups(context.getProperty(CONCURRENT_LOOKUPS).asInteger(),
                        "ProfileMerge-lookup-" + getIdentifier()),
                context.getProperty(STORED_SOURCE_NAME).getValue(),
                context.getProperty(STORED_TIMESTAMP_FIELD).getValue(),
                context.getProperty(LINEAGE_FIELD).getValue(),
                context.getProperty(RETIRED_KEY_FIELD).isSet() ? context.getProperty(RETIRED_KEY_FIELD).getValue().trim() : null,
                context.getProperty(WRONG_TYPE_VALUES).asAllowableValue(WrongTypeHandling.class));
    }

    @OnStopped
    public void onStopped() {
        final Settings stopped = settings;
        if (stopped != null && stopped.lookups() != null) {
            stopped.lookups().close();
        }
    }

    @Override
    public void onTrigger(final ProcessContext context, final ProcessSession session) throws ProcessException {
        FlowFile flowFile = session.get();
        if (flowFile == null) {
            return;
        }
        final long started = System.nanoTime();
        final Settings config = settings;

        final GroupedInput input;
        try {
            input = readAndGroup(config, session, flowFile);
        } catch (final UnmergeableInputException e) {
            rejectUnmergeable(session, flowFile, e.getMessage());
            return;
        } catch (final IOException | MalformedRecordException | SchemaNotFoundException | RuntimeException e) {
            // Readers report content they cannot parse or coerce with unchecked exceptions too (e.g. type conversion).
            getLogger().error("Cannot read records from {} ({})", flowFile, PiiSafeErrors.describe(e), PiiSafeErrors.redacted(e));
            routeUnchanged(session, flowFile, REL_FAILURE, "Input is not readable with the configured Record Reader: " + PiiSafeErrors.describe(e));
            return;
        }

        final Map<String, Record> storedProfiles;
        try {
            storedProfiles = lookUpStoredProfiles(config, input, flowFile);
        } catch (final LookupFailureException e) {
            getLogger().warn("Stored profile lookup failed for {} ({}); routing to retry", flowFile, PiiSafeErrors.describe(e), PiiSafeErrors.redacted(e));
            routeUnchanged(session, flowFile, REL_RETRY, "Stored profile lookup failed: " + PiiSafeErrors.describe(e));
            return;
        } catch (final UnmergeableInputException e) {
            rejectUnmergeable(session, flowFile, e.getMessage());
            return;
        }

        final List<RecordSchema> schemas = new ArrayList<>();
        schemas.add(input.schema());
        final Set<RecordSchema> distinctStoredSchemas = new LinkedHashSet<>();
        for (final Record stored : storedProfiles.values()) {
            distinctStoredSchemas.add(stored.getSchema());
        }
        schemas.addAll(distinctStoredSchemas);
        final Set<String> metadataFields = new HashSet<>();
        if (config.fieldTimestampsField() != null) {
            metadataFields.add(config.fieldTimestampsField());
        }
        if (config.retiredKeyField() != null) {
            metadataFields.add(config.retiredKeyField());
        }
        ProfileSchemaResolver.Resolution resolution;
        try {
            resolution = ProfileSchemaResolver.resolve(schemas, metadataFields, config.lineageField(), field -> config.merger().ruleFor(field).producesArray());
            if (input.folds()) {
                final List<RecordField> fields = new ArrayList<>(resolution.schema().getFields());
                fields.add(new RecordField(config.retiredKeyField(), RecordFieldType.STRING.getDataType(), true));
                resolution = new ProfileSchemaResolver.Resolution(new SimpleRecordSchema(fields), resolution.mergeFields(), resolution.conflictedFields());
            }
        } catch (final ProfileSchemaResolver.IrreconcilableTypesException e) {
            rejectUnmergeable(session, flowFile, e.getMessage());
            return;
        }
        if (!resolution.conflictedFields().isEmpty()) {
            getLogger().warn("{}: {} field(s) have conflicting types between sources and are written as STRING: {}",
                    flowFile, resolution.conflictedFields().size(), resolution.conflictedFields().keySet());
        }

        final MergeOutcome outcome;
        try {
            outcome = mergeAndWrite(config, session, flowFile, input, storedProfiles, resolution);
        } catch (final UnmergeableInputException e) {
            rejectUnmergeable(session, flowFile, e.getMessage());
            return;
        } catch (final RuntimeException e) {
            // The session discards content written by a failed callback, so the FlowFile is still the original.
            getLogger().error("Cannot write golden profiles for {} ({})", flowFile, PiiSafeErrors.describe(e), PiiSafeErrors.redacted(e));
            routeUnchanged(session, flowFile, REL_FAILURE, "Output could not be written with the configured Record Writer: "
                    + (e.getCause() == null ? e.getClass() : e.getCause().getClass()).getSimpleName());
            return;
        }
        transferMerged(session, outcome, input, storedProfiles.size(), resolution, System.nanoTime() - started);
    }

    private void transferMerged(final ProcessSession session, final MergeOutcome outcome, final GroupedInput input,
                                final int storedProfiles, final ProfileSchemaResolver.Resolution resolution, final long nanos) {
        FlowFile flowFile = outcome.flowFile();
        final Map<String, String> attributes = new HashMap<>();
        attributes.put(RECORD_COUNT, String.valueOf(outcome.writeResult().getRecordCount()));
        attributes.put(MIME_TYPE, outcome.mimeType());
        attributes.put(PROFILES_OUT, String.valueOf(input.groups().size()));
        attributes.put(RECORDS_MERGED, String.valueOf(input.recordCount()));
        attributes.put(STORED_PROFILES, String.valueOf(storedProfiles));
        attributes.put(CONFLICTS_RESOLVED, String.valueOf(outcome.conflictsResolved()));
        attributes.put(WRONG_TYPE_VALUES_ATTRIBUTE, String.valueOf(outcome.wrongTypeValues()));
        attributes.put(TYPE_CONFLICTS, String.valueOf(resolution.conflictedFields().size()));
        attributes.putAll(outcome.writeResult().getAttributes());
        flowFile = session.putAllAttributes(flowFile, attributes);
        if (resolution.conflictedFields().isEmpty()) {
            flowFile = session.removeAttribute(flowFile, TYPE_CONFLICT_FIELDS);
        } else {
            flowFile = session.putAttribute(flowFile, TYPE_CONFLICT_FIELDS, String.join(",", resolution.conflictedFields().keySet()));
        }
        flowFile = session.removeAttribute(flowFile, ERROR);

        final long millis = TimeUnit.NANOSECONDS.toMillis(nanos);
        session.getProvenanceReporter().modifyContent(flowFile, "Merged " + input.recordCount() + " records into "
                + input.groups().size() + " profiles (" + storedProfiles + " with a stored profile); "
                + outcome.conflictsResolved() + " conflicts resolved; " + resolution.conflictedFields().size() + " type conflicts", millis);
        session.transfer(flowFile, REL_SUCCESS);
        adjustCounter(session, COUNTER_RECORDS_IN, input.recordCount());
        adjustCounter(session, COUNTER_PROFILES_WRITTEN, input.groups().size());
        adjustCounter(session, COUNTER_STORED_PROFILES_MERGED, storedProfiles);
        adjustCounter(session, COUNTER_CONFLICTS_RESOLVED, outcome.conflictsResolved());
        adjustCounter(session, COUNTER_TYPE_CONFLICTS, resolution.conflictedFields().size());
        adjustCounter(session, COUNTER_WRONG_TYPE_VALUES_SKIPPED, outcome.wrongTypeValues());
        getLogger().debug("Merged {} records into {} profiles for {}", input.recordCount(), input.groups().size(), flowFile);
    }

    /** The records of one customer key and the key as first read (for the lookup). */
    private static final class CustomerGroup {
        private Object rawKey;
        private final List<SourceRecord> records = new ArrayList<>(4);
        /** Keys of customers merged into this one, whose stored profiles are folded in (Retired Customer Key Field). */
        private final Set<String> retiredKeys = new TreeSet<>();
    }

    private record GroupedInput(RecordSchema schema, Map<String, CustomerGroup> groups, int recordCount) {

        /** Customer keys in sorted order, so lookups and output do not depend on the order records arrived in. */
        List<String> sortedKeys() {
            final List<String> keys = new ArrayList<>(groups.keySet());
            keys.sort(null);
            return keys;
        }

        /** Whether any customer folds a retired customer's stored profile in. */
        boolean folds() {
            for (final CustomerGroup group : groups.values()) {
                if (!group.retiredKeys.isEmpty()) {
                    return true;
                }
            }
            return false;
        }

        /**
         * Every key whose stored profile is read, in sorted order, to the key as passed to the lookup: the customers'
         * own keys and the retired keys folded into them.
         */
        Map<String, Object> lookupKeys() {
            final Map<String, Object> keys = new TreeMap<>();
            for (final Map.Entry<String, CustomerGroup> group : groups.entrySet()) {
                keys.put(group.getKey(), group.getValue().rawKey);
                for (final String retired : group.getValue().retiredKeys) {
                    keys.putIfAbsent(retired, retired);
                }
            }
            return keys;
        }
    }

    private record MergeOutcome(FlowFile flowFile, WriteResult writeResult, String mimeType, int conflictsResolved, int wrongTypeValues) {
    }

    private GroupedInput readAndGroup(final Settings config, final ProcessSession session, final FlowFile flowFile)
            throws IOException, MalformedRecordException, SchemaNotFoundException, UnmergeableInputException {
        final Map<String, CustomerGroup> groups = new HashMap<>();
        int recordCount = 0;
        int keyless = 0;
        try (InputStream in = session.read(flowFile);
             RecordReader reader = config.readerFactory().createRecordReader(flowFile, in, getLogger())) {
            final RecordSchema schema = reader.getSchema();
            Record record;
            while ((record = reader.nextRecord()) != null) {
                recordCount++;
                final Object rawKey = keyOf(config, record);
                if (rawKey == null) {
                    keyless++;
                    continue;
                }
                final String retiredKey = retiredKeyOf(config, record);
                final CustomerGroup group = groups.computeIfAbsent(rawKey.toString().trim(), ignored -> new CustomerGroup());
                // Keys of one group may differ in type (42 and "42"); keep a canonical one so the lookup is order-independent.
                if (group.rawKey == null || CanonicalValueComparator.INSTANCE.compare(rawKey, group.rawKey) < 0) {
                    group.rawKey = rawKey;
                }
                if (retiredKey != null) {
                    // A fold instruction, not data: a key merged into itself folds nothing.
                    if (!retiredKey.equals(rawKey.toString().trim())) {
                        group.retiredKeys.add(retiredKey);
                    }
                    continue;
                }
                group.records.add(toSourceRecord(record, config.sourceField(), config.timestampField(),
                        config.fieldTimestampsField(), config.tieBreakOrder(), null, recordCount));
            }
            if (keyless > 0) {
                throw new UnmergeableInputException(keyless + " of " + recordCount + " records have no value at Customer Key Record Path "
                        + config.keyPathText() + "; no profile was merged");
            }
            return new GroupedInput(schema, groups, recordCount);
        }
    }

    /** The retired customer key a record carries (trimmed), or null when it carries none or the field is not configured. */
    private static String retiredKeyOf(final Settings config, final Record record) throws UnmergeableInputException {
        if (config.retiredKeyField() == null) {
            return null;
        }
        final Object value = record.getValue(config.retiredKeyField());
        if (value == null) {
            return null;
        }
        if (value instanceof Record || value instanceof Object[] || value instanceof Map<?, ?>) {
            throw new UnmergeableInputException("A record's '" + config.retiredKeyField() + "' is not a single customer key");
        }
        final String key = value.toString().trim();
        return key.isEmpty() ? null : key;
    }

    private static Object keyOf(final Settings config, final Record record) {
        final Object value;
        if (config.keyField() != null) {
            value = record.getValue(config.keyField());
        } else {
            final List<FieldValue> selected = config.keyPath().evaluate(record).getSelectedFields().toList();
            if (selected.size() != 1) {
                return null;
            }
            value = selected.get(0).getValue();
        }
        if (value == null || value instanceof Record || value instanceof Object[] || value instanceof Map<?, ?>) {
            return null;
        }
        return value.toString().isBlank() ? null : value;
    }

    /**
     * @param sourceOverride source name to use instead of the record's own (for the stored profile), or null
     */
    private static SourceRecord toSourceRecord(final Record record, final String sourceField, final String timestampField,
                                               final String fieldTimestampsField, final TieBreakOrder tieBreakOrder,
                                               final String sourceOverride, final int recordNumber) throws UnmergeableInputException {
        final String source;
        if (sourceOverride != null) {
            source = sourceOverride;
        } else {
            final Object sourceValue = record.getValue(sourceField);
            source = sourceValue == null ? "" : sourceValue.toString();
        }
        final Long recordTimestamp;
        try {
            recordTimestamp = Timestamps.toEpochMillis(record.getValue(timestampField));
        } catch (final IllegalArgumentException e) {
            throw new UnmergeableInputException(describe(recordNumber) + " has a value in '" + timestampField + "' that is not a timestamp");
        }
        final RecordOrigin origin = new RecordOrigin(source, tieBreakOrder.rankOf(source),
                recordTimestamp == null ? RecordOrigin.UNKNOWN_TIMESTAMP : recordTimestamp);
        final Map<String, Long> fieldTimestamps = fieldTimestampsField == null ? Map.of()
                : fieldTimestampsOf(record.getValue(fieldTimestampsField), fieldTimestampsField, recordNumber);
        return new SourceRecord(origin, record.toMap(), fieldTimestamps);
    }

    private static Map<String, Long> fieldTimestampsOf(final Object value, final String fieldTimestampsField, final int recordNumber)
            throws UnmergeableInputException {
        if (value == null) {
            return Map.of();
        }
        final Map<?, ?> entries;
        if (value instanceof Record nested) {
            entries = nested.toMap();
        } else if (value instanceof Map<?, ?> map) {
            entries = map;
        } else {
            throw new UnmergeableInputException(describe(recordNumber) + " has a value in '" + fieldTimestampsField
                    + "' that is not a map of field names to timestamps");
        }
        final Map<String, Long> timestamps = new HashMap<>(entries.size() * 2);
        for (final Map.Entry<?, ?> entry : entries.entrySet()) {
            try {
                final Long timestamp = Timestamps.toEpochMillis(entry.getValue());
                if (timestamp != null) {
                    timestamps.put(String.valueOf(entry.getKey()), timestamp);
                }
            } catch (final IllegalArgumentException e) {
                throw new UnmergeableInputException(describe(recordNumber) + " has a value in '" + fieldTimestampsField + "."
                        + entry.getKey() + "' that is not a timestamp");
            }
        }
        return timestamps;
    }

    private static String describe(final int recordNumber) {
        return recordNumber > 0 ? "Record " + recordNumber : "The stored profile";
    }

    private Map<String, Record> lookUpStoredProfiles(final Settings config, final GroupedInput input, final FlowFile flowFile)
            throws LookupFailureException, UnmergeableInputException {
        if (config.storedReader() != null) {
            return readStoredProfiles(config, input, flowFile);
        }
        if (config.lookupService() == null) {
            return Map.of();
        }
        final Map<String, String> attributes = flowFile.getAttributes();
        final Map<String, Object> lookupKeys = input.lookupKeys();
        final List<String> keys = new ArrayList<>(lookupKeys.keySet());
        final Map<String, Object> found;
        try {
            found = config.lookups().lookUpAll(keys, key -> config.lookupService().lookup(
                    Map.of(config.lookupKey(), lookupKeys.get(key)), attributes).map(Object.class::cast));
        } catch (final ConcurrentLookups.LookupException e) {
            // A service that throws rather than reporting a LookupFailureException is still a failed lookup.
            throw e.getCause() instanceof LookupFailureException failure ? failure : new LookupFailureException(e.getCause());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LookupFailureException(e);
        }
        final Map<String, Record> storedProfiles = new HashMap<>();
        for (final Map.Entry<String, Object> entry : found.entrySet()) {
            if (!(entry.getValue() instanceof Record storedRecord)) {
                throw new UnmergeableInputException("The Stored Profile Lookup Service returned a "
                        + entry.getValue().getClass().getSimpleName() + " instead of a record");
            }
            storedProfiles.put(entry.getKey(), storedRecord);
        }
        return storedProfiles;
    }

    /** The stored profiles of all customers of the FlowFile, one query per chunk; any database failure is a failed lookup (retry). */
    private Map<String, Record> readStoredProfiles(final Settings config, final GroupedInput input, final FlowFile flowFile)
            throws LookupFailureException, UnmergeableInputException {
        // the key as the lookup path passes it (its text), and the customer it belongs to
        final Map<String, String> customerByKey = new HashMap<>();
        for (final Map.Entry<String, Object> key : input.lookupKeys().entrySet()) {
            customerByKey.put(key.getValue().toString(), key.getKey());
        }
        final Map<String, BatchedKeyReader.Row> rows;
        try (Connection connection = config.dbcpService().getConnection(flowFile.getAttributes())) {
            rows = config.storedReader().read(connection, customerByKey.keySet());
        } catch (final BatchedKeyReader.AmbiguousKeyException e) {
            throw new UnmergeableInputException(e.getMessage());
        } catch (final SQLException | RuntimeException e) {
            throw new LookupFailureException(e);
        }
        final StoredRows converter = new StoredRows();
        final Map<String, Record> storedProfiles = new HashMap<>();
        for (final Map.Entry<String, BatchedKeyReader.Row> row : rows.entrySet()) {
            final String customer = customerByKey.get(row.getKey());
            if (customer != null) {
                try {
                    storedProfiles.put(customer, converter.toRecord(row.getValue()));
                } catch (final StoredRows.UnsupportedColumnException e) {
                    throw new UnmergeableInputException(e.getMessage());
                }
            }
        }
        return storedProfiles;
    }

    private MergeOutcome mergeAndWrite(final Settings config, final ProcessSession session, final FlowFile flowFile,
                                       final GroupedInput input, final Map<String, Record> storedProfiles,
                                       final ProfileSchemaResolver.Resolution resolution) throws UnmergeableInputException {
        // Merge everything before writing, so nothing is written when a stored profile is unusable.
        final List<String> keys = input.sortedKeys();
        final List<Record> profiles = new ArrayList<>(keys.size());
        int conflictsResolved = 0;
        int wrongTypeValues = 0;
        // Records of a FlowFile share few distinct timestamps: format each once for lineage.
        final Map<Long, String> isoTimestamps = new HashMap<>();
        for (final String key : keys) {
            final CustomerGroup group = input.groups().get(key);
            final List<SourceRecord> records = group.records;
            final Record stored = storedProfiles.get(key);
            if (stored != null) {
                records.addAll(storedSourceRecords(config, stored));
            }
            final List<String> folded = new ArrayList<>();
            for (final String retired : group.retiredKeys) {
                final Record retiredProfile = storedProfiles.get(retired);
                if (retiredProfile != null) {
                    records.addAll(storedSourceRecords(config, retiredProfile));
                    folded.add(retired);
                }
            }
            if (records.isEmpty()) {
                // Only fold instructions, and no stored profile under any of the keys: nothing to write.
                continue;
            }
            final MergedProfile merged = config.merger().merge(records, resolution.mergeFields());
            conflictsResolved += merged.conflictsResolved();
            wrongTypeValues += merged.wrongTypeValues();
            if (merged.wrongTypeValues() > 0 && config.wrongTypeHandling() == WrongTypeHandling.FAIL) {
                throw new UnmergeableInputException("Field(s) " + merged.wrongTypeFields() + " hold a value of the wrong type for their "
                        + "max or min rule");
            }
            final Record profile = toRecord(merged, resolution, config.lineageField(), isoTimestamps);
            if (!group.retiredKeys.isEmpty()) {
                // The folded profiles carry their own keys: the profile keeps the customer's.
                if (config.keyField() != null) {
                    profile.setValue(config.keyField(), group.rawKey);
                }
                profile.setValue(config.retiredKeyField(), folded.isEmpty() ? null : String.join("|", folded));
            }
            profiles.add(profile);
        }

        final WriteResult[] writeResult = new WriteResult[1];
        final String[] mimeType = new String[1];
        final FlowFile written = session.write(flowFile, (final OutputStream out) -> {
            try {
                final RecordSchema writeSchema = config.writerFactory().getSchema(flowFile.getAttributes(), resolution.schema());
                try (RecordSetWriter writer = config.writerFactory().createWriter(getLogger(), writeSchema, out, flowFile)) {
                    writer.beginRecordSet();
                    for (final Record profile : profiles) {
                        writer.write(profile);
                    }
                    writeResult[0] = writer.finishRecordSet();
                    mimeType[0] = writer.getMimeType();
                }
            } catch (final SchemaNotFoundException e) {
                throw new ProcessException(e);
            }
        });
        return new MergeOutcome(written, writeResult[0], mimeType[0], conflictsResolved, wrongTypeValues);
    }

    /**
     * The stored profile as merge input: one record under the stored-profile source, or, when it carries
     * lineage, one record per original source and timestamp (see {@link Lineage#splitStoredProfile}).
     */
    private static List<SourceRecord> storedSourceRecords(final Settings config, final Record stored) throws UnmergeableInputException {
        final SourceRecord asOne = toSourceRecord(stored, config.sourceField(), config.storedTimestampField(), config.fieldTimestampsField(),
                config.tieBreakOrder(), config.storedSourceName(), 0);
        final Object lineageValue = config.lineageField() == null ? null : stored.getValue(config.lineageField());
        if (lineageValue == null || lineageValue.toString().isBlank()) {
            return List.of(asOne);
        }
        final Map<String, Lineage.Entry> lineage;
        try {
            lineage = Lineage.parse(lineageValue.toString());
        } catch (final IllegalArgumentException e) {
            throw new UnmergeableInputException("The stored profile's '" + config.lineageField() + "' is not lineage as ProfileMerge writes it");
        }
        return Lineage.splitStoredProfile(asOne, lineage, config.tieBreakOrder());
    }

    private static Record toRecord(final MergedProfile merged, final ProfileSchemaResolver.Resolution resolution, final String lineageField,
                                   final Map<Long, String> isoTimestamps) {
        final Map<String, Object> values = new HashMap<>(resolution.mergeFields().size() * 2);
        for (final Map.Entry<String, MergedValue> entry : merged.values().entrySet()) {
            final String field = entry.getKey();
            Object value = entry.getValue().value();
            final DataType conflictType = resolution.conflictedFields().isEmpty() ? null : resolution.conflictedFields().get(field);
            if (conflictType != null && value != null) {
                value = DataTypeUtils.convertType(value, conflictType, field);
            }
            values.put(field, value);
        }
        if (lineageField != null) {
            values.put(lineageField, Lineage.toJson(merged.values(), isoTimestamps));
        }
        return new MapRecord(resolution.schema(), values);
    }

    private void rejectUnmergeable(final ProcessSession session, final FlowFile flowFile, final String reason) {
        getLogger().error("Cannot merge {}: {}", flowFile, reason);
        routeUnchanged(session, flowFile, REL_FAILURE, reason);
    }

    private static void routeUnchanged(final ProcessSession session, final FlowFile flowFile, final Relationship relationship, final String error) {
        FlowFile routed = session.putAttribute(flowFile, ERROR, error);
        routed = session.penalize(routed);
        session.transfer(routed, relationship);
        session.adjustCounter(COUNTER_ROUTED_PREFIX + relationship.getName(), 1, false);
    }

    /** Only counts that happened: a counter that never moved stays out of the Counters table. */
    private static void adjustCounter(final ProcessSession session, final String name, final int delta) {
        if (delta > 0) {
            session.adjustCounter(name, delta, false);
        }
    }
}
