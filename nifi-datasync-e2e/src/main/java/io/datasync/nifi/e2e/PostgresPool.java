package io.datasync.nifi.e2e;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The profile database as every template reaches it: one stock DBCPConnectionPool on the {@code db.*} parameters,
 * verifying the server's certificate and host name by default. Written once so that no template connects differently.
 */
final class PostgresPool {

    static final String DRIVER_CLASS = "org.postgresql.Driver";

    private PostgresPool() {
    }

    /**
     * The TLS defaults of a template: {@code verify-full} against the CA certificate file a NiFi operator puts beside
     * the keystores. docs/security.md says how to switch to another mode.
     */
    static void putTlsDefaults(final Map<String, String> values) {
        values.put("db.tls.mode", "verify-full");
        values.put("db.tls.root.certificate", "/opt/nifi/conf/tls/db-root-ca.crt");
    }

    /** The database TLS parameters of a local run: {@code verify-full} against the run's test CA. */
    static Map<String, String> localTlsParameters(final TestPki pki) {
        return verifyFullParameters(pki.caCertificatePem());
    }

    /** The {@code db.tls.*} parameters that verify the server's certificate and host name against the given CA certificate. */
    static Map<String, String> verifyFullParameters(final Path caCertificate) {
        final Map<String, String> values = new LinkedHashMap<>();
        values.put("db.tls.mode", "verify-full");
        values.put("db.tls.root.certificate", caCertificate.toString());
        return values;
    }

    /** Creates the pool in the group; returns its id. */
    static String create(final NiFiRestClient client, final String groupId, final String name, final int maxConnections) {
        // sslmode and sslrootcert are dynamic properties: the pool passes them to the PostgreSQL driver as connection
        // properties, so db.url stays a plain URL and TLS is one parameter to read in a review.
        return client.createControllerService(groupId, "org.apache.nifi.dbcp.DBCPConnectionPool", name, Map.of(
                "Database Connection URL", "#{db.url}",
                "Database Driver Class Name", DRIVER_CLASS,
                "database-driver-locations", "#{db.driver.location}",
                "Database User", "#{db.user}",
                "Password", "#{db.password}",
                "Max Total Connections", Integer.toString(maxConnections)), Map.of(
                "sslmode", "#{db.tls.mode}",
                "sslrootcert", "#{db.tls.root.certificate}"));
    }
}
