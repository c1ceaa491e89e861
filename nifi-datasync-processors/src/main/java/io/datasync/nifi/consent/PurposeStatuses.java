package io.datasync.nifi.consent;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.datasync.nifi.common.Timestamps;
import java.io.IOException;
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

    /**
     * How JSON text (a store's purposes column, a record's purposes text) is read. Both give the same evidence, warnings
     * and failures for every text, valid or not (the same parser, features and read constraints); they differ in cost.
     */
    public enum JsonReading {
        /** Jackson's streaming parser straight into the few values the evidence needs (the default). */
        STREAMING,
        /** A full Jackson tree, then values from the tree: how purposes were read before; kept as the reference of tests and benchmarks. */
        TREE
    }

    private static final ObjectMapper OBJECT_MAPPER = new ObjectMapper();
    /** The mapper's own factory: the same parser features and read constraints (nesting depth, string, number and name lengths). */
    private static final JsonFactory JSON_FACTORY = OBJECT_MAPPER.getFactory();

    private final String statusField;
    private final String timestampField;
    private final Function<Object, Map<String, Object>> recordFields;
    private final ConsentVocabulary vocabulary;
    private final Function<Object, ConsentTime> timeReader;
    private final JsonReading jsonReading;

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
        this(statusField, timestampField, recordFields, vocabulary, timeReader, JsonReading.STREAMING);
    }

    private PurposeStatuses(final String statusField, final String timestampField, final Function<Object, Map<String, Object>> recordFields,
                            final ConsentVocabulary vocabulary, final Function<Object, ConsentTime> timeReader, final JsonReading jsonReading) {
        this.jsonReading = jsonReading;
        this.statusField = statusField;
        this.timestampField = timestampField;
        this.recordFields = recordFields;
        this.vocabulary = vocabulary;
        this.timeReader = timeReader;
    }

    /**
     * The same reading with JSON text read the given way (for comparisons; the product reads {@link JsonReading#STREAMING}).
     */
    public PurposeStatuses withJsonReading(final JsonReading reading) {
        return new PurposeStatuses(statusField, timestampField, recordFields, vocabulary, timeReader, reading);
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
                final Object parsed = jsonReading == JsonReading.TREE ? parseTree(text) : parseStreaming(text);
                if (parsed instanceof Map<?, ?> object) {
                    for (final Map.Entry<?, ?> field : object.entrySet()) {
                        addPurpose((String) field.getKey(), field.getValue());
                    }
                } else {
                    addGrantedList((List<?>) parsed);
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

    /**
     * Reads JSON text that starts with '{' or '[': an object as an ordered map of its fields (a repeated name keeps its
     * first place and its last value, as a Jackson tree does) whose values are read by {@link #jsonValue(JsonNode)}'s
     * rules, or an array as the text of each element. Only the first JSON value is read; what follows it is ignored.
     *
     * @throws IllegalArgumentException when the text is not valid JSON or breaks the parser's read constraints (never quoting it)
     */
    static Object parseStreaming(final String text) {
        try (JsonParser parser = JSON_FACTORY.createParser(text)) {
            final JsonToken first = parser.nextToken();
            if (first == JsonToken.START_OBJECT) {
                return readObject(parser);
            }
            if (first == JsonToken.START_ARRAY) {
                final List<Object> texts = new ArrayList<>();
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    texts.add(elementText(parser));
                }
                return texts;
            }
            // not reached for text starting with '{' or '[': the parser fails on it or returns a container
            throw new IllegalArgumentException("Purposes value is not a JSON object or array");
        } catch (final IOException e) {
            // the parser message may quote the value, so it is not passed on
            throw new IllegalArgumentException("Purposes value is not valid JSON");
        }
    }

    /** The former reading: a full Jackson tree, then the same values as {@link #parseStreaming}. */
    static Object parseTree(final String text) {
        final JsonNode node;
        try {
            node = OBJECT_MAPPER.readTree(text);
        } catch (final JsonProcessingException e) {
            // the parser message may quote the value, so it is not passed on
            throw new IllegalArgumentException("Purposes value is not valid JSON");
        }
        if (node.isObject()) {
            final Map<String, Object> fields = new LinkedHashMap<>();
            final Iterator<Map.Entry<String, JsonNode>> iterator = node.fields();
            while (iterator.hasNext()) {
                final Map.Entry<String, JsonNode> field = iterator.next();
                fields.put(field.getKey(), jsonValue(field.getValue()));
            }
            return fields;
        }
        final List<Object> granted = new ArrayList<>();
        node.forEach(element -> granted.add(element.asText()));
        return granted;
    }

    /** After START_OBJECT: the fields up to the matching END_OBJECT. */
    private static Map<String, Object> readObject(final JsonParser parser) throws IOException {
        final Map<String, Object> fields = new LinkedHashMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            final String name = parser.currentName();
            parser.nextToken();
            // LinkedHashMap.put keeps a repeated name in its first place with its last value, like a tree's object node
            fields.put(name, readValue(parser));
        }
        return fields;
    }

    /** The value at the current token, as {@link #jsonValue(JsonNode)} gives it: an array reads as empty text. */
    private static Object readValue(final JsonParser parser) throws IOException {
        final JsonToken token = parser.currentToken();
        return switch (token) {
            case START_OBJECT -> readObject(parser);
            case START_ARRAY -> {
                consumeArray(parser);
                yield "";
            }
            case VALUE_STRING -> parser.getText();
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> parser.getNumberValue();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NULL -> null;
            default -> parser.getText();
        };
    }

    /** An array element's text as a tree node's {@code asText()} gives it: containers are empty text, null is "null". */
    private static String elementText(final JsonParser parser) throws IOException {
        final JsonToken token = parser.currentToken();
        return switch (token) {
            case START_OBJECT -> {
                readObject(parser);
                yield "";
            }
            case START_ARRAY -> {
                consumeArray(parser);
                yield "";
            }
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> parser.getNumberValue().toString();
            case VALUE_TRUE -> "true";
            case VALUE_FALSE -> "false";
            case VALUE_NULL -> "null";
            default -> parser.getText();
        };
    }

    /**
     * Reads an array's elements up to its END_ARRAY, decoding every string and number as a tree would (so a value that
     * breaks a read constraint fails here too, rather than being skipped unread).
     */
    private static void consumeArray(final JsonParser parser) throws IOException {
        while (parser.nextToken() != JsonToken.END_ARRAY) {
            readValue(parser);
        }
    }

    private Map<String, Object> asRecord(final Object value) {
        return recordFields == null ? null : recordFields.apply(value);
    }

    /** A tree node's value: objects as ordered maps, booleans, numbers (Integer, Long, BigInteger or Double), anything else as text. */
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
