package io.datasync.nifi.processors.consentfilter;

import io.datasync.nifi.common.BatchedKeyReader;
import io.datasync.nifi.consent.Anonymizer;
import io.datasync.nifi.consent.ConsentDecision;
import io.datasync.nifi.consent.ConsentWarning;
import io.datasync.nifi.consent.EvidenceReader;
import io.datasync.nifi.consent.ReasonCode;
import io.datasync.nifi.consent.SubjectEvidence;
import io.datasync.nifi.processors.common.PiiSafeErrors;
import io.datasync.nifi.processors.common.RecordValueReader;
import io.datasync.nifi.processors.consentfilter.ConsentFilterChoices.DisallowedAction;
import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.flowfile.attributes.CoreAttributes;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.lookup.LookupFailureException;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.record.path.FieldValue;
import org.apache.nifi.record.path.RecordPath;
import org.apache.nifi.schema.access.SchemaNotFoundException;
import org.apache.nifi.serialization.MalformedRecordException;
import org.apache.nifi.serialization.RecordReader;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.serialization.record.RecordSchema;

import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.ATTR_ALLOWED_COUNT;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.ATTR_ANONYMIZED_COUNT;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.ATTR_DROPPED_COUNT;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.ATTR_EXCLUDED_COUNT;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.ATTR_EXCLUSION_COUNT;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.ATTR_SUPPRESSION_COUNT;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.COUNTER_INVALID_SIGNAL;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.COUNTER_PREFIX;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.COUNTER_WARNING_PREFIX;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.DECISION_ALLOWED;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.DECISION_ANONYMIZED;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.DECISION_EXCLUDED;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.REL_ANONYMIZED;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.EXCLUSION_PURPOSE_FIELD;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.EXCLUSION_REASON_FIELD;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.EXCLUSION_SCHEMA;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.EXCLUSION_SUBJECT_FIELD;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.REL_EXCLUDED;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.REL_EXCLUSIONS;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.REL_SUCCESS;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.REL_SUPPRESSION;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.SUPPRESSION_REASON_FIELD;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.SUPPRESSION_SCHEMA;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.SUPPRESSION_SUBJECT_FIELD;
import static io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors.SUPPRESSION_TIMESTAMP_FIELD;

/** ConsentFilter's processing of one FlowFile: its outputs, counts and per-subject lookup cache. */
public final class ConsentFilterRun {
    private final ConsentFilterSettings settings;
    private final ComponentLog logger;
    private final ProcessSession session;
    private final FlowFile original;
    private final Instant now = Instant.now();
    private final ConsentOutput allowedOutput;
    private final ConsentOutput excludedOutput;
    private final ConsentOutput anonymizedOutput;
    private final ConsentOutput suppressionOutput;
    private final ConsentOutput exclusionOutput;
    private final Map<String, SubjectEvidence> subjects = new HashMap<>();
    private final Map<String, Decided> decisions = new HashMap<>();
    private final SubjectEvidence unkeyed = new SubjectEvidence();
    private final Set<String> suppressedSubjects = new HashSet<>();
    private final int[] reasonCounts = new int[ReasonCode.values().length];
    private final int[] warningCounts = new int[ConsentWarning.values().length];
    private final Anonymizer anonymizer;
    /** The database store's rows of this FlowFile's subjects, read before the records are decided; null without that store. */
    private Map<String, BatchedKeyReader.Row> storedRows;
    /** The records of the first pass, kept so they are not parsed again (null: not held, read the FlowFile again). */
    private List<Record> heldRecords;
    /** The schema the first pass read them with. */
    private RecordSchema heldSchema;
    private int droppedCount;
    private long recordIndex;
    private RecordSchema outputSchema;
    private RecordSchema anonymizedSchema;

