package io.datasync.nifi.processors.dedup;

import io.datasync.nifi.identity.JdbcIdentityStore;
import io.datasync.nifi.processors.common.DatabaseStoreProperties;
import io.datasync.nifi.processors.common.DescribedEnum.Described;
import io.datasync.nifi.processors.common.DescribedEnum;
import io.datasync.nifi.processors.common.RecordPathListValidator;
import io.datasync.nifi.processors.common.RecordServiceProperties;
import io.datasync.nifi.processors.common.RecordsHeldInMemory;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationContext;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.components.Validator;
import org.apache.nifi.distributed.cache.client.DistributedMapCacheClient;
import io.datasync.nifi.processors.common.IdentityMatchingDescriptors;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.util.StandardValidators;
import org.apache.nifi.record.path.RecordPath;
import org.apache.nifi.record.path.exception.RecordPathException;
import org.apache.nifi.record.path.validation.RecordPathValidator;
import java.util.List;
import java.util.Set;

/**
 * What {@link io.datasync.nifi.processors.CustomerDedup} offers in the UI: the attributes it writes, its counters, the schema of its 'merges'
 * records, its property descriptors with their allowable values and validators, and its relationships. Kept apart
 * from the processor so that the processor class reads as the wiring of NiFi to the plain-Java classes of
 * {@code io.datasync.nifi.identity}.
 */
public abstract class CustomerDedupDescriptors extends IdentityMatchingDescriptors {

    /** What a match rule without a path is told. */
    public static final String MATCH_RULE_NEEDS_A_PATH = "a match rule needs at least one RecordPath";

    public static final String RECORD_COUNT_IN = "dedup.record.count";
    public static final String CUSTOMER_COUNT = "dedup.customer.count";
    public static final String DUPLICATE_COUNT = "dedup.duplicate.count";
    public static final String MERGE_COUNT = "dedup.merge.count";

    /** NiFi counters; names carry no record data. */
    static final String COUNTER_RECORDS = "CustomerDedup records processed";
    static final String COUNTER_NEW_CUSTOMERS = "CustomerDedup new customers";
    static final String COUNTER_DUPLICATES_LINKED = "CustomerDedup duplicates linked";
    static final String COUNTER_MERGES = "CustomerDedup merges";
    static final String COUNTER_PLACEHOLDERS_BLOCKED = "CustomerDedup placeholder values blocked";
    static final String COUNTER_OVER_LIMIT_KEYS = "CustomerDedup over-limit keys";
    static final String COUNTER_OVERSIZED_KEYS = "CustomerDedup keys shared by too many records";
    static final String COUNTER_SUSPECT_RECORDS = "CustomerDedup suspect records";
    public static final String MERGED_IDS = "dedup.merged.ids";
    public static final String SUSPECT_COUNT = "dedup.suspect.count";
    public static final String OVER_LIMIT_KEY_COUNT = "dedup.overlimit.key.count";
    public static final String ERROR_ATTRIBUTE = "dedup.error";

    public enum OutputMode implements DescribedEnum {
        ANNOTATE("Annotate", "Every record gets its customer id and duplicate flag; all records go to success."),
        ROUTE("Route", "The first record of each customer goes to unique, every later record of the same customer to duplicate."),
        COLLAPSE("Collapse", "Only one surviving record per customer goes to success, chosen by the Survivor Strategy.");

        private final Described described;

        OutputMode(final String displayName, final String description) {
            this.described = new Described(displayName, description);
        }

        @Override
        public Described described() {
            return described;
        }
    }

    public enum SurvivorStrategy implements DescribedEnum {
        LATEST_TIMESTAMP("Latest Timestamp", "The record with the latest value at the Timestamp Record Path survives; records without one lose."),
        MOST_COMPLETE("Most Complete", "The record with the most filled (non-null, non-blank) top-level fields survives."),
        FIRST_SEEN("First Seen", "The customer's first record in the FlowFile survives.");

        private final Described described;

        SurvivorStrategy(final String displayName, final String description) {
            this.described = new Described(displayName, description);
        }

        @Override
        public Described described() {
            return described;
        }
    }

