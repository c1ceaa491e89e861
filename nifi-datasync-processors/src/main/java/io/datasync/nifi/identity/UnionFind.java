package io.datasync.nifi.identity;

import java.util.Arrays;

/**
 * Disjoint sets over record indexes 0..n-1 (union by size, path halving): links records transitively
 * in near-constant time per operation, with two int arrays as the only memory.
 */
public final class UnionFind {

    private int[] parent;
    private int[] size;
    private int count;

    public UnionFind(final int initialCapacity) {
        parent = new int[Math.max(initialCapacity, 16)];
        size = new int[parent.length];
    }

    /**
     * Adds one element and returns its index.
     */
    public int add() {
        if (count == parent.length) {
            parent = Arrays.copyOf(parent, count * 2);
            size = Arrays.copyOf(size, count * 2);
        }
        parent[count] = count;
        size[count] = 1;
        return count++;
    }

    public int size() {
        return count;
    }

    public int find(final int element) {
        int current = element;
        while (parent[current] != current) {
            parent[current] = parent[parent[current]];
            current = parent[current];
        }
        return current;
    }

    /**
     * @return true when the two elements were in different sets
     */
    public boolean union(final int first, final int second) {
        int rootFirst = find(first);
        int rootSecond = find(second);
        if (rootFirst == rootSecond) {
            return false;
        }
        if (size[rootFirst] < size[rootSecond]) {
            final int swap = rootFirst;
            rootFirst = rootSecond;
            rootSecond = swap;
        }
        parent[rootSecond] = rootFirst;
        size[rootFirst] += size[rootSecond];
        return true;
    }
}
