package io.datasync.nifi.e2e;

import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The template tests run on a secured NiFi, as the templates are meant to run: HTTPS only, client certificates from
 * the run's test CA, file-based users and policies ({@link SecurityPolicies}), and the REST client logged in as the
 * administrator. SecuredNiFiE2ETest checks the roles themselves; {@link #assertBackSecured(NiFiInstance)} is what every
 * test that restarts a secured NiFi checks after the restart.
 */
final class SecuredStart {

    private SecuredStart() {
    }

    /** Secures {@code nifi} with a test CA made for the run (in its run directory), as {@link #startAsAdministrator(NiFiInstance, TestPki)}. */
    static NiFiRestClient startAsAdministrator(final NiFiInstance nifi) {
        return startAsAdministrator(nifi, TestPki.create(nifi.runDir().resolve("tls")));
    }

    /** Secures {@code nifi} with {@code pki}, starts it and returns the administrator's client with its policies granted. */
    static NiFiRestClient startAsAdministrator(final NiFiInstance nifi, final TestPki pki) {
        return startAsAdministrator(nifi, pki, "admin");
    }

    /**
     * As {@link #startAsAdministrator(NiFiInstance, TestPki)} with the initial administrator {@code CN=<adminName>}: two
     * NiFis started at once from one test CA need distinct names, since each start issues its administrator's
     * certificate into a file named after it.
     */
    static NiFiRestClient startAsAdministrator(final NiFiInstance nifi, final TestPki pki, final String adminName) {
        nifi.secured(pki, adminName);
        nifi.start();
        final NiFiRestClient admin = nifi.restClient();
        new SecurityPolicies(admin).apply(nifi.admin().distinguishedName(), List.of(), List.of());
        return admin;
    }

    /**
     * After a restart (kill -9 or a stop, then {@link NiFiInstance#start()}) of a secured instance: it serves HTTPS only,
     * presenting the certificate of the same server keystore as before, refuses plain HTTP and a client without a
     * certificate, and lets the administrator in again with a new client (a new TLS session with the client
     * certificate: the login), which is returned. The old client's connections died with the old process.
     */
    static NiFiRestClient assertBackSecured(final NiFiInstance nifi) {
        assertTrue(nifi.isSecured() && nifi.apiUrl().startsWith("https://127.0.0.1:"), nifi.apiUrl());
        assertArrayEquals(nifi.pki().certificate(nifi.pki().server()), presentedCertificate(nifi),
                "the restarted NiFi presents the certificate of its server keystore");
        final NiFiRestClient plain = new NiFiRestClient(nifi.apiUrl().replace("https://", "http://"));
        assertThrows(RuntimeException.class, plain::rootGroupId, "plain HTTP to the restarted NiFi must fail");
        final NiFiRestClient anonymous = new NiFiRestClient(nifi.apiUrl(), nifi.pki().sslContext(null));
        assertThrows(RuntimeException.class, anonymous::rootGroupId, "a client without a certificate must get nothing from the restarted NiFi");
        final NiFiRestClient admin = nifi.restClient();
        assertTrue(!admin.rootGroupId().isEmpty(), "the administrator is let in again");
        return admin;
    }

    /** The DER bytes of the certificate NiFi's HTTPS port presents in a handshake (as the administrator, trusting the test CA). */
    static byte[] presentedCertificate(final NiFiInstance nifi) {
        try (SSLSocket socket = (SSLSocket) nifi.pki().sslContext(nifi.admin()).getSocketFactory().createSocket("127.0.0.1", nifi.httpPort())) {
            socket.setSoTimeout(10_000);
            socket.startHandshake();
            return socket.getSession().getPeerCertificates()[0].getEncoded();
        } catch (final IOException e) {
            throw new UncheckedIOException("No TLS handshake with " + nifi.baseUrl(), e);
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
