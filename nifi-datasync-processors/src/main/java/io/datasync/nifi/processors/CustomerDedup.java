package io.datasync.nifi.processors;

import io.datasync.nifi.identity.Clusters;
import io.datasync.nifi.identity.CustomerAssignment;
import io.datasync.nifi.identity.CustomerIds;
import io.datasync.nifi.identity.IdentityGraph;
import io.datasync.nifi.identity.IdentityMerge;
import io.datasync.nifi.identity.IdentityResolver;
import io.datasync.nifi.identity.IdentityStore;
import io.datasync.nifi.identity.JdbcIdentityStore;
import io.datasync.nifi.identity.KeyHash;
import io.datasync.nifi.identity.KeyHasher;
import io.datasync.nifi.common.PathListSplitter;
import io.datasync.nifi.identity.SurvivorScores;
import io.datasync.nifi.processors.common.PiiSafeErrors;
import io.datasync.nifi.processors.common.RecordPathListValidator;
import io.datasync.nifi.processors.dedup.CustomerDedupSettings;
import io.datasync.nifi.processors.dedup.CustomerDedupDescriptors;
import io.datasync.nifi.processors.dedup.CustomerDedupOutput;
import io.datasync.nifi.processors.dedup.DistributedMapCacheIdentityStore;
import io.datasync.nifi.processors.dedup.MatchRules;
import io.datasync.nifi.processors.dedup.PhoneWriteBack;
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
import org.apache.nifi.dbcp.DBCPService;
import org.apache.nifi.distributed.cache.client.DistributedMapCacheClient;
import org.apache.nifi.expression.ExpressionLanguageScope;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.migration.PropertyConfiguration;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.schema.access.SchemaNotFoundException;
import org.apache.nifi.serialization.MalformedRecordException;
import org.apache.nifi.serialization.RecordReader;
import org.apache.nifi.serialization.RecordReaderFactory;
import org.apache.nifi.serialization.RecordSetWriterFactory;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordSchema;
import org.apache.nifi.serialization.record.util.IllegalTypeConversionException;

import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

