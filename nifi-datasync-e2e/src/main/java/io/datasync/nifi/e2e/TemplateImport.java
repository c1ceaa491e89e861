package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Imports a committed template (templates/NAME.json) the way a user does, through the upload endpoint, and points
 * its parameters at the local peers. Shared by the template tests and the demo.
 */
public final class TemplateImport {

    /** The repository's templates directory, from the working directory of the root or of the e2e module. */
    public static Path templatesDir() {
        final Path here = Path.of("templates");
        return Files.isDirectory(here) ? here : Path.of("..", "templates");
    }

    /**
     * The identity hash key of local runs, one for every template: templates pointed at one identity store must share
     * it (and the namespace) to give a person one customer id.
     */
    public static final String LOCAL_IDENTITY_HASH_KEY = "e2e-identity-hash-key-0123456789abcdef";

    private TemplateImport() {
    }

    /**
     * Local values for every template parameter that depends on the environment. {@code crm} or {@code ftp} may be
     * null when the flow does not use it; {@code name} keeps each flow's identity cache directory apart.
     */
    public static Map<String, String> localParameters(final NiFiInstance nifi, final PostgresPeer postgres, final FtpPeer ftp,
                                                      final SampleCrmApi crm, final String crmApiKey, final int identityCachePort) {
        final Map<String, String> values = new LinkedHashMap<>();
        values.put("db.url", postgres.jdbcUrl());
        values.put("db.driver.location", nifi.driversDir().resolve("postgresql.jar").toString());
        values.put("db.user", PostgresPeer.USER);
        values.put("db.password", "not-needed-locally");
        values.putAll(postgres.clientTlsParameters());
        values.put("identity.hash.key", LOCAL_IDENTITY_HASH_KEY);
        values.put("identity.cache.host", "127.0.0.1");
        values.put("identity.cache.port", Integer.toString(identityCachePort));
        values.put("identity.cache.server.port", Integer.toString(identityCachePort));
        values.put("identity.cache.dir", nifi.runDir().resolve("identity-cache").toString());
        if (crm != null) {
            values.put("crm.base.url", crm.baseUrl());
            values.put("crm.api.key", crmApiKey);
            // Not divisible by three: page boundaries cut through the sample's timestamp ties.
            values.put("crm.page.size", "10");
        }
        if (ftp != null) {
            values.put("ftp.host", ftp.host());
            values.put("ftp.port", Integer.toString(ftp.port()));
            values.put("ftp.username", ftp.user());
            values.put("ftp.password", ftp.password());
            values.put("ftp.inbox", ftp.inboxPath());
            values.put("ftp.processed", ftp.processedPath());
        }
        return values;
    }

    /**
     * Uploads {@code definition} as a new group named {@code groupName}, sets the parameters of its context that
     * {@code values} names (keeping sensitivity as the template declares it) and enables its services. Returns the
     * group id; the group is not started.
     */
    public static String importAndConfigure(final NiFiRestClient client, final String parentGroupId, final Path definition,
                                            final String groupName, final Map<String, String> values) {
        return importAndConfigure(client, parentGroupId, definition, groupName, values, Set.of());
    }

    /**
     * As {@link #importAndConfigure(NiFiRestClient, String, Path, String, Map)}, but the controller services named in
     * {@code leftDisabled} stay disabled (on a cluster: the in-flow "Identity cache server", see docs/cluster.md).
     */
    public static String importAndConfigure(final NiFiRestClient client, final String parentGroupId, final Path definition,
                                            final String groupName, final Map<String, String> values, final Set<String> leftDisabled) {
        final String groupId = upload(client, parentGroupId, definition, groupName);
        configure(client, groupId, values, leftDisabled);
        return groupId;
    }

    /** Uploads {@code definition} as a new group named {@code groupName}; returns its id. */
    public static String upload(final NiFiRestClient client, final String parentGroupId, final Path definition, final String groupName) {
        final byte[] json;
        try {
            json = Files.readAllBytes(definition);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return client.uploadFlowDefinition(parentGroupId, groupName, json);
    }

    /**
     * Sets the parameters of an imported group's context that {@code values} names (keeping sensitivity as the
     * template declares it) and enables its services except those named in {@code leftDisabled}. Repeatable: a second
     * call sets the same values.
     */
    public static void configure(final NiFiRestClient client, final String groupId, final Map<String, String> values,
                                 final Set<String> leftDisabled) {
        final String contextId = client.parameterContextId(groupId);
        if (contextId == null) {
            throw new IllegalStateException("group " + groupId + " has no parameter context");
        }
        final Map<String, String> matching = new LinkedHashMap<>();
        final Set<String> sensitive = new HashSet<>();
        for (final JsonNode parameter : client.get("/parameter-contexts/" + contextId).path("component").path("parameters")) {
            final String name = parameter.path("parameter").path("name").asText();
            if (values.containsKey(name)) {
                matching.put(name, values.get(name));
                if (parameter.path("parameter").path("sensitive").asBoolean()) {
                    sensitive.add(name);
                }
            }
        }
        client.setParameters(groupId, matching, sensitive);
        if (leftDisabled.isEmpty()) {
            client.enableControllerServices(groupId, Duration.ofSeconds(90));
        } else {
            client.enableControllerServicesExcept(groupId, leftDisabled, Duration.ofSeconds(120));
        }
    }

    /** The id of the processor named {@code name} anywhere in the group. */
    public static String processorId(final NiFiRestClient client, final String groupId, final String name) {
        for (final JsonNode processor : client.get("/process-groups/" + groupId + "/processors?includeDescendantGroups=true").path("processors")) {
            if (name.equals(processor.path("component").path("name").asText())) {
                return processor.path("id").asText();
            }
        }
        throw new IllegalStateException("No processor named " + name + " in group " + groupId);
    }
}
