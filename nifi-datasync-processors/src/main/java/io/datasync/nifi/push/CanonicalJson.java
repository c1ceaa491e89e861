package io.datasync.nifi.push;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * One text per JSON value, whatever the order of object members or the whitespace: members sorted by name
 * (UTF-16 order), no spaces, strings escaped as RFC 8259 requires and nothing more, numbers in Jackson's plain form.
 * Two batches that carry the same records give the same text, so the same idempotency key.
 */
public final class CanonicalJson {

    private CanonicalJson() {
    }

    public static String write(final JsonNode node) {
        final StringBuilder out = new StringBuilder(256);
        append(node, out);
        return out.toString();
    }

    private static void append(final JsonNode node, final StringBuilder out) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            out.append("null");
        } else if (node.isObject()) {
            final List<Map.Entry<String, JsonNode>> members = new ArrayList<>();
            final Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
            fields.forEachRemaining(members::add);
            members.sort(Map.Entry.comparingByKey());
            out.append('{');
            for (int i = 0; i < members.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                string(members.get(i).getKey(), out);
                out.append(':');
                append(members.get(i).getValue(), out);
            }
            out.append('}');
        } else if (node.isArray()) {
            out.append('[');
            for (int i = 0; i < node.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                append(node.get(i), out);
            }
            out.append(']');
        } else if (node.isTextual()) {
            string(node.textValue(), out);
        } else if (node.isBinary()) {
            string(node.asText(), out);
        } else {
            // numbers and booleans
            out.append(node.asText());
        }
    }

    private static void string(final String value, final StringBuilder out) {
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
            final char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
