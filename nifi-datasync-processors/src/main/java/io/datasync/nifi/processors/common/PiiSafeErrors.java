package io.datasync.nifi.processors.common;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The one way every processor of this bundle reports an error that may concern record content, in
 * attributes, logs and bulletins: exception types (the cause chain's too), and where known the record
 * index and the field name; never an exception's message, since parsers, type coercion and JSON
 * libraries quote the offending value in it.
 *
 * <p>{@link #describe} gives the text for an attribute or a log line. {@link #redacted} gives a
 * stand-in exception to pass to a logger as the last argument: it keeps every stack frame (so the
 * log still shows where it failed) but its message, and each cause's, is only the original class
 * name.</p>
 */
public final class PiiSafeErrors {

    private static final int MAX_CAUSES = 8;

    private PiiSafeErrors() {
    }

    /**
     * @return the exception's type and its causes' types, for example
     * {@code ProcessException caused by MalformedRecordException}
     */
    public static String describe(final Throwable error) {
        final StringBuilder text = new StringBuilder(error.getClass().getSimpleName());
        Throwable cause = error.getCause();
        final Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        seen.put(error, Boolean.TRUE);
        for (int depth = 0; cause != null && depth < MAX_CAUSES && seen.put(cause, Boolean.TRUE) == null; depth++) {
            text.append(" caused by ").append(cause.getClass().getSimpleName());
            cause = cause.getCause();
        }
        return text.toString();
    }

    /**
     * @param recordIndex the 0-based index of the record in its FlowFile, or a negative number when unknown
     * @param field       the field name (names come from the schema, not from the data), or null
     */
    public static String describe(final Throwable error, final long recordIndex, final String field) {
        final StringBuilder text = new StringBuilder(describe(error));
        if (recordIndex >= 0) {
            text.append(" at record ").append(recordIndex);
        }
        if (field != null) {
            text.append(recordIndex >= 0 ? ", field " : " in field ").append(field);
        }
        return text.toString();
    }

    /**
     * @return an exception with the same stack traces and no message but the class names, safe to log
     */
    public static Throwable redacted(final Throwable error) {
        return redacted(error, new IdentityHashMap<>(), 0);
    }

    private static RedactedException redacted(final Throwable error, final Map<Throwable, RedactedException> done, final int depth) {
        final RedactedException existing = done.get(error);
        if (existing != null) {
            return existing;
        }
        final RedactedException copy = new RedactedException(error.getClass().getName());
        copy.setStackTrace(error.getStackTrace());
        done.put(error, copy);
        if (error.getCause() != null && depth < MAX_CAUSES && !done.containsKey(error.getCause())) {
            copy.initCause(redacted(error.getCause(), done, depth + 1));
        }
        return copy;
    }

    /**
     * Stands in for an exception in a log: its message is the original exception's class name.
     */
    static final class RedactedException extends Exception {
        RedactedException(final String originalClassName) {
            super(originalClassName);
        }

        @Override
        public String toString() {
            return getMessage() + " (message withheld: may quote record content)";
        }
    }
}
