package io.datasync.nifi.processors.consentfilter;

import io.datasync.nifi.common.BatchedKeyReader;
import io.datasync.nifi.common.PathListSplitter;
import io.datasync.nifi.consent.Anonymizer;
import io.datasync.nifi.consent.ConsentEvaluator;
import io.datasync.nifi.consent.ConsentVocabulary;
import io.datasync.nifi.consent.EvidenceReader;
import io.datasync.nifi.consent.JurisdictionPolicy;
import io.datasync.nifi.consent.SignalPolicy;
import io.datasync.nifi.consent.TcfPurposeMapping;
import io.datasync.nifi.identity.HeldRecordsBudget;
import io.datasync.nifi.processors.common.ConsentPolicyDescriptors.DefaultPolicy;
import io.datasync.nifi.processors.common.ConsentValueLists;
import io.datasync.nifi.processors.common.RecordValueReader;
import io.datasync.nifi.processors.common.RecordsHeldInMemory;
import io.datasync.nifi.processors.consentfilter.ConsentFilterChoices.AnonymizationMethod;
import io.datasync.nifi.processors.consentfilter.ConsentFilterChoices.ConsentStoreType;
import io.datasync.nifi.processors.consentfilter.ConsentFilterChoices.DisallowedAction;
import io.datasync.nifi.processors.consentfilter.ConsentFilterChoices.EpochUnitChoice;
import io.datasync.nifi.processors.consentfilter.ConsentFilterChoices.MalformedSignalChoice;
import io.datasync.nifi.processors.consentfilter.ConsentFilterChoices.SignalScope;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.dbcp.DBCPService;
import org.apache.nifi.lookup.RecordLookupService;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.record.path.RecordPath;
import org.apache.nifi.serialization.RecordReaderFactory;
import org.apache.nifi.serialization.RecordSetWriterFactory;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.ADD_DECISION_FIELDS;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.RECORDS_HELD_IN_MEMORY;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.CONSENT_STORE_TYPE;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.CONSENT_TABLE;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.DBCP_SERVICE;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.STORE_BATCH_SIZE;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.STORE_QUERY_TIMEOUT;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.SUBJECT_KEY_COLUMN;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.EPOCH_UNIT;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.GPC_SCOPE;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.MALFORMED_SIGNAL_HANDLING;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.SIGNAL_OVERRIDE;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.TCF_VENDOR_ID;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.US_PRIVACY_SCOPE;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.WARNING_FIELD;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.ANONYMIZATION_METHOD;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.ANONYMIZED_FIELDS;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.CONSENT_STATUS_PATH;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.CONSENT_TIMESTAMP_PATH;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.DECISION_FIELD;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.DEFAULT_POLICY;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.DISALLOWED_ACTION;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.GPC_PATH;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.HASH_KEY;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.JURISDICTION_PATH;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.LOOKUP_KEY_COORDINATE;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.LOOKUP_SERVICE;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.MAX_CONSENT_AGE;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.OPT_IN_JURISDICTIONS;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.OPT_OUT_JURISDICTIONS;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.PURPOSES;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.REASON_FIELD;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.RECORD_READER;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.RECORD_WRITER;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.STORE_PURPOSES_FIELD;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.STORE_STATUS_FIELD;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.STORE_TIMESTAMP_FIELD;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.SUBJECT_KEY_PATH;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.SUPPRESSION_WRITER;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.EXCLUSION_WRITER;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.TCF_PURPOSE_MAPPING;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.TC_STRING_PATH;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.US_PRIVACY_PATH;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.WRITE_EXCLUSIONS;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.WRITE_SUPPRESSION;

/** ConsentFilter's configuration, read and compiled once per scheduling and shared by all threads (immutable). */
public final class ConsentFilterSettings {

    private static final Function<Object, Map<String, Object>> RECORD_AS_MAP = value -> value instanceof Record record ? record.toMap() : null;

