package io.datasync.nifi.processors;

import io.datasync.nifi.identity.BlockedValues;
import io.datasync.nifi.identity.Clusters;
import io.datasync.nifi.identity.CustomerAssignment;
import io.datasync.nifi.identity.CustomerIds;
import io.datasync.nifi.identity.EmailNormalizer;
import io.datasync.nifi.identity.HeldRecordsBudget;
import io.datasync.nifi.identity.IdentityGraph;
import io.datasync.nifi.identity.IdentityMerge;
import io.datasync.nifi.identity.IdentityResolver;
import io.datasync.nifi.identity.IdentityStore;
import io.datasync.nifi.identity.JdbcIdentityStore;
import io.datasync.nifi.identity.KeyHash;
import io.datasync.nifi.identity.KeyHasher;
import io.datasync.nifi.identity.NoneNormalizer;
import io.datasync.nifi.identity.Normalizer;
import io.datasync.nifi.identity.PathListSplitter;
import io.datasync.nifi.identity.PhoneNormalizer;
import io.datasync.nifi.identity.SurvivorScores;
import io.datasync.nifi.identity.TextNormalizer;
import io.datasync.nifi.processors.common.DatabaseStoreProperties;
import io.datasync.nifi.processors.common.DescribedEnum;
import io.datasync.nifi.processors.common.DescribedEnum.Described;
import io.datasync.nifi.processors.common.PiiSafeErrors;
import org.apache.nifi.annotation.behavior.DynamicProperty;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.InputRequirement.Requirement;
import org.apache.nifi.annotation.behavior.SystemResource;
import org.apache.nifi.annotation.behavior.SystemResourceConsideration;
import org.apache.nifi.annotation.behavior.WritesAttribute;
import org.apache.nifi.annotation.behavior.WritesAttributes;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.SeeAlso;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.annotation.documentation.UseCase;
import org.apache.nifi.annotation.lifecycle.OnScheduled;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationContext;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.components.Validator;
import org.apache.nifi.dbcp.DBCPService;
import org.apache.nifi.distributed.cache.client.DistributedMapCacheClient;
import org.apache.nifi.expression.ExpressionLanguageScope;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.flowfile.attributes.CoreAttributes;
import org.apache.nifi.processor.AbstractProcessor;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.processor.util.StandardValidators;
import org.apache.nifi.record.path.RecordPath;
import org.apache.nifi.record.path.exception.RecordPathException;
import org.apache.nifi.record.path.validation.RecordPathValidator;
import org.apache.nifi.schema.access.SchemaNotFoundException;
import org.apache.nifi.serialization.MalformedRecordException;
import org.apache.nifi.serialization.RecordReader;
import org.apache.nifi.serialization.RecordReaderFactory;
import org.apache.nifi.serialization.RecordSetWriter;
import org.apache.nifi.serialization.RecordSetWriterFactory;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.WriteResult;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.serialization.record.RecordSchema;
import org.apache.nifi.serialization.record.util.IllegalTypeConversionException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

@Tags({"record", "deduplicate", "dedupe", "identity", "identity resolution", "customer", "match", "merge", "crm", "email", "phone"})
@CapabilityDescription("Resolves which records describe the same customer and stamps each record with a stable customer id. "
        + "Match rules (dynamic properties) name one or more RecordPaths whose normalised values form a key; records sharing "
        + "any key are the same customer, transitively. E-mail, phone (E.164) and text normalisers apply per RecordPath; "
        + "phone numbers without a country code are read in the record's own country when a Phone Region Record Path is set, "
        + "and the phone that was a key can be written back in E.164 (Normalised Phone Field), with a phone that could not be "
        + "normalised kept as written in the Unnormalised Phone Field; "
        + "blocked placeholder values and a maximum cluster size (within a FlowFile and, through the cache, across FlowFiles) "
        + "keep bad data from linking strangers. New customers get ids derived from their keys (or, without a key, from the "
        + "record's source id or content), so the same data gets the same ids on every run. With a Distributed "
        + "Map Cache Client, or with Identity Store Type Database (a table whose primary key is the key hash, through a "
        + "Database Connection Pooling Service), HMAC-SHA256 hashes of the keys under the Identity Hash Key (never the raw values) map to customer "
        + "ids across FlowFiles and cluster nodes, claimed with atomic put-if-absent; when a FlowFile links two known ids, the "
        + "lexicographically smallest survives and the merge is reported. Records are annotated (to success), routed (to unique and duplicate, "
        + "which replace success when Output Mode is Route), or collapsed to one surviving record per customer (to success).")
@InputRequirement(Requirement.INPUT_REQUIRED)
@DynamicProperty(name = "Match rule name",
        value = "Comma-separated RecordPaths (all must match after normalisation)",
        description = "Defines a match rule: two records are the same customer when every RecordPath of the rule yields equal "
                + "normalised values. A rule with one RecordPath selecting an array uses each element as a key.",
        expressionLanguageScope = ExpressionLanguageScope.NONE)
@WritesAttributes({
        @WritesAttribute(attribute = CustomerDedup.RECORD_COUNT_IN, description = "Number of records read from the incoming FlowFile"),
        @WritesAttribute(attribute = CustomerDedup.CUSTOMER_COUNT, description = "Number of distinct customers among those records"),
        @WritesAttribute(attribute = CustomerDedup.DUPLICATE_COUNT, description = "Number of records that are not their customer's first record"),
        @WritesAttribute(attribute = CustomerDedup.MERGE_COUNT, description = "Number of existing customer ids merged into another id"),
        @WritesAttribute(attribute = CustomerDedup.MERGED_IDS, description = "The merges as old-id>surviving-id pairs, comma-separated "
                + "(at most 100); only when there were merges"),
        @WritesAttribute(attribute = CustomerDedup.SUSPECT_COUNT, description = "Number of records flagged for carrying a key shared by "
                + "more records than the Maximum Cluster Size, or one the identity cache counts as linking more keys than that"),
        @WritesAttribute(attribute = CustomerDedup.OVER_LIMIT_KEY_COUNT, description = "Number of keys of this FlowFile that linked "
                + "nothing because the identity cache counts them as already linking more keys than the Maximum Cluster Size"),
        @WritesAttribute(attribute = "record.count", description = "Number of records in the outgoing FlowFile"),
        @WritesAttribute(attribute = "mime.type", description = "MIME type of the Record Writer"),
        @WritesAttribute(attribute = CustomerDedup.ERROR_ATTRIBUTE, description = "Why the FlowFile was routed to failure")
})
@SeeAlso(classNames = {
        "org.apache.nifi.processors.standard.DeduplicateRecord",
        "org.apache.nifi.distributed.cache.client.MapCacheClientService",
        "org.apache.nifi.distributed.cache.server.map.MapCacheServer"
})
@UseCase(
        description = "Give every CRM, shop and web-form record one stable customer id, linking records through e-mail or phone.",
        configuration = """
                Set "Record Reader" and "Record Writer" to services matching the data (for example JsonTreeReader and JsonRecordSetWriter).
                Add a dynamic property "email" with the value "/email", and a dynamic property "phone" with the value "/phone".
                Set "Email Record Paths" to "/email" and "Phone Record Paths" to "/phone"; set "Default Phone Region" to the country
                most numbers are written in (for example "GB"), and "Phone Region Record Path" to the record's country field (for
                example "/country") when the feed mixes countries.
                Set "Output Mode" to "Annotate" and connect "success" to the next processor.
                For ids that stay stable across FlowFiles and cluster nodes, set "Distributed Map Cache Client" to a MapCacheClientService
                pointing at one MapCacheServer, set "Identity Hash Key" to a sensitive parameter holding at least 32 random characters,
                and connect "merges" to wherever ids get re-pointed.
                """
)
@UseCase(
        description = "Keep only one record per customer, the most recently updated one.",
        configuration = """
                Set "Record Reader" and "Record Writer".
                Add a dynamic property "email" with the value "/email" and set "Email Record Paths" to "/email".
                Set "Output Mode" to "Collapse", "Survivor Strategy" to "Latest Timestamp" and "Timestamp Record Path" to "/updated_at".
                Connect "success".
                """
)
@UseCase(
        description = "Match people who have no e-mail address by name and postcode together.",
        configuration = """
                Add a dynamic property "name_postcode" with the value "/last_name, /first_name, /postcode".
                Set "Text Record Paths" to "/last_name, /first_name, /postcode" and "Remove Accents" to "true".
                Set "Output Mode" to "Route" and connect "unique" and "duplicate".
                """
)
// Not @SupportsBatching: with a Distributed Map Cache Client, identity claims, merges and link counts are written to
// the cache before the session commits and are not undone by a rollback. Batching would defer the commit of whole
// batches of FlowFiles whose identity writes are already in the cache; a rolled-back FlowFile then sees its own
// earlier writes as known identities and its 'merges' records are not written again.
@SystemResourceConsideration(resource = SystemResource.MEMORY, description = "Holds the identity graph of a FlowFile (a hash per match "
        + "key of every record) and, for FlowFiles of at most Records Held in Memory records whose estimated size fits in one eighth "
        + "of the heap, the parsed records themselves: memory grows with the record count per FlowFile, per concurrent task. "
        + "Larger FlowFiles are read twice instead of being held.")
