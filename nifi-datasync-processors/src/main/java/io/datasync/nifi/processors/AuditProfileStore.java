package io.datasync.nifi.processors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datasync.nifi.audit.AuditReport;
import io.datasync.nifi.audit.ConsentCheck;
import io.datasync.nifi.audit.FreshnessCheck;
import io.datasync.nifi.audit.MatchKeys;
import io.datasync.nifi.audit.ProfileAudit;
import io.datasync.nifi.audit.ProfileColumns;
import io.datasync.nifi.common.BatchedKeyReader;
import io.datasync.nifi.common.Timestamps;
import io.datasync.nifi.consent.ConsentEvaluator;
import io.datasync.nifi.consent.EvidenceReader;
import io.datasync.nifi.identity.BlockedValues;
import io.datasync.nifi.identity.EmailNormalizer;
import io.datasync.nifi.identity.IdentityMerge;
import io.datasync.nifi.identity.KeyHasher;
import io.datasync.nifi.identity.PhoneNormalizer;
import io.datasync.nifi.processors.ConsentFilterChoices.DefaultPolicy;
import io.datasync.nifi.processors.CustomerDedupDescriptors.PhoneAcceptance;
import io.datasync.nifi.processors.common.DatabaseStoreProperties;
import io.datasync.nifi.processors.common.DescribedEnum;
import io.datasync.nifi.processors.common.PiiSafeErrors;
import org.apache.nifi.annotation.behavior.DynamicProperty;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.PrimaryNodeOnly;
import org.apache.nifi.annotation.behavior.SystemResource;
import org.apache.nifi.annotation.behavior.SystemResourceConsideration;
import org.apache.nifi.annotation.behavior.TriggerSerially;
import org.apache.nifi.annotation.behavior.WritesAttribute;
import org.apache.nifi.annotation.behavior.WritesAttributes;
import org.apache.nifi.annotation.configuration.DefaultSchedule;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.SeeAlso;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.annotation.documentation.UseCase;
import org.apache.nifi.annotation.lifecycle.OnScheduled;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationContext;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.dbcp.DBCPService;
import org.apache.nifi.expression.ExpressionLanguageScope;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.flowfile.attributes.CoreAttributes;
import org.apache.nifi.processor.AbstractProcessor;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.processor.util.StandardValidators;
import org.apache.nifi.scheduling.SchedulingStrategy;
import org.apache.nifi.schema.access.SchemaNotFoundException;
import org.apache.nifi.serialization.RecordSetWriter;
import org.apache.nifi.serialization.RecordSetWriterFactory;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.WriteResult;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.serialization.record.RecordSchema;

import java.io.IOException;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

@PrimaryNodeOnly
@TriggerSerially
@SystemResourceConsideration(resource = SystemResource.MEMORY, description = "One page of profiles (Page Size rows: id, subject key, "
        + "email, phone) and its consent rows are held at a time, whatever the table size; beyond that, memory grows with the number of "
        + "stored profiles that share a key (the duplicate groups) and, with Emit Repairs, with the number of merges.")
@DefaultSchedule(strategy = SchedulingStrategy.TIMER_DRIVEN, period = "1 hour")
@InputRequirement(InputRequirement.Requirement.INPUT_FORBIDDEN)
@Tags({"audit", "data quality", "freshness", "duplicates", "consent", "gdpr", "database", "datasync"})
@CapabilityDescription("Audits the stored customer profiles on a schedule, reading the profile table through a Database Connection "
        + "Pooling Service in pages keyed on the customer id (bounded memory, any table size). Three checks: Freshness (per source, "
        + "the last successful sync and newest stored record from a sync runs table, against an SLA per source given as dynamic "
        + "properties), Duplicates (stored profiles that CustomerDedup's normalisers would link: the same normalised email or phone "
        + "under different customer ids, transitively) and Consent (profiles in use that ConsentFilter's evaluator, run against the "
        + "consent store now, would not allow for the Purposes, and profiles in use whose subject key is on the suppression list). "
        + "Writes one audit record per run to 'audit' (counts only, no personal data), a bulletin per failed check (WARN for "
        + "freshness and duplicates, ERROR for consent) and counters. With Repair Mode Emit Repairs it also emits the merges "
        + "(old id to surviving id, CustomerDedup's 'merges' shape) and the violating profile ids, for the flow to apply.")
