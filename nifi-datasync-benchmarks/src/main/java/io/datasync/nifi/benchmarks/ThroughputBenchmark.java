package io.datasync.nifi.benchmarks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Side-by-side throughput of the record contestants in one JVM: warm-up rounds, then measured
 * rounds in which every contestant processes the same FlowFile once, in an order rotated each
 * round so that no contestant always runs first or right after the heaviest one. A ratio is taken
 * within each round (both sides saw the same machine load at nearly the same time) and the
 * report gives the median over rounds, with the range.
 */
final class ThroughputBenchmark {

    private final Mode mode;
    private final List<RecordContestant> contestants;
    private final List<Contestants.Comparison> comparisons;

    ThroughputBenchmark(final Mode mode, final List<RecordContestant> contestants, final List<Contestants.Comparison> comparisons) {
        this.mode = mode;
        this.contestants = contestants;
        this.comparisons = comparisons;
    }

    String run() throws Exception {
        final int records = mode.throughputRecords();
        final CustomerRecordGenerator generator = new CustomerRecordGenerator(CustomerRecordGenerator.DEFAULT_SEED);
        final java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream();
        final CustomerRecordGenerator.BatchStats batch = generator.writeJsonArray(records, buffer);
        final byte[] data = buffer.toByteArray();

        final List<ContestantRunner> runners = new ArrayList<>();
        for (final RecordContestant contestant : contestants) {
            runners.add(new ContestantRunner(contestant, false));
        }
        final Map<String, List<Double>> wallRates = new LinkedHashMap<>();
        final Map<String, List<Double>> cpuRates = new LinkedHashMap<>();
        final Map<String, Long> recordsOut = new LinkedHashMap<>();
        final Map<Contestants.Comparison, List<Double>> wallRatios = new LinkedHashMap<>();
        final Map<Contestants.Comparison, List<Double>> cpuRatios = new LinkedHashMap<>();
        runners.forEach(r -> {
            wallRates.put(r.name(), new ArrayList<>());
            cpuRates.put(r.name(), new ArrayList<>());
        });
        final List<Contestants.Comparison> present = comparisons.stream()
                .filter(c -> wallRates.containsKey(c.contestant()) && wallRates.containsKey(c.baseline())).toList();
        present.forEach(c -> {
            wallRatios.put(c, new ArrayList<>());
            cpuRatios.put(c, new ArrayList<>());
        });

        final int totalRounds = mode.warmupRounds() + mode.measuredRounds();
        for (int round = 0; round < totalRounds; round++) {
            final boolean measured = round >= mode.warmupRounds();
            final Map<String, ContestantRunner.RunResult> results = new LinkedHashMap<>();
            for (int i = 0; i < runners.size(); i++) {
                final ContestantRunner runner = runners.get((i + round) % runners.size());
                // Each run starts from a collected heap, so nobody pays for the previous one's garbage.
                System.gc();
                final ContestantRunner.RunResult result = runner.runOnce(data, records);
                results.put(runner.name(), result);
                recordsOut.put(runner.name(), result.recordsOut());
            }
            System.err.printf("throughput round %d/%d%s: %s%n", round + 1, totalRounds, measured ? "" : " (warm-up)", summary(results, records));
            if (!measured) {
                continue;
            }
            for (final Map.Entry<String, ContestantRunner.RunResult> entry : results.entrySet()) {
                wallRates.get(entry.getKey()).add(records * 1e9 / entry.getValue().wallNanos());
                cpuRates.get(entry.getKey()).add(records * 1e9 / entry.getValue().cpuNanos());
            }
            for (final Contestants.Comparison comparison : present) {
                final ContestantRunner.RunResult contestant = results.get(comparison.contestant());
                final ContestantRunner.RunResult baseline = results.get(comparison.baseline());
                wallRatios.get(comparison).add((double) baseline.wallNanos() / contestant.wallNanos());
                cpuRatios.get(comparison).add((double) baseline.cpuNanos() / contestant.cpuNanos());
            }
        }
        runners.forEach(ContestantRunner::close);

        final Markdown md = new Markdown();
        md.heading("Throughput, side by side (" + Stats.count(records) + " records per FlowFile)");
        md.paragraph(String.format(java.util.Locale.ROOT,
                "Input: one JSON FlowFile of %s records (%s MB, %s customers, %.1f%% of records repeat an earlier email exactly). "
                        + "%d warm-up rounds, then %d measured rounds; each round runs every contestant once, order rotated per round. "
                        + "Wall = elapsed time of the trigger; CPU = CPU time of the whole benchmark JVM during the trigger (processor thread, "
                        + "GC and JIT; less sensitive than wall time to other load on the machine).",
                Stats.count(records), Stats.megabytes(data.length), Stats.count(batch.customers()), 100 * batch.exactDuplicateShare(),
                mode.warmupRounds(), mode.measuredRounds()));
        md.table("contestant", "records/s (median, wall)", "range (wall)", "records/s (median, CPU)", "records out");
        for (final String name : wallRates.keySet()) {
            final List<Double> wall = wallRates.get(name);
            md.row(name, Stats.rate(Stats.median(wall)), Stats.rate(Stats.min(wall)) + " - " + Stats.rate(Stats.max(wall)),
                    Stats.rate(Stats.median(cpuRates.get(name))), Stats.count(recordsOut.get(name)));
        }
        md.heading("Ratios (per-round ratio, median over rounds; > 1 means faster than the baseline)");
        md.table("contestant", "against", "ratio (wall)", "range (wall)", "ratio (CPU)", "target", "met");
        for (final Contestants.Comparison comparison : present) {
            final List<Double> wall = wallRatios.get(comparison);
            final double median = Stats.median(wall);
            md.row(comparison.contestant(), comparison.baseline(), Stats.ratio(median),
                    Stats.ratio(Stats.min(wall)) + " - " + Stats.ratio(Stats.max(wall)), Stats.ratio(Stats.median(cpuRatios.get(comparison))),
                    comparison.hasTarget() ? ">= " + Stats.ratio(comparison.target()) : "-",
                    comparison.hasTarget() ? (median >= comparison.target() ? "yes" : "**no**") : "-");
        }
        return md.toString();
    }

    private static String summary(final Map<String, ContestantRunner.RunResult> results, final int records) {
        final StringBuilder text = new StringBuilder();
        results.forEach((name, result) -> text.append(name).append('=')
                .append(Stats.rate(records * 1e9 / result.wallNanos())).append("/s "));
        return text.toString();
    }
}
