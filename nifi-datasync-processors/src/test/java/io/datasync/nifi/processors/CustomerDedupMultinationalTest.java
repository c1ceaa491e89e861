package io.datasync.nifi.processors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.datasync.nifi.identity.KeyHasher;
import io.datasync.nifi.identity.testdata.MultinationalCustomers;
import io.datasync.nifi.identity.testdata.MultinationalCustomers.Row;
import io.datasync.nifi.identity.testdata.ReferenceMatcher;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The proof of issue 16 on generated multinational data: one CustomerDedup with its defaults (plus
 * the match rules, the phone region path and a cache) against the generator's ground truth.
 */
class CustomerDedupMultinationalTest {

    static final String HASH_KEY = "test-identity-hash-key-0123456789abcdef";
    private static final String CACHE_ID = "identity-cache";
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int PEOPLE = 1000;

    /**
     * A configured processor with the cache it writes to, and the merges it reported.
     */
    static final class Dedup {
        final TestRunner runner;
        final InMemoryMapCacheClient cache = new InMemoryMapCacheClient();
        final Map<String, String> survivorOf = new HashMap<>();

        Dedup(final boolean regionPath, final CustomerDedup.PhoneAcceptance acceptance, final String hashKey) throws Exception {
            runner = TestRunners.newTestRunner(CustomerDedup.class);
            JsonRecordServices.configure(runner, CustomerDedup.RECORD_READER.getName(), CustomerDedup.RECORD_WRITER.getName());
            runner.setProperty("email", "/emails");
            runner.setProperty("phone", "/phone");
            runner.setProperty(CustomerDedup.EMAIL_RECORD_PATHS, "/emails");
            runner.setProperty(CustomerDedup.PHONE_RECORD_PATHS, "/phone");
            if (regionPath) {
                runner.setProperty(CustomerDedup.PHONE_REGION_RECORD_PATH, "/country");
            }
            if (acceptance != null) {
                runner.setProperty(CustomerDedup.PHONE_ACCEPTANCE, acceptance.getValue());
            }
            if (hashKey != null) {
                runner.setProperty(CustomerDedup.IDENTITY_HASH_KEY, hashKey);
            }
            runner.addControllerService(CACHE_ID, cache);
            runner.enableControllerService(cache);
            runner.setProperty(CustomerDedup.MAP_CACHE_CLIENT, CACHE_ID);
        }

        /**
         * Feeds the batches as FlowFiles in the given order.
         *
         * @return the customer id of every record by source id, with every reported merge applied
         */
        Map<String, String> feed(final List<List<Row>> batches) throws IOException {
            final Map<String, String> resolved = new HashMap<>();
            CustomerDedupMultinationalTest.feed(runner, batches, survivorOf).forEach((record, id) -> resolved.put(record, current(survivorOf, id)));
            return resolved;
        }
    }

    /**
     * Feeds the batches to a CustomerDedup as FlowFiles in the given order, none of which may fail; the merges it reports
     * go into {@code survivorOf} (old id to surviving id).
     *
     * @return the customer id of every record by source id, as written
     */
    static Map<String, String> feed(final TestRunner runner, final List<List<Row>> batches, final Map<String, String> survivorOf)
            throws IOException {
        final Map<String, String> idOf = new HashMap<>();
        for (final List<Row> batch : batches) {
            runner.enqueue(toJson(batch));
            runner.run();
            runner.assertTransferCount(CustomerDedup.REL_FAILURE, 0);
            for (final MockFlowFile out : runner.getFlowFilesForRelationship(CustomerDedup.REL_SUCCESS)) {
                for (final JsonNode record : MAPPER.readTree(out.getContent())) {
                    idOf.put(record.get("source_id").asText(), record.get("customer_id").asText());
                }
            }
            for (final MockFlowFile merges : runner.getFlowFilesForRelationship(CustomerDedup.REL_MERGES)) {
                for (final JsonNode merge : MAPPER.readTree(merges.getContent())) {
                    survivorOf.put(merge.get("old_customer_id").asText(), merge.get("surviving_customer_id").asText());
                }
            }
            runner.clearTransferState();
        }
        return idOf;
    }

