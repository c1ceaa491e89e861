package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * End-to-end benchmark (issue 9): records per second of the committed ftp-batch-ingest template (contestant A, only
 * its parameters set) against the stock-only flow {@link StockConsentDedupFlow} (contestant B), both reading the same
 * CSV drops ({@link BenchmarkData}) from the FTP server into PostgreSQL, in one real NiFi.
 * <h2>A round</h2>
 * Empty tables; a fresh FTP server with every drop in its inbox; the contestant's group imported (A) or built (B)
 * fresh, so ListFTP state, identity cache and status counters start empty; services enabled. The clock starts when
 * the group is started and stops at the first poll (every {@value #POLL_MILLIS} ms) that finds the last row in
 * PostgreSQL: for A, every profile (count, and their {@code updated_at} adding up to the latest row of each subject,
 * so every merge landed) and every suppression row; for B, every row. Then the group must go quiet with nothing queued
 * or parked and the counts must still be exact, else the round is marked wrong and left out of the medians. The
 * group's per-processor task time (NiFi's status, {@code tasksDurationNanos}) says where the time went.
 * <h2>Order</h2>
 * Warm-up rounds first (A, B), then measured rounds interleaved A B B A A B ..., all in one NiFi run, so load that
 * comes and goes hits both contestants alike.
 * <h2>Running</h2>
 * {@code ./bench.sh e2e}. Without {@code --inside}, this class re-launches itself in a private network and PID
 * namespace ({@link NetworkNamespace}: the template's MapCacheServer binds every interface), bounded by
 * {@code --timeout-minutes}; the namespace's end takes NiFi, PostgreSQL and the FTP server with it. Options:
 * {@code --files N --records-per-file N --rounds N (measured, per contestant) --warmup N --seed N --nifi-heap 2g
 * --round-timeout-minutes N --timeout-minutes N --out FILE --command TEXT --contestants A,B --nifi-java-option OPTION}
 * (repeatable, e.g. a flight recording: {@code -XX:StartFlightRecording=filename=...,settings=profile})
 * {@code --concurrent-tasks "NAME=N,NAME=N"} (an experiment: concurrent tasks of the processors with these names, set
 * after import, so not the committed template's). System property
 * {@value NiFiInstance#HOME_PROPERTY} names the assembled NiFi.
 */
public final class EndToEndBenchmark {

    static final long POLL_MILLIS = 250;
    static final String TEMPLATE = "A: ftp-batch-ingest template";
    static final String STOCK = "B: stock-only flow";
    /** NiFi's JVM for the benchmark: NiFi's usual JIT (the harness default stops at C1 for fast test starts). */
    static final List<String> NIFI_JAVA_OPTIONS = List.of("-XX:TieredStopAtLevel=4", "-XX:+UseG1GC");

    private final Options options;

    private EndToEndBenchmark(final Options options) {
        this.options = options;
    }

    public static void main(final String[] args) {
        final Options options = Options.parse(args);
        if (!options.inside) {
            System.exit(launch(args, options));
        }
        int exit = 1;
        try {
            exit = new EndToEndBenchmark(options).run() ? 0 : 2;
        } catch (final Throwable e) {
            e.printStackTrace();
        }
        System.exit(exit);
    }

    /** Runs this class with {@code --inside} in a loopback-only network namespace; follows its log; prints the report. */
    private static int launch(final String[] args, final Options options) {
        try {
            Files.createDirectories(options.out.toAbsolutePath().getParent());
            final Path runLog = options.out.resolveSibling(stripExtension(options.out.getFileName().toString()) + "-run.log");
            Files.deleteIfExists(runLog);
            Files.createFile(runLog);
            Files.deleteIfExists(options.out);
            final List<String> inner = new ArrayList<>(List.of(args));
            inner.add("--inside");
            final Map<String, String> properties = new LinkedHashMap<>();
            properties.put(NiFiInstance.HOME_PROPERTY, requireHome().toString());
            final String runs = System.getProperty(NiFiInstance.RUNS_PROPERTY);
            if (runs != null) {
                properties.put(NiFiInstance.RUNS_PROPERTY, runs);
            }
            final AtomicBoolean done = new AtomicBoolean();
            final Thread follower = new Thread(() -> follow(runLog, done), "follow-run-log");
            follower.setDaemon(true);
            follower.start();
            final NetworkNamespace.Result result = NetworkNamespace.run(EndToEndBenchmark.class.getName(), inner, properties, "1g", runLog,
                    Duration.ofMinutes(options.timeoutMinutes));
            done.set(true);
            follower.join(5_000);
            if (result.timedOut()) {
                System.err.println("The benchmark timed out after " + options.timeoutMinutes + " minutes and was killed with everything it started.");
            }
            if (Files.exists(options.out)) {
                System.out.print(Files.readString(options.out));
                System.err.println("Report written to " + options.out + " (log: " + runLog + ")");
            } else {
                System.err.println("No report; see " + runLog);
            }
            return result.timedOut() ? 3 : result.exitCode();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    /** Copies what the inner run appends to its log to stderr, until {@code done}. */
    private static void follow(final Path file, final AtomicBoolean done) {
        try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
            final byte[] buffer = new byte[8192];
            while (true) {
                final int read = in.read(buffer);
                if (read > 0) {
                    System.err.write(buffer, 0, read);
                    System.err.flush();
                } else if (done.get()) {
                    return;
                } else {
                    NiFiInstance.sleep(500);
                }
            }
        } catch (final IOException e) {
            System.err.println("(stopped following " + file + ": " + e.getMessage() + ")");
        }
    }

    private static Path requireHome() {
        final String home = System.getProperty(NiFiInstance.HOME_PROPERTY);
        if (home == null) {
            throw new IllegalStateException("System property " + NiFiInstance.HOME_PROPERTY + " must name the assembled NiFi install");
        }
        return Path.of(home).toAbsolutePath();
    }

    // ---------------------------------------------------------------- inside the namespace

    private boolean run() {
        final Instant started = Instant.now();
        final String loadAtStart = loadAverage();
        say("Generating " + options.files + " files x " + options.recordsPerFile + " records (seed " + options.seed + ") ...");
        final BenchmarkData data = BenchmarkData.generate(options.seed, options.files, options.recordsPerFile, options.duplicateShare);
        say(String.format(Locale.ROOT, "%,d records, %,d customers, %,d repeated rows (%.1f%%), %,d subjects with consent, %,d withdrawn, %.1f MB of CSV",
                data.recordCount(), data.customerCount(), data.repeatedRecords(), 100.0 * data.repeatedRecords() / data.recordCount(),
                data.subjectsWithConsent(), data.withdrawnSubjects(), data.csvBytes() / 1e6));

        final List<Round> rounds = new ArrayList<>();
        final List<String> javaOptions = nifiJavaOptions(options.nifiHeap);
        javaOptions.addAll(options.nifiJavaOptions);
        final NiFiInstance nifi = NiFiInstance.create("e2e-bench").withJavaOptions(javaOptions);
        PostgresPeer postgres = null;
        try {
            nifi.start();
            say("NiFi answered after " + nifi.lastStartDuration().toSeconds() + " s (" + nifi.runDir() + ")");
            final NiFiRestClient client = new NiFiRestClient(nifi.apiUrl());
            postgres = PostgresPeer.start(nifi.runDir().resolve("postgres"));
            postgres.execute(StockConsentDedupFlow.TABLE_DDL);
            postgres.loadConsent(data.consentRows());
            postgres.execute("ANALYZE");
            final List<Planned> plan = plan(options.warmup, options.rounds).stream()
                    .filter(p -> options.contestants.contains(p.contestant().substring(0, 1))).toList();
            for (int i = 0; i < plan.size(); i++) {
                final Planned planned = plan.get(i);
                final Round round = runRound(i + 1, planned, data, nifi, client, postgres);
                rounds.add(round);
                say(round.summary());
            }
        } finally {
            if (postgres != null) {
                closeQuietly(postgres);
            }
            nifi.close();
        }
        final String report = report(data, rounds, started, loadAtStart);
        try {
            Files.createDirectories(options.out.toAbsolutePath().getParent());
            Files.writeString(options.out, report, StandardCharsets.UTF_8);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return rounds.stream().allMatch(Round::correct);
    }

    /** Warm-up A, B; then A B, B A, A B, ... */
    static List<Planned> plan(final int warmup, final int measured) {
        final List<Planned> plan = new ArrayList<>();
        for (int i = 0; i < warmup; i++) {
            plan.add(new Planned(TEMPLATE, true));
            plan.add(new Planned(STOCK, true));
        }
        for (int i = 0; i < measured; i++) {
            final boolean templateFirst = i % 2 == 0;
            plan.add(new Planned(templateFirst ? TEMPLATE : STOCK, false));
            plan.add(new Planned(templateFirst ? STOCK : TEMPLATE, false));
        }
        return plan;
    }

    private Round runRound(final int number, final Planned planned, final BenchmarkData data, final NiFiInstance nifi,
                           final NiFiRestClient client, final PostgresPeer postgres) {
        final boolean template = planned.contestant().equals(TEMPLATE);
        final String label = (template ? "template" : "stock") + "-round-" + number;
        say("Round " + number + " (" + planned.contestant() + (planned.warmup() ? ", warm-up" : "") + "): preparing");
        postgres.execute("TRUNCATE customer_profiles, suppression, " + StockConsentDedupFlow.TABLE);
        final FtpPeer ftp = FtpPeer.start(nifi.runDir().resolve("ftp-" + label), "bench", "bench-" + System.nanoTime());
        String groupId = null;
        try {
            data.files().forEach(ftp::drop);
            final Map<String, String> values = TemplateImport.localParameters(nifi, postgres, ftp, null, null, NiFiInstance.freePort());
            values.put("identity.cache.dir", nifi.runDir().resolve("identity-cache-" + label).toString());
            if (template) {
                groupId = TemplateImport.importAndConfigure(client, client.rootGroupId(),
                        TemplateImport.templatesDir().resolve(TemplateFlows.FTP_BATCH_INGEST + ".json"), label, values);
            } else {
                groupId = StockConsentDedupFlow.build(client, client.rootGroupId(), label, StockConsentDedupFlow.parameters(values),
                        TemplateFlows.SOURCE_SCHEDULE).groupId();
                client.enableControllerServices(groupId, Duration.ofSeconds(90));
            }
            setConcurrentTasks(client, groupId);
            final Map<String, List<String>> errors = client.validationErrors(groupId);
            if (!errors.isEmpty()) {
                throw new IllegalStateException(label + " is invalid: " + errors);
            }

            final String load = loadAverage();
            final long start = System.nanoTime();
            client.startProcessGroup(groupId);
            final Counts expected = template
                    ? new Counts(data.subjectsWithConsent(), data.profileUpdatedAtEpochSum(), data.withdrawnSubjects())
                    : new Counts(data.subjectsWithConsent(), 0, 0);
            final Duration timeout = Duration.ofMinutes(options.roundTimeoutMinutes);
            Counts counts = counts(postgres, template);
            Duration elapsed = null;
            String stoppedBecause = "timed out after " + timeout.toMinutes() + " min";
            int quietChecks = 0;
            for (long polls = 0; ; polls++) {
                if (counts.equals(expected)) {
                    elapsed = Duration.ofNanos(System.nanoTime() - start);
                    stoppedBecause = "";
                    break;
                }
                final Duration sinceStart = Duration.ofNanos(System.nanoTime() - start);
                if (sinceStart.compareTo(timeout) > 0) {
                    break;
                }
                // A flow that went quiet without reaching the expected rows has lost or parked some: stop waiting.
                if (polls % 8 == 7 && sinceStart.toSeconds() > 20) {
                    final JsonNode status = client.groupStatus(groupId);
                    final boolean quiet = status.path("activeThreadCount").asInt() == 0 && status.path("flowFilesQueued").asInt() == 0;
                    quietChecks = quiet ? quietChecks + 1 : 0;
                    if (quietChecks >= 3) {
                        stoppedBecause = "went quiet with " + counts + " (expected " + expected + ")";
                        break;
                    }
                }
                NiFiInstance.sleep(POLL_MILLIS);
                counts = counts(postgres, template);
            }
            final List<String> problems = new ArrayList<>();
            if (!stoppedBecause.isEmpty()) {
                problems.add(stoppedBecause);
            }
            try {
                client.waitUntilQuiet(groupId, 3, Duration.ofSeconds(1), Duration.ofMinutes(5));
            } catch (final IllegalStateException e) {
                problems.add("not quiet: " + e.getMessage());
            }
            final Counts after = counts(postgres, template);
            if (!after.equals(expected)) {
                problems.add("rows after the flow went quiet: " + after + ", expected " + expected);
            }
            final int queued = client.groupStatus(groupId).path("flowFilesQueued").asInt();
            if (queued != 0) {
                problems.add(queued + " FlowFiles queued or parked");
            }
            if (!ftp.inboxFiles().isEmpty()) {
                problems.add(ftp.inboxFiles().size() + " drops still in the inbox");
            }
            final Map<String, ProcessorTime> processors = new LinkedHashMap<>();
            for (final JsonNode processor : client.processorStatuses(groupId)) {
                processors.merge(processor.path("name").asText(), new ProcessorTime(processor.path("type").asText(),
                        processor.path("tasksDurationNanos").asLong(), processor.path("taskCount").asLong()), ProcessorTime::plus);
            }
            return new Round(number, planned.contestant(), planned.warmup(), elapsed, data.recordCount(), after, expected, load,
                    List.copyOf(problems), processors);
        } finally {
            if (groupId != null) {
                try {
                    client.stopProcessGroup(groupId, Duration.ofSeconds(90));
                    client.disableControllerServices(groupId, Duration.ofSeconds(90));
                } catch (final RuntimeException e) {
                    say("Could not stop " + label + " cleanly: " + e.getMessage());
                }
            }
            closeQuietly(ftp);
        }
    }

    /** The {@code --concurrent-tasks} overrides (processor name to tasks) for the processors of this group that have those names. */
    private void setConcurrentTasks(final NiFiRestClient client, final String groupId) {
        if (options.concurrentTasks.isEmpty()) {
            return;
        }
        for (final JsonNode processor : client.get("/process-groups/" + groupId + "/processors?includeDescendantGroups=true").path("processors")) {
            final Integer tasks = options.concurrentTasks.get(processor.path("component").path("name").asText());
            if (tasks != null) {
                client.updateProcessorConfig(processor.path("id").asText(), Map.of("concurrentlySchedulableTaskCount", tasks));
            }
        }
    }

    /** What the contestant has written so far (for B only the row count). */
    private static Counts counts(final PostgresPeer postgres, final boolean template) {
        if (!template) {
            return new Counts(postgres.count(StockConsentDedupFlow.TABLE), 0, 0);
        }
        final Map<String, Object> row = postgres.query("""
                SELECT (SELECT count(*) FROM customer_profiles) AS profiles,
                       (SELECT coalesce(sum(extract(epoch FROM updated_at)), 0)::bigint FROM customer_profiles) AS epoch_sum,
                       (SELECT count(*) FROM suppression) AS suppressed""").getFirst();
        return new Counts(((Number) row.get("profiles")).longValue(), ((Number) row.get("epoch_sum")).longValue(),
                ((Number) row.get("suppressed")).longValue());
    }

    // ---------------------------------------------------------------- report

    private String report(final BenchmarkData data, final List<Round> rounds, final Instant started, final String loadAtStart) {
        final StringBuilder out = new StringBuilder();
        out.append("## End to end: ftp-batch-ingest template against a stock-only flow, in NiFi 2.3.0\n\n");
        out.append("| | |\n| --- | --- |\n");
        out.append("| date (UTC) | ").append(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneOffset.UTC).format(started)).append(" |\n");
        out.append("| command | `").append(options.command).append("` |\n");
        out.append("| machine | ").append(Runtime.getRuntime().availableProcessors()).append(" CPUs (`nproc`), ").append(cpuModel())
                .append(", load average ").append(loadAtStart).append(" at start, ").append(loadAverage()).append(" at end |\n");
        out.append("| JDK | ").append(System.getProperty("java.vm.name")).append(' ').append(System.getProperty("java.version")).append(" |\n");
        out.append("| NiFi | 2.3.0, one standalone node, JVM `").append(String.join(" ", NIFI_JAVA_OPTIONS)).append(" -Xmx").append(options.nifiHeap)
                .append(options.nifiJavaOptions.isEmpty() ? "" : " " + String.join(" ", options.nifiJavaOptions))
                .append(options.concurrentTasks.isEmpty() ? "" : "`; concurrent tasks set by the benchmark (not the committed template): "
                        + options.concurrentTasks + " `")
                .append("`; PostgreSQL 17.7 and the FTP server on the same machine |\n");
        out.append(String.format(Locale.ROOT, "| data | %d CSV files x %,d records = %,d records (%.1f MB), %,d customers, %.1f%% of rows repeat an earlier "
                        + "customer (address as written, case changed, or Gmail dots/+tag/googlemail.com), consent: %,d subjects granted, %,d withdrawn, "
                        + "the rest none; seed %d |\n",
                options.files, options.recordsPerFile, data.recordCount(), data.csvBytes() / 1e6, data.customerCount(),
                100.0 * data.repeatedRecords() / data.recordCount(), data.subjectsWithConsent(), data.withdrawnSubjects(), options.seed));
        out.append("| rounds | ").append(options.warmup).append(" warm-up per contestant, then ").append(options.rounds)
                .append(" measured per contestant, interleaved A B B A ...; fresh tables, FTP server and group every round |\n\n");

        out.append("### Rounds\n\n");
        out.append("Time = from starting the group (drops already on the FTP server) to the first poll that finds the last row in PostgreSQL.\n\n");
        out.append("| round | contestant | warm-up | seconds | records/s | rows written (expected) | load average at start | correct |\n");
        out.append("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (final Round round : rounds) {
            out.append(String.format(Locale.ROOT, "| %d | %s | %s | %s | %s | %s | %s | %s |\n", round.number(), round.contestant(),
                    round.warmup() ? "yes" : "", round.elapsed() == null ? "-" : String.format(Locale.ROOT, "%.1f", round.seconds()),
                    round.elapsed() == null ? "-" : String.format(Locale.ROOT, "%,.0f", round.recordsPerSecond()),
                    round.rowsText(), round.loadAtStart(), round.correct() ? "yes" : "**no**: " + String.join("; ", round.problems())));
        }

        final List<Double> templateRates = rates(rounds, TEMPLATE);
        final List<Double> stockRates = rates(rounds, STOCK);
        out.append("\n### Result\n\n");
        out.append("| contestant | records/s (median of measured rounds) | range | rounds |\n| --- | --- | --- | --- |\n");
        out.append(resultRow(TEMPLATE, templateRates)).append(resultRow(STOCK, stockRates));
        final List<Double> pairRatios = pairRatios(rounds);
        if (!templateRates.isEmpty() && !stockRates.isEmpty()) {
            final double ratio = median(templateRates) / median(stockRates);
            out.append(String.format(Locale.ROOT, "%nRatio A/B of the medians: **%.2f** (target >= 1.00: %s). Per pair of adjacent measured rounds: "
                            + "median %.2f, range %.2f - %.2f.%n", ratio, ratio >= 1.0 ? "met" : "**not met**",
                    pairRatios.isEmpty() ? Double.NaN : median(pairRatios), pairRatios.stream().min(Double::compare).orElse(Double.NaN),
                    pairRatios.stream().max(Double::compare).orElse(Double.NaN)));
        }

        out.append("\n### Where the time goes (NiFi processor status, task time summed over the measured rounds)\n\n");
        for (final String contestant : List.of(TEMPLATE, STOCK)) {
            final Map<String, ProcessorTime> total = new TreeMap<>();
            rounds.stream().filter(r -> r.contestant().equals(contestant) && !r.warmup())
                    .forEach(r -> r.processors().forEach((name, time) -> total.merge(name, time, ProcessorTime::plus)));
            final long sum = total.values().stream().mapToLong(ProcessorTime::nanos).sum();
            out.append("**").append(contestant).append("**\n\n| processor | type | task time (s) | share | tasks |\n| --- | --- | --- | --- | --- |\n");
            total.entrySet().stream().sorted(Comparator.comparingLong((Map.Entry<String, ProcessorTime> e) -> e.getValue().nanos()).reversed())
                    .filter(e -> e.getValue().nanos() > 0)
                    .forEach(e -> out.append(String.format(Locale.ROOT, "| %s | %s | %.1f | %.0f%% | %,d |\n", e.getKey(),
                            simpleName(e.getValue().type()), e.getValue().nanos() / 1e9, sum == 0 ? 0 : 100.0 * e.getValue().nanos() / sum,
                            e.getValue().tasks())));
            out.append('\n');
        }
        return out.toString();
    }

    private static String resultRow(final String contestant, final List<Double> rates) {
        if (rates.isEmpty()) {
            return "| " + contestant + " | - | - | 0 |\n";
        }
        return String.format(Locale.ROOT, "| %s | %,.0f | %,.0f - %,.0f | %d |\n", contestant, median(rates),
                rates.stream().min(Double::compare).orElseThrow(), rates.stream().max(Double::compare).orElseThrow(), rates.size());
    }

    /** Records/s of the correct measured rounds of a contestant. */
    private static List<Double> rates(final List<Round> rounds, final String contestant) {
        return rounds.stream().filter(r -> r.contestant().equals(contestant) && !r.warmup() && r.correct()).map(Round::recordsPerSecond).toList();
    }

    /** A/B within each adjacent pair of measured rounds (A B or B A), when both were correct. */
    private static List<Double> pairRatios(final List<Round> rounds) {
        final List<Round> measured = rounds.stream().filter(r -> !r.warmup()).toList();
        final List<Double> ratios = new ArrayList<>();
        for (int i = 0; i + 1 < measured.size(); i += 2) {
            final Round first = measured.get(i);
            final Round second = measured.get(i + 1);
            if (first.correct() && second.correct() && !first.contestant().equals(second.contestant())) {
                final Round a = first.contestant().equals(TEMPLATE) ? first : second;
                final Round b = a == first ? second : first;
                ratios.add(a.recordsPerSecond() / b.recordsPerSecond());
            }
        }
        return ratios;
    }

    static double median(final List<Double> values) {
        final List<Double> sorted = values.stream().sorted().toList();
        final int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static String simpleName(final String type) {
        return type.substring(type.lastIndexOf('.') + 1);
    }

    private static String loadAverage() {
        try {
            final String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (final IOException e) {
            return "?";
        }
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(line -> line.startsWith("model name"))
                    .map(line -> line.substring(line.indexOf(':') + 1).trim()).findFirst().orElse("?");
        } catch (final IOException e) {
            return "?";
        }
    }

    private void say(final String line) {
        final String stamped = DateTimeFormatter.ISO_LOCAL_TIME.withZone(ZoneOffset.UTC).format(Instant.now()).substring(0, 8) + " " + line;
        System.out.println(stamped);
        System.out.flush();
    }

    private static void closeQuietly(final AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (final Exception e) {
            System.out.println("Could not close " + closeable.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /** The benchmark NiFi's JVM options with a fixed heap of {@code heap} (e.g. 2g); a mutable list, for extra options. */
    static List<String> nifiJavaOptions(final String heap) {
        final List<String> all = new ArrayList<>(NIFI_JAVA_OPTIONS);
        all.add("-Xms" + heap);
        all.add("-Xmx" + heap);
        return all;
    }

    private static String stripExtension(final String name) {
        final int dot = name.lastIndexOf('.');
        return dot < 0 ? name : name.substring(0, dot);
    }

    // ---------------------------------------------------------------- values

    record Planned(String contestant, boolean warmup) {
    }

    /** Rows written: profiles (or the stock rows), the sum of the profiles' updated_at epoch seconds, suppression rows. */
    record Counts(long rows, long updatedAtEpochSum, long suppressed) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%,d rows", rows) + (suppressed > 0 || updatedAtEpochSum > 0
                    ? String.format(Locale.ROOT, " + %,d suppressed (updated_at sum %d)", suppressed, updatedAtEpochSum) : "");
        }
    }

    record ProcessorTime(String type, long nanos, long tasks) {
        ProcessorTime plus(final ProcessorTime other) {
            return new ProcessorTime(type, nanos + other.nanos, tasks + other.tasks);
        }
    }

    record Round(int number, String contestant, boolean warmup, Duration elapsed, int records, Counts rows, Counts expected,
                 String loadAtStart, List<String> problems, Map<String, ProcessorTime> processors) {
        boolean correct() {
            return elapsed != null && problems.isEmpty();
        }

        double seconds() {
            return elapsed.toNanos() / 1e9;
        }

        double recordsPerSecond() {
            return records / seconds();
        }

        String rowsText() {
            return rows.suppressed() > 0 || expected.suppressed() > 0
                    ? String.format(Locale.ROOT, "%,d profiles + %,d suppression (%,d + %,d)", rows.rows(), rows.suppressed(),
                    expected.rows(), expected.suppressed())
                    : String.format(Locale.ROOT, "%,d (%,d)", rows.rows(), expected.rows());
        }

        String summary() {
            return String.format(Locale.ROOT, "Round %d %s%s: %s, %s%s", number, contestant, warmup ? " (warm-up)" : "",
                    elapsed == null ? "no time" : String.format(Locale.ROOT, "%.1f s, %,.0f records/s", seconds(), recordsPerSecond()),
                    rowsText(), correct() ? "" : " WRONG: " + String.join("; ", problems));
        }
    }

    static final class Options {
        int files = 20;
        int recordsPerFile = 1_000;
        double duplicateShare = 0.2;
        int rounds = 3;
        int warmup = 1;
        long seed = 9L;
        String nifiHeap = "2g";
        long roundTimeoutMinutes = 15;
        long timeoutMinutes = 120;
        Path out = Path.of("target", "benchmarks", "e2e.md");
        String command = "./bench.sh e2e";
        boolean inside;
        /** Which contestants run: "A", "B" or "A,B". */
        List<String> contestants = List.of("A", "B");
        /** More options for NiFi's JVM, e.g. a flight recording. */
        List<String> nifiJavaOptions = new ArrayList<>();
        /** Concurrent tasks for processors of these names, in whichever contestant has them (an experiment, not the template). */
        Map<String, Integer> concurrentTasks = new LinkedHashMap<>();

        static Options parse(final String[] args) {
            final Options options = new Options();
            for (int i = 0; i < args.length; i++) {
                final String value = i + 1 < args.length ? args[i + 1] : null;
                switch (args[i]) {
                    case "--files" -> options.files = Integer.parseInt(value);
                    case "--records-per-file" -> options.recordsPerFile = Integer.parseInt(value);
                    case "--duplicate-share" -> options.duplicateShare = Double.parseDouble(value);
                    case "--rounds" -> options.rounds = Integer.parseInt(value);
                    case "--warmup" -> options.warmup = Integer.parseInt(value);
                    case "--seed" -> options.seed = Long.parseLong(value);
                    case "--nifi-heap" -> options.nifiHeap = value;
                    case "--round-timeout-minutes" -> options.roundTimeoutMinutes = Long.parseLong(value);
                    case "--timeout-minutes" -> options.timeoutMinutes = Long.parseLong(value);
                    case "--out" -> options.out = Path.of(value).toAbsolutePath();
                    case "--command" -> options.command = value;
                    case "--contestants" -> options.contestants = List.of(value.split(","));
                    case "--nifi-java-option" -> options.nifiJavaOptions.add(value);
                    case "--concurrent-tasks" -> {
                        for (final String entry : value.split(",")) {
                            final int equals = entry.lastIndexOf('=');
                            options.concurrentTasks.put(entry.substring(0, equals).trim(), Integer.parseInt(entry.substring(equals + 1).trim()));
                        }
                    }
                    case "--inside" -> {
                        options.inside = true;
                        continue;
                    }
                    default -> throw new IllegalArgumentException("Unknown option " + args[i]);
                }
                i++;
            }
            options.out = options.out.toAbsolutePath();
            return options;
        }
    }
}
