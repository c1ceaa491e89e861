package io.datasync.nifi.processors.common;

import org.apache.nifi.record.path.FieldValue;
import org.apache.nifi.record.path.RecordPath;
import org.apache.nifi.serialization.record.Record;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the first value a RecordPath selects. A plain top-level field such as /consent is read
 * directly: the common case then costs a map lookup instead of a path evaluation.
 */
public final class RecordValueReader {
    private static final Pattern TOP_LEVEL_FIELD = Pattern.compile("/([A-Za-z_][A-Za-z0-9_]*)");

    private final RecordPath path;
    private final String fieldName;

    private RecordValueReader(final String pathText) {
        this.fieldName = topLevelFieldName(pathText);
        this.path = fieldName == null ? RecordPath.compile(pathText) : null;
    }

    /**
     * The field a RecordPath names when it is a plain top-level field such as {@code /consent} (the one test the
     * processors use to take such a path by field name), else null.
     */
    public static String topLevelFieldName(final String pathText) {
        final Matcher matcher = TOP_LEVEL_FIELD.matcher(pathText.trim());
        return matcher.matches() ? matcher.group(1) : null;
    }

    public static RecordValueReader of(final String pathText) {
        return pathText == null || pathText.isBlank() ? null : new RecordValueReader(pathText);
    }

    public Object read(final Record record) {
        if (fieldName != null) {
            return record.getValue(fieldName);
        }
        return path.evaluate(record).getSelectedFields().findFirst().map(FieldValue::getValue).orElse(null);
    }
}
