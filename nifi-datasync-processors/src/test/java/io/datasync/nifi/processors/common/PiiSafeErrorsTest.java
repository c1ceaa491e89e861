package io.datasync.nifi.processors.common;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PiiSafeErrorsTest {

    private static final String VALUE = "jane.doe@example.org";

    @Test
    void describesTypesRecordAndFieldNeverTheMessage() {
        final Exception error = new IllegalStateException("cannot coerce " + VALUE, new IOException("bad token " + VALUE));
        assertEquals("IllegalStateException caused by IOException", PiiSafeErrors.describe(error));
        assertEquals("IllegalStateException caused by IOException at record 3, field email", PiiSafeErrors.describe(error, 3, "email"));
        assertEquals("IllegalStateException caused by IOException in field email", PiiSafeErrors.describe(error, -1, "email"));
        assertEquals("IllegalStateException caused by IOException at record 0", PiiSafeErrors.describe(error, 0, null));
    }

    @Test
    void redactedExceptionKeepsTheStackButNoMessage() {
        final IOException cause = new IOException("value " + VALUE);
        final RuntimeException error = new UncheckedIOException("wrapping " + VALUE, cause);
        final Throwable redacted = PiiSafeErrors.redacted(error);
        final StringWriter printed = new StringWriter();
        redacted.printStackTrace(new PrintWriter(printed));
        assertFalse(printed.toString().contains(VALUE), printed.toString());
        assertTrue(printed.toString().contains("java.io.UncheckedIOException"));
        assertTrue(printed.toString().contains("java.io.IOException"));
        assertArrayEquals(error.getStackTrace(), redacted.getStackTrace());
        assertEquals("java.io.IOException", redacted.getCause().getMessage());
    }

    @Test
    void cyclicCausesEnd() {
        final Exception first = new Exception("a " + VALUE);
        final Exception second = new Exception("b", first);
        first.initCause(second);
        assertEquals("Exception caused by Exception", PiiSafeErrors.describe(first));
        assertFalse(PiiSafeErrors.redacted(first).toString().contains(VALUE));
    }
}