    /** The id a customer id ends as after every reported merge (at most 100 hops). */
    static String current(final Map<String, String> survivorOf, final String id) {
        String current = id;
        for (int hop = 0; hop < 100 && survivorOf.containsKey(current); hop++) {
            current = survivorOf.get(current);
        }
        return current;
    }

    static String toJson(final List<Row> rows) {
        final StringBuilder json = new StringBuilder("[");
        for (int i = 0; i < rows.size(); i++) {
            json.append(i == 0 ? "" : ",").append(rows.get(i).toJson());
        }
        return json.append(']').toString();
    }

    static ReferenceMatcher.Score score(final List<Row> rows, final Map<String, String> idOf) {
        final List<Integer> truth = new ArrayList<>();
        final List<String> predicted = new ArrayList<>();
        for (final Row row : rows) {
            truth.add(row.person());
            predicted.add(idOf.get(row.sourceId()));
        }
        return ReferenceMatcher.score(truth, predicted);
    }

    /**
     * Shuffles the rows and cuts them into FlowFiles of random sizes (1 to 2 * average).
     */
    static List<List<Row>> shuffledBatches(final List<Row> rows, final Random random, final int averageSize) {
        final List<Row> shuffled = new ArrayList<>(rows);
        Collections.shuffle(shuffled, random);
        final List<List<Row>> batches = new ArrayList<>();
        int position = 0;
        while (position < shuffled.size()) {
            final int size = 1 + random.nextInt(2 * averageSize);
            batches.add(new ArrayList<>(shuffled.subList(position, Math.min(shuffled.size(), position + size))));
            position += size;
        }
        return batches;
    }

