package io.datasync.nifi.benchmarks;

import java.util.List;

/**
 * Runs one record contestant repeatedly on the throughput data for a fixed time, so that a
 * sampling profiler (JFR, started by bench.sh with -XX:StartFlightRecording) sees its steady state.
 */
final class ProfileRun {

    private final Mode mode;
    private final String contestantName;
    private final long seconds;

    ProfileRun(final Mode mode, final String contestantName, final long seconds) {
        this.mode = mode;
        this.contestantName = contestantName;
        this.seconds = seconds;
    }

    String run() throws Exception {
        final List<RecordContestant> all = Contestants.all();
        final RecordContestant contestant = all.stream().filter(c -> c.name().equals(contestantName)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("No contestant named '" + contestantName + "'; known: "
                        + all.stream().map(RecordContestant::name).toList()));
        final int records = mode.throughputRecords();
        final byte[] data = new CustomerRecordGenerator(CustomerRecordGenerator.DEFAULT_SEED).jsonArray(records);
        long runs = 0;
        final long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        try (ContestantRunner runner = new ContestantRunner(contestant, false)) {
            while (System.nanoTime() < deadline) {
                runner.runOnce(data, records);
                runs++;
            }
        }
        return "Profiled " + contestantName + ": " + runs + " runs of " + Stats.count(records) + " records in " + seconds + " s\n";
    }
}
