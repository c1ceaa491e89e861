package io.datasync.nifi.processors.profilemerge;

import io.datasync.nifi.merge.SurvivorshipRules;
import io.datasync.nifi.processors.common.DatabaseStoreProperties;
import io.datasync.nifi.processors.common.DescribedEnum.Described;
import io.datasync.nifi.processors.common.DescribedEnum;
import io.datasync.nifi.processors.common.RecordServiceProperties;
import io.datasync.nifi.processors.common.ConsentValueLists;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Set;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.components.Validator;
import org.apache.nifi.lookup.LookupService;
import org.apache.nifi.processor.AbstractProcessor;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.util.StandardValidators;
import org.apache.nifi.record.path.validation.RecordPathValidator;

/**
 * What {@link io.datasync.nifi.processors.ProfileMerge} offers in the UI: the attributes it writes, its counters, its property descriptors with
 * their allowable values and validators, and its relationships. Kept apart from the processor so that the processor
 * class reads as the wiring of NiFi to the plain-Java classes of {@code io.datasync.nifi.merge}.
 */
public abstract class ProfileMergeDescriptors extends AbstractProcessor {
    public static final String RECORD_COUNT = "record.count";
    public static final String MIME_TYPE = "mime.type";
    public static final String PROFILES_OUT = "profilemerge.profiles";
    public static final String RECORDS_MERGED = "profilemerge.records.merged";
    public static final String STORED_PROFILES = "profilemerge.stored.profiles";
    public static final String CONFLICTS_RESOLVED = "profilemerge.conflicts.resolved";
    public static final String TYPE_CONFLICTS = "profilemerge.type.conflicts";
    public static final String TYPE_CONFLICT_FIELDS = "profilemerge.type.conflict.fields";
    public static final String ERROR = "profilemerge.error";
    public static final String WRONG_TYPE_VALUES_ATTRIBUTE = "profilemerge.wrong.type.values";
    public static final String NEWEST_TIMESTAMP = "profilemerge.newest.timestamp";
    /** How {@link #NEWEST_TIMESTAMP} is written: UTC, always with milliseconds, so one Timestamp Format reads every value. */
    public static final DateTimeFormatter NEWEST_TIMESTAMP_FORMAT = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    /** NiFi counters, adjusted in the session that transfers the FlowFile; names carry no record data. */
    protected static final String COUNTER_RECORDS_IN = "ProfileMerge records in";
    protected static final String COUNTER_PROFILES_WRITTEN = "ProfileMerge profiles written";
    protected static final String COUNTER_STORED_PROFILES_MERGED = "ProfileMerge merges with a stored profile";
    protected static final String COUNTER_CONFLICTS_RESOLVED = "ProfileMerge conflicts resolved";
    protected static final String COUNTER_TYPE_CONFLICTS = "ProfileMerge type conflicts";
    protected static final String COUNTER_WRONG_TYPE_VALUES_SKIPPED = "ProfileMerge wrong-type values skipped";
    protected static final String COUNTER_ROUTED_PREFIX = "ProfileMerge FlowFiles routed to ";

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


    protected static final Validator RULE_VALIDATOR = (subject, input, context) -> {
        try {
            SurvivorshipRules.parse(input);
            return new ValidationResult.Builder().subject(subject).input(input).valid(true).build();
        } catch (final IllegalArgumentException e) {
            return new ValidationResult.Builder().subject(subject).input(input).valid(false).explanation(e.getMessage()).build();
        }
    };

    public static final PropertyDescriptor RECORD_READER = RecordServiceProperties.reader("Reads the incoming records (partial customer updates from any number of sources).");

    public static final PropertyDescriptor RECORD_WRITER = RecordServiceProperties.writer("Writes the golden profiles, one record per customer key.");

    public static final PropertyDescriptor CUSTOMER_KEY_PATH = new PropertyDescriptor.Builder()
            .name("Customer Key Record Path")
            .description("RecordPath to the customer key that groups records into one profile. It must select exactly one "
                    + "non-blank scalar value in every record; a FlowFile with any record without one goes to failure whole.")
            .required(true)
            .defaultValue("/customer_id")
            .addValidator(new RecordPathValidator())
            .build();

