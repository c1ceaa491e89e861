package io.datasync.nifi.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/** Appends measurements (start time, RSS, durations) to target/e2e-metrics.txt and echoes them. */
final class E2eMetrics {

    private E2eMetrics() {
    }

    static void record(final String testClass, final String what, final String value) {
        final String line = Instant.now() + " " + testClass + " " + what + "=" + value;
        System.out.println("[e2e-metrics] " + line);
        final Path file = Path.of(System.getProperty(NiFiInstance.HOME_PROPERTY, "target/nifi")).resolveSibling("e2e-metrics.txt");
        try {
            Files.writeString(file, line + System.lineSeparator(), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void recordNiFi(final String testClass, final NiFiInstance nifi, final String phase) {
        record(testClass, phase + ".startSeconds", String.format(java.util.Locale.ROOT, "%.1f", nifi.lastStartDuration().toMillis() / 1000.0));
        record(testClass, phase + ".rssMiB", Long.toString(nifi.residentSetSizeBytes() / (1024 * 1024)));
    }
}
