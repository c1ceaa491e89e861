package io.datasync.nifi.merge;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Date;

/**
 * A total, deterministic order over field values of any type: used by {@code max}/{@code min} and
 * as the last tie-break, so that which value survives never depends on the order records arrived in.
 * <p>
 * Nulls first; numbers numerically whatever their boxed type; dates by instant; values of one
 * comparable class by their natural order; arrays element by element; anything else (mixed types,
 * nested records) by class name and then by string form.
 */
public final class CanonicalValueComparator implements Comparator<Object> {

    public static final CanonicalValueComparator INSTANCE = new CanonicalValueComparator();

    private CanonicalValueComparator() {
    }

    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    public int compare(final Object left, final Object right) {
        if (left == right) {
            return 0;
        }
        if (left == null) {
            return -1;
        }
        if (right == null) {
            return 1;
        }
        if (left instanceof Number leftNumber && right instanceof Number rightNumber) {
            return compareNumbers(leftNumber, rightNumber);
        }
        if (left instanceof Date leftDate && right instanceof Date rightDate) {
            return Long.compare(leftDate.getTime(), rightDate.getTime());
        }
        if (left instanceof Object[] leftArray && right instanceof Object[] rightArray) {
            return compareArrays(leftArray, rightArray);
        }
        if (left.getClass() == right.getClass() && left instanceof Comparable comparable) {
            return comparable.compareTo(right);
        }
        final int byClass = left.getClass().getName().compareTo(right.getClass().getName());
        if (byClass != 0) {
            return byClass;
        }
        return String.valueOf(left).compareTo(String.valueOf(right));
    }

    private int compareArrays(final Object[] left, final Object[] right) {
        final int common = Math.min(left.length, right.length);
        for (int i = 0; i < common; i++) {
            final int byElement = compare(left[i], right[i]);
            if (byElement != 0) {
                return byElement;
            }
        }
        return Integer.compare(left.length, right.length);
    }

    private static int compareNumbers(final Number left, final Number right) {
        if (isIntegral(left) && isIntegral(right)) {
            return Long.compare(left.longValue(), right.longValue());
        }
        if (left instanceof BigDecimal || right instanceof BigDecimal || left instanceof BigInteger || right instanceof BigInteger) {
            return toBigDecimal(left).compareTo(toBigDecimal(right));
        }
        return Double.compare(left.doubleValue(), right.doubleValue());
    }

    private static boolean isIntegral(final Number number) {
        return number instanceof Long || number instanceof Integer || number instanceof Short || number instanceof Byte;
    }

    private static BigDecimal toBigDecimal(final Number number) {
        if (number instanceof BigDecimal decimal) {
            return decimal;
        }
        if (number instanceof BigInteger integer) {
            return new BigDecimal(integer);
        }
        if (isIntegral(number)) {
            return BigDecimal.valueOf(number.longValue());
        }
        return new BigDecimal(number.toString());
    }

    /** A key under which equal values (1 and 1L, 1.0 and 1.00) collapse, for de-duplication. */
    static Object dedupKey(final Object value) {
        if (value instanceof Number number && !(number instanceof Double d && (d.isNaN() || d.isInfinite()))
                && !(number instanceof Float f && (f.isNaN() || f.isInfinite()))) {
            return toBigDecimal(number).stripTrailingZeros();
        }
        if (value instanceof Date date) {
            return date.getTime();
        }
        if (value instanceof Object[] array) {
            return Arrays.asList(array);
        }
        return value;
    }
}
