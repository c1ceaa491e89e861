package io.datasync.nifi.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LinkCountsTest {

    private final IdentityResolverTest.MemoryStore store = new IdentityResolverTest.MemoryStore();
    private final KeyHash phone = KeyHash.digestOf("phone");
    private final KeyHash email = KeyHash.digestOf("email");
    private final KeyHash other = KeyHash.digestOf("other");

    @Test
    void storedCountsAboveTheMaximumMarkTheKey() {
        final LinkCounts counts = new LinkCounts(store, 2);
        counts.read(phone, "3");
        counts.read(email, "2");
        assertEquals(Set.of(phone), counts.overLimit());
    }

    @Test
    void aValueWeDidNotWriteCountsAsUnknownNotAsAFailure() {
        final LinkCounts counts = new LinkCounts(store, 2);
        counts.read(phone, "lots");
        counts.read(email, "-7");
        counts.read(other, " 9 ");
        assertEquals(Set.of(other), counts.overLimit());
    }

    @Test
    void keysClaimedForTheFirstTimeAreAddedAndTheCrossingIsCountedOnce() throws IOException {
        final LinkCounts counts = new LinkCounts(store, 2);
        counts.read(phone, "1");
        // two other keys joined the phone in this batch: 1 -> 3, past the maximum of 2
        counts.add(List.of(phone, email, other), Set.of(email, other));
        assertEquals("3", store.entries.get(IdentityResolver.countEntry(phone)));
        assertEquals("1", store.entries.get(IdentityResolver.countEntry(email)));
        assertEquals("1", store.entries.get(IdentityResolver.countEntry(other)));
        assertEquals(1, counts.reachingLimit());
        counts.add(List.of(phone, email), Set.of(email));
        assertEquals("4", store.entries.get(IdentityResolver.countEntry(phone)));
        assertEquals(1, counts.reachingLimit(), "a key already past the maximum is not counted again");
    }

    @Test
    void nothingIsCountedWithoutAMaximumOrWithoutNewKeys() throws IOException {
        final LinkCounts unlimited = new LinkCounts(store, Integer.MAX_VALUE);
        assertFalse(unlimited.counting());
        unlimited.add(List.of(phone, email), Set.of(email));
        final LinkCounts limited = new LinkCounts(store, 5);
        assertTrue(limited.counting());
        limited.add(List.of(phone, email), Set.of());
        assertTrue(store.entries.isEmpty(), store.entries.toString());
    }
}