    public static final PropertyDescriptor SOURCE_FIELD = new PropertyDescriptor.Builder()
            .name("Source Field")
            .description("Top-level field naming the system a record came from (e.g. crm, shop, web). Used by source_priority, "
                    + "the tie-break and lineage. A record without it has the empty source name.")
            .required(true)
            .defaultValue("source")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    public static final PropertyDescriptor TIMESTAMP_FIELD = new PropertyDescriptor.Builder()
            .name("Record Timestamp Field")
            .description("Top-level field holding when the record's data was current: epoch milliseconds, or ISO-8601 text "
                    + "(2024-05-01T10:00:00Z; without an offset it is read as UTC). A record without it counts as the oldest; "
                    + "a value that is not a timestamp sends the FlowFile to failure.")
            .required(true)
            .defaultValue("updated_at")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    public static final PropertyDescriptor FIELD_TIMESTAMPS_FIELD = new PropertyDescriptor.Builder()
            .name("Field Timestamps Field")
            .description("Optional top-level field holding per-field timestamps: a record or map from field name to timestamp, "
                    + "e.g. {\"email\": \"2024-05-03T09:00:00Z\"}. A field listed there is dated by that timestamp instead of the "
                    + "record timestamp. This field is metadata: it is not written to the output.")
            .required(false)
            .defaultValue("field_updated_at")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    public static final PropertyDescriptor DEFAULT_RULE = new PropertyDescriptor.Builder()
            .name("Default Rule")
            .description("Survivorship rule for every field that has no dynamic property of its own.")
            .required(true)
            .allowableValues(MergeRule.class)
            .defaultValue(MergeRule.LATEST_NON_EMPTY)
            .build();

