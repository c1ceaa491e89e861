package io.datasync.nifi.processors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A value of the wrong type never wins a max or min rule.
 */
class ProfileMergeWrongTypeTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String CONTENT = """
            [{"customer_id":"c1","source":"crm","updated_at":"2024-05-01T10:00:00Z","lifetime_value":10.5,"score":3},
             {"customer_id":"c1","source":"web","updated_at":"2024-05-02T10:00:00Z","lifetime_value":"abc","score":"zzz"},
             {"customer_id":"c2","source":"crm","updated_at":"2024-05-01T10:00:00Z","lifetime_value":7,"score":1},
             {"customer_id":"c2","source":"web","updated_at":"2024-05-02T10:00:00Z","lifetime_value":"12.25","score":2}]""";

    private TestRunner runner;

    @BeforeEach
    void setUp() throws Exception {
        runner = TestRunners.newTestRunner(ProfileMerge.class);
        JsonRecordServices.configure(runner, ProfileMerge.RECORD_READER.getName(), ProfileMerge.RECORD_WRITER.getName());
        runner.setProperty(ProfileMerge.CUSTOMER_KEY_PATH, "/customer_id");
        runner.setProperty("lifetime_value", "max");
        runner.setProperty("score", "min");
    }

    @Test
    void textNeverWinsANumericRuleAndIsCounted() throws Exception {
        runner.enqueue(CONTENT);
        runner.run();
        runner.assertAllFlowFilesTransferred(ProfileMerge.REL_SUCCESS, 1);
        final MockFlowFile out = runner.getFlowFilesForRelationship(ProfileMerge.REL_SUCCESS).get(0);
        final JsonNode profiles = MAPPER.readTree(out.getContent());
        assertEquals("c1", profiles.get(0).get("customer_id").asText());
        assertEquals(10.5, Double.parseDouble(profiles.get(0).get("lifetime_value").asText()), 0.0, "\"abc\" does not beat 10.5 under max");
        assertEquals(3.0, Double.parseDouble(profiles.get(0).get("score").asText()), 0.0, "\"zzz\" does not win min either");
        assertEquals(12.25, Double.parseDouble(profiles.get(1).get("lifetime_value").asText()), 0.0, "numeric text competes by its value");
        out.assertAttributeEquals(ProfileMerge.WRONG_TYPE_VALUES_ATTRIBUTE, "2");
        assertEquals(2L, runner.getCounterValue("ProfileMerge wrong-type values skipped"));
    }

    @Test
    void wrongTypeCanSendTheFlowFileToFailureNamingTheFieldOnly() {
        runner.setProperty(ProfileMerge.WRONG_TYPE_VALUES, ProfileMerge.WrongTypeHandling.FAIL.getValue());
        runner.enqueue(CONTENT);
        runner.run();
        runner.assertAllFlowFilesTransferred(ProfileMerge.REL_FAILURE, 1);
        final MockFlowFile failed = runner.getFlowFilesForRelationship(ProfileMerge.REL_FAILURE).get(0);
        failed.assertContentEquals(CONTENT);
        final String error = failed.getAttribute(ProfileMerge.ERROR);
        assertTrue(error.contains("lifetime_value"), error);
        assertFalse(error.contains("abc") || error.contains("zzz"), "the value is never quoted: " + error);
        // the processor's random id (in the log prefix) may itself hold "abc": look past it
        final String processorId = runner.getProcessor().getIdentifier();
        runner.getLogger().getErrorMessages().forEach(message ->
                assertFalse(message.getMsg().replace(processorId, "").contains("abc"), message.getMsg()));
        assertEquals(1L, runner.getCounterValue("ProfileMerge FlowFiles routed to failure"));
        assertNull(runner.getCounterValue("ProfileMerge wrong-type values skipped"));
        assertNull(runner.getCounterValue("ProfileMerge records in"));
    }
}
