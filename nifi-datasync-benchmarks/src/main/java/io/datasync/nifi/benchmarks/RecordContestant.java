package io.datasync.nifi.benchmarks;

import org.apache.nifi.processor.Processor;
import org.apache.nifi.reporting.InitializationException;
import org.apache.nifi.util.TestRunner;

import java.util.List;
import java.util.function.Supplier;

/**
 * One record contestant: a processor configured as a user would, reading and writing with the
 * stock JSON services, plus the relationships whose FlowFiles hold its output records.
 *
 * @param name             short name used in the tables
 * @param processor        creates a fresh processor instance
 * @param configurer       sets the processor's properties once the reader and writer are in place
 * @param readerProperty   name of the processor's Record Reader property
 * @param writerProperty   name of the processor's Record Writer property
 * @param outputRelationships relationships whose FlowFiles carry records out (their record.count is summed)
 */
public record RecordContestant(String name, Supplier<Processor> processor, Configurer configurer,
                               String readerProperty, String writerProperty, List<String> outputRelationships) {

    /** Sets the processor-specific properties (and any extra services) on a runner. */
    @FunctionalInterface
    public interface Configurer {
        void configure(TestRunner runner) throws InitializationException;
    }
}
