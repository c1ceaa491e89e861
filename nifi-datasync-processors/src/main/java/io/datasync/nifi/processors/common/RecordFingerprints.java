package io.datasync.nifi.processors.common;

import io.datasync.nifi.identity.KeyHash;
import io.datasync.nifi.identity.KeyHasher;
import org.apache.nifi.serialization.record.Record;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What identifies a record that carries no usable key, so its customer id is the same on every run:
 * <ul>
 *     <li>with Record ID Record Paths, when every one of them has a value: the hash of those values
 *     (the source and its own record id), whatever else in the record changed;</li>
 *     <li>otherwise the hash of the record's content: top-level fields sorted by name, nulls and the
 *     fields CustomerDedup itself adds left out, numbers in plain decimal form (1, 1.0 and "1" are
 *     equal), timestamps as epoch milliseconds, nested records and maps by sorted field name, arrays
 *     in order. The same record read from JSON or CSV hashes the same when its fields and values do.</li>
 * </ul>
 * Hashed with the identity key, like the match keys.
 */
public final class RecordFingerprints {

    private static final String RECORD_ID_PURPOSE = "\u0001record-id";
    private static final String CONTENT_PURPOSE = "\u0001record-content";

    private final List<RecordValueAccessor> recordIdAccessors;
    private final Set<String> ignoredFields;

    public RecordFingerprints(final List<RecordValueAccessor> recordIdAccessors, final Set<String> ignoredFields) {
        this.recordIdAccessors = List.copyOf(recordIdAccessors);
        this.ignoredFields = Set.copyOf(ignoredFields);
    }

    public KeyHash of(final Record record, final KeyHasher hasher) {
        if (!recordIdAccessors.isEmpty()) {
            final List<String> parts = new ArrayList<>(recordIdAccessors.size());
            for (final RecordValueAccessor accessor : recordIdAccessors) {
                final String value = accessor.firstString(record);
                if (value == null || value.isBlank()) {
                    parts.clear();
                    break;
                }
                parts.add(value.trim());
            }
            if (!parts.isEmpty()) {
                return hasher.hash(RECORD_ID_PURPOSE, parts);
            }
        }
        final StringBuilder canonical = new StringBuilder(256);
        appendRecord(record, canonical, true);
        return hasher.hashBytes(CONTENT_PURPOSE, canonical.toString().getBytes(StandardCharsets.UTF_8));
    }

    private void appendRecord(final Record record, final StringBuilder out, final boolean topLevel) {
        final Map<String, Object> sorted = new TreeMap<>();
        for (final String field : record.getRawFieldNames()) {
            if (topLevel && ignoredFields.contains(field)) {
                continue;
            }
            final Object value = record.getValue(field);
            if (value != null) {
                sorted.put(field, value);
            }
        }
        appendMap(sorted, out);
    }

    private void appendMap(final Map<String, Object> sorted, final StringBuilder out) {
        out.append('{');
        for (final Map.Entry<String, Object> entry : sorted.entrySet()) {
            out.append(entry.getKey()).append('\u001d');
            appendValue(entry.getValue(), out);
            out.append('\u001e');
        }
        out.append('}');
    }

    @SuppressWarnings("unchecked")
    private void appendValue(final Object value, final StringBuilder out) {
        switch (value) {
            case null -> out.append('\u2400');
            case Record nested -> appendRecord(nested, out, false);
            case Map<?, ?> map -> {
                final Map<String, Object> sorted = new TreeMap<>();
                ((Map<Object, Object>) map).forEach((key, element) -> sorted.put(String.valueOf(key), element));
                appendMap(sorted, out);
            }
            case Object[] array -> {
                out.append('[');
                for (final Object element : array) {
                    appendValue(element, out);
                    out.append('\u001f');
                }
                out.append(']');
            }
            case Date date -> out.append(date.getTime());
            case Number number -> out.append(plainNumber(number));
            case String text -> out.append(plainNumberOrText(text.trim()));
            default -> out.append(value);
        }
    }

    private static String plainNumber(final Number number) {
        try {
            return new BigDecimal(number.toString()).stripTrailingZeros().toPlainString();
        } catch (final NumberFormatException e) {
            return number.toString();
        }
    }

    private static String plainNumberOrText(final String text) {
        if (!text.isEmpty() && text.length() < 40 && (Character.isDigit(text.charAt(0)) || text.charAt(0) == '-')) {
            try {
                return new BigDecimal(text).stripTrailingZeros().toPlainString();
            } catch (final NumberFormatException e) {
                return text;
            }
        }
        return text;
    }
}
