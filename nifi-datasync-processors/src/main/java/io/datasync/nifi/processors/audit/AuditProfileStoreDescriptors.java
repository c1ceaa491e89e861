package io.datasync.nifi.processors.audit;

import io.datasync.nifi.identity.BlockedValues;
import io.datasync.nifi.processors.common.DatabaseStoreProperties;
import io.datasync.nifi.processors.common.DescribedEnum;
import io.datasync.nifi.processors.common.RecordServiceProperties;
import io.datasync.nifi.processors.common.ConsentPolicyDescriptors;
import io.datasync.nifi.processors.common.ConsentValueLists;
import io.datasync.nifi.processors.common.IdentityMatchingDescriptors;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.dbcp.DBCPService;
import org.apache.nifi.processor.AbstractProcessor;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.util.StandardValidators;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.serialization.record.RecordSchema;
import java.sql.Connection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What {@link io.datasync.nifi.processors.AuditProfileStore} offers in the UI: the attributes it writes, its counters, its property descriptors
 * (those it shares with CustomerDedup and ConsentFilter are built from theirs, so names, defaults and validators stay
 * the same) and its relationships, and the schemas of its records.
 */
public abstract class AuditProfileStoreDescriptors extends AbstractProcessor {

    public static final String STATUS_ATTRIBUTE = "audit.status";
    public static final String VIOLATIONS_ATTRIBUTE = "audit.consent.violations";
    public static final String DUPLICATE_IDS_ATTRIBUTE = "audit.duplicate.ids";
    public static final String STALE_SOURCES_ATTRIBUTE = "audit.stale.sources";

    public static final String COUNTER_PROFILES = "AuditProfileStore profiles scanned";
    public static final String COUNTER_DUPLICATE_IDS = "AuditProfileStore duplicate ids";
    public static final String COUNTER_VIOLATIONS = "AuditProfileStore consent violations";
    public static final String COUNTER_STALE = "AuditProfileStore stale sources";
    public static final String COUNTER_FAILED_RUNS = "AuditProfileStore failed runs";

    public enum RepairMode implements DescribedEnum {
        REPORT_ONLY("Report Only", "Only the audit record is written."),
        EMIT_REPAIRS("Emit Repairs", "The merges go to 'merges' and the violating profiles to 'violations' as well, for the flow to apply "
                + "(the sync-audit template folds merged-away rows into the survivor and anonymises or deletes violators). A merge that "
                + "touches a violating profile is held back until a later run.");

        private final Described described;

        RepairMode(final String displayName, final String description) {
            this.described = new Described(displayName, description);
        }

        @Override
        public Described described() {
            return described;
        }
    }

    public static final PropertyDescriptor DBCP_SERVICE = new PropertyDescriptor.Builder()
            .name("Database Connection Pooling Service")
            .description("The pool of the database holding the profile, consent, suppression and sync runs tables. The audit holds one "
                    + "connection for a run and creates a temporary table on it (see the additional details).")
            .identifiesControllerService(DBCPService.class)
            .required(true)
            .build();

    public static final PropertyDescriptor RECORD_WRITER = RecordServiceProperties.writer("Writes the audit record, the merges and the violations.");

    public static final PropertyDescriptor PROFILE_TABLE = table("Profile Table Name", "The stored profiles: a table or view (optionally schema.name).",
            "customer_profiles", true);
    public static final PropertyDescriptor CUSTOMER_ID_COLUMN = column("Customer ID Column", "The unique customer id; the pages are keyed on it, so it "
            + "must be indexed (a primary key is).", "customer_id", true);
    public static final PropertyDescriptor SUBJECT_KEY_COLUMN = column("Subject Key Column", "The profile's consent subject key, compared with the "
            + "consent store and the suppression list.", "subject_key", true);
    public static final PropertyDescriptor EMAIL_COLUMN = column("Email Column", "The email: linked as CustomerDedup links Email Record Paths. A profile "
            + "whose email is empty (anonymised) is not in use and is not checked for consent.", "email", true);
    public static final PropertyDescriptor PHONE_COLUMN = column("Phone Column", "The phone: linked as CustomerDedup links Phone Record Paths.", "phone", true);

