package io.datasync.nifi.processors.profilemerge;

import io.datasync.nifi.common.BatchedKeyReader;
import io.datasync.nifi.merge.ConcurrentLookups;
import io.datasync.nifi.merge.CustomerGroups;
import io.datasync.nifi.merge.Lineage;
import io.datasync.nifi.merge.SourceRecord;
import io.datasync.nifi.merge.UnmergeableInputException;
import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.lookup.LookupFailureException;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.record.path.FieldValue;
import org.apache.nifi.schema.access.SchemaNotFoundException;
import org.apache.nifi.serialization.MalformedRecordException;
import org.apache.nifi.serialization.RecordReader;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordSchema;

/**
 * What {@link io.datasync.nifi.processors.ProfileMerge} reads: the FlowFile's records grouped by customer key, and the stored profiles of those
 * customers (through the lookup service or from the database). Converts NiFi records to the plain-Java
 * {@link SourceRecord}s of {@code io.datasync.nifi.merge}.
 */
public final class ProfileMergeInput {

    /** The FlowFile's records: its schema, the customers' groups and how many records it held. */
    public record GroupedInput(RecordSchema schema, CustomerGroups groups, int recordCount) {
    }

    private final ProfileMergeSettings config;

    public ProfileMergeInput(final ProfileMergeSettings config) {
        this.config = config;
    }

    ProfileMergeSettings config() {
        return config;
    }

    public GroupedInput readAndGroup(final ProcessSession session, final FlowFile flowFile, final ComponentLog logger)
            throws IOException, MalformedRecordException, SchemaNotFoundException, UnmergeableInputException {
        final CustomerGroups groups = new CustomerGroups();
        int recordCount = 0;
        int keyless = 0;
        try (InputStream in = session.read(flowFile);
             RecordReader reader = config.readerFactory().createRecordReader(flowFile, in, logger)) {
            final RecordSchema schema = reader.getSchema();
            Record record;
            while ((record = reader.nextRecord()) != null) {
                recordCount++;
                final Object rawKey = keyOf(record);
                if (rawKey == null) {
                    keyless++;
                    continue;
                }
                final String retiredKey = retiredKeyOf(record);
                if (retiredKey != null) {
                    // A fold instruction, not data.
                    groups.addFold(rawKey, retiredKey);
                    continue;
                }
                groups.addRecord(rawKey, toSourceRecord(record, config.timestampField(), null, recordCount));
            }
            if (keyless > 0) {
                throw new UnmergeableInputException(keyless + " of " + recordCount + " records have no value at Customer Key Record Path "
                        + config.keyPathText() + "; no profile was merged");
            }
            return new GroupedInput(schema, groups, recordCount);
        }
    }

    /** The retired customer key a record carries (trimmed), or null when it carries none or the field is not configured. */
    private String retiredKeyOf(final Record record) throws UnmergeableInputException {
        if (config.retiredKeyField() == null) {
            return null;
        }
        final Object value = record.getValue(config.retiredKeyField());
        if (value == null) {
            return null;
        }
        if (value instanceof Record || value instanceof Object[] || value instanceof Map<?, ?>) {
            throw new UnmergeableInputException("A record's '" + config.retiredKeyField() + "' is not a single customer key");
        }
        final String key = value.toString().trim();
        return key.isEmpty() ? null : key;
    }

    private Object keyOf(final Record record) {
        final Object value;
        if (config.keyField() != null) {
            value = record.getValue(config.keyField());
        } else {
            final List<FieldValue> selected = config.keyPath().evaluate(record).getSelectedFields().toList();
            if (selected.size() != 1) {
                return null;
            }
            value = selected.get(0).getValue();
        }
        if (value == null || value instanceof Record || value instanceof Object[] || value instanceof Map<?, ?>) {
            return null;
        }
        return value.toString().isBlank() ? null : value;
    }

    /**
     * @param sourceOverride source name to use instead of the record's own (for the stored profile), or null
     */
    private SourceRecord toSourceRecord(final Record record, final String timestampField, final String sourceOverride,
                                        final int recordNumber) throws UnmergeableInputException {
        final String source;
        if (sourceOverride != null) {
            source = sourceOverride;
        } else {
            final Object sourceValue = record.getValue(config.sourceField());
            source = sourceValue == null ? "" : sourceValue.toString();
        }
        Object fieldTimestamps = config.fieldTimestampsField() == null ? null : record.getValue(config.fieldTimestampsField());
        if (fieldTimestamps instanceof Record nested) {
            fieldTimestamps = nested.toMap();
        }
        return config.sourceRecords().read(record.toMap(), source, timestampField, record.getValue(timestampField), fieldTimestamps, recordNumber);
    }