    public ConsentFilterRun(final ConsentFilterSettings settings, final ProcessSession session, final FlowFile original, final ComponentLog logger) {
        this.logger = logger;
        this.settings = settings;
        this.session = session;
        this.original = original;
        this.allowedOutput = new ConsentOutput(REL_SUCCESS, settings.writerFactory);
        this.excludedOutput = new ConsentOutput(REL_EXCLUDED, settings.writerFactory);
        this.anonymizedOutput = new ConsentOutput(REL_ANONYMIZED, settings.writerFactory);
        this.suppressionOutput = new ConsentOutput(REL_SUPPRESSION, settings.suppressionWriterFactory);
        this.exclusionOutput = new ConsentOutput(REL_EXCLUSIONS, settings.exclusionWriterFactory);
        this.anonymizer = settings.action == DisallowedAction.ANONYMIZE ? settings.newAnonymizer() : null;
    }

    public void process() throws IOException, MalformedRecordException, SchemaNotFoundException, ConsentLookupFailure {
        final boolean fullFirstPass = settings.subjectKeyPath != null && (settings.recordCarriesConsent || settings.jurisdictionPath != null);
        if (fullFirstPass) {
            collectSubjects();
        }
        if (settings.storeReader != null) {
            // the database store is read for all subjects before any record is decided or written
            readStore(fullFirstPass ? subjects.keySet() : collectKeys());
        }
        if (heldRecords != null) {
            // the first pass kept every record: decide and write them without parsing the content again
            final List<Record> records = heldRecords;
            heldRecords = null;
            outputSchema = settings.addDecisionFields ? withDecisionFields(heldSchema) : heldSchema;
            for (final Record record : records) {
                handle(record);
            }
        } else {
            try (InputStream in = session.read(original);
                 RecordReader reader = settings.readerFactory.createRecordReader(original, in, logger)) {
                final RecordSchema readSchema = reader.getSchema();
                outputSchema = settings.addDecisionFields ? withDecisionFields(readSchema) : readSchema;
                Record record;
                while ((record = reader.nextRecord()) != null) {
                    handle(record);
                }
            }
        }
        for (final ConsentOutput output : outputs()) {
            output.finish();
        }
    }

    private void handle(final Record record) throws IOException, SchemaNotFoundException, ConsentLookupFailure {
        final String subjectKey = subjectKey(record);
        final Decided decided = decide(record, subjectKey);
        final ConsentDecision decision = decided.decision();
        reasonCounts[decision.reason().ordinal()]++;
        for (final ConsentWarning warning : decided.warnings()) {
            warningCounts[warning.ordinal()]++;
        }
        recordIndex++;
        if (logger.isDebugEnabled()) {
            // the record's position only: its key is personal data, and a short hash of an email is easy to reverse by guessing
            logger.debug("Record {} of {} decided {}", recordIndex, original, decision.reason());
        }

        if (decision.allowed()) {
            markDecision(record, DECISION_ALLOWED, decided);
            allowedOutput.write(record, outputSchema, session, original, logger);
        } else {
            switch (settings.action) {
                case ROUTE_TO_EXCLUDED -> {
                    markDecision(record, DECISION_EXCLUDED, decided);
                    excludedOutput.write(record, outputSchema, session, original, logger);
                }
                case DROP -> droppedCount++;
                case ANONYMIZE -> {
                    anonymize(record);
                    markDecision(record, DECISION_ANONYMIZED, decided);
                    anonymizedOutput.write(record, anonymizedSchema(), session, original, logger);
                }
            }
            if (settings.writeExclusions && subjectKey != null) {
                final Map<String, Object> values = new LinkedHashMap<>();
                values.put(EXCLUSION_SUBJECT_FIELD, subjectKey);
                values.put(EXCLUSION_REASON_FIELD, decision.reason().name());
                values.put(EXCLUSION_PURPOSE_FIELD, settings.exclusionPurpose);
                exclusionOutput.write(new MapRecord(EXCLUSION_SCHEMA, values), EXCLUSION_SCHEMA, session, original, logger);
            }
        }

        if (settings.writeSuppression && subjectKey != null && decision.reason().isSuppression() && suppressedSubjects.add(subjectKey)) {
            final Map<String, Object> values = new LinkedHashMap<>();
            values.put(SUPPRESSION_SUBJECT_FIELD, subjectKey);
            values.put(SUPPRESSION_REASON_FIELD, decision.reason().name());
            values.put(SUPPRESSION_TIMESTAMP_FIELD, (decision.evidenceTime() == null ? now : decision.evidenceTime()).toString());
            suppressionOutput.write(new MapRecord(SUPPRESSION_SCHEMA, values), SUPPRESSION_SCHEMA, session, original, logger);
        }
    }

