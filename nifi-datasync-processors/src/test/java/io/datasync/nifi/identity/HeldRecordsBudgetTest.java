package io.datasync.nifi.identity;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HeldRecordsBudgetTest {

    @Test
    void holdsUpToTheRecordCount() {
        final HeldRecordsBudget budget = new HeldRecordsBudget(3, 1_000_000);
        assertTrue(budget.mayHold(1_000));
        assertTrue(budget.mayHoldMore(2));
        assertFalse(budget.mayHoldMore(3));
    }

    @Test
    void aFlowFileWhoseParsedRecordsWouldExceedTheHeapShareIsNotHeld() {
        final HeldRecordsBudget budget = new HeldRecordsBudget(100_000, 64L * 1024 * 1024);
        final long fits = 64L * 1024 * 1024 / HeldRecordsBudget.HEAP_BYTES_PER_CONTENT_BYTE;
        assertTrue(budget.mayHold(fits));
        assertFalse(budget.mayHold(fits + 1));
    }

    @Test
    void zeroRecordsNeverHolds() {
        assertFalse(new HeldRecordsBudget(0, Long.MAX_VALUE).mayHold(0));
    }
}
