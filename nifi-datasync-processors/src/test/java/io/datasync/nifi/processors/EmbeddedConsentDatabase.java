package io.datasync.nifi.processors;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.dbcp.DBCPService;
import org.apache.nifi.lookup.LookupFailureException;
import org.apache.nifi.lookup.RecordLookupService;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.reporting.InitializationException;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.DataType;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.util.TestRunner;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real PostgreSQL (embedded, bound to 127.0.0.1) holding the templates' consent table and consent_lookup view, with
 * a DBCPService and a one-key-per-call RecordLookupService (shaped like the stock DatabaseRecordLookupService) over it.
 */
final class EmbeddedConsentDatabase implements AutoCloseable {

    /** The consent table and view as the e2e harness (PostgresPeer) creates them for the templates. */
    static final String SCHEMA = """
            CREATE TABLE consent (
                subject_key  VARCHAR(320) NOT NULL,
                purpose      VARCHAR(64)  NOT NULL,
                status       VARCHAR(16)  NOT NULL,
                updated_at   TIMESTAMP WITH TIME ZONE NOT NULL,
                source       VARCHAR(64),
                PRIMARY KEY (subject_key, purpose)
            );
            CREATE VIEW consent_lookup AS
                SELECT subject_key,
                       max(updated_at) AS updated_at,
                       jsonb_object_agg(purpose, jsonb_build_object('status', status, 'updated_at', updated_at))::text AS purposes
                FROM consent
                GROUP BY subject_key;
            """;

    private final EmbeddedPostgres postgres;
    /** One connection kept open for the test's own statements and the per-key lookups, as a pool would keep it. */
    private Connection shared;

