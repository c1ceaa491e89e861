package io.datasync.nifi.benchmarks;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Summarises a JFR recording's execution samples: the methods most often on top of the stack
 * (self time) and the methods most often anywhere on it (inclusive time), as shares of all
 * samples of the benchmark thread. Enough to see where a processor spends its time.
 *
 * <pre>JfrTopFrames recording.jfr [top]</pre>
 */
public final class JfrTopFrames {

    private JfrTopFrames() {
    }

    public static void main(final String[] args) throws Exception {
        final Path recording = Path.of(args[0]);
        final int top = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        final Map<String, Integer> self = new HashMap<>();
        final Map<String, Integer> inclusive = new HashMap<>();
        int samples = 0;
        for (final RecordedEvent event : RecordingFile.readAllEvents(recording)) {
            if (!event.getEventType().getName().equals("jdk.ExecutionSample")) {
                continue;
            }
            final RecordedStackTrace stack = event.getStackTrace();
            if (stack == null || stack.getFrames().isEmpty() || !onProcessorThread(stack)) {
                continue;
            }
            samples++;
            final List<RecordedFrame> frames = stack.getFrames();
            self.merge(name(frames.getFirst()), 1, Integer::sum);
            final Set<String> seen = new HashSet<>();
            for (final RecordedFrame frame : frames) {
                final String name = name(frame);
                if (seen.add(name)) {
                    inclusive.merge(name, 1, Integer::sum);
                }
            }
        }
        System.out.println("Samples in onTrigger: " + samples + (stackDepthNote()));
        print("Self (top of stack)", self, samples, top);
        print("Inclusive (anywhere on the stack), excluding the harness and nifi-mock", filterHarness(inclusive), samples, top);
        final Map<String, Integer> bundle = new HashMap<>();
        inclusive.forEach((name, count) -> {
            if (name.startsWith("io.datasync.nifi.") && !name.startsWith("io.datasync.nifi.benchmarks.")) {
                bundle.put(name, count);
            }
        });
        print("Inclusive, the bundle's own methods", bundle, samples, top);
    }

    /** TestRunner runs onTrigger on a pool thread; only those samples are the processor's work. */
    private static boolean onProcessorThread(final RecordedStackTrace stack) {
        for (final RecordedFrame frame : stack.getFrames()) {
            final String name = name(frame);
            if (name.endsWith(".onTrigger") || name.startsWith("org.apache.nifi.util.StandardProcessorTestRunner$RunProcessor")) {
                return true;
            }
        }
        return false;
    }

    private static String stackDepthNote() {
        return " (JFR keeps the top 64 frames of each stack)";
    }

    private static Map<String, Integer> filterHarness(final Map<String, Integer> inclusive) {
        final Map<String, Integer> filtered = new HashMap<>();
        inclusive.forEach((name, count) -> {
            if (!name.startsWith("io.datasync.nifi.benchmarks.") && !name.startsWith("org.apache.nifi.util.")
                    && !name.startsWith("java.lang.Thread.") && !name.startsWith("jdk.internal.reflect.")
                    && !name.startsWith("java.lang.reflect.")) {
                filtered.put(name, count);
            }
        });
        return filtered;
    }

    private static String name(final RecordedFrame frame) {
        return frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
    }

    private static void print(final String title, final Map<String, Integer> counts, final int samples, final int top) {
        System.out.println();
        System.out.println(title + ":");
        counts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .limit(top)
                .forEach(entry -> System.out.printf("  %5.1f%%  %s%n", 100.0 * entry.getValue() / Math.max(1, samples), entry.getKey()));
    }
}