public class CustomerDedup extends AbstractProcessor {

    static final String RECORD_COUNT_IN = "dedup.record.count";
    static final String CUSTOMER_COUNT = "dedup.customer.count";
    static final String DUPLICATE_COUNT = "dedup.duplicate.count";
    static final String MERGE_COUNT = "dedup.merge.count";

    /** NiFi counters; names carry no record data. */
    static final String COUNTER_RECORDS = "CustomerDedup records processed";
    static final String COUNTER_NEW_CUSTOMERS = "CustomerDedup new customers";
    static final String COUNTER_DUPLICATES_LINKED = "CustomerDedup duplicates linked";
    static final String COUNTER_MERGES = "CustomerDedup merges";
    static final String COUNTER_PLACEHOLDERS_BLOCKED = "CustomerDedup placeholder values blocked";
    static final String COUNTER_OVER_LIMIT_KEYS = "CustomerDedup over-limit keys";
    static final String COUNTER_OVERSIZED_KEYS = "CustomerDedup keys shared by too many records";
    static final String COUNTER_SUSPECT_RECORDS = "CustomerDedup suspect records";
    static final String MERGED_IDS = "dedup.merged.ids";
    static final String SUSPECT_COUNT = "dedup.suspect.count";
    static final String OVER_LIMIT_KEY_COUNT = "dedup.overlimit.key.count";
    static final String ERROR_ATTRIBUTE = "dedup.error";

    static final String MERGE_OLD_ID_FIELD = "old_customer_id";
    static final String MERGE_SURVIVING_ID_FIELD = "surviving_customer_id";
    static final String MERGE_REASON_FIELD = "reason";
    static final RecordSchema MERGE_SCHEMA = new SimpleRecordSchema(List.of(
            new RecordField(MERGE_OLD_ID_FIELD, RecordFieldType.STRING.getDataType(), false),
            new RecordField(MERGE_SURVIVING_ID_FIELD, RecordFieldType.STRING.getDataType(), false),
            new RecordField(MERGE_REASON_FIELD, RecordFieldType.STRING.getDataType(), true)));

    private static final int MAX_MERGED_IDS_IN_ATTRIBUTE = 100;

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

    public enum PhoneAcceptance implements DescribedEnum {
        POSSIBLE("Possible Numbers", "Numbers of a length some number of their country has link, even when libphonenumber's metadata "
                + "does not list their range as assigned (new ranges, stale metadata)."),
        VALID("Valid Numbers", "Only numbers in a range libphonenumber's metadata lists as assigned link.");

        private final Described described;

        PhoneAcceptance(final String displayName, final String description) {
            this.described = new Described(displayName, description);
        }

