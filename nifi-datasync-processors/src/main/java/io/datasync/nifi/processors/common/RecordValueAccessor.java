package io.datasync.nifi.processors.common;

import org.apache.nifi.record.path.FieldValue;
import org.apache.nifi.record.path.RecordPath;
import org.apache.nifi.serialization.record.Record;

import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Reads the scalar values a RecordPath selects. A plain top-level path such as {@code /email} is read
 * straight from the record (the common case, and the hot path); anything else goes through the
 * RecordPath compiled once when the processor is scheduled.
 */
public final class RecordValueAccessor {

    private final String path;
    private final String topLevelField;
    private final RecordPath recordPath;

    private RecordValueAccessor(final String path, final String topLevelField, final RecordPath recordPath) {
        this.path = path;
        this.topLevelField = topLevelField;
        this.recordPath = recordPath;
    }

    public static RecordValueAccessor compile(final String path) {
        final String trimmed = path.trim();
        final RecordPath compiled = RecordPath.compile(trimmed);
        return new RecordValueAccessor(trimmed, RecordValueReader.topLevelFieldName(trimmed), compiled);
    }

    String path() {
        return path;
    }

    /**
     * Adds the selected values, as strings, to {@code values}; arrays contribute each element.
     */
    public void collectStrings(final Record record, final List<String> values) {
        if (topLevelField != null) {
            addScalars(record.getValue(topLevelField), values);
            return;
        }
        final Iterator<FieldValue> selected = recordPath.evaluate(record).getSelectedFields().iterator();
        while (selected.hasNext()) {
            addScalars(selected.next().getValue(), values);
        }
    }

    /**
     * @return the first selected non-null value, or null
     */
    public Object firstValue(final Record record) {
        if (topLevelField != null) {
            return record.getValue(topLevelField);
        }
        final Iterator<FieldValue> selected = recordPath.evaluate(record).getSelectedFields().iterator();
        while (selected.hasNext()) {
            final Object value = selected.next().getValue();
            if (value != null) {
                return value;
            }
        }
        return null;
    }

    /**
     * @return the first selected scalar value as a string, or null
     */
    public String firstString(final Record record) {
        final Object value = firstValue(record);
        if (value instanceof Object[] array) {
            for (final Object element : array) {
                final String text = scalarToString(element);
                if (text != null) {
                    return text;
                }
            }
            return null;
        }
        return scalarToString(value);
    }

    private static void addScalars(final Object value, final List<String> values) {
        if (value instanceof Object[] array) {
            for (final Object element : array) {
                final String text = scalarToString(element);
                if (text != null) {
                    values.add(text);
                }
            }
            return;
        }
        final String text = scalarToString(value);
        if (text != null) {
            values.add(text);
        }
    }

    private static String scalarToString(final Object value) {
        if (value == null || value instanceof Record || value instanceof Map || value instanceof Object[]) {
            return null;
        }
        return value instanceof String text ? text : value.toString();
    }
}