    public enum IdentityStoreType implements DescribedEnum {
        DISTRIBUTED_MAP_CACHE("Distributed Map Cache", "The identity index is kept in the Distributed Map Cache Client's server (or, "
                + "without a client, customers are resolved within each FlowFile only)."),
        DATABASE("Database", "The identity index is a database table reached through the Identity Connection Pool: one row per "
                + "identifier hash (its primary key) naming the customer id, claimed with INSERT ... ON CONFLICT DO NOTHING and read "
                + "back, so every node of a cluster agrees on one id without a cache server. PostgreSQL (or SQLite) syntax.");

        private final Described described;

        IdentityStoreType(final String displayName, final String description) {
            this.described = new Described(displayName, description);
        }

        @Override
        public Described described() {
            return described;
        }
    }

    public static final PropertyDescriptor RECORD_READER = RecordServiceProperties.reader("Reads the incoming records.");

    public static final PropertyDescriptor RECORD_WRITER = RecordServiceProperties.writer("Writes the outgoing records and the merge records.");

    public static final PropertyDescriptor OUTPUT_MODE = new PropertyDescriptor.Builder()
            .name("Output Mode")
            .description("What happens to the records once their customers are known.")
            .allowableValues(OutputMode.class)
            .defaultValue(OutputMode.ANNOTATE)
            .required(true)
            .build();

    public static final PropertyDescriptor SURVIVOR_STRATEGY = new PropertyDescriptor.Builder()
            .name("Survivor Strategy")
            .description("Which record of a customer is kept in Collapse mode. Ties go to the record seen first.")
            .allowableValues(SurvivorStrategy.class)
            .defaultValue(SurvivorStrategy.MOST_COMPLETE)
            .required(true)
            .dependsOn(OUTPUT_MODE, OutputMode.COLLAPSE)
            .build();

    public static final PropertyDescriptor TIMESTAMP_RECORD_PATH = new PropertyDescriptor.Builder()
            .name("Timestamp Record Path")
            .description("RecordPath of the last-updated timestamp (a timestamp, epoch milliseconds or an ISO-8601 string).")
            .addValidator(new RecordPathValidator())
            .required(true)
            .dependsOn(SURVIVOR_STRATEGY, SurvivorStrategy.LATEST_TIMESTAMP)
            .build();

    public static final PropertyDescriptor PHONE_REGION_RECORD_PATH = new PropertyDescriptor.Builder()
            .name("Phone Region Record Path")
            .description("RecordPath of the record's country, in which its phone numbers written without a country code are read. "
                    + "Accepts ISO 3166-1 codes (DE, DEU), ISO 3166-2 subdivision codes (US-CA), UK, and country names in English, "
                    + "German, French, Spanish, Portuguese, Italian and Dutch (Germany, Deutschland, Brasil); a missing or unknown "
                    + "country falls back to the Default Phone Region. Numbers written with a country code are read as written.")
            .addValidator(new RecordPathValidator())
            .required(false)
            .dependsOn(PHONE_RECORD_PATHS)
            .build();

    public static final PropertyDescriptor TEXT_RECORD_PATHS = new PropertyDescriptor.Builder()
            .name("Text Record Paths")
            .description("Comma-separated RecordPaths, written exactly as in the match rules, whose values are free text such as "
                    + "names or postcodes: Unicode NFKC, case-folded, whitespace trimmed and collapsed. RecordPaths listed in "
                    + "none of the normaliser properties are compared exactly as they are.")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .required(false)
            .build();

    public static final PropertyDescriptor REMOVE_ACCENTS = new PropertyDescriptor.Builder()
            .name("Remove Accents")
            .description("Whether text values also lose their accents (Müller and Muller match).")
            .allowableValues("true", "false")
            .defaultValue("false")
            .required(true)
            .dependsOn(TEXT_RECORD_PATHS)
            .build();

    public static final PropertyDescriptor EXISTING_ID_RECORD_PATH = new PropertyDescriptor.Builder()
            .name("Existing Customer ID Record Path")
            .description("RecordPath of a customer id the record may already carry. Records carrying the same id are the same customer, "
                    + "and a present id is used instead of a new one. Without it, new customers get an id derived from their keys.")
            .addValidator(new RecordPathValidator())
            .required(false)
            .build();

    public static final PropertyDescriptor RECORD_ID_RECORD_PATHS = new PropertyDescriptor.Builder()
            .name("Record ID Record Paths")
            .description("Comma-separated RecordPaths whose values together identify a record in its source, for example /source, "
                    + "/source_id. A record without any usable key gets an id derived from these values when all are present, "
                    + "otherwise from a hash of its content (see the additional details): never a random id.")
            .addValidator(new RecordPathListValidator(MATCH_RULE_NEEDS_A_PATH))
            .required(false)
            .build();

