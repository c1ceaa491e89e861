package io.datasync.nifi.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * Live-heap probe: a forced full collection followed by a read of the heap in use, which is then
 * the size of what is reachable (the live set), not of garbage that a lazy collector has not yet
 * reclaimed. The probing writer calls it at fixed points of a run, so the peak it reports is the
 * largest live set seen at those points, the same points for every contestant.
 */
final class HeapProbe {

    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    private static volatile boolean armed;
    private static volatile long probeEvery = Long.MAX_VALUE;
    private static long recordsWritten;
    private static long peakLiveBytes;
    private static int probes;

    private HeapProbe() {
    }

    /** Live heap in bytes after a full collection. */
    static long liveHeapBytes() {
        // Two passes: the first may only queue finalizable or reference-processed objects.
        System.gc();
        System.gc();
        return MEMORY.getHeapMemoryUsage().getUsed();
    }

    /** Starts a probed run over {@code expectedRecords} records: one probe per tenth of the output. */
    static synchronized void arm(final long expectedRecords) {
        recordsWritten = 0;
        peakLiveBytes = 0;
        probes = 0;
        probeEvery = Math.max(1, expectedRecords / 10);
        armed = true;
    }

    static synchronized long disarm() {
        armed = false;
        return peakLiveBytes;
    }

    static synchronized int probeCount() {
        return probes;
    }

    static boolean isArmed() {
        return armed;
    }

    /** A probe point: a writer was created or finished, before any of its records were written. */
    static synchronized void probe() {
        if (armed) {
            probes++;
            peakLiveBytes = Math.max(peakLiveBytes, liveHeapBytes());
        }
    }

    /** Counts a written record and probes at every tenth of the expected output (and at the first). */
    static void recordWritten() {
        if (armed) {
            final boolean due;
            synchronized (HeapProbe.class) {
                recordsWritten++;
                due = recordsWritten == 1 || recordsWritten % probeEvery == 0;
            }
            if (due) {
                probe();
            }
        }
    }
}
