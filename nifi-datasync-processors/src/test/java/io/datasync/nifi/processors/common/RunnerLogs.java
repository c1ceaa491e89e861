package io.datasync.nifi.processors.common;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.nifi.util.LogMessage;
import org.apache.nifi.util.MockComponentLog;
import org.apache.nifi.util.TestRunner;

/**
 * What a processor logged under a {@link TestRunner}, one line per message: the message, its arguments, and the
 * messages of its throwable and that throwable's causes, so that a test can look for a phrase or make sure a secret or
 * a personal value appears in no line.
 */
public final class RunnerLogs {

    /** Causes followed per throwable, so that a cause cycle cannot loop. */
    private static final int MAX_CAUSES = 10;

    private RunnerLogs() {
    }

    /**
     * @param errorsOnly only the ERROR messages; otherwise every level, ERROR first, then WARN, INFO, DEBUG and TRACE
     * @return one line per message, in that order and, within a level, in the order logged
     */
    public static List<String> lines(final TestRunner runner, final boolean errorsOnly) {
        final MockComponentLog log = runner.getLogger();
        final List<LogMessage> messages = new ArrayList<>(log.getErrorMessages());
        if (!errorsOnly) {
            messages.addAll(log.getWarnMessages());
            messages.addAll(log.getInfoMessages());
            messages.addAll(log.getDebugMessages());
            messages.addAll(log.getTraceMessages());
        }
        final List<String> lines = new ArrayList<>();
        for (final LogMessage message : messages) {
            lines.add(line(message));
        }
        return lines;
    }

    private static String line(final LogMessage message) {
        final StringBuilder line = new StringBuilder().append(message.getMsg()).append(' ').append(Arrays.deepToString(message.getArgs()));
        Throwable throwable = message.getThrowable();
        for (int depth = 0; throwable != null && depth <= MAX_CAUSES; depth++) {
            line.append(' ').append(throwable);
            throwable = throwable.getCause();
        }
        return line.toString();
    }
}
