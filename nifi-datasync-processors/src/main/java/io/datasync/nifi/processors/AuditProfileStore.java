package io.datasync.nifi.processors;

import io.datasync.nifi.audit.AuditReport;
import io.datasync.nifi.audit.ConsentCheck;
import io.datasync.nifi.audit.MatchKeys;
import io.datasync.nifi.audit.ProfileAudit;
import io.datasync.nifi.common.BatchedKeyReader;
import io.datasync.nifi.identity.IdentityMerge;
import io.datasync.nifi.identity.KeyHasher;
import io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors;
import io.datasync.nifi.processors.audit.AuditProfileStoreOutput;
import io.datasync.nifi.processors.audit.AuditProfileStoreSettings;
import io.datasync.nifi.processors.common.PiiSafeErrors;
import io.datasync.nifi.processors.common.ConsentValueLists;
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
import org.apache.nifi.expression.ExpressionLanguageScope;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.flowfile.attributes.CoreAttributes;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.processor.util.StandardValidators;
import org.apache.nifi.scheduling.SchedulingStrategy;
import org.apache.nifi.schema.access.SchemaNotFoundException;
import org.apache.nifi.serialization.RecordSetWriter;
import org.apache.nifi.serialization.WriteResult;
import org.apache.nifi.serialization.record.MapRecord;

import java.io.IOException;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
public class AuditProfileStore extends AuditProfileStoreDescriptors {

    private volatile AuditProfileStoreSettings settings;

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

    @OnScheduled
    public void onScheduled(final ProcessContext context) {
        settings = AuditProfileStoreSettings.from(context);
    }

    @Override
    public void onTrigger(final ProcessContext context, final ProcessSession session) throws ProcessException {
        final AuditProfileStoreSettings run = settings;
        final AuditProfileStoreOutput output = new AuditProfileStoreOutput(session, run, getLogger());
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
                    mergesEmitted = output.writeMerges(ready);
                }
            }
        }
        output.writeAudit(report, mergesEmitted, violationsWritten);
        output.bulletins(report);
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

    private static String sqlState(final Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql && sql.getSQLState() != null) {
                return " (SQL state " + sql.getSQLState() + ")";
            }
        }
        return "";
    }
}
