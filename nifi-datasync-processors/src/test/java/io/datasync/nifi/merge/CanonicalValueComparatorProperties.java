package io.datasync.nifi.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The canonical order must be a total preorder on hostile mixed values (NaN, infinities, huge BigDecimals,
 * longs, floats, text): it never throws, is antisymmetric and transitive, and agrees with an independent
 * oracle on numbers: -Infinity &lt; every finite number (by exact decimal value) &lt; +Infinity &lt; NaN.
 */
class CanonicalValueComparatorProperties {

    private static final CanonicalValueComparator ORDER = CanonicalValueComparator.INSTANCE;

    @Property(tries = 2000)
    void antisymmetric(@ForAll("values") final Object a, @ForAll("values") final Object b) {
        assertEquals(Integer.signum(ORDER.compare(a, b)), -Integer.signum(ORDER.compare(b, a)), a + " vs " + b);
    }

    @Property(tries = 2000)
    void transitive(@ForAll("values") final Object a, @ForAll("values") final Object b, @ForAll("values") final Object c) {
        final List<Object> sorted = new ArrayList<>(Arrays.asList(a, b, c));
        sorted.sort(ORDER);
        final Object x = sorted.get(0);
        final Object y = sorted.get(1);
        final Object z = sorted.get(2);
        assertTrue(ORDER.compare(x, y) <= 0 && ORDER.compare(y, z) <= 0, sorted.toString());
        assertTrue(ORDER.compare(x, z) <= 0, sorted.toString());
        if (ORDER.compare(x, y) == 0 && ORDER.compare(y, z) == 0) {
            assertEquals(0, ORDER.compare(x, z), sorted.toString());
        }
        if (ORDER.compare(x, y) < 0 || ORDER.compare(y, z) < 0) {
            assertTrue(ORDER.compare(x, z) < 0, sorted.toString());
        }
    }

    @Property(tries = 2000)
    void numbersAgreeWithOracle(@ForAll("numbers") final Number a, @ForAll("numbers") final Number b) {
        assertEquals(Integer.signum(oracle(a, b)), Integer.signum(ORDER.compare(a, b)), a + " vs " + b);
    }

    /** Reference: rank -Infinity=0, finite=1, +Infinity=2, NaN=3; finite by the exact decimal of its text form. */
    private static int oracle(final Number a, final Number b) {
        final int byRank = Integer.compare(rank(a), rank(b));
        if (byRank != 0 || rank(a) != 1) {
            return byRank;
        }
        return new BigDecimal(a.toString()).compareTo(new BigDecimal(b.toString()));
    }

    private static int rank(final Number n) {
        if (n instanceof Double || n instanceof Float) {
            final double d = n.doubleValue();
            if (Double.isNaN(d)) {
                return 3;
            }
            if (d == Double.POSITIVE_INFINITY) {
                return 2;
            }
            if (d == Double.NEGATIVE_INFINITY) {
                return 0;
            }
        }
        return 1;
    }

    @Provide
    Arbitrary<Number> numbers() {
        return Arbitraries.oneOf(
                Arbitraries.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Float.NaN,
                        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0.0d, -0.0d, 0.1d, 0.1f,
                        new BigDecimal("1e400"), new BigDecimal("-1e400"), new BigDecimal("0.1"), 9_007_199_254_740_993L,
                        9.007199254740992E15d, Long.MAX_VALUE, Long.MIN_VALUE, new BigInteger("99999999999999999999")),
                Arbitraries.longs().between(-5, 5).map(Number.class::cast),
                Arbitraries.integers().between(-5, 5).map(Number.class::cast),
                Arbitraries.doubles().between(-5, 5).ofScale(1).map(Number.class::cast),
                Arbitraries.floats().between(-5, 5).ofScale(1).map(Number.class::cast),
                Arbitraries.bigDecimals().between(new BigDecimal("-5"), new BigDecimal("5")).ofScale(2).map(Number.class::cast));
    }

    @Provide
    Arbitrary<Object> values() {
        return Arbitraries.oneOf(
                numbers().map(Object.class::cast),
                Arbitraries.strings().withChars("aZ1.N").ofMaxLength(3).map(Object.class::cast),
                Arbitraries.of(Boolean.TRUE, Boolean.FALSE).map(Object.class::cast),
                Arbitraries.longs().between(0, 3000).map(t -> (Object) new java.util.Date(t)),
                Arbitraries.longs().between(0, 3000).map(t -> (Object) new java.sql.Timestamp(t)),
                Arbitraries.longs().between(0, 3).map(t -> (Object) java.time.LocalDate.ofEpochDay(t)),
                Arbitraries.just((Object) null));
    }
}
