package io.datasync.nifi.processors.profilemerge;

import io.datasync.nifi.common.BatchedKeyReader;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.DataType;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.serialization.record.RecordSchema;

import java.sql.Types;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;

/**
 * Rows read in a batch turned into records, typed from the columns' SQL types the way a record reader of a result
 * set types them: text as strings, integers as int or long, floating point as float or double, numeric as decimal,
 * booleans, dates, times and timestamps. One schema per distinct set of columns.
 */
final class StoredRows {

    /** A column whose SQL type has no record type here (arrays, binary, JSON objects, ...). Names the column, never a value. */
    static final class UnsupportedColumnException extends Exception {
        UnsupportedColumnException(final String column) {
            super("Column '" + column + "' of the stored profile table has a type that cannot be read into a record field; "
                    + "cast it to text or a number in a view");
        }
    }

    private final Map<List<BatchedKeyReader.Column>, RecordSchema> schemas = new HashMap<>();

    Record toRecord(final BatchedKeyReader.Row row) throws UnsupportedColumnException {
        RecordSchema schema = schemas.get(row.columns());
        if (schema == null) {
            final List<RecordField> fields = new ArrayList<>(row.columns().size());
            for (final BatchedKeyReader.Column column : row.columns()) {
                fields.add(new RecordField(column.label(), dataType(column), true));
            }
            schema = new SimpleRecordSchema(fields);
            schemas.put(row.columns(), schema);
        }
        final Map<String, Object> values = new LinkedHashMap<>();
        for (final BatchedKeyReader.Column column : row.columns()) {
            values.put(column.label(), row.values().get(column.label().toLowerCase(Locale.ROOT)));
        }
        return new MapRecord(schema, values);
    }

    static DataType dataType(final BatchedKeyReader.Column column) throws UnsupportedColumnException {
        return switch (column.sqlType()) {
            case Types.CHAR, Types.VARCHAR, Types.LONGVARCHAR, Types.NCHAR, Types.NVARCHAR, Types.LONGNVARCHAR, Types.CLOB, Types.NCLOB ->
                    RecordFieldType.STRING.getDataType();
            case Types.BOOLEAN, Types.BIT -> RecordFieldType.BOOLEAN.getDataType();
            case Types.TINYINT, Types.SMALLINT, Types.INTEGER -> RecordFieldType.INT.getDataType();
            case Types.BIGINT -> RecordFieldType.LONG.getDataType();
            case Types.REAL -> RecordFieldType.FLOAT.getDataType();
            case Types.FLOAT, Types.DOUBLE -> RecordFieldType.DOUBLE.getDataType();
            case Types.NUMERIC, Types.DECIMAL -> RecordFieldType.DECIMAL.getDecimalDataType(column.precision(), column.scale());
            case Types.DATE -> RecordFieldType.DATE.getDataType();
            case Types.TIME, Types.TIME_WITH_TIMEZONE -> RecordFieldType.TIME.getDataType();
            case Types.TIMESTAMP, Types.TIMESTAMP_WITH_TIMEZONE -> RecordFieldType.TIMESTAMP.getDataType();
            default -> throw new UnsupportedColumnException(column.label());
        };
    }
}
