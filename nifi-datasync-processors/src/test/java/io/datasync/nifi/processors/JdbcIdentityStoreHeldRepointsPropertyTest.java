package io.datasync.nifi.processors;

import io.datasync.nifi.identity.JdbcIdentityStore;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The Database identity store's held-back re-points against one {@code UPDATE} per re-point, on a real PostgreSQL with
 * the shipped DDL: any sequence of writes, re-points (chains, an id re-pointed twice, re-pointed at an id already
 * re-pointed, back and forth), claims, reads and flushes gives the same answers to every read and claim, and the same
 * table row for row once flushed. The oracle is the store one statement at a time (how it worked before), whose re-point
 * runs at once.
 */
class JdbcIdentityStoreHeldRepointsPropertyTest {

    private static IdentityTables tables;

    @BeforeContainer
    static void startDatabase() throws IOException, SQLException {
        tables = IdentityTables.start("repoint_held", "repoint_held_view", "repoint_single", "repoint_single_view");
    }

    @AfterContainer
    static void stopDatabase() throws IOException {
        if (tables != null) {
            tables.close();
            tables = null;
        }
    }

    /** kind: 0 write, 1 re-point, 2 claim, 3 read, 4 flush; a and b: an entry and an id, two ids, or two entries. */
    record Op(int kind, int a, int b) {
    }

    private static final int IDS = 6;

    private static String entry(final int index) {
        // mostly identifier entries (what a re-point changes), some link counts and merge entries
        return switch (Math.floorMod(index, 10)) {
            case 8 -> "n:" + index;
            case 9 -> "a:" + index;
            default -> "k:" + index;
        };
    }

    private static String id(final int index) {
        return "id-" + Math.floorMod(index, IDS);
    }

    @Property(tries = 200)
    void heldRepointsEndAsOneUpdateAtATime(@ForAll("operations") final List<Op> operations, @ForAll("chunks") final int chunkSize)
            throws Exception {
        tables.truncate();
        final Connection connection = tables.connection();
        final JdbcIdentityStore held = new JdbcIdentityStore(connection, "repoint_held", chunkSize, 30, true);
        final JdbcIdentityStore single = new JdbcIdentityStore(connection, "repoint_single", chunkSize, 30, false);
        for (int step = 0; step < operations.size(); step++) {
            final Op op = operations.get(step);
            assertEquals(apply(single, op), apply(held, op), "step " + step + " of " + operations);
        }
        held.flush();
        single.flush();
        assertEquals(tables.rows("repoint_single"), tables.rows("repoint_held"), operations.toString());
    }

    private static Object apply(final JdbcIdentityStore store, final Op op) throws IOException {
        switch (op.kind()) {
            case 0 -> store.put(entry(op.a()), id(op.b()));
            case 1 -> store.repoint(id(op.a()), id(op.b()));
            case 2 -> {
                return String.valueOf(store.getAndPutIfAbsent(entry(op.a()), id(op.b())));
            }
            case 3 -> {
                final Set<String> keys = new LinkedHashSet<>(List.of(entry(op.a()), entry(op.b()), entry(op.a() + 1)));
                return new TreeMap<>(new HashMap<>(store.getAll(keys)));
            }
            default -> store.flush();
        }
        return null;
    }

    @Provide
    Arbitrary<List<Op>> operations() {
        final Arbitrary<Integer> kind = Arbitraries.frequency(
                Tuple.of(4, 0), Tuple.of(4, 1), Tuple.of(1, 2),
                Tuple.of(1, 3), Tuple.of(1, 4));
        final Arbitrary<Integer> small = Arbitraries.integers().between(0, 11);
        return Combinators.combine(kind, small, small).as(Op::new).list().ofMinSize(1).ofMaxSize(30);
    }

    @Provide
    Arbitrary<Integer> chunks() {
        return Arbitraries.of(1, 2, 3, 500);
    }
}