@WritesAttributes({
        @WritesAttribute(attribute = AuditProfileStore.STATUS_ATTRIBUTE, description = "On 'audit': PASS, WARN (stale sources or duplicates) "
                + "or FAIL (consent violations)"),
        @WritesAttribute(attribute = AuditProfileStore.VIOLATIONS_ATTRIBUTE, description = "On 'audit': the number of consent violations"),
        @WritesAttribute(attribute = AuditProfileStore.DUPLICATE_IDS_ATTRIBUTE, description = "On 'audit': the number of ids a merge would "
                + "point at another id"),
        @WritesAttribute(attribute = AuditProfileStore.STALE_SOURCES_ATTRIBUTE, description = "On 'audit': the number of stale sources"),
        @WritesAttribute(attribute = "record.count", description = "The number of records written"),
        @WritesAttribute(attribute = "mime.type", description = "The Record Writer's MIME type")
})
@DynamicProperty(name = "A source name, as the sync runs table writes it", value = "The source's SLA, a time period such as 2 hours",
        description = "A source whose last successful sync is older than this, or that never synced, is stale. One property per source.",
        expressionLanguageScope = ExpressionLanguageScope.NONE)
@SeeAlso({CustomerDedup.class, ConsentFilter.class, ProfileMerge.class})
@UseCase(description = "Check every night that the profile table is fresh, unique and compliant, and alert before a campaign uses it.",
        configuration = """
                Set "Database Connection Pooling Service" to the pool of the profile database and "Record Writer" to a JSON writer.
                Keep the table and column names at their defaults or set them to yours; set "Purposes" as in ConsentFilter.
                Set "Sync Runs Table Name" to the table the ingest flows append a row to after each successful sync, and add one
                dynamic property per source, named as the source, whose value is its SLA (crm = 2 hours).
                Connect 'audit' to PutDatabaseRecord (INSERT into the audit table); leave Repair Mode at Report Only.
                Alert on the processor's bulletins (ERROR for consent, WARN for freshness and duplicates) or on the audit table.
                """)
public class AuditProfileStore extends AbstractProcessor {

    static final String STATUS_ATTRIBUTE = "audit.status";
    static final String VIOLATIONS_ATTRIBUTE = "audit.consent.violations";
    static final String DUPLICATE_IDS_ATTRIBUTE = "audit.duplicate.ids";
    static final String STALE_SOURCES_ATTRIBUTE = "audit.stale.sources";

    static final String COUNTER_PROFILES = "AuditProfileStore profiles scanned";
    static final String COUNTER_DUPLICATE_IDS = "AuditProfileStore duplicate ids";
    static final String COUNTER_VIOLATIONS = "AuditProfileStore consent violations";
    static final String COUNTER_STALE = "AuditProfileStore stale sources";
    static final String COUNTER_FAILED_RUNS = "AuditProfileStore failed runs";

    enum RepairMode implements DescribedEnum {
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

    static final PropertyDescriptor DBCP_SERVICE = new PropertyDescriptor.Builder()
            .name("Database Connection Pooling Service")
            .description("The pool of the database holding the profile, consent, suppression and sync runs tables. The audit holds one "
                    + "connection for a run and creates a temporary table on it (see the additional details).")
            .identifiesControllerService(DBCPService.class)
            .required(true)
            .build();

    static final PropertyDescriptor RECORD_WRITER = new PropertyDescriptor.Builder()
            .name("Record Writer")
            .description("Writes the audit record, the merges and the violations.")
            .identifiesControllerService(RecordSetWriterFactory.class)
            .required(true)
            .build();

    static final PropertyDescriptor PROFILE_TABLE = table("Profile Table Name", "The stored profiles: a table or view (optionally schema.name).",
            "customer_profiles", true);
    static final PropertyDescriptor CUSTOMER_ID_COLUMN = column("Customer ID Column", "The unique customer id; the pages are keyed on it, so it "
            + "must be indexed (a primary key is).", "customer_id", true);
    static final PropertyDescriptor SUBJECT_KEY_COLUMN = column("Subject Key Column", "The profile's consent subject key, compared with the "
            + "consent store and the suppression list.", "subject_key", true);
    static final PropertyDescriptor EMAIL_COLUMN = column("Email Column", "The email: linked as CustomerDedup links Email Record Paths. A profile "
            + "whose email is empty (anonymised) is not in use and is not checked for consent.", "email", true);
    static final PropertyDescriptor PHONE_COLUMN = column("Phone Column", "The phone: linked as CustomerDedup links Phone Record Paths.", "phone", true);

    static final PropertyDescriptor GMAIL_RULES = new PropertyDescriptor.Builder()
            .name("Apply Gmail Address Rules")
            .description("As in CustomerDedup: whether gmail.com and googlemail.com addresses lose the dots of the local part and any +tag.")
            .allowableValues("true", "false")
            .defaultValue("true")
            .required(true)
            .build();

    static final PropertyDescriptor DEFAULT_PHONE_REGION = new PropertyDescriptor.Builder()
            .name("Default Phone Region")
            .description("As in CustomerDedup: the region of phone numbers stored without a country code.")
            .addValidator(new CustomerDedup.PhoneRegionValidator())
            .defaultValue("US")
            .required(true)
            .build();