        @Override
        public Described described() {
            return described;
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
            .description("Writes the outgoing records and the merge records.")
            .identifiesControllerService(RecordSetWriterFactory.class)
            .required(true)
            .build();

    static final PropertyDescriptor OUTPUT_MODE = new PropertyDescriptor.Builder()
            .name("Output Mode")
            .description("What happens to the records once their customers are known.")
            .allowableValues(OutputMode.class)
            .defaultValue(OutputMode.ANNOTATE)
            .required(true)
            .build();

    static final PropertyDescriptor SURVIVOR_STRATEGY = new PropertyDescriptor.Builder()
            .name("Survivor Strategy")
            .description("Which record of a customer is kept in Collapse mode. Ties go to the record seen first.")
            .allowableValues(SurvivorStrategy.class)
            .defaultValue(SurvivorStrategy.MOST_COMPLETE)
            .required(true)
            .dependsOn(OUTPUT_MODE, OutputMode.COLLAPSE)
            .build();

    static final PropertyDescriptor TIMESTAMP_RECORD_PATH = new PropertyDescriptor.Builder()
            .name("Timestamp Record Path")
            .description("RecordPath of the last-updated timestamp (a timestamp, epoch milliseconds or an ISO-8601 string).")
            .addValidator(new RecordPathValidator())
            .required(true)
            .dependsOn(SURVIVOR_STRATEGY, SurvivorStrategy.LATEST_TIMESTAMP)
            .build();

    static final PropertyDescriptor EMAIL_RECORD_PATHS = new PropertyDescriptor.Builder()
            .name("Email Record Paths")
            .description("Comma-separated RecordPaths, written exactly as in the match rules, whose values are e-mail addresses: "
                    + "trimmed and lower-cased before matching.")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .required(false)
            .build();

    static final PropertyDescriptor GMAIL_RULES = new PropertyDescriptor.Builder()
            .name("Apply Gmail Address Rules")
            .description("Whether gmail.com and googlemail.com addresses lose the dots of the local part and any +tag, "
                    + "as Gmail delivers them to the same mailbox.")
            .allowableValues("true", "false")
            .defaultValue("true")
            .required(true)
            .dependsOn(EMAIL_RECORD_PATHS)
            .build();

    static final PropertyDescriptor PHONE_RECORD_PATHS = new PropertyDescriptor.Builder()
            .name("Phone Record Paths")
            .description("Comma-separated RecordPaths, written exactly as in the match rules, whose values are phone numbers: "
                    + "converted to E.164 with libphonenumber; which numbers may link is set by Phone Number Acceptance.")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .required(false)
            .build();

    static final PropertyDescriptor DEFAULT_PHONE_REGION = new PropertyDescriptor.Builder()
            .name("Default Phone Region")
            .description("Two-letter region code (ISO 3166-1) used for phone numbers written without a country code, such as GB, DE, US, FR.")
            .addValidator(new PhoneRegionValidator())
            .defaultValue("US")
            .required(true)
            .dependsOn(PHONE_RECORD_PATHS)
            .build();

    static final PropertyDescriptor PHONE_REGION_RECORD_PATH = new PropertyDescriptor.Builder()
            .name("Phone Region Record Path")
            .description("RecordPath of the record's country, in which its phone numbers written without a country code are read. "
                    + "Accepts ISO 3166-1 codes (DE, DEU), ISO 3166-2 subdivision codes (US-CA), UK, and country names in English, "
                    + "German, French, Spanish, Portuguese, Italian and Dutch (Germany, Deutschland, Brasil); a missing or unknown "
                    + "country falls back to the Default Phone Region. Numbers written with a country code are read as written.")
            .addValidator(new RecordPathValidator())
            .required(false)
            .dependsOn(PHONE_RECORD_PATHS)
            .build();

    static final PropertyDescriptor PHONE_ACCEPTANCE = new PropertyDescriptor.Builder()
            .name("Phone Number Acceptance")
            .description("Which phone numbers may link records. Measured on generated multinational data (see the additional details), "
                    + "Possible Numbers links numbers that Valid Numbers leaves unlinked, without merging different people.")
            .allowableValues(PhoneAcceptance.class)
            .defaultValue(PhoneAcceptance.POSSIBLE)
            .required(true)
            .dependsOn(PHONE_RECORD_PATHS)
            .build();

    static final PropertyDescriptor TEXT_RECORD_PATHS = new PropertyDescriptor.Builder()
            .name("Text Record Paths")
            .description("Comma-separated RecordPaths, written exactly as in the match rules, whose values are free text such as "
                    + "names or postcodes: Unicode NFKC, case-folded, whitespace trimmed and collapsed. RecordPaths listed in "
                    + "none of the normaliser properties are compared exactly as they are.")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .required(false)
            .build();

    static final PropertyDescriptor REMOVE_ACCENTS = new PropertyDescriptor.Builder()
            .name("Remove Accents")
            .description("Whether text values also lose their accents (Müller and Muller match).")
            .allowableValues("true", "false")
            .defaultValue("false")
            .required(true)
            .dependsOn(TEXT_RECORD_PATHS)
            .build();

    static final PropertyDescriptor BLOCKED_VALUES = new PropertyDescriptor.Builder()
            .name("Blocked Values")
            .description("Comma-separated placeholder values that never link records, compared case-insensitively with both the raw "
                    + "and the normalised value. An entry with * matches any run of characters (noreply@*, *@mailinator.com); "
                    + BlockedValues.REPEATED_DIGITS + " blocks numbers whose digits (after a prefix of up to 3) are one digit repeated, "
                    + BlockedValues.SEQUENTIAL_DIGITS + " those that are one ascending or descending run. Empty values never link. "
                    + "The default covers common placeholders; setting the property replaces it.")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .defaultValue(String.join(",", BlockedValues.DEFAULTS))
            .required(false)
            .build();

    static final PropertyDescriptor MAX_CLUSTER_SIZE = new PropertyDescriptor.Builder()
            .name("Maximum Cluster Size")
            .description("A key shared by more records than this within one FlowFile is treated as suspicious (a placeholder, a "
                    + "shared office number) and links nothing; the records carrying it are flagged in the Suspect Flag Field. With a "
                    + "Distributed Map Cache Client the cache also counts, per key, how many other keys have joined a customer through "
                    + "it across FlowFiles and nodes; a key whose count exceeds this links nothing more either.")
            .addValidator(StandardValidators.createLongValidator(2, Integer.MAX_VALUE, true))
            .defaultValue("50")
            .required(true)
            .build();

    static final PropertyDescriptor EXISTING_ID_RECORD_PATH = new PropertyDescriptor.Builder()
            .name("Existing Customer ID Record Path")
            .description("RecordPath of a customer id the record may already carry. Records carrying the same id are the same customer, "
                    + "and a present id is used instead of a new one. Without it, new customers get an id derived from their keys.")
            .addValidator(new RecordPathValidator())
            .required(false)
            .build();

    static final PropertyDescriptor RECORD_ID_RECORD_PATHS = new PropertyDescriptor.Builder()
            .name("Record ID Record Paths")
            .description("Comma-separated RecordPaths whose values together identify a record in its source, for example /source, "
                    + "/source_id. A record without any usable key gets an id derived from these values when all are present, "
                    + "otherwise from a hash of its content (see the additional details): never a random id.")
            .addValidator(new RecordPathListValidator())
            .required(false)
            .build();

    static final PropertyDescriptor CUSTOMER_ID_FIELD = new PropertyDescriptor.Builder()
            .name("Customer ID Field")
            .description("Top-level field that receives the customer id; added to the schema when missing.")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .defaultValue("customer_id")
            .required(true)
            .build();

    static final PropertyDescriptor DUPLICATE_FLAG_FIELD = new PropertyDescriptor.Builder()
            .name("Duplicate Flag Field")
            .description("Top-level boolean field set to true on every record that is not its customer's first record in the FlowFile.")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .defaultValue("is_duplicate")
            .required(true)
            .build();

    static final PropertyDescriptor SUSPECT_FLAG_FIELD = new PropertyDescriptor.Builder()
            .name("Suspect Flag Field")
            .description("Top-level boolean field set to true on records carrying a key shared by more records than the Maximum Cluster Size.")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .defaultValue("dedup_suspect")
            .required(true)
            .build();

    static final PropertyDescriptor NORMALIZED_PHONE_FIELD = new PropertyDescriptor.Builder()
            .name("Normalised Phone Field")
            .description("Top-level field that receives the record's phone in E.164, decided exactly as for matching: the first value of "
                    + "the Phone Record Paths that normalises in the record's region (Phone Region Record Path, else Default Phone "
                    + "Region), passes Phone Number Acceptance and is not a Blocked Value; null when none does. May name the phone "
                    + "field itself (for example phone) to overwrite it. Requires Phone Record Paths and Unnormalised Phone Field. "
                    + "Unset: phone values are written as they came.")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .required(false)
            .build();

    static final PropertyDescriptor UNNORMALIZED_PHONE_FIELD = new PropertyDescriptor.Builder()
            .name("Unnormalised Phone Field")
            .description("Top-level field that receives the record's first phone value exactly as written when the record has phone values "
                    + "but none could be normalised (unparseable, impossible for its country, or a Blocked Value such as 000000): the "
                    + "value is kept, apart from the normalised phone, and was never used as a key. Null otherwise. Required with "
                    + "Normalised Phone Field.")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .required(false)
            .build();

    static final PropertyDescriptor RECORDS_HELD_IN_MEMORY = new PropertyDescriptor.Builder()
            .name("Records Held in Memory")
            .description("A FlowFile with at most this many records is read once: its parsed records are kept from the first pass "
                    + "and written in the second without reading the content again. Larger FlowFiles are read twice, keeping only "
                    + "key hashes in memory. Parsed records take roughly " + HeldRecordsBudget.HEAP_BYTES_PER_CONTENT_BYTE + " times the "
                    + "FlowFile's size in heap, per concurrent task, so a FlowFile whose estimate exceeds one eighth of the JVM's maximum "
                    + "heap is read twice whatever its record count. 0 always reads twice.")
            .addValidator(StandardValidators.createLongValidator(0, Integer.MAX_VALUE, true))
            .defaultValue("100000")
            .required(true)
            .build();

    static final PropertyDescriptor IDENTITY_STORE_TYPE = new PropertyDescriptor.Builder()
            .name("Identity Store Type")
            .description("Where the identity index shared across FlowFiles and cluster nodes (key hashes to customer ids) is kept: "
                    + "a Distributed Map Cache, or a database table.")
            .allowableValues(IdentityStoreType.class)
            .defaultValue(IdentityStoreType.DISTRIBUTED_MAP_CACHE)
            .required(true)
            .build();

    static final PropertyDescriptor MAP_CACHE_CLIENT = new PropertyDescriptor.Builder()
            .name("Distributed Map Cache Client")
            .description("Optional identity index shared across FlowFiles and cluster nodes: key hashes to customer ids. Without it, "
                    + "customers are resolved within each FlowFile only and new ids are not stable across FlowFiles.")
            .identifiesControllerService(DistributedMapCacheClient.class)
            .required(false)
            .dependsOn(IDENTITY_STORE_TYPE, IdentityStoreType.DISTRIBUTED_MAP_CACHE)
            .build();

    private static final DatabaseStoreProperties DATABASE_STORE = new DatabaseStoreProperties(IDENTITY_STORE_TYPE, IdentityStoreType.DATABASE);

    static final PropertyDescriptor IDENTITY_DBCP_SERVICE = DATABASE_STORE.connectionPool("Identity Connection Pool",
            "Database Connection Pooling Service of the database holding the identity table. A connection or statement failure "
                    + "routes the FlowFile to failure, unchanged, like a cache failure.");

    static final PropertyDescriptor IDENTITY_TABLE = DATABASE_STORE.tableName("Identity Table Name",
            "Table (optionally schema.name) with the columns " + JdbcIdentityStore.KEY_COLUMN + " (text, the primary key) and "
                    + JdbcIdentityStore.VALUE_COLUMN + " (text): see the additional details for its DDL. A plain SQL identifier.");

    static final PropertyDescriptor IDENTITY_BATCH_SIZE = DATABASE_STORE.batchSize("Identity Batch Size",
            "How many keys one read of the identity table asks for (the size of its IN list of parameters).");

    static final PropertyDescriptor IDENTITY_QUERY_TIMEOUT = DATABASE_STORE.queryTimeout("Identity Query Timeout",
            "The longest one statement on the identity table may run before it is cancelled and the FlowFile goes to failure "
                    + "(at most 1 hour; 0 sec: no limit). Whole seconds.");

    static final PropertyDescriptor IDENTITY_NAMESPACE = new PropertyDescriptor.Builder()
            .name("Identity Namespace")
            .description("Hashed into every key, so several independent identity indexes can share one cache. Processors that must "
                    + "agree on customer ids use the same namespace and the same rule names.")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .defaultValue("customer")
            .required(true)
            .build();

    static final PropertyDescriptor IDENTITY_HASH_KEY = new PropertyDescriptor.Builder()
            .name("Identity Hash Key")
            .description("Secret key of the HMAC-SHA256 that turns match keys into the hashes kept in memory and in the cache, and "
                    + "from which new customer ids are derived. Without it the hashes are plain SHA-256, which anyone who reads the "
                    + "cache can recompute from a guessed e-mail address or phone number. Use at least 32 random characters. A "
                    + "different key is a new identity namespace: see the additional details before changing it.")
            .addValidator(StandardValidators.NON_EMPTY_VALIDATOR)
            .sensitive(true)
            .required(false)
            .build();

    static final Relationship REL_SUCCESS = new Relationship.Builder()
            .name("success")
            .description("Annotate and Collapse modes: the records with their customer ids.")
            .build();

    static final Relationship REL_UNIQUE = new Relationship.Builder()
            .name("unique")
            .description("Route mode: the first record of each customer.")
            .build();

    static final Relationship REL_DUPLICATE = new Relationship.Builder()
            .name("duplicate")
            .description("Route mode: every record after its customer's first, with the customer id.")
            .build();

    static final Relationship REL_MERGES = new Relationship.Builder()
            .name("merges")
            .description("One record per customer id merged into another: old_customer_id, surviving_customer_id, reason. "
                    + "Emitted only when a FlowFile links existing ids.")
            .build();

    static final Relationship REL_FAILURE = new Relationship.Builder()
            .name("failure")
            .description("FlowFiles whose records cannot be read or written, or whose ids could not be resolved because the cache "
                    + "failed; unchanged and penalised, with the reason in " + ERROR_ATTRIBUTE + ".")
            .build();

    static final List<PropertyDescriptor> PROPERTIES = List.of(
            RECORD_READER, RECORD_WRITER, OUTPUT_MODE, SURVIVOR_STRATEGY, TIMESTAMP_RECORD_PATH,
            EMAIL_RECORD_PATHS, GMAIL_RULES, PHONE_RECORD_PATHS, DEFAULT_PHONE_REGION, PHONE_REGION_RECORD_PATH, PHONE_ACCEPTANCE,
            TEXT_RECORD_PATHS, REMOVE_ACCENTS, BLOCKED_VALUES, MAX_CLUSTER_SIZE, EXISTING_ID_RECORD_PATH, RECORD_ID_RECORD_PATHS,
            CUSTOMER_ID_FIELD, DUPLICATE_FLAG_FIELD, SUSPECT_FLAG_FIELD, NORMALIZED_PHONE_FIELD, UNNORMALIZED_PHONE_FIELD, RECORDS_HELD_IN_MEMORY, IDENTITY_STORE_TYPE, MAP_CACHE_CLIENT,
            IDENTITY_DBCP_SERVICE, IDENTITY_TABLE, IDENTITY_BATCH_SIZE, IDENTITY_QUERY_TIMEOUT, IDENTITY_NAMESPACE,
            IDENTITY_HASH_KEY);

    static final Set<Relationship> SINGLE_OUTPUT_RELATIONSHIPS = Set.of(REL_SUCCESS, REL_MERGES, REL_FAILURE);
    static final Set<Relationship> ROUTE_RELATIONSHIPS = Set.of(REL_UNIQUE, REL_DUPLICATE, REL_MERGES, REL_FAILURE);

    private volatile Set<Relationship> relationships = SINGLE_OUTPUT_RELATIONSHIPS;
    private volatile Configuration configuration;

    /**
     * Everything built once per schedule; immutable and shared by concurrent tasks.
     */
    private record Configuration(MatchRules matchRules, List<String> ruleNames, OutputMode outputMode,
                                 SurvivorStrategy survivorStrategy, RecordValueAccessor timestampAccessor,
                                 RecordValueAccessor existingIdAccessor, int maxClusterSize, HeldRecordsBudget heldRecordsBudget, String namespace,
                                 byte[] hashKey, RecordFingerprints fingerprints,
                                 RecordField customerIdField, RecordField duplicateField, RecordField suspectField,
                                 PhoneWriteBack phoneWriteBack, RecordField normalizedPhoneField, RecordField unnormalizedPhoneField) {

        KeyHasher newHasher() {
            return new KeyHasher(namespace, hashKey);
        }
    }

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return PROPERTIES;
    }