    public static final PropertyDescriptor CUSTOMER_ID_FIELD = new PropertyDescriptor.Builder()
            .name("Customer ID Field")
            .description("Top-level field that receives the customer id; added to the schema when missing.")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .defaultValue("customer_id")
            .required(true)
            .build();

    public static final PropertyDescriptor DUPLICATE_FLAG_FIELD = new PropertyDescriptor.Builder()
            .name("Duplicate Flag Field")
            .description("Top-level boolean field set to true on every record that is not its customer's first record in the FlowFile.")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .defaultValue("is_duplicate")
            .required(true)
            .build();

    public static final PropertyDescriptor SUSPECT_FLAG_FIELD = new PropertyDescriptor.Builder()
            .name("Suspect Flag Field")
            .description("Top-level boolean field set to true on records carrying a key shared by more records than the Maximum Cluster Size.")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .defaultValue("dedup_suspect")
            .required(true)
            .build();

    public static final PropertyDescriptor NORMALIZED_PHONE_FIELD = new PropertyDescriptor.Builder()
            .name("Normalized Phone Field")
            .description("Top-level field that receives the record's phone in E.164, decided exactly as for matching: the first value of "
                    + "the Phone Record Paths that normalises in the record's region (Phone Region Record Path, else Default Phone "
                    + "Region), passes Phone Number Acceptance and is not a Blocked Value; null when none does. May name the phone "
                    + "field itself (for example phone) to overwrite it. Requires Phone Record Paths and Unnormalized Phone Field. "
                    + "Unset: phone values are written as they came.")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .required(false)
            .build();

    public static final PropertyDescriptor UNNORMALIZED_PHONE_FIELD = new PropertyDescriptor.Builder()
            .name("Unnormalized Phone Field")
            .description("Top-level field that receives the record's first phone value exactly as written when the record has phone values "
                    + "but none could be normalised (unparseable, impossible for its country, or a Blocked Value such as 000000): the "
                    + "value is kept, apart from the normalised phone, and was never used as a key. Null otherwise. Required with "
                    + "Normalized Phone Field.")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .required(false)
            .build();

    public static final PropertyDescriptor RECORDS_HELD_IN_MEMORY = RecordsHeldInMemory.descriptor(
            "A FlowFile with at most this many records is read once: its parsed records are kept from the first pass "
                    + "and written in the second without reading the content again. Larger FlowFiles are read twice, keeping only "
                    + "key hashes in memory.");

    public static final PropertyDescriptor IDENTITY_STORE_TYPE = new PropertyDescriptor.Builder()
            .name("Identity Store Type")
            .description("Where the identity index shared across FlowFiles and cluster nodes (key hashes to customer ids) is kept: "
                    + "a Distributed Map Cache, or a database table.")
            .allowableValues(IdentityStoreType.class)
            .defaultValue(IdentityStoreType.DISTRIBUTED_MAP_CACHE)
            .required(true)
            .build();

    public static final PropertyDescriptor MAP_CACHE_CLIENT = new PropertyDescriptor.Builder()
            .name("Distributed Map Cache Client")
            .description("Optional identity index shared across FlowFiles and cluster nodes: key hashes to customer ids. Without it, "
                    + "customers are resolved within each FlowFile only and new ids are not stable across FlowFiles.")
            .identifiesControllerService(DistributedMapCacheClient.class)
            .required(false)
            .dependsOn(IDENTITY_STORE_TYPE, IdentityStoreType.DISTRIBUTED_MAP_CACHE)
            .build();

    private static final DatabaseStoreProperties DATABASE_STORE = new DatabaseStoreProperties(IDENTITY_STORE_TYPE, IdentityStoreType.DATABASE);

    public static final PropertyDescriptor IDENTITY_DBCP_SERVICE = DATABASE_STORE.connectionPool("Identity Connection Pool",
            "Database Connection Pooling Service of the database holding the identity table. A connection or statement failure "
                    + "routes the FlowFile to failure, unchanged, like a cache failure.");

    public static final PropertyDescriptor IDENTITY_TABLE = DATABASE_STORE.tableName("Identity Table Name",
            "Table (optionally schema.name) with the columns " + JdbcIdentityStore.KEY_COLUMN + " (text, the primary key) and "
                    + JdbcIdentityStore.VALUE_COLUMN + " (text): see the additional details for its DDL. A plain SQL identifier.");

