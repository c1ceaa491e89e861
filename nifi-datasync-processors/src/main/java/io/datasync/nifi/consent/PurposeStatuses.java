package io.datasync.nifi.consent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.datasync.nifi.common.Timestamps;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 */
public final class PurposeStatuses {

    private static final ObjectMapper OBJECT_MAPPER = new ObjectMapper();

    private final String statusField;
    private final String timestampField;
    private final Function<Object, Map<String, Object>> recordFields;

    /**
     * @param statusField field holding the status when a purpose's value is an object
     * @param timestampField field holding that purpose's timestamp when its value is an object
     * @param recordFields reads a nested record (e.g. a NiFi Record) as a map, or returns null when the value is not one
     */
    public PurposeStatuses(final String statusField, final String timestampField, final Function<Object, Map<String, Object>> recordFields) {
        this.statusField = statusField;
        this.timestampField = timestampField;
        this.recordFields = recordFields;
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
        if (value == null) {
            return;
        }
        if (value instanceof Map<?, ?> map) {
            addFromMap(map, source, timestamp, target);
            return;
        }
        if (value instanceof Object[] array) {
            addGrantedList(List.of(array), requestedPurposes, source, timestamp, target);
            return;
        }
        if (value instanceof Collection<?> collection) {
            addGrantedList(collection, requestedPurposes, source, timestamp, target);
            return;
        }
        final Map<String, Object> fields = asRecord(value);
        if (fields != null) {
            addFromMap(fields, source, timestamp, target);
            return;
        }
        if (value instanceof CharSequence) {
            addFromText(value.toString().trim(), requestedPurposes, source, timestamp, target);
            return;
        }
        addSubjectWide(ConsentStatus.parse(value), source, timestamp, target);
    }

    private Map<String, Object> asRecord(final Object value) {
        return recordFields == null ? null : recordFields.apply(value);
    }

    private void addFromText(final String text, final List<String> requestedPurposes, final ConsentSource source, final Instant timestamp,
                             final List<ConsentEvidence> target) {
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
                    addPurpose(field.getKey(), jsonValue(field.getValue()), source, timestamp, target);
                }
            } else {
                final List<Object> granted = new ArrayList<>();
                node.forEach(element -> granted.add(element.asText()));
                addGrantedList(granted, requestedPurposes, source, timestamp, target);
            }
            return;
        }
        final ConsentStatus status = ConsentStatus.parse(text);
        if (status.isEvidence() || text.indexOf(',') < 0 && !requestedPurposes.contains(text)) {
            addSubjectWide(status, source, timestamp, target);
            return;
        }
        addGrantedList(List.of((Object[]) text.split(",")), requestedPurposes, source, timestamp, target);
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

    private void addFromMap(final Map<?, ?> map, final ConsentSource source, final Instant timestamp, final List<ConsentEvidence> target) {
        for (final Map.Entry<?, ?> entry : map.entrySet()) {
            if (entry.getKey() != null) {
                addPurpose(entry.getKey().toString(), entry.getValue(), source, timestamp, target);
            }
        }
    }

    private void addPurpose(final String purpose, final Object purposeValue, final ConsentSource source, final Instant timestamp,
                            final List<ConsentEvidence> target) {
        Object statusValue = purposeValue;
        Instant purposeTimestamp = timestamp;
        Map<?, ?> purposeObject = purposeValue instanceof Map<?, ?> map ? map : null;
        if (purposeObject == null && purposeValue != null && !(purposeValue instanceof CharSequence)) {
            purposeObject = asRecord(purposeValue);
        }
        if (purposeObject != null) {
            // a per-purpose object carries its own status and, if present, its own date
            statusValue = purposeObject.get(statusField);
            final Instant own = Timestamps.toInstantOrNull(purposeObject.get(timestampField));
            if (own != null) {
                purposeTimestamp = own;
            }
        }
        final ConsentStatus status = ConsentStatus.parse(statusValue);
        if (status.isEvidence()) {
            target.add(new ConsentEvidence(source, purpose.trim(), status, purposeTimestamp));
        }
    }

    private static void addGrantedList(final Collection<?> granted, final List<String> requestedPurposes, final ConsentSource source,
                                       final Instant timestamp, final List<ConsentEvidence> target) {
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

    private static void addSubjectWide(final ConsentStatus status, final ConsentSource source, final Instant timestamp, final List<ConsentEvidence> target) {
        if (status.isEvidence()) {
            target.add(new ConsentEvidence(source, null, status, timestamp));
        }
    }
}
