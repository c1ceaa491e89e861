package io.datasync.nifi.benchmarks;

import org.apache.nifi.json.JsonRecordSetWriter;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.schema.access.SchemaNotFoundException;
import org.apache.nifi.serialization.RecordSetWriter;
import org.apache.nifi.serialization.WriteResult;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordSchema;
import org.apache.nifi.serialization.record.RecordSet;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;

/**
 * The stock JsonRecordSetWriter with heap probes at fixed points of its output: when a writer is
 * created (for processors that read everything first, this is their peak), at the first record,
 * at every tenth of the expected records and when the record set is finished. The records are
 * serialised by the stock writer unchanged, into a counting sink instead of the FlowFile (see
 * createWriter). Used only by the memory runs, never by throughput runs.
 */
public class ProbingJsonRecordSetWriter extends JsonRecordSetWriter {

    @Override
    public RecordSetWriter createWriter(final ComponentLog logger, final RecordSchema schema, final OutputStream out,
                                        final Map<String, String> variables) throws SchemaNotFoundException, IOException {
        HeapProbe.probe();
        // The stock writer does all its serialising work, but into a sink: nifi-mock would otherwise
        // keep the whole output in a growing in-memory array whose spare capacity jumps with size and
        // hides what the processor itself holds. The output's size is still counted.
        return new ProbedWriter(super.createWriter(logger, schema, new CountingSink(), variables));
    }

    /** Total bytes the probing writers have serialised since the last {@link #resetBytesWritten()}. */
    private static final java.util.concurrent.atomic.AtomicLong BYTES_WRITTEN = new java.util.concurrent.atomic.AtomicLong();

    static long bytesWritten() {
        return BYTES_WRITTEN.get();
    }

    static void resetBytesWritten() {
        BYTES_WRITTEN.set(0);
    }

    private static final class CountingSink extends OutputStream {
        @Override
        public void write(final int b) {
            BYTES_WRITTEN.incrementAndGet();
        }

        @Override
        public void write(final byte[] b, final int off, final int len) {
            BYTES_WRITTEN.addAndGet(len);
        }
    }

    private static final class ProbedWriter implements RecordSetWriter {
        private final RecordSetWriter delegate;

        ProbedWriter(final RecordSetWriter delegate) {
            this.delegate = delegate;
        }

        @Override
        public WriteResult write(final RecordSet recordSet) throws IOException {
            // As the stock writers do (begin, every record, finish), but record by record through this
            // wrapper so that the probes see the same points as with write(Record).
            beginRecordSet();
            Record record;
            while ((record = recordSet.next()) != null) {
                write(record);
            }
            return finishRecordSet();
        }

        @Override
        public void beginRecordSet() throws IOException {
            delegate.beginRecordSet();
        }

        @Override
        public WriteResult finishRecordSet() throws IOException {
            HeapProbe.probe();
            return delegate.finishRecordSet();
        }

        @Override
        public WriteResult write(final Record record) throws IOException {
            final WriteResult result = delegate.write(record);
            HeapProbe.recordWritten();
            return result;
        }

        @Override
        public String getMimeType() {
            return delegate.getMimeType();
        }

        @Override
        public void flush() throws IOException {
            delegate.flush();
        }

        @Override
        public void close() throws IOException {
            delegate.close();
        }
    }
}
