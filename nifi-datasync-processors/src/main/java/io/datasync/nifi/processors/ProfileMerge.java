package io.datasync.nifi.processors;

import io.datasync.nifi.merge.UnmergeableInputException;
import io.datasync.nifi.processors.common.PiiSafeErrors;
import io.datasync.nifi.processors.common.ConsentValueLists;
import io.datasync.nifi.processors.profilemerge.ProfileMergeDescriptors;
import io.datasync.nifi.processors.profilemerge.ProfileMergeInput.GroupedInput;
import io.datasync.nifi.processors.profilemerge.ProfileMergeInput;
import io.datasync.nifi.processors.profilemerge.ProfileMergeOutput.MergeOutcome;
import io.datasync.nifi.processors.profilemerge.ProfileMergeOutput;
import io.datasync.nifi.processors.profilemerge.ProfileMergeSettings;
import io.datasync.nifi.processors.profilemerge.ProfileSchemaResolver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
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
import org.apache.nifi.expression.ExpressionLanguageScope;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.lookup.LookupFailureException;
import org.apache.nifi.lookup.LookupService;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.schema.access.SchemaNotFoundException;
import org.apache.nifi.serialization.MalformedRecordException;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.serialization.record.RecordSchema;

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
    @WritesAttribute(attribute = ProfileMerge.NEWEST_TIMESTAMP, description = "The newest Record Timestamp Field value among the profiles "
            + "written, in UTC with milliseconds (2026-03-01T09:30:00.000Z); absent when none has one. For an audit row of the write "
            + "(e.g. a sync run's newest record) without reading the profiles again."),
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
public class ProfileMerge extends ProfileMergeDescriptors {


    private volatile ProfileMergeSettings settings;

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
        final boolean database = ProfileMergeSettings.usesDatabase(context);
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
        settings = ProfileMergeSettings.from(context, getIdentifier());
    }

    @OnStopped
    public void onStopped() {
        final ProfileMergeSettings stopped = settings;
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
        final ProfileMergeSettings config = settings;
        final ProfileMergeInput reader = new ProfileMergeInput(config);

        final GroupedInput input;
        try {
            input = reader.readAndGroup(session, flowFile, getLogger());
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
            storedProfiles = reader.lookUpStoredProfiles(input, flowFile);
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
            resolution = ProfileSchemaResolver.resolve(schemas, metadataFields, config.lineageField(), field -> config.merger().ruleFor(field).producesArray(),
                    config::joinsList);
            if (input.groups().folds()) {
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
            outcome = new ProfileMergeOutput(reader, getLogger()).mergeAndWrite(session, flowFile, input, storedProfiles, resolution);
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
        if (outcome.newestTimestamp() != null) {
            attributes.put(NEWEST_TIMESTAMP, NEWEST_TIMESTAMP_FORMAT.format(outcome.newestTimestamp()));
        } else {
            // an upstream value of the attribute must not pass for this merge's
            flowFile = session.removeAttribute(flowFile, NEWEST_TIMESTAMP);
        }
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