    static final PropertyDescriptor PHONE_ACCEPTANCE = new PropertyDescriptor.Builder()
            .name("Phone Number Acceptance")
            .description("As in CustomerDedup: which phone numbers may link profiles.")
            .allowableValues(PhoneAcceptance.class)
            .defaultValue(PhoneAcceptance.POSSIBLE)
            .required(true)
            .build();

    static final PropertyDescriptor BLOCKED_VALUES = new PropertyDescriptor.Builder()
            .name("Blocked Values")
            .description("As in CustomerDedup: comma-separated placeholder values that never link profiles (* matches any run of characters, "
                    + BlockedValues.REPEATED_DIGITS + ", " + BlockedValues.SEQUENTIAL_DIGITS + "). Set it as CustomerDedup's.")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .defaultValue(String.join(",", BlockedValues.DEFAULTS))
            .required(false)
            .build();

    static final PropertyDescriptor MAX_CLUSTER_SIZE = new PropertyDescriptor.Builder()
            .name("Maximum Cluster Size")
            .description("As in CustomerDedup: an email or phone shared by more stored profiles than this links none of them (a placeholder "
                    + "or a shared office number); such keys are counted in the audit record.")
            .addValidator(StandardValidators.createLongValidator(2, Integer.MAX_VALUE, true))
            .defaultValue("50")
            .required(true)
            .build();

    static final PropertyDescriptor CONSENT_TABLE = table("Consent Table Name", "The consent store as ConsentFilter's Database store reads it: "
            + "one row per subject with the Store Status, Store Timestamp and Store Purposes columns (any may be absent), e.g. the "
            + "consent_lookup view.", "consent_lookup", true);
    static final PropertyDescriptor CONSENT_KEY_COLUMN = column("Consent Subject Key Column", "Column of the consent table or view holding the "
            + "subject key; give it an index.", "subject_key", true);

    static final PropertyDescriptor STORE_STATUS_FIELD = new PropertyDescriptor.Builder()
            .fromPropertyDescriptor(ConsentFilter.STORE_STATUS_FIELD).build();
    static final PropertyDescriptor STORE_TIMESTAMP_FIELD = new PropertyDescriptor.Builder()
            .fromPropertyDescriptor(ConsentFilter.STORE_TIMESTAMP_FIELD).build();
    static final PropertyDescriptor STORE_PURPOSES_FIELD = new PropertyDescriptor.Builder()
            .fromPropertyDescriptor(ConsentFilter.STORE_PURPOSES_FIELD).build();

    static final PropertyDescriptor PURPOSES = new PropertyDescriptor.Builder()
            .name("Purposes")
            .description("Comma-separated purposes the stored profiles are used for (the campaign purposes), as ConsentFilter's Purposes. "
                    + "A profile in use must be allowed for every one.")
            .defaultValue("email_marketing")
            .required(true)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    static final PropertyDescriptor DEFAULT_POLICY = new PropertyDescriptor.Builder()
            .name("Default Policy")
            .description("As ConsentFilter's Default Policy (the audit has no jurisdiction per profile, so it applies to every profile): "
                    + "Require Consent counts a profile without a grant as a violation (fail closed).")
            .allowableValues(DefaultPolicy.class)
            .defaultValue(DefaultPolicy.REQUIRE_CONSENT)
            .required(true)
            .build();

    static final PropertyDescriptor MAX_CONSENT_AGE = new PropertyDescriptor.Builder()
            .name("Maximum Consent Age")
            .description("As ConsentFilter's: a grant older than this counts as expired. Empty: no limit.")
            .required(false)
            .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
            .build();

    static final PropertyDescriptor SUPPRESSION_TABLE = table("Suppression Table Name", "The suppression list: a profile in use whose subject key "
            + "is in it is a violation.", "suppression", true);
    static final PropertyDescriptor SUPPRESSION_KEY_COLUMN = new PropertyDescriptor.Builder()
            .name("Suppression Key Column")
            .description("Column of the suppression table holding the subject key.")
            .defaultValue("subject_key")
            .addValidator(DatabaseStoreProperties.COLUMN_NAME_VALIDATOR)
            .required(true)
            .dependsOn(SUPPRESSION_TABLE)
            .build();

    static final PropertyDescriptor SYNC_RUNS_TABLE = table("Sync Runs Table Name", "One row per successful sync, appended by the ingest flows "
            + "after their write commits: source, finish time and newest record time. Empty: no freshness check.", null, false);
    static final PropertyDescriptor SYNC_SOURCE_COLUMN = syncColumn("Sync Source Column", "The source name, matched with the SLA properties.",
            "source", true);
    static final PropertyDescriptor SYNC_FINISHED_COLUMN = syncColumn("Sync Finished Column", "When the sync finished (a timestamp).",
            "finished_at", true);
    static final PropertyDescriptor SYNC_NEWEST_RECORD_COLUMN = syncColumn("Sync Newest Record Column", "The newest record time the sync "
            + "stored (a timestamp), reported per source.", "newest_record_at", true);

