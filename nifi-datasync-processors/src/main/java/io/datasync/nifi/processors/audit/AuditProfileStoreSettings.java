package io.datasync.nifi.processors.audit;

import io.datasync.nifi.audit.ConsentCheck;
import io.datasync.nifi.audit.FreshnessCheck;
import io.datasync.nifi.audit.ProfileColumns;
import io.datasync.nifi.common.Timestamps;
import io.datasync.nifi.consent.ConsentEvaluator;
import io.datasync.nifi.consent.EvidenceReader;
import io.datasync.nifi.identity.BlockedValues;
import io.datasync.nifi.identity.EmailNormalizer;
import io.datasync.nifi.identity.PhoneNormalizer;
import io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.RepairMode;
import io.datasync.nifi.processors.common.ConsentPolicyDescriptors.DefaultPolicy;
import io.datasync.nifi.processors.common.ConsentValueLists;
import io.datasync.nifi.processors.common.IdentityMatchingDescriptors.PhoneAcceptance;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.dbcp.DBCPService;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.serialization.RecordSetWriterFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;


import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.BLOCKED_VALUES;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.CONSENT_KEY_COLUMN;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.CONSENT_TABLE;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.CUSTOMER_ID_COLUMN;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.DBCP_SERVICE;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.DEFAULT_PHONE_REGION;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.DEFAULT_POLICY;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.EMAIL_COLUMN;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.GMAIL_RULES;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.MAX_CLUSTER_SIZE;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.MAX_CONSENT_AGE;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.MAX_REPAIRS;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.PAGE_SIZE;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.PHONE_ACCEPTANCE;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.PHONE_COLUMN;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.PROFILE_TABLE;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.PURPOSES;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.QUERY_TIMEOUT;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.RECORD_WRITER;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.REPAIR_MODE;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.STORE_PURPOSES_FIELD;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.STORE_STATUS_FIELD;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.STORE_TIMESTAMP_FIELD;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.SUBJECT_KEY_COLUMN;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.SUPPRESSION_KEY_COLUMN;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.SUPPRESSION_TABLE;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.SYNC_FINISHED_COLUMN;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.SYNC_NEWEST_RECORD_COLUMN;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.SYNC_RUNS_TABLE;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.SYNC_SOURCE_COLUMN;

/** What a run of {@link io.datasync.nifi.processors.AuditProfileStore} needs, compiled once per scheduling. */
public record AuditProfileStoreSettings(DBCPService pool, RecordSetWriterFactory writerFactory, ProfileColumns columns, int pageSize, int timeoutSeconds,
                                 int maxClusterSize, EmailNormalizer email, PhoneNormalizer phone, BlockedValues blocked, ConsentCheck consentCheck,
                                 FreshnessCheck freshnessCheck, boolean repair, int maxRepairs) {

    /** The consent store and suppression list are read in chunks of at most this many keys per query. */
    private static final int MAX_KEYS_PER_QUERY = 1000;

    public static AuditProfileStoreSettings from(final ProcessContext context) {
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
        return new AuditProfileStoreSettings(context.getProperty(DBCP_SERVICE).asControllerService(DBCPService.class),
                context.getProperty(RECORD_WRITER).asControllerService(RecordSetWriterFactory.class), columns, pageSize, timeoutSeconds,
                context.getProperty(MAX_CLUSTER_SIZE).asInteger(), new EmailNormalizer(context.getProperty(GMAIL_RULES).asBoolean()), phone,
                BlockedValues.parse(context.getProperty(BLOCKED_VALUES).getValue()), consentCheck, freshnessCheck, repair,
                repair ? context.getProperty(MAX_REPAIRS).asInteger() : 0);
    }
}