    final RecordReaderFactory readerFactory;
    final RecordSetWriterFactory writerFactory;
    final RecordSetWriterFactory suppressionWriterFactory;
    final RecordSetWriterFactory exclusionWriterFactory;
    final ConsentEvaluator evaluator;
    final List<String> purposes;
    final RecordValueReader subjectKeyPath;
    final RecordValueReader consentStatusPath;
    final RecordValueReader consentTimestampPath;
    final RecordValueReader tcStringPath;
    final TcfPurposeMapping tcfMapping;
    final RecordValueReader usPrivacyPath;
    final RecordValueReader gpcPath;
    final RecordValueReader jurisdictionPath;
    final JurisdictionPolicy jurisdictionPolicy;
    final JurisdictionPolicy.Regime defaultRegime;
    final RecordLookupService lookupService;
    /** The database store (Consent Store Type Database), or null. */
    final DBCPService dbcpService;
    final BatchedKeyReader storeReader;
    final String lookupCoordinate;
    final String storeStatusField;
    final String storeTimestampField;
    final String storePurposesField;
    final EvidenceReader evidenceReader;
    final DisallowedAction action;
    final AnonymizationMethod anonymizationMethod;
    final List<RecordPath> anonymizedPaths;
    final byte[] hashKey;
    final boolean addDecisionFields;
    final String decisionField;
    final String reasonField;
    final RecordField decisionRecordField;
    final RecordField reasonRecordField;
    final String warningField;
    final RecordField warningRecordField;
    final boolean recordCarriesConsent;
    final boolean writeSuppression;
    final boolean writeExclusions;
    /** What an exclusion record's purpose holds: the configured purposes, joined by ", ". */
    final String exclusionPurpose;
    /** Whether a FlowFile's parsed records may be kept between the first pass and the decisions (Records Held in Memory). */
    final HeldRecordsBudget heldRecordsBudget;

    /** Read once per schedule (@OnScheduled), as every processor of the bundle reads its settings. */
    public static ConsentFilterSettings from(final ProcessContext context) {
        return new ConsentFilterSettings(context);
    }

    private ConsentFilterSettings(final ProcessContext context) {
        readerFactory = context.getProperty(RECORD_READER).asControllerService(RecordReaderFactory.class);
        writerFactory = context.getProperty(RECORD_WRITER).asControllerService(RecordSetWriterFactory.class);
        purposes = Arrays.stream(context.getProperty(PURPOSES).getValue().split(",")).map(String::trim).filter(p -> !p.isEmpty()).distinct().toList();
        final Duration maxAge = context.getProperty(MAX_CONSENT_AGE).isSet()
                ? Duration.ofMillis(context.getProperty(MAX_CONSENT_AGE).asTimePeriod(TimeUnit.MILLISECONDS)) : null;
        final boolean overrides = context.getProperty(SIGNAL_OVERRIDE).asBoolean();
        evaluator = new ConsentEvaluator(purposes, maxAge,
                new SignalPolicy(signalScope(context, GPC_PATH, GPC_SCOPE), overrides),
                new SignalPolicy(signalScope(context, US_PRIVACY_PATH, US_PRIVACY_SCOPE), overrides));
        subjectKeyPath = compile(context, SUBJECT_KEY_PATH);
        consentStatusPath = compile(context, CONSENT_STATUS_PATH);
        consentTimestampPath = compile(context, CONSENT_TIMESTAMP_PATH);
        tcStringPath = compile(context, TC_STRING_PATH);
        tcfMapping = tcStringPath == null ? null : TcfPurposeMapping.parse(context.getProperty(TCF_PURPOSE_MAPPING).getValue());
        usPrivacyPath = compile(context, US_PRIVACY_PATH);
        gpcPath = compile(context, GPC_PATH);
        jurisdictionPath = compile(context, JURISDICTION_PATH);
        defaultRegime = context.getProperty(DEFAULT_POLICY).asAllowableValue(DefaultPolicy.class).regime();
        jurisdictionPolicy = new JurisdictionPolicy(
                JurisdictionPolicy.parseList(jurisdictionPath == null ? null : context.getProperty(OPT_IN_JURISDICTIONS).getValue()),
                JurisdictionPolicy.parseList(jurisdictionPath == null ? null : context.getProperty(OPT_OUT_JURISDICTIONS).getValue()),
                defaultRegime);
        final boolean database = context.getProperty(CONSENT_STORE_TYPE).asAllowableValue(ConsentStoreType.class) == ConsentStoreType.DATABASE;
        lookupService = database ? null : context.getProperty(LOOKUP_SERVICE).asControllerService(RecordLookupService.class);
        dbcpService = database ? context.getProperty(DBCP_SERVICE).asControllerService(DBCPService.class) : null;
        storeReader = database ? new BatchedKeyReader(context.getProperty(CONSENT_TABLE).getValue(),
                context.getProperty(SUBJECT_KEY_COLUMN).getValue(), context.getProperty(STORE_BATCH_SIZE).asInteger(),
                Math.toIntExact(context.getProperty(STORE_QUERY_TIMEOUT).asTimePeriod(TimeUnit.SECONDS))) : null;
        lookupCoordinate = lookupService == null ? null : context.getProperty(LOOKUP_KEY_COORDINATE).getValue();
        storeStatusField = context.getProperty(STORE_STATUS_FIELD).getValue();
        storeTimestampField = context.getProperty(STORE_TIMESTAMP_FIELD).getValue();
        storePurposesField = context.getProperty(STORE_PURPOSES_FIELD).getValue();
        final ConsentVocabulary vocabulary = ConsentValueLists.vocabulary(context);
        final Long vendorId = tcStringPath == null ? null : context.getProperty(TCF_VENDOR_ID).asLong();
        evidenceReader = new EvidenceReader(purposes, vocabulary, context.getProperty(EPOCH_UNIT).asAllowableValue(EpochUnitChoice.class).selected(),
                RECORD_AS_MAP, storeStatusField, storeTimestampField, tcfMapping, vendorId == null ? null : vendorId.intValue(),
                context.getProperty(MALFORMED_SIGNAL_HANDLING).asAllowableValue(MalformedSignalChoice.class).selected());
        action = context.getProperty(DISALLOWED_ACTION).asAllowableValue(DisallowedAction.class);
        anonymizationMethod = action == DisallowedAction.ANONYMIZE
                ? context.getProperty(ANONYMIZATION_METHOD).asAllowableValue(AnonymizationMethod.class) : null;
        anonymizedPaths = action == DisallowedAction.ANONYMIZE
                ? PathListSplitter.split(context.getProperty(ANONYMIZED_FIELDS).getValue()).stream()
                        .map(RecordPath::compile).toList()
                : List.of();
        hashKey = anonymizationMethod == AnonymizationMethod.HMAC_SHA256
                ? context.getProperty(HASH_KEY).getValue().getBytes(StandardCharsets.UTF_8) : null;
        addDecisionFields = context.getProperty(ADD_DECISION_FIELDS).asBoolean();
        // The field names depend on Add Decision Fields; without it no record carries them.
        decisionField = addDecisionFields ? context.getProperty(DECISION_FIELD).getValue() : null;
        reasonField = addDecisionFields ? context.getProperty(REASON_FIELD).getValue() : null;
        decisionRecordField = addDecisionFields ? new RecordField(decisionField, RecordFieldType.STRING.getDataType(), true) : null;
        reasonRecordField = addDecisionFields ? new RecordField(reasonField, RecordFieldType.STRING.getDataType(), true) : null;
        warningField = addDecisionFields ? context.getProperty(WARNING_FIELD).getValue() : null;
        warningRecordField = addDecisionFields ? new RecordField(warningField, RecordFieldType.STRING.getDataType(), true) : null;
        writeSuppression = context.getProperty(WRITE_SUPPRESSION).asBoolean();
        suppressionWriterFactory = ownWriterOr(context, writeSuppression, SUPPRESSION_WRITER, writerFactory);
        writeExclusions = context.getProperty(WRITE_EXCLUSIONS).asBoolean();
        exclusionWriterFactory = ownWriterOr(context, writeExclusions, EXCLUSION_WRITER, writerFactory);
        exclusionPurpose = String.join(", ", purposes);
        heldRecordsBudget = RecordsHeldInMemory.budget(context.getProperty(RECORDS_HELD_IN_MEMORY));
        recordCarriesConsent = consentStatusPath != null || consentTimestampPath != null || gpcPath != null || usPrivacyPath != null
                || tcStringPath != null;
    }

