package io.datasync.nifi.processors.consentfilter;

import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.schema.access.SchemaNotFoundException;
import org.apache.nifi.serialization.RecordSetWriter;
import org.apache.nifi.serialization.RecordSetWriterFactory;
import org.apache.nifi.serialization.WriteResult;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordSchema;

import java.io.IOException;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.Map;

/**
 * One output FlowFile of ConsentFilter, created on its first record so that a relationship that
 * receives no records gets no empty FlowFile.
 */
final class ConsentOutput {

    private final Relationship relationship;
    private final RecordSetWriterFactory writerFactory;

    private FlowFile flowFile;
    private OutputStream out;
    private RecordSetWriter writer;
    private int recordCount;
    private Map<String, String> writeAttributes = Map.of();
    private String mimeType;

    ConsentOutput(final Relationship relationship, final RecordSetWriterFactory writerFactory) {
        this.relationship = relationship;
        this.writerFactory = writerFactory;
    }

    Relationship relationship() {
        return relationship;
    }

    boolean isStarted() {
        return flowFile != null;
    }

    int recordCount() {
        return recordCount;
    }

    /**
     * Writes one record, first creating the child FlowFile and its writer with the given schema.
     */
    void write(final Record record, final RecordSchema schema, final ProcessSession session, final FlowFile original, final ComponentLog logger)
            throws IOException, SchemaNotFoundException {
        if (writer == null) {
            flowFile = session.create(original);
            out = session.write(flowFile);
            final RecordSchema writeSchema = writerFactory.getSchema(original.getAttributes(), schema);
            writer = writerFactory.createWriter(logger, writeSchema, out, original);
            writer.beginRecordSet();
        }
        writer.write(record);
        recordCount++;
    }

    /** Finishes the record set and closes the content; the FlowFile is then complete. */
    void finish() throws IOException {
        if (writer == null) {
            return;
        }
        final WriteResult result = writer.finishRecordSet();
        writeAttributes = new HashMap<>(result.getAttributes());
        mimeType = writer.getMimeType();
        // closing flushes the last bytes, so its failure must fail the FlowFile
        final RecordSetWriter finishedWriter = writer;
        writer = null;
        finishedWriter.close();
        final OutputStream finishedOut = out;
        out = null;
        finishedOut.close();
    }

    /**
     * Adds the writer's and the given attributes and returns the finished FlowFile.
     */
    FlowFile complete(final ProcessSession session, final Map<String, String> attributes) {
        final Map<String, String> all = new HashMap<>(writeAttributes);
        all.putAll(attributes);
        all.put("record.count", String.valueOf(recordCount));
        if (mimeType != null) {
            all.put("mime.type", mimeType);
        }
        flowFile = session.putAllAttributes(flowFile, all);
        return flowFile;
    }

    /** Closes and removes the child, if any: used when the FlowFile as a whole fails. */
    void discard(final ProcessSession session) {
        closeQuietly();
        if (flowFile != null) {
            session.remove(flowFile);
            flowFile = null;
        }
    }

    private void closeQuietly() {
        try {
            if (writer != null) {
                writer.close();
            }
        } catch (final IOException | RuntimeException ignored) {
            // the content is discarded or already complete; a failed close changes nothing
        }
        try {
            if (out != null) {
                out.close();
            }
        } catch (final IOException | RuntimeException ignored) {
            // as above
        }
        writer = null;
        out = null;
    }
}
