package io.datasync.nifi.audit;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;

/**
 * A real PostgreSQL (embedded, bound to 127.0.0.1) with the tables the audit reads, shaped as the e2e harness
 * (PostgresPeer) creates them for the templates: customer_profiles, consent with its consent_lookup view, suppression,
 * and a sync_runs table.
 */
public final class AuditDatabase implements AutoCloseable {

    public static final String SCHEMA = """
            CREATE TABLE customer_profiles (
                customer_id  VARCHAR(64)  PRIMARY KEY,
                subject_key  VARCHAR(320) NOT NULL UNIQUE,
                email        VARCHAR(320),
                phone        VARCHAR(32),
                first_name   VARCHAR(100),
                updated_at   TIMESTAMP WITH TIME ZONE NOT NULL
            );
            CREATE TABLE consent (
                subject_key  VARCHAR(320) NOT NULL,
                purpose      VARCHAR(64)  NOT NULL,
                status       VARCHAR(16)  NOT NULL,
                updated_at   TIMESTAMP WITH TIME ZONE NOT NULL,
                PRIMARY KEY (subject_key, purpose)
            );
            CREATE VIEW consent_lookup AS
                SELECT subject_key,
                       max(updated_at) AS updated_at,
                       jsonb_object_agg(purpose, jsonb_build_object('status', status, 'updated_at', updated_at))::text AS purposes
                FROM consent
                GROUP BY subject_key;
            CREATE TABLE suppression (
                subject_key  VARCHAR(320) PRIMARY KEY,
                reason       VARCHAR(64)  NOT NULL,
                decided_at   TIMESTAMP WITH TIME ZONE NOT NULL
            );
            CREATE TABLE sync_runs (
                source            VARCHAR(64) NOT NULL,
                finished_at       TIMESTAMP WITH TIME ZONE NOT NULL,
                newest_record_at  TIMESTAMP WITH TIME ZONE
            );
            """;

    private final EmbeddedPostgres postgres;
    private Connection shared;

    private AuditDatabase(final EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    public static AuditDatabase start() throws IOException, SQLException {
        final EmbeddedPostgres postgres = EmbeddedPostgres.builder().setServerConfig("listen_addresses", "127.0.0.1").start();
        final AuditDatabase database = new AuditDatabase(postgres);
        try {
            database.execute(SCHEMA);
        } catch (final SQLException | RuntimeException e) {
            postgres.close();
            throw e;
        }
        return database;
    }

    public Connection connect() throws SQLException {
        return postgres.getPostgresDatabase().getConnection();
    }

    public synchronized Connection shared() throws SQLException {
        if (shared == null || shared.isClosed()) {
            shared = connect();
        }
        return shared;
    }

    public void execute(final String sql) throws SQLException {
        try (Statement statement = shared().createStatement()) {
            statement.execute(sql);
        }
    }

    public void clear() throws SQLException {
        // DELETE, not TRUNCATE: for the few rows a test writes it is much faster
        execute("DELETE FROM customer_profiles; DELETE FROM consent; DELETE FROM suppression; DELETE FROM sync_runs");
    }

    public void profile(final String id, final String subjectKey, final String email, final String phone) throws SQLException {
        try (PreparedStatement statement = shared().prepareStatement(
                "INSERT INTO customer_profiles (customer_id, subject_key, email, phone, updated_at) VALUES (?, ?, ?, ?, now())")) {
            statement.setString(1, id);
            statement.setString(2, subjectKey);
            statement.setString(3, email);
            statement.setString(4, phone);
            statement.executeUpdate();
        }
    }

    public void consent(final String subjectKey, final String purpose, final String status, final Instant at) throws SQLException {
        try (PreparedStatement statement = shared().prepareStatement(
                "INSERT INTO consent (subject_key, purpose, status, updated_at) VALUES (?, ?, ?, ?) "
                        + "ON CONFLICT (subject_key, purpose) DO UPDATE SET status = EXCLUDED.status, updated_at = EXCLUDED.updated_at")) {
            statement.setString(1, subjectKey);
            statement.setString(2, purpose);
            statement.setString(3, status);
            statement.setTimestamp(4, Timestamp.from(at));
            statement.executeUpdate();
        }
    }

    public void suppress(final String subjectKey) throws SQLException {
        try (PreparedStatement statement = shared().prepareStatement(
                "INSERT INTO suppression (subject_key, reason, decided_at) VALUES (?, 'consent_withdrawn', now()) ON CONFLICT DO NOTHING")) {
            statement.setString(1, subjectKey);
            statement.executeUpdate();
        }
    }

    public void syncRun(final String source, final Instant finishedAt, final Instant newestRecordAt) throws SQLException {
        try (PreparedStatement statement = shared().prepareStatement(
                "INSERT INTO sync_runs (source, finished_at, newest_record_at) VALUES (?, ?, ?)")) {
            statement.setString(1, source);
            statement.setTimestamp(2, Timestamp.from(finishedAt));
            statement.setTimestamp(3, newestRecordAt == null ? null : Timestamp.from(newestRecordAt));
            statement.executeUpdate();
        }
    }

    @Override
    public void close() throws IOException {
        try {
            if (shared != null) {
                shared.close();
            }
        } catch (final SQLException e) {
            // the server is stopped next either way
        }
        postgres.close();
    }
}
