package io.datasync.nifi.push;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * The batching and result-matching rules of PutApiRecord against oracles written from the rules, sharing no
 * code with the product.
 */
class PushRulesPropertyTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final ItemResults.Settings SETTINGS = new ItemResults.Settings(JsonPointer.compile("/errors"),
            JsonPointer.compile("/key"), JsonPointer.compile("/reason"), JsonPointer.compile("/code"), Set.of("RETRY"), true);

    /** One error entry as the generator writes it: the key it names, its code, and whether the key is in the batch. */
    record Error(String key, String code) {
    }

    // ---- Oracle ----------------------------------------------------------------------------------------------------

    /** Oracle for the batching rule: take batchSize records at a time, from the front, until none are left. */
    static List<List<Integer>> oracleBatches(final int count, final int batchSize) {
        final List<List<Integer>> batches = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            current.add(i);
            if (current.size() == batchSize) {
                batches.add(current);
                current = new ArrayList<>();
            }
        }
        if (!current.isEmpty()) {
            batches.add(current);
        }
        return batches;
    }

    /**
     * Oracle for matching: "UNUSABLE" when an error names a key no record has (compared trimmed, case-insensitively);
     * otherwise per record "FAILURE" if some error naming it has a non-retryable code, else "RETRY" if some error names
     * it, else "SUCCESS".
     */
    static List<String> oracleMatch(final List<String> keys, final List<Error> errors) {
        for (final Error error : errors) {
            boolean found = false;
            for (final String key : keys) {
                if (key.trim().equalsIgnoreCase(error.key().trim())) {
                    found = true;
                }
            }
            if (!found) {
                return List.of("UNUSABLE");
            }
        }
        final List<String> out = new ArrayList<>();
        for (final String key : keys) {
            String verdict = "SUCCESS";
            for (final Error error : errors) {
                if (key.trim().equalsIgnoreCase(error.key().trim())) {
                    if (!"RETRY".equals(error.code())) {
                        verdict = "FAILURE";
                    } else if (verdict.equals("SUCCESS")) {
                        verdict = "RETRY";
                    }
                }
            }
            out.add(verdict);
        }
        return out;
    }

    // ---- Properties ------------------------------------------------------------------------------------------------

    @Property(tries = 1000)
    void batchesAreTheOraclesBatches(@ForAll @IntRange(min = 0, max = 300) final int count, @ForAll @IntRange(min = 1, max = 40) final int size) {
        final List<List<Integer>> actual = new ArrayList<>();
        for (final int[] range : Batches.ranges(count, size)) {
            final List<Integer> batch = new ArrayList<>();
            for (int i = range[0]; i < range[1]; i++) {
                batch.add(i);
            }
            actual.add(batch);
        }
        assertEquals(oracleBatches(count, size), actual);
    }

    @Provide
    Arbitrary<List<String>> batchKeys() {
        // A small alphabet so that keys collide, differ only in case or in surrounding spaces.
        return Arbitraries.of("a@x.org", "A@X.org", " a@x.org ", "b@x.org", "c@x.org", "d@x.org", "e@x.org")
                .list().ofMinSize(1).ofMaxSize(8);
    }

    @Provide
    Arbitrary<List<Error>> errorLists() {
        final Arbitrary<String> keys = Arbitraries.of("a@x.org", "B@x.org", "c@x.org ", "d@x.org", "e@x.org", "zz@x.org");
        final Arbitrary<String> codes = Arbitraries.of("RETRY", "INVALID", "BOUNCED");
        return Combinators.combine(keys, codes).as(Error::new).list().ofMaxSize(6);
    }

    @Property(tries = 2000)
    void matchingAgreesWithTheOracle(@ForAll("batchKeys") final List<String> keys, @ForAll("errorLists") final List<Error> errors) throws Exception {
        final ObjectNode response = MAPPER.createObjectNode();
        for (final Error error : errors) {
            response.withArray("errors").addObject().put("key", error.key()).put("reason", "because " + error.code()).put("code", error.code());
        }
        if (errors.isEmpty()) {
            response.putArray("errors");
        }
        final ItemResults.Result result = ItemResults.read(response.toString().getBytes(StandardCharsets.UTF_8), keys, SETTINGS, MAPPER);
        final List<String> expected = oracleMatch(keys, errors);
        if (expected.equals(List.of("UNUSABLE"))) {
            assertInstanceOf(ItemResults.Unusable.class, result);
            return;
        }
        final List<String> actual = new ArrayList<>();
        for (final ItemResults.Verdict verdict : ((ItemResults.PerItem) result).verdicts()) {
            actual.add(switch (verdict.disposition()) {
                case ACCEPTED -> "SUCCESS";
                case REJECTED -> "FAILURE";
                case RETRY -> "RETRY";
            });
        }
        assertEquals(expected, actual);
    }

    @Property(tries = 300)
    void noRecordIsAcceptedFromAnUnreadableResponse(@ForAll("batchKeys") final List<String> keys,
                                                    @ForAll @IntRange(min = 0, max = 200) final int cut) {
        final String whole = "{\"errors\":[{\"key\":\"b@x.org\",\"reason\":\"bad\",\"code\":\"INVALID\"}]}";
        final String truncated = whole.substring(0, Math.min(cut, whole.length() - 1));
        final ItemResults.Result result = ItemResults.read(truncated.getBytes(StandardCharsets.UTF_8), keys, SETTINGS, MAPPER);
        assertInstanceOf(ItemResults.Unusable.class, result, truncated);
    }

    @Property(tries = 300)
    void theKeyIgnoresMemberOrderButNotRecordOrderOrValues(@ForAll @IntRange(min = 1, max = 6) final int fields, @ForAll final long seed) {
        final Random random = new Random(seed);
        final List<String> names = new ArrayList<>();
        for (int i = 0; i < fields; i++) {
            names.add("f" + i);
        }
        final ObjectNode first = MAPPER.createObjectNode();
        final ObjectNode shuffled = MAPPER.createObjectNode();
        for (final String name : names) {
            first.put(name, name + seed);
        }
        final List<String> order = new ArrayList<>(names);
        Collections.shuffle(order, random);
        for (final String name : order) {
            shuffled.put(name, name + seed);
        }
        final ObjectNode other = MAPPER.createObjectNode().put("f0", "other");
        assertEquals(IdempotencyKey.of("POST", "http://h/x", List.of(first, other)), IdempotencyKey.of("POST", "http://h/x", List.of(shuffled, other)));
        assertNotEquals(IdempotencyKey.of("POST", "http://h/x", List.of(first, other)), IdempotencyKey.of("POST", "http://h/x", List.of(other, first)));
        final ObjectNode changed = first.deepCopy().put("f0", "changed");
        assertNotEquals(IdempotencyKey.of("POST", "http://h/x", List.of(first)), IdempotencyKey.of("POST", "http://h/x", List.of(changed)));
        assertNotEquals(IdempotencyKey.of("POST", "http://h/x", List.of(first)), IdempotencyKey.of("PUT", "http://h/x", List.of(first)));
    }

    @Example
    void duplicateKeysInABatchShareTheirError() {
        final JsonNode response = MAPPER.createObjectNode().set("errors", MAPPER.createArrayNode()
                .add(MAPPER.createObjectNode().put("key", "A@x.org").put("code", "INVALID")));
        final ItemResults.Result result = ItemResults.read(response.toString().getBytes(StandardCharsets.UTF_8),
                List.of("a@x.org", "b@x.org", " a@X.ORG"), SETTINGS, MAPPER);
        final List<ItemResults.Verdict> verdicts = ((ItemResults.PerItem) result).verdicts();
        assertEquals(ItemResults.Disposition.REJECTED, verdicts.get(0).disposition());
        assertEquals(ItemResults.Disposition.ACCEPTED, verdicts.get(1).disposition());
        assertEquals(ItemResults.Disposition.REJECTED, verdicts.get(2).disposition());
        assertEquals("rejected by the API without a reason", verdicts.get(0).reason());
    }

    @Example
    void aRetryableAndAFinalErrorForOneItemMakeItAFailure() {
        final String body = "{\"errors\":[{\"key\":\"a@x.org\",\"code\":\"RETRY\"},{\"key\":\"a@x.org\",\"code\":\"INVALID\",\"reason\":\"no\"}]}";
        final ItemResults.Result result = ItemResults.read(body.getBytes(StandardCharsets.UTF_8), List.of("a@x.org"), SETTINGS, MAPPER);
        assertEquals(new ItemResults.Verdict(ItemResults.Disposition.REJECTED, "no", "INVALID"), ((ItemResults.PerItem) result).verdicts().get(0));
    }
}
