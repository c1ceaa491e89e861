package io.datasync.nifi.e2e;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What docs/security.md tells a user whose API presents a certificate of a private CA: add a
 * StandardRestrictedSSLContextService whose truststore holds that CA to the imported group and select it as the
 * API processors' SSL Context Service. Here the CA is the run's test CA.
 */
final class PrivateCaTls {

    private PrivateCaTls() {
    }

    /** Adds and enables the service, selects it on the (stopped) processors; returns its id. */
    static String addAndSelect(final NiFiRestClient client, final String groupId, final String name, final TestPki pki,
                               final List<String> processorIds) {
        final String service = client.createControllerService(groupId, "org.apache.nifi.ssl.StandardRestrictedSSLContextService", name, Map.of(
                "Truststore Filename", pki.truststore().toString(),
                "Truststore Type", "PKCS12",
                "Truststore Password", pki.password(),
                "SSL Protocol", "TLS"));
        client.setControllerServiceState(service, "ENABLED", Duration.ofSeconds(60));
        for (final String processor : processorIds) {
            client.updateProcessorConfig(processor, Map.of("properties", Map.of("SSL Context Service", service)));
        }
        return service;
    }
}
