package io.datasync.nifi.processors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * ProfileMerge's newest-timestamp attribute against an oracle written from its documentation: the newest instant among
 * the records' timestamps (each customer's profile keeps its latest record's, so the newest profile is the newest
 * record), written in UTC with milliseconds; absent when no record has one. Times come with any offset, with or
 * without fractions, and some records have none, so neither text order nor one offset can pass for time order.
 */
class ProfileMergeNewestTimestampPropertyTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One input record: its customer (0-3) and its time (null: the record has no updated_at). */
    record Input(int customer, OffsetDateTime time, boolean withFraction) {
    }

    @Property(tries = 200)
    void theAttributeIsTheNewestRecordTimeInUtcWithMilliseconds(@ForAll("inputs") final List<Input> inputs) throws Exception {
        final ArrayNode records = JSON.createArrayNode();
        for (int i = 0; i < inputs.size(); i++) {
            final Input input = inputs.get(i);
            final ObjectNode record = records.addObject();
            record.put("customer_id", "c" + input.customer());
            record.put("source", "s" + i);
            if (input.time() != null) {
                record.put("updated_at", input.time().format(input.withFraction()
                        ? DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX") : DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssXXX")));
            }
        }
        final TestRunner runner = TestRunners.newTestRunner(ProfileMerge.class);
        JsonRecordServices.configure(runner, ProfileMerge.RECORD_READER.getName(), ProfileMerge.RECORD_WRITER.getName());
        runner.enqueue(JSON.writeValueAsBytes(records));
        runner.run();
        runner.assertAllFlowFilesTransferred(ProfileMerge.REL_SUCCESS, 1);
        final MockFlowFile out = runner.getFlowFilesForRelationship(ProfileMerge.REL_SUCCESS).get(0);

        final String expected = oracle(inputs);
        if (expected == null) {
            out.assertAttributeNotExists(ProfileMerge.NEWEST_TIMESTAMP);
        } else {
            out.assertAttributeEquals(ProfileMerge.NEWEST_TIMESTAMP, expected);
        }
    }

    /** Newest instant of the dated records, as UTC text with exactly three fraction digits; null when none is dated. */
    private static String oracle(final List<Input> inputs) {
        Instant newest = null;
        for (final Input input : inputs) {
            if (input.time() != null) {
                final Instant time = input.withFraction() ? input.time().toInstant() : input.time().withNano(0).toInstant();
                if (newest == null || time.isAfter(newest)) {
                    newest = time;
                }
            }
        }
        if (newest == null) {
            return null;
        }
        final String utc = newest.atOffset(ZoneOffset.UTC).toString();
        // OffsetDateTime.toString leaves out zero seconds and fractions: put back what the documented form always has
        final String seconds = utc.length() == "2024-05-01T10:00Z".length() ? utc.replace("Z", ":00Z") : utc;
        final String base = seconds.substring(0, "2024-05-01T10:00:00".length());
        final int millis = newest.getNano() / 1_000_000;
        return base + "." + String.format("%03d", millis) + "Z";
    }

    @Provide
    Arbitrary<List<Input>> inputs() {
        final Arbitrary<OffsetDateTime> times = Combinators.combine(
                Arbitraries.longs().between(1_600_000_000_000L, 1_900_000_000_000L),
                Arbitraries.of(ZoneOffset.UTC, ZoneOffset.ofHours(2), ZoneOffset.ofHoursMinutes(-5, -30), ZoneOffset.ofHours(14)))
                .as((millis, offset) -> Instant.ofEpochMilli(millis).atOffset(offset));
        final Arbitrary<Input> input = Combinators.combine(Arbitraries.integers().between(0, 3), times.injectNull(0.2), Arbitraries.of(true, false))
                .as(Input::new);
        return input.list().ofMinSize(1).ofMaxSize(8);
    }
}
