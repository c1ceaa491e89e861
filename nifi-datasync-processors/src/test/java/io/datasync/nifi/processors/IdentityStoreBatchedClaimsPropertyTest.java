package io.datasync.nifi.processors;

import io.datasync.nifi.identity.GeneratedBatches;
import io.datasync.nifi.identity.GeneratedBatches.Outcome;
import io.datasync.nifi.identity.GeneratedBatches.Row;
import io.datasync.nifi.identity.IdentityMerge;
import io.datasync.nifi.identity.JdbcIdentityStore;
import io.datasync.nifi.identity.KeyHash;
import io.datasync.nifi.identity.KeyHasher;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Database identity store's bulk claims and held-back writes against the store one statement at a time (how it
 * worked before), on a real PostgreSQL with the shipped DDL: generated sequences of batches (shared keys within and across
 * batches, ids carried by records, derived ids that collide with carried ids so an earlier cluster of a batch merges a
 * later cluster's new id, link-count limits, chunk sizes down to 1) give the same customer ids, merges, counts and the
 * same identity table, row for row. The batched side also reads a batch's ids with its link counts in one request (the
 * resolver's snapshot) and claims every unknown key up front; the other reads them per call and claims key by key.
 */
class IdentityStoreBatchedClaimsPropertyTest {

    private static IdentityTables tables;

    @BeforeContainer
    static void startDatabase() throws IOException, SQLException {
        // the shipped table twice: one per way of writing it (the view and index names are made unique too)
        tables = IdentityTables.start("identity_batched", "identifiers_batched", "identity_single", "identifiers_single");
    }

    @AfterContainer
    static void stopDatabase() throws IOException {
        if (tables != null) {
            tables.close();
            tables = null;
        }
    }

    @Property(tries = 100)
    void bulkClaimsAndHeldBackWritesChangeNothing(@ForAll("batches") final List<List<Row>> batches, @ForAll("limits") final int maxLinks,
                                                 @ForAll("chunks") final int chunkSize) throws Exception {
        tables.truncate();
        final Connection connection = tables.connection();
        final KeyHasher hasher = new KeyHasher("customer");
        // few possible derived ids, the same as the carried ones: new customers' ids collide with ids in use
        final Function<KeyHash, String> newIdOfAnchor = anchor -> "id-" + Math.floorMod(anchor.hashCode(), 9);
        for (final List<Row> batch : batches) {
            final JdbcIdentityStore batchedStore = new JdbcIdentityStore(connection, "identity_batched", chunkSize, 30, true);
            final Outcome batched = resolve(batchedStore, true, batch, hasher, newIdOfAnchor, maxLinks);
            final JdbcIdentityStore singleStore = new JdbcIdentityStore(connection, "identity_single", chunkSize, 30, false);
            final Outcome single = resolve(singleStore, false, batch, hasher, newIdOfAnchor, maxLinks);
            assertEquals(single, batched);
            assertEquals(tables.rows("identity_single"), tables.rows("identity_batched"));
            assertNoIdMergedAwayByAnEarlierCluster(batched);
        }
    }

    /**
     * No cluster comes back with an id an earlier cluster of the same batch merged away. A merge is reported by the
     * cluster whose id is its survivor, so a merge X -> S happened before cluster i when every cluster with id S comes
     * before i (clusters resolve in index order).
     */
    private static void assertNoIdMergedAwayByAnEarlierCluster(final Outcome outcome) {
        final List<String> ids = outcome.ids();
        for (int i = 0; i < ids.size(); i++) {
            for (final IdentityMerge merge : outcome.merges()) {
                if (!merge.oldId().equals(ids.get(i))) {
                    continue;
                }
                final String survivor = merge.survivingId();
                final boolean byEarlierCluster = ids.subList(0, i).contains(survivor) && !ids.subList(i, ids.size()).contains(survivor);
                assertFalse(byEarlierCluster, "cluster " + i + " came back with " + ids.get(i) + ", merged into " + survivor
                        + " by an earlier cluster of the batch: " + outcome);
            }
        }
    }

    private static Outcome resolve(final JdbcIdentityStore store, final boolean snapshotReads, final List<Row> batch, final KeyHasher hasher,
                                   final Function<KeyHash, String> newIdOfAnchor, final int maxLinks) throws IOException {
        return GeneratedBatches.resolve(store, snapshotReads, batch, hasher, newIdOfAnchor, maxLinks);
    }

    @Provide
    Arbitrary<List<List<Row>>> batches() {
        return GeneratedBatches.batches();
    }

    @Provide
    Arbitrary<Integer> limits() {
        return GeneratedBatches.limits();
    }

    @Provide
    Arbitrary<Integer> chunks() {
        return Arbitraries.of(1, 2, 7, 500);
    }

    /**
     * Statements per FlowFile: 5 or 300 returning customers each bringing a new phone, next to as many new customers, take
     * the same 4 statements (one read of ids and link counts, one of merge entries, one bulk claim, one batch of held
     * writes); one store request at a time, at least a statement per new key.
     */
    @Property(tries = 1)
    void statementsPerBatchDoNotGrowWithTheCustomers() throws Exception {
        final Connection connection = tables.connection();
        final KeyHasher hasher = new KeyHasher("customer");
        final Function<KeyHash, String> newIdOfAnchor = anchor -> "c-" + anchor.toHex().substring(0, 16);
        for (final int customers : List.of(5, 300)) {
            tables.truncate();
            final List<Row> first = new ArrayList<>();
            final List<Row> second = new ArrayList<>();
            for (int customer = 0; customer < customers; customer++) {
                first.add(new Row(List.of(4 * customer, 4 * customer + 1), null));
                second.add(new Row(List.of(4 * customer, 4 * customer + 3), null));
                second.add(new Row(List.of(4 * customer + 2), null));
            }
            resolve(new JdbcIdentityStore(connection, "identity_batched", 5000, 30, true), true, first, hasher, newIdOfAnchor, 50);
            final JdbcIdentityStore batched = new JdbcIdentityStore(connection, "identity_batched", 5000, 30, true);
            resolve(batched, true, second, hasher, newIdOfAnchor, 50);
            assertEquals(4, batched.statementCount(), customers + " customers");

            // one statement per key claimed, per link count written and per read, one store request at a time (as before the
            // bulk claims): grows with the customers
            resolve(new JdbcIdentityStore(connection, "identity_single", 5000, 30, false), false, first, hasher, newIdOfAnchor, 50);
            final JdbcIdentityStore single = new JdbcIdentityStore(connection, "identity_single", 5000, 30, false);
            resolve(single, false, second, hasher, newIdOfAnchor, 50);
            assertTrue(single.statementCount() >= 3 + 2 * customers, customers + " customers, one at a time: " + single.statementCount());
        }
    }

    /**
     * Statements per FlowFile with merges: 5 or 300 returning customers whose email and phone were two customers each
     * (so each FlowFile cluster merges two ids) take one merge-entry claim per merge (atomic per entry, as another node
     * may write the same one) and, whatever their number, two reads, one batch of held writes and one batch of held
     * re-points; re-pointing at once took a re-point and a flush of the held writes per merge.
     */
    @Property(tries = 1)
    void mergesTakeOneBulkClaimAndTheirRepointsOneBatch() throws Exception {
        final Connection connection = tables.connection();
        final KeyHasher hasher = new KeyHasher("customer");
        final Function<KeyHash, String> newIdOfAnchor = anchor -> "c-" + anchor.toHex().substring(0, 16);
        for (final int customers : List.of(5, 300)) {
            final List<Row> first = new ArrayList<>();
            final List<Row> second = new ArrayList<>();
            for (int customer = 0; customer < customers; customer++) {
                first.add(new Row(List.of(4 * customer), null));
                first.add(new Row(List.of(4 * customer + 1), null));
                second.add(new Row(List.of(4 * customer, 4 * customer + 1), null));
            }
            tables.truncate();
            resolve(new JdbcIdentityStore(connection, "identity_batched", 5000, 30, true), true, first, hasher, newIdOfAnchor, 50);
            final JdbcIdentityStore held = new JdbcIdentityStore(connection, "identity_batched", 5000, 30, true);
            final Outcome heldOutcome = resolve(held, true, second, hasher, newIdOfAnchor, 50);
            assertEquals(customers, heldOutcome.merges().size());
            // the merge entries are known from the one read, so they are claimed with one bulk statement, not one each
            assertEquals(Map.of("read", 2, "bulk claim", 1, "write", 1, "re-point", 1), held.statementsByKind(), customers + " customers");

            resolve(new JdbcIdentityStore(connection, "identity_single", 5000, 30, true, false), true, first, hasher, newIdOfAnchor, 50);
            final JdbcIdentityStore atOnce = new JdbcIdentityStore(connection, "identity_single", 5000, 30, true, false);
            assertEquals(heldOutcome, resolve(atOnce, true, second, hasher, newIdOfAnchor, 50));
            assertEquals(tables.rows("identity_single"), tables.rows("identity_batched"));
            assertEquals(customers, atOnce.statementsByKind().get("re-point"), customers + " customers, re-pointed at once");
            assertTrue(atOnce.statementCount() >= 2 + 2 * customers, customers + " customers, re-pointed at once: " + atOnce.statementsByKind());
        }
    }

    // a fixed case of the rarest path: a new customer's id merged away by an earlier cluster of the same batch
    @Property(tries = 1)
    void aNewIdMergedAwayByAnEarlierClusterStillMatches() throws Exception {
        final List<List<Row>> batches = new ArrayList<>();
        for (int carried = 0; carried < 9; carried++) {
            // key 0 known under id-0 first; then a record carrying every id next to key 0, then new keys
            batches.add(List.of(new Row(List.of(0), 0)));
            batches.add(List.of(new Row(List.of(0), carried), new Row(List.of(10 + carried, 11 + carried), null),
                    new Row(List.of(20 + carried), null)));
        }
        for (final int chunk : List.of(1, 500)) {
            bulkClaimsAndHeldBackWritesChangeNothing(batches, 50, chunk);
        }
    }

    /**
     * Found by the property: a new customer's id (id-6, merged into id-1 by an earlier batch) is claimed up front as id-1;
     * an earlier cluster of the same batch then merges id-1 into id-0 and re-points id-1's entries, the claimed ones
     * included, while the key-by-key claim would still have written id-1 (the resolver follows id-6 only as far as it
     * had). The claimed entry must end as the key-by-key claim leaves it.
     */
    @Property(tries = 1)
    void anUpFrontClaimMovedByAnEarlierRepointEndsAsTheKeyByKeyClaim() throws Exception {
        final List<List<Row>> batches = List.of(
                List.of(new Row(List.of(28), 6), new Row(List.of(), null), new Row(List.of(), null), new Row(List.of(), null),
                        new Row(List.of(28), 1)),
                List.of(new Row(List.of(), 7), new Row(List.of(21, 14), null)),
                List.of(new Row(List.of(19, 5, 12), null)),
                List.of(new Row(List.of(24, 4), null), new Row(List.of(0), 1), new Row(List.of(2, 6, 0), null), new Row(List.of(0, 28), null),
                        new Row(List.of(0), 8), new Row(List.of(19, 2, 5), 0), new Row(List.of(18, 27, 7), null), new Row(List.of(), null),
                        new Row(List.of(4), null), new Row(List.of(), null), new Row(List.of(25, 8), null)));
        bulkClaimsAndHeldBackWritesChangeNothing(batches, 3, 1);
    }
}