    private EmbeddedConsentDatabase(final EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    synchronized Connection shared() throws SQLException {
        if (shared == null || shared.isClosed()) {
            shared = connect();
        }
        return shared;
    }

    static EmbeddedConsentDatabase start() throws IOException, SQLException {
        final EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                .setServerConfig("listen_addresses", "127.0.0.1")
                .start();
        final EmbeddedConsentDatabase database = new EmbeddedConsentDatabase(postgres);
        try {
            database.execute(SCHEMA);
        } catch (final SQLException | RuntimeException e) {
            postgres.close();
            throw e;
        }
        return database;
    }

    Connection connect() throws SQLException {
        return postgres.getPostgresDatabase().getConnection();
    }

    void execute(final String sql) throws SQLException {
        try (Statement statement = shared().createStatement()) {
            statement.execute(sql);
        }
    }

    void upsertConsent(final String subjectKey, final String purpose, final String status, final java.time.Instant updatedAt) throws SQLException {
        try (PreparedStatement statement = shared().prepareStatement(
                "INSERT INTO consent (subject_key, purpose, status, updated_at) VALUES (?, ?, ?, ?) "
                        + "ON CONFLICT (subject_key, purpose) DO UPDATE SET status = EXCLUDED.status, updated_at = EXCLUDED.updated_at")) {
            statement.setString(1, subjectKey);
            statement.setString(2, purpose);
            statement.setString(3, status);
            statement.setTimestamp(4, Timestamp.from(updatedAt));
            statement.executeUpdate();
        }
    }

    List<String> explain(final String sql, final List<String> keys) throws SQLException {
        final List<String> plan = new ArrayList<>();
        try (PreparedStatement statement = shared().prepareStatement("EXPLAIN " + sql)) {
            for (int i = 0; i < keys.size(); i++) {
                statement.setString(i + 1, keys.get(i));
            }
            try (ResultSet resultSet = statement.executeQuery()) {
                while (resultSet.next()) {
                    plan.add(resultSet.getString(1));
                }
            }
        }
        return plan;
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

    /** A free port nothing listens on: a database that is down. */
    static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** A {@link Pool} over this database, added to the runner as the controller service "pool" and enabled. */
    Pool addPool(final TestRunner runner) throws InitializationException {
        final Pool pool = new Pool(this);
        runner.addControllerService("pool", pool);
        runner.enableControllerService(pool);
        return pool;
    }

    /** The stock DBCPService interface over this database; counts connections and statements, can be made unreachable. */
    static final class Pool extends AbstractControllerService implements DBCPService {
        private final EmbeddedConsentDatabase database;
        private final AtomicInteger connections = new AtomicInteger();
        private final AtomicInteger statements = new AtomicInteger();
        private volatile String downUrl;

        Pool(final EmbeddedConsentDatabase database) {
            this.database = database;
        }

        /** From now on, connections go to a port nothing listens on, like a database that is down. */
        void goDown() throws IOException {
            downUrl = "jdbc:postgresql://127.0.0.1:" + closedPort() + "/postgres?connectTimeout=2";
        }

        int connections() {
            return connections.get();
        }

        int statements() {
            return statements.get();
        }

        @Override
        public Connection getConnection() throws ProcessException {
            connections.incrementAndGet();
            try {
                final Connection connection = downUrl == null ? database.connect()
                        : java.sql.DriverManager.getConnection(downUrl, "postgres", "postgres");
                return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                        (proxy, method, args) -> {
                            if (method.getName().equals("prepareStatement")) {
                                statements.incrementAndGet();
                            }
                            try {
                                return method.invoke(connection, args);
                            } catch (final InvocationTargetException e) {
                                throw e.getCause();
                            }
                        });
            } catch (final SQLException e) {
                throw new ProcessException("Cannot connect", e);
            }
        }
    }

    /** The record field type of one column of the row a {@link PerKeyLookup} found. */
    interface ColumnTyping {
        DataType type(ResultSetMetaData metaData, int column, Object value) throws SQLException;
    }

    /**
     * One key per call, as the stock DatabaseRecordLookupService does: by default
     * SELECT * FROM consent_lookup WHERE subject_key = ?, timestamps typed as such and everything else as text.
     */
    static final class PerKeyLookup extends AbstractControllerService implements RecordLookupService {
        private final EmbeddedConsentDatabase database;
        private final String query;
        private final ColumnTyping typing;
        private final AtomicInteger lookups = new AtomicInteger();

        PerKeyLookup(final EmbeddedConsentDatabase database) {
            this(database, "SELECT * FROM consent_lookup WHERE subject_key = ?", (metaData, column, value) -> value instanceof Timestamp
                    ? RecordFieldType.TIMESTAMP.getDataType() : RecordFieldType.STRING.getDataType());
        }

        /** {@code query} has one parameter, the key; the first row found is the result, its columns typed by {@code typing}. */
        PerKeyLookup(final EmbeddedConsentDatabase database, final String query, final ColumnTyping typing) {
            this.database = database;
            this.query = query;
            this.typing = typing;
        }

        int lookups() {
            return lookups.get();
        }

        @Override
        public Optional<Record> lookup(final Map<String, Object> coordinates) throws LookupFailureException {
            lookups.incrementAndGet();
            try (PreparedStatement statement = database.shared().prepareStatement(query)) {
                statement.setString(1, String.valueOf(coordinates.get("key")));
                try (ResultSet resultSet = statement.executeQuery()) {
                    if (!resultSet.next()) {
                        return Optional.empty();
                    }
                    final ResultSetMetaData metaData = resultSet.getMetaData();
                    final List<RecordField> fields = new ArrayList<>();
                    final Map<String, Object> values = new LinkedHashMap<>();
                    for (int column = 1; column <= metaData.getColumnCount(); column++) {
                        final Object value = resultSet.getObject(column);
                        final String name = metaData.getColumnLabel(column);
                        fields.add(new RecordField(name, typing.type(metaData, column, value)));
                        values.put(name, value);
                    }
                    return Optional.of(new MapRecord(new SimpleRecordSchema(fields), values));
                }
            } catch (final SQLException e) {
                throw new LookupFailureException("lookup failed", e);
            }
        }

        @Override
        public Set<String> getRequiredKeys() {
            return Set.of("key");
        }
    }
}
