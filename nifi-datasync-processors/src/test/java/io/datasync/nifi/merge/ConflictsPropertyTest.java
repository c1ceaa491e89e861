package io.datasync.nifi.merge;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The conflict check with its shortcut for equal text against the check that tests and compares every value. */
class ConflictsPropertyTest {

    private static final RecordOrigin ORIGIN = new RecordOrigin("crm", 0, 1L);

    private static List<Candidate> candidates(final List<Object> values) {
        final List<Candidate> candidates = new ArrayList<>();
        for (final Object value : values) {
            candidates.add(new Candidate(value, 1L, ORIGIN));
        }
        return candidates;
    }

    @Provide
    Arbitrary<List<Object>> values() {
        final Map<String, Object> map = new HashMap<>();
        map.put("a", 1);
        final Map<String, Object> sameMapOtherClass = new LinkedHashMap<>(map);
        final Arbitrary<Object> value = Arbitraries.oneOf(
                Arbitraries.of("a", "a", "A", "a ", " a", "", " ", "\t", "\u2003", "b", "ab").map(v -> (Object) v),
                Arbitraries.strings().withChars("ab \t").ofMaxLength(3).map(v -> (Object) v),
                Arbitraries.of(1, 1L, 1.0d, new BigDecimal("1.00"), 2, Double.NaN, -0.0d, 0.0d, 0).map(v -> (Object) v),
                Arbitraries.of(new Object[0], new Object[] {"a"}, new Object[] {"a", 1}, List.of(), List.of("a"), new ArrayList<>(List.of("a")),
                        Map.of(), map, sameMapOtherClass, new Date(5), new StringBuilder("a")).map(v -> (Object) v),
                Arbitraries.just(null));
        return value.list().ofMaxSize(6);
    }

    @Property(tries = 3000)
    void theShortcutChangesNoAnswer(@ForAll("values") final List<Object> values) {
        final List<Candidate> candidates = candidates(values);
        assertEquals(outcome(() -> Conflicts.differWithFullChecks(candidates)), outcome(() -> Conflicts.differ(candidates)));
    }

    /** The answer, or the class of what was thrown (the comparator cannot order NaN against a BigDecimal, either way). */
    private static Object outcome(final java.util.function.BooleanSupplier check) {
        try {
            return check.getAsBoolean();
        } catch (final RuntimeException e) {
            return e.getClass();
        }
    }

    @Test
    void equalTextAndBlanksAreNoConflictButOtherTextIs() {
        assertFalse(Conflicts.differ(candidates(List.of("a", " ", "a", "", "a"))));
        assertTrue(Conflicts.differ(candidates(List.of(" ", "a", "A"))));
        assertTrue(Conflicts.differ(candidates(java.util.Arrays.asList(null, "a", 1))));
        assertFalse(Conflicts.differ(candidates(List.of(1, 1L, new BigDecimal("1.00")))));
    }
}
