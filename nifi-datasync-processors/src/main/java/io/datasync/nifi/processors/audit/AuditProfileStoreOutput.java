package io.datasync.nifi.processors.audit;

import io.datasync.nifi.audit.AuditReport;
import io.datasync.nifi.audit.FreshnessCheck;
import io.datasync.nifi.identity.IdentityMerge;
import io.datasync.nifi.processors.common.IdentityMatchingDescriptors;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.flowfile.attributes.CoreAttributes;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.schema.access.SchemaNotFoundException;
import org.apache.nifi.serialization.RecordSetWriter;
import org.apache.nifi.serialization.WriteResult;
import org.apache.nifi.serialization.record.MapRecord;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.nifi.logging.ComponentLog;


import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.AUDIT_SCHEMA;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.DUPLICATE_IDS_ATTRIBUTE;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.REL_AUDIT;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.REL_MERGES;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.STALE_SOURCES_ATTRIBUTE;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.STATUS_ATTRIBUTE;
import static io.datasync.nifi.processors.audit.AuditProfileStoreDescriptors.VIOLATIONS_ATTRIBUTE;

/** Writes what a run of {@link io.datasync.nifi.processors.AuditProfileStore} found: the merges, the audit record, and the bulletins. */
public final class AuditProfileStoreOutput {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ProcessSession session;
    private final AuditProfileStoreSettings run;
    private final ComponentLog logger;

    public AuditProfileStoreOutput(final ProcessSession session, final AuditProfileStoreSettings run, final ComponentLog logger) {
        this.session = session;
        this.run = run;
        this.logger = logger;
    }

    public long writeMerges(final List<IdentityMerge> merges) {
        FlowFile flowFile = session.create();
        final Map<String, String> attributes = new HashMap<>();
        try (OutputStream out = session.write(flowFile);
             RecordSetWriter writer = run.writerFactory().createWriter(logger,
                     run.writerFactory().getSchema(Map.of(), IdentityMatchingDescriptors.MERGE_SCHEMA), out, Map.of())) {
            writer.beginRecordSet();
            for (final IdentityMerge merge : merges) {
                final Map<String, Object> values = new LinkedHashMap<>();
                values.put(IdentityMatchingDescriptors.MERGE_OLD_ID_FIELD, merge.oldId());
                values.put(IdentityMatchingDescriptors.MERGE_SURVIVING_ID_FIELD, merge.survivingId());
                values.put(IdentityMatchingDescriptors.MERGE_REASON_FIELD, merge.reason());
                writer.write(new MapRecord(IdentityMatchingDescriptors.MERGE_SCHEMA, values));
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

    public void writeAudit(final AuditReport report, final long mergesEmitted,
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
             RecordSetWriter writer = run.writerFactory().createWriter(logger, run.writerFactory().getSchema(Map.of(), AUDIT_SCHEMA),
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

    public void bulletins(final AuditReport report) {
        final String table = run.columns().table();
        if (report.failed(AuditReport.Check.FRESHNESS)) {
            logger.warn("Freshness check failed: {} of {} sources past their SLA: {}", report.staleSources(), report.freshness().size(),
                    staleNames(report));
        }
        if (report.failed(AuditReport.Check.DUPLICATES)) {
            logger.warn("Duplicate check failed: {} groups of stored profiles in {} share a normalised email or phone ({} ids would be merged)",
                    report.duplicates().groupCount(), table, report.duplicates().duplicateIds());
        }
        if (report.failed(AuditReport.Check.CONSENT)) {
            logger.error("Consent check failed: {} profiles in use in {} are not allowed for the purposes now ({} of them suppressed); by reason: {}",
                    report.violations(), table, report.suppressedInUse(), new java.util.TreeMap<>(report.violationsByReason()));
        }
        logger.info("Audit of {}: {} in {} ms, {} profiles in {} pages", table, report.status(), report.duration().toMillis(),
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
}
