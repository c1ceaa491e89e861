package io.datasync.nifi.identity;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UnionFindTest {

    @Test
    void unionIsTransitive() {
        final UnionFind unionFind = new UnionFind(2);
        for (int i = 0; i < 5; i++) {
            unionFind.add();
        }
        assertTrue(unionFind.union(0, 1));
        assertTrue(unionFind.union(1, 2));
        assertFalse(unionFind.union(0, 2));
        assertEquals(unionFind.find(0), unionFind.find(2));
        assertNotEquals(unionFind.find(0), unionFind.find(3));
        assertEquals(3, unionFind.find(3));
        assertEquals(5, unionFind.size());
    }

    @Test
    void growsBeyondInitialCapacity() {
        final UnionFind unionFind = new UnionFind(1);
        for (int i = 0; i < 10_000; i++) {
            unionFind.add();
            if (i > 0) {
                unionFind.union(i - 1, i);
            }
        }
        assertEquals(unionFind.find(0), unionFind.find(9_999));
    }
}