    static final PropertyDescriptor PAGE_SIZE = new PropertyDescriptor.Builder()
            .name("Page Size")
            .description("Profiles read per query; memory holds one page. Consent and suppression rows are read for the same page, "
                    + "in chunks of at most 1,000 keys.")
            .defaultValue("5000")
            .addValidator(StandardValidators.createLongValidator(1, 100_000, true))
            .required(true)
            .build();

    static final PropertyDescriptor QUERY_TIMEOUT = new PropertyDescriptor.Builder()
            .name("Query Timeout")
            .description("How long one query may run: 0 seconds (no limit) to 1 hour.")
            .defaultValue("5 min")
            .addValidator(StandardValidators.createTimePeriodValidator(0, TimeUnit.SECONDS, 1, TimeUnit.HOURS))
            .required(true)
            .build();

    static final PropertyDescriptor REPAIR_MODE = new PropertyDescriptor.Builder()
            .name("Repair Mode")
            .description("Whether the run also emits what would repair the findings. Off by default: an audit only reports.")
            .allowableValues(RepairMode.class)
            .defaultValue(RepairMode.REPORT_ONLY)
            .required(true)
            .build();

    static final PropertyDescriptor MAX_REPAIRS = new PropertyDescriptor.Builder()
            .name("Maximum Repairs Per Run")
            .description("When a run finds more violations, or more merges, than this, it emits none of them and raises an ERROR bulletin: "
                    + "a consent view that lost its rows must not anonymise the whole table. The audit record is written either way.")
            .defaultValue("10000")
            .addValidator(StandardValidators.createLongValidator(1, Integer.MAX_VALUE, true))
            .required(true)
            .dependsOn(REPAIR_MODE, RepairMode.EMIT_REPAIRS)
            .build();

    static final Relationship REL_AUDIT = new Relationship.Builder()
            .name("audit")
            .description("One record per run: counts per check, per source and per reason, the run time; ids and values never.")
            .build();

    static final Relationship REL_MERGES = new Relationship.Builder()
            .name("merges")
            .description("Emit Repairs: one record per stored id that CustomerDedup would have merged into another: old_customer_id, "
                    + "surviving_customer_id, reason (CustomerDedup's 'merges' shape); a merge whose old or surviving id is a violating "
                    + "profile is held back (see 'violations').")
            .build();

    static final Relationship REL_VIOLATIONS = new Relationship.Builder()
            .name("violations")
            .description("Emit Repairs: one record per profile in use that must not be: customer_id, reason, suppressed.")
            .build();

    private static final List<PropertyDescriptor> PROPERTIES = List.of(DBCP_SERVICE, RECORD_WRITER, PROFILE_TABLE, CUSTOMER_ID_COLUMN,
            SUBJECT_KEY_COLUMN, EMAIL_COLUMN, PHONE_COLUMN, GMAIL_RULES, DEFAULT_PHONE_REGION, PHONE_ACCEPTANCE, BLOCKED_VALUES, MAX_CLUSTER_SIZE,
            CONSENT_TABLE, CONSENT_KEY_COLUMN, STORE_STATUS_FIELD, STORE_TIMESTAMP_FIELD, STORE_PURPOSES_FIELD, PURPOSES, DEFAULT_POLICY,
            MAX_CONSENT_AGE, ConsentValueLists.GRANT_VALUES, ConsentValueLists.DENIAL_VALUES, ConsentValueLists.WITHDRAWAL_VALUES,
            ConsentValueLists.NO_DECISION_VALUES, SUPPRESSION_TABLE, SUPPRESSION_KEY_COLUMN, SYNC_RUNS_TABLE, SYNC_SOURCE_COLUMN,
            SYNC_FINISHED_COLUMN, SYNC_NEWEST_RECORD_COLUMN, PAGE_SIZE, QUERY_TIMEOUT, REPAIR_MODE, MAX_REPAIRS);

    private static final Set<Relationship> RELATIONSHIPS = Set.of(REL_AUDIT, REL_MERGES, REL_VIOLATIONS);

    static final RecordSchema AUDIT_SCHEMA = new SimpleRecordSchema(List.of(
            text("audit_id"), text("started_at"), text("finished_at"), number("duration_ms"), text("status"),
            new RecordField("repair", RecordFieldType.BOOLEAN.getDataType(), false),
            number("profiles_scanned"), number("profiles_in_use"), number("duplicate_groups"), number("duplicate_ids"),
            number("oversized_keys"), number("placeholders_blocked"), number("consent_violations"), number("suppressed_in_use"),
            text("violations_by_reason"), number("sources_checked"), number("stale_sources"), text("stale_source_names"), text("freshness"),
            number("merges_emitted"), number("violations_emitted")));

