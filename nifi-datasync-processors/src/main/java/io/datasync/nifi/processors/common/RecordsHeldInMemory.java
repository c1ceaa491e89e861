package io.datasync.nifi.processors.common;

import io.datasync.nifi.identity.HeldRecordsBudget;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.PropertyValue;
import org.apache.nifi.processor.util.StandardValidators;

/**
 * The "Records Held in Memory" property of the processors that read a FlowFile twice unless its parsed records fit in
 * memory: one name, default and range; each processor describes what it holds.
 */
public final class RecordsHeldInMemory {

    static final String NAME = "Records Held in Memory";

    private RecordsHeldInMemory() {
    }

    /**
     * @param whatIsHeld what the processor holds and when, ending with a full stop; the heap estimate and the meaning of 0,
     *                   the same for every processor, follow it
     */
    public static PropertyDescriptor descriptor(final String whatIsHeld) {
        return new PropertyDescriptor.Builder()
                .name(NAME)
                .description(whatIsHeld + " Parsed records take roughly " + HeldRecordsBudget.HEAP_BYTES_PER_CONTENT_BYTE + " times the "
                        + "FlowFile's size in heap, per concurrent task, so a FlowFile whose estimate exceeds one eighth of the JVM's maximum "
                        + "heap is read twice whatever its record count. 0 always reads twice.")
                .addValidator(StandardValidators.createLongValidator(0, Integer.MAX_VALUE, true))
                .defaultValue("100000")
                .required(true)
                .build();
    }

    /** The budget the configured count and one eighth of the JVM's maximum heap allow. */
    public static HeldRecordsBudget budget(final PropertyValue recordsHeldInMemory) {
        return new HeldRecordsBudget(recordsHeldInMemory.asInteger(), Runtime.getRuntime().maxMemory() / 8);
    }
}