    /**
     * First pass: the evidence and jurisdictions of every record of each subject, so that the subject is
     * decided once, from all of them.
     */
    private void collectSubjects() throws IOException, MalformedRecordException, SchemaNotFoundException {
        forEachKeyedRecord((subjectKey, record) -> addRecord(record, subjects.computeIfAbsent(subjectKey, key -> new SubjectEvidence())));
    }

    /** First pass without evidence to collect: only the subject keys, for the database store. */
    private Set<String> collectKeys() throws IOException, MalformedRecordException, SchemaNotFoundException {
        final Set<String> keys = new HashSet<>();
        forEachKeyedRecord((subjectKey, record) -> keys.add(subjectKey));
        return keys;
    }

    /**
     * Reads the original FlowFile and hands each record that has a subject key, with the key, to {@code action}. Keeps
     * every record (keyed or not) for the second pass while the FlowFile fits the held-records budget; past it, keeps
     * none and the second pass reads the content again.
     */
    private void forEachKeyedRecord(final BiConsumer<String, Record> action) throws IOException, MalformedRecordException, SchemaNotFoundException {
        List<Record> held = settings.heldRecordsBudget.mayHold(original.getSize()) ? new ArrayList<>() : null;
        try (InputStream in = session.read(original);
             RecordReader reader = settings.readerFactory.createRecordReader(original, in, logger)) {
            heldSchema = reader.getSchema();
            Record record;
            while ((record = reader.nextRecord()) != null) {
                final String subjectKey = subjectKey(record);
                if (subjectKey != null) {
                    action.accept(subjectKey, record);
                }
                if (held != null) {
                    held = settings.heldRecordsBudget.mayHoldMore(held.size()) ? held : null;
                    if (held != null) {
                        held.add(record);
                    }
                }
            }
        }
        heldRecords = held;
    }

    /** Reads the stored rows of all these subjects, one query per chunk; any failure fails the whole FlowFile (closed). */
    private void readStore(final Set<String> keys) throws ConsentLookupFailure {
        if (keys.isEmpty()) {
            storedRows = Map.of();
            return;
        }
        try (Connection connection = settings.dbcpService.getConnection(original.getAttributes())) {
            storedRows = settings.storeReader.read(connection, keys);
        } catch (final BatchedKeyReader.AmbiguousKeyException e) {
            throw e;
        } catch (final SQLException | RuntimeException e) {
            // the pool's or driver's message can quote the keys, so only the type is reported (ConsentLookupFailure)
            throw new ConsentLookupFailure(e);
        }
    }

    private Decided decide(final Record record, final String subjectKey) throws ConsentLookupFailure {
        if (subjectKey == null) {
            // a record without a subject key is its own subject
            unkeyed.clear();
            addRecord(record, unkeyed);
            return evaluate(unkeyed);
        }
        final Decided known = decisions.get(subjectKey);
        if (known != null) {
            return known;
        }
        SubjectEvidence subject = subjects.remove(subjectKey);
        if (subject == null) {
            // no first pass: the record carries neither consent nor a jurisdiction, so one record stands for all
            subject = new SubjectEvidence();
            addRecord(record, subject);
        }
        if (settings.lookupService != null) {
            addStoreEvidence(subjectKey, subject);
        } else if (storedRows != null) {
            final BatchedKeyReader.Row row = storedRows.get(subjectKey);
            if (row != null) {
                addStoreRow(row::get, subject);
            }
        }
        final Decided decided = evaluate(subject);
        decisions.put(subjectKey, decided);
        return decided;
    }

    private Decided evaluate(final SubjectEvidence subject) {
        final ConsentDecision decision = settings.evaluator.evaluate(subject.evidence(), subject.regime(settings.defaultRegime), now);
        return subject.warnings().isEmpty() ? new Decided(decision, null, Set.of())
                : new Decided(decision, subject.warningText(), EnumSet.copyOf(subject.warnings()));
    }

