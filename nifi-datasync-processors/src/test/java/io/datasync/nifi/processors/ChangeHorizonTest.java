package io.datasync.nifi.processors;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code datasync_change_horizon} (sql/02_profiles.sql) on a real PostgreSQL: a reader that keeps its position on
 * {@code recorded_at} and reads only below the horizon, as esp-audience-sync's QueryDatabaseTableRecord readers do,
 * reads a committed row at once when no writer is running, holds back every row stamped after a running writer
 * began, and, with writers whose transactions outlast any settle interval, reads every committed row exactly once.
 */
class ChangeHorizonTest {

    /** The reader's query: QueryDatabaseTableRecord's where clause and its position kept on the change column. */
    private static final String READ = "SELECT subject_key, recorded_at::text FROM suppression "
            + "WHERE recorded_at < datasync_change_horizon(?::interval) AND recorded_at > ?::timestamptz ORDER BY recorded_at";
    private static final String INSERT = "INSERT INTO suppression (subject_key, reason, decided_at) VALUES (?, 'WITHDRAWN', now())";
    private static final String INSERT_SUB = "INSERT INTO suppression (subject_key, reason, decided_at) VALUES ('sub@example.com', 'WITHDRAWN', now())";

    private static EmbeddedPostgres postgres;

    @BeforeAll
    static void createSchema() throws IOException, SQLException {
        postgres = EmbeddedPostgres.builder().setServerConfig("listen_addresses", "127.0.0.1")
                .setServerConfig("max_prepared_transactions", "2").start();
        try (Connection connection = connect()) {
            CustomerDedupDatabaseStoreTest.applyShippedDdl(connection);
        }
    }

    @AfterAll
    static void stop() throws IOException {
        if (postgres != null) {
            postgres.close();
        }
    }