    @Test
    void generatorIsConsistentWithTheOracle() {
        final List<Row> rows = new MultinationalCustomers(16).generate(PEOPLE);
        final int[] groups = ReferenceMatcher.groups(rows);
        final List<Integer> truth = new ArrayList<>();
        final List<Integer> oracle = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            truth.add(rows.get(i).person());
            oracle.add(groups[i]);
        }
        final ReferenceMatcher.Score score = ReferenceMatcher.score(truth, oracle);
        assertEquals(1.0, score.precision(), "distinct people never share a canonical identifier: " + score);
        assertEquals(1.0, score.recall(), "every person's records are connected: " + score);
        assertTrue(score.truePairs() > 1000, "enough linked pairs to measure recall to 0.001: " + score);
    }

    @Test
    void oneFlowFileWithDefaultsLinksNearlyEveryoneAndNeverStrangers() throws Exception {
        final List<Row> rows = new MultinationalCustomers(16).generate(PEOPLE);
        final Dedup dedup = new Dedup(true, null, HASH_KEY);
        final Map<String, String> ids = dedup.feed(List.of(rows));
        final ReferenceMatcher.Score score = score(rows, ids);
        System.out.println("CustomerDedup defaults, one FlowFile of " + rows.size() + " records: " + score);
        assertEquals(1.0, score.precision(), score.toString());
        assertTrue(score.recall() >= 0.99, score.toString());

        assertEquals(ids, dedup.feed(List.of(rows)), "the same data fed again gets the same ids");
        assertEquals(ids, new Dedup(true, null, HASH_KEY).feed(List.of(rows)), "and so it does against a new, empty cache");
    }

    @Test
    void flowFilesInRandomOrderGiveTheSamePeopleAndStableIds() throws Exception {
        final List<Row> rows = new MultinationalCustomers(17).generate(PEOPLE);
        final Random random = new Random(1616);
        final Dedup dedup = new Dedup(true, null, HASH_KEY);
        final Map<String, String> ids = dedup.feed(shuffledBatches(rows, random, 40));
        final ReferenceMatcher.Score score = score(rows, ids);
        System.out.println("CustomerDedup defaults, " + rows.size() + " records in random FlowFiles: " + score);
        assertEquals(1.0, score.precision(), score.toString());
        assertTrue(score.recall() >= 0.99, score.toString());

        final Map<String, String> again = dedup.feed(shuffledBatches(rows, random, 25));
        assertEquals(ids, again, "the same data fed again, in another order and split, gets the same ids");
        assertEquals(0, dedup.runner.getFlowFilesForRelationship(CustomerDedup.REL_MERGES).size());
    }

    /**
     * The measurement behind the default of Phone Number Acceptance and the case for Phone Region Record Path.
     */
    @Test
    void possibleNumbersAndPerRecordRegionsRaiseRecallWithoutMergingStrangers() throws Exception {
        final List<Row> rows = new MultinationalCustomers(18).generate(PEOPLE);
        final Map<String, ReferenceMatcher.Score> scores = new java.util.LinkedHashMap<>();
        for (final boolean regionPath : List.of(false, true)) {
            for (final CustomerDedup.PhoneAcceptance acceptance : CustomerDedup.PhoneAcceptance.values()) {
                final ReferenceMatcher.Score score = score(rows, new Dedup(regionPath, acceptance, HASH_KEY).feed(List.of(rows)));
                scores.put((regionPath ? "region path, " : "default region only, ") + acceptance.getDisplayName(), score);
            }
        }
        scores.forEach((setting, score) -> System.out.println("CustomerDedup " + setting + ": " + score));
        scores.values().forEach(score -> assertEquals(1.0, score.precision(), scores.toString()));
        final ReferenceMatcher.Score best = scores.get("region path, Possible Numbers");
        assertTrue(best.recall() >= scores.get("region path, Valid Numbers").recall(), scores.toString());
        assertTrue(best.recall() > scores.get("default region only, Possible Numbers").recall(), scores.toString());
        assertTrue(best.recall() >= 0.99, scores.toString());
    }

    @Test
    void cacheKeysCannotBeMatchedToIdentifiersWithoutTheKey() throws Exception {
        final List<Row> rows = new MultinationalCustomers(19).generate(200);
        final Dedup keyed = new Dedup(true, null, HASH_KEY);
        keyed.feed(List.of(rows));
        final Set<String> keyedEntries = keyed.cache.snapshot().keySet();

        final Dedup unkeyed = new Dedup(true, null, null);
        unkeyed.feed(List.of(rows));
        final Set<String> unkeyedEntries = unkeyed.cache.snapshot().keySet();

        final KeyHasher plain = new KeyHasher("customer");
        final KeyHasher withKey = new KeyHasher("customer", HASH_KEY.getBytes(StandardCharsets.UTF_8));
        int candidates = 0;
        int foundWithKey = 0;
        int foundUnkeyed = 0;
        for (final Row row : rows) {
            for (final String identifier : row.canonical()) {
                final String rule = identifier.startsWith("+") ? "phone" : "email";
                candidates++;
                final String plainEntry = "k:" + plain.hash(rule, identifier).toHex();
                assertFalse(keyedEntries.contains(plainEntry), "an unkeyed hash of a candidate found a keyed cache entry");
                if (unkeyedEntries.contains(plainEntry)) {
                    foundUnkeyed++;
                }
                if (keyedEntries.contains("k:" + withKey.hash(rule, identifier).toHex())) {
                    foundWithKey++;
                }
            }
        }
        // Controls: the same guess with the key finds every entry, and without a key the guessing works.
        assertEquals(candidates, foundWithKey, "with the key every identifier's entry is there");
        assertEquals(candidates, foundUnkeyed, "without an Identity Hash Key, guessing finds every identifier");
        for (final Map.Entry<String, String> entry : keyed.cache.snapshot().entrySet()) {
            for (final Row row : rows) {
                for (final String identifier : row.canonical()) {
                    assertFalse(entry.getKey().contains(identifier) || entry.getValue().contains(identifier), "raw identifier in the cache");
                }
            }
        }
    }
}