    static final String VIOLATION_ID_FIELD = "customer_id";
    static final RecordSchema VIOLATION_SCHEMA = new SimpleRecordSchema(List.of(
            new RecordField(VIOLATION_ID_FIELD, RecordFieldType.STRING.getDataType(), false), text("reason"),
            new RecordField("suppressed", RecordFieldType.BOOLEAN.getDataType(), false)));

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The consent store and suppression list are read in chunks of at most this many keys per query. */
    private static final int MAX_KEYS_PER_QUERY = 1000;

    private volatile Settings settings;

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
                .description("The SLA of source " + propertyDescriptorName)
                .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
                .dynamic(true)
                .build();
    }

    @Override
    protected Collection<ValidationResult> customValidate(final ValidationContext context) {
        final List<ValidationResult> results = new ArrayList<>();
        ConsentValueLists.validate(context).ifPresent(results::add);
        final boolean slas = context.getProperties().keySet().stream().anyMatch(PropertyDescriptor::isDynamic);
        if (slas && !context.getProperty(SYNC_RUNS_TABLE).isSet()) {
            results.add(new ValidationResult.Builder().subject("SLA properties").valid(false)
                    .explanation("SLAs per source need a Sync Runs Table Name").build());
        }
        return results;
    }

    /** What a run needs, compiled once per scheduling. */
    private record Settings(DBCPService pool, RecordSetWriterFactory writerFactory, ProfileColumns columns, int pageSize, int timeoutSeconds,
                            int maxClusterSize, EmailNormalizer email, PhoneNormalizer phone, BlockedValues blocked, ConsentCheck consentCheck,
                            FreshnessCheck freshnessCheck, boolean repair, int maxRepairs) {
    }

    @OnScheduled
    public void onScheduled(final ProcessContext context) {
        final int timeoutSeconds = Math.toIntExact(context.getProperty(QUERY_TIMEOUT).asTimePeriod(TimeUnit.SECONDS));
        final int pageSize = context.getProperty(PAGE_SIZE).asInteger();
        final String phoneColumn = context.getProperty(PHONE_COLUMN).getValue();
        final ProfileColumns columns = new ProfileColumns(context.getProperty(PROFILE_TABLE).getValue(),
                context.getProperty(CUSTOMER_ID_COLUMN).getValue(), context.getProperty(SUBJECT_KEY_COLUMN).getValue(),
                context.getProperty(EMAIL_COLUMN).getValue(), phoneColumn);
        final PhoneNormalizer phone = phoneColumn == null ? null : new PhoneNormalizer(context.getProperty(DEFAULT_PHONE_REGION).getValue(),
                context.getProperty(PHONE_ACCEPTANCE).asAllowableValue(PhoneAcceptance.class) == PhoneAcceptance.POSSIBLE);

        final List<String> purposes = Arrays.stream(context.getProperty(PURPOSES).getValue().split(",")).map(String::trim)
                .filter(p -> !p.isEmpty()).distinct().toList();
        final Duration maxAge = context.getProperty(MAX_CONSENT_AGE).isSet()
                ? Duration.ofMillis(context.getProperty(MAX_CONSENT_AGE).asTimePeriod(TimeUnit.MILLISECONDS)) : null;
        final String statusField = context.getProperty(STORE_STATUS_FIELD).getValue();
        final String timestampField = context.getProperty(STORE_TIMESTAMP_FIELD).getValue();
        final EvidenceReader evidenceReader = new EvidenceReader(purposes, ConsentValueLists.vocabulary(context), Timestamps.EpochUnit.MILLISECONDS,
                null, statusField, timestampField, null, null, EvidenceReader.MalformedSignalHandling.DENY);
        final ConsentCheck consentCheck = new ConsentCheck(
                new ConsentCheck.Store(context.getProperty(CONSENT_TABLE).getValue(), context.getProperty(CONSENT_KEY_COLUMN).getValue(),
                        statusField, timestampField, context.getProperty(STORE_PURPOSES_FIELD).getValue()),
                evidenceReader, new ConsentEvaluator(purposes, maxAge),
                context.getProperty(DEFAULT_POLICY).asAllowableValue(DefaultPolicy.class).regime(),
                context.getProperty(SUPPRESSION_TABLE).getValue(),
                context.getProperty(SUPPRESSION_KEY_COLUMN).getValue(), Math.min(pageSize, MAX_KEYS_PER_QUERY), timeoutSeconds);

        FreshnessCheck freshnessCheck = null;
        if (context.getProperty(SYNC_RUNS_TABLE).isSet()) {
            final Map<String, Duration> slas = new HashMap<>();
            for (final Map.Entry<PropertyDescriptor, String> property : context.getProperties().entrySet()) {
                if (property.getKey().isDynamic() && property.getValue() != null) {
                    slas.put(property.getKey().getName(), Duration.ofMillis(
                            context.getProperty(property.getKey()).asTimePeriod(TimeUnit.MILLISECONDS)));
                }
            }
            freshnessCheck = new FreshnessCheck(context.getProperty(SYNC_RUNS_TABLE).getValue(), context.getProperty(SYNC_SOURCE_COLUMN).getValue(),
                    context.getProperty(SYNC_FINISHED_COLUMN).getValue(),
                    context.getProperty(SYNC_NEWEST_RECORD_COLUMN).getValue(),
                    slas, timeoutSeconds);
        }
        final boolean repair = context.getProperty(REPAIR_MODE).asAllowableValue(RepairMode.class) == RepairMode.EMIT_REPAIRS;
        settings = new Settings(context.getProperty(DBCP_SERVICE).asControllerService(DBCPService.class),
                context.getProperty(RECORD_WRITER).asControllerService(RecordSetWriterFactory.class), columns, pageSize, timeoutSeconds,
                context.getProperty(MAX_CLUSTER_SIZE).asInteger(), new EmailNormalizer(context.getProperty(GMAIL_RULES).asBoolean()), phone,
                BlockedValues.parse(context.getProperty(BLOCKED_VALUES).getValue()), consentCheck, freshnessCheck, repair,
                repair ? context.getProperty(MAX_REPAIRS).asInteger() : 0);
    }