    /** Adds what the record itself carries, and its jurisdiction's regime. */
    private void addRecord(final Record record, final SubjectEvidence subject) {
        final EvidenceReader.RecordConsent raw = new EvidenceReader.RecordConsent(
                value(record, settings.consentStatusPath), value(record, settings.consentTimestampPath), value(record, settings.gpcPath),
                value(record, settings.usPrivacyPath), value(record, settings.tcStringPath));
        settings.evidenceReader.addRecord(raw, now, subject);
        if (settings.jurisdictionPath != null) {
            final String jurisdiction = text(value(record, settings.jurisdictionPath));
            if (jurisdiction != null && !jurisdiction.isBlank()) {
                subject.addRegime(settings.jurisdictionPolicy.regimeFor(jurisdiction));
            }
        }
    }

    private void addStoreEvidence(final String subjectKey, final SubjectEvidence subject) throws ConsentLookupFailure {
        final Optional<Record> stored;
        try {
            stored = settings.lookupService.lookup(Map.of(settings.lookupCoordinate, subjectKey), original.getAttributes());
        } catch (final LookupFailureException | RuntimeException e) {
            throw new ConsentLookupFailure(e);
        }
        if (stored.isPresent()) {
            addStoreRow(stored.get()::getValue, subject);
        }
    }

    /** The one mapping of a consent store row (looked up or read in a batch) to the subject's evidence. */
    private void addStoreRow(final Function<String, Object> row, final SubjectEvidence subject) {
        settings.evidenceReader.addStore(row.apply(settings.storeStatusField), row.apply(settings.storeTimestampField),
                row.apply(settings.storePurposesField), now, subject);
    }

    /** The record's subject key; null without one, or when it is blank: records lacking a key are never pooled with each other. */
    private String subjectKey(final Record record) {
        final String key = settings.subjectKeyPath == null ? null : text(value(record, settings.subjectKeyPath));
        return key == null || key.isBlank() ? null : key;
    }

    /** One subject's decision, with its warnings as written to the records. */
    private record Decided(ConsentDecision decision, String warningText, Set<ConsentWarning> warnings) {
    }

    private void markDecision(final Record record, final String decision, final Decided decided) {
        if (settings.addDecisionFields) {
            // the prebuilt fields avoid creating field objects for every record
            record.setValue(settings.decisionRecordField, decision);
            record.setValue(settings.reasonRecordField, decided.decision().reason().name());
            record.setValue(settings.warningRecordField, decided.warningText());
        }
    }

    private void anonymize(final Record record) {
        for (final RecordPath path : settings.anonymizedPaths) {
            path.evaluate(record).getSelectedFields().forEach(this::anonymizeField);
        }
    }

    private void anonymizeField(final FieldValue fieldValue) {
        if (anonymizer.method() == Anonymizer.Method.REMOVE) {
            fieldValue.updateValue(null);
        } else {
            fieldValue.updateValue(anonymizer.anonymize(fieldValue.getValue()), RecordFieldType.STRING.getDataType());
        }
    }

    /** Anonymised top-level fields become text, or leave the schema when removed. */
    private RecordSchema anonymizedSchema() {
        if (anonymizedSchema == null) {
            final Set<String> topLevel = new HashSet<>();
            for (final RecordPath path : settings.anonymizedPaths) {
                final String field = RecordValueReader.topLevelFieldName(path.getPath());
                if (field != null) {
                    topLevel.add(field);
                }
            }
            final List<RecordField> fields = new ArrayList<>();
            for (final RecordField field : outputSchema.getFields()) {
                if (!topLevel.contains(field.getFieldName())) {
                    fields.add(field);
                } else if (anonymizer.method() != Anonymizer.Method.REMOVE) {
                    fields.add(new RecordField(field.getFieldName(), RecordFieldType.STRING.getDataType(), true));
                }
            }
            anonymizedSchema = new SimpleRecordSchema(fields);
        }
        return anonymizedSchema;
    }

    private RecordSchema withDecisionFields(final RecordSchema schema) {
        final List<RecordField> fields = new ArrayList<>(schema.getFields());
        if (schema.getField(settings.decisionField).isEmpty()) {
            fields.add(settings.decisionRecordField);
        }
        if (schema.getField(settings.reasonField).isEmpty()) {
            fields.add(settings.reasonRecordField);
        }
        if (schema.getField(settings.warningField).isEmpty()) {
            fields.add(settings.warningRecordField);
        }
        return new SimpleRecordSchema(fields);
    }

