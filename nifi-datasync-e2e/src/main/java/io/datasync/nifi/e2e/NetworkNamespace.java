package io.datasync.nifi.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a Java main class in a fresh private network namespace that holds only loopback, and a fresh PID namespace.
 * <p>
 * Why: a NiFi cluster's protocol and load balance ports and the stock MapCacheServer listen on every interface,
 * whatever address is configured. Inside the namespace "every interface" is loopback, so nothing is reachable from the
 * machine's network. The PID namespace makes cleanup certain: when the main class's JVM (PID 1 there) exits or is
 * killed, the kernel kills every process it started (NiFi nodes, ZooKeeper, PostgreSQL).
 * <p>
 * Needs root (or user namespaces) and util-linux {@code unshare}, plus {@code ip} to bring loopback up.
 */
public final class NetworkNamespace {

    private NetworkNamespace() {
    }

    /** The outcome of a run: exit code and whether it had to be killed at the timeout. */
    public record Result(int exitCode, boolean timedOut, Duration elapsed) {
    }

    /**
     * Runs {@code mainClass} with {@code args} on this JVM's class path and JDK inside the namespaces; output goes to
     * {@code log}; {@code systemProperties} are passed as -D options. Waits at most {@code timeout}.
     */
    public static Result run(final String mainClass, final List<String> args, final Map<String, String> systemProperties,
                             final String maxHeap, final Path log, final Duration timeout) {
        final List<String> command = new ArrayList<>(List.of("unshare", "--net", "--pid", "--fork", "--kill-child", "--mount-proc",
                "--", "sh", "-c", "ip link set lo up && exec \"$0\" \"$@\""));
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx" + maxHeap);
        command.add("-Djava.net.preferIPv4Stack=true");
        systemProperties.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.add("--class-path");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(args);
        final long started = System.nanoTime();
        try {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            boolean timedOut = false;
            if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                timedOut = true;
                // unshare --kill-child passes SIGKILL to the namespace's PID 1, which takes every process with it.
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
            return new Result(timedOut ? -1 : process.exitValue(), timedOut, Duration.ofNanos(System.nanoTime() - started));
        } catch (final IOException e) {
            throw new UncheckedIOException("Could not run unshare (util-linux) for " + mainClass, e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while running " + mainClass, e);
        }
    }
}
