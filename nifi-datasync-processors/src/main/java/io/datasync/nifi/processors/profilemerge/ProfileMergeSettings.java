package io.datasync.nifi.processors.profilemerge;

import io.datasync.nifi.common.BatchedKeyReader;
import io.datasync.nifi.consent.ConsentVocabulary;
import io.datasync.nifi.merge.ConcurrentLookups;
import io.datasync.nifi.merge.ProfileMerger;
import io.datasync.nifi.merge.SourceRecordReader;
import io.datasync.nifi.merge.SurvivorshipRule;
import io.datasync.nifi.merge.SurvivorshipRules;
import io.datasync.nifi.merge.TieBreakOrder;
import io.datasync.nifi.processors.common.ConsentValueLists;
import io.datasync.nifi.processors.common.RecordValueReader;
import io.datasync.nifi.processors.profilemerge.ProfileMergeDescriptors.StoredProfileStoreType;
import io.datasync.nifi.processors.profilemerge.ProfileMergeDescriptors.WrongTypeHandling;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.context.PropertyContext;
import org.apache.nifi.dbcp.DBCPService;
import org.apache.nifi.lookup.LookupService;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.record.path.RecordPath;
import org.apache.nifi.serialization.RecordReaderFactory;
import org.apache.nifi.serialization.RecordSetWriterFactory;

import static io.datasync.nifi.processors.profilemerge.ProfileMergeDescriptors.CONCURRENT_LOOKUPS;
import static io.datasync.nifi.processors.profilemerge.ProfileMergeDescriptors.CUSTOMER_KEY_PATH;
import static io.datasync.nifi.processors.profilemerge.ProfileMergeDescriptors.DBCP_SERVICE;
import static io.datasync.nifi.processors.profilemerge.ProfileMergeDescriptors.DEFAULT_RULE;
import static io.datasync.nifi.processors.profilemerge.ProfileMergeDescriptors.FIELD_TIMESTAMPS_FIELD;
import static io.datasync.nifi.processors.profilemerge.ProfileMergeDescriptors.LINEAGE_FIELD;
import static io.datasync.nifi.processors.profilemerge.ProfileMergeDescriptors.LIST_DELIMITER;
import static io.datasync.nifi.processors.profilemerge.ProfileMergeDescriptors.LOOKUP_KEY;
import static io.datasync.nifi.processors.profilemerge.ProfileMergeDescriptors.LOOKUP_SERVICE;
import static io.datasync.nifi.processors.profilemerge.ProfileMergeDescriptors.RECORD_READER;
import static io.datasync.nifi.processors.profilemerge.ProfileMergeDescriptors.RECORD_WRITER;
import static io.datasync.nifi.processors.profilemerge.ProfileMergeDescriptors.RETIRED_KEY_FIELD;
import static io.datasync.nifi.processors.profilemerge.ProfileMergeDescriptors.SOURCE_FIELD;
import static io.datasync.nifi.processors.profilemerge.ProfileMergeDescriptors.STORED_BATCH_SIZE;
import static io.datasync.nifi.processors.profilemerge.ProfileMergeDescriptors.STORED_KEY_COLUMN;
import static io.datasync.nifi.processors.profilemerge.ProfileMergeDescriptors.STORED_QUERY_TIMEOUT;
import static io.datasync.nifi.processors.profilemerge.ProfileMergeDescriptors.STORED_SOURCE_NAME;
import static io.datasync.nifi.processors.profilemerge.ProfileMergeDescriptors.STORED_TABLE;
import static io.datasync.nifi.processors.profilemerge.ProfileMergeDescriptors.STORED_TIMESTAMP_FIELD;
import static io.datasync.nifi.processors.profilemerge.ProfileMergeDescriptors.STORE_TYPE;
import static io.datasync.nifi.processors.profilemerge.ProfileMergeDescriptors.TIE_BREAK_SOURCES;
import static io.datasync.nifi.processors.profilemerge.ProfileMergeDescriptors.TIMESTAMP_FIELD;
import static io.datasync.nifi.processors.profilemerge.ProfileMergeDescriptors.WRONG_TYPE_VALUES;