    public static final PropertyDescriptor IDENTITY_BATCH_SIZE = DATABASE_STORE.batchSize("Identity Batch Size",
            "How many keys one read of the identity table asks for (the size of its IN list of parameters).");

    public static final PropertyDescriptor IDENTITY_QUERY_TIMEOUT = DATABASE_STORE.queryTimeout("Identity Query Timeout",
            "The longest one statement on the identity table may run before it is cancelled and the FlowFile goes to failure "
                    + "(at most 1 hour; 0 sec: no limit). Whole seconds.");

    public static final PropertyDescriptor IDENTITY_NAMESPACE = new PropertyDescriptor.Builder()
            .name("Identity Namespace")
            .description("Hashed into every key, so several independent identity indexes can share one cache. Processors that must "
                    + "agree on customer ids use the same namespace and the same rule names.")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .defaultValue("customer")
            .required(true)
            .build();

    public static final PropertyDescriptor IDENTITY_HASH_KEY = new PropertyDescriptor.Builder()
            .name("Identity Hash Key")
            .description("Secret key of the HMAC-SHA256 that turns match keys into the hashes kept in memory and in the cache, and "
                    + "from which new customer ids are derived. Without it the hashes are plain SHA-256, which anyone who reads the "
                    + "cache can recompute from a guessed e-mail address or phone number. Use at least 32 random characters. A "
                    + "different key is a new identity namespace: see the additional details before changing it.")
            .addValidator(StandardValidators.NON_EMPTY_VALIDATOR)
            .sensitive(true)
            .required(false)
            .build();

    public static final Relationship REL_SUCCESS = new Relationship.Builder()
            .name("success")
            .description("Annotate and Collapse modes: the records with their customer ids.")
            .build();

    public static final Relationship REL_UNIQUE = new Relationship.Builder()
            .name("unique")
            .description("Route mode: the first record of each customer.")
            .build();

    public static final Relationship REL_DUPLICATE = new Relationship.Builder()
            .name("duplicate")
            .description("Route mode: every record after its customer's first, with the customer id.")
            .build();

    public static final Relationship REL_MERGES = new Relationship.Builder()
            .name("merges")
            .description("One record per customer id merged into another: old_customer_id, surviving_customer_id, reason. "
                    + "Emitted only when a FlowFile links existing ids.")
            .build();

    public static final Relationship REL_FAILURE = new Relationship.Builder()
            .name("failure")
            .description("FlowFiles whose records cannot be read or written, or whose ids could not be resolved because the cache "
                    + "failed; unchanged and penalised, with the reason in " + ERROR_ATTRIBUTE + ".")
            .build();

    protected static final List<PropertyDescriptor> PROPERTIES = List.of(
            RECORD_READER, RECORD_WRITER, OUTPUT_MODE, SURVIVOR_STRATEGY, TIMESTAMP_RECORD_PATH,
            EMAIL_RECORD_PATHS, GMAIL_RULES, PHONE_RECORD_PATHS, DEFAULT_PHONE_REGION, PHONE_REGION_RECORD_PATH, PHONE_ACCEPTANCE,
            TEXT_RECORD_PATHS, REMOVE_ACCENTS, BLOCKED_VALUES, MAX_CLUSTER_SIZE, EXISTING_ID_RECORD_PATH, RECORD_ID_RECORD_PATHS,
            CUSTOMER_ID_FIELD, DUPLICATE_FLAG_FIELD, SUSPECT_FLAG_FIELD, NORMALIZED_PHONE_FIELD, UNNORMALIZED_PHONE_FIELD, RECORDS_HELD_IN_MEMORY, IDENTITY_STORE_TYPE, MAP_CACHE_CLIENT,
            IDENTITY_DBCP_SERVICE, IDENTITY_TABLE, IDENTITY_BATCH_SIZE, IDENTITY_QUERY_TIMEOUT, IDENTITY_NAMESPACE,
            IDENTITY_HASH_KEY);

    protected static final Set<Relationship> SINGLE_OUTPUT_RELATIONSHIPS = Set.of(REL_SUCCESS, REL_MERGES, REL_FAILURE);
    protected static final Set<Relationship> ROUTE_RELATIONSHIPS = Set.of(REL_UNIQUE, REL_DUPLICATE, REL_MERGES, REL_FAILURE);
}
