package io.datasync.nifi.consent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.datasync.nifi.common.Timestamps;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Turns a per-purpose consent value into evidence. Accepted shapes:
 * <ul>
 *   <li>a map, nested record or JSON object keyed by purpose whose values are statuses, or objects with
 *       their own status and timestamp fields: each entry is evidence for that purpose; purposes not
 *       present say nothing;</li>
 *   <li>an array, collection, JSON array or comma-separated text listing the granted purposes: listed
 *       purposes are granted and every requested purpose not listed is denied;</li>
 *   <li>a single status (boolean, text, number): evidence for every purpose.</li>
 * </ul>
 * Immutable and thread-safe: what one call finds wrong goes to the warnings set passed to it.
 */
public final class PurposeStatuses {

    private static final ObjectMapper OBJECT_MAPPER = new ObjectMapper();

    private final String statusField;
    private final String timestampField;
    private final Function<Object, Map<String, Object>> recordFields;
    private final ConsentVocabulary vocabulary;
    private final Function<Object, ConsentTime> timeReader;

    /**
     * With the default vocabulary; per-purpose timestamps read as epoch milliseconds or ISO-8601.
     */
    public PurposeStatuses(final String statusField, final String timestampField, final Function<Object, Map<String, Object>> recordFields) {
        this(statusField, timestampField, recordFields, ConsentVocabulary.defaults(),
                value -> ConsentTime.read(value, Timestamps.EpochUnit.MILLISECONDS, Instant.MAX.minus(ConsentTime.FUTURE_TOLERANCE)));
    }

    /**
     * @param statusField field holding the status when a purpose's value is an object
     * @param timestampField field holding that purpose's timestamp when its value is an object
     * @param recordFields reads a nested record (e.g. a NiFi Record) as a map, or returns null when the value is not one
     * @param vocabulary reads each status value
     * @param timeReader reads a per-purpose timestamp
     */
    public PurposeStatuses(final String statusField, final String timestampField, final Function<Object, Map<String, Object>> recordFields,
                           final ConsentVocabulary vocabulary, final Function<Object, ConsentTime> timeReader) {
        this.statusField = statusField;
        this.timestampField = timestampField;
        this.recordFields = recordFields;
        this.vocabulary = vocabulary;
        this.timeReader = timeReader;
    }

    /**
     * Adds the evidence found in the value to the target list.
     *
     * @param value the raw value (map, record, array, collection, text, boolean, number)
     * @param requestedPurposes the purposes being decided, used for the granted-list shape
     * @param timestamp the date of the evidence unless a purpose object carries its own
     * @throws IllegalArgumentException when text looks like JSON but does not parse
     */
    public void addEvidence(final Object value, final List<String> requestedPurposes, final ConsentSource source, final Instant timestamp,
                            final List<ConsentEvidence> target) {
        addEvidence(value, requestedPurposes, source, timestamp, target, EnumSet.noneOf(ConsentWarning.class));
    }

    /**
     * Adds the evidence found in the value to the target list, and what could not be used to the warnings:
     * status values on no list ({@link ConsentWarning#UNRECOGNISED_STATUS}) and per-purpose timestamps that
     * cannot be trusted.
     *
     * @throws IllegalArgumentException when text looks like JSON but does not parse
     */
    public void addEvidence(final Object value, final List<String> requestedPurposes, final ConsentSource source, final Instant timestamp,
                            final List<ConsentEvidence> target, final Set<ConsentWarning> warnings) {
        if (value == null) {
            return;
        }
        new Call(requestedPurposes, source, timestamp, target, warnings).add(value);
    }

    /** The state of one {@link #addEvidence} call. */
    private final class Call {
        private final List<String> requestedPurposes;
        private final ConsentSource source;
        private final Instant timestamp;
        private final List<ConsentEvidence> target;
        private final Set<ConsentWarning> warnings;

        Call(final List<String> requestedPurposes, final ConsentSource source, final Instant timestamp, final List<ConsentEvidence> target,
             final Set<ConsentWarning> warnings) {
            this.requestedPurposes = requestedPurposes;
            this.source = source;
            this.timestamp = timestamp;
            this.target = target;
            this.warnings = warnings;
        }