    private List<ConsentOutput> outputs() {
        return List.of(allowedOutput, excludedOutput, anonymizedOutput, suppressionOutput, exclusionOutput);
    }

    public void discardOutputs() {
        for (final ConsentOutput output : outputs()) {
            output.discard(session);
        }
    }

    /** Transfers the outputs, reports counts and provenance, and removes the original. */
    public void complete() {
        final Map<String, String> counts = new HashMap<>();
        counts.put(ATTR_ALLOWED_COUNT, String.valueOf(allowedOutput.recordCount()));
        counts.put(ATTR_EXCLUDED_COUNT, String.valueOf(excludedOutput.recordCount()));
        counts.put(ATTR_ANONYMIZED_COUNT, String.valueOf(anonymizedOutput.recordCount()));
        counts.put(ATTR_DROPPED_COUNT, String.valueOf(droppedCount));
        counts.put(ATTR_SUPPRESSION_COUNT, String.valueOf(suppressionOutput.recordCount()));
        counts.put(ATTR_EXCLUSION_COUNT, String.valueOf(exclusionOutput.recordCount()));
        final String details = summary();

        for (final ConsentOutput output : outputs()) {
            if (output.isStarted()) {
                final FlowFile child = output.complete(session, counts);
                session.getProvenanceReporter().route(child, output.relationship(), details);
                session.transfer(child, output.relationship());
            }
        }
        for (final ReasonCode reason : ReasonCode.values()) {
            if (reasonCounts[reason.ordinal()] > 0) {
                session.adjustCounter(COUNTER_PREFIX + reason.name(), reasonCounts[reason.ordinal()], false);
            }
        }
        int invalidSignals = 0;
        for (final ConsentWarning warning : ConsentWarning.values()) {
            final int count = warningCounts[warning.ordinal()];
            if (count > 0) {
                session.adjustCounter(COUNTER_WARNING_PREFIX + warning.name(), count, false);
                if (warning == ConsentWarning.MALFORMED_TC_STRING || warning == ConsentWarning.MALFORMED_US_PRIVACY
                        || warning == ConsentWarning.INVALID_PURPOSES) {
                    invalidSignals += count;
                }
            }
        }
        if (invalidSignals > 0) {
            session.adjustCounter(COUNTER_INVALID_SIGNAL, invalidSignals, false);
        }
        // the framework records the DROP of the original with this as its details
        final FlowFile described = session.putAttribute(original, CoreAttributes.DISCARD_REASON.key(), details);
        session.remove(described);
        logger.debug("{}: {}", original, details);
    }

    private String summary() {
        final StringBuilder text = new StringBuilder();
        text.append(allowedOutput.recordCount()).append(" allowed, ")
                .append(excludedOutput.recordCount()).append(" excluded, ")
                .append(anonymizedOutput.recordCount()).append(" anonymized, ")
                .append(droppedCount).append(" dropped, ")
                .append(suppressionOutput.recordCount()).append(" suppression records, ")
                .append(exclusionOutput.recordCount()).append(" exclusion records; reasons:");
        boolean any = false;
        for (final ReasonCode reason : ReasonCode.values()) {
            if (reasonCounts[reason.ordinal()] > 0) {
                text.append(' ').append(reason.name()).append('=').append(reasonCounts[reason.ordinal()]);
                any = true;
            }
        }
        if (!any) {
            text.append(" none");
        }
        return text.toString();
    }

    private static Object value(final Record record, final RecordValueReader reader) {
        return reader == null ? null : reader.read(record);
    }

    private static String text(final Object value) {
        return value == null ? null : value.toString();
    }

    /** A consent store lookup failed; the whole FlowFile must be retried. */
    public static final class ConsentLookupFailure extends Exception {
        private final String causeType;

        ConsentLookupFailure(final Exception cause) {
            super(cause.getClass().getSimpleName());
            this.causeType = PiiSafeErrors.describe(cause);
        }

        public String causeType() {
            return causeType;
        }
    }
}
