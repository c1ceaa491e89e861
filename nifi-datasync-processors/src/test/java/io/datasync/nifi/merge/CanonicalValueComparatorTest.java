package io.datasync.nifi.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
}
