package io.datasync.nifi.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The database objects the harness creates for the templates (the files of {@code sql/}) answer the
 * templates' batched store queries through an index: ConsentFilter's and ProfileMerge's Database store types ask
 * {@code SELECT * FROM <view> WHERE <key> IN (?, ...)} for up to 500 keys a query (the form the processors' SQL
 * builder writes, spelled out here). On tables of 20,000 subjects and profiles, analysed, the plan of each must scan
 * the primary key's index and never the whole table: a plan that read every consent row for each FlowFile would
 * make the batched read slower than the per-key lookups it replaces. No NiFi starts.
 */
class TemplateSchemaPlanTest {

    private static PostgresPeer postgres;

    @BeforeAll
    static void startPostgres() {
        postgres = PostgresPeer.start(Path.of(System.getProperty("nifi.e2e.runs", "target/e2e-runs"), "schema-plan-" + System.currentTimeMillis()));
        postgres.execute("""
                INSERT INTO consent (subject_key, purpose, status, updated_at)
                SELECT 'user' || n || '@example.com', p, 'GRANTED', now() - (n || ' minutes')::interval
                FROM generate_series(1, 20000) AS n, unnest(ARRAY['email_marketing', 'personalisation']) AS p;
                INSERT INTO customer_profiles (customer_id, subject_key, email, updated_at)
                SELECT 'id-' || n, 'user' || n || '@example.com', 'user' || n || '@example.com', now()
                FROM generate_series(1, 20000) AS n;
                ANALYZE consent;
                ANALYZE customer_profiles;
                """);
    }

    @AfterAll
    static void stopPostgres() {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void batchedConsentQueryScansThePrimaryKeyIndex() {
        final String plan = plan("SELECT * FROM consent_lookup WHERE subject_key IN (?, ?, ?)",
                "user1@example.com", "user2@example.com", "user3@example.com");
        assertTrue(plan.contains("Index") && plan.contains("consent_pkey"), plan);
        assertFalse(plan.contains("Seq Scan"), plan);
    }

    @Test
    void batchedStoredProfileQueryScansThePrimaryKeyIndex() {
        final String plan = plan("SELECT * FROM customer_profiles_lookup WHERE customer_id IN (?, ?, ?)", "id-1", "id-2", "id-3");
        assertTrue(plan.contains("Index") && plan.contains("customer_profiles_pkey"), plan);
        assertFalse(plan.contains("Seq Scan"), plan);
    }

    private static String plan(final String sql, final Object... keys) {
        final List<Map<String, Object>> rows = postgres.query("EXPLAIN " + sql, keys);
        return rows.stream().map(row -> String.valueOf(row.values().iterator().next())).collect(Collectors.joining("\n"));
    }
}
