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
 * {@code union}: all elements of all arrays (a scalar counts as a one-element array), without duplicates
 * ({@code 1} and {@code 1.0} are one element), sorted in canonical order. Sorting rather than keeping order
 * of appearance makes the result the same however the updates were split across FlowFiles. Nothing is ever
 * removed by this rule. Lineage lists every contributing source (alphabetically) and the newest
 * contributing timestamp.
 */
final class UnionRule implements SurvivorshipRule {

    @Override
    public boolean producesArray() {
        return true;
    }

    @Override
    public MergedValue choose(final List<Candidate> candidates) {
        final List<Object> elements = new ArrayList<>();
        final Set<Object> seen = new HashSet<>();
        final Set<String> sources = new TreeSet<>();
        long newest = RecordOrigin.UNKNOWN_TIMESTAMP;
        // Visit candidates in a fixed order so that, of equal elements of different types (1 and 1L), the same one is kept.
        final List<Candidate> ordered = new ArrayList<>(candidates);
        ordered.sort(CandidateOrder.OLDEST_FIRST);
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
                // A stored union carries its contributors joined by ','; split them so lineage stays canonical.
                for (final String source : candidate.source().split(",")) {
                    sources.add(source);
                }
                newest = Math.max(newest, candidate.timestamp());
            }
        }
        if (sources.isEmpty()) {
            return null;
        }
        elements.sort(CanonicalValueComparator.INSTANCE);
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
