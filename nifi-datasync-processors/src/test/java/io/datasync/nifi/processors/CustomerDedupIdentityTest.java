package io.datasync.nifi.processors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ids that do not change from run to run, the per-record phone region, and the cluster-size guard
 * across FlowFiles.
 */
class CustomerDedupIdentityTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static TestRunner runner(final InMemoryMapCacheClient cache) throws Exception {
        final TestRunner runner = TestRunners.newTestRunner(CustomerDedup.class);
        JsonRecordServices.configure(runner, CustomerDedup.RECORD_READER.getName(), CustomerDedup.RECORD_WRITER.getName());
        runner.setProperty("email", "/email");
        runner.setProperty("phone", "/phone");
        runner.setProperty(CustomerDedup.EMAIL_RECORD_PATHS, "/email");
        runner.setProperty(CustomerDedup.PHONE_RECORD_PATHS, "/phone");
        runner.setProperty(CustomerDedup.IDENTITY_HASH_KEY, "unit-test-key");
        if (cache != null) {
            runner.addControllerService("cache", cache);
            runner.enableControllerService(cache);
            runner.setProperty(CustomerDedup.MAP_CACHE_CLIENT, "cache");
        }
        return runner;
    }

    private static List<JsonNode> run(final TestRunner runner, final String json) throws IOException {
        runner.clearTransferState();
        runner.enqueue(json);
        runner.run();
        runner.assertTransferCount(CustomerDedup.REL_SUCCESS, 1);
        final List<JsonNode> records = new ArrayList<>();
        MAPPER.readTree(runner.getFlowFilesForRelationship(CustomerDedup.REL_SUCCESS).get(0).getContent()).forEach(records::add);
        return records;
    }

    private static String id(final List<JsonNode> records, final int index) {
        return records.get(index).get("customer_id").asText();
    }

    @Test
    void keylessRecordsGetTheSameIdOnEveryRunFromTheirSourceId() throws Exception {
        final String first = "[{\"source\":\"crm\",\"source_id\":\"A-1\",\"name\":\"Ann\",\"email\":\"n/a\"},{\"source\":\"crm\",\"source_id\":\"A-2\",\"name\":\"Ann\"}]";
        final String edited = "[{\"source\":\"crm\",\"source_id\":\"A-1\",\"name\":\"Ann B.\",\"email\":null}]";
        final TestRunner withIds = runner(null);
        withIds.setProperty(CustomerDedup.RECORD_ID_RECORD_PATHS, "/source, /source_id");
        final List<JsonNode> once = run(withIds, first);
        final TestRunner anotherRun = runner(null);
        anotherRun.setProperty(CustomerDedup.RECORD_ID_RECORD_PATHS, "/source, /source_id");
        final List<JsonNode> twice = run(anotherRun, first);
        assertEquals(id(once, 0), id(twice, 0));
        assertNotEquals(id(once, 0), id(once, 1), "different source ids, different customers");
        assertEquals(id(once, 0), id(run(withIds, edited), 0), "the source id decides, whatever else changed");
        UUID.fromString(id(once, 0));

        final TestRunner byContent = runner(null);
        final List<JsonNode> contentIds = run(byContent, first);
        assertEquals(contentIds.stream().map(r -> r.get("customer_id").asText()).toList(),
                run(runner(null), first).stream().map(r -> r.get("customer_id").asText()).toList(), "a hash of the content: the same on every run");
        assertNotEquals(id(contentIds, 0), id(run(byContent, edited), 0), "without Record ID Record Paths, other content is another record");
        assertNotEquals(id(contentIds, 0), id(once, 0), "the two derivations never coincide");
    }

    @Test
    void newCustomersGetIdsDerivedFromTheirKeysEvenWithoutACache() throws Exception {
        final String json = "[{\"email\":\"jane@example.org\"},{\"email\":\"bob@example.org\",\"phone\":\"+44 20 7946 0958\"}]";
        final List<JsonNode> first = run(runner(null), json);
        final List<JsonNode> second = run(runner(null), json);
        assertEquals(id(first, 0), id(second, 0));
        assertEquals(id(first, 1), id(second, 1));
        assertNotEquals(id(first, 0), id(first, 1));

        final TestRunner otherKey = runner(null);
        otherKey.setProperty(CustomerDedup.IDENTITY_HASH_KEY, "another-key");
        assertNotEquals(id(first, 0), id(run(otherKey, json), 0), "another key is another namespace");
    }

    @Test
    void phoneRegionComesFromTheRecordsCountry() throws Exception {
        final TestRunner runner = runner(null);
        runner.setProperty(CustomerDedup.PHONE_REGION_RECORD_PATH, "/country");
        final List<JsonNode> records = run(runner, "["
                + "{\"phone\":\"030 7551991\",\"country\":\"Deutschland\"},{\"phone\":\"+49 30 7551991\",\"country\":null},"
                + "{\"phone\":\"020 7946 0958\",\"country\":\"UK\"},{\"phone\":\"+44 20 7946 0958\",\"country\":\"GB-ENG\"},"
                + "{\"phone\":\"(415) 555-2671\",\"country\":\"US-CA\"},{\"phone\":\"+1 415 555 2671\",\"country\":\"Brasil\"},"
                + "{\"phone\":\"(11) 96123-4477\",\"country\":\"Brasil\"},{\"phone\":\"+55 11 96123 4477\",\"country\":\"nowhere\"},"
                + "{\"phone\":\"030 7551991\",\"country\":\"nowhere\"}]");
        assertEquals(id(records, 0), id(records, 1), "DE national number read in Germany");
        assertEquals(id(records, 2), id(records, 3), "UK and GB-ENG are GB");
        assertEquals(id(records, 4), id(records, 5), "US-CA is US; a number with its country code ignores the record's country");
        assertEquals(id(records, 6), id(records, 7), "Brasil is BR");
        assertNotEquals(id(records, 0), id(records, 8), "an unknown country falls back to the default region (US)");
    }

    @Test
    void aKeyThatLinksTooManyKeysAcrossFlowFilesStopsLinking() throws Exception {
        final InMemoryMapCacheClient cache = new InMemoryMapCacheClient();
        final TestRunner runner = runner(cache);
        runner.setProperty(CustomerDedup.MAX_CLUSTER_SIZE, "3");
        final String office = "+44 20 7946 0000";
        final List<String> ids = new ArrayList<>();
        final List<MockFlowFile> outputs = new ArrayList<>();
        for (int customer = 1; customer <= 6; customer++) {
            final List<JsonNode> records = run(runner, "[{\"email\":\"person" + customer + "@example.org\",\"phone\":\"" + office + "\"}]");
            ids.add(id(records, 0));
            outputs.add(runner.getFlowFilesForRelationship(CustomerDedup.REL_SUCCESS).get(0));
            assertEquals(customer >= 5, records.get(0).get("dedup_suspect").asBoolean(), "customer " + customer);
        }
        assertEquals(1, new HashSet<>(ids.subList(0, 4)).size(), "the shared number links until it has linked more than 3 keys");
        assertEquals(3, new HashSet<>(ids).size(), "then it links nobody more");
        outputs.get(4).assertAttributeEquals(CustomerDedup.OVER_LIMIT_KEY_COUNT, "1");
        outputs.get(4).assertAttributeEquals(CustomerDedup.SUSPECT_COUNT, "1");
        outputs.get(0).assertAttributeEquals(CustomerDedup.OVER_LIMIT_KEY_COUNT, "0");
        assertTrue(runner.getLogger().getWarnMessages().stream().anyMatch(message -> message.getMsg().contains("will link nothing more")));
        // Customers 5 and 6 each meet the shared number over its limit; 1, 5 and 6 are new customers, 2 to 4 join customer 1.
        assertEquals(2L, runner.getCounterValue("CustomerDedup over-limit keys"));
        assertEquals(6L, runner.getCounterValue("CustomerDedup records processed"));
        assertEquals(3L, runner.getCounterValue("CustomerDedup new customers"));
        assertEquals(3L, runner.getCounterValue("CustomerDedup duplicates linked"));

        final int entries = cache.size();
        final List<JsonNode> again = run(runner, "[{\"email\":\"person2@example.org\",\"phone\":\"" + office + "\"}]");
        assertEquals(ids.get(1), id(again, 0), "a known customer keeps its id through its e-mail");
        assertEquals(entries, cache.size(), "re-fed data claims nothing and counts nothing");
        assertFalse(cache.snapshot().keySet().stream().anyMatch(key -> key.contains("7946")), "no raw number in the cache");
    }
}