    /**
     * The stored profile as merge input: one record under the stored-profile source, or, when it carries
     * lineage, one record per original source and timestamp (see {@link Lineage#splitStoredProfile}).
     */
    List<SourceRecord> storedSourceRecords(final Record stored) throws UnmergeableInputException {
        final SourceRecord asOne = toSourceRecord(stored, config.storedTimestampField(), config.storedSourceName(), 0);
        final Object lineageValue = config.lineageField() == null ? null : stored.getValue(config.lineageField());
        if (lineageValue == null || lineageValue.toString().isBlank()) {
            return List.of(asOne);
        }
        final Map<String, Lineage.Entry> lineage;
        try {
            lineage = Lineage.parse(lineageValue.toString());
        } catch (final IllegalArgumentException e) {
            throw new UnmergeableInputException("The stored profile's '" + config.lineageField() + "' is not lineage as ProfileMerge writes it");
        }
        return Lineage.splitStoredProfile(asOne, lineage, config.tieBreakOrder());
    }

    public Map<String, Record> lookUpStoredProfiles(final GroupedInput input, final FlowFile flowFile)
            throws LookupFailureException, UnmergeableInputException {
        if (config.storedReader() != null) {
            return readStoredProfiles(input, flowFile);
        }
        if (config.lookupService() == null) {
            return Map.of();
        }
        final Map<String, String> attributes = flowFile.getAttributes();
        final Map<String, Object> lookupKeys = input.groups().lookupKeys();
        final List<String> keys = new ArrayList<>(lookupKeys.keySet());
        final Map<String, Object> found;
        try {
            found = config.lookups().lookUpAll(keys, key -> config.lookupService().lookup(
                    Map.of(config.lookupKey(), lookupKeys.get(key)), attributes).map(Object.class::cast));
        } catch (final ConcurrentLookups.LookupException e) {
            // A service that throws rather than reporting a LookupFailureException is still a failed lookup.
            throw e.getCause() instanceof LookupFailureException failure ? failure : new LookupFailureException(e.getCause());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LookupFailureException(e);
        }
        final Map<String, Record> storedProfiles = new HashMap<>();
        for (final Map.Entry<String, Object> entry : found.entrySet()) {
            if (!(entry.getValue() instanceof Record storedRecord)) {
                throw new UnmergeableInputException("The Stored Profile Lookup Service returned a "
                        + entry.getValue().getClass().getSimpleName() + " instead of a record");
            }
            storedProfiles.put(entry.getKey(), storedRecord);
        }
        return storedProfiles;
    }

    /** The stored profiles of all customers of the FlowFile, one query per chunk; any database failure is a failed lookup (retry). */
    private Map<String, Record> readStoredProfiles(final GroupedInput input, final FlowFile flowFile)
            throws LookupFailureException, UnmergeableInputException {
        // the key as the lookup path passes it (its text), and the customer it belongs to
        final Map<String, String> customerByKey = new HashMap<>();
        for (final Map.Entry<String, Object> key : input.groups().lookupKeys().entrySet()) {
            customerByKey.put(key.getValue().toString(), key.getKey());
        }
        final Map<String, BatchedKeyReader.Row> rows;
        try (Connection connection = config.dbcpService().getConnection(flowFile.getAttributes())) {
            rows = config.storedReader().read(connection, customerByKey.keySet());
        } catch (final BatchedKeyReader.AmbiguousKeyException e) {
            throw new UnmergeableInputException(e.getMessage());
        } catch (final SQLException | RuntimeException e) {
            throw new LookupFailureException(e);
        }
        final StoredRows converter = new StoredRows();
        final Map<String, Record> storedProfiles = new HashMap<>();
        for (final Map.Entry<String, BatchedKeyReader.Row> row : rows.entrySet()) {
            final String customer = customerByKey.get(row.getKey());
            if (customer != null) {
                try {
                    storedProfiles.put(customer, converter.toRecord(row.getValue()));
                } catch (final StoredRows.UnsupportedColumnException e) {
                    throw new UnmergeableInputException(e.getMessage());
                }
            }
        }
        return storedProfiles;
    }
}
