package io.datasync.nifi.processors.common;

import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.processor.util.StandardValidators;

/**
 * The "Records Held in Memory" property of the processors that read a FlowFile twice unless its parsed records fit in
 * memory: one name, default and range; each processor describes what it holds.
 */
public final class RecordsHeldInMemory {

    public static final String NAME = "Records Held in Memory";

    private RecordsHeldInMemory() {
    }

    public static PropertyDescriptor descriptor(final String description) {
        return new PropertyDescriptor.Builder()
                .name(NAME)
                .description(description)
                .addValidator(StandardValidators.createLongValidator(0, Integer.MAX_VALUE, true))
                .defaultValue("100000")
                .required(true)
                .build();
    }
}
