package io.datasync.nifi.processors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.datasync.nifi.identity.testdata.MultinationalCustomers;
import io.datasync.nifi.identity.testdata.MultinationalCustomers.Row;
import io.datasync.nifi.identity.testdata.ReferenceMatcher;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CustomerDedup with Identity Store Type Database against a real PostgreSQL holding the shipped DDL
 * (sql/01_identity.sql): the same ids as the map cache, identifiers that belong to one customer and name its current
 * id after merges, placeholders never stored, two nodes agreeing on one id, and a database outage to failure.
 */
class CustomerDedupDatabaseStoreTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String HASH_KEY = CustomerDedupMultinationalTest.HASH_KEY;
    private static EmbeddedConsentDatabase database;

    @BeforeAll
    @BeforeContainer
    static void startDatabase() throws IOException, SQLException {
        if (database == null) {
            database = EmbeddedConsentDatabase.start();
            database.execute(Files.readString(identityDdl()));
        }
    }

    @AfterAll
    @AfterContainer
    static void stopDatabase() throws IOException {
        if (database != null) {
            database.close();
            database = null;
        }
    }

    /** The repository's sql/01_identity.sql, found from the module directory upwards. */
    /** Runs every file of the repository's sql/ in name order on {@code connection}, as a user sets up the database. */
    static void applyShippedDdl(final Connection connection) throws IOException, SQLException {
        try (Stream<Path> files = Files.list(identityDdl().getParent());
             Statement statement = connection.createStatement()) {
            for (final Path file : files.filter(f -> f.toString().endsWith(".sql")).sorted().toList()) {
                statement.execute(Files.readString(file));
            }
        }
    }

    static Path identityDdl() {
        for (Path directory = Path.of("").toAbsolutePath(); directory != null; directory = directory.getParent()) {
            final Path file = directory.resolve("sql").resolve("01_identity.sql");
            if (Files.isRegularFile(file)) {
                return file;
            }
        }
        throw new IllegalStateException("sql/01_identity.sql not found above the working directory");
    }

    @BeforeEach
    void emptyTable() throws SQLException {
        database.execute("TRUNCATE customer_identity");
    }

    /** A CustomerDedup configured as the templates configure it, on the database store or on an in-memory map cache. */
    static final class Node {
        final TestRunner runner;
        final EmbeddedConsentDatabase.Pool pool;
        final Map<String, String> survivorOf = new HashMap<>();

        Node(final boolean databaseStore) throws Exception {
            runner = TestRunners.newTestRunner(CustomerDedup.class);
            JsonRecordServices.configure(runner, CustomerDedup.RECORD_READER.getName(), CustomerDedup.RECORD_WRITER.getName());
            runner.setProperty("email", "/emails");
            runner.setProperty("phone", "/phone");
            runner.setProperty(CustomerDedup.EMAIL_RECORD_PATHS, "/emails");
            runner.setProperty(CustomerDedup.PHONE_RECORD_PATHS, "/phone");
            runner.setProperty(CustomerDedup.PHONE_REGION_RECORD_PATH, "/country");
            runner.setProperty(CustomerDedup.IDENTITY_HASH_KEY, HASH_KEY);
            if (databaseStore) {
                pool = database.addPool(runner);
                runner.setProperty(CustomerDedup.IDENTITY_STORE_TYPE, CustomerDedup.IdentityStoreType.DATABASE.getValue());
                runner.setProperty(CustomerDedup.IDENTITY_DBCP_SERVICE, "pool");
                runner.setProperty(CustomerDedup.IDENTITY_TABLE, "customer_identity");
            } else {
                pool = null;
                final InMemoryMapCacheClient cache = new InMemoryMapCacheClient();
                runner.addControllerService("cache", cache);
                runner.enableControllerService(cache);
                runner.setProperty(CustomerDedup.MAP_CACHE_CLIENT, "cache");
            }
            runner.assertValid();
        }

        /** @return the customer id of every record by source id, as written (merges reported are kept in survivorOf) */
        Map<String, String> feed(final List<List<Row>> batches) throws IOException {
            return CustomerDedupMultinationalTest.feed(runner, batches, survivorOf);
        }

        String current(final String id) {
            return CustomerDedupMultinationalTest.current(survivorOf, id);
        }

        Map<String, String> resolved(final Map<String, String> idOf) {
            final Map<String, String> resolved = new HashMap<>();
            idOf.forEach((record, id) -> resolved.put(record, current(id)));
            return resolved;
        }
    }

    /** Identifier hash to customer id, as the customer_identifiers view shows them. */
    private static Map<String, String> identifiers() throws SQLException {
        return rows("SELECT identifier_hash, customer_id FROM customer_identifiers");
    }

    /** The first two columns of every row, as text. */
    private static Map<String, String> rows(final String sql) throws SQLException {
        final Map<String, String> rows = new HashMap<>();
        try (java.sql.Statement statement = database.shared().createStatement(); java.sql.ResultSet result = statement.executeQuery(sql)) {
            while (result.next()) {
                rows.put(result.getString(1), result.getString(2));
            }
        }
        return rows;
    }

    @Property(tries = 4)
    void databaseStoreGivesTheMapCachesIdsAndIdentifiersNameCurrentIds(@ForAll @LongRange(min = 1, max = 1_000_000) final long seed,
                                                                      @ForAll @IntRange(min = 2, max = 25) final int averageBatch)
            throws Exception {
        database.execute("TRUNCATE customer_identity");
        final List<Row> rows = new MultinationalCustomers(seed).generate(15);
        final List<List<Row>> batches = CustomerDedupMultinationalTest.shuffledBatches(rows, new Random(seed), averageBatch);

        final Node viaDatabase = new Node(true);
        final Map<String, String> written = viaDatabase.feed(batches);
        final Map<String, String> cacheWritten = new Node(false).feed(batches);
        assertEquals(cacheWritten, written, "the same batches: the same ids through the database as through the map cache");

        final Map<String, String> resolved = viaDatabase.resolved(written);
        final ReferenceMatcher.Score score = CustomerDedupMultinationalTest.score(rows, resolved);
        assertEquals(1.0, score.precision(), "no two people share an id: " + score);
        assertEquals(1.0, score.recall(), "every connected person has one id: " + score);

        // Every identifier row names a current id (merged-away ids were re-pointed), and only ids records got.
        final Set<String> currentIds = new HashSet<>(resolved.values());
        for (final Map.Entry<String, String> identifier : identifiers().entrySet()) {
            assertFalse(viaDatabase.survivorOf.containsKey(identifier.getValue()), "an identifier still names a merged-away id");
            assertTrue(currentIds.contains(identifier.getValue()), "an identifier names an id no record has");
            assertEquals(64, identifier.getKey().length(), "identifiers are stored as 64-hex-digit hashes only");
        }
        final int merges = viaDatabase.survivorOf.size();
        assertEquals(resolved, viaDatabase.resolved(viaDatabase.feed(batches)), "fed again: the same ids");
        assertEquals(merges, viaDatabase.survivorOf.size(), "fed again: nothing merged");
    }

    @Test
    void placeholdersNeverBecomeIdentifiersAndTwoPeopleBehindOneKeepTwoIds() throws Exception {
        final Node node = new Node(true);
        node.runner.setProperty(CustomerDedup.RECORD_ID_RECORD_PATHS, "/source_id");
        node.runner.enqueue("[{\"source_id\":\"a\",\"emails\":[\"test@example.com\"],\"phone\":\"000000\",\"country\":\"GB\"},"
                + "{\"source_id\":\"b\",\"emails\":[\"TEST@example.com\"],\"phone\":\"000000\",\"country\":\"GB\"},"
                + "{\"source_id\":\"c\",\"emails\":[\"n/a\",\"ann@example.org\"],\"phone\":null,\"country\":\"GB\"}]");
        node.runner.run();
        node.runner.assertTransferCount(CustomerDedup.REL_SUCCESS, 1);
        final JsonNode out = MAPPER.readTree(node.runner.getFlowFilesForRelationship(CustomerDedup.REL_SUCCESS).get(0).getContent());
        assertNotEquals(out.get(0).get("customer_id").asText(), out.get(1).get("customer_id").asText(), "a placeholder links nobody");
        assertEquals(Set.of(out.get(2).get("customer_id").asText()), new HashSet<>(identifiers().values()),
                "only ann's address became an identifier");
        assertEquals(1, identifiers().size());
        final String stored = String.join(" ", rows("SELECT entry_key, entry_value FROM customer_identity").keySet());
        assertFalse(stored.contains("example"), "no raw identifier in the table");
    }

    @Test
    void aLinkFoundLaterRepointsTheOldIdsIdentifiers() throws Exception {
        final Node node = new Node(true);
        node.feed(List.of(List.of(row("1", "ann@example.org", null)), List.of(row("2", "ann.work@example.org", "+44 20 7946 0958"))));
        assertEquals(2, new HashSet<>(identifiers().values()).size(), "two customers before the link");
        final Map<String, String> ids = node.feed(List.of(List.of(row("3", "ann@example.org", "+44 20 7946 0958"))));
        assertEquals(1, node.survivorOf.size(), "the link merges one id into the other");
        final String survivor = node.survivorOf.values().iterator().next();
        assertEquals(survivor, ids.get("3"));
        assertEquals(Set.of(survivor), new HashSet<>(identifiers().values()), "all three identifiers name the survivor");
        assertEquals(3, identifiers().size());
    }

    @Test
    void twoNodesClaimingTheSameNewCustomerAtOnceAgreeOnOneId() throws Exception {
        final List<Row> rows = new MultinationalCustomers(7).generate(40);
        final List<List<Row>> batchesA = CustomerDedupMultinationalTest.shuffledBatches(rows, new Random(1), 5);
        final List<List<Row>> batchesB = CustomerDedupMultinationalTest.shuffledBatches(rows, new Random(2), 7);
        final Node a = new Node(true);
        final Node b = new Node(true);
        final ExecutorService executor = Executors.newFixedThreadPool(2);
        try {
            final Future<Map<String, String>> fromA = executor.submit((Callable<Map<String, String>>) () -> a.feed(batchesA));
            final Future<Map<String, String>> fromB = executor.submit((Callable<Map<String, String>>) () -> b.feed(batchesB));
            final Map<String, String> idsA = fromA.get(120, TimeUnit.SECONDS);
            final Map<String, String> idsB = fromB.get(120, TimeUnit.SECONDS);
            final Map<String, String> survivors = new HashMap<>(a.survivorOf);
            survivors.putAll(b.survivorOf);
            final Node both = a;
            both.survivorOf.putAll(survivors);
            final Map<String, String> resolvedA = both.resolved(idsA);
            final Map<String, String> resolvedB = both.resolved(idsB);
            assertEquals(resolvedA, resolvedB, "both nodes end with one id per customer, merges applied");
            final ReferenceMatcher.Score score = CustomerDedupMultinationalTest.score(rows, resolvedA);
            assertEquals(1.0, score.precision(), score.toString());
            assertEquals(1.0, score.recall(), score.toString());
            for (final String customer : identifiers().values()) {
                assertFalse(survivors.containsKey(customer), "an identifier still names a merged-away id");
            }
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void anUnreachableDatabaseSendsTheFlowFileToFailureUnchangedWithoutPersonalData() throws Exception {
        final Node node = new Node(true);
        node.pool.goDown();
        final String json = "[{\"source_id\":\"1\",\"emails\":[\"ann@example.org\"],\"phone\":\"+44 20 7946 0958\",\"country\":\"GB\"}]";
        node.runner.enqueue(json);
        node.runner.run();
        node.runner.assertAllFlowFilesTransferred(CustomerDedup.REL_FAILURE, 1);
        final MockFlowFile failed = node.runner.getFlowFilesForRelationship(CustomerDedup.REL_FAILURE).get(0);
        failed.assertContentEquals(json);
        final String error = failed.getAttribute(CustomerDedup.ERROR_ATTRIBUTE);
        assertTrue(error.startsWith("Identity store failed"), error);
        assertFalse(error.contains("ann") || error.contains("7946"), error);
        node.runner.getLogger().getErrorMessages().forEach(message -> assertFalse(message.getMsg().contains("ann@"), message.getMsg()));
    }

    @Test
    void tableNamesThatAreNotPlainIdentifiersAreRejected() throws Exception {
        final Node node = new Node(true);
        node.runner.setProperty(CustomerDedup.IDENTITY_TABLE, "customer_identity; DROP TABLE consent");
        node.runner.assertNotValid();
        node.runner.setProperty(CustomerDedup.IDENTITY_TABLE, "public.customer_identity");
        node.runner.assertValid();
    }

    private static Row row(final String sourceId, final String email, final String phone) {
        return new Row(0, sourceId, List.of(email), phone, "GB", "Ann", Set.of());
    }
}
