package io.datasync.nifi.processors;

import io.datasync.nifi.identity.testdata.MultinationalCustomers;
import io.datasync.nifi.identity.testdata.MultinationalCustomers.Row;
import io.datasync.nifi.identity.testdata.ReferenceMatcher;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Generated data sets, fed in generated orders and splits: who is linked with whom never depends on
 * the order or the split, strangers are never merged, and feeding the same data again changes no id.
 */
class CustomerDedupProperties {

    @Property(tries = 10)
    void partitionDoesNotDependOnOrderOrSplit(@ForAll @LongRange(min = 1, max = 1_000_000) final long seed,
                                              @ForAll @IntRange(min = 3, max = 30) final int averageBatch) throws Exception {
        final List<Row> rows = new MultinationalCustomers(seed).generate(30);
        final Random random = new Random(seed * 31 + averageBatch);

        final CustomerDedupMultinationalTest.Dedup first = new CustomerDedupMultinationalTest.Dedup(true, null, CustomerDedupMultinationalTest.HASH_KEY);
        final Map<String, String> ids = first.feed(CustomerDedupMultinationalTest.shuffledBatches(rows, random, averageBatch));
        final CustomerDedupMultinationalTest.Dedup second = new CustomerDedupMultinationalTest.Dedup(true, null, CustomerDedupMultinationalTest.HASH_KEY);
        final Map<String, String> otherOrder = second.feed(CustomerDedupMultinationalTest.shuffledBatches(rows, random, 1 + random.nextInt(30)));

        final ReferenceMatcher.Score score = CustomerDedupMultinationalTest.score(rows, ids);
        assertEquals(1.0, score.precision(), "no two truth-distinct people merged: " + score);
        assertEquals(1.0, score.recall(), "every connected person linked: " + score);
        assertEquals(partition(rows, ids), partition(rows, otherOrder), "the same people, whatever the order and split");

        assertEquals(ids, first.feed(CustomerDedupMultinationalTest.shuffledBatches(rows, random, averageBatch)), "fed again: the same ids");
    }

    /**
     * @return for each record, the first record (in generation order) that has its id: a label independent of the id strings
     */
    private static Map<String, String> partition(final List<Row> rows, final Map<String, String> ids) {
        final Map<String, String> firstRecordOfId = new HashMap<>();
        final Map<String, String> label = new HashMap<>();
        for (final Row row : rows) {
            final String id = ids.get(row.sourceId());
            label.put(row.sourceId(), firstRecordOfId.computeIfAbsent(id, key -> row.sourceId()));
        }
        return label;
    }
}