    @Override
    public void onTrigger(final ProcessContext context, final ProcessSession session) throws ProcessException {
        final Settings run = settings;
        // The hash only keeps values out of the spill table; it never leaves the run, so a fixed namespace and no key suffice.
        final MatchKeys matchKeys = new MatchKeys(run.email(), run.phone(), run.blocked(), new KeyHasher("datasync-audit"));
        final ProfileAudit audit = new ProfileAudit(run.columns(), run.pageSize(), run.timeoutSeconds(), run.maxClusterSize(), matchKeys,
                run.consentCheck(), run.freshnessCheck(), Clock.systemUTC());
        FlowFile violations = run.repair() ? session.create() : null;
        final List<IdentityMerge> merges = new ArrayList<>();
        final Set<String> violators = new HashSet<>();
        final AuditReport report;
        long violationsWritten = 0;
        final Map<String, String> violationAttributes = new HashMap<>();
        try (Connection connection = run.pool().getConnection()) {
            if (violations == null) {
                report = audit.run(connection, new CollectMerges(merges, null, violators, run.maxRepairs()));
            } else {
                try (OutputStream out = session.write(violations);
                     RecordSetWriter writer = run.writerFactory().createWriter(getLogger(),
                             run.writerFactory().getSchema(Map.of(), VIOLATION_SCHEMA), out, Map.of())) {
                    writer.beginRecordSet();
                    report = audit.run(connection, new CollectMerges(merges, writer, violators, run.maxRepairs()));
                    final WriteResult result = writer.finishRecordSet();
                    violationsWritten = result.getRecordCount();
                    violationAttributes.putAll(result.getAttributes());
                    violationAttributes.put("record.count", String.valueOf(result.getRecordCount()));
                    violationAttributes.put(CoreAttributes.MIME_TYPE.key(), writer.getMimeType());
                }
                violations = session.putAllAttributes(violations, violationAttributes);
            }
        } catch (final SQLException | IOException | SchemaNotFoundException | ProcessException | UncheckedSqlException
                       | BatchedKeyReader.AmbiguousKeyException e) {
            if (violations != null) {
                session.remove(violations);
            }
            session.adjustCounter(COUNTER_FAILED_RUNS, 1, false);
            // Driver messages can quote values (a key in a constraint message), so only the types and the SQL state are reported.
            getLogger().error("Audit of {} failed and wrote no audit record: {}{}", run.columns().table(), PiiSafeErrors.describe(e),
                    sqlState(e), PiiSafeErrors.redacted(e));
            context.yield();
            return;
        }

        final boolean tooMany = run.repair() && (report.violations() > run.maxRepairs() || merges.size() > run.maxRepairs());
        long mergesEmitted = 0;
        if (violations != null) {
            if (tooMany || violationsWritten == 0) {
                session.remove(violations);
                violationsWritten = 0;
            } else {
                session.getProvenanceReporter().create(violations, "Audit of " + run.columns().table() + ": profiles in use without consent");
                session.transfer(violations, REL_VIOLATIONS);
            }
            if (tooMany) {
                getLogger().error("Repair withheld: {} violations and {} merges exceed Maximum Repairs Per Run ({}); check the consent store "
                        + "and the match settings before repairing", report.violations(), merges.size(), run.maxRepairs());
            } else {
                // A merge that touches a violating profile waits: folded now, the violator's values could be written back
                // over its anonymisation (both repairs run at once). Once repaired it has no email or phone left to link
                // by, so the next run merges what remains of its group without it.
                final List<IdentityMerge> ready = merges.stream()
                        .filter(merge -> !violators.contains(merge.oldId()) && !violators.contains(merge.survivingId())).toList();
                if (ready.size() < merges.size()) {
                    getLogger().info("{} merges held back until their violating profiles are repaired", merges.size() - ready.size());
                }
                if (!ready.isEmpty()) {
                    mergesEmitted = writeMerges(session, run, ready);
                }
            }
        }
        writeAudit(session, run, report, mergesEmitted, violationsWritten);
        bulletins(run, report);
        session.adjustCounter(COUNTER_PROFILES, report.profilesScanned(), false);
        session.adjustCounter(COUNTER_DUPLICATE_IDS, report.duplicates().duplicateIds(), false);
        session.adjustCounter(COUNTER_VIOLATIONS, report.violations(), false);
        session.adjustCounter(COUNTER_STALE, report.staleSources(), false);
    }