    @Override
    public Set<Relationship> getRelationships() {
        return relationships;
    }

    @Override
    protected PropertyDescriptor getSupportedDynamicPropertyDescriptor(final String propertyDescriptorName) {
        return new PropertyDescriptor.Builder()
                .name(propertyDescriptorName)
                .description("Match rule: comma-separated RecordPaths forming one key.")
                .addValidator(new RecordPathListValidator())
                .expressionLanguageSupported(ExpressionLanguageScope.NONE)
                .dynamic(true)
                .required(false)
                .build();
    }

    @Override
    public void onPropertyModified(final PropertyDescriptor descriptor, final String oldValue, final String newValue) {
        if (OUTPUT_MODE.equals(descriptor)) {
            relationships = OutputMode.ROUTE.getValue().equals(newValue) ? ROUTE_RELATIONSHIPS : SINGLE_OUTPUT_RELATIONSHIPS;
        }
    }

    @Override
    protected Collection<ValidationResult> customValidate(final ValidationContext context) {
        final List<ValidationResult> results = new ArrayList<>();
        final Set<String> rulePaths = new HashSet<>();
        int rules = 0;
        for (final PropertyDescriptor descriptor : context.getProperties().keySet()) {
            if (descriptor.isDynamic()) {
                rules++;
                rulePaths.addAll(PathListSplitter.split(context.getProperty(descriptor).getValue()));
            }
        }
        if (rules == 0) {
            results.add(new ValidationResult.Builder().subject("Match rules").valid(false)
                    .explanation("at least one match rule is required: add a dynamic property whose value is one or more RecordPaths").build());
        }

        final Map<String, String> listedIn = new HashMap<>();
        for (final PropertyDescriptor normalizerProperty : List.of(EMAIL_RECORD_PATHS, PHONE_RECORD_PATHS, TEXT_RECORD_PATHS)) {
            for (final String path : PathListSplitter.split(context.getProperty(normalizerProperty).getValue())) {
                final String previous = listedIn.put(path, normalizerProperty.getName());
                if (previous != null && !previous.equals(normalizerProperty.getName())) {
                    results.add(new ValidationResult.Builder().subject(normalizerProperty.getName()).input(path).valid(false)
                            .explanation("the RecordPath is also listed in " + previous + "; a RecordPath has one normaliser").build());
                }
                if (rules > 0 && !rulePaths.contains(path)) {
                    results.add(new ValidationResult.Builder().subject(normalizerProperty.getName()).input(path).valid(false)
                            .explanation("no match rule uses this RecordPath; write it exactly as in the rule").build());
                }
            }
        }

        final Set<String> addedFields = new HashSet<>();
        for (final PropertyDescriptor fieldProperty : List.of(CUSTOMER_ID_FIELD, DUPLICATE_FLAG_FIELD, SUSPECT_FLAG_FIELD,
                NORMALIZED_PHONE_FIELD, UNNORMALIZED_PHONE_FIELD)) {
            final String field = context.getProperty(fieldProperty).getValue();
            if (field != null && !addedFields.add(field.trim())) {
                results.add(new ValidationResult.Builder().subject(fieldProperty.getName()).input(field).valid(false)
                        .explanation("the customer id, duplicate flag, suspect flag and phone fields must all differ").build());
            }
        }
        final boolean normalizedPhoneSet = context.getProperty(NORMALIZED_PHONE_FIELD).isSet();
        final boolean unnormalizedPhoneSet = context.getProperty(UNNORMALIZED_PHONE_FIELD).isSet();
        if (normalizedPhoneSet != unnormalizedPhoneSet) {
            results.add(new ValidationResult.Builder().subject(NORMALIZED_PHONE_FIELD.getName()).valid(false)
                    .explanation("Normalised Phone Field and Unnormalised Phone Field are set together, so a phone that cannot be "
                            + "normalised is kept as written").build());
        }
        if ((normalizedPhoneSet || unnormalizedPhoneSet) && !context.getProperty(PHONE_RECORD_PATHS).isSet()) {
            results.add(new ValidationResult.Builder().subject(NORMALIZED_PHONE_FIELD.getName()).valid(false)
                    .explanation("writing normalised phones needs Phone Record Paths").build());
        }
        return results;
    }

