package io.datasync.nifi.processors.profilemerge;

import io.datasync.nifi.merge.CustomerGroups;
import io.datasync.nifi.merge.Lineage;
import io.datasync.nifi.merge.MergedProfile;
import io.datasync.nifi.merge.MergedValue;
import io.datasync.nifi.merge.SourceRecord;
import io.datasync.nifi.merge.UnmergeableInputException;
import io.datasync.nifi.processors.profilemerge.ProfileMergeDescriptors.WrongTypeHandling;
import io.datasync.nifi.processors.profilemerge.ProfileMergeInput.GroupedInput;
import io.datasync.nifi.common.Timestamps;
import java.io.OutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.schema.access.SchemaNotFoundException;
import org.apache.nifi.serialization.RecordSetWriter;
import org.apache.nifi.serialization.WriteResult;
import org.apache.nifi.serialization.record.DataType;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordSchema;
import org.apache.nifi.serialization.record.util.DataTypeUtils;

/** Merges the customers of one FlowFile of {@link io.datasync.nifi.processors.ProfileMerge} and writes their golden profiles. */
public final class ProfileMergeOutput {

    /** The written FlowFile and what the merge counted. */
    public record MergeOutcome(FlowFile flowFile, WriteResult writeResult, String mimeType, int conflictsResolved, int wrongTypeValues,
                               Instant newestTimestamp) {
    }

    private final ProfileMergeInput reader;
    private final ProfileMergeSettings config;
    private final ComponentLog logger;

    /** Merges what {@code reader} read, with its settings. */
    public ProfileMergeOutput(final ProfileMergeInput reader, final ComponentLog logger) {
        this.reader = reader;
        this.config = reader.config();
        this.logger = logger;
    }

    public MergeOutcome mergeAndWrite(final ProcessSession session, final FlowFile flowFile,
                                       final GroupedInput input, final Map<String, Record> storedProfiles,
                                       final ProfileSchemaResolver.Resolution resolution) throws UnmergeableInputException {
        // Merge everything before writing, so nothing is written when a stored profile is unusable.
        final List<String> keys = input.groups().sortedKeys();
        final List<Record> profiles = new ArrayList<>(keys.size());
        int conflictsResolved = 0;
        int wrongTypeValues = 0;
        Instant newestTimestamp = null;
        // Records of a FlowFile share few distinct timestamps: format each once for lineage.
        final Map<Long, String> isoTimestamps = new HashMap<>();
        for (final String key : keys) {
            final CustomerGroups.Group group = input.groups().get(key);
            final List<SourceRecord> records = group.records();
            final Record stored = storedProfiles.get(key);
            if (stored != null) {
                records.addAll(reader.storedSourceRecords(stored));
            }
            final List<String> folded = new ArrayList<>();
            for (final String retired : group.retiredKeys()) {
                final Record retiredProfile = storedProfiles.get(retired);
                if (retiredProfile != null) {
                    records.addAll(reader.storedSourceRecords(retiredProfile));
                    folded.add(retired);
                }
            }
            if (records.isEmpty()) {
                // Only fold instructions, and no stored profile under any of the keys: nothing to write.
                continue;
            }
            final MergedProfile merged = config.merger().merge(records, resolution.mergeFields());
            conflictsResolved += merged.conflictsResolved();
            wrongTypeValues += merged.wrongTypeValues();
            if (merged.wrongTypeValues() > 0 && config.wrongTypeHandling() == WrongTypeHandling.FAIL) {
                throw new UnmergeableInputException("Field(s) " + merged.wrongTypeFields() + " hold a value of the wrong type for their "
                        + "max or min rule");
            }
            final Record profile = toRecord(merged, resolution, config, isoTimestamps);
            if (!group.retiredKeys().isEmpty()) {
                // The folded profiles carry their own keys: the profile keeps the customer's.
                if (config.keyField() != null) {
                    profile.setValue(config.keyField(), group.rawKey());
                }
                profile.setValue(config.retiredKeyField(), folded.isEmpty() ? null : String.join("|", folded));
            }
            newestTimestamp = newer(newestTimestamp, profile);
            profiles.add(profile);
        }

        final WriteResult[] writeResult = new WriteResult[1];
        final String[] mimeType = new String[1];
        final FlowFile written = session.write(flowFile, (final OutputStream out) -> {
            try {
                final RecordSchema writeSchema = config.writerFactory().getSchema(flowFile.getAttributes(), resolution.schema());
                try (RecordSetWriter writer = config.writerFactory().createWriter(logger, writeSchema, out, flowFile)) {
                    writer.beginRecordSet();
                    for (final Record profile : profiles) {
                        writer.write(profile);
                    }
                    writeResult[0] = writer.finishRecordSet();
                    mimeType[0] = writer.getMimeType();
                }
            } catch (final SchemaNotFoundException e) {
                throw new ProcessException(e);
            }
        });
        return new MergeOutcome(written, writeResult[0], mimeType[0], conflictsResolved, wrongTypeValues, newestTimestamp);
    }

    /**
     * The newer of {@code newest} and the profile's Record Timestamp Field, as written; a value that is not a timestamp
     * counts as none (the merge rules treat it the same way).
     */
    private Instant newer(final Instant newest, final Record profile) {
        if (config.timestampField() == null) {
            return newest;
        }
        final Instant time = Timestamps.toInstantOrNull(profile.getValue(config.timestampField()));
        return time == null || newest != null && !time.isAfter(newest) ? newest : time;
    }

    private static Record toRecord(final MergedProfile merged, final ProfileSchemaResolver.Resolution resolution, final ProfileMergeSettings config,
                                   final Map<Long, String> isoTimestamps) {
        final String lineageField = config.lineageField();
        final Map<String, Object> values = new HashMap<>(resolution.mergeFields().size() * 2);
        for (final Map.Entry<String, MergedValue> entry : merged.values().entrySet()) {
            final String field = entry.getKey();
            Object value = entry.getValue().value();
            final DataType conflictType = resolution.conflictedFields().isEmpty() ? null : resolution.conflictedFields().get(field);
            if (config.joinsList(field)) {
                value = joined(value, config.listDelimiter());
            } else if (conflictType != null && value != null) {
                value = DataTypeUtils.convertType(value, conflictType, field);
            }
            values.put(field, value);
        }
        if (lineageField != null) {
            values.put(lineageField, Lineage.toJson(merged.values(), isoTimestamps));
        }
        return new MapRecord(resolution.schema(), values);
    }

    /** A union's elements as one text value, in the rule's order, joined with {@code delimiter}; null when there are none. */
    static String joined(final Object union, final String delimiter) {
        if (union == null) {
            return null;
        }
        final Object[] elements = union instanceof Object[] array ? array : new Object[] {union};
        final StringJoiner text = new StringJoiner(delimiter);
        for (final Object element : elements) {
            if (element != null) {
                text.add(element.toString());
            }
        }
        return text.length() == 0 ? null : text.toString();
    }
}
