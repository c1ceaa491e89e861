package io.datasync.nifi.processors;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.datasync.nifi.common.BatchedKeyReader;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ConsentFilter with Consent Store Type Database against a real PostgreSQL holding the templates' consent table and
 * consent_lookup view: the same decisions as the one-lookup-per-subject path, one query per chunk, withdrawals counted
 * at once, outages failing closed, hostile names rejected, and an index in the batched query's plan.
 */
class ConsentFilterDatabaseStoreTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    private static final String[] STORE_PURPOSES = {"email_marketing", "personalisation", "analytics"};
    private static final String[] STORE_STATUSES = {"GRANTED", "WITHDRAWN", "PENDING"};
    private static final String[] RECORD_STATUSES = {null, "granted", "withdrawn", "denied", "pending", "maybe"};
    private static final String[] COUNTRIES = {null, "DE", "FR", "US-CA", "US", "BR"};

    private static EmbeddedConsentDatabase database;

    @BeforeAll
    static void startDatabase() throws IOException, SQLException {
        database = EmbeddedConsentDatabase.start();
    }

    @AfterAll
    static void stopDatabase() throws IOException {
        if (database != null) {
            database.close();
        }
    }

    @BeforeEach
    void emptyTable() throws SQLException {
        database.execute("TRUNCATE consent");
    }

    private static TestRunner runner(final boolean batched, final int batchSize) throws Exception {
        final TestRunner runner = TestRunners.newTestRunner(ConsentFilter.class);
        JsonRecordServices.configure(runner, ConsentFilter.RECORD_READER.getName(), ConsentFilter.RECORD_WRITER.getName());
        runner.setProperty(ConsentFilter.PURPOSES, "email_marketing, personalisation");
        runner.setProperty(ConsentFilter.SUBJECT_KEY_PATH, "/email");
        if (batched) {
            database.addPool(runner);
            runner.setProperty(ConsentFilter.CONSENT_STORE_TYPE, ConsentFilter.ConsentStoreType.DATABASE.getValue());
            runner.setProperty(ConsentFilter.DBCP_SERVICE, "pool");
            runner.setProperty(ConsentFilter.CONSENT_TABLE, "consent_lookup");
            runner.setProperty(ConsentFilter.STORE_BATCH_SIZE, String.valueOf(batchSize));
        } else {
            final EmbeddedConsentDatabase.PerKeyLookup lookup = new EmbeddedConsentDatabase.PerKeyLookup(database);
            runner.addControllerService("lookup", lookup);
            runner.enableControllerService(lookup);
            runner.setProperty(ConsentFilter.LOOKUP_SERVICE, "lookup");
        }
        return runner;
    }

    private static EmbeddedConsentDatabase.Pool pool(final TestRunner runner) {
        return (EmbeddedConsentDatabase.Pool) runner.getControllerService("pool");
    }

    private static List<Map<String, Object>> records(final MockFlowFile flowFile) throws IOException {
        return JSON.readValue(flowFile.getContent(), new TypeReference<>() { });
    }

    /** Each record's id to "decision/reason/warning", over success and excluded. */
    private static Map<Object, String> decisions(final TestRunner runner) throws IOException {
        final Map<Object, String> decisions = new HashMap<>();
        for (final String relationship : List.of("success", "excluded")) {
            for (final MockFlowFile flowFile : runner.getFlowFilesForRelationship(relationship)) {
                for (final Map<String, Object> record : records(flowFile)) {
                    decisions.put(record.get("id"), record.get("consent_decision") + "/" + record.get("consent_reason") + "/"
                            + record.get("consent_warning"));
                }
            }
        }
        return decisions;
    }

    private static String json(final List<Map<String, Object>> records) throws IOException {
        return JSON.writeValueAsString(records);
    }

    private static Map<String, Object> record(final int id, final String email, final String country, final String consent, final Instant at) {
        final Map<String, Object> record = new LinkedHashMap<>();
        record.put("id", id);
        record.put("email", email);
        record.put("country", country);
        record.put("consent", consent);
        record.put("consent_at", at == null ? null : at.toString());
        return record;
    }

    /** Generated subjects and store rows, with keys that would break unparameterised SQL. */
    private static List<Map<String, Object>> generate(final Random random, final int subjects) throws SQLException {
        final List<Map<String, Object>> records = new ArrayList<>();
        final Instant[] times = {NOW.minus(Duration.ofDays(40)), NOW.minus(Duration.ofDays(20)), NOW.minus(Duration.ofDays(10)), NOW.minus(Duration.ofDays(1))};
        int id = 0;
        for (int s = 0; s < subjects; s++) {
            final String email = switch (random.nextInt(6)) {
                case 0 -> "o'brien" + s + "@example.com";
                case 1 -> "x" + s + "') OR 1=1 --@example.com";
                case 2 -> "ünï" + s + "@exämple.de";
                default -> "user" + s + "@example.com";
            };
            for (final String purpose : STORE_PURPOSES) {
                if (random.nextInt(3) > 0) {
                    database.upsertConsent(email, purpose, STORE_STATUSES[random.nextInt(STORE_STATUSES.length)], times[random.nextInt(times.length)]);
                }
            }
            final int recordCount = 1 + random.nextInt(3);
            for (int r = 0; r < recordCount; r++) {
                final Instant at = random.nextBoolean() ? times[random.nextInt(times.length)] : null;
                records.add(record(id++, email, COUNTRIES[random.nextInt(COUNTRIES.length)], RECORD_STATUSES[random.nextInt(RECORD_STATUSES.length)], at));
            }
        }
        java.util.Collections.shuffle(records, random);
        return records;
    }

    @Test
    void sameDecisionsAsOneLookupPerSubjectOnGeneratedData() throws Exception {
        int compared = 0;
        final java.util.Set<String> reasons = new java.util.TreeSet<>();
        for (long seed = 1; seed <= 12; seed++) {
            database.execute("TRUNCATE consent");
            final Random random = new Random(seed);
            final int subjects = 1 + random.nextInt(120);
            final int batchSize = 1 + random.nextInt(50);
            final String input = json(generate(random, subjects));
            final Map<Object, String> expected = run(runner(false, batchSize), input);
            final TestRunner batched = runner(true, batchSize);
            final Map<Object, String> actual = run(batched, input);
            assertEquals(expected, actual, "seed " + seed);
            assertEquals(1, pool(batched).connections(), "one connection per FlowFile, seed " + seed);
            assertEquals((subjects + batchSize - 1) / batchSize, pool(batched).statements(), "one query per chunk, seed " + seed);
            compared += expected.size();
            expected.values().forEach(decision -> reasons.add(decision.split("/")[1]));
        }
        assertTrue(compared > 500, "compared " + compared + " records");
        // the data reaches the store's grants and withdrawals, the records' own consent and the jurisdictions' defaults
        assertTrue(reasons.containsAll(List.of("GRANTED", "WITHDRAWN", "NO_CONSENT_RECORD", "DENIED")), reasons.toString());
    }

    private static Map<Object, String> run(final TestRunner runner, final String input) throws Exception {
        for (final String property : List.of("Consent Status Record Path", "Consent Timestamp Record Path", "Jurisdiction Record Path")) {
            runner.setProperty(property, switch (property) {
                case "Consent Status Record Path" -> "/consent";
                case "Consent Timestamp Record Path" -> "/consent_at";
                default -> "/country";
            });
        }
        runner.setProperty(ConsentFilter.OPT_OUT_JURISDICTIONS, "US-CA");
        runner.enqueue(input.getBytes(StandardCharsets.UTF_8));
        runner.run();
        runner.assertTransferCount(ConsentFilter.REL_RETRY, 0);
        runner.assertTransferCount(ConsentFilter.REL_FAILURE, 0);
        return decisions(runner);
    }

    @Test
    void storeOnlyFlowFileReadsTheKeysInOneQuery() throws Exception {
        database.upsertConsent("a@example.com", "email_marketing", "GRANTED", NOW.minus(Duration.ofDays(2)));
        database.upsertConsent("a@example.com", "personalisation", "GRANTED", NOW.minus(Duration.ofDays(2)));
        database.upsertConsent("b@example.com", "email_marketing", "WITHDRAWN", NOW.minus(Duration.ofDays(2)));
        final TestRunner runner = runner(true, 500);
        runner.enqueue(json(List.of(record(1, "a@example.com", null, null, null), record(2, "b@example.com", null, null, null),
                record(3, "c@example.com", null, null, null), record(4, "a@example.com", null, null, null))));
        runner.run();
        assertEquals(Map.of(1, "allowed/GRANTED/null", 4, "allowed/GRANTED/null", 2, "excluded/WITHDRAWN/null",
                3, "excluded/NO_CONSENT_RECORD/null"), decisions(runner));
        assertEquals(1, pool(runner).statements());
    }

    @Test
    void withdrawalCommittedBetweenTwoFlowFilesIsHonouredByTheSecond() throws Exception {
        database.upsertConsent("w@example.com", "email_marketing", "GRANTED", NOW.minus(Duration.ofDays(3)));
        database.upsertConsent("w@example.com", "personalisation", "GRANTED", NOW.minus(Duration.ofDays(3)));
        final TestRunner runner = runner(true, 10);
        runner.enqueue(json(List.of(record(1, "w@example.com", null, null, null))));
        runner.run();
        assertEquals(Map.of(1, "allowed/GRANTED/null"), decisions(runner));

        database.upsertConsent("w@example.com", "email_marketing", "WITHDRAWN", NOW.minus(Duration.ofMinutes(1)));
        runner.clearTransferState();
        runner.enqueue(json(List.of(record(2, "w@example.com", null, null, null))));
        runner.run();
        assertEquals(Map.of(2, "excluded/WITHDRAWN/null"), decisions(runner));
        runner.assertTransferCount(ConsentFilter.REL_SUCCESS, 0);
    }

    @Test
    void databaseDownFailsClosedToRetry() throws Exception {
        database.upsertConsent("d@example.com", "email_marketing", "GRANTED", NOW.minus(Duration.ofDays(3)));
        database.upsertConsent("d@example.com", "personalisation", "GRANTED", NOW.minus(Duration.ofDays(3)));
        final TestRunner runner = runner(true, 10);
        pool(runner).goDown();
        final String input = json(List.of(record(1, "d@example.com", null, "granted", NOW)));
        runner.enqueue(input);
        runner.run();
        runner.assertAllFlowFilesTransferred(ConsentFilter.REL_RETRY, 1);
        final MockFlowFile retried = runner.getFlowFilesForRelationship(ConsentFilter.REL_RETRY).get(0);
        retried.assertContentEquals(input);
        assertTrue(retried.getAttribute("consent.error").startsWith("Consent lookup failed"), retried.getAttribute("consent.error"));
        assertFalse(retried.getAttribute("consent.error").contains("d@example.com"));
        assertTrue(retried.isPenalized());
    }

    @Test
    void missingTableFailsClosedToRetry() throws Exception {
        final TestRunner runner = runner(true, 10);
        runner.setProperty(ConsentFilter.CONSENT_TABLE, "no_such_view");
        runner.enqueue(json(List.of(record(1, "m@example.com", null, "granted", NOW))));
        runner.run();
        runner.assertAllFlowFilesTransferred(ConsentFilter.REL_RETRY, 1);
    }

    @Test
    void queryOverTheTimeoutIsCancelledAndFailsClosedToRetry() throws Exception {
        database.upsertConsent("s@example.com", "email_marketing", "GRANTED", NOW.minus(Duration.ofDays(3)));
        database.upsertConsent("s@example.com", "personalisation", "GRANTED", NOW.minus(Duration.ofDays(3)));
        database.execute("CREATE OR REPLACE VIEW slow_consent AS SELECT c.* FROM consent_lookup c, pg_sleep(5)");
        final TestRunner runner = runner(true, 10);
        runner.setProperty(ConsentFilter.CONSENT_TABLE, "slow_consent");
        runner.setProperty(ConsentFilter.STORE_QUERY_TIMEOUT, "1 sec");
        runner.enqueue(json(List.of(record(1, "s@example.com", null, null, null))));
        final long started = System.nanoTime();
        runner.run();
        final Duration took = Duration.ofNanos(System.nanoTime() - started);
        runner.assertAllFlowFilesTransferred(ConsentFilter.REL_RETRY, 1);
        assertTrue(took.compareTo(Duration.ofSeconds(4)) < 0, "cancelled after " + took);
    }

    @Test
    void tableWithSeveralRowsPerSubjectGoesToFailure() throws Exception {
        database.upsertConsent("t@example.com", "email_marketing", "GRANTED", NOW.minus(Duration.ofDays(3)));
        database.upsertConsent("t@example.com", "personalisation", "GRANTED", NOW.minus(Duration.ofDays(3)));
        final TestRunner runner = runner(true, 10);
        // the raw table holds one row per purpose: its status would wrongly count for every purpose
        runner.setProperty(ConsentFilter.CONSENT_TABLE, "consent");
        runner.enqueue(json(List.of(record(1, "t@example.com", null, null, null))));
        runner.run();
        runner.assertAllFlowFilesTransferred(ConsentFilter.REL_FAILURE, 1);
        final String error = runner.getFlowFilesForRelationship(ConsentFilter.REL_FAILURE).get(0).getAttribute("consent.error");
        assertTrue(error.contains("one row per key"), error);
        assertFalse(error.contains("t@example.com"));
    }

    @Test
    void hostileIdentifiersAreRejected() throws Exception {
        final TestRunner runner = runner(true, 10);
        runner.assertValid();
        for (final String table : List.of("consent; DROP TABLE consent", "consent_lookup--", "\"consent\"", "a.b.c", "1consent", "consent lookup",
                "consent/**/", "", " consent", "x".repeat(64), "public.")) {
            runner.setProperty(ConsentFilter.CONSENT_TABLE, table);
            runner.assertNotValid();
        }
        runner.setProperty(ConsentFilter.CONSENT_TABLE, "public.consent_lookup");
        runner.assertValid();
        for (final String column : List.of("subject_key = subject_key OR 1=1", "subject key", "a.b", "'k'", "k)")) {
            runner.setProperty(ConsentFilter.SUBJECT_KEY_COLUMN, column);
            runner.assertNotValid();
        }
        runner.setProperty(ConsentFilter.SUBJECT_KEY_COLUMN, "subject_key");
        for (final var field : List.of(ConsentFilter.STORE_STATUS_FIELD, ConsentFilter.STORE_TIMESTAMP_FIELD, ConsentFilter.STORE_PURPOSES_FIELD)) {
            runner.setProperty(field, "status); DELETE FROM consent; --");
            runner.assertNotValid();
            runner.setProperty(field, "some_column");
            runner.assertValid();
        }
        runner.setProperty(ConsentFilter.STORE_BATCH_SIZE, "0");
        runner.assertNotValid();
        runner.setProperty(ConsentFilter.STORE_BATCH_SIZE, "10001");
        runner.assertNotValid();
        runner.setProperty(ConsentFilter.STORE_BATCH_SIZE, "10");
        runner.setProperty(ConsentFilter.STORE_QUERY_TIMEOUT, "2 hours");
        runner.assertNotValid();
        runner.setProperty(ConsentFilter.STORE_QUERY_TIMEOUT, "0 sec");
        runner.assertValid();
        runner.setProperty(ConsentFilter.STORE_BATCH_SIZE, "10");
        runner.removeProperty(ConsentFilter.SUBJECT_KEY_PATH);
        runner.assertNotValid();
    }

    @Test
    void batchedQueryOnTheConsentViewUsesTheIndex() throws Exception {
        database.execute("""
                INSERT INTO consent (subject_key, purpose, status, updated_at)
                SELECT 'user' || n || '@example.com', p, 'GRANTED', now() - (n || ' minutes')::interval
                FROM generate_series(1, 20000) AS n, unnest(ARRAY['email_marketing', 'personalisation']) AS p;
                ANALYZE consent;
                """);
        final BatchedKeyReader reader = new BatchedKeyReader("consent_lookup", "subject_key", 3);
        final List<String> plan = database.explain(reader.sql(3), List.of("user1@example.com", "user2@example.com", "user3@example.com"));
        final String text = String.join("\n", plan);
        assertTrue(text.contains("Index") && text.contains("consent_pkey"), text);
        assertFalse(text.contains("Seq Scan"), text);
    }
}
