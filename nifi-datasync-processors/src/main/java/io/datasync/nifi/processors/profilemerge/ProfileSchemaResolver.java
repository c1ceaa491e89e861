package io.datasync.nifi.processors.profilemerge;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.DataType;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.serialization.record.RecordSchema;
import org.apache.nifi.serialization.record.type.ArrayDataType;
import org.apache.nifi.serialization.record.type.ChoiceDataType;
import org.apache.nifi.serialization.record.type.MapDataType;
import org.apache.nifi.serialization.record.type.RecordDataType;
import org.apache.nifi.serialization.record.util.DataTypeUtils;

/**
 * Builds the output schema of ProfileMerge: the union of the fields of the input schema and of the
 * stored profiles' schemas, in alphabetical order (so it does not depend on which record came first),
 * with one type per field.
 * <p>
 * Where the sources disagree on a field's type: numeric types widen (INT and LONG give LONG), record
 * types merge their fields, arrays and maps resolve their element types. Scalar types that do not
 * widen into one another (e.g. STRING and INT, or STRING and TIMESTAMP) are a type conflict: the field
 * is written as STRING and reported. A conflict between a complex type and another kind of type (a
 * record against a string, say) has no honest string form and is rejected.
 */
public final class ProfileSchemaResolver {

    /** The resolved schema, the fields to merge, and the fields whose values must be converted. */
    public record Resolution(RecordSchema schema, List<String> mergeFields, Map<String, DataType> conflictedFields) {
    }

    /** Raised when a field's types cannot be reconciled at all. */
    public static final class IrreconcilableTypesException extends Exception {
        IrreconcilableTypesException(final String message) {
            super(message);
        }
    }

    private ProfileSchemaResolver() {
    }

    /**
     * @param schemas       input schema first, then the stored profiles' schemas
     * @param excluded      fields that are merge metadata, never written (e.g. per-field timestamps)
     * @param lineageField  name of the lineage field to append, or null
     * @param arrayFields   tells which fields' rules always produce an array (union): such a field is
     *                      declared an array of its input type, so scalar inputs are not written as text
     */
    public static Resolution resolve(final Collection<RecordSchema> schemas, final Set<String> excluded, final String lineageField,
                              final Predicate<String> arrayFields) throws IrreconcilableTypesException {
        return resolve(schemas, excluded, lineageField, arrayFields, field -> false);
    }

    /**
     * @param joinedFields tells which fields are written as one delimited text value (ProfileMerge's List Delimiter):
     *                     declared a string whatever their input types
     */
    public static Resolution resolve(final Collection<RecordSchema> schemas, final Set<String> excluded, final String lineageField,
                              final Predicate<String> arrayFields, final Predicate<String> joinedFields) throws IrreconcilableTypesException {
        final Map<String, List<DataType>> typesByField = new TreeMap<>();
        for (final RecordSchema schema : schemas) {
            for (final RecordField field : schema.getFields()) {
                final String name = field.getFieldName();
                if (excluded.contains(name) || name.equals(lineageField)) {
                    continue;
                }
                typesByField.computeIfAbsent(name, ignored -> new ArrayList<>()).add(field.getDataType());
            }
        }

        final List<RecordField> fields = new ArrayList<>(typesByField.size() + 1);
        final List<String> mergeFields = new ArrayList<>(typesByField.size());
        final Map<String, DataType> conflicted = new TreeMap<>();
        for (final Map.Entry<String, List<DataType>> entry : typesByField.entrySet()) {
            final String name = entry.getKey();
            final boolean[] conflict = new boolean[1];
            final DataType inputType = resolveAll(name, entry.getValue(), conflict);
            final DataType resolved;
            if (joinedFields.test(name)) {
                resolved = RecordFieldType.STRING.getDataType();
            } else {
                resolved = arrayFields.test(name) && inputType.getFieldType() != RecordFieldType.ARRAY
                        ? RecordFieldType.ARRAY.getArrayDataType(inputType)
                        : inputType;
            }
            fields.add(new RecordField(name, resolved, true));
            mergeFields.add(name);
            if (conflict[0]) {
                conflicted.put(name, resolved);
            }
        }
        if (lineageField != null) {
            fields.add(new RecordField(lineageField, RecordFieldType.STRING.getDataType(), true));
        }
        return new Resolution(new SimpleRecordSchema(fields), List.copyOf(mergeFields), conflicted);
    }