    /**
     * Collects the merges and streams the violations to the writer (null: report only), keeping the violating ids up to
     * one more than {@code maxViolatorIds} (beyond it no repair is emitted at all, so the ids are not needed).
     */
    private static final class CollectMerges implements ProfileAudit.Findings {
        private final List<IdentityMerge> merges;
        private final RecordSetWriter violations;
        private final Set<String> violatorIds;
        private final long maxViolatorIds;

        CollectMerges(final List<IdentityMerge> merges, final RecordSetWriter violations, final Set<String> violatorIds,
                      final long maxViolatorIds) {
            this.merges = merges;
            this.violations = violations;
            this.violatorIds = violatorIds;
            this.maxViolatorIds = maxViolatorIds;
        }

        @Override
        public void violation(final ConsentCheck.Violation violation) {
            if (violations == null) {
                return;
            }
            if (violatorIds.size() <= maxViolatorIds) {
                violatorIds.add(violation.customerId());
            }
            final Map<String, Object> values = new LinkedHashMap<>();
            values.put(VIOLATION_ID_FIELD, violation.customerId());
            values.put("reason", violation.reason());
            values.put("suppressed", violation.suppressed());
            try {
                violations.write(new MapRecord(VIOLATION_SCHEMA, values));
            } catch (final IOException e) {
                throw new UncheckedSqlException(new SQLException("Could not write a violation record", e));
            }
        }

        @Override
        public void merge(final IdentityMerge merge) {
            if (violations != null) {
                merges.add(merge);
            }
        }
    }

    /** Carries a write failure out of the findings callback. */
    private static final class UncheckedSqlException extends RuntimeException {
        UncheckedSqlException(final SQLException cause) {
            super(cause);
        }
    }

    private long writeMerges(final ProcessSession session, final Settings run, final List<IdentityMerge> merges) {
        FlowFile flowFile = session.create();
        final Map<String, String> attributes = new HashMap<>();
        try (OutputStream out = session.write(flowFile);
             RecordSetWriter writer = run.writerFactory().createWriter(getLogger(),
                     run.writerFactory().getSchema(Map.of(), CustomerDedup.MERGE_SCHEMA), out, Map.of())) {
            writer.beginRecordSet();
            for (final IdentityMerge merge : merges) {
                final Map<String, Object> values = new LinkedHashMap<>();
                values.put(CustomerDedup.MERGE_OLD_ID_FIELD, merge.oldId());
                values.put(CustomerDedup.MERGE_SURVIVING_ID_FIELD, merge.survivingId());
                values.put(CustomerDedup.MERGE_REASON_FIELD, merge.reason());
                writer.write(new MapRecord(CustomerDedup.MERGE_SCHEMA, values));
            }
            final WriteResult result = writer.finishRecordSet();
            attributes.putAll(result.getAttributes());
            attributes.put("record.count", String.valueOf(result.getRecordCount()));
            attributes.put(CoreAttributes.MIME_TYPE.key(), writer.getMimeType());
        } catch (final IOException | SchemaNotFoundException e) {
            throw new ProcessException("Could not write the merges", e);
        }
        flowFile = session.putAllAttributes(flowFile, attributes);
        session.getProvenanceReporter().create(flowFile, "Audit of " + run.columns().table() + ": stored duplicates");
        session.transfer(flowFile, REL_MERGES);
        return merges.size();
    }

