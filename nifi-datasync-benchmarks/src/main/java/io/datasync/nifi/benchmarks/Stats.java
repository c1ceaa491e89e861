package io.datasync.nifi.benchmarks;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Small statistics and formatting helpers for the report. */
final class Stats {

    private Stats() {
    }

    static double median(final List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        final double[] sorted = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(sorted);
        final int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    static double min(final List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    static double max(final List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    static String rate(final double recordsPerSecond) {
        if (Double.isNaN(recordsPerSecond)) {
            return "n/a";
        }
        return String.format(Locale.ROOT, "%,.0f", recordsPerSecond);
    }

    static String ratio(final double ratio) {
        return Double.isNaN(ratio) ? "n/a" : String.format(Locale.ROOT, "%.2f", ratio);
    }

    static String megabytes(final double bytes) {
        return String.format(Locale.ROOT, "%,.1f", bytes / (1024.0 * 1024.0));
    }

    static String bytes(final double bytes) {
        return String.format(Locale.ROOT, "%,.0f", bytes);
    }

    static String count(final long count) {
        return String.format(Locale.ROOT, "%,d", count);
    }
}
