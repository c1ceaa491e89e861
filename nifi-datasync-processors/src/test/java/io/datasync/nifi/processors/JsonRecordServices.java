package io.datasync.nifi.processors;

import org.apache.nifi.json.JsonRecordSetWriter;
import org.apache.nifi.json.JsonTreeReader;
import org.apache.nifi.reporting.InitializationException;
import org.apache.nifi.util.TestRunner;

/**
 * Wires the stock JsonTreeReader (schema inferred) and JsonRecordSetWriter (schema inherited from
 * the records) into a processor under test, the way a flow in the NiFi UI would.
 */
public final class JsonRecordServices {

    public static final String READER_ID = "json-reader";
    public static final String WRITER_ID = "json-writer";

    private JsonRecordServices() {
    }

    /**
     * Adds and enables the reader and writer, and points the given processor properties at them.
     */
    public static void configure(final TestRunner runner, final String readerPropertyName, final String writerPropertyName)
            throws InitializationException {
        final JsonTreeReader reader = new JsonTreeReader();
        runner.addControllerService(READER_ID, reader);
        runner.enableControllerService(reader);

        final JsonRecordSetWriter writer = new JsonRecordSetWriter();
        runner.addControllerService(WRITER_ID, writer);
        runner.enableControllerService(writer);

        runner.setProperty(readerPropertyName, READER_ID);
        runner.setProperty(writerPropertyName, WRITER_ID);
    }
}