    public static final PropertyDescriptor TIE_BREAK_SOURCES = new PropertyDescriptor.Builder()
            .name("Tie-Break Source Order")
            .description("Comma-separated source names. When a rule cannot separate candidates (equal timestamps), the source "
                    + "listed first wins; unlisted sources come after listed ones. Remaining ties go to the smaller value in "
                    + "canonical order, then to the alphabetically smaller source name.")
            .required(false)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    public enum StoredProfileStoreType implements DescribedEnum {
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

    public static final PropertyDescriptor STORE_TYPE = new PropertyDescriptor.Builder()
            .name("Stored Profile Store Type")
            .description("How stored profiles are read: through a lookup service (one lookup per customer), or from a database table or view "
                    + "(one query per Stored Profile Batch Size customers).")
            .required(true)
            .allowableValues(StoredProfileStoreType.class)
            .defaultValue(StoredProfileStoreType.LOOKUP_SERVICE)
            .build();

    private static final DatabaseStoreProperties DATABASE_STORE = new DatabaseStoreProperties(STORE_TYPE, StoredProfileStoreType.DATABASE);

    public static final PropertyDescriptor DBCP_SERVICE = DATABASE_STORE.connectionPool("Stored Profile Connection Pool",
            "Database Connection Pooling Service of the database holding the stored profiles. A connection or query failure "
                    + "sends the FlowFile to retry.");

    public static final PropertyDescriptor STORED_TABLE = DATABASE_STORE.tableName("Stored Profile Table Name",
            "Table or view (optionally schema.name) with one row per customer, e.g. customer_profiles_lookup. A plain SQL "
                    + "identifier. Its columns become the stored profile's fields, typed from their SQL types.");

    public static final PropertyDescriptor STORED_KEY_COLUMN = DATABASE_STORE.keyColumn("Stored Profile Key Column",
            "Column compared with the customer keys (bound as text parameters: make it text, casting in a view if needed).", "customer_id");

    public static final PropertyDescriptor STORED_BATCH_SIZE = DATABASE_STORE.batchSize("Stored Profile Batch Size",
            "How many customers one query asks for (the size of its IN list of parameters).");

    public static final PropertyDescriptor STORED_QUERY_TIMEOUT = DATABASE_STORE.queryTimeout("Stored Profile Query Timeout",
            "The longest one stored profile query may run before it is cancelled and the FlowFile goes to retry (at most 1 hour; "
                    + "0 sec: no limit). Whole seconds.");

    public static final PropertyDescriptor LOOKUP_SERVICE = new PropertyDescriptor.Builder()
            .name("Stored Profile Lookup Service")
            .description("Optional LookupService returning the customer's current stored profile as a record (e.g. a "
                    + "DatabaseRecordLookupService on the profiles table). The stored profile takes part in the merge as one more "
                    + "record, so the output is the complete profile. A lookup failure sends the FlowFile to retry.")
            .required(false)
            .identifiesControllerService(LookupService.class)
                .dependsOn(STORE_TYPE, StoredProfileStoreType.LOOKUP_SERVICE)
            .build();

    public static final PropertyDescriptor LOOKUP_KEY = new PropertyDescriptor.Builder()
            .name("Stored Profile Lookup Key")
            .description("Name of the lookup coordinate that receives the customer key (DatabaseRecordLookupService expects 'key').")
            .required(true)
            .defaultValue("key")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(LOOKUP_SERVICE)
            .build();

    public static final PropertyDescriptor CONCURRENT_LOOKUPS = new PropertyDescriptor.Builder()
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

    public static final PropertyDescriptor STORED_SOURCE_NAME = new PropertyDescriptor.Builder()
            .name("Stored Profile Source Name")
            .description("Source name under which the stored profile's values compete (in source_priority lists, the tie-break "
                    + "order and lineage).")
            .required(true)
            .defaultValue("stored_profile")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    public static final PropertyDescriptor STORED_TIMESTAMP_FIELD = new PropertyDescriptor.Builder()
            .name("Stored Profile Timestamp Field")
            .description("Field of the stored profile holding when it was last updated; its values compete with that timestamp. "
                    + "Without it, stored values count as the oldest.")
            .required(true)
            .defaultValue("updated_at")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    public static final PropertyDescriptor LINEAGE_FIELD = new PropertyDescriptor.Builder()
            .name("Lineage Field")
            .description("Optional output field to write lineage into: a JSON object mapping each field to the source and "
                    + "timestamp of its surviving value, e.g. {\"email\":{\"source\":\"web\",\"timestamp\":\"2024-05-03T09:00:00Z\"}}. "
                    + "When the stored profile carries this field too, each stored value competes under its original source and "
                    + "timestamp, which makes the result independent of the order in which FlowFiles are merged into it.")
            .required(false)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    public static final PropertyDescriptor LIST_DELIMITER = new PropertyDescriptor.Builder()
            .name("List Delimiter")
            .description("Optional. When set, every field whose rule is union is written as one text value, its elements (sorted, "
                    + "without repeats) joined with this delimiter, and declared a string in the output schema; a union with no "
                    + "element is written as null. For a database column of text (the templates' customer_profiles.tags holds "
                    + "'|'-joined sets), so no UpdateRecord has to join the array before the write. An element that holds the "
                    + "delimiter itself is written as it is: choose a delimiter the values never contain. Unset: arrays.")
            .required(false)
            .addValidator(StandardValidators.NON_EMPTY_VALIDATOR)
            .build();

    public static final PropertyDescriptor RETIRED_KEY_FIELD = new PropertyDescriptor.Builder()
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

    public static final PropertyDescriptor WRONG_TYPE_VALUES = new PropertyDescriptor.Builder()
            .name("Wrong-Type Values")
            .description("What happens to a value of the wrong type for a max or min rule: text that is not a number in a field "
                    + "where another record has a number, or anything but a date in a field of dates. It never wins the rule.")
            .required(true)
            .allowableValues(WrongTypeHandling.class)
            .defaultValue(WrongTypeHandling.SKIP)
            .build();

    public static final Relationship REL_SUCCESS = new Relationship.Builder()
            .name("success")
            .description("The FlowFile with its records replaced by one golden profile per customer key")
            .build();

    public static final Relationship REL_FAILURE = new Relationship.Builder()
            .name("failure")
            .description("FlowFiles that cannot be merged (unreadable, records without a key, bad timestamps, irreconcilable "
                    + "types), unchanged, with the reason in " + ERROR)
            .build();

    public static final Relationship REL_RETRY = new Relationship.Builder()
            .name("retry")
            .description("FlowFiles whose stored profiles could not be looked up, unchanged and penalized; retrying may succeed")
            .build();

    protected static final List<PropertyDescriptor> PROPERTIES = List.of(
            RECORD_READER, RECORD_WRITER, CUSTOMER_KEY_PATH, SOURCE_FIELD, TIMESTAMP_FIELD, FIELD_TIMESTAMPS_FIELD,
            DEFAULT_RULE, TIE_BREAK_SOURCES, STORE_TYPE, LOOKUP_SERVICE, LOOKUP_KEY, CONCURRENT_LOOKUPS,
            DBCP_SERVICE, STORED_TABLE, STORED_KEY_COLUMN, STORED_BATCH_SIZE, STORED_QUERY_TIMEOUT, STORED_SOURCE_NAME, STORED_TIMESTAMP_FIELD, LINEAGE_FIELD,
            LIST_DELIMITER, RETIRED_KEY_FIELD, WRONG_TYPE_VALUES, ConsentValueLists.GRANT_VALUES, ConsentValueLists.DENIAL_VALUES, ConsentValueLists.WITHDRAWAL_VALUES,
            ConsentValueLists.NO_DECISION_VALUES);

    protected static final Set<Relationship> RELATIONSHIPS = Set.of(REL_SUCCESS, REL_FAILURE, REL_RETRY);
}
