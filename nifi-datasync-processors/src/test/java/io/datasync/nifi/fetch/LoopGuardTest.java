package io.datasync.nifi.fetch;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The oracle is a plain set of every position fetched: the guard may only report a position the set
 * holds, and must report a cycle within the bound its documentation promises, while storing a bounded
 * amount whatever the run's length.
 */
class LoopGuardTest {

    /** Positions of a run that goes through a prefix of mu distinct positions, then around a cycle of lambda forever. */
    private static String position(final int step, final int mu, final int lambda) {
        return step < mu ? "p" + step : "c" + ((step - mu) % lambda);
    }

    @Property(tries = 300)
    void detectsEveryCycleWithinItsBoundAndNeverAFreshPosition(@ForAll @IntRange(min = 0, max = 1000) final int mu,
                                                               @ForAll @IntRange(min = 1, max = 1000) final int lambda) {
        final Set<String> oracle = new HashSet<>();
        LoopGuard guard = LoopGuard.empty();
        final int bound = mu + 2 * Math.max(mu + 1, lambda) + lambda + 1;
        for (int step = 0; step <= bound; step++) {
            final String next = position(step, mu, lambda);
            if (guard.seen(next)) {
                assertTrue(oracle.contains(next), "reported a position never fetched: " + next);
                if (lambda <= LoopGuard.RECENT) {
                    assertEquals(mu + lambda, step, "a short cycle is caught at its first repeat");
                }
                return;
            }
            oracle.add(next);
            guard = guard.after(next);
            assertTrue(guard.recent().size() <= LoopGuard.RECENT);
            final LoopGuard stored = LoopGuard.of(guard.recentText(), guard.mark(), guard.count());
            assertEquals(guard, stored, "survives the state round trip");
        }
        throw new AssertionError("cycle mu=" + mu + " lambda=" + lambda + " not detected within " + bound + " steps");
    }

    @Test
    void stateWrittenBeforeTheBoundKeepsOnlyTheLatestPositions() {
        final StringBuilder many = new StringBuilder();
        for (int i = 0; i < 500; i++) {
            many.append(i == 0 ? "" : ",").append("f").append(i);
        }
        final LoopGuard guard = LoopGuard.of(many.toString(), null, 0);
        assertEquals(LoopGuard.RECENT, guard.recent().size());
        assertTrue(guard.seen("f499"));
        assertFalse(guard.seen("f0"));
    }
}
