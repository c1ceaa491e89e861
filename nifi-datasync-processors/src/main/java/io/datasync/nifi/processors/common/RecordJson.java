package io.datasync.nifi.processors.common;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Time;
import java.sql.Timestamp;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.Map;
import java.util.UUID;

/**
 * Turns a NiFi record into the JSON object sent to an API: the fields in schema order, nested records as objects,
 * arrays and maps as JSON arrays and objects, timestamps as ISO-8601 instants (UTC), dates and times in ISO form,
 * bytes as Base64, anything else as its text.
 */
public final class RecordJson {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private RecordJson() {
    }

    public static ObjectNode toJson(final Record record) {
        final ObjectNode object = NODES.objectNode();
        for (final RecordField field : record.getSchema().getFields()) {
            object.set(field.getFieldName(), value(record.getValue(field)));
        }
        return object;
    }

    private static JsonNode value(final Object value) {
        return switch (value) {
            case null -> NODES.nullNode();
            case Record nested -> toJson(nested);
            case String text -> NODES.textNode(text);
            case Boolean flag -> NODES.booleanNode(flag);
            case Integer number -> NODES.numberNode(number);
            case Long number -> NODES.numberNode(number);
            case Short number -> NODES.numberNode(number);
            case Byte number -> NODES.numberNode(number);
            case Double number -> NODES.numberNode(number);
            case Float number -> NODES.numberNode(number);
            case BigDecimal number -> NODES.numberNode(number);
            case BigInteger number -> NODES.numberNode(number);
            case Timestamp timestamp -> NODES.textNode(timestamp.toInstant().toString());
            case java.sql.Date date -> NODES.textNode(date.toLocalDate().toString());
            case Time time -> NODES.textNode(time.toLocalTime().toString());
            case Date date -> NODES.textNode(date.toInstant().toString());
            case byte[] bytes -> NODES.textNode(Base64.getEncoder().encodeToString(bytes));
            case Object[] array -> {
                final ArrayNode out = NODES.arrayNode();
                for (final Object element : array) {
                    out.add(value(element));
                }
                yield out;
            }
            case Collection<?> list -> {
                final ArrayNode out = NODES.arrayNode();
                for (final Object element : list) {
                    out.add(value(element));
                }
                yield out;
            }
            case Map<?, ?> map -> {
                final ObjectNode out = NODES.objectNode();
                for (final Map.Entry<?, ?> entry : map.entrySet()) {
                    out.set(String.valueOf(entry.getKey()), value(entry.getValue()));
                }
                yield out;
            }
            case UUID uuid -> NODES.textNode(uuid.toString());
            default -> NODES.textNode(value.toString());
        };
    }
}
