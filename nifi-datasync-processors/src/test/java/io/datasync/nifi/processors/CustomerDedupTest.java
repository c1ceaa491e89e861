package io.datasync.nifi.processors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.nifi.json.JsonRecordSetWriter;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.provenance.ProvenanceEventRecord;
import org.apache.nifi.provenance.ProvenanceEventType;
import org.apache.nifi.schema.access.SchemaNotFoundException;
import org.apache.nifi.serialization.RecordSetWriter;
import org.apache.nifi.serialization.record.RecordSchema;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CustomerDedupTest {

    private static final String CACHE_ID = "identity-cache";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private TestRunner runner;

    @BeforeEach
    void setUp() throws Exception {
        runner = newRunner();
    }

    private static TestRunner newRunner() throws Exception {
        final TestRunner testRunner = TestRunners.newTestRunner(CustomerDedup.class);
        JsonRecordServices.configure(testRunner, CustomerDedup.RECORD_READER.getName(), CustomerDedup.RECORD_WRITER.getName());
        return testRunner;
    }

    private static InMemoryMapCacheClient addCache(final TestRunner testRunner, final InMemoryMapCacheClient cache) throws Exception {
        testRunner.addControllerService(CACHE_ID, cache);
        testRunner.enableControllerService(cache);
        testRunner.setProperty(CustomerDedup.MAP_CACHE_CLIENT, CACHE_ID);
        return cache;
    }

    private static List<JsonNode> records(final MockFlowFile flowFile) throws IOException {
        final List<JsonNode> records = new ArrayList<>();
        MAPPER.readTree(flowFile.getContent()).forEach(records::add);
        return records;
    }

    private static List<String> ids(final List<JsonNode> records) {
        return records.stream().map(record -> record.get("customer_id").asText()).toList();
    }

    private static String json(final String... records) {
        return "[" + String.join(",", records) + "]";
    }

    private List<JsonNode> runSingle(final String content) throws IOException {
        runner.enqueue(content);
        runner.run();
        runner.assertTransferCount(CustomerDedup.REL_FAILURE, 0);
        runner.assertTransferCount(CustomerDedup.REL_SUCCESS, 1);
        final MockFlowFile out = runner.getFlowFilesForRelationship(CustomerDedup.REL_SUCCESS).get(0);
        runner.clearTransferState();
        return records(out);
    }

    private void emailAndPhoneRules(final String region) {
        runner.setProperty("email", "/email");
        runner.setProperty("phone", "/phone");
        runner.setProperty(CustomerDedup.EMAIL_RECORD_PATHS, "/email");
        runner.setProperty(CustomerDedup.PHONE_RECORD_PATHS, "/phone");
        runner.setProperty(CustomerDedup.DEFAULT_PHONE_REGION, region);
    }

    @Test
    void linksTransitivelyOverThreeRulesAndAnnotatesEveryRecord() throws IOException {
        emailAndPhoneRules("GB");
        runner.setProperty("crm", "/crm_id");

        runner.enqueue(json(
                "{\"source\":\"crm\",\"crm_id\":\"CRM-1\",\"email\":\"Jane.Doe@Example.org\",\"phone\":null}",
                "{\"source\":\"shop\",\"crm_id\":null,\"email\":\" jane.doe@example.org \",\"phone\":\"020 7946 0958\"}",
                "{\"source\":\"form\",\"crm_id\":\"CRM-7\",\"email\":null,\"phone\":\"+44 20 7946 0958\"}",
                "{\"source\":\"crm\",\"crm_id\":\"CRM-7\",\"email\":\"other@example.org\",\"phone\":null}",
                "{\"source\":\"shop\",\"crm_id\":null,\"email\":\"bob@example.org\",\"phone\":null}"));
        runner.run();

        runner.assertAllFlowFilesTransferred(CustomerDedup.REL_SUCCESS, 1);
        final MockFlowFile out = runner.getFlowFilesForRelationship(CustomerDedup.REL_SUCCESS).get(0);
        final List<JsonNode> records = records(out);
        assertEquals(5, records.size());
        final List<String> ids = ids(records);
        assertEquals(ids.get(0), ids.get(1));
        assertEquals(ids.get(0), ids.get(2));
        assertEquals(ids.get(0), ids.get(3));
        assertNotEquals(ids.get(0), ids.get(4));
        UUID.fromString(ids.get(0));
        UUID.fromString(ids.get(4));
        assertEquals(List.of(false, true, true, true, false), records.stream().map(record -> record.get("is_duplicate").asBoolean()).toList());
        records.forEach(record -> assertFalse(record.get("dedup_suspect").asBoolean()));
        assertEquals("crm", records.get(0).get("source").asText(), "original fields are kept");

        out.assertAttributeEquals(CustomerDedup.RECORD_COUNT_IN, "5");
        out.assertAttributeEquals(CustomerDedup.CUSTOMER_COUNT, "2");
        out.assertAttributeEquals(CustomerDedup.DUPLICATE_COUNT, "3");
        out.assertAttributeEquals(CustomerDedup.MERGE_COUNT, "0");
        out.assertAttributeEquals(CustomerDedup.SUSPECT_COUNT, "0");
        out.assertAttributeEquals("record.count", "5");
        out.assertAttributeEquals("mime.type", "application/json");
        out.assertAttributeNotExists(CustomerDedup.MERGED_IDS);

        final List<ProvenanceEventRecord> events = runner.getProvenanceEvents();
        assertTrue(events.stream().anyMatch(event -> event.getEventType() == ProvenanceEventType.CONTENT_MODIFIED
                && event.getDetails().startsWith("5 records, 2 customers, 3 duplicates, 0 merges")), events.toString());
        assertEquals(5L, runner.getCounterValue("CustomerDedup records processed"));
        assertEquals(2L, runner.getCounterValue("CustomerDedup new customers"));
        assertEquals(3L, runner.getCounterValue("CustomerDedup duplicates linked"));
        assertNull(runner.getCounterValue("CustomerDedup merges"));
        assertNull(runner.getCounterValue("CustomerDedup placeholder values blocked"));
    }

    @Test
    void countersCountRecordsNewCustomersLinkedDuplicatesMergesAndBlockedPlaceholders() throws Exception {
        emailAndPhoneRules("GB");
        addCache(runner, new InMemoryMapCacheClient());
        runSingle(json("{\"email\":\"jane@example.org\",\"phone\":null,\"row\":1}"));
        runSingle(json("{\"email\":null,\"phone\":\"020 7946 0958\",\"row\":2}"));
        runSingle(json(
                "{\"email\":\"jane@example.org\",\"phone\":\"+44 20 7946 0958\",\"row\":3}",
                "{\"email\":\"other@example.org\",\"phone\":null,\"row\":4}",
                "{\"email\":\"test@example.com\",\"phone\":null,\"row\":5}",
                "{\"email\":\"TEST@example.com\",\"phone\":null,\"row\":6}"));

        // Row 3 joins the two known customers (and merges them); rows 4, 5 and 6 are new (5 and 6 carry only a placeholder).
        assertEquals(6L, runner.getCounterValue("CustomerDedup records processed"));
        assertEquals(5L, runner.getCounterValue("CustomerDedup new customers"));
        assertEquals(1L, runner.getCounterValue("CustomerDedup duplicates linked"));
        assertEquals(1L, runner.getCounterValue("CustomerDedup merges"));
        assertEquals(2L, runner.getCounterValue("CustomerDedup placeholder values blocked"));
        assertNull(runner.getCounterValue("CustomerDedup over-limit keys"));
    }

    @Test
    void documentedCrmShopAndWebFormExampleLinksAsDescribed() throws Exception {
        runner.setProperty("email", "coalesce(/email, /customer_email)");
        runner.setProperty("phone", "coalesce(/mobile, /phone, /phone_number)");
        runner.setProperty("name_postcode", "/last_name, /first_name, /postcode");
        runner.setProperty(CustomerDedup.EMAIL_RECORD_PATHS, "coalesce(/email, /customer_email)");
        runner.setProperty(CustomerDedup.PHONE_RECORD_PATHS, "coalesce(/mobile, /phone, /phone_number)");
        runner.setProperty(CustomerDedup.DEFAULT_PHONE_REGION, "GB");
        runner.setProperty(CustomerDedup.TEXT_RECORD_PATHS, "/last_name, /first_name, /postcode");
        addCache(runner, new InMemoryMapCacheClient());

        final String crmId = ids(runSingle(json("{\"crm_id\": \"CRM-1001\", \"email\": \"Jane.Doe@Gmail.com\", \"mobile\": \"07911 123456\", "
                + "\"first_name\": \"Jane\", \"last_name\": \"Doe\", \"postcode\": \"SW1A 1AA\", \"updated_at\": \"2024-05-01T09:00:00Z\"}"))).get(0);
        final String shopId = ids(runSingle(json("{\"order_id\": 5521, \"customer_email\": \"janedoe+shop@googlemail.com\", \"phone\": \"+44 7911 123456\"}"))).get(0);
        final List<String> formIds = ids(runSingle(json(
                "{\"email\": \"test@example.com\", \"phone_number\": \"0044 7911 123456\", \"first_name\": \"JANE\", \"last_name\": \" doe \", \"postcode\": \"sw1a 1aa\"}",
                "{\"email\": \"test@example.com\", \"phone_number\": \"n/a\", \"first_name\": null, \"last_name\": null, \"postcode\": null}")));
        assertEquals(crmId, shopId);
        assertEquals(crmId, formIds.get(0));
        assertNotEquals(crmId, formIds.get(1));
        runner.assertTransferCount(CustomerDedup.REL_MERGES, 0);
    }

    @Test
    void textNormalizerMatchesCompositeNameAndPostcode() throws IOException {
        runner.setProperty("name_zip", "/last_name, /first_name, /zip");
        runner.setProperty("email", "/email");
        runner.setProperty(CustomerDedup.TEXT_RECORD_PATHS, "/last_name, /first_name, /zip");
        runner.setProperty(CustomerDedup.REMOVE_ACCENTS, "true");
        runner.setProperty(CustomerDedup.EMAIL_RECORD_PATHS, "/email");

        final List<String> ids = ids(runSingle(json(
                "{\"first_name\":\"François\",\"last_name\":\"Müller\",\"zip\":\"SW1A 1AA\",\"email\":\"f.muller+shop@gmail.com\"}",
                "{\"first_name\":\"FRANCOIS\",\"last_name\":\"  muller \",\"zip\":\"ｓｗ１ａ  1aa\",\"email\":null}",
                "{\"first_name\":\"Anna\",\"last_name\":\"Schmidt\",\"zip\":\"10115\",\"email\":\"fmuller@googlemail.com\"}",
                "{\"first_name\":\"Anna\",\"last_name\":\"Schmidt\",\"zip\":null,\"email\":null}")));
        assertEquals(ids.get(0), ids.get(1), "name and postcode match after NFKC, folding and accent removal");
        assertEquals(ids.get(0), ids.get(2), "Gmail dots, +tag and googlemail.com are ignored");
        assertNotEquals(ids.get(0), ids.get(3), "a composite key with a missing part links nothing");
    }

    @Test
    void gmailRulesAndAccentRemovalCanBeSwitchedOff() throws IOException {
        runner.setProperty("email", "/email");
        runner.setProperty("name", "/name");
        runner.setProperty(CustomerDedup.EMAIL_RECORD_PATHS, "/email");
        runner.setProperty(CustomerDedup.GMAIL_RULES, "false");
        runner.setProperty(CustomerDedup.TEXT_RECORD_PATHS, "/name");

        final List<String> ids = ids(runSingle(json(
                "{\"email\":\"f.muller@gmail.com\",\"name\":\"Müller\"}",
                "{\"email\":\"fmuller@gmail.com\",\"name\":\"Muller\"}",
                "{\"email\":\"F.Muller@GMAIL.com\",\"name\":null}",
                "{\"email\":null,\"name\":\"MÜLLER\"}")));
        assertNotEquals(ids.get(0), ids.get(1));
        assertEquals(ids.get(0), ids.get(2));
        assertEquals(ids.get(0), ids.get(3));
    }

    @Test
    void phoneNumbersFromFourCountriesMatchAcrossWritings() throws IOException {
        runner.setProperty("phone", "/phone");
        runner.setProperty(CustomerDedup.PHONE_RECORD_PATHS, "/phone");
        runner.setProperty(CustomerDedup.DEFAULT_PHONE_REGION, "GB");

        final List<String> ids = ids(runSingle(json(
                "{\"phone\":\"020 7946 0958\"}", "{\"phone\":\"+44 (0)20 7946 0958\"}",
                "{\"phone\":\"0049 30 901820\"}", "{\"phone\":\"+49 30 901820\"}",
                "{\"phone\":\"001 650 253 0000\"}", "{\"phone\":\"+1 (650) 253-0000\"}",
                "{\"phone\":\"0033 1 42 68 53 00\"}", "{\"phone\":\"+33 1 42 68 53 00\"}",
                // Records without a usable key get ids from their content: these two differ in "row", as two people would.
                "{\"phone\":\"12345\",\"row\":1}", "{\"phone\":\"12345\",\"row\":2}")));
        for (int pair = 0; pair < 4; pair++) {
            assertEquals(ids.get(2 * pair), ids.get(2 * pair + 1), "pair " + pair);
        }
        assertEquals(6, new HashSet<>(ids).size(), "four countries plus two invalid numbers that link nothing");
    }

    @Test
    void phoneNumbersDependOnTheDefaultRegion() throws IOException {
        runner.setProperty("phone", "/phone");
        runner.setProperty(CustomerDedup.PHONE_RECORD_PATHS, "/phone");
        runner.setProperty(CustomerDedup.DEFAULT_PHONE_REGION, "US");

        final List<String> ids = ids(runSingle(json("{\"phone\":\"(650) 253-0000\"}", "{\"phone\":\"+16502530000\"}", "{\"phone\":\"020 7946 0958\"}",
                "{\"phone\":\"+442079460958\"}")));
        assertEquals(ids.get(0), ids.get(1));
        assertNotEquals(ids.get(2), ids.get(3), "a UK national number means nothing in the US region");
    }

    @Test
    void blockedValuesNeverLink() throws IOException {
        emailAndPhoneRules("US");
        final String content = json(
                "{\"email\":\"test@example.com\",\"phone\":null}",
                "{\"email\":\"TEST@example.com \",\"phone\":null}",
                "{\"email\":\"n/a\",\"phone\":\"0000000000\"}",
                "{\"email\":\"N/A\",\"phone\":\"0000000000\"}",
                "{\"email\":\"\",\"phone\":\"\",\"row\":5}",
                "{\"email\":\"\",\"phone\":\"\",\"row\":6}",
                "{\"email\":\"noreply@shop.example\",\"phone\":null,\"row\":7}",
                "{\"email\":\"noreply@shop.example\",\"phone\":null,\"row\":8}");
        List<String> ids = ids(runSingle(content));
        assertEquals(8, new HashSet<>(ids).size(), "the default list blocks test, n/a, repeated digits and noreply addresses");

        runner.setProperty(CustomerDedup.BLOCKED_VALUES, "noreply@shop.example");
        ids = ids(runSingle(content));
        assertNotEquals(ids.get(6), ids.get(7), "configured blocked value");
        assertEquals(ids.get(0), ids.get(1), "a configured list replaces the defaults");
        assertEquals(ids.get(0), ids.get(1), "the configured list replaces the defaults");
    }

    @Test
    void keySharedByTooManyRecordsIsFlaggedNotLinked() throws IOException {
        emailAndPhoneRules("GB");
        runner.setProperty(CustomerDedup.MAX_CLUSTER_SIZE, "3");

        runner.enqueue(json(
                "{\"email\":\"a@example.org\",\"phone\":\"020 7946 0000\"}",
                "{\"email\":\"b@example.org\",\"phone\":\"020 7946 0000\"}",
                "{\"email\":\"c@example.org\",\"phone\":\"020 7946 0000\"}",
                "{\"email\":\"d@example.org\",\"phone\":\"020 7946 0000\"}",
                "{\"email\":\"d@example.org\",\"phone\":null}",
                "{\"email\":\"e@example.org\",\"phone\":\"020 7946 0001\"}",
                "{\"email\":\"f@example.org\",\"phone\":\"020 7946 0001\"}"));
        runner.run();
        final MockFlowFile out = runner.getFlowFilesForRelationship(CustomerDedup.REL_SUCCESS).get(0);
        final List<JsonNode> records = records(out);
        final List<String> ids = ids(records);
        assertEquals(4, new HashSet<>(ids.subList(0, 5)).size(), "the shared office number links nobody");
        assertEquals(ids.get(3), ids.get(4), "other keys of flagged records still link");
        assertEquals(ids.get(5), ids.get(6), "a key within the limit links");
        assertEquals(List.of(true, true, true, true, false, false, false),
                records.stream().map(record -> record.get("dedup_suspect").asBoolean()).toList());
        out.assertAttributeEquals(CustomerDedup.SUSPECT_COUNT, "4");
        out.assertAttributeEquals(CustomerDedup.CUSTOMER_COUNT, "5");
        assertEquals(1L, runner.getCounterValue("CustomerDedup keys shared by too many records"));
        assertEquals(4L, runner.getCounterValue("CustomerDedup suspect records"));
        assertEquals(7L, runner.getCounterValue("CustomerDedup records processed"));
        assertEquals(5L, runner.getCounterValue("CustomerDedup new customers"));
        assertEquals(2L, runner.getCounterValue("CustomerDedup duplicates linked"));
    }

    @Test
    void idsAreStableAcrossFlowFilesAndTheCacheHoldsOnlyHashes() throws Exception {
        emailAndPhoneRules("GB");
        final InMemoryMapCacheClient cache = addCache(runner, new InMemoryMapCacheClient());

        final List<String> first = ids(runSingle(json("{\"email\":\"jane@example.org\",\"phone\":null}", "{\"email\":\"bob@example.org\",\"phone\":null}")));
        final List<String> second = ids(runSingle(json("{\"email\":\"carl@example.org\",\"phone\":null}", "{\"email\":\" JANE@example.org\",\"phone\":null}")));
        assertEquals(first.get(0), second.get(1));
        assertNotEquals(first.get(1), second.get(0));

        final Map<String, String> entries = cache.snapshot();
        assertEquals(3, entries.size());
        entries.forEach((key, value) -> {
            assertTrue(key.matches("k:[0-9a-f]{64}"), key);
            UUID.fromString(value);
        });
        assertFalse(entries.toString().contains("example"));
    }

    @Test
    void twoProcessorsSharingOneCacheAgreeOnIdsForTheSameNewKeys() throws Exception {
        final InMemoryMapCacheClient cache = new InMemoryMapCacheClient();
        cache.setYieldInsideCalls(true);
        final TestRunner nodeOne = newRunner();
        final TestRunner nodeTwo = newRunner();
        for (final TestRunner node : List.of(nodeOne, nodeTwo)) {
            node.setProperty("email", "/email");
            node.setProperty("phone", "/phone");
            node.setProperty(CustomerDedup.EMAIL_RECORD_PATHS, "/email");
            node.setProperty(CustomerDedup.PHONE_RECORD_PATHS, "/phone");
            node.setProperty(CustomerDedup.DEFAULT_PHONE_REGION, "GB");
            addCache(node, cache);
        }

        final ExecutorService executor = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 30; round++) {
                final String content = json(
                        "{\"email\":\"a" + round + "@example.org\",\"phone\":\"020 7946 " + (1000 + round) + "\"}",
                        "{\"email\":\"b" + round + "@example.org\",\"phone\":\"+44 20 7946 " + (1000 + round) + "\"}",
                        "{\"email\":\"c" + round + "@example.org\",\"phone\":null}",
                        "{\"email\":\"C" + round + "@Example.org\",\"phone\":\"020 7946 " + (5000 + round) + "\"}");
                final CyclicBarrier start = new CyclicBarrier(2);
                final List<Future<List<String>>> results = new ArrayList<>();
                for (final TestRunner node : List.of(nodeOne, nodeTwo)) {
                    node.enqueue(content);
                    results.add(executor.submit(() -> {
                        start.await(10, TimeUnit.SECONDS);
                        node.run();
                        final List<MockFlowFile> out = node.getFlowFilesForRelationship(CustomerDedup.REL_SUCCESS);
                        assertEquals(1, out.size());
                        node.assertTransferCount(CustomerDedup.REL_MERGES, 0);
                        final List<String> ids = ids(records(out.get(0)));
                        node.clearTransferState();
                        return ids;
                    }));
                }
                final List<String> fromOne = results.get(0).get(30, TimeUnit.SECONDS);
                final List<String> fromTwo = results.get(1).get(30, TimeUnit.SECONDS);
                assertEquals(fromOne, fromTwo, "round " + round);
                assertEquals(fromOne.get(0), fromOne.get(1));
                assertEquals(fromOne.get(2), fromOne.get(3));
                assertNotEquals(fromOne.get(0), fromOne.get(2));
            }
        } finally {
            executor.shutdownNow();
        }
        assertTrue(cache.getAndPutIfAbsentCalls() > 0);
        assertTrue(cache.claimsFoundTaken() > 0, "the two processors did race for the same keys");
    }

    @Test
    void flowFileLinkingTwoKnownIdsMergesThemDeterministically() throws Exception {
        emailAndPhoneRules("GB");
        final InMemoryMapCacheClient cache = addCache(runner, new InMemoryMapCacheClient());

        final String emailId = ids(runSingle(json("{\"email\":\"jane@example.org\",\"phone\":null}"))).get(0);
        final String phoneId = ids(runSingle(json("{\"email\":null,\"phone\":\"020 7946 0958\"}"))).get(0);
        assertNotEquals(emailId, phoneId);
        final String survivor = emailId.compareTo(phoneId) < 0 ? emailId : phoneId;
        final String merged = survivor.equals(emailId) ? phoneId : emailId;

        runner.enqueue(json("{\"email\":\"jane@example.org\",\"phone\":\"+44 20 7946 0958\"}", "{\"email\":\"other@example.org\",\"phone\":null}"));
        runner.run();
        runner.assertTransferCount(CustomerDedup.REL_SUCCESS, 1);
        runner.assertTransferCount(CustomerDedup.REL_MERGES, 1);
        final MockFlowFile out = runner.getFlowFilesForRelationship(CustomerDedup.REL_SUCCESS).get(0);
        assertEquals(survivor, ids(records(out)).get(0));
        out.assertAttributeEquals(CustomerDedup.MERGE_COUNT, "1");
        out.assertAttributeEquals(CustomerDedup.MERGED_IDS, merged + ">" + survivor);

        final MockFlowFile merges = runner.getFlowFilesForRelationship(CustomerDedup.REL_MERGES).get(0);
        merges.assertAttributeEquals("record.count", "1");
        merges.assertAttributeEquals(CustomerDedup.MERGE_COUNT, "1");
        final JsonNode merge = records(merges).get(0);
        assertEquals(merged, merge.get(CustomerDedup.MERGE_OLD_ID_FIELD).asText());
        assertEquals(survivor, merge.get(CustomerDedup.MERGE_SURVIVING_ID_FIELD).asText());
        assertTrue(merge.get(CustomerDedup.MERGE_REASON_FIELD).asText().contains("linked by rules email, phone"), merge.toString());
        runner.clearTransferState();

        // Both keys now lead to the survivor.
        assertEquals(List.of(survivor, survivor), ids(runSingle(json("{\"email\":null,\"phone\":\"02079460958\"}", "{\"email\":\"jane@example.org\",\"phone\":null}"))));
        runner.assertTransferCount(CustomerDedup.REL_MERGES, 0);
        assertTrue(cache.snapshot().containsValue(survivor));
    }

    @Test
    void existingIdFieldIsKeptAndTheSmallestWinsWithinAFlowFile() throws IOException {
        runner.setProperty("email", "/email");
        runner.setProperty(CustomerDedup.EMAIL_RECORD_PATHS, "/email");
        runner.setProperty(CustomerDedup.EXISTING_ID_RECORD_PATH, "/customer_id");

        runner.enqueue(json(
                "{\"customer_id\":\"C-200\",\"email\":\"jane@example.org\"}",
                "{\"customer_id\":\"C-100\",\"email\":\"Jane@example.org\"}",
                "{\"customer_id\":null,\"email\":\"jane@example.org\"}",
                "{\"customer_id\":\"C-300\",\"email\":\"bob@example.org\"}",
                "{\"customer_id\":null,\"email\":\"carl@example.org\"}"));
        runner.run();
        final MockFlowFile out = runner.getFlowFilesForRelationship(CustomerDedup.REL_SUCCESS).get(0);
        final List<String> ids = ids(records(out));
        assertEquals(List.of("C-100", "C-100", "C-100", "C-300"), ids.subList(0, 4));
        UUID.fromString(ids.get(4));
        runner.assertTransferCount(CustomerDedup.REL_MERGES, 1);
        final JsonNode merge = records(runner.getFlowFilesForRelationship(CustomerDedup.REL_MERGES).get(0)).get(0);
        assertEquals("C-200", merge.get(CustomerDedup.MERGE_OLD_ID_FIELD).asText());
        assertEquals("C-100", merge.get(CustomerDedup.MERGE_SURVIVING_ID_FIELD).asText());
    }

    @Test
    void routeModeSplitsUniqueAndDuplicateRecords() throws IOException {
        runner.setProperty(CustomerDedup.OUTPUT_MODE, CustomerDedup.OutputMode.ROUTE.getValue());
        runner.setProperty("email", "/email");
        runner.setProperty(CustomerDedup.EMAIL_RECORD_PATHS, "/email");
        assertEquals(Set.of(CustomerDedup.REL_UNIQUE, CustomerDedup.REL_DUPLICATE, CustomerDedup.REL_MERGES, CustomerDedup.REL_FAILURE),
                runner.getProcessor().getRelationships());

        runner.enqueue(json("{\"n\":1,\"email\":\"a@example.org\"}", "{\"n\":2,\"email\":\"A@example.org\"}", "{\"n\":3,\"email\":\"b@example.org\"}",
                "{\"n\":4,\"email\":\"a@example.org \"}"));
        runner.run();
        runner.assertTransferCount(CustomerDedup.REL_UNIQUE, 1);
        runner.assertTransferCount(CustomerDedup.REL_DUPLICATE, 1);
        runner.assertTransferCount(CustomerDedup.REL_FAILURE, 0);
        final MockFlowFile unique = runner.getFlowFilesForRelationship(CustomerDedup.REL_UNIQUE).get(0);
        final MockFlowFile duplicate = runner.getFlowFilesForRelationship(CustomerDedup.REL_DUPLICATE).get(0);
        final List<JsonNode> uniqueRecords = records(unique);
        final List<JsonNode> duplicateRecords = records(duplicate);
        assertEquals(List.of(1, 3), uniqueRecords.stream().map(record -> record.get("n").asInt()).toList());
        assertEquals(List.of(2, 4), duplicateRecords.stream().map(record -> record.get("n").asInt()).toList());
        assertEquals(ids(uniqueRecords).get(0), ids(duplicateRecords).get(0));
        assertEquals(ids(uniqueRecords).get(0), ids(duplicateRecords).get(1));
        uniqueRecords.forEach(record -> assertFalse(record.get("is_duplicate").asBoolean()));
        duplicateRecords.forEach(record -> assertTrue(record.get("is_duplicate").asBoolean()));
        unique.assertAttributeEquals("record.count", "2");
        duplicate.assertAttributeEquals("record.count", "2");
        for (final MockFlowFile flowFile : List.of(unique, duplicate)) {
            flowFile.assertAttributeEquals(CustomerDedup.RECORD_COUNT_IN, "4");
            flowFile.assertAttributeEquals(CustomerDedup.CUSTOMER_COUNT, "2");
            flowFile.assertAttributeEquals(CustomerDedup.DUPLICATE_COUNT, "2");
        }
    }

    @Test
    void routeModeWithoutDuplicatesSendsAnEmptyDuplicateSet() throws IOException {
        runner.setProperty(CustomerDedup.OUTPUT_MODE, CustomerDedup.OutputMode.ROUTE.getValue());
        runner.setProperty("email", "/email");
        runner.enqueue(json("{\"email\":\"a@example.org\"}", "{\"email\":\"b@example.org\"}"));
        runner.run();
        assertEquals(2, records(runner.getFlowFilesForRelationship(CustomerDedup.REL_UNIQUE).get(0)).size());
        runner.getFlowFilesForRelationship(CustomerDedup.REL_DUPLICATE).get(0).assertAttributeEquals("record.count", "0");
    }

    private List<JsonNode> collapse(final CustomerDedup.SurvivorStrategy strategy, final String content) throws IOException {
        runner.setProperty(CustomerDedup.OUTPUT_MODE, CustomerDedup.OutputMode.COLLAPSE.getValue());
        runner.setProperty(CustomerDedup.SURVIVOR_STRATEGY, strategy.getValue());
        runner.setProperty("email", "/email");
        runner.setProperty(CustomerDedup.EMAIL_RECORD_PATHS, "/email");
        runner.enqueue(content);
        runner.run();
        runner.assertAllFlowFilesTransferred(CustomerDedup.REL_SUCCESS, 1);
        final MockFlowFile out = runner.getFlowFilesForRelationship(CustomerDedup.REL_SUCCESS).get(0);
        out.assertAttributeEquals(CustomerDedup.RECORD_COUNT_IN, "5");
        out.assertAttributeEquals(CustomerDedup.CUSTOMER_COUNT, "2");
        out.assertAttributeEquals("record.count", "2");
        final List<JsonNode> records = records(out);
        records.forEach(record -> assertFalse(record.get("is_duplicate").asBoolean()));
        return records;
    }

    private static final String COLLAPSE_INPUT = json(
            "{\"n\":1,\"email\":\"a@example.org\",\"name\":null,\"city\":null,\"updated\":\"2024-01-05T10:00:00Z\"}",
            "{\"n\":2,\"email\":\"A@example.org\",\"name\":\"Ann\",\"city\":\"Leeds\",\"updated\":\"2024-01-01T10:00:00Z\"}",
            "{\"n\":3,\"email\":\"b@example.org\",\"name\":\"Bo\",\"city\":null,\"updated\":null}",
            "{\"n\":4,\"email\":\"a@example.org\",\"name\":\"Ann\",\"city\":null,\"updated\":\"2024-03-01T09:00:00+01:00\"}",
            "{\"n\":5,\"email\":\"b@example.org\",\"name\":\"Bo\",\"city\":null,\"updated\":\"2023-12-31\"}");

    @Test
    void collapseKeepsTheLatestRecord() throws IOException {
        runner.setProperty(CustomerDedup.TIMESTAMP_RECORD_PATH, "/updated");
        final List<JsonNode> records = collapse(CustomerDedup.SurvivorStrategy.LATEST_TIMESTAMP, COLLAPSE_INPUT);
        assertEquals(List.of(4, 5), records.stream().map(record -> record.get("n").asInt()).toList());
        assertNotEquals(records.get(0).get("customer_id").asText(), records.get(1).get("customer_id").asText());
    }

    @Test
    void collapseKeepsTheMostCompleteRecord() throws IOException {
        final List<JsonNode> records = collapse(CustomerDedup.SurvivorStrategy.MOST_COMPLETE, COLLAPSE_INPUT);
        assertEquals(List.of(2, 5), records.stream().map(record -> record.get("n").asInt()).toList());
    }

    @Test
    void collapseKeepsTheFirstSeenRecord() throws IOException {
        final List<JsonNode> records = collapse(CustomerDedup.SurvivorStrategy.FIRST_SEEN, COLLAPSE_INPUT);
        assertEquals(List.of(1, 3), records.stream().map(record -> record.get("n").asInt()).toList());
    }

    @Test
    void rereadingTheFlowFileGivesTheSameResultAsHoldingItsRecords() throws IOException {
        runner.setProperty(CustomerDedup.OUTPUT_MODE, CustomerDedup.OutputMode.ROUTE.getValue());
        emailAndPhoneRules("GB");
        runner.setProperty(CustomerDedup.EXISTING_ID_RECORD_PATH, "/id");
        final String content = json(
                "{\"n\":1,\"id\":\"C-9\",\"email\":\"a@example.org\",\"phone\":null}",
                "{\"n\":2,\"id\":null,\"email\":\"A@example.org\",\"phone\":\"020 7946 0958\"}",
                "{\"n\":3,\"id\":\"C-5\",\"email\":\"b@example.org\",\"phone\":null}",
                "{\"n\":4,\"id\":\"C-1\",\"email\":null,\"phone\":\"+44 20 7946 0958\"}");
        final List<String> outputs = new ArrayList<>();
        // 10000: held; 2: limit passed mid-FlowFile, read again; 0: always read again.
        for (final String held : List.of("10000", "2", "0")) {
            runner.setProperty(CustomerDedup.RECORDS_HELD_IN_MEMORY, held);
            runner.enqueue(content);
            runner.run();
            runner.assertTransferCount(CustomerDedup.REL_UNIQUE, 1);
            runner.assertTransferCount(CustomerDedup.REL_DUPLICATE, 1);
            final List<JsonNode> unique = records(runner.getFlowFilesForRelationship(CustomerDedup.REL_UNIQUE).get(0));
            final List<JsonNode> duplicate = records(runner.getFlowFilesForRelationship(CustomerDedup.REL_DUPLICATE).get(0));
            assertEquals(List.of("C-1", "C-5"), ids(unique), held);
            assertEquals(List.of("C-1", "C-1"), ids(duplicate), held);
            outputs.add(unique + "|" + duplicate);
            runner.clearTransferState();
        }
        assertEquals(1, new HashSet<>(outputs).size(), outputs.toString());
    }

    @Test
    void malformedInputGoesToFailureUnchanged() {
        runner.setProperty(CustomerDedup.OUTPUT_MODE, CustomerDedup.OutputMode.ROUTE.getValue());
        runner.setProperty("email", "/email");
        final String content = "[{\"email\":\"a@example.org\"}, {\"email\": ";
        runner.enqueue(content);
        runner.run();
        runner.assertAllFlowFilesTransferred(CustomerDedup.REL_FAILURE, 1);
        final MockFlowFile failed = runner.getFlowFilesForRelationship(CustomerDedup.REL_FAILURE).get(0);
        failed.assertContentEquals(content);
        assertTrue(failed.getAttribute(CustomerDedup.ERROR_ATTRIBUTE).startsWith("Records could not be processed"));
        assertTrue(failed.isPenalized());
        assertEquals(0, runner.getQueueSize().getObjectCount());
    }

    /**
     * The stock JSON writer, failing from the given call of createWriter on (simulates a full content repository).
     */
    static class FailingJsonRecordSetWriter extends JsonRecordSetWriter {
        private final AtomicInteger calls = new AtomicInteger();
        private final int failFromCall;

        FailingJsonRecordSetWriter(final int failFromCall) {
            this.failFromCall = failFromCall;
        }

        @Override
        public RecordSetWriter createWriter(final ComponentLog logger, final RecordSchema schema, final OutputStream out,
                                           final Map<String, String> variables) throws SchemaNotFoundException, IOException {
            if (calls.incrementAndGet() >= failFromCall) {
                throw new IOException("No space left on device");
            }
            return super.createWriter(logger, schema, out, variables);
        }
    }

    @Test
    void failureWhileWritingRemovesEveryCreatedChild() throws Exception {
        runner.setProperty(CustomerDedup.OUTPUT_MODE, CustomerDedup.OutputMode.ROUTE.getValue());
        runner.setProperty("email", "/email");
        runner.setProperty(CustomerDedup.EXISTING_ID_RECORD_PATH, "/id");
        // The merge FlowFile is written first (call 1); the main output (call 2) fails.
        final FailingJsonRecordSetWriter failingWriter = new FailingJsonRecordSetWriter(2);
        runner.addControllerService("failing-writer", failingWriter);
        runner.enableControllerService(failingWriter);
        runner.setProperty(CustomerDedup.RECORD_WRITER, "failing-writer");

        final String content = json("{\"id\":\"C-2\",\"email\":\"a@example.org\"}", "{\"id\":\"C-1\",\"email\":\"a@example.org\"}");
        runner.enqueue(content);
        runner.run();
        runner.assertAllFlowFilesTransferred(CustomerDedup.REL_FAILURE, 1);
        final MockFlowFile failed = runner.getFlowFilesForRelationship(CustomerDedup.REL_FAILURE).get(0);
        failed.assertContentEquals(content);
        assertTrue(failed.isPenalized());
        assertTrue(failed.getAttribute(CustomerDedup.ERROR_ATTRIBUTE).contains("IOException"), failed.getAttribute(CustomerDedup.ERROR_ATTRIBUTE));
        assertFalse(failed.getAttribute(CustomerDedup.ERROR_ATTRIBUTE).contains("No space left on device"), "exception messages never reach attributes");
        failed.assertAttributeNotExists(CustomerDedup.CUSTOMER_COUNT);
        assertEquals(0, runner.getQueueSize().getObjectCount());
    }

    @Test
    void cacheFailureGoesToFailureWithoutPartialOutputAndRecovers() throws Exception {
        runner.setProperty(CustomerDedup.OUTPUT_MODE, CustomerDedup.OutputMode.ROUTE.getValue());
        emailAndPhoneRules("GB");
        final InMemoryMapCacheClient cache = addCache(runner, new InMemoryMapCacheClient());
        cache.setDown(true);

        final String content = json("{\"email\":\"a@example.org\",\"phone\":null}", "{\"email\":\"a@example.org\",\"phone\":null}");
        runner.enqueue(content);
        runner.run();
        runner.assertAllFlowFilesTransferred(CustomerDedup.REL_FAILURE, 1);
        final MockFlowFile failed = runner.getFlowFilesForRelationship(CustomerDedup.REL_FAILURE).get(0);
        failed.assertContentEquals(content);
        assertTrue(failed.isPenalized());
        assertEquals("Identity cache failed: IOException", failed.getAttribute(CustomerDedup.ERROR_ATTRIBUTE), "the type only, never a message");
        assertEquals(0, cache.size());

        cache.setDown(false);
        runner.clearTransferState();
        runner.enqueue(content);
        runner.run();
        runner.assertTransferCount(CustomerDedup.REL_UNIQUE, 1);
        runner.assertTransferCount(CustomerDedup.REL_DUPLICATE, 1);
        runner.assertTransferCount(CustomerDedup.REL_FAILURE, 0);
        assertEquals(1, cache.size());
    }

    @Test
    void addedFieldsHonourConfiguredNames() throws IOException {
        runner.setProperty("email", "/email");
        runner.setProperty(CustomerDedup.CUSTOMER_ID_FIELD, "person_id");
        runner.setProperty(CustomerDedup.DUPLICATE_FLAG_FIELD, "dup");
        runner.setProperty(CustomerDedup.SUSPECT_FLAG_FIELD, "review");
        final JsonNode record = runSingle(json("{\"email\":\"a@example.org\",\"customer_id\":7}")).get(0);
        UUID.fromString(record.get("person_id").asText());
        assertFalse(record.get("dup").asBoolean());
        assertFalse(record.get("review").asBoolean());
        assertEquals(7, record.get("customer_id").asInt(), "an unrelated existing field is untouched");
        assertNull(record.get("is_duplicate"));
    }

    @Test
    void arrayOfEmailsLinksThroughEachElement() throws IOException {
        runner.setProperty("email", "/emails[*]");
        runner.setProperty(CustomerDedup.EMAIL_RECORD_PATHS, "/emails[*]");
        final List<String> ids = ids(runSingle(json("{\"emails\":[\"a@example.org\",\"b@example.org\"]}", "{\"emails\":[\"B@example.org\"]}",
                "{\"emails\":[]}")));
        assertEquals(ids.get(0), ids.get(1));
        assertNotEquals(ids.get(0), ids.get(2));
    }

    @Test
    void configurationIsValidated() {
        runner.assertNotValid();
        runner.setProperty("email", "/email");
        runner.assertValid();

        runner.setProperty(CustomerDedup.PHONE_RECORD_PATHS, "/phone");
        runner.assertNotValid();
        runner.setProperty("phone", "/phone");
        runner.assertValid();

        runner.setProperty(CustomerDedup.TEXT_RECORD_PATHS, "/phone");
        runner.assertNotValid();
        runner.removeProperty(CustomerDedup.TEXT_RECORD_PATHS);

        runner.setProperty(CustomerDedup.DEFAULT_PHONE_REGION, "XX");
        runner.assertNotValid();
        runner.setProperty(CustomerDedup.DEFAULT_PHONE_REGION, "FR");
        runner.assertValid();

        runner.setProperty("broken", "/email[");
        runner.assertNotValid();
        runner.removeProperty("broken");

        runner.setProperty(CustomerDedup.DUPLICATE_FLAG_FIELD, "customer_id");
        runner.assertNotValid();
    }
}
