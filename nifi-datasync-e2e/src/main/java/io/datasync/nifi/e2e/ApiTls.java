package io.datasync.nifi.e2e;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The TLS trust of a template's outbound REST API calls (IncrementalApiFetch in crm-api-sync, PutApiRecord in
 * esp-audience-sync): one StandardRestrictedSSLContextService per template, referenced by the API processors, whose
 * truststore is three parameters {@code <prefix>.tls.truststore}, {@code .type} and {@code .password} (sensitive).
 * <p>
 * The truststore defaults to the JVM's own CA list ({@value #JVM_CACERTS}, resolved by the service's Expression
 * Language), so a public HTTPS API works with nothing configured, exactly as with the JVM's default trust. For an API
 * behind a private CA an administrator points the parameters at a truststore holding that CA: a parameter change, no
 * component edit. See docs/security.md.
 */
public final class ApiTls {

    /** The JDK's CA certificates (PKCS12, readable without a password since JDK 9). */
    public static final String JVM_CACERTS = "${java.home}/lib/security/cacerts";

    private ApiTls() {
    }

    public static String truststore(final String prefix) {
        return prefix + ".tls.truststore";
    }

    public static String truststoreType(final String prefix) {
        return prefix + ".tls.truststore.type";
    }

    public static String truststorePassword(final String prefix) {
        return prefix + ".tls.truststore.password";
    }

    /** The sensitive parameter of {@code prefix}'s API trust. */
    public static Set<String> sensitive(final String prefix) {
        return Set.of(truststorePassword(prefix));
    }

    /** The template defaults: the JVM's CA list, no password. */
    public static void putDefaults(final Map<String, String> values, final String prefix) {
        values.put(truststore(prefix), JVM_CACERTS);
        values.put(truststoreType(prefix), "PKCS12");
        values.put(truststorePassword(prefix), null);
    }

    /** The values of a local run whose API presents a certificate of the run's test CA. */
    public static Map<String, String> localParameters(final String prefix, final TestPki pki) {
        final Map<String, String> values = new LinkedHashMap<>();
        values.put(truststore(prefix), pki.truststore().toString());
        values.put(truststoreType(prefix), "PKCS12");
        values.put(truststorePassword(prefix), pki.password());
        return values;
    }

    /** Creates the service named {@code name} in the group from {@code prefix}'s parameters; returns its id. */
    public static String create(final NiFiRestClient client, final String groupId, final String name, final String prefix) {
        // Restricted: TLS 1.2 or 1.3 only. No keystore: these APIs authenticate the caller by key, not by certificate.
        return client.createControllerService(groupId, "org.apache.nifi.ssl.StandardRestrictedSSLContextService", name, Map.of(
                "Truststore Filename", "#{" + truststore(prefix) + "}",
                "Truststore Type", "#{" + truststoreType(prefix) + "}",
                "Truststore Password", "#{" + truststorePassword(prefix) + "}",
                "SSL Protocol", "TLS"));
    }
}