@Tags({"record", "deduplicate", "dedupe", "identity", "identity resolution", "customer", "match", "merge", "crm", "email", "phone"})
@CapabilityDescription("Resolves which records describe the same customer and stamps each record with a stable customer id. "
        + "Match rules (dynamic properties) name one or more RecordPaths whose normalised values form a key; records sharing "
        + "any key are the same customer, transitively. E-mail, phone (E.164) and text normalisers apply per RecordPath; "
        + "phone numbers without a country code are read in the record's own country when a Phone Region Record Path is set, "
        + "and the phone that was a key can be written back in E.164 (Normalized Phone Field), with a phone that could not be "
        + "normalised kept as written in the Unnormalized Phone Field; "
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
public class CustomerDedup extends CustomerDedupDescriptors {

    private volatile Set<Relationship> relationships = SINGLE_OUTPUT_RELATIONSHIPS;
    private volatile CustomerDedupSettings settings;

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
                .addValidator(new RecordPathListValidator(MATCH_RULE_NEEDS_A_PATH))
                .expressionLanguageSupported(ExpressionLanguageScope.NONE)
                .dynamic(true)
                .required(false)
                .build();
    }

    /** The names before 0.3.0, spelt as the rest of NiFi's names are now. */
    static final String OBSOLETE_NORMALIZED_PHONE_FIELD = "Normalised Phone Field";
    static final String OBSOLETE_UNNORMALIZED_PHONE_FIELD = "Unnormalised Phone Field";

    @Override
    public void migrateProperties(final PropertyConfiguration config) {
        // Without this, a flow saved with the old names would read them as dynamic properties: two match rules.
        renameUnlessSet(config, OBSOLETE_NORMALIZED_PHONE_FIELD, NORMALIZED_PHONE_FIELD.getName());
        renameUnlessSet(config, OBSOLETE_UNNORMALIZED_PHONE_FIELD, UNNORMALIZED_PHONE_FIELD.getName());
    }

    /**
     * A flow that holds both names (edited by hand after the rename) keeps the new name's value: that is the one set
     * knowing the new name, and renameProperty would overwrite it with the old one. The old name goes either way.
     */
    private static void renameUnlessSet(final PropertyConfiguration config, final String obsoleteName, final String name) {
        if (config.hasProperty(obsoleteName) && config.isPropertySet(name)) {
            config.removeProperty(obsoleteName);
        } else {
            config.renameProperty(obsoleteName, name);
        }
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
                    .explanation("Normalized Phone Field and Unnormalized Phone Field are set together, so a phone that cannot be "
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
        settings = CustomerDedupSettings.from(context, getLogger());
    }

    @Override
    public void onTrigger(final ProcessContext context, final ProcessSession session) throws ProcessException {
        FlowFile flowFile = session.get();
        if (flowFile == null) {
            return;
        }

        final long startNanos = System.nanoTime();
        final CustomerDedupSettings config = settings;
        final RecordReaderFactory readerFactory = context.getProperty(RECORD_READER).asControllerService(RecordReaderFactory.class);
        final RecordSetWriterFactory writerFactory = context.getProperty(RECORD_WRITER).asControllerService(RecordSetWriterFactory.class);
        final boolean databaseStore = context.getProperty(IDENTITY_STORE_TYPE).asAllowableValue(IdentityStoreType.class) == IdentityStoreType.DATABASE;
        final DistributedMapCacheClient cacheClient = databaseStore ? null
                : context.getProperty(MAP_CACHE_CLIENT).asControllerService(DistributedMapCacheClient.class);

        final List<FlowFile> created = new ArrayList<>();
        Connection identityConnection = null;
        JdbcIdentityStore databaseIdentityStore = null;
        try {
            final IdentityStore store;
            if (databaseStore) {
                try {
                    identityConnection = context.getProperty(IDENTITY_DBCP_SERVICE).asControllerService(DBCPService.class)
                            .getConnection(flowFile.getAttributes());
                    databaseIdentityStore = new JdbcIdentityStore(identityConnection, context.getProperty(IDENTITY_TABLE).getValue(),
                            context.getProperty(IDENTITY_BATCH_SIZE).asInteger(),
                            context.getProperty(IDENTITY_QUERY_TIMEOUT).asTimePeriod(TimeUnit.SECONDS).intValue());
                    store = databaseIdentityStore;
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

            final Map<String, String> summary = CustomerDedupOutput.summaryAttributes(clusters, assignment, merges);
            summary.put(OVER_LIMIT_KEY_COUNT, String.valueOf(overLimitKeys.size()));
            if (resolver.keysReachingLimit() > 0) {
                getLogger().warn("{}: {} identity key(s) now link more than {} keys across FlowFiles and will link nothing more; "
                        + "records carrying them are flagged in {}", flowFile, resolver.keysReachingLimit(), config.maxClusterSize(),
                        config.suspectField().getFieldName());
            }
            // Children first: the in-place write of the FlowFile comes last, so a failure before it leaves the content unchanged.
            final CustomerDedupOutput output = new CustomerDedupOutput(session, getLogger(), writerFactory, config);
            FlowFile merged = null;
            if (!merges.isEmpty()) {
                merged = session.create(flowFile);
                created.add(merged);
                merged = output.writeMerges(merged, merges);
            }
            final FlowFile duplicates = config.outputMode() == OutputMode.ROUTE ? session.create(flowFile) : null;
            if (duplicates != null) {
                created.add(duplicates);
            }
            final CustomerDedupOutput.WriteOutcome outcome = output.writeRecords(flowFile, duplicates, firstPass.heldRecords(), firstPass.schema(),
                    readerFactory, assignment, firstPass.phoneMemo());

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

            CustomerDedupOutput.adjustCounters(session, clusters, resolver.newCustomerCount(), merges.size(), firstPass.placeholdersBlocked(),
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
            if (databaseIdentityStore != null) {
                databaseIdentityStore.releaseSession();
            }
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

    private FirstPass readKeys(final ProcessSession session, final FlowFile flowFile, final RecordReaderFactory readerFactory,
                              final CustomerDedupSettings config, final KeyHasher hasher)
            throws IOException, SchemaNotFoundException, MalformedRecordException, RecordReadException {
        final IdentityGraph graph = new IdentityGraph(config.maxClusterSize());
        final MatchRules.Extraction extraction = config.matchRules().new Extraction(hasher);
        // The phones parsed for matching, kept for the write-back so no phone is parsed twice.
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
                                      final CustomerDedupSettings config) {
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
}
