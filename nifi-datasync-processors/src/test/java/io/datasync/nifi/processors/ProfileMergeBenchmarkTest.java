package io.datasync.nifi.processors;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.management.OperatingSystemMXBean;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.processor.AbstractProcessor;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.serialization.RecordReader;
import org.apache.nifi.serialization.RecordReaderFactory;
import org.apache.nifi.serialization.RecordSetWriter;
import org.apache.nifi.serialization.RecordSetWriterFactory;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Throughput of ProfileMerge against a plain read+write of the same records with the same reader and
 * writer (what ConvertRecord does). Not a timed assertion: run with {@code -Dbenchmark=true} and read
 * the printed ratio (target: at least 0.5).
 */
@EnabledIfSystemProperty(named = "benchmark", matches = "true")
class ProfileMergeBenchmarkTest {

    private static final int CUSTOMERS = 10_000;
    private static final int RECORDS_PER_CUSTOMER = 3;
    private static final int ROUNDS = 5;

    /** The floor: read every record and write it unchanged. */
    public static class ReadWriteProcessor extends AbstractProcessor {
        static final PropertyDescriptor READER = new PropertyDescriptor.Builder().name("Record Reader")
                .identifiesControllerService(RecordReaderFactory.class).required(true).build();
        static final PropertyDescriptor WRITER = new PropertyDescriptor.Builder().name("Record Writer")
                .identifiesControllerService(RecordSetWriterFactory.class).required(true).build();
        static final Relationship SUCCESS = new Relationship.Builder().name("success").build();

        @Override
        protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
            return List.of(READER, WRITER);
        }

        @Override
        public Set<Relationship> getRelationships() {
            return Set.of(SUCCESS);
        }

        @Override
        public void onTrigger(final ProcessContext context, final ProcessSession session) {
            FlowFile flowFile = session.get();
            final RecordReaderFactory readerFactory = context.getProperty(READER).asControllerService(RecordReaderFactory.class);
            final RecordSetWriterFactory writerFactory = context.getProperty(WRITER).asControllerService(RecordSetWriterFactory.class);
            final FlowFile original = flowFile;
            flowFile = session.write(flowFile, (final InputStream in, final OutputStream out) -> {
                try (RecordReader reader = readerFactory.createRecordReader(original, in, getLogger());
                     RecordSetWriter writer = writerFactory.createWriter(getLogger(),
                             writerFactory.getSchema(original.getAttributes(), reader.getSchema()), out, original)) {
                    writer.beginRecordSet();
                    Record record;
                    while ((record = reader.nextRecord()) != null) {
                        writer.write(record);
                    }
                    writer.finishRecordSet();
                } catch (final Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            session.transfer(flowFile, SUCCESS);
        }
    }

    private static byte[] input() {
        final String[] sources = {"crm", "shop", "web"};
        final Random random = new Random(1);
        final StringBuilder json = new StringBuilder(CUSTOMERS * RECORDS_PER_CUSTOMER * 300).append('[');
        for (int customer = 0; customer < CUSTOMERS; customer++) {
            for (int i = 0; i < RECORDS_PER_CUSTOMER; i++) {
                if (json.length() > 1) {
                    json.append(',');
                }
                json.append(String.format(Locale.ROOT,
                        "{\"customer_id\":\"c%d\",\"source\":\"%s\",\"updated_at\":\"2024-05-%02dT10:%02d:00Z\",\"first_name\":\"Name%d\","
                                + "\"last_name\":\"Last%d\",\"email\":\"u%d@%s.example\",\"phone\":\"+3360000%04d\",\"email_consent\":\"%s\","
                                + "\"tags\":[\"t%d\",\"t%d\"],\"lifetime_value\":%d}",
                        customer, sources[i], 1 + random.nextInt(28), random.nextInt(60), customer, customer, customer, sources[i],
                        random.nextInt(10_000), random.nextBoolean() ? "granted" : "withdrawn", random.nextInt(5), random.nextInt(5),
                        random.nextInt(5000)));
            }
        }
        return json.append(']').toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Records per second of process CPU time (best round after warm-up). CPU time rather than wall time, because
     * build machines are shared and wall time mostly measures the neighbours.
     */
    private static double recordsPerSecond(final TestRunner runner, final Relationship success, final byte[] content) {
        final OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long best = Long.MAX_VALUE;
        for (int round = 0; round < ROUNDS + 2; round++) {
            runner.clearTransferState();
            runner.enqueue(content);
            final long start = os.getProcessCpuTime();
            runner.run();
            final long elapsed = os.getProcessCpuTime() - start;
            runner.assertAllFlowFilesTransferred(success, 1);
            if (round >= 2) {
                best = Math.min(best, elapsed);
            }
        }
        return CUSTOMERS * RECORDS_PER_CUSTOMER / (best / 1e9);
    }

    @Test
    void profileMergeAgainstPlainReadWrite() throws Exception {
        final byte[] content = input();

        final TestRunner floor = TestRunners.newTestRunner(ReadWriteProcessor.class);
        JsonRecordServices.configure(floor, ReadWriteProcessor.READER.getName(), ReadWriteProcessor.WRITER.getName());
        final double floorBefore = recordsPerSecond(floor, ReadWriteProcessor.SUCCESS, content);
        final double plainRate = mergeRate(content, false);
        final double lineageRate = mergeRate(content, true);
        // Measured again once the JIT has seen everything, and the better floor kept, so the ratio is not flattered.
        final double floorRate = Math.max(floorBefore, recordsPerSecond(floor, ReadWriteProcessor.SUCCESS, content));
        System.out.printf(Locale.ROOT, "BENCHMARK read+write: %.0f records/s; ProfileMerge: %.0f records/s (ratio %.2f); "
                        + "with lineage: %.0f records/s (ratio %.2f)%n",
                floorRate, plainRate, plainRate / floorRate, lineageRate, lineageRate / floorRate);
    }

    private static double mergeRate(final byte[] content, final boolean lineage) throws Exception {
        final TestRunner merge = TestRunners.newTestRunner(ProfileMerge.class);
        JsonRecordServices.configure(merge, ProfileMerge.RECORD_READER.getName(), ProfileMerge.RECORD_WRITER.getName());
        merge.setProperty("first_name", "source_priority:crm,web,shop");
        merge.setProperty("email_consent", "consent");
        merge.setProperty("tags", "union");
        merge.setProperty("lifetime_value", "max");
        if (lineage) {
            merge.setProperty(ProfileMerge.LINEAGE_FIELD, "_lineage");
        }
        final double rate = recordsPerSecond(merge, ProfileMerge.REL_SUCCESS, content);
        assertEquals(String.valueOf(CUSTOMERS),
                merge.getFlowFilesForRelationship(ProfileMerge.REL_SUCCESS).get(0).getAttribute(ProfileMerge.PROFILES_OUT));
        return rate;
    }
}
