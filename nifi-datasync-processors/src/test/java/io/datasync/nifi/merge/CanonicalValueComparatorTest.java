package io.datasync.nifi.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;

import java.math.BigDecimal;
import java.sql.Timestamp;
import java.util.Date;
import org.junit.jupiter.api.Test;

class CanonicalValueComparatorTest {

    private static final CanonicalValueComparator ORDER = CanonicalValueComparator.INSTANCE;

    @Test
    void comparesNumbersNumericallyAcrossTypes() {
        assertTrue(ORDER.compare(9, 10L) < 0);
        assertTrue(ORDER.compare(10.5d, 10L) > 0);
        assertEquals(0, ORDER.compare(new BigDecimal("2.50"), 2.5d));
        assertEquals(0, ORDER.compare(3, 3L));
    }

    @Test
    void comparesDatesByInstantAndNullsFirst() {
        assertTrue(ORDER.compare(new Date(1000), new Timestamp(2000)) < 0);
        assertTrue(ORDER.compare(null, "a") < 0);
        assertTrue(ORDER.compare("a", null) > 0);
    }

    @Test
    void ordersMixedTypesConsistently() {
        final int forward = ORDER.compare("10", 10);
        final int backward = ORDER.compare(10, "10");
        assertTrue(forward != 0);
        assertEquals(-Integer.signum(forward), Integer.signum(backward));
        assertTrue(ORDER.compare(new Object[] {"a", "b"}, new Object[] {"a", "c"}) < 0);
        assertTrue(ORDER.compare(new Object[] {"a"}, new Object[] {"a", "b"}) < 0);
    }

    @Test
    void nonFiniteDoubleAgainstBigDecimalDoesNotThrow() {
        // Regression: NaN and the infinities have no BigDecimal form; comparing them with a BigDecimal threw
        // NumberFormatException and crashed the merge. Order: -Infinity < finite numbers < +Infinity < NaN.
        assertTrue(ORDER.compare(Double.NaN, new BigDecimal("1")) > 0);
        assertTrue(ORDER.compare(new BigDecimal("1"), Double.NaN) < 0);
        assertTrue(ORDER.compare(Double.POSITIVE_INFINITY, new BigDecimal("1e400")) > 0);
        assertTrue(ORDER.compare(Double.NEGATIVE_INFINITY, new BigDecimal("-1e400")) < 0);
        assertTrue(ORDER.compare(Float.NaN, new BigInteger("12345678901234567890")) > 0);
        assertTrue(ORDER.compare(Double.POSITIVE_INFINITY, Double.NaN) < 0);
        assertEquals(0, ORDER.compare(Float.NaN, Double.NaN));
        assertEquals(0, ORDER.compare(Float.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY));
    }

    @Test
    void numbersSortTogetherWhateverTheirBoxedTypeAgainstText() {
        // Regression: Long sorted before String by class name and BigDecimal after it, so 100L < "x" < 1 (BigDecimal) < 100L.
        final Object text = "x";
        final int longVsText = Integer.signum(ORDER.compare(100L, text));
        assertEquals(longVsText, Integer.signum(ORDER.compare(BigDecimal.ONE, text)));
        assertEquals(longVsText, Integer.signum(ORDER.compare(Double.NaN, text)));
    }

    @Test
    void largeLongsAndDoublesCompareExactly() {
        // Regression: a long beyond 2^53 and a double were compared as doubles, so 2^53 == 2^53 + 1 through a double.
        final long big = 1L << 53;
        assertEquals(0, ORDER.compare(big, (double) big));
        assertTrue(ORDER.compare(big + 1, (double) big) > 0);
    }
}
