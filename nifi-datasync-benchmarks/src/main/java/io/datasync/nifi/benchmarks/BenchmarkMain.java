package io.datasync.nifi.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Entry point of the benchmark suite (run by ./bench.sh, never by the test command).
 *
 * <pre>
 * BenchmarkMain --mode quick|full --part throughput|scaling|http|state|store|audit|hotspots [--out FILE]
 * BenchmarkMain --mode quick|full --part hotspots --contestant identity   (only the database identity store contestant, for a profile)
 * BenchmarkMain --mode quick|full --part profile --contestant NAME [--seconds N]
 * </pre>
 * {@code --only "NAME;NAME"} limits the throughput and scaling parts to those record contestants
 * (the floor always runs, as the reference of every ratio).
 * Each part prints its Markdown section to stdout and, with --out, writes it to FILE; bench.sh
 * runs each part in its own JVM (heap sized for the part) and joins the sections into one report.
 */
public final class BenchmarkMain {

    private static final List<String> PARTS = List.of("throughput", "scaling", "http", "state", "profile", "store", "audit", "hotspots", "writes");

    private BenchmarkMain() {
    }

    public static void main(final String[] args) throws Exception {
        String modeName = "quick";
        String part = null;
        Path out = null;
        String contestant = null;
        long seconds = 60;
        String only = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--mode" -> modeName = args[++i];
                case "--part" -> part = args[++i];
                case "--out" -> out = Path.of(args[++i]);
                case "--contestant" -> contestant = args[++i];
                case "--seconds" -> seconds = Long.parseLong(args[++i]);
                case "--only" -> only = args[++i];
                default -> throw new IllegalArgumentException("Unknown argument " + args[i] + "; usage: --mode quick|full --part "
                        + String.join("|", PARTS) + " [--out FILE]");
            }
        }
        if (part == null || !PARTS.contains(part)) {
            throw new IllegalArgumentException("--part must be one of " + PARTS + " (got " + part + ")");
        }
        final Mode mode = Mode.named(modeName);
        System.err.println("nifi-datasync benchmark: part " + part + ", mode " + mode.name() + ", args " + Arrays.toString(args));
        final String section = switch (part) {
            case "throughput" -> new ThroughputBenchmark(mode, Contestants.selected(only), Contestants.comparisons()).run();
            case "scaling" -> new ScalingBenchmark(mode, Contestants.selected(only)).run();
            case "http" -> new HttpFetchBenchmark(mode).run();
            case "state" -> new IdentityStateBenchmark(mode).run();
            case "store" -> new ConsentStoreBenchmark(mode).run();
            case "audit" -> new AuditBenchmark(mode).run();
            case "hotspots" -> new HotspotsBenchmark(mode, contestant).run();
            case "writes" -> new WriteReaderBenchmark(mode).run();
            case "profile" -> new ProfileRun(mode, contestant, seconds).run();
            default -> throw new IllegalStateException(part);
        };
        System.out.println(section);
        if (out != null) {
            write(out, section);
        }
        // TestRunner leaves non-daemon threads behind; the report is written, so leave now.
        System.exit(0);
    }

    private static void write(final Path out, final String section) throws IOException {
        if (out.getParent() != null) {
            Files.createDirectories(out.getParent());
        }
        Files.writeString(out, section, StandardCharsets.UTF_8);
    }
}
