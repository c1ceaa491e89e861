package io.datasync.nifi.processors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ProfileMerge with Stored Profile Store Type Database against a real PostgreSQL: the same golden profiles as one
 * lookup per customer, one query per chunk, outages to retry, hostile names rejected, unreadable column types to failure.
 */
class ProfileMergeDatabaseStoreTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] SOURCES = {"crm", "web", "shop"};
    private static final String[] CITIES = {"Berlin", "Paris", null, "Lyon", ""};
    private static EmbeddedConsentDatabase database;

    @BeforeAll
    static void startDatabase() throws IOException, SQLException {
        database = EmbeddedConsentDatabase.start();
        database.execute("""
                CREATE TABLE profiles (
                    customer_id    TEXT PRIMARY KEY,
                    email          TEXT,
                    first_name     TEXT,
                    city           TEXT,
                    lifetime_value DOUBLE PRECISION,
                    updated_at     TEXT
                );
                """);
    }

    @AfterAll
    static void stopDatabase() throws IOException {
        if (database != null) {
            database.close();
        }
    }

    @BeforeEach
    void emptyTable() throws SQLException {
        database.execute("TRUNCATE profiles");
    }

    private static TestRunner runner(final boolean batched, final int batchSize) throws Exception {
        final TestRunner runner = TestRunners.newTestRunner(ProfileMerge.class);
        JsonRecordServices.configure(runner, ProfileMerge.RECORD_READER.getName(), ProfileMerge.RECORD_WRITER.getName());
        runner.setProperty(ProfileMerge.CUSTOMER_KEY_PATH, "/customer_id");
        runner.setProperty("first_name", "source_priority:crm,web,shop");
        runner.setProperty("city", "latest");
        runner.setProperty("lifetime_value", "max");
        if (batched) {
            database.addPool(runner);
            runner.setProperty(ProfileMerge.STORE_TYPE, ProfileMerge.StoredProfileStoreType.DATABASE.getValue());
            runner.setProperty(ProfileMerge.DBCP_SERVICE, "pool");
            runner.setProperty(ProfileMerge.STORED_TABLE, "profiles");
            runner.setProperty(ProfileMerge.STORED_BATCH_SIZE, String.valueOf(batchSize));
        } else {
            // typed from the columns as the stock DatabaseRecordLookupService's result set reader types text and double columns
            final EmbeddedConsentDatabase.PerKeyLookup lookup = new EmbeddedConsentDatabase.PerKeyLookup(database,
                    "SELECT * FROM profiles WHERE customer_id = ?", (metaData, column, value) -> metaData.getColumnType(column) == Types.DOUBLE
                            ? RecordFieldType.DOUBLE.getDataType() : RecordFieldType.STRING.getDataType());
            runner.addControllerService("lookup", lookup);
            runner.enableControllerService(lookup);
            runner.setProperty(ProfileMerge.LOOKUP_SERVICE, "lookup");
        }
        return runner;
    }

    private static String input(final Random random, final int customers) throws SQLException {
        final List<Map<String, Object>> records = new ArrayList<>();
        for (int c = 0; c < customers; c++) {
            final String id = random.nextInt(5) == 0 ? "o'c" + c : "c" + c;
            if (random.nextInt(3) > 0) {
                try (PreparedStatement statement = database.shared().prepareStatement(
                        "INSERT INTO profiles VALUES (?, ?, ?, ?, ?, ?)")) {
                    statement.setString(1, id);
                    statement.setString(2, random.nextBoolean() ? "stored" + c + "@example.com" : null);
                    statement.setString(3, random.nextBoolean() ? "Stored" + c : null);
                    statement.setString(4, CITIES[random.nextInt(CITIES.length)]);
                    if (random.nextBoolean()) {
                        statement.setDouble(5, random.nextInt(1000) / 4.0);
                    } else {
                        statement.setNull(5, Types.DOUBLE);
                    }
                    statement.setString(6, Instant.parse("2024-01-01T00:00:00Z").plusSeconds(86_400L * random.nextInt(300)).toString());
                    statement.executeUpdate();
                }
            }
            final int count = 1 + random.nextInt(3);
            for (int r = 0; r < count; r++) {
                final Map<String, Object> record = new LinkedHashMap<>();
                record.put("customer_id", id);
                record.put("source", SOURCES[random.nextInt(SOURCES.length)]);
                record.put("updated_at", Instant.parse("2024-01-01T00:00:00Z").plusSeconds(86_400L * random.nextInt(300)).toString());
                record.put("email", random.nextBoolean() ? "new" + c + "@example.com" : null);
                record.put("first_name", random.nextBoolean() ? "First" + r : null);
                record.put("city", CITIES[random.nextInt(CITIES.length)]);
                record.put("lifetime_value", random.nextInt(1000) / 4.0);
                records.add(record);
            }
        }
        try {
            return JSON.writeValueAsString(records);
        } catch (final IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode run(final TestRunner runner, final String input) throws IOException {
        runner.enqueue(input);
        runner.run();
        runner.assertAllFlowFilesTransferred(ProfileMerge.REL_SUCCESS, 1);
        final MockFlowFile out = runner.getFlowFilesForRelationship(ProfileMerge.REL_SUCCESS).get(0);
        final JsonNode profiles = JSON.readTree(out.getContent());
        return JSON.createObjectNode().put("stored", out.getAttribute(ProfileMerge.STORED_PROFILES))
                .put("conflicts", out.getAttribute(ProfileMerge.TYPE_CONFLICT_FIELDS)).set("profiles", profiles);
    }

    @Test
    void sameProfilesAsOneLookupPerCustomerOnGeneratedData() throws Exception {
        int withStored = 0;
        for (long seed = 1; seed <= 10; seed++) {
            database.execute("TRUNCATE profiles");
            final Random random = new Random(seed);
            final int customers = 1 + random.nextInt(80);
            final int batchSize = 1 + random.nextInt(30);
            final String input = input(random, customers);
            final JsonNode expected = run(runner(false, batchSize), input);
            final TestRunner batched = runner(true, batchSize);
            final JsonNode actual = run(batched, input);
            assertEquals(expected, actual, "seed " + seed);
            final EmbeddedConsentDatabase.Pool pool = (EmbeddedConsentDatabase.Pool) batched.getControllerService("pool");
            assertEquals((customers + batchSize - 1) / batchSize, pool.statements(), "one query per chunk, seed " + seed);
            withStored += Integer.parseInt(actual.get("stored").asText());
        }
        assertTrue(withStored > 100, "profiles with a stored profile: " + withStored);
    }

    @Test
    void databaseDownSendsTheFlowFileToRetry() throws Exception {
        final TestRunner runner = runner(true, 10);
        ((EmbeddedConsentDatabase.Pool) runner.getControllerService("pool")).goDown();
        runner.enqueue("[{\"customer_id\":\"c1\",\"source\":\"crm\",\"updated_at\":\"2024-01-01T00:00:00Z\"}]");
        runner.run();
        runner.assertAllFlowFilesTransferred(ProfileMerge.REL_RETRY, 1);
    }

    @Test
    void columnTypeWithoutARecordTypeGoesToFailure() throws Exception {
        database.execute("CREATE OR REPLACE VIEW profiles_bytes AS SELECT customer_id, decode('00', 'hex') AS secret FROM profiles");
        database.execute("INSERT INTO profiles (customer_id) VALUES ('c1')");
        final TestRunner runner = runner(true, 10);
        runner.setProperty(ProfileMerge.STORED_TABLE, "profiles_bytes");
        runner.enqueue("[{\"customer_id\":\"c1\",\"source\":\"crm\",\"updated_at\":\"2024-01-01T00:00:00Z\"}]");
        runner.run();
        runner.assertAllFlowFilesTransferred(ProfileMerge.REL_FAILURE, 1);
    }

    @Test
    void hostileIdentifiersAreRejected() throws Exception {
        final TestRunner runner = runner(true, 10);
        runner.assertValid();
        for (final String table : List.of("profiles; DROP TABLE profiles", "profiles--", "\"p\"", "a.b.c", "9p", "")) {
            runner.setProperty(ProfileMerge.STORED_TABLE, table);
            runner.assertNotValid();
        }
        runner.setProperty(ProfileMerge.STORED_TABLE, "public.profiles");
        runner.assertValid();
        runner.setProperty(ProfileMerge.STORED_KEY_COLUMN, "customer_id OR 1=1");
        runner.assertNotValid();
        runner.setProperty(ProfileMerge.STORED_KEY_COLUMN, "customer_id");
        runner.setProperty(ProfileMerge.STORED_BATCH_SIZE, "0");
        runner.assertNotValid();
    }

}
