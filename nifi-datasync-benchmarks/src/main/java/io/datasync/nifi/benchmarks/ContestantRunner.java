package io.datasync.nifi.benchmarks;

import org.apache.nifi.json.JsonRecordSetWriter;
import org.apache.nifi.json.JsonTreeReader;
import org.apache.nifi.reporting.InitializationException;
import org.apache.nifi.serialization.RecordSetWriterFactory;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.MockProcessSession;
import org.apache.nifi.util.MockSessionFactory;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;

import com.sun.management.OperatingSystemMXBean;

import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.util.List;
import java.util.Set;

/**
 * Drives one contestant through nifi-mock's TestRunner: the processor is scheduled once (as in a
 * running flow) and then triggered once per measured FlowFile; its output is counted, checked and
 * released after each run so runs do not accumulate memory.
 */
final class ContestantRunner implements AutoCloseable {

    // TestRunner triggers the processor on a thread of its own, so CPU is counted for the whole
    // process: the processor's thread plus the GC and JIT threads working for it.
    private static final OperatingSystemMXBean OS = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private final RecordContestant contestant;
    private final TestRunner runner;
    private final Set<MockProcessSession> createdSessions;
    private boolean scheduled;

    /** Result of one triggered run. */
    record RunResult(long wallNanos, long cpuNanos, long recordsOut, long bytesOut) {
    }

    ContestantRunner(final RecordContestant contestant, final boolean probingWriter) throws InitializationException {
        this.contestant = contestant;
        this.runner = TestRunners.newTestRunner(contestant.processor().get());
        final JsonTreeReader reader = new JsonTreeReader();
        runner.addControllerService("json-reader", reader);
        runner.enableControllerService(reader);
        final RecordSetWriterFactory writer = probingWriter ? new ProbingJsonRecordSetWriter() : new JsonRecordSetWriter();
        runner.addControllerService("json-writer", writer);
        runner.enableControllerService(writer);
        runner.setProperty(contestant.readerProperty(), "json-reader");
        runner.setProperty(contestant.writerProperty(), "json-writer");
        contestant.configurer().configure(runner);
        runner.assertValid();
        this.createdSessions = createdSessions(runner);
    }

    String name() {
        return contestant.name();
    }

    RecordContestant contestant() {
        return contestant;
    }

    TestRunner testRunner() {
        return runner;
    }

    /** Enqueues the FlowFile content; not timed. */
    void enqueue(final byte[] content) {
        runner.enqueue(content);
    }

    /** Triggers the processor once on the enqueued FlowFile, timing only the trigger. */
    RunResult trigger() {
        final long cpuStart = OS.getProcessCpuTime();
        final long start = System.nanoTime();
        runner.run(1, false, !scheduled);
        final long wall = System.nanoTime() - start;
        final long cpu = OS.getProcessCpuTime() - cpuStart;
        scheduled = true;
        return new RunResult(wall, cpu, recordsOut(), bytesOut());
    }

    /** Runs one FlowFile, then checks and releases the output. */
    RunResult runOnce(final byte[] content, final long expectedRecordsIn) {
        enqueue(content);
        final RunResult result = trigger();
        checkAndRelease(expectedRecordsIn);
        return result;
    }

    /** Fails loudly if the contestant routed to failure or produced no records; then drops its output. */
    void checkAndRelease(final long expectedRecordsIn) {
        final List<MockFlowFile> failed = runner.getFlowFilesForRelationship("failure");
        if (!failed.isEmpty()) {
            throw new IllegalStateException(contestant.name() + " routed to failure: " + failed.getFirst().getAttributes());
        }
        if (recordsOut() == 0 && expectedRecordsIn > 0) {
            throw new IllegalStateException(contestant.name() + " wrote no records for " + expectedRecordsIn + " in");
        }
        release();
    }

    void release() {
        runner.clearTransferState();
        runner.clearProvenanceEvents();
        runner.clearQueue();
        // nifi-mock remembers every session it created, and a committed session can still hold its
        // FlowFiles' content: forgotten here so that runs do not accumulate memory (and so that
        // later runs do not pay for iterating earlier sessions).
        createdSessions.clear();
    }

    /** The factory's own set (its getter returns a read-only view), reached once by reflection. */
    @SuppressWarnings("unchecked")
    static Set<MockProcessSession> createdSessions(final TestRunner runner) {
        try {
            final Field field = MockSessionFactory.class.getDeclaredField("createdSessions");
            field.setAccessible(true);
            return (Set<MockProcessSession>) field.get(runner.getProcessSessionFactory());
        } catch (final ReflectiveOperationException e) {
            throw new IllegalStateException("This nifi-mock version keeps its sessions elsewhere; update ContestantRunner", e);
        }
    }

    private long recordsOut() {
        long total = 0;
        for (final String relationship : contestant.outputRelationships()) {
            for (final MockFlowFile flowFile : runner.getFlowFilesForRelationship(relationship)) {
                final String count = flowFile.getAttribute("record.count");
                total += count == null ? 0 : Long.parseLong(count);
            }
        }
        return total;
    }

    private long bytesOut() {
        long total = 0;
        for (final String relationship : contestant.outputRelationships()) {
            for (final MockFlowFile flowFile : runner.getFlowFilesForRelationship(relationship)) {
                total += flowFile.getSize();
            }
        }
        return total;
    }

    @Override
    public void close() {
        release();
        if (scheduled) {
            runner.stop();
        }
        runner.shutdown();
    }
}
