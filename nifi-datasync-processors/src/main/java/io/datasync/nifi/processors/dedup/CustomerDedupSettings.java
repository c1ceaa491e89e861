package io.datasync.nifi.processors.dedup;

import io.datasync.nifi.identity.BlockedValues;
import io.datasync.nifi.identity.EmailNormalizer;
import io.datasync.nifi.identity.HeldRecordsBudget;
import io.datasync.nifi.identity.KeyHasher;
import io.datasync.nifi.identity.NoneNormalizer;
import io.datasync.nifi.identity.Normalizer;
import io.datasync.nifi.common.PathListSplitter;
import io.datasync.nifi.identity.PhoneNormalizer;
import io.datasync.nifi.identity.TextNormalizer;
import io.datasync.nifi.processors.common.RecordFingerprints;
import io.datasync.nifi.processors.common.RecordValueAccessor;
import io.datasync.nifi.processors.common.RecordsHeldInMemory;
import io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.IdentityStoreType;
import io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.OutputMode;
import io.datasync.nifi.processors.common.IdentityMatchingDescriptors.PhoneAcceptance;
import io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.SurvivorStrategy;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.BLOCKED_VALUES;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.CUSTOMER_ID_FIELD;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.DEFAULT_PHONE_REGION;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.DUPLICATE_FLAG_FIELD;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.EMAIL_RECORD_PATHS;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.EXISTING_ID_RECORD_PATH;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.GMAIL_RULES;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.IDENTITY_HASH_KEY;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.IDENTITY_NAMESPACE;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.IDENTITY_STORE_TYPE;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.MAP_CACHE_CLIENT;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.MAX_CLUSTER_SIZE;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.NORMALIZED_PHONE_FIELD;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.OUTPUT_MODE;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.PHONE_ACCEPTANCE;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.PHONE_RECORD_PATHS;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.PHONE_REGION_RECORD_PATH;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.RECORDS_HELD_IN_MEMORY;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.RECORD_ID_RECORD_PATHS;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.REMOVE_ACCENTS;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.SURVIVOR_STRATEGY;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.SUSPECT_FLAG_FIELD;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.TEXT_RECORD_PATHS;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.TIMESTAMP_RECORD_PATH;
import static io.datasync.nifi.processors.dedup.CustomerDedupDescriptors.UNNORMALIZED_PHONE_FIELD;
/**
 * Everything built once per schedule; immutable and shared by concurrent tasks.
 */
