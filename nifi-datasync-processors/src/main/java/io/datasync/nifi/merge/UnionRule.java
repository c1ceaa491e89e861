package io.datasync.nifi.merge;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code union}: all elements of all arrays (a scalar counts as a one-element array), without
 * duplicates, in order of first appearance when the candidates are taken oldest first (ties by the
 * common tie-break). Nothing is ever removed by this rule. Lineage lists every contributing source
 * (alphabetically) and the newest contributing timestamp.
 */
final class UnionRule implements SurvivorshipRule {

    @Override
    public MergedValue choose(final List<Candidate> candidates) {
        final List<Candidate> ordered = new ArrayList<>(candidates);
        ordered.sort(CandidateOrder.OLDEST_FIRST);

        final List<Object> elements = new ArrayList<>();
        final Set<Object> seen = new HashSet<>();
        final Set<String> sources = new TreeSet<>();
        long newest = RecordOrigin.UNKNOWN_TIMESTAMP;
        for (final Candidate candidate : ordered) {
            boolean contributed = false;
            for (final Object element : elementsOf(candidate.value())) {
                if (element == null || (element instanceof CharSequence text && text.toString().isBlank())) {
                    continue;
                }
                contributed = true;
                if (seen.add(CanonicalValueComparator.dedupKey(element))) {
                    elements.add(element);
                }
            }
            if (contributed) {
                sources.add(candidate.source());
                newest = Math.max(newest, candidate.timestamp());
            }
        }
        if (sources.isEmpty()) {
            return null;
        }
        final Long timestamp = newest == RecordOrigin.UNKNOWN_TIMESTAMP ? null : newest;
        return new MergedValue(elements.toArray(), String.join(",", sources), timestamp);
    }

    private static Iterable<?> elementsOf(final Object value) {
        if (value == null) {
            return List.of();
        }
        if (value instanceof Object[] array) {
            return Arrays.asList(array);
        }
        if (value instanceof Collection<?> collection) {
            return collection;
        }
        return Collections.singletonList(value);
    }
}
