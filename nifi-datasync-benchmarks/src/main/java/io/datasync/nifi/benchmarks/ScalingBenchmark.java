package io.datasync.nifi.benchmarks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How throughput and memory grow with the FlowFile: 10k, 100k and 1M records per FlowFile.
 *
 * <p>Memory is measured as the live set, not as heap in use: before the run the heap is collected
 * with the input enqueued (the baseline), and during the run the probing writer collects and reads
 * the heap at fixed points of the output (writer created, first record, every tenth of the records,
 * record set finished). Peak above baseline is what the processor, the stock reader and writer and
 * nifi-mock's in-memory output content hold at the worst probed point. The floor (ConvertRecord)
 * holds only the reader, the writer and the output content, so a contestant's excess over the floor
 * is its own working set. After the run and with the output released, another collection shows
 * what the processor retains between FlowFiles.</p>
 */
final class ScalingBenchmark {

    private final Mode mode;
    private final List<RecordContestant> contestants;

    ScalingBenchmark(final Mode mode, final List<RecordContestant> contestants) {
        this.mode = mode;
        this.contestants = contestants;
    }

    private record Row(String contestant, int size, double recordsPerSecond, long peakAboveInput, long outputBytes,
                       long retainedAfter, int probes) {
    }

    String run() throws Exception {
        final CustomerRecordGenerator generator = new CustomerRecordGenerator(CustomerRecordGenerator.DEFAULT_SEED);
        final Map<String, ContestantRunner> timed = new LinkedHashMap<>();
        final Map<String, ContestantRunner> probed = new LinkedHashMap<>();
        for (final RecordContestant contestant : contestants) {
            timed.put(contestant.name(), new ContestantRunner(contestant, false));
            probed.put(contestant.name(), new ContestantRunner(contestant, true));
        }

        // Warm-up at the smallest size so the first timed size is not a JIT measurement.
        final int warmupSize = mode.scalingSizes().getFirst();
        final byte[] warmupData = generator.jsonArray(warmupSize);
        for (int i = 0; i < 3; i++) {
            for (final ContestantRunner runner : timed.values()) {
                runner.runOnce(warmupData, warmupSize);
            }
        }

        final List<Row> rows = new ArrayList<>();
        for (final int size : mode.scalingSizes()) {
            byte[] data = generator.jsonArray(size);
            for (final String name : timed.keySet()) {
                final List<Double> rates = new ArrayList<>();
                for (int i = 0; i < mode.timedRunsAt(size); i++) {
                    System.gc();
                    final ContestantRunner.RunResult result = timed.get(name).runOnce(data, size);
                    rates.add(size * 1e9 / result.wallNanos());
                }

                final ContestantRunner probedRunner = probed.get(name);
                final long beforeInput = HeapProbe.liveHeapBytes();
                probedRunner.enqueue(data);
                final long withInput = HeapProbe.liveHeapBytes();
                ProbingJsonRecordSetWriter.resetBytesWritten();
                HeapProbe.arm(size);
                probedRunner.trigger();
                final long peak = HeapProbe.disarm();
                final int probes = HeapProbe.probeCount();
                probedRunner.checkAndRelease(size);
                final long after = HeapProbe.liveHeapBytes();
                final Row row = new Row(name, size, Stats.median(rates), Math.max(0, peak - withInput),
                        ProbingJsonRecordSetWriter.bytesWritten(),
                        after - beforeInput, probes);
                rows.add(row);
                System.err.printf("scaling %s @ %,d: %s records/s, peak above input %s MB (%s B/record), output %s MB, retained after %s MB%n",
                        name, size, Stats.rate(row.recordsPerSecond()), Stats.megabytes(row.peakAboveInput()),
                        Stats.bytes((double) row.peakAboveInput() / size), Stats.megabytes(row.outputBytes()), Stats.megabytes(row.retainedAfter()));
            }
            data = null;
        }
        timed.values().forEach(ContestantRunner::close);
        probed.values().forEach(ContestantRunner::close);
        return report(rows);
    }

