package io.datasync.nifi.webhook;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.filter.FilteringParserDelegate;
import com.fasterxml.jackson.core.filter.JsonPointerBasedFilter;
import com.fasterxml.jackson.core.filter.TokenFilter;

import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads an event id from a JSON body with a streaming parser, stopping at the value, so the body
 * is never built into a tree.
 */
public final class JsonEventIds {

    // The caller owns the stream (it may still need to read the rest of it), so the parser must not close it.
    private static final JsonFactory JSON_FACTORY = JsonFactory.builder().disable(StreamReadFeature.AUTO_CLOSE_SOURCE).build();

    private JsonEventIds() {
    }

    /**
     * Validates and compiles a JSON Pointer such as {@code /id} or {@code /data/object/id}.
     *
     * @throws IllegalArgumentException when the text is not a JSON Pointer
     */
    public static JsonPointer compile(final String pointer) {
        if (pointer == null || !pointer.startsWith("/")) {
            throw new IllegalArgumentException("A JSON Pointer starts with '/'");
        }
        return JsonPointer.compile(pointer);
    }

    /**
     * The scalar (string, number or boolean) at the pointer, as text; empty when the body is not
     * JSON, the pointer finds nothing, or finds null, an object or an array.
     *
     * @throws IOException when the stream itself fails
     */
    public static Optional<String> find(final InputStream body, final JsonPointer pointer) throws IOException {
        try (JsonParser parser = JSON_FACTORY.createParser(body);
             JsonParser filtered = new FilteringParserDelegate(parser, new JsonPointerBasedFilter(pointer), TokenFilter.Inclusion.ONLY_INCLUDE_ALL, false)) {
            final JsonToken token = filtered.nextToken();
            if (token == null || !token.isScalarValue() || token == JsonToken.VALUE_NULL) {
                return Optional.empty();
            }
            final String text = filtered.getText();
            return text == null || text.isBlank() ? Optional.empty() : Optional.of(text);
        } catch (final JsonProcessingException e) {
            return Optional.empty();
        }
    }

    /**
     * The scalar values of the named fields at the top level of a JSON object body, as text; fields
     * that are absent, null, objects or arrays are left out, and so is everything when the body is
     * not a JSON object. Stops reading once every field is found.
     *
     * @throws IOException when the stream itself fails
     */
    public static Map<String, String> findTopLevel(final InputStream body, final Set<String> fieldNames) throws IOException {
        final Map<String, String> found = new HashMap<>();
        try (JsonParser parser = JSON_FACTORY.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return Map.of();
            }
            JsonToken token;
            while (found.size() < fieldNames.size() && (token = parser.nextToken()) == JsonToken.FIELD_NAME) {
                final String name = parser.currentName();
                final JsonToken value = parser.nextToken();
                if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
                    parser.skipChildren();
                } else if (fieldNames.contains(name) && value != null && value.isScalarValue() && value != JsonToken.VALUE_NULL) {
                    final String text = parser.getText();
                    if (text != null && !text.isBlank()) {
                        found.putIfAbsent(name, text);
                    }
                }
            }
            return found;
        } catch (final JsonProcessingException e) {
            return Map.of();
        }
    }
}