public record CustomerDedupSettings(MatchRules matchRules, List<String> ruleNames, OutputMode outputMode,
                                  SurvivorStrategy survivorStrategy, RecordValueAccessor timestampAccessor,
                                  RecordValueAccessor existingIdAccessor, int maxClusterSize, HeldRecordsBudget heldRecordsBudget, String namespace,
                                  byte[] hashKey, RecordFingerprints fingerprints,
                                  RecordField customerIdField, RecordField duplicateField, RecordField suspectField,
                                  PhoneWriteBack phoneWriteBack, RecordField normalizedPhoneField, RecordField unnormalizedPhoneField) {

    public KeyHasher newHasher() {
        return new KeyHasher(namespace, hashKey);
    }

    /** Builds the configuration from the processor's properties. */
    public static CustomerDedupSettings from(final ProcessContext context, final ComponentLog logger) {
        final Map<String, Normalizer> normalizerOfPath = new HashMap<>();
        final List<Normalizer> cachedNormalizers = new ArrayList<>();
        if (context.getProperty(EMAIL_RECORD_PATHS).isSet()) {
            final Normalizer email = new EmailNormalizer(context.getProperty(GMAIL_RULES).asBoolean());
            PathListSplitter.split(context.getProperty(EMAIL_RECORD_PATHS).getValue()).forEach(path -> normalizerOfPath.put(path, email));
        }
        PhoneNormalizer phoneNormalizer = null;
        if (context.getProperty(PHONE_RECORD_PATHS).isSet()) {
            final PhoneNormalizer phone = new PhoneNormalizer(context.getProperty(DEFAULT_PHONE_REGION).getValue(),
                    context.getProperty(PHONE_ACCEPTANCE).asAllowableValue(PhoneAcceptance.class) == PhoneAcceptance.POSSIBLE);
            cachedNormalizers.add(phone);
            phoneNormalizer = phone;
            PathListSplitter.split(context.getProperty(PHONE_RECORD_PATHS).getValue()).forEach(path -> normalizerOfPath.put(path, phone));
        }
        if (context.getProperty(TEXT_RECORD_PATHS).isSet()) {
            final Normalizer text = new TextNormalizer(context.getProperty(REMOVE_ACCENTS).asBoolean());
            PathListSplitter.split(context.getProperty(TEXT_RECORD_PATHS).getValue()).forEach(path -> normalizerOfPath.put(path, text));
        }

        // Sorted by name, so rule indexes (and merge reasons) do not depend on the order properties were added.
        final Map<String, String> ruleDefinitions = new TreeMap<>();
        for (final Map.Entry<PropertyDescriptor, String> property : context.getProperties().entrySet()) {
            if (property.getKey().isDynamic() && property.getValue() != null) {
                ruleDefinitions.put(property.getKey().getName(), property.getValue());
            }
        }

        final RecordValueAccessor regionAccessor = context.getProperty(PHONE_RECORD_PATHS).isSet() && context.getProperty(PHONE_REGION_RECORD_PATH).isSet()
                ? RecordValueAccessor.compile(context.getProperty(PHONE_REGION_RECORD_PATH).getValue())
                : null;
        final BlockedValues blockedValues = BlockedValues.parse(context.getProperty(BLOCKED_VALUES).getValue());
        final MatchRules matchRules = new MatchRules(ruleDefinitions, normalizerOfPath, cachedNormalizers, NoneNormalizer.INSTANCE,
                blockedValues, regionAccessor);
        PhoneWriteBack phoneWriteBack = null;
        RecordField normalizedPhoneField = null;
        RecordField unnormalizedPhoneField = null;
        if (phoneNormalizer != null && context.getProperty(NORMALIZED_PHONE_FIELD).isSet()) {
            final List<RecordValueAccessor> phoneAccessors = new ArrayList<>();
            PathListSplitter.split(context.getProperty(PHONE_RECORD_PATHS).getValue()).forEach(path -> phoneAccessors.add(RecordValueAccessor.compile(path)));
            phoneWriteBack = new PhoneWriteBack(phoneAccessors, phoneNormalizer, blockedValues, regionAccessor);
            normalizedPhoneField = new RecordField(context.getProperty(NORMALIZED_PHONE_FIELD).getValue().trim(), RecordFieldType.STRING.getDataType(), true);
            unnormalizedPhoneField = new RecordField(context.getProperty(UNNORMALIZED_PHONE_FIELD).getValue().trim(), RecordFieldType.STRING.getDataType(), true);
        }

        final OutputMode outputMode = context.getProperty(OUTPUT_MODE).asAllowableValue(OutputMode.class);
        final SurvivorStrategy survivorStrategy = outputMode == OutputMode.COLLAPSE
                ? context.getProperty(SURVIVOR_STRATEGY).asAllowableValue(SurvivorStrategy.class)
                : SurvivorStrategy.FIRST_SEEN;
        final RecordValueAccessor timestampAccessor = survivorStrategy == SurvivorStrategy.LATEST_TIMESTAMP
                ? RecordValueAccessor.compile(context.getProperty(TIMESTAMP_RECORD_PATH).getValue())
                : null;
        final RecordValueAccessor existingIdAccessor = context.getProperty(EXISTING_ID_RECORD_PATH).isSet()
                ? RecordValueAccessor.compile(context.getProperty(EXISTING_ID_RECORD_PATH).getValue())
                : null;

        final List<RecordValueAccessor> recordIdAccessors = new ArrayList<>();
        if (context.getProperty(RECORD_ID_RECORD_PATHS).isSet()) {
            PathListSplitter.split(context.getProperty(RECORD_ID_RECORD_PATHS).getValue()).forEach(path -> recordIdAccessors.add(RecordValueAccessor.compile(path)));
        }
        final RecordField customerIdField = new RecordField(context.getProperty(CUSTOMER_ID_FIELD).getValue().trim(), RecordFieldType.STRING.getDataType(), true);
        final RecordField duplicateField = new RecordField(context.getProperty(DUPLICATE_FLAG_FIELD).getValue().trim(), RecordFieldType.BOOLEAN.getDataType(), true);
        final RecordField suspectField = new RecordField(context.getProperty(SUSPECT_FLAG_FIELD).getValue().trim(), RecordFieldType.BOOLEAN.getDataType(), true);
        final RecordFingerprints fingerprints = new RecordFingerprints(recordIdAccessors,
                Set.of(customerIdField.getFieldName(), duplicateField.getFieldName(), suspectField.getFieldName()));

        final String hashKey = context.getProperty(IDENTITY_HASH_KEY).getValue();
        final IdentityStoreType storeType = context.getProperty(IDENTITY_STORE_TYPE).asAllowableValue(IdentityStoreType.class);
        if (hashKey == null && (storeType == IdentityStoreType.DATABASE || context.getProperty(MAP_CACHE_CLIENT).isSet())) {
            logger.warn("No Identity Hash Key is set: the identity cache holds plain SHA-256 hashes, which whoever can read the "
                    + "cache can match against guessed e-mail addresses and phone numbers");
        }

        return new CustomerDedupSettings(matchRules, matchRules.ruleNames(), outputMode, survivorStrategy, timestampAccessor,
                existingIdAccessor, context.getProperty(MAX_CLUSTER_SIZE).asInteger(),
                RecordsHeldInMemory.budget(context.getProperty(RECORDS_HELD_IN_MEMORY)),
                context.getProperty(IDENTITY_NAMESPACE).isSet() ? context.getProperty(IDENTITY_NAMESPACE).getValue() : IDENTITY_NAMESPACE.getDefaultValue(),
                hashKey == null ? null : hashKey.getBytes(StandardCharsets.UTF_8), fingerprints,
                customerIdField, duplicateField, suspectField, phoneWriteBack, normalizedPhoneField, unnormalizedPhoneField);
    }
}