    @OnScheduled
    public void onScheduled(final ProcessContext context) {
        final Map<String, Normalizer> normalizerOfPath = new HashMap<>();
        final List<Normalizer> cachedNormalizers = new ArrayList<>();
        if (context.getProperty(EMAIL_RECORD_PATHS).isSet()) {
            final Normalizer email = new EmailNormalizer(context.getProperty(GMAIL_RULES).asBoolean());
            PathListSplitter.split(context.getProperty(EMAIL_RECORD_PATHS).getValue()).forEach(path -> normalizerOfPath.put(path, email));
        }
        PhoneNormalizer phoneNormalizer = null;
        if (context.getProperty(PHONE_RECORD_PATHS).isSet()) {
            final PhoneNormalizer phone = new PhoneNormalizer(context.getProperty(DEFAULT_PHONE_REGION).getValue(),
                    context.getProperty(PHONE_ACCEPTANCE).asAllowableValue(PhoneAcceptance.class) == PhoneAcceptance.POSSIBLE);
            cachedNormalizers.add(phone);
            phoneNormalizer = phone;
            PathListSplitter.split(context.getProperty(PHONE_RECORD_PATHS).getValue()).forEach(path -> normalizerOfPath.put(path, phone));
        }
        if (context.getProperty(TEXT_RECORD_PATHS).isSet()) {
            final Normalizer text = new TextNormalizer(context.getProperty(REMOVE_ACCENTS).asBoolean());
            PathListSplitter.split(context.getProperty(TEXT_RECORD_PATHS).getValue()).forEach(path -> normalizerOfPath.put(path, text));
        }

        // Sorted by name, so rule indexes (and merge reasons) do not depend on the order properties were added.
        final Map<String, String> ruleDefinitions = new TreeMap<>();
        for (final Map.Entry<PropertyDescriptor, String> property : context.getProperties().entrySet()) {
            if (property.getKey().isDynamic() && property.getValue() != null) {
                ruleDefinitions.put(property.getKey().getName(), property.getValue());
            }
        }

        final RecordValueAccessor regionAccessor = context.getProperty(PHONE_RECORD_PATHS).isSet() && context.getProperty(PHONE_REGION_RECORD_PATH).isSet()
                ? RecordValueAccessor.compile(context.getProperty(PHONE_REGION_RECORD_PATH).getValue())
                : null;
        final BlockedValues blockedValues = BlockedValues.parse(context.getProperty(BLOCKED_VALUES).getValue());
        final MatchRules matchRules = new MatchRules(ruleDefinitions, normalizerOfPath, cachedNormalizers, NoneNormalizer.INSTANCE,
                blockedValues, regionAccessor);
        PhoneWriteBack phoneWriteBack = null;
        RecordField normalizedPhoneField = null;
        RecordField unnormalizedPhoneField = null;
        if (phoneNormalizer != null && context.getProperty(NORMALIZED_PHONE_FIELD).isSet()) {
            final List<RecordValueAccessor> phoneAccessors = new ArrayList<>();
            PathListSplitter.split(context.getProperty(PHONE_RECORD_PATHS).getValue()).forEach(path -> phoneAccessors.add(RecordValueAccessor.compile(path)));
            phoneWriteBack = new PhoneWriteBack(phoneAccessors, phoneNormalizer, blockedValues, regionAccessor);
            normalizedPhoneField = new RecordField(context.getProperty(NORMALIZED_PHONE_FIELD).getValue().trim(), RecordFieldType.STRING.getDataType(), true);
            unnormalizedPhoneField = new RecordField(context.getProperty(UNNORMALIZED_PHONE_FIELD).getValue().trim(), RecordFieldType.STRING.getDataType(), true);
        }

        final OutputMode outputMode = context.getProperty(OUTPUT_MODE).asAllowableValue(OutputMode.class);
        final SurvivorStrategy survivorStrategy = outputMode == OutputMode.COLLAPSE
                ? context.getProperty(SURVIVOR_STRATEGY).asAllowableValue(SurvivorStrategy.class)
                : SurvivorStrategy.FIRST_SEEN;
        final RecordValueAccessor timestampAccessor = survivorStrategy == SurvivorStrategy.LATEST_TIMESTAMP
                ? RecordValueAccessor.compile(context.getProperty(TIMESTAMP_RECORD_PATH).getValue())
                : null;
        final RecordValueAccessor existingIdAccessor = context.getProperty(EXISTING_ID_RECORD_PATH).isSet()
                ? RecordValueAccessor.compile(context.getProperty(EXISTING_ID_RECORD_PATH).getValue())
                : null;

        final List<RecordValueAccessor> recordIdAccessors = new ArrayList<>();
        if (context.getProperty(RECORD_ID_RECORD_PATHS).isSet()) {
            PathListSplitter.split(context.getProperty(RECORD_ID_RECORD_PATHS).getValue()).forEach(path -> recordIdAccessors.add(RecordValueAccessor.compile(path)));
        }
        final RecordField customerIdField = new RecordField(context.getProperty(CUSTOMER_ID_FIELD).getValue().trim(), RecordFieldType.STRING.getDataType(), true);
        final RecordField duplicateField = new RecordField(context.getProperty(DUPLICATE_FLAG_FIELD).getValue().trim(), RecordFieldType.BOOLEAN.getDataType(), true);
        final RecordField suspectField = new RecordField(context.getProperty(SUSPECT_FLAG_FIELD).getValue().trim(), RecordFieldType.BOOLEAN.getDataType(), true);
        final RecordFingerprints fingerprints = new RecordFingerprints(recordIdAccessors,
                Set.of(customerIdField.getFieldName(), duplicateField.getFieldName(), suspectField.getFieldName()));

        final String hashKey = context.getProperty(IDENTITY_HASH_KEY).getValue();
        final IdentityStoreType storeType = context.getProperty(IDENTITY_STORE_TYPE).asAllowableValue(IdentityStoreType.class);
        if (hashKey == null && (storeType == IdentityStoreType.DATABASE || context.getProperty(MAP_CACHE_CLIENT).isSet())) {
            getLogger().warn("No Identity Hash Key is set: the identity cache holds plain SHA-256 hashes, which whoever can read the "
                    + "cache can match against guessed e-mail addresses and phone numbers");
        }

        configuration = new Configuration(matchRules, matchRules.ruleNames(), outputMode, survivorStrategy, timestampAccessor,
                existingIdAccessor, context.getProperty(MAX_CLUSTER_SIZE).asInteger(),
                new HeldRecordsBudget(context.getProperty(RECORDS_HELD_IN_MEMORY).asInteger(), Runtime.getRuntime().maxMemory() / 8),
                context.getProperty(IDENTITY_NAMESPACE).isSet() ? context.getProperty(IDENTITY_NAMESPACE).getValue() : IDENTITY_NAMESPACE.getDefaultValue(),
                hashKey == null ? null : hashKey.getBytes(StandardCharsets.UTF_8), fingerprints,
                customerIdField, duplicateField, suspectField, phoneWriteBack, normalizedPhoneField, unnormalizedPhoneField);
    }

