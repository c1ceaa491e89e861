package io.datasync.nifi.e2e;

import java.util.List;

/**
 * The template tests run on a secured NiFi, as the templates are meant to run: HTTPS only, client certificates from
 * the run's test CA, file-based users and policies ({@link SecurityPolicies}), and the REST client logged in as the
 * administrator. SecuredNiFiE2ETest checks the roles themselves.
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
        nifi.secured(pki, "admin");
        nifi.start();
        final NiFiRestClient admin = nifi.restClient();
        new SecurityPolicies(admin).apply(nifi.admin().distinguishedName(), List.of(), List.of());
        return admin;
    }
}