    public static final PropertyDescriptor GMAIL_RULES = new PropertyDescriptor.Builder()
            .fromPropertyDescriptor(IdentityMatchingDescriptors.GMAIL_RULES)
            .description("As in CustomerDedup: whether gmail.com and googlemail.com addresses lose the dots of the local part and any +tag.")
            .clearDependsOn()
            .build();

    public static final PropertyDescriptor DEFAULT_PHONE_REGION = new PropertyDescriptor.Builder()
            .fromPropertyDescriptor(IdentityMatchingDescriptors.DEFAULT_PHONE_REGION)
            .description("As in CustomerDedup: the region of phone numbers stored without a country code.")
            .clearDependsOn()
            .build();

    public static final PropertyDescriptor PHONE_ACCEPTANCE = new PropertyDescriptor.Builder()
            .fromPropertyDescriptor(IdentityMatchingDescriptors.PHONE_ACCEPTANCE)
            .description("As in CustomerDedup: which phone numbers may link profiles.")
            .clearDependsOn()
            .build();

    public static final PropertyDescriptor BLOCKED_VALUES = new PropertyDescriptor.Builder()
            .fromPropertyDescriptor(IdentityMatchingDescriptors.BLOCKED_VALUES)
            .description("As in CustomerDedup: comma-separated placeholder values that never link profiles (* matches any run of characters, "
                    + BlockedValues.REPEATED_DIGITS + ", " + BlockedValues.SEQUENTIAL_DIGITS + "). Set it as CustomerDedup's.")
            .build();

    public static final PropertyDescriptor MAX_CLUSTER_SIZE = new PropertyDescriptor.Builder()
            .fromPropertyDescriptor(IdentityMatchingDescriptors.MAX_CLUSTER_SIZE)
            .description("As in CustomerDedup: an email or phone shared by more stored profiles than this links none of them (a placeholder "
                    + "or a shared office number); such keys are counted in the audit record.")
            .build();

    public static final PropertyDescriptor CONSENT_TABLE = table("Consent Table Name", "The consent store as ConsentFilter's Database store reads it: "
            + "one row per subject with the Store Status, Store Timestamp and Store Purposes columns (any may be absent), e.g. the "
            + "consent_lookup view.", "consent_lookup", true);
    public static final PropertyDescriptor CONSENT_KEY_COLUMN = column("Consent Subject Key Column", "Column of the consent table or view holding the "
            + "subject key; give it an index.", "subject_key", true);

    public static final PropertyDescriptor STORE_STATUS_FIELD = new PropertyDescriptor.Builder()
            .fromPropertyDescriptor(ConsentPolicyDescriptors.STORE_STATUS_FIELD).build();
    public static final PropertyDescriptor STORE_TIMESTAMP_FIELD = new PropertyDescriptor.Builder()
            .fromPropertyDescriptor(ConsentPolicyDescriptors.STORE_TIMESTAMP_FIELD).build();
    public static final PropertyDescriptor STORE_PURPOSES_FIELD = new PropertyDescriptor.Builder()
            .fromPropertyDescriptor(ConsentPolicyDescriptors.STORE_PURPOSES_FIELD).build();

    public static final PropertyDescriptor PURPOSES = new PropertyDescriptor.Builder()
            .fromPropertyDescriptor(ConsentPolicyDescriptors.PURPOSES)
            .description("Comma-separated purposes the stored profiles are used for (the campaign purposes), as ConsentFilter's Purposes. "
                    + "A profile in use must be allowed for every one.")
            .defaultValue("email_marketing")
            .build();

    public static final PropertyDescriptor DEFAULT_POLICY = new PropertyDescriptor.Builder()
            .fromPropertyDescriptor(ConsentPolicyDescriptors.DEFAULT_POLICY)
            .description("As ConsentFilter's Default Policy (the audit has no jurisdiction per profile, so it applies to every profile): "
                    + "Require Consent counts a profile without a grant as a violation (fail closed).")
            .build();

