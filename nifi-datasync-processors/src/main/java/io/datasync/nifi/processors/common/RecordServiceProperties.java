package io.datasync.nifi.processors.common;

import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.serialization.RecordReaderFactory;
import org.apache.nifi.serialization.RecordSetWriterFactory;

/** The required "Record Reader" and "Record Writer" properties of the record processors; each describes its own use. */
public final class RecordServiceProperties {

    private RecordServiceProperties() {
    }

    public static PropertyDescriptor reader(final String description) {
        return new PropertyDescriptor.Builder()
                .name("Record Reader")
                .description(description)
                .identifiesControllerService(RecordReaderFactory.class)
                .required(true)
                .build();
    }

    public static PropertyDescriptor writer(final String description) {
        return new PropertyDescriptor.Builder()
                .name("Record Writer")
                .description(description)
                .identifiesControllerService(RecordSetWriterFactory.class)
                .required(true)
                .build();
    }
}
