package io.datasync.nifi.identity.testdata;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The oracle: links generated records through the canonical identifiers the generator recorded
 * (never through the product's normalisers), with a plain union-find, and scores any other
 * partition of the same records pairwise against a reference partition.
 */
public final class ReferenceMatcher {

    private ReferenceMatcher() {
    }

    /**
     * @return a group number per record: records sharing a canonical identifier, transitively, share a group
     */
    public static int[] groups(final List<MultinationalCustomers.Row> rows) {
        final int[] parent = new int[rows.size()];
        for (int i = 0; i < parent.length; i++) {
            parent[i] = i;
        }
        final Map<String, Integer> firstHolder = new HashMap<>();
        for (int i = 0; i < rows.size(); i++) {
            for (final String identifier : rows.get(i).canonical()) {
                final Integer holder = firstHolder.putIfAbsent(identifier, i);
                if (holder != null) {
                    parent[find(parent, i)] = find(parent, holder);
                }
            }
        }
        final int[] groups = new int[rows.size()];
        for (int i = 0; i < groups.length; i++) {
            groups[i] = find(parent, i);
        }
        return groups;
    }

    private static int find(final int[] parent, final int node) {
        int root = node;
        while (parent[root] != root) {
            root = parent[root];
        }
        return root;
    }

    /**
     * Pairwise precision and recall of {@code predicted} against {@code truth}, both given as one label per record.
     */
    public record Score(long truePairs, long predictedPairs, long correctPairs) {
        public double precision() {
            return predictedPairs == 0 ? 1.0 : (double) correctPairs / predictedPairs;
        }

        public double recall() {
            return truePairs == 0 ? 1.0 : (double) correctPairs / truePairs;
        }

        @Override
        public String toString() {
            return "precision %.4f (%d/%d), recall %.4f (%d/%d)".formatted(precision(), correctPairs, predictedPairs, recall(), correctPairs, truePairs);
        }
    }

    public static <T, U> Score score(final List<T> truth, final List<U> predicted) {
        final Map<T, Long> truthSizes = new HashMap<>();
        final Map<U, Long> predictedSizes = new HashMap<>();
        final Map<List<Object>, Long> both = new HashMap<>();
        for (int i = 0; i < truth.size(); i++) {
            truthSizes.merge(truth.get(i), 1L, Long::sum);
            predictedSizes.merge(predicted.get(i), 1L, Long::sum);
            both.merge(List.of(truth.get(i), predicted.get(i)), 1L, Long::sum);
        }
        return new Score(pairs(truthSizes), pairs(predictedSizes), pairs(both));
    }

    private static long pairs(final Map<?, Long> sizes) {
        long pairs = 0;
        for (final long size : sizes.values()) {
            pairs += size * (size - 1) / 2;
        }
        return pairs;
    }
}
