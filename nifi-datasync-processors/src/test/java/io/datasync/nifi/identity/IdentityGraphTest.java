package io.datasync.nifi.identity;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdentityGraphTest {

    private final KeyHasher hasher = new KeyHasher("customer");

    private KeyHash email(final String value) {
        return hasher.hash("email", value);
    }

    private KeyHash phone(final String value) {
        return hasher.hash("phone", value);
    }

    private KeyHash crm(final String value) {
        return hasher.hash("crm", value);
    }

    @Test
    void linksTransitivelyAcrossThreeRules() {
        final IdentityGraph graph = new IdentityGraph(10);
        final int a = graph.addRecord();
        graph.addKey(a, email("a@x.org"), 0);
        final int b = graph.addRecord();
        graph.addKey(b, email("a@x.org"), 0);
        graph.addKey(b, phone("+441"), 1);
        final int c = graph.addRecord();
        graph.addKey(c, phone("+441"), 1);
        graph.addKey(c, crm("C-9"), 2);
        final int d = graph.addRecord();
        graph.addKey(d, crm("C-9"), 2);
        final int stranger = graph.addRecord();
        graph.addKey(stranger, email("z@x.org"), 0);

        final Clusters clusters = graph.build();
        assertEquals(2, clusters.clusterCount());
        assertEquals(clusters.clusterOf(a), clusters.clusterOf(d));
        assertEquals(clusters.clusterOf(b), clusters.clusterOf(c));
        assertEquals(clusters.clusterOf(a), clusters.clusterOf(c));
        assertNotEquals(clusters.clusterOf(a), clusters.clusterOf(stranger));
        assertFalse(clusters.isDuplicate(a));
        assertTrue(clusters.isDuplicate(b));
        assertTrue(clusters.isDuplicate(d));
        assertFalse(clusters.isDuplicate(stranger));
        assertEquals(a, clusters.firstRecordOf(clusters.clusterOf(d)));
        assertEquals(List.of(crm("C-9"), email("a@x.org"), phone("+441")).stream().sorted().toList(), clusters.keysOf(clusters.clusterOf(a)));
        assertEquals(2, clusters.ruleOf(crm("C-9")));
    }

    @Test
    void keySharedByTooManyRecordsLinksNothingAndFlagsThem() {
        final IdentityGraph graph = new IdentityGraph(3);
        for (int i = 0; i < 4; i++) {
            final int record = graph.addRecord();
            graph.addKey(record, email("office@x.org"), 0);
        }
        // Records 2 and 3 also share a genuine phone key, which still links them.
        graph.addKey(2, phone("+449"), 1);
        graph.addKey(3, phone("+449"), 1);
        final int unrelated = graph.addRecord();
        graph.addKey(unrelated, email("solo@x.org"), 0);

        final Clusters clusters = graph.build();
        assertEquals(4, clusters.clusterCount());
        assertNotEquals(clusters.clusterOf(0), clusters.clusterOf(1));
        assertEquals(clusters.clusterOf(2), clusters.clusterOf(3));
        for (int record = 0; record < 4; record++) {
            assertTrue(clusters.isSuspect(record));
        }
        assertFalse(clusters.isSuspect(unrelated));
        assertEquals(4, clusters.suspectCount());
        assertEquals(1, clusters.oversizedKeyCount());
        assertFalse(clusters.keysOf(clusters.clusterOf(0)).contains(email("office@x.org")));
        assertEquals(List.of(phone("+449")), clusters.keysOf(clusters.clusterOf(2)));
    }

    @Test
    void keyAtTheLimitStillLinks() {
        final IdentityGraph graph = new IdentityGraph(3);
        for (int i = 0; i < 3; i++) {
            graph.addKey(graph.addRecord(), email("family@x.org"), 0);
        }
        final Clusters clusters = graph.build();
        assertEquals(1, clusters.clusterCount());
        assertEquals(0, clusters.suspectCount());
    }

    @Test
    void sameKeyTwiceOnOneRecordCountsOnce() {
        final IdentityGraph graph = new IdentityGraph(2);
        final int first = graph.addRecord();
        graph.addKey(first, email("a@x.org"), 0);
        graph.addKey(first, email("a@x.org"), 0);
        graph.addKey(graph.addRecord(), email("a@x.org"), 0);
        final Clusters clusters = graph.build();
        assertEquals(1, clusters.clusterCount());
        assertEquals(0, clusters.suspectCount());
    }

    @Test
    void recordsCarryingTheSameExistingIdAreOneCustomer() {
        final IdentityGraph graph = new IdentityGraph(5);
        final int a = graph.addRecord();
        graph.setExistingId(a, "C-2");
        final int b = graph.addRecord();
        graph.setExistingId(b, "C-2");
        final int c = graph.addRecord();
        graph.setExistingId(c, "C-1");
        graph.addKey(c, email("a@x.org"), 0);
        graph.addKey(b, email("a@x.org"), 0);
        final int d = graph.addRecord();

        final Clusters clusters = graph.build();
        assertEquals(2, clusters.clusterCount());
        assertEquals(clusters.clusterOf(a), clusters.clusterOf(c));
        assertEquals(Set.of("C-1", "C-2"), clusters.existingIdsOf(clusters.clusterOf(a)));
        assertEquals("C-1", clusters.existingIdsOf(clusters.clusterOf(a)).first());
        assertTrue(clusters.existingIdsOf(clusters.clusterOf(d)).isEmpty());
        assertTrue(clusters.keysOf(clusters.clusterOf(d)).isEmpty());
    }

    @Test
    void survivorHasTheHighestScoreAndFirstSeenWinsTies() {
        final IdentityGraph graph = new IdentityGraph(5);
        final long[] scores = {5, 9, 9, 1};
        for (final long score : scores) {
            final int record = graph.addRecord();
            graph.addKey(record, email("a@x.org"), 0);
            graph.setScore(record, score);
        }
        final Clusters clusters = graph.build();
        assertEquals(1, clusters.survivorOf(0));
        assertEquals(9, clusters.survivorScoreOf(0));
    }

    @Test
    void recordsWithoutKeysAreCustomersOfTheirOwn() {
        final IdentityGraph graph = new IdentityGraph(5);
        graph.addRecord();
        graph.addRecord();
        final Clusters clusters = graph.build();
        assertEquals(2, clusters.clusterCount());
        assertFalse(clusters.isDuplicate(1));
    }

    @Test
    void clusterLimitBelowTwoIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new IdentityGraph(1));
    }

    @Test
    void clustersWithTheSameIdBecomeOneCustomer() {
        final IdentityGraph graph = new IdentityGraph(5);
        for (int i = 0; i < 4; i++) {
            final int record = graph.addRecord();
            graph.addKey(record, email("r" + i + "@x.org"), 0);
            graph.setScore(record, i == 2 ? 10 : 1);
        }
        final Clusters clusters = graph.build();
        // Records 0 and 2 were linked through the index, not within the batch.
        final CustomerAssignment assignment = new CustomerAssignment(clusters, new String[] {"id-a", "id-b", "id-a", "id-c"});
        assertEquals(3, assignment.customerCount());
        assertEquals("id-a", assignment.customerIdOf(2));
        assertFalse(assignment.isDuplicate(0));
        assertTrue(assignment.isDuplicate(2));
        assertTrue(assignment.isSurvivor(2));
        assertFalse(assignment.isSurvivor(0));
        assertTrue(assignment.isSurvivor(1));
    }
}
