package io.datasync.nifi.processors.dedup;

import io.datasync.nifi.identity.Clusters;
import io.datasync.nifi.identity.CustomerAssignment;
import io.datasync.nifi.identity.IdentityMerge;
import io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.OutputMode;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.flowfile.attributes.CoreAttributes;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.exception.ProcessException;
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
import org.apache.nifi.serialization.record.RecordSchema;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.COUNTER_DUPLICATES_LINKED;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.COUNTER_MERGES;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.COUNTER_NEW_CUSTOMERS;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.COUNTER_OVERSIZED_KEYS;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.COUNTER_OVER_LIMIT_KEYS;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.COUNTER_PLACEHOLDERS_BLOCKED;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.COUNTER_RECORDS;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.COUNTER_SUSPECT_RECORDS;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.CUSTOMER_COUNT;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.DUPLICATE_COUNT;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.MERGED_IDS;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.MERGE_COUNT;
import static io.datasync.nifi.processors.common.IdentityMatchingDescriptors.MERGE_OLD_ID_FIELD;
import static io.datasync.nifi.processors.common.IdentityMatchingDescriptors.MERGE_REASON_FIELD;
import static io.datasync.nifi.processors.common.IdentityMatchingDescriptors.MERGE_SCHEMA;
import static io.datasync.nifi.processors.common.IdentityMatchingDescriptors.MERGE_SURVIVING_ID_FIELD;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.RECORD_COUNT_IN;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.SUSPECT_COUNT;

/**
 * CustomerDedup's output: the second pass that writes each record with its customer id and flags (the main
 * output replaces the FlowFile's content; in Route mode the duplicates go to a child FlowFile written at the same
 * time), the 'merges' records, the summary attributes and the counters.
 */
public final class CustomerDedupOutput {

    private static final int MAX_MERGED_IDS_IN_ATTRIBUTE = 100;

    private final ProcessSession session;
    private final ComponentLog logger;
    private final RecordSetWriterFactory writerFactory;
    private final CustomerDedupSettings config;

    public CustomerDedupOutput(final ProcessSession session, final ComponentLog logger, final RecordSetWriterFactory writerFactory,
                        final CustomerDedupSettings config) {
        this.session = session;
        this.logger = logger;
        this.writerFactory = writerFactory;
        this.config = config;
    }

    /** The records of the second pass, in the order of the first. */
    private interface RecordSource {
        Record next() throws IOException, MalformedRecordException;
    }

    /** The written FlowFiles with the attributes their writers gave, and the number of duplicate records. */
    public record WriteOutcome(FlowFile mainFlowFile, Map<String, String> mainAttributes,
                        FlowFile duplicateFlowFile, Map<String, String> duplicateAttributes, int duplicateCount) {
    }

    /**
     * Second pass: takes the records again in the same order (held from the first pass, or read
     * again) and writes each with its customer id and flags to the output its mode gives it. The main
     * output replaces the FlowFile's content; in Route mode the duplicates go to a child FlowFile
     * written at the same time.
     */
    public WriteOutcome writeRecords(final FlowFile flowFile, final FlowFile duplicates, final List<Record> heldRecords, final RecordSchema heldSchema,
                              final RecordReaderFactory readerFactory, final CustomerAssignment assignment, final PhoneWriteBack.Memo phoneMemo) {
        final Map<String, String> originalAttributes = flowFile.getAttributes();
        final Map<String, String> mainAttributes = new HashMap<>();
        final Map<String, String> duplicateAttributes = new HashMap<>();
        final int[] duplicateCount = new int[1];

        final FlowFile written = session.write(flowFile, (in, out) -> {
            try {
                if (heldRecords != null) {
                    final Iterator<Record> held = heldRecords.iterator();
                    duplicateCount[0] = writeAll(heldSchema, () -> held.hasNext() ? held.next() : null, out, duplicates,
                            originalAttributes, assignment, mainAttributes, duplicateAttributes, phoneMemo);
                } else {
                    try (RecordReader reader = readerFactory.createRecordReader(originalAttributes, in, flowFile.getSize(), logger)) {
                        duplicateCount[0] = writeAll(reader.getSchema(), reader::nextRecord, out, duplicates,
                                originalAttributes, assignment, mainAttributes, duplicateAttributes, phoneMemo);
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
    private int writeAll(final RecordSchema readSchema, final RecordSource records, final OutputStream out, final FlowFile duplicates,
                         final Map<String, String> originalAttributes, final CustomerAssignment assignment, final Map<String, String> mainAttributes,
                         final Map<String, String> duplicateAttributes, final PhoneWriteBack.Memo phoneMemo)
            throws IOException, SchemaNotFoundException, MalformedRecordException {
        final int expectedRecords = assignment.recordCount();
        final RecordSchema writeSchema = writerFactory.getSchema(originalAttributes, extendSchema(readSchema));
        int duplicateCount = 0;
        OutputStream duplicateStream = null;
        RecordSetWriter duplicateWriter = null;
        try (RecordSetWriter mainWriter = writerFactory.createWriter(logger, writeSchema, out, originalAttributes)) {
            if (duplicates != null) {
                duplicateStream = session.write(duplicates);
                duplicateWriter = writerFactory.createWriter(logger, writeSchema, duplicateStream, originalAttributes);
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

    /** Writes the merges, one record each, to the 'merges' FlowFile. */
    public FlowFile writeMerges(final FlowFile mergesFlowFile, final List<IdentityMerge> merges) throws IOException, SchemaNotFoundException {
        final Map<String, String> attributes = new HashMap<>();
        final Map<String, String> variables = mergesFlowFile.getAttributes();
        final RecordSchema writeSchema = writerFactory.getSchema(variables, MERGE_SCHEMA);
        try (OutputStream out = session.write(mergesFlowFile);
             RecordSetWriter writer = writerFactory.createWriter(logger, writeSchema, out, variables)) {
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

    private RecordSchema extendSchema(final RecordSchema schema) {
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

    public static Map<String, String> summaryAttributes(final Clusters clusters, final CustomerAssignment assignment,
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
    public static void adjustCounters(final ProcessSession session, final Clusters clusters, final int newCustomers, final int merges,
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
}