    @Override
    public void onTrigger(final ProcessContext context, final ProcessSession session) throws ProcessException {
        FlowFile flowFile = session.get();
        if (flowFile == null) {
            return;
        }

        final long startNanos = System.nanoTime();
        final Configuration config = configuration;
        final RecordReaderFactory readerFactory = context.getProperty(RECORD_READER).asControllerService(RecordReaderFactory.class);
        final RecordSetWriterFactory writerFactory = context.getProperty(RECORD_WRITER).asControllerService(RecordSetWriterFactory.class);
        final boolean databaseStore = context.getProperty(IDENTITY_STORE_TYPE).asAllowableValue(IdentityStoreType.class) == IdentityStoreType.DATABASE;
        final DistributedMapCacheClient cacheClient = databaseStore ? null
                : context.getProperty(MAP_CACHE_CLIENT).asControllerService(DistributedMapCacheClient.class);

        final List<FlowFile> created = new ArrayList<>();
        Connection identityConnection = null;
        try {
            final IdentityStore store;
            if (databaseStore) {
                try {
                    identityConnection = context.getProperty(IDENTITY_DBCP_SERVICE).asControllerService(DBCPService.class)
                            .getConnection(flowFile.getAttributes());
                    store = new JdbcIdentityStore(identityConnection, context.getProperty(IDENTITY_TABLE).getValue(),
                            context.getProperty(IDENTITY_BATCH_SIZE).asInteger(),
                            context.getProperty(IDENTITY_QUERY_TIMEOUT).asTimePeriod(TimeUnit.SECONDS).intValue());
                } catch (final ProcessException e) {
                    throw new CacheFailureException(new IOException("No connection to the identity database ("
                            + PiiSafeErrors.describe(e) + ")", e));
                } catch (final IOException e) {
                    throw new CacheFailureException(e);
                }
            } else {
                store = cacheClient == null ? null : new DistributedMapCacheIdentityStore(cacheClient);
            }
            final KeyHasher hasher = config.newHasher();
            final FirstPass firstPass = readKeys(session, flowFile, readerFactory, config, hasher);
            final CustomerIds customerIds = new CustomerIds(hasher);
            final IdentityResolver resolver = new IdentityResolver(store, customerIds::idFor, config.ruleNames(),
                    store == null ? Integer.MAX_VALUE : config.maxClusterSize());
            final Set<KeyHash> overLimitKeys;
            final String[] clusterIds;
            final Clusters clusters;
            try {
                overLimitKeys = resolver.overLimitKeys(firstPass.graph().keys());
                clusters = firstPass.graph().build(overLimitKeys);
                clusterIds = resolver.resolve(clusters);
            } catch (final IOException e) {
                throw new CacheFailureException(e);
            }
            final CustomerAssignment assignment = new CustomerAssignment(clusters, clusterIds);
            final List<IdentityMerge> merges = resolver.merges();

            final Map<String, String> summary = summaryAttributes(clusters, assignment, merges);
            summary.put(OVER_LIMIT_KEY_COUNT, String.valueOf(overLimitKeys.size()));
            if (resolver.keysReachingLimit() > 0) {
                getLogger().warn("{}: {} identity key(s) now link more than {} keys across FlowFiles and will link nothing more; "
                        + "records carrying them are flagged in {}", flowFile, resolver.keysReachingLimit(), config.maxClusterSize(),
                        config.suspectField().getFieldName());
            }
            // Children first: the in-place write of the FlowFile comes last, so a failure before it leaves the content unchanged.
            FlowFile merged = null;
            if (!merges.isEmpty()) {
                merged = session.create(flowFile);
                created.add(merged);
                merged = writeMerges(session, merged, writerFactory, merges);
            }
            final FlowFile duplicates = config.outputMode() == OutputMode.ROUTE ? session.create(flowFile) : null;
            if (duplicates != null) {
                created.add(duplicates);
            }
            final WriteOutcome outcome = writeRecords(session, flowFile, duplicates, firstPass, readerFactory, writerFactory, config, assignment);

            final String details = "%d records, %d customers, %d duplicates, %d merges, %d suspect records".formatted(
                    clusters.recordCount(), assignment.customerCount(), outcome.duplicateCount(), merges.size(), clusters.suspectCount());
            flowFile = session.putAllAttributes(outcome.mainFlowFile(), summary);
            flowFile = session.putAllAttributes(flowFile, outcome.mainAttributes());
            session.getProvenanceReporter().modifyContent(flowFile, details, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
            session.transfer(flowFile, config.outputMode() == OutputMode.ROUTE ? REL_UNIQUE : REL_SUCCESS);

            if (duplicates != null) {
                FlowFile duplicateOut = session.putAllAttributes(outcome.duplicateFlowFile(), summary);
                duplicateOut = session.putAllAttributes(duplicateOut, outcome.duplicateAttributes());
                session.transfer(duplicateOut, REL_DUPLICATE);
            }
            if (merged != null) {
                merged = session.putAllAttributes(merged, summary);
                session.transfer(merged, REL_MERGES);
            }

            adjustCounters(session, clusters, resolver.newCustomerCount(), merges.size(), firstPass.placeholdersBlocked(),
                    overLimitKeys.size());

            getLogger().debug("{}: {}; {} keys shared by more than {} records ignored", flowFile, details,
                    clusters.oversizedKeyCount(), config.maxClusterSize());
        } catch (final CacheFailureException e) {
            final String reason = PiiSafeErrors.describe(e.getCause());
            final String what = databaseStore ? "identity store" : "identity cache";
            getLogger().error("Routing {} to failure: the {} failed ({})", flowFile, what, reason, PiiSafeErrors.redacted(e.getCause()));
            routeToFailure(session, flowFile, created, (databaseStore ? "Identity store failed: " : "Identity cache failed: ") + reason);
        } catch (final RecordReadException e) {
            final String reason = PiiSafeErrors.describe(e.getCause(), e.recordIndex(), null);
            getLogger().error("Routing {} to failure: records could not be read ({})", flowFile, reason, PiiSafeErrors.redacted(e.getCause()));
            routeToFailure(session, flowFile, created, "Records could not be read: " + reason);
        } catch (final SchemaNotFoundException | MalformedRecordException | IOException | ProcessException
                       | IllegalTypeConversionException e) {
            // Parser messages can quote record content: types only, in the log and in the attribute that travels with the data.
            final String reason = PiiSafeErrors.describe(e);
            getLogger().error("Routing {} to failure: records could not be read or written ({})", flowFile, reason, PiiSafeErrors.redacted(e));
            routeToFailure(session, flowFile, created, "Records could not be processed: " + reason);
        } finally {
            if (identityConnection != null) {
                try {
                    identityConnection.close();
                } catch (final SQLException e) {
                    getLogger().debug("Closing the identity database connection failed ({})", e.getClass().getSimpleName());
                }
            }
        }
    }

    /**
     * What the first pass leaves: the clusters, and for small FlowFiles the parsed records and their schema.
     */
    private record FirstPass(IdentityGraph graph, RecordSchema schema, List<Record> heldRecords, int placeholdersBlocked,
                             PhoneWriteBack.Memo phoneMemo) {
    }

    /**
     * A record of the first pass could not be read or its keys not extracted; carries its index.
     */
    private static final class RecordReadException extends Exception {
        private final int recordIndex;

        RecordReadException(final int recordIndex, final Exception cause) {
            super(cause);
            this.recordIndex = recordIndex;
        }

        int recordIndex() {
            return recordIndex;
        }
    }

    private interface RecordSource {
        Record next() throws IOException, MalformedRecordException;
    }

    private FirstPass readKeys(final ProcessSession session, final FlowFile flowFile, final RecordReaderFactory readerFactory,
                              final Configuration config, final KeyHasher hasher)
            throws IOException, SchemaNotFoundException, MalformedRecordException, RecordReadException {
        final IdentityGraph graph = new IdentityGraph(config.maxClusterSize());
        final MatchRules.Extraction extraction = config.matchRules().new Extraction(hasher);
        final PhoneWriteBack.Memo phoneMemo = config.phoneWriteBack() == null ? null : config.phoneWriteBack().newMemo();
        if (phoneMemo != null) {
            extraction.rememberPhonesIn(phoneMemo);
        }
        List<Record> held = config.heldRecordsBudget().mayHold(flowFile.getSize()) ? new ArrayList<>() : null;
        final RecordSchema schema;
        try (InputStream in = session.read(flowFile);
             RecordReader reader = readerFactory.createRecordReader(flowFile.getAttributes(), in, flowFile.getSize(), getLogger())) {
            schema = reader.getSchema();
            Record record;
            while ((record = nextRecord(reader, graph.recordCount())) != null) {
                final int index = graph.addRecord();
                try {
                    addRecordKeys(record, index, graph, extraction, config);
                } catch (final RuntimeException e) {
                    throw new RecordReadException(index, e);
                }
                if (held != null) {
                    // Past the limit the FlowFile is read again instead: drop what was held.
                    held = config.heldRecordsBudget().mayHoldMore(held.size()) ? held : null;
                    if (held != null) {
                        held.add(record);
                    }
                }
            }
        }
        return new FirstPass(graph, schema, held, extraction.placeholdersBlocked(), phoneMemo);
    }

    private static Record nextRecord(final RecordReader reader, final int index) throws RecordReadException {
        try {
            return reader.nextRecord();
        } catch (final IOException | MalformedRecordException | RuntimeException e) {
            throw new RecordReadException(index, e);
        }
    }

    private static void addRecordKeys(final Record record, final int index, final IdentityGraph graph, final MatchRules.Extraction extraction,
                                      final Configuration config) {
        extraction.addKeys(record, index, graph);
        boolean hasExistingId = false;
        if (config.existingIdAccessor() != null) {
            final String existingId = config.existingIdAccessor().firstString(record);
            if (existingId != null && !existingId.isBlank()) {
                graph.setExistingId(index, existingId.trim());
                hasExistingId = true;
            }
        }
        if (!hasExistingId && !graph.hasKeys(index)) {
            graph.setFingerprint(index, config.fingerprints().of(record, extraction.hasher()));
        }
        switch (config.survivorStrategy()) {
            case LATEST_TIMESTAMP -> graph.setScore(index, SurvivorScores.timestampScore(config.timestampAccessor().firstValue(record)));
            case MOST_COMPLETE -> graph.setScore(index, SurvivorScores.completenessScore(record.getValues()));
            case FIRST_SEEN -> {
                // Every record scores the same; the first seen wins the tie.
            }
        }
    }

    private record WriteOutcome(FlowFile mainFlowFile, Map<String, String> mainAttributes,
                                FlowFile duplicateFlowFile, Map<String, String> duplicateAttributes, int duplicateCount) {
    }

    /**
     * Second pass: takes the records again in the same order (held from the first pass, or read
     * again) and writes each with its customer id and flags to the output its mode gives it. The main
     * output replaces the FlowFile's content; in Route mode the duplicates go to a child FlowFile
     * written at the same time.
     */
    private WriteOutcome writeRecords(final ProcessSession session, final FlowFile flowFile, final FlowFile duplicates, final FirstPass firstPass,
                                      final RecordReaderFactory readerFactory, final RecordSetWriterFactory writerFactory,
                                      final Configuration config, final CustomerAssignment assignment) {
        final Map<String, String> originalAttributes = flowFile.getAttributes();
        final Map<String, String> mainAttributes = new HashMap<>();
        final Map<String, String> duplicateAttributes = new HashMap<>();
        final int[] duplicateCount = new int[1];

        final FlowFile written = session.write(flowFile, (in, out) -> {
            try {
                if (firstPass.heldRecords() != null) {
                    final Iterator<Record> held = firstPass.heldRecords().iterator();
                    duplicateCount[0] = writeAll(session, firstPass.schema(), () -> held.hasNext() ? held.next() : null, out, duplicates,
                            writerFactory, originalAttributes, config, assignment, mainAttributes, duplicateAttributes, firstPass.phoneMemo());
                } else {
                    try (RecordReader reader = readerFactory.createRecordReader(originalAttributes, in, flowFile.getSize(), getLogger())) {
                        duplicateCount[0] = writeAll(session, reader.getSchema(), reader::nextRecord, out, duplicates,
                                writerFactory, originalAttributes, config, assignment, mainAttributes, duplicateAttributes, firstPass.phoneMemo());
                    }
                }
            } catch (final SchemaNotFoundException | MalformedRecordException e) {
                throw new ProcessException(e.getMessage(), e);
            }
        });
        return new WriteOutcome(written, mainAttributes, duplicates, duplicateAttributes, duplicateCount[0]);
    }

    /**
     * @return the number of duplicate records
     */
    private int writeAll(final ProcessSession session, final RecordSchema readSchema, final RecordSource records, final OutputStream out,
                         final FlowFile duplicates, final RecordSetWriterFactory writerFactory, final Map<String, String> originalAttributes,
                         final Configuration config, final CustomerAssignment assignment, final Map<String, String> mainAttributes,
                         final Map<String, String> duplicateAttributes, final PhoneWriteBack.Memo phoneMemo)
            throws IOException, SchemaNotFoundException, MalformedRecordException {
        final int expectedRecords = assignment.recordCount();
        final RecordSchema writeSchema = writerFactory.getSchema(originalAttributes, extendSchema(readSchema, config));
        int duplicateCount = 0;
        OutputStream duplicateStream = null;
        RecordSetWriter duplicateWriter = null;
        try (RecordSetWriter mainWriter = writerFactory.createWriter(getLogger(), writeSchema, out, originalAttributes)) {
            if (duplicates != null) {
                duplicateStream = session.write(duplicates);
                duplicateWriter = writerFactory.createWriter(getLogger(), writeSchema, duplicateStream, originalAttributes);
                duplicateWriter.beginRecordSet();
            }
            mainWriter.beginRecordSet();

            Record record;
            int index = 0;
            while ((record = records.next()) != null) {
                if (index >= expectedRecords) {
                    throw new IOException("The FlowFile yielded more records on the second read than on the first");
                }
                final boolean duplicate = assignment.isDuplicate(index);
                if (duplicate) {
                    duplicateCount++;
                }
                final boolean keep = config.outputMode() != OutputMode.COLLAPSE || assignment.isSurvivor(index);
                if (keep) {
                    record.setValue(config.customerIdField(), assignment.customerIdOf(index));
                    record.setValue(config.duplicateField(), config.outputMode() != OutputMode.COLLAPSE && duplicate);
                    record.setValue(config.suspectField(), assignment.isSuspect(index));
                    if (config.phoneWriteBack() != null) {
                        final PhoneWriteBack.Result phone = config.phoneWriteBack().of(record, phoneMemo);
                        record.setValue(config.normalizedPhoneField(), phone.normalized());
                        record.setValue(config.unnormalizedPhoneField(), phone.asWritten());
                    }
                    if (duplicateWriter != null && duplicate) {
                        duplicateWriter.write(record);
                    } else {
                        mainWriter.write(record);
                    }
                }
                index++;
            }
            if (index != expectedRecords) {
                throw new IOException("The FlowFile yielded fewer records on the second read than on the first");
            }

            final WriteResult mainResult = mainWriter.finishRecordSet();
            mainAttributes.putAll(mainResult.getAttributes());
            mainAttributes.put("record.count", String.valueOf(mainResult.getRecordCount()));
            mainAttributes.put(CoreAttributes.MIME_TYPE.key(), mainWriter.getMimeType());
            if (duplicateWriter != null) {
                final WriteResult duplicateResult = duplicateWriter.finishRecordSet();
                duplicateAttributes.putAll(duplicateResult.getAttributes());
                duplicateAttributes.put("record.count", String.valueOf(duplicateResult.getRecordCount()));
                duplicateAttributes.put(CoreAttributes.MIME_TYPE.key(), duplicateWriter.getMimeType());
            }
        } finally {
            if (duplicateWriter != null) {
                duplicateWriter.close();
            }
            if (duplicateStream != null) {
                duplicateStream.close();
            }
        }
        return duplicateCount;
    }

    private FlowFile writeMerges(final ProcessSession session, final FlowFile mergesFlowFile, final RecordSetWriterFactory writerFactory,
                                 final List<IdentityMerge> merges) throws IOException, SchemaNotFoundException {
        final Map<String, String> attributes = new HashMap<>();
        final Map<String, String> variables = mergesFlowFile.getAttributes();
        final RecordSchema writeSchema = writerFactory.getSchema(variables, MERGE_SCHEMA);
        try (OutputStream out = session.write(mergesFlowFile);
             RecordSetWriter writer = writerFactory.createWriter(getLogger(), writeSchema, out, variables)) {
            writer.beginRecordSet();
            for (final IdentityMerge merge : merges) {
                final Map<String, Object> values = new LinkedHashMap<>();
                values.put(MERGE_OLD_ID_FIELD, merge.oldId());
                values.put(MERGE_SURVIVING_ID_FIELD, merge.survivingId());
                values.put(MERGE_REASON_FIELD, merge.reason());
                writer.write(new MapRecord(MERGE_SCHEMA, values));
            }
            final WriteResult result = writer.finishRecordSet();
            attributes.putAll(result.getAttributes());
            attributes.put("record.count", String.valueOf(result.getRecordCount()));
            attributes.put(CoreAttributes.MIME_TYPE.key(), writer.getMimeType());
        }
        return session.putAllAttributes(mergesFlowFile, attributes);
    }

    private static RecordSchema extendSchema(final RecordSchema schema, final Configuration config) {
        final List<RecordField> added = List.of(config.customerIdField(), config.duplicateField(), config.suspectField());
        final Set<String> addedNames = new HashSet<>();
        added.forEach(field -> addedNames.add(field.getFieldName()));
        // The phone fields take the place of a field of the same name (the phone field itself when it is overwritten).
        final Map<String, RecordField> replaced = new LinkedHashMap<>();
        if (config.phoneWriteBack() != null) {
            replaced.put(config.normalizedPhoneField().getFieldName(), config.normalizedPhoneField());
            replaced.put(config.unnormalizedPhoneField().getFieldName(), config.unnormalizedPhoneField());
        }
        final List<RecordField> fields = new ArrayList<>();
        for (final RecordField field : schema.getFields()) {
            if (addedNames.contains(field.getFieldName())) {
                continue;
            }
            final RecordField replacement = replaced.remove(field.getFieldName());
            fields.add(replacement == null ? field : replacement);
        }
        fields.addAll(added);
        fields.addAll(replaced.values());
        return new SimpleRecordSchema(fields);
    }

    private static Map<String, String> summaryAttributes(final Clusters clusters, final CustomerAssignment assignment,
                                                         final List<IdentityMerge> merges) {
        final Map<String, String> attributes = new HashMap<>();
        int duplicates = 0;
        for (int record = 0; record < clusters.recordCount(); record++) {
            if (assignment.isDuplicate(record)) {
                duplicates++;
            }
        }
        attributes.put(RECORD_COUNT_IN, String.valueOf(clusters.recordCount()));
        attributes.put(CUSTOMER_COUNT, String.valueOf(assignment.customerCount()));
        attributes.put(DUPLICATE_COUNT, String.valueOf(duplicates));
        attributes.put(MERGE_COUNT, String.valueOf(merges.size()));
        attributes.put(SUSPECT_COUNT, String.valueOf(clusters.suspectCount()));
        if (!merges.isEmpty()) {
            final StringBuilder ids = new StringBuilder();
            for (int i = 0; i < merges.size() && i < MAX_MERGED_IDS_IN_ATTRIBUTE; i++) {
                if (i > 0) {
                    ids.append(',');
                }
                ids.append(merges.get(i).oldId()).append('>').append(merges.get(i).survivingId());
            }
            attributes.put(MERGED_IDS, ids.toString());
        }
        return attributes;
    }

    /**
     * Counts, in the session that transfers the FlowFiles (a rollback takes them back too). Every record either
     * creates a new customer or joins one that exists already (in the index, by the id it carries, or earlier in
     * the FlowFile), so records processed = new customers + duplicates linked.
     */
    private static void adjustCounters(final ProcessSession session, final Clusters clusters, final int newCustomers, final int merges,
                                       final int placeholdersBlocked, final int overLimitKeys) {
        if (clusters.recordCount() == 0) {
            return;
        }
        session.adjustCounter(COUNTER_RECORDS, clusters.recordCount(), false);
        if (newCustomers > 0) {
            session.adjustCounter(COUNTER_NEW_CUSTOMERS, newCustomers, false);
        }
        if (clusters.recordCount() > newCustomers) {
            session.adjustCounter(COUNTER_DUPLICATES_LINKED, clusters.recordCount() - newCustomers, false);
        }
        if (merges > 0) {
            session.adjustCounter(COUNTER_MERGES, merges, false);
        }
        if (placeholdersBlocked > 0) {
            session.adjustCounter(COUNTER_PLACEHOLDERS_BLOCKED, placeholdersBlocked, false);
        }
        if (overLimitKeys > 0) {
            session.adjustCounter(COUNTER_OVER_LIMIT_KEYS, overLimitKeys, false);
        }
        if (clusters.oversizedKeyCount() > 0) {
            session.adjustCounter(COUNTER_OVERSIZED_KEYS, clusters.oversizedKeyCount(), false);
        }
        if (clusters.suspectCount() > 0) {
            session.adjustCounter(COUNTER_SUSPECT_RECORDS, clusters.suspectCount(), false);
        }
    }

    private void routeToFailure(final ProcessSession session, final FlowFile flowFile, final List<FlowFile> created, final String error) {
        for (final FlowFile child : created) {
            session.remove(child);
        }
        FlowFile failed = session.putAttribute(flowFile, ERROR_ATTRIBUTE, error);
        failed = session.penalize(failed);
        session.transfer(failed, REL_FAILURE);
    }

    /**
     * Marks an IOException of the identity index, as opposed to one of the FlowFile's content.
     */
    private static final class CacheFailureException extends Exception {
        CacheFailureException(final IOException cause) {
            super(cause);
        }
    }

    /**
     * Validates a match rule: one or more comma-separated RecordPaths that compile.
     */
    static final class RecordPathListValidator implements Validator {
        @Override
        public ValidationResult validate(final String subject, final String input, final ValidationContext context) {
            final List<String> paths = PathListSplitter.split(input);
            if (paths.isEmpty()) {
                return new ValidationResult.Builder().subject(subject).input(input).valid(false)
                        .explanation("a match rule needs at least one RecordPath").build();
            }
            for (final String path : paths) {
                try {
                    RecordPath.compile(path);
                } catch (final RecordPathException e) {
                    return new ValidationResult.Builder().subject(subject).input(input).valid(false)
                            .explanation("'" + path + "' is not a valid RecordPath: " + e.getMessage()).build();
                }
            }
            return new ValidationResult.Builder().subject(subject).input(input).valid(true).build();
        }
    }

    static final class PhoneRegionValidator implements Validator {
        @Override
        public ValidationResult validate(final String subject, final String input, final ValidationContext context) {
            final boolean valid = PhoneNormalizer.isSupportedRegion(input);
            return new ValidationResult.Builder().subject(subject).input(input).valid(valid)
                    .explanation(valid ? null : "not a region code known to libphonenumber (examples: GB, DE, US, FR)").build();
        }
    }
}