    public static final PropertyDescriptor MAX_CONSENT_AGE = new PropertyDescriptor.Builder()
            .fromPropertyDescriptor(ConsentPolicyDescriptors.MAX_CONSENT_AGE)
            .description("As ConsentFilter's: a grant older than this counts as expired. Empty: no limit.")
            .build();

    public static final PropertyDescriptor SUPPRESSION_TABLE = table("Suppression Table Name", "The suppression list: a profile in use whose subject key "
            + "is in it is a violation.", "suppression", true);
    public static final PropertyDescriptor SUPPRESSION_KEY_COLUMN = new PropertyDescriptor.Builder()
            .name("Suppression Key Column")
            .description("Column of the suppression table holding the subject key.")
            .defaultValue("subject_key")
            .addValidator(DatabaseStoreProperties.COLUMN_NAME_VALIDATOR)
            .required(true)
            .dependsOn(SUPPRESSION_TABLE)
            .build();

    public static final PropertyDescriptor SYNC_RUNS_TABLE = table("Sync Runs Table Name", "One row per successful sync, appended by the ingest flows "
            + "after their write commits: source, finish time and newest record time. Empty: no freshness check.", null, false);
    public static final PropertyDescriptor SYNC_SOURCE_COLUMN = syncColumn("Sync Source Column", "The source name, matched with the SLA properties.",
            "source", true);
    public static final PropertyDescriptor SYNC_FINISHED_COLUMN = syncColumn("Sync Finished Column", "When the sync finished (a timestamp).",
            "finished_at", true);
    public static final PropertyDescriptor SYNC_NEWEST_RECORD_COLUMN = syncColumn("Sync Newest Record Column", "The newest record time the sync "
            + "stored (a timestamp), reported per source.", "newest_record_at", true);

    public static final PropertyDescriptor PAGE_SIZE = new PropertyDescriptor.Builder()
            .name("Page Size")
            .description("Profiles read per query; memory holds one page. Consent and suppression rows are read for the same page, "
                    + "in chunks of at most 1,000 keys.")
            .defaultValue("5000")
            .addValidator(StandardValidators.createLongValidator(1, 100_000, true))
            .required(true)
            .build();

    public static final PropertyDescriptor QUERY_TIMEOUT = new PropertyDescriptor.Builder()
            .name("Query Timeout")
            .description("How long one query may run: 0 seconds (no limit) to 1 hour.")
            .defaultValue("5 min")
            .addValidator(StandardValidators.createTimePeriodValidator(0, TimeUnit.SECONDS, 1, TimeUnit.HOURS))
            .required(true)
            .build();

    public static final PropertyDescriptor REPAIR_MODE = new PropertyDescriptor.Builder()
            .name("Repair Mode")
            .description("Whether the run also emits what would repair the findings. Off by default: an audit only reports.")
            .allowableValues(RepairMode.class)
            .defaultValue(RepairMode.REPORT_ONLY)
            .required(true)
            .build();

    public static final PropertyDescriptor MAX_REPAIRS = new PropertyDescriptor.Builder()
            .name("Maximum Repairs Per Run")
            .description("When a run finds more violations, or more merges, than this, it emits none of them and raises an ERROR bulletin: "
                    + "a consent view that lost its rows must not anonymise the whole table. The audit record is written either way.")
            .defaultValue("10000")
            .addValidator(StandardValidators.createLongValidator(1, Integer.MAX_VALUE, true))
            .required(true)
            .dependsOn(REPAIR_MODE, RepairMode.EMIT_REPAIRS)
            .build();

    public static final Relationship REL_AUDIT = new Relationship.Builder()
            .name("audit")
            .description("One record per run: counts per check, per source and per reason, the run time; ids and values never.")
            .build();

    public static final Relationship REL_MERGES = new Relationship.Builder()
            .name("merges")
            .description("Emit Repairs: one record per stored id that CustomerDedup would have merged into another: old_customer_id, "
                    + "surviving_customer_id, reason (CustomerDedup's 'merges' shape); a merge whose old or surviving id is a violating "
                    + "profile is held back (see 'violations').")
            .build();