    private String report(final List<Row> rows) {
        final Markdown md = new Markdown();
        md.heading("Scaling: throughput and live heap per FlowFile size");
        md.paragraph("Peak above input = largest live heap (after a forced full GC) at the probe points of the run, minus the live heap "
                + "with the input FlowFile already enqueued. In these runs the stock writer serialises into a counting sink instead of "
                + "nifi-mock's in-memory content (column 'output' = bytes serialised), so the peak is what the processor and the stock "
                + "reader/writer hold; 'excess over floor' subtracts the floor's per-record figure at the same size, i.e. what the "
                + "processor itself holds beyond reading and writing. Retained = live heap after the run with its output released, minus "
                + "the live heap before the input was enqueued: state kept between FlowFiles. Caveat: a figure equal to the input's size at "
                + "every size (seen with the stock QueryRecord) is nifi-mock keeping the consumed input content reachable, not "
                + "processor state; compare a contestant's figure with the stock ones.");
        md.table("contestant", "records", "records/s (wall)", "peak above input (MB)", "bytes/record", "excess over floor (bytes/record)",
                "output (MB)", "retained after run (MB)");
        final Map<Integer, Double> floorPerRecord = new LinkedHashMap<>();
        rows.stream().filter(r -> r.contestant().equals(Contestants.FLOOR))
                .forEach(r -> floorPerRecord.put(r.size(), (double) r.peakAboveInput() / r.size()));
        for (final Row row : rows) {
            final double perRecord = (double) row.peakAboveInput() / row.size();
            final Double floor = floorPerRecord.get(row.size());
            md.row(row.contestant(), Stats.count(row.size()), Stats.rate(row.recordsPerSecond()), Stats.megabytes(row.peakAboveInput()),
                    Stats.bytes(perRecord), floor == null ? "n/a" : Stats.bytes(perRecord - floor), Stats.megabytes(row.outputBytes()),
                    Stats.megabytes(row.retainedAfter()));
        }

        final List<Integer> sizes = mode.scalingSizes();
        if (sizes.size() >= 2) {
            final int small = sizes.get(sizes.size() - 2);
            final int large = sizes.getLast();
            md.heading("Memory per record from " + Stats.count(small) + " to " + Stats.count(large) + " records");
            md.paragraph("Flat means the excess over the floor per record at the larger size is within 25% (or 64 bytes) of the "
                    + "smaller one: no hidden superlinear work. Throughput ratio near 1 means no slow-down per record either.");
            md.table("contestant", "bytes/record @" + Stats.count(small), "bytes/record @" + Stats.count(large),
                    "excess over floor @" + Stats.count(small), "excess over floor @" + Stats.count(large),
                    "throughput ratio (large/small)", "flat");
            for (final RecordContestant contestant : contestants) {
                final Row a = find(rows, contestant.name(), small);
                final Row b = find(rows, contestant.name(), large);
                final Row floorA = find(rows, Contestants.FLOOR, small);
                final Row floorB = find(rows, Contestants.FLOOR, large);
                if (a == null || b == null || floorA == null || floorB == null) {
                    continue;
                }
                final double perA = (double) a.peakAboveInput() / small;
                final double perB = (double) b.peakAboveInput() / large;
                final double excessA = perA - (double) floorA.peakAboveInput() / small;
                final double excessB = perB - (double) floorB.peakAboveInput() / large;
                final double speedRatio = b.recordsPerSecond() / a.recordsPerSecond();
                final boolean flat = excessB <= Math.max(1.25 * excessA, excessA + 64);
                md.row(contestant.name(), Stats.bytes(perA), Stats.bytes(perB), Stats.bytes(excessA), Stats.bytes(excessB),
                        Stats.ratio(speedRatio), flat ? "yes" : "**no**");
            }
        }
        return md.toString();
    }

    private static Row find(final List<Row> rows, final String contestant, final int size) {
        return rows.stream().filter(r -> r.contestant().equals(contestant) && r.size() == size).findFirst().orElse(null);
    }
}
