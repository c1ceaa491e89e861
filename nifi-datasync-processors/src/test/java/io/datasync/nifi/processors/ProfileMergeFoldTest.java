package io.datasync.nifi.processors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ProfileMerge's Retired Customer Key Field: folding the stored profile of a merged-away customer into the survivor's
 * gives the profile that merging both customers' source records together would have given (lineage keeps each stored
 * value's source and time), under the survivor's key, naming the folded keys so the write can retire their rows.
 */
class ProfileMergeFoldTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String[] SOURCES = {"crm", "web", "shop"};
    private static final String[] NAMES = {"Ann", "Anne", "Annie", null};
    private static final String[] CITIES = {"Berlin", "Paris", "Lyon", null, ""};
    private static final List<String> COMPARED = List.of("first_name", "email", "city", "updated_at");

    private static TestRunner runner(final StoredProfileLookupService stored) throws Exception {
        final TestRunner runner = TestRunners.newTestRunner(ProfileMerge.class);
        JsonRecordServices.configure(runner, ProfileMerge.RECORD_READER.getName(), ProfileMerge.RECORD_WRITER.getName());
        runner.setProperty(ProfileMerge.CUSTOMER_KEY_PATH, "/customer_id");
        runner.setProperty(ProfileMerge.LINEAGE_FIELD, "merge_lineage");
        runner.setProperty(ProfileMerge.RETIRED_KEY_FIELD, "retired_customer_ids");
        runner.setProperty("first_name", "source_priority:crm,web,shop");
        runner.setProperty("updated_at", "max");
        if (stored != null) {
            runner.addControllerService("stored", stored);
            runner.enableControllerService(stored);
            runner.setProperty(ProfileMerge.LOOKUP_SERVICE, "stored");
        }
        return runner;
    }

    private static List<JsonNode> merge(final TestRunner runner, final String json) throws Exception {
        runner.clearTransferState();
        runner.enqueue(json);
        runner.run();
        runner.assertAllFlowFilesTransferred(ProfileMerge.REL_SUCCESS, 1);
        final MockFlowFile out = runner.getFlowFilesForRelationship(ProfileMerge.REL_SUCCESS).get(0);
        final List<JsonNode> profiles = new ArrayList<>();
        MAPPER.readTree(out.getContent()).forEach(profiles::add);
        return profiles;
    }

    /** A written profile as the lookup view returns it: every field as text. */
    private static Record stored(final JsonNode profile) {
        final List<RecordField> fields = new ArrayList<>();
        final Map<String, Object> values = new LinkedHashMap<>();
        for (final Iterator<Map.Entry<String, JsonNode>> it = profile.fields(); it.hasNext(); ) {
            final Map.Entry<String, JsonNode> field = it.next();
            if (field.getKey().equals("retired_customer_ids")) {
                continue;
            }
            fields.add(new RecordField(field.getKey(), RecordFieldType.STRING.getDataType()));
            values.put(field.getKey(), field.getValue().isNull() ? null : field.getValue().asText());
        }
        return new MapRecord(new SimpleRecordSchema(fields), values);
    }

    private static String records(final String customerId, final Random random, final int count, final int[] clock) {
        final StringBuilder json = new StringBuilder("[");
        for (int i = 0; i < count; i++) {
            // Distinct times: ties are decided by the tie-break order, which a fold cannot change either way.
            clock[0] += 1 + random.nextInt(1000);
            json.append(i == 0 ? "" : ",").append("{\"customer_id\":\"").append(customerId).append("\",\"source\":\"")
                    .append(SOURCES[random.nextInt(SOURCES.length)]).append("\",\"updated_at\":\"")
                    .append(Instant.ofEpochSecond(1_700_000_000L + clock[0])).append('"');
            append(json, "first_name", NAMES[random.nextInt(NAMES.length)]);
            append(json, "email", random.nextInt(3) == 0 ? null : "p" + random.nextInt(4) + "@example.org");
            append(json, "city", CITIES[random.nextInt(CITIES.length)]);
            json.append('}');
        }
        return json.append(']').toString();
    }

    private static void append(final StringBuilder json, final String field, final String value) {
        json.append(",\"").append(field).append("\":").append(value == null ? "null" : "\"" + value + "\"");
    }

    @Property(tries = 60)
    void foldingAStoredProfileEqualsMergingBothCustomersRecords(@ForAll @LongRange(min = 1, max = 1_000_000_000L) final long seed,
                                                               @ForAll @IntRange(min = 1, max = 5) final int survivorRecords,
                                                               @ForAll @IntRange(min = 1, max = 5) final int retiredRecords) throws Exception {
        final Random random = new Random(seed);
        final int[] clock = {0};
        final String survivorJson = records("a", random, survivorRecords, clock);
        final String retiredJson = records("b", random, retiredRecords, clock);

        final StoredProfileLookupService lookups = new StoredProfileLookupService();
        final TestRunner runner = runner(lookups);
        lookups.put("a", stored(merge(runner(null), survivorJson).get(0)));
        lookups.put("b", stored(merge(runner(null), retiredJson).get(0)));
        final JsonNode folded = merge(runner, "[{\"customer_id\":\"a\",\"retired_customer_ids\":\"b\"}]").get(0);

        // The oracle: every source record of both customers merged at once, as if they had always been one customer.
        final String together = survivorJson.substring(0, survivorJson.length() - 1) + "," + retiredJson.substring(1).replace("\"b\"", "\"a\"");
        final JsonNode expected = merge(runner(null), together).get(0);

        assertEquals("a", folded.get("customer_id").asText(), "the survivor's key");
        assertEquals("b", folded.get("retired_customer_ids").asText(), "names the folded key");
        for (final String field : COMPARED) {
            assertEquals(text(expected.get(field)), text(folded.get(field)), field + " of " + together);
        }
    }

    private static String text(final JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }

    @Test
    void foldIntoACustomerWithoutAStoredProfileMovesTheRetiredProfileUnderTheSurvivor() throws Exception {
        final StoredProfileLookupService lookups = new StoredProfileLookupService();
        final TestRunner runner = runner(lookups);
        lookups.put("old", stored(merge(runner(null), records("old", new Random(3), 2, new int[1])).get(0)));
        final List<JsonNode> out = merge(runner, "[{\"customer_id\":\"new\",\"retired_customer_ids\":\" old \"}]");
        assertEquals(1, out.size());
        assertEquals("new", out.get(0).get("customer_id").asText());
        assertEquals("old", out.get(0).get("retired_customer_ids").asText());
        assertTrue(out.get(0).get("merge_lineage").asText().contains("updated_at"));
    }

    @Test
    void aFoldThatFindsNoStoredProfileWritesNothingAndRecordsStillMerge() throws Exception {
        final StoredProfileLookupService lookups = new StoredProfileLookupService();
        final TestRunner runner = runner(lookups);
        final List<JsonNode> out = merge(runner, "[{\"customer_id\":\"x\",\"retired_customer_ids\":\"gone\"},"
                + "{\"customer_id\":\"y\",\"source\":\"crm\",\"updated_at\":\"2024-01-01T00:00:00Z\",\"first_name\":\"Bo\","
                + "\"retired_customer_ids\":null},{\"customer_id\":\"z\",\"retired_customer_ids\":\"z\"}]");
        assertEquals(1, out.size(), "x folds nothing that exists, z folds itself: only y is written");
        assertEquals("y", out.get(0).get("customer_id").asText());
        assertTrue(out.get(0).get("retired_customer_ids") == null || out.get(0).get("retired_customer_ids").isNull());
        assertEquals(4, lookups.getLookups(), "x, gone, y and z looked up");
    }

    @Test
    void aRetiredKeyThatIsNotOneValueIsUnmergeable() throws Exception {
        final TestRunner runner = runner(new StoredProfileLookupService());
        runner.enqueue("[{\"customer_id\":\"a\",\"retired_customer_ids\":[\"b\",\"c\"]}]");
        runner.run();
        runner.assertAllFlowFilesTransferred(ProfileMerge.REL_FAILURE, 1);
        final String error = runner.getFlowFilesForRelationship(ProfileMerge.REL_FAILURE).get(0).getAttribute(ProfileMerge.ERROR);
        assertTrue(error.contains("retired_customer_ids"), error);
        assertFalse(error.contains("\"b\""), error);
    }
}
