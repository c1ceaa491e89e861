package io.datasync.nifi.benchmarks;

import java.util.List;

/**
 * How much to measure. Quick checks that every contestant runs and gives a first idea in about
 * two minutes; full is what docs/performance.md reports.
 *
 * @param throughputRecords records per FlowFile in the side-by-side throughput rounds
 * @param warmupRounds      rounds run before measuring (JIT compilation, caches)
 * @param measuredRounds    interleaved rounds that are measured
 * @param scalingSizes      records per FlowFile for the scaling and memory runs
 * @param httpPages         pages served to the HTTP contestants
 * @param httpPageSize      records per page
 * @param httpRounds        measured rounds of the HTTP contestants
 * @param identityKeys      distinct customers for the identity state measurement
 */
record Mode(String name, int throughputRecords, int warmupRounds, int measuredRounds, List<Integer> scalingSizes,
            int httpPages, int httpPageSize, int httpRounds, int identityKeys) {

    static final Mode QUICK = new Mode("quick", 10_000, 2, 3, List.of(10_000, 50_000), 10, 500, 3, 50_000);
    static final Mode FULL = new Mode("full", 100_000, 3, 7, List.of(10_000, 100_000, 1_000_000), 100, 1_000, 7, 1_000_000);

    static Mode named(final String name) {
        return switch (name) {
            case "quick" -> QUICK;
            case "full" -> FULL;
            default -> throw new IllegalArgumentException("Unknown mode " + name + " (quick or full)");
        };
    }

    /** Timed runs per contestant at a scaling size: more for small sizes, one at a million. */
    int timedRunsAt(final int size) {
        if (size <= 10_000) {
            return 5;
        }
        return size <= 100_000 ? 3 : 1;
    }
}