/** Everything a trigger of {@link io.datasync.nifi.processors.ProfileMerge} needs, built once when the processor is scheduled. */
public record ProfileMergeSettings(
        RecordReaderFactory readerFactory,
        RecordSetWriterFactory writerFactory,
        RecordPath keyPath,
        String keyField,
        String keyPathText,
        String sourceField,
        String timestampField,
        String fieldTimestampsField,
        TieBreakOrder tieBreakOrder,
        SourceRecordReader sourceRecords,
        ProfileMerger merger,
        LookupService<?> lookupService,
        DBCPService dbcpService,
        BatchedKeyReader storedReader,
        String lookupKey,
        ConcurrentLookups lookups,
        String storedSourceName,
        String storedTimestampField,
        String lineageField,
        String retiredKeyField,
        WrongTypeHandling wrongTypeHandling,
        String listDelimiter) {

    /**
     * @param processorId names the lookup threads
     */
    public static ProfileMergeSettings from(final ProcessContext context, final String processorId) {
        // the consent rule reads status values through the same lists as ConsentFilter
        final ConsentVocabulary consentValues = ConsentValueLists.vocabulary(context);
        final Map<String, SurvivorshipRule> fieldRules = new HashMap<>();
        for (final PropertyDescriptor descriptor : context.getProperties().keySet()) {
            if (descriptor.isDynamic()) {
                fieldRules.put(descriptor.getName(), SurvivorshipRules.parse(context.getProperty(descriptor).getValue(), consentValues));
            }
        }
        final SurvivorshipRule defaultRule = SurvivorshipRules.parse(context.getProperty(DEFAULT_RULE).asAllowableValue(MergeRule.class).getValue(),
                consentValues);

        final String keyPathText = context.getProperty(CUSTOMER_KEY_PATH).getValue();
        final String keyField = RecordValueReader.topLevelFieldName(keyPathText);
        final boolean database = usesDatabase(context);
        final LookupService<?> lookupService = database ? null : context.getProperty(LOOKUP_SERVICE).asControllerService(LookupService.class);
        final String fieldTimestampsField = context.getProperty(FIELD_TIMESTAMPS_FIELD).getValue();
        final TieBreakOrder tieBreakOrder = new TieBreakOrder(SurvivorshipRules.parseSourceList(context.getProperty(TIE_BREAK_SOURCES).getValue()));

        return new ProfileMergeSettings(
                context.getProperty(RECORD_READER).asControllerService(RecordReaderFactory.class),
                context.getProperty(RECORD_WRITER).asControllerService(RecordSetWriterFactory.class),
                keyField == null ? RecordPath.compile(keyPathText) : null,
                keyField,
                keyPathText,
                context.getProperty(SOURCE_FIELD).getValue(),
                context.getProperty(TIMESTAMP_FIELD).getValue(),
                fieldTimestampsField,
                tieBreakOrder,
                new SourceRecordReader(tieBreakOrder, fieldTimestampsField),
                new ProfileMerger(fieldRules, defaultRule),
                lookupService,
                database ? context.getProperty(DBCP_SERVICE).asControllerService(DBCPService.class) : null,
                database ? new BatchedKeyReader(context.getProperty(STORED_TABLE).getValue(), context.getProperty(STORED_KEY_COLUMN).getValue(),
                        context.getProperty(STORED_BATCH_SIZE).asInteger(),
                        Math.toIntExact(context.getProperty(STORED_QUERY_TIMEOUT).asTimePeriod(TimeUnit.SECONDS))) : null,
                lookupService == null ? null : context.getProperty(LOOKUP_KEY).getValue(),
                lookupService == null ? null : new ConcurrentLookups(context.getProperty(CONCURRENT_LOOKUPS).asInteger(),
                        "ProfileMerge-lookup-" + processorId),
                context.getProperty(STORED_SOURCE_NAME).getValue(),
                context.getProperty(STORED_TIMESTAMP_FIELD).getValue(),
                context.getProperty(LINEAGE_FIELD).getValue(),
                context.getProperty(RETIRED_KEY_FIELD).isSet() ? context.getProperty(RETIRED_KEY_FIELD).getValue().trim() : null,
                context.getProperty(WRONG_TYPE_VALUES).asAllowableValue(WrongTypeHandling.class),
                context.getProperty(LIST_DELIMITER).isSet() ? context.getProperty(LIST_DELIMITER).getValue() : null);
    }

    /** Whether {@code field} is written as one delimited text value ({@code List Delimiter} set and its rule is union). */
    public boolean joinsList(final String field) {
        return listDelimiter != null && merger.ruleFor(field).producesArray();
    }

    /** Whether stored profiles are read from a database table rather than through a lookup service. */
    public static boolean usesDatabase(final PropertyContext context) {
        return context.getProperty(STORE_TYPE).asAllowableValue(StoredProfileStoreType.class) == StoredProfileStoreType.DATABASE;
    }
}