    private static DataType resolveAll(final String field, final List<DataType> declared, final boolean[] conflict)
            throws IrreconcilableTypesException {
        final Set<DataType> types = new LinkedHashSet<>();
        for (final DataType type : declared) {
            flattenChoice(type, types);
        }
        DataType resolved = null;
        for (final DataType type : sortedByName(types)) {
            resolved = resolved == null ? type : resolvePair(field, resolved, type, conflict);
        }
        return resolved;
    }

    private static DataType resolvePair(final String field, final DataType left, final DataType right, final boolean[] conflict)
            throws IrreconcilableTypesException {
        if (left.equals(right)) {
            return left;
        }
        final RecordFieldType leftType = left.getFieldType();
        final RecordFieldType rightType = right.getFieldType();
        if (leftType == RecordFieldType.RECORD && rightType == RecordFieldType.RECORD) {
            final RecordSchema leftSchema = ((RecordDataType) left).getChildSchema();
            final RecordSchema rightSchema = ((RecordDataType) right).getChildSchema();
            if (leftSchema == null || rightSchema == null) {
                return RecordFieldType.RECORD.getRecordDataType(leftSchema == null ? rightSchema : leftSchema);
            }
            return RecordFieldType.RECORD.getRecordDataType(DataTypeUtils.merge(leftSchema, rightSchema));
        }
        if (leftType == RecordFieldType.ARRAY && rightType == RecordFieldType.ARRAY) {
            final DataType element = resolveAll(field,
                    List.of(((ArrayDataType) left).getElementType(), ((ArrayDataType) right).getElementType()), conflict);
            return RecordFieldType.ARRAY.getArrayDataType(element);
        }
        if (leftType == RecordFieldType.MAP && rightType == RecordFieldType.MAP) {
            final DataType value = resolveAll(field,
                    List.of(((MapDataType) left).getValueType(), ((MapDataType) right).getValueType()), conflict);
            return RecordFieldType.MAP.getMapDataType(value);
        }
        if (isComplex(leftType) || isComplex(rightType)) {
            throw new IrreconcilableTypesException("Field '" + field + "' is " + leftType + " in one source and " + rightType
                    + " in another; such types cannot be reconciled");
        }
        final Optional<DataType> wider = DataTypeUtils.getWiderType(left, right);
        if (wider.isPresent() && !(wider.get().getFieldType() == RecordFieldType.STRING)) {
            return wider.get();
        }
        conflict[0] = true;
        return RecordFieldType.STRING.getDataType();
    }

    private static boolean isComplex(final RecordFieldType type) {
        return type == RecordFieldType.RECORD || type == RecordFieldType.ARRAY || type == RecordFieldType.MAP;
    }

    private static void flattenChoice(final DataType type, final Set<DataType> into) {
        if (type instanceof ChoiceDataType choice) {
            for (final DataType possible : choice.getPossibleSubTypes()) {
                flattenChoice(possible, into);
            }
        } else {
            into.add(type);
        }
    }

    /** Resolution folds pairwise; a fixed order keeps the outcome independent of schema order. */
    private static List<DataType> sortedByName(final Set<DataType> types) {
        final List<DataType> sorted = new ArrayList<>(types);
        sorted.sort(Comparator.comparing(ProfileSchemaResolver::sortKey));
        return sorted;
    }

    private static String sortKey(final DataType type) {
        if (type instanceof RecordDataType recordType && recordType.getChildSchema() != null) {
            return "RECORD" + recordType.getChildSchema().getFieldNames();
        }
        return type.toString();
    }
}
