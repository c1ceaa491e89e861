package io.datasync.nifi.processors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;

import java.util.List;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ProfileMerge's List Delimiter against an oracle written from its documentation: a union field is one text, the
 * distinct non-blank elements of every record's list, sorted, joined with the delimiter; null when there are none.
 * The records come in any order, with nulls, blanks, repeats and elements that hold the delimiter (written as they are).
 */
class ProfileMergeListDelimiterPropertyTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DELIMITER = "|";

    @Property(tries = 150)
    void joinedUnionIsTheSortedSetOfNonBlankElements(@ForAll("recordTags") final List<List<String>> tagsPerRecord) throws Exception {
        final ArrayNode records = JSON.createArrayNode();
        for (int i = 0; i < tagsPerRecord.size(); i++) {
            final ObjectNode record = records.addObject();
            record.put("customer_id", "c1");
            record.put("source", "s" + i);
            record.put("updated_at", "2024-01-0" + (1 + i % 9) + "T00:00:00Z");
            final ArrayNode tags = record.putArray("tags");
            tagsPerRecord.get(i).forEach(tags::add);
        }
        final TestRunner runner = TestRunners.newTestRunner(ProfileMerge.class);
        JsonRecordServices.configure(runner, ProfileMerge.RECORD_READER.getName(), ProfileMerge.RECORD_WRITER.getName());
        runner.setProperty("tags", "union");
        runner.setProperty(ProfileMerge.LIST_DELIMITER, DELIMITER);
        runner.enqueue(JSON.writeValueAsBytes(records));
        runner.run();
        runner.assertAllFlowFilesTransferred(ProfileMerge.REL_SUCCESS, 1);
        final JsonNode tags = JSON.readTree(runner.getFlowFilesForRelationship(ProfileMerge.REL_SUCCESS).get(0).getContent()).get(0).get("tags");

        final String expected = oracle(tagsPerRecord);
        if (expected == null) {
            assertTrue(tags == null || tags.isNull(), () -> "no element must give null, was " + tags);
        } else {
            assertTrue(tags.isTextual(), () -> "a joined union is one text, was " + tags);
            assertEquals(expected, tags.asText());
        }
    }

    /** The documented rule, independently: distinct, non-null, non-blank, in natural order, joined; null when empty. */
    private static String oracle(final List<List<String>> tagsPerRecord) {
        final TreeSet<String> elements = new TreeSet<>();
        for (final List<String> tags : tagsPerRecord) {
            for (final String tag : tags) {
                if (tag != null && !tag.isBlank()) {
                    elements.add(tag);
                }
            }
        }
        return elements.isEmpty() ? null : String.join(DELIMITER, elements);
    }

    @Provide
    Arbitrary<List<List<String>>> recordTags() {
        final Arbitrary<String> tag = Arbitraries.of("a", " a", "b ", "b", "vip", "VIP", "x y", "", " ", "a|b", "é", "10", "9")
                .injectNull(0.1);
        final Arbitrary<List<String>> oneRecord = tag.list().ofMaxSize(5);
        return oneRecord.list().ofMinSize(1).ofMaxSize(4);
    }
}