    @BeforeEach
    void empty() throws SQLException {
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            statement.execute("TRUNCATE suppression");
        }
    }

    private static Connection connect() throws SQLException {
        return postgres.getPostgresDatabase().getConnection();
    }

    @Test
    void aCommittedRowIsReadAtOnceWhenNoWriterIsRunning() throws SQLException {
        try (Connection writer = connect(); Connection reader = connect()) {
            insert(writer, "first@example.com");
            // A settle interval alone would hold this row back for the whole interval; the horizon does not.
            assertEquals(List.of("first@example.com"), keys(read(reader, "-infinity")));
        }
    }

    @Test
    void rowsStampedAfterARunningWriterBeganWaitUntilItEnds() throws Exception {
        try (Connection earlier = connect(); Connection running = connect(); Connection later = connect(); Connection reader = connect()) {
            insert(earlier, "before@example.com");
            running.setAutoCommit(false);
            insert(running, "running@example.com");
            Thread.sleep(20);
            insert(later, "after@example.com");

            // Committed, but stamped after the running writer began: reading it now would move the position past the
            // running writer's row, which would never be read.
            assertEquals(List.of("before@example.com"), keys(read(reader, "-infinity")));
            running.commit();
            assertEquals(List.of("before@example.com", "running@example.com", "after@example.com"), keys(read(reader, "-infinity")));
        }
    }

    @Test
    void aRolledBackWriterHoldsBackOnlyWhileItRuns() throws Exception {
        try (Connection running = connect(); Connection later = connect(); Connection reader = connect()) {
            running.setAutoCommit(false);
            insert(running, "undone@example.com");
            insert(later, "kept@example.com");
            assertEquals(List.of(), keys(read(reader, "-infinity")));
            running.rollback();
            assertEquals(List.of("kept@example.com"), keys(read(reader, "-infinity")));
        }
    }

    @Test
    void aWriterWhoseStartCannotBeSeenFallsBackToTheSettleInterval() throws Exception {
        try (Connection preparing = connect(); Connection later = connect(); Connection reader = connect()) {
            // A prepared transaction runs on without a session: pg_stat_activity cannot say when it started.
            preparing.setAutoCommit(false);
            insert(preparing, "prepared@example.com");
            try (Statement statement = preparing.createStatement()) {
                statement.execute("PREPARE TRANSACTION 'datasync-horizon-test'");
            }
            preparing.setAutoCommit(true);
            try {
                insert(later, "after@example.com");
                // Seen, "after" would be held back by the prepared writer's start; unseen, only the settle interval holds it.
                assertEquals(List.of(), keys(read(reader, "-infinity", "1 hour")), "only rows older than the settle interval");
            } finally {
                try (Statement statement = preparing.createStatement()) {
                    statement.execute("COMMIT PREPARED 'datasync-horizon-test'");
                }
            }
            assertEquals(List.of("prepared@example.com", "after@example.com"), keys(read(reader, "-infinity", "1 hour")));
        }
    }

    /**
     * The -infinity branch, without a race: a REPEATABLE READ reader keeps the snapshot its first statement took, so a
     * writer running then and committed before the reader's next statement is, for that statement, invisible and
     * gone from pg_stat_activity. Its row is stamped before a row the snapshot does see: a read that took the visible
     * row would move the position past the writer's, which no later read would take.
     */
    @Test
    void aWriterThatEndedAfterTheReadersSnapshotMakesThatReadTakeNothingAndTheNextTakeItsRows() throws Exception {
        try (Connection running = connect(); Connection later = connect(); Connection reader = connect()) {
            running.setAutoCommit(false);
            insert(running, "running@example.com");
            final OffsetDateTime runningStart = transactionStart(running);
            insert(later, "later@example.com");
            reader.setAutoCommit(false);
            reader.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            // The snapshot, taken by a statement that does not look at pg_stat_activity either (it would keep that
            // view for the rest of the transaction, and see the writer still running).
            assertEquals(List.of("later@example.com"), committedKeys(reader));
            running.commit();

            final List<String> read = new ArrayList<>();
            String position = readInto(reader, "-infinity", read);
            final String horizonInThatSnapshot = horizon(reader);
            reader.commit();
            final OffsetDateTime horizonAfter = horizonTime(reader);
            position = readInto(reader, position, read);

            assertEquals(List.of("running@example.com", "later@example.com"), read, "every row read once, in stamp order");
            assertEquals("-infinity", horizonInThatSnapshot, "that snapshot cannot see the writer's row: it reads nothing");
            assertFalse(horizonAfter.isBefore(runningStart), "a fresh read is bounded by the writer's start or later");
        }
    }

    /**
     * A writer whose rows are written in a subtransaction (a savepoint, or a plpgsql block with an exception handler)
     * still has its top-level transaction id, taken first, listed in pg_stat_activity: it holds the reader back by its
     * start, with no settle interval, until it ends; and, ended after a REPEATABLE READ reader's snapshot, it makes
     * that reader's next read take nothing.
     */
    @Test
    void aWriterWritingInASubtransactionHoldsTheReaderBackUntilItEnds() throws Exception {
        final Map<String, List<String>> writes = new LinkedHashMap<>();
        writes.put("savepoint released", List.of("SAVEPOINT s", INSERT_SUB, "RELEASE SAVEPOINT s"));
        writes.put("savepoint open", List.of("SAVEPOINT s", INSERT_SUB));
        writes.put("after a rolled-back savepoint", List.of("SAVEPOINT s", INSERT_SUB.replace("sub@", "undone@"), "ROLLBACK TO SAVEPOINT s",
                "SAVEPOINT t", INSERT_SUB));
        writes.put("nested savepoints", List.of("SAVEPOINT s", "SAVEPOINT t", INSERT_SUB, "RELEASE SAVEPOINT t"));
        writes.put("plpgsql exception block", List.of("DO $$ BEGIN BEGIN " + INSERT_SUB + "; EXCEPTION WHEN unique_violation THEN NULL; END; END $$"));
        for (final Map.Entry<String, List<String>> write : writes.entrySet()) {
            empty();
            try (Connection running = connect(); Connection later = connect(); Connection reader = connect()) {
                running.setAutoCommit(false);
                execute(running, write.getValue());
                insert(later, "later@example.com");
                assertEquals(List.of(), keys(read(reader, "-infinity")), write.getKey() + ": running");
                running.commit();
                assertEquals(List.of("sub@example.com", "later@example.com"), keys(read(reader, "-infinity")), write.getKey() + ": ended");
            }
            empty();
            try (Connection running = connect(); Connection later = connect(); Connection reader = connect()) {
                running.setAutoCommit(false);
                execute(running, write.getValue());
                insert(later, "later@example.com");
                reader.setAutoCommit(false);
                reader.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                assertEquals(List.of("later@example.com"), committedKeys(reader), write.getKey());
                running.commit();
                assertEquals(List.of(), keys(read(reader, "-infinity")), write.getKey() + ": ended after the snapshot");
                reader.commit();
                assertEquals(List.of("sub@example.com", "later@example.com"), keys(read(reader, "-infinity")), write.getKey() + ": next read");
            }
        }
    }

    /**
     * The oracle is the set of committed rows: writers in parallel, with transactions of up to 150 ms holding one to
     * three rows (some rolled back), while a reader polls every few milliseconds with no settle interval at all and
     * moves its position to the newest stamp it read. At the end the reader has read every committed row once, and
     * no rolled-back one. Three seeds, about a second each.
     */
    @Test
    void aPollingReaderReadsEveryCommittedRowOnceWhateverTheWritersTransactionsLast() throws Exception {
        for (final long seed : new long[] {1L, 2L, 3L}) {
            empty();
            final Set<String> committed = ConcurrentHashMap.newKeySet();
            final List<String> read = Collections.synchronizedList(new ArrayList<>());
            final ExecutorService writers = Executors.newFixedThreadPool(3);
            final long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(900);
            try {
                final List<Future<?>> done = new ArrayList<>();
                for (int w = 0; w < 3; w++) {
                    final Random random = new Random(seed * 31 + w);
                    final int writer = w;
                    done.add(writers.submit(() -> write(random, writer, until, committed)));
                }
                String position = "-infinity";
                try (Connection reader = connect()) {
                    while (!allDone(done)) {
                        position = readInto(reader, position, read);
                        Thread.sleep(3);
                    }
                    for (final Future<?> future : done) {
                        future.get(10, TimeUnit.SECONDS);
                    }
                    // Every writer has ended: one more read takes what is left.
                    readInto(reader, position, read);
                }
            } finally {
                writers.shutdownNow();
                assertTrue(writers.awaitTermination(10, TimeUnit.SECONDS), "writers stopped");
            }
            assertTrue(committed.size() > 10, "seed " + seed + ": the writers committed rows (" + committed.size() + ")");
            assertEquals(read.size(), new HashSet<>(read).size(), "seed " + seed + ": no row read twice");
            assertEquals(committed, new HashSet<>(read), "seed " + seed + ": every committed row read, no rolled-back one");
        }
    }

    private static Void write(final Random random, final int writer, final long until, final Set<String> committed) throws Exception {
        try (Connection connection = connect()) {
            connection.setAutoCommit(false);
            for (int transaction = 0; System.nanoTime() < until && transaction < 1_000; transaction++) {
                final List<String> keys = new ArrayList<>();
                final int rows = 1 + random.nextInt(3);
                for (int row = 0; row < rows; row++) {
                    final String key = "w" + writer + "-t" + transaction + "-r" + row + "@example.com";
                    insert(connection, key);
                    keys.add(key);
                    Thread.sleep(random.nextInt(50));
                }
                if (random.nextInt(5) == 0) {
                    connection.rollback();
                } else {
                    connection.commit();
                    committed.addAll(keys);
                }
            }
        }
        return null;
    }

    private static boolean allDone(final List<Future<?>> futures) {
        return futures.stream().allMatch(Future::isDone);
    }

    private static String readInto(final Connection reader, final String position, final List<String> read) throws SQLException {
        final List<String[]> rows = read(reader, position);
        rows.forEach(row -> read.add(row[0]));
        return rows.isEmpty() ? position : rows.getLast()[1];
    }

    private static void insert(final Connection connection, final String key) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(INSERT)) {
            statement.setString(1, key);
            statement.executeUpdate();
        }
    }

    private static void execute(final Connection connection, final List<String> statements) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            for (final String sql : statements) {
                statement.execute(sql);
            }
        }
    }

    /** The start of the connection's transaction, as pg_stat_activity shows it (xact_start). */
    private static OffsetDateTime transactionStart(final Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery("SELECT now()")) {
            result.next();
            return result.getObject(1, OffsetDateTime.class);
        }
    }

    /** Every row the connection's snapshot sees, in stamp order, read without the horizon. */
    private static List<String> committedKeys(final Connection reader) throws SQLException {
        final List<String> keys = new ArrayList<>();
        try (Statement statement = reader.createStatement();
             ResultSet result = statement.executeQuery("SELECT subject_key FROM suppression ORDER BY recorded_at")) {
            while (result.next()) {
                keys.add(result.getString(1));
            }
        }
        return keys;
    }

    private static String horizon(final Connection reader) throws SQLException {
        try (Statement statement = reader.createStatement();
             ResultSet result = statement.executeQuery("SELECT datasync_change_horizon('0 seconds')::text")) {
            result.next();
            return result.getString(1);
        }
    }

    private static OffsetDateTime horizonTime(final Connection reader) throws SQLException {
        try (Statement statement = reader.createStatement();
             ResultSet result = statement.executeQuery("SELECT datasync_change_horizon('0 seconds')")) {
            result.next();
            return result.getObject(1, OffsetDateTime.class);
        }
    }

    /** A read with no settle interval: the horizon alone keeps the position behind every running writer. */
    private static List<String[]> read(final Connection reader, final String position) throws SQLException {
        return read(reader, position, "0 seconds");
    }

    private static List<String[]> read(final Connection reader, final String position, final String fallbackSettle) throws SQLException {
        final List<String[]> rows = new ArrayList<>();
        try (PreparedStatement statement = reader.prepareStatement(READ)) {
            statement.setString(1, fallbackSettle);
            statement.setString(2, position);
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    rows.add(new String[] {result.getString(1), result.getString(2)});
                }
            }
        }
        return rows;
    }

    private static List<String> keys(final List<String[]> rows) {
        return rows.stream().map(row -> row[0]).toList();
    }
}
