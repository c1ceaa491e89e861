package io.datasync.nifi.fetch;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads one response body in a single streaming pass: the record array at the records pointer
 * (each record becomes a small tree) and, optionally, one scalar at a second pointer (a cursor or
 * next URL). Everything else in the body is skipped without being materialised.
 */
public final class PageParser {

    private final ObjectMapper mapper;
    private final String recordsPointer;
    private final String capturePointer;

    /**
     * @param recordsPointer JSON Pointer to the record array, empty for a body that is the array
     * @param capturePointer JSON Pointer to a scalar to capture, or null
     */
    public PageParser(final ObjectMapper mapper, final String recordsPointer, final String capturePointer) {
        this.mapper = mapper;
        this.recordsPointer = JsonPointer.compile(recordsPointer == null ? "" : recordsPointer).toString();
        this.capturePointer = capturePointer == null || capturePointer.isEmpty() ? null : JsonPointer.compile(capturePointer).toString();
    }

    public ParsedPage parse(final byte[] body) throws MalformedPageException {
        final Walk walk = new Walk();
        try (JsonParser parser = mapper.createParser(body)) {
            if (parser.nextToken() == null) {
                throw new MalformedPageException("Response body is empty");
            }
            walkValue(parser, "", walk);
            if (parser.nextToken() != null) {
                throw new MalformedPageException("Response body has content after its JSON value");
            }
        } catch (final JsonProcessingException e) {
            // Only the position: the parser's own message quotes body text, which may be personal data.
            final JsonLocation location = e.getLocation();
            throw new MalformedPageException("Response body is not valid JSON"
                    + (location == null ? "" : " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")"), e);
        } catch (final IOException e) {
            throw new MalformedPageException("Response body could not be read: " + e.getMessage(), e);
        }
        if (walk.records == null) {
            throw new MalformedPageException("Records pointer '" + recordsPointer + "' not found in response");
        }
        return new ParsedPage(walk.records, walk.captured);
    }

    private void walkValue(final JsonParser parser, final String pointer, final Walk walk) throws IOException, MalformedPageException {
        final JsonToken token = parser.currentToken();
        if (pointer.equals(recordsPointer)) {
            if (token != JsonToken.START_ARRAY) {
                throw new MalformedPageException("Records pointer '" + recordsPointer + "' does not point to an array");
            }
            final List<JsonNode> records = new ArrayList<>();
            while (parser.nextToken() != JsonToken.END_ARRAY) {
                records.add(parser.readValueAsTree());
            }
            walk.records = records;
            return;
        }
        if (pointer.equals(capturePointer)) {
            if (token.isScalarValue() && token != JsonToken.VALUE_NULL) {
                walk.captured = parser.getValueAsString();
            } else {
                parser.skipChildren();
            }
            return;
        }
        if (token == JsonToken.START_OBJECT && leadsToTarget(pointer)) {
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                final String child = pointer + "/" + escape(parser.currentName());
                parser.nextToken();
                walkValue(parser, child, walk);
            }
            return;
        }
        if (token == JsonToken.START_ARRAY && leadsToTarget(pointer)) {
            int index = 0;
            while (parser.nextToken() != JsonToken.END_ARRAY) {
                walkValue(parser, pointer + "/" + index++, walk);
            }
            return;
        }
        parser.skipChildren();
    }

    private boolean leadsToTarget(final String pointer) {
        final String prefix = pointer + "/";
        return recordsPointer.startsWith(prefix) || (capturePointer != null && capturePointer.startsWith(prefix));
    }

    private static String escape(final String name) {
        return name.indexOf('~') < 0 && name.indexOf('/') < 0 ? name : name.replace("~", "~0").replace("/", "~1");
    }

    private static final class Walk {
        private List<JsonNode> records;
        private String captured;
    }

    /** The records of one page, in response order, and the captured scalar (null when absent). */
    public record ParsedPage(List<JsonNode> records, String captured) {
    }
}