    private void writeAudit(final ProcessSession session, final Settings run, final AuditReport report, final long mergesEmitted,
                            final long violationsEmitted) {
        final Map<String, Object> values = new LinkedHashMap<>();
        values.put("audit_id", UUID.randomUUID().toString());
        values.put("started_at", seconds(report.startedAt()));
        values.put("finished_at", seconds(report.startedAt().plus(report.duration())));
        values.put("duration_ms", report.duration().toMillis());
        values.put("status", report.status());
        values.put("repair", run.repair());
        values.put("profiles_scanned", report.profilesScanned());
        values.put("profiles_in_use", report.profilesInUse());
        values.put("duplicate_groups", (long) report.duplicates().groupCount());
        values.put("duplicate_ids", report.duplicates().duplicateIds());
        values.put("oversized_keys", report.duplicates().oversizedKeys());
        values.put("placeholders_blocked", report.placeholdersBlocked());
        values.put("consent_violations", report.violations());
        values.put("suppressed_in_use", report.suppressedInUse());
        values.put("violations_by_reason", json(JSON.valueToTree(new java.util.TreeMap<>(report.violationsByReason()))));
        values.put("sources_checked", (long) report.freshness().size());
        values.put("stale_sources", report.staleSources());
        values.put("stale_source_names", staleNames(report));
        values.put("freshness", json(freshness(report)));
        values.put("merges_emitted", mergesEmitted);
        values.put("violations_emitted", violationsEmitted);

        FlowFile flowFile = session.create();
        final Map<String, String> attributes = new HashMap<>();
        try (OutputStream out = session.write(flowFile);
             RecordSetWriter writer = run.writerFactory().createWriter(getLogger(), run.writerFactory().getSchema(Map.of(), AUDIT_SCHEMA),
                     out, Map.of())) {
            writer.beginRecordSet();
            writer.write(new MapRecord(AUDIT_SCHEMA, values));
            final WriteResult result = writer.finishRecordSet();
            attributes.putAll(result.getAttributes());
            attributes.put("record.count", String.valueOf(result.getRecordCount()));
            attributes.put(CoreAttributes.MIME_TYPE.key(), writer.getMimeType());
        } catch (final IOException | SchemaNotFoundException e) {
            throw new ProcessException("Could not write the audit record", e);
        }
        attributes.put(STATUS_ATTRIBUTE, report.status());
        attributes.put(VIOLATIONS_ATTRIBUTE, String.valueOf(report.violations()));
        attributes.put(DUPLICATE_IDS_ATTRIBUTE, String.valueOf(report.duplicates().duplicateIds()));
        attributes.put(STALE_SOURCES_ATTRIBUTE, String.valueOf(report.staleSources()));
        flowFile = session.putAllAttributes(flowFile, attributes);
        session.getProvenanceReporter().create(flowFile, "Audit of " + run.columns().table() + ": " + report.status());
        session.transfer(flowFile, REL_AUDIT);
    }

    private void bulletins(final Settings run, final AuditReport report) {
        final String table = run.columns().table();
        if (report.failed(AuditReport.Check.FRESHNESS)) {
            getLogger().warn("Freshness check failed: {} of {} sources past their SLA: {}", report.staleSources(), report.freshness().size(),
                    staleNames(report));
        }
        if (report.failed(AuditReport.Check.DUPLICATES)) {
            getLogger().warn("Duplicate check failed: {} groups of stored profiles in {} share a normalised email or phone ({} ids would be merged)",
                    report.duplicates().groupCount(), table, report.duplicates().duplicateIds());
        }
        if (report.failed(AuditReport.Check.CONSENT)) {
            getLogger().error("Consent check failed: {} profiles in use in {} are not allowed for the purposes now ({} of them suppressed); by reason: {}",
                    report.violations(), table, report.suppressedInUse(), new java.util.TreeMap<>(report.violationsByReason()));
        }
        getLogger().info("Audit of {}: {} in {} ms, {} profiles in {} pages", table, report.status(), report.duration().toMillis(),
                report.profilesScanned(), report.pages());
    }

    private static String staleNames(final AuditReport report) {
        final String names = report.freshness().stream().filter(FreshnessCheck.SourceFreshness::stale)
                .map(FreshnessCheck.SourceFreshness::source).collect(Collectors.joining(","));
        return names.isEmpty() ? null : names;
    }

    private static ArrayNode freshness(final AuditReport report) {
        final ArrayNode sources = JSON.createArrayNode();
        for (final FreshnessCheck.SourceFreshness source : report.freshness()) {
            final ObjectNode node = sources.addObject();
            node.put("source", source.source());
            node.put("last_sync", seconds(source.lastSync()));
            node.put("newest_record", seconds(source.newestRecord()));
            if (source.lag() == null) {
                node.putNull("lag_seconds");
            } else {
                node.put("lag_seconds", source.lag().toSeconds());
            }
            if (source.sla() == null) {
                node.putNull("sla_seconds");
            } else {
                node.put("sla_seconds", source.sla().toSeconds());
            }
            node.put("stale", source.stale());
        }
        return sources;
    }

    private static String json(final com.fasterxml.jackson.databind.JsonNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (final IOException e) {
            throw new ProcessException("Could not write JSON", e);
        }
    }

    private static String seconds(final Instant instant) {
        return instant == null ? null : instant.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    private static String sqlState(final Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql && sql.getSQLState() != null) {
                return " (SQL state " + sql.getSQLState() + ")";
            }
        }
        return "";
    }

    private static RecordField text(final String name) {
        return new RecordField(name, RecordFieldType.STRING.getDataType(), true);
    }

    private static RecordField number(final String name) {
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