        void add(final Object value) {
            if (value instanceof Map<?, ?> map) {
                addFromMap(map);
                return;
            }
            if (value instanceof Object[] array) {
                addGrantedList(List.of(array));
                return;
            }
            if (value instanceof Collection<?> collection) {
                addGrantedList(collection);
                return;
            }
            final Map<String, Object> fields = asRecord(value);
            if (fields != null) {
                addFromMap(fields);
                return;
            }
            if (value instanceof CharSequence) {
                addFromText(value.toString().trim());
                return;
            }
            addSubjectWide(read(value));
        }

        private void addFromText(final String text) {
            if (text.isEmpty()) {
                return;
            }
            final char first = text.charAt(0);
            if (first == '{' || first == '[') {
                final JsonNode node;
                try {
                    node = OBJECT_MAPPER.readTree(text);
                } catch (final JsonProcessingException e) {
                    // the parser message may quote the value, so it is not passed on
                    throw new IllegalArgumentException("Purposes value is not valid JSON");
                }
                if (node.isObject()) {
                    final Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
                    while (fields.hasNext()) {
                        final Map.Entry<String, JsonNode> field = fields.next();
                        addPurpose(field.getKey(), jsonValue(field.getValue()));
                    }
                } else {
                    final List<Object> granted = new ArrayList<>();
                    node.forEach(element -> granted.add(element.asText()));
                    addGrantedList(granted);
                }
                return;
            }
            if (vocabulary.read(text).recognised() || text.indexOf(',') < 0 && !requestedPurposes.contains(text)) {
                addSubjectWide(read(text));
                return;
            }
            addGrantedList(List.of((Object[]) text.split(",")));
        }

        private void addFromMap(final Map<?, ?> map) {
            for (final Map.Entry<?, ?> entry : map.entrySet()) {
                if (entry.getKey() != null) {
                    addPurpose(entry.getKey().toString(), entry.getValue());
                }
            }
        }

        private void addPurpose(final String purpose, final Object purposeValue) {
            Object statusValue = purposeValue;
            Instant purposeTimestamp = timestamp;
            Map<?, ?> purposeObject = purposeValue instanceof Map<?, ?> map ? map : null;
            if (purposeObject == null && purposeValue != null && !(purposeValue instanceof CharSequence)) {
                purposeObject = asRecord(purposeValue);
            }
            if (purposeObject != null) {
                // a per-purpose object carries its own status and, if present, its own date
                statusValue = purposeObject.get(statusField);
                final ConsentTime own = timeReader.apply(purposeObject.get(timestampField));
                if (own.warning() != null) {
                    // a date that is there but cannot be trusted leaves the evidence undated, not dated by the record
                    warnings.add(own.warning());
                    purposeTimestamp = null;
                } else if (own.instant() != null) {
                    purposeTimestamp = own.instant();
                }
            }
            final ConsentStatus status = read(statusValue);
            if (status.isEvidence()) {
                target.add(new ConsentEvidence(source, purpose.trim(), status, purposeTimestamp));
            }
        }

        private void addGrantedList(final Collection<?> granted) {
            for (final String purpose : requestedPurposes) {
                boolean listed = false;
                for (final Object element : granted) {
                    if (element != null && purpose.equals(element.toString().trim())) {
                        listed = true;
                        break;
                    }
                }
                target.add(new ConsentEvidence(source, purpose, listed ? ConsentStatus.GRANTED : ConsentStatus.DENIED, timestamp));
            }
        }

        private ConsentStatus read(final Object value) {
            final ConsentVocabulary.Reading reading = vocabulary.read(value);
            if (!reading.recognised()) {
                warnings.add(ConsentWarning.UNRECOGNISED_STATUS);
            }
            return reading.status();
        }

        private void addSubjectWide(final ConsentStatus status) {
            if (status.isEvidence()) {
                target.add(new ConsentEvidence(source, null, status, timestamp));
            }
        }
    }

    private Map<String, Object> asRecord(final Object value) {
        return recordFields == null ? null : recordFields.apply(value);
    }

    private static Object jsonValue(final JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isObject()) {
            final Map<String, Object> fields = new LinkedHashMap<>();
            node.fields().forEachRemaining(field -> fields.put(field.getKey(), jsonValue(field.getValue())));
            return fields;
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isNumber()) {
            return node.numberValue();
        }
        return node.asText();
    }
}