    public static final Relationship REL_VIOLATIONS = new Relationship.Builder()
            .name("violations")
            .description("Emit Repairs: one record per profile in use that must not be: customer_id, reason, suppressed.")
            .build();

    protected static final List<PropertyDescriptor> PROPERTIES = List.of(DBCP_SERVICE, RECORD_WRITER, PROFILE_TABLE, CUSTOMER_ID_COLUMN,
            SUBJECT_KEY_COLUMN, EMAIL_COLUMN, PHONE_COLUMN, GMAIL_RULES, DEFAULT_PHONE_REGION, PHONE_ACCEPTANCE, BLOCKED_VALUES, MAX_CLUSTER_SIZE,
            CONSENT_TABLE, CONSENT_KEY_COLUMN, STORE_STATUS_FIELD, STORE_TIMESTAMP_FIELD, STORE_PURPOSES_FIELD, PURPOSES, DEFAULT_POLICY,
            MAX_CONSENT_AGE, ConsentValueLists.GRANT_VALUES, ConsentValueLists.DENIAL_VALUES, ConsentValueLists.WITHDRAWAL_VALUES,
            ConsentValueLists.NO_DECISION_VALUES, SUPPRESSION_TABLE, SUPPRESSION_KEY_COLUMN, SYNC_RUNS_TABLE, SYNC_SOURCE_COLUMN,
            SYNC_FINISHED_COLUMN, SYNC_NEWEST_RECORD_COLUMN, PAGE_SIZE, QUERY_TIMEOUT, REPAIR_MODE, MAX_REPAIRS);

    protected static final Set<Relationship> RELATIONSHIPS = Set.of(REL_AUDIT, REL_MERGES, REL_VIOLATIONS);

    static final RecordSchema AUDIT_SCHEMA = new SimpleRecordSchema(List.of(
            text("audit_id"), text("started_at"), text("finished_at"), number("duration_ms"), text("status"),
            new RecordField("repair", RecordFieldType.BOOLEAN.getDataType(), false),
            number("profiles_scanned"), number("profiles_in_use"), number("duplicate_groups"), number("duplicate_ids"),
            number("oversized_keys"), number("placeholders_blocked"), number("consent_violations"), number("suppressed_in_use"),
            text("violations_by_reason"), number("sources_checked"), number("stale_sources"), text("stale_source_names"), text("freshness"),
            number("merges_emitted"), number("violations_emitted")));

    protected static final String VIOLATION_ID_FIELD = "customer_id";
    protected static final RecordSchema VIOLATION_SCHEMA = new SimpleRecordSchema(List.of(
            new RecordField(VIOLATION_ID_FIELD, RecordFieldType.STRING.getDataType(), false), text("reason"),
            new RecordField("suppressed", RecordFieldType.BOOLEAN.getDataType(), false)));

    static RecordField text(final String name) {
        return new RecordField(name, RecordFieldType.STRING.getDataType(), true);
    }

    static RecordField number(final String name) {
        return new RecordField(name, RecordFieldType.LONG.getDataType(), false);
    }

    private static PropertyDescriptor table(final String name, final String description, final String defaultValue, final boolean required) {
        final PropertyDescriptor.Builder builder = new PropertyDescriptor.Builder().name(name).description(description)
                .addValidator(DatabaseStoreProperties.TABLE_NAME_VALIDATOR).required(required);
        return (defaultValue == null ? builder : builder.defaultValue(defaultValue)).build();
    }

    private static PropertyDescriptor column(final String name, final String description, final String defaultValue, final boolean required) {
        return new PropertyDescriptor.Builder().name(name).description(description).defaultValue(defaultValue)
                .addValidator(DatabaseStoreProperties.COLUMN_NAME_VALIDATOR).required(required).build();
    }

    private static PropertyDescriptor syncColumn(final String name, final String description, final String defaultValue, final boolean required) {
        return new PropertyDescriptor.Builder().name(name).description(description).defaultValue(defaultValue)
                .addValidator(DatabaseStoreProperties.COLUMN_NAME_VALIDATOR).required(required).dependsOn(SYNC_RUNS_TABLE).build();
    }
}