    /**
     * A signal's scope: the property when its signal path is set; otherwise the property's default (the UI hides the
     * scope then, and a signal can reach the evaluator only from the record's path).
     */
    private static SignalPolicy.Scope signalScope(final ProcessContext context, final PropertyDescriptor signalPath,
                                                  final PropertyDescriptor scope) {
        final SignalScope chosen = context.getProperty(signalPath).isSet()
                ? context.getProperty(scope).asAllowableValue(SignalScope.class)
                : SignalScope.valueOf(scope.getDefaultValue());
        return chosen.selected();
    }

    /** The output's own writer when it is written and one is set, else the Record Writer. */
    private static RecordSetWriterFactory ownWriterOr(final ProcessContext context, final boolean written, final PropertyDescriptor writer,
                                                      final RecordSetWriterFactory recordWriter) {
        final RecordSetWriterFactory own = written ? context.getProperty(writer).asControllerService(RecordSetWriterFactory.class) : null;
        return own == null ? recordWriter : own;
    }

    private static RecordValueReader compile(final ProcessContext context, final PropertyDescriptor descriptor) {
        return RecordValueReader.of(context.getProperty(descriptor).getValue());
    }

    Anonymizer newAnonymizer() {
        return switch (anonymizationMethod) {
            case HMAC_SHA256 -> Anonymizer.keyedHash(hashKey);
            case MASK -> Anonymizer.mask();
            case REMOVE -> Anonymizer.remove();
        };
    }
}
