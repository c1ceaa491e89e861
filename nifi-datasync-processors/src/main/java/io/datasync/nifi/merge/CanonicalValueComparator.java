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
 * Nulls first; then values grouped by kind (all numbers form one kind, all dates one, all arrays one,
 * otherwise the class), kinds ordered by name, so that the order stays transitive across mixed types.
 * Within a kind: numbers by exact value whatever their boxed type (a double or float counts as the
 * decimal of its text form, so {@code 0.1d}, {@code 0.1f} and {@code BigDecimal("0.1")} are equal,
 * and {@code -0.0} equals {@code 0}), with the non-finite values placed
 * {@code -Infinity < every finite number < +Infinity < NaN} (all NaNs equal); dates by instant;
 * values of one comparable class by their natural order; arrays element by element; anything else
 * (nested records) by class name and then by string form. It never throws on any value.
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
        final String leftKind = kind(left);
        final String rightKind = kind(right);
        if (!leftKind.equals(rightKind)) {
            return leftKind.compareTo(rightKind);
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
            return Integer.signum(comparable.compareTo(right));
        }
        final int byClass = left.getClass().getName().compareTo(right.getClass().getName());
        if (byClass != 0) {
            return byClass;
        }
        return String.valueOf(left).compareTo(String.valueOf(right));
    }

    /** Values of one kind are compared with each other; kinds are ordered by this name. */
    private static String kind(final Object value) {
        if (value instanceof Number) {
            return "java.lang.Number";
        }
        if (value instanceof Date) {
            return "java.util.Date";
        }
        if (value instanceof Object[]) {
            return "[Ljava.lang.Object;";
        }
        return value.getClass().getName();
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

    private static final int NEGATIVE_INFINITY = 0;
    private static final int FINITE = 1;
    private static final int POSITIVE_INFINITY = 2;
    private static final int NOT_A_NUMBER = 3;

    private static int compareNumbers(final Number left, final Number right) {
        if (isIntegral(left) && isIntegral(right)) {
            return Long.compare(left.longValue(), right.longValue());
        }
        final int leftRank = rank(left);
        final int rightRank = rank(right);
        if (leftRank != rightRank || leftRank != FINITE) {
            return Integer.compare(leftRank, rightRank);
        }
        if (left instanceof Double && right instanceof Double) {
            // Same value as comparing the decimals of their text forms (shortest unique decimal is monotonic), faster.
            final double l = left.doubleValue();
            final double r = right.doubleValue();
            return l < r ? -1 : l > r ? 1 : 0;
        }
        return toBigDecimal(left).compareTo(toBigDecimal(right));
    }

    /** Where a number stands: below, among, above the finite numbers, or NaN (last). */
    private static int rank(final Number number) {
        if (number instanceof BigDecimal || number instanceof BigInteger || isIntegral(number)) {
            return FINITE;
        }
        if (number instanceof Double || number instanceof Float || finiteDecimal(number) == null) {
            final double value = number.doubleValue();
            if (Double.isNaN(value)) {
                return NOT_A_NUMBER;
            }
            if (value == Double.POSITIVE_INFINITY) {
                return POSITIVE_INFINITY;
            }
            if (value == Double.NEGATIVE_INFINITY) {
                return NEGATIVE_INFINITY;
            }
        }
        return FINITE;
    }

    private static boolean isIntegral(final Number number) {
        return number instanceof Long || number instanceof Integer || number instanceof Short || number instanceof Byte;
    }

    /** The exact decimal of a finite number; callers check {@link #rank} first. */
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
        if (number instanceof Double || number instanceof Float) {
            return new BigDecimal(number.toString());
        }
        final BigDecimal decimal = finiteDecimal(number);
        return decimal != null ? decimal : new BigDecimal(number.doubleValue());
    }

    /** Another Number type (AtomicLong, a driver's own class): its text form as a decimal, or null when that is not one. */
    private static BigDecimal finiteDecimal(final Number number) {
        final String text = String.valueOf(number);
        if (text.length() > 400) {
            return null;
        }
        try {
            return new BigDecimal(text);
        } catch (final NumberFormatException e) {
            return null;
        }
    }

    /** A key under which equal values (1 and 1L, 1.0 and 1.00) collapse, for de-duplication. */
    static Object dedupKey(final Object value) {
        if (value instanceof Number number) {
            // NaN and the infinities (double or float alike) collapse onto the double of the same kind.
            return rank(number) == FINITE ? toBigDecimal(number).stripTrailingZeros() : Double.valueOf(number.doubleValue());
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
