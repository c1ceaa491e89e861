package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every committed template, read as the file users import: no secret, nothing of the machine it was built on, and
 * no component bound to a bundle a user's NiFi does not have (such as the harness's repackaged standard NAR).
 */
class CommittedTemplatesTest {

    private static final List<String> BATCH_TEMPLATES = List.of("crm-api-sync.json", "ftp-batch-ingest.json", "esp-audience-sync.json",
            "sync-audit.json");
    private static final Path TEMPLATES = Path.of(System.getProperty("user.dir")).resolve("../templates").normalize();

    @Test
    void everyCommittedTemplateIsCleanAndNamesOnlyRealBundles() throws IOException {
        final List<Path> files;
        try (Stream<Path> listing = Files.list(TEMPLATES)) {
            files = listing.filter(file -> file.toString().endsWith(".json")).sorted().toList();
        }
        assertEquals(6, files.size(), "templates: " + files);
        for (final Path file : files) {
            final byte[] definition = Files.readAllBytes(file);
            assertEquals(List.of(), TemplateBuilder.bundleProblems(definition), file.getFileName().toString());
            if (BATCH_TEMPLATES.contains(file.getFileName().toString())) {
                // the real-time ones default webhook.host to 127.0.0.1 on purpose; RealtimeTemplatesE2ETest checks them
                assertEquals(List.of(), TemplateBuilder.problems(definition), file.getFileName().toString());
            }
            // the stock processors and services name NiFi's own standard bundles
            assertTrue(new String(definition, StandardCharsets.UTF_8).contains("\"org.apache.nifi\""), file.getFileName().toString());
        }
    }

    /**
     * docs/security.md: every template's database connection verifies the server's certificate and host name by
     * default, through the two db.tls parameters and never through the URL.
     */
    @Test
    void everyDatabasePoolVerifiesTheServerByDefault() throws IOException {
        final ObjectMapper mapper = new ObjectMapper();
        final List<Path> files;
        try (Stream<Path> listing = Files.list(TEMPLATES)) {
            files = listing.filter(file -> file.toString().endsWith(".json")).sorted().toList();
        }
        for (final Path file : files) {
            final String name = file.getFileName().toString();
            final JsonNode definition = mapper.readTree(file.toFile());
            final Map<String, JsonNode> parameters = new HashMap<>();
            definition.path("parameterContexts").forEach(context -> context.path("parameters")
                    .forEach(parameter -> parameters.put(parameter.path("name").asText(), parameter)));
            int pools = 0;
            for (final JsonNode service : definition.path("flowContents").path("controllerServices")) {
                if (service.path("type").asText().endsWith(".DBCPConnectionPool")) {
                    pools++;
                    assertEquals("#{db.tls.mode}", service.path("properties").path("sslmode").asText(), name);
                    assertEquals("#{db.tls.root.certificate}", service.path("properties").path("sslrootcert").asText(), name);
                }
            }
            assertTrue(pools > 0, name + ": a connection pool");
            assertEquals("verify-full", parameters.get("db.tls.mode").path("value").asText(), name + ": database TLS verified by default");
            assertFalse(parameters.get("db.url").path("value").asText().contains("ssl"), name + ": TLS set once, by db.tls.mode");
        }
    }

    /** docs/security.md: the webhook listener serves HTTPS only and the database connection verifies the server. */
    @Test
    void realtimeTemplatesAreSecureByDefault() throws IOException {
        final ObjectMapper mapper = new ObjectMapper();
        for (final String name : List.of("webhook-realtime.json", "consent-sync.json")) {
            final JsonNode definition = mapper.readTree(TEMPLATES.resolve(name).toFile());
            final JsonNode contents = definition.path("flowContents");
            final Map<String, JsonNode> services = new HashMap<>();
            contents.path("controllerServices").forEach(service -> services.put(service.path("identifier").asText(), service));
            final Map<String, JsonNode> parameters = new HashMap<>();
            definition.path("parameterContexts").elements().next().path("parameters")
                    .forEach(parameter -> parameters.put(parameter.path("name").asText(), parameter));

            JsonNode receive = null;
            for (final JsonNode processor : contents.path("processors")) {
                if (processor.path("type").asText().endsWith(".HandleHttpRequest")) {
                    receive = processor;
                }
            }
            assertTrue(receive != null, name + ": a HandleHttpRequest");
            final JsonNode tls = services.get(receive.path("properties").path("SSL Context Service").asText());
            assertTrue(tls != null, name + ": HandleHttpRequest has an SSL Context Service");
            assertEquals("org.apache.nifi.ssl.StandardRestrictedSSLContextService", tls.path("type").asText(), name);
            assertEquals("#{webhook.tls.keystore}", tls.path("properties").path("Keystore Filename").asText(), name);
            assertEquals("#{webhook.tls.keystore.password}", tls.path("properties").path("Keystore Password").asText(), name);
            assertTrue(parameters.get("webhook.tls.keystore.password").path("sensitive").asBoolean(), name + ": keystore password sensitive");

            int pools = 0;
            for (final JsonNode service : services.values()) {
                if (service.path("type").asText().endsWith(".DBCPConnectionPool")) {
                    pools++;
                    assertEquals("#{db.tls.mode}", service.path("properties").path("sslmode").asText(), name);
                    assertEquals("#{db.tls.root.certificate}", service.path("properties").path("sslrootcert").asText(), name);
                }
            }
            assertEquals(1, pools, name + ": one connection pool");
            assertEquals("verify-full", parameters.get("db.tls.mode").path("value").asText(), name + ": database TLS verified by default");
            assertFalse(parameters.get("db.url").path("value").asText().contains("sslmode"), name + ": sslmode set once, by db.tls.mode");
        }
    }

    /** Our components in every template name the version this build makes (the root pom's), so imports bind to the NAR users install. */
    @Test
    void everyTemplateNamesThisReleaseOfOurBundle() throws IOException {
        final String pom = Files.readString(TEMPLATES.resolveSibling("pom.xml"));
        final java.util.regex.Matcher version = java.util.regex.Pattern
                .compile("<artifactId>nifi-datasync</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
        assertTrue(version.find(), "root pom version");
        assertFalse(version.group(1).endsWith("-SNAPSHOT"), "a release version: " + version.group(1));
        try (Stream<Path> listing = Files.list(TEMPLATES)) {
            for (final Path file : listing.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                final com.fasterxml.jackson.databind.JsonNode tree = new com.fasterxml.jackson.databind.ObjectMapper().readTree(file.toFile());
                int ours = 0;
                for (final com.fasterxml.jackson.databind.JsonNode bundle : tree.findValues("bundle")) {
                    if (TemplateBuilder.OUR_GROUP.equals(bundle.path("group").asText())) {
                        ours++;
                        assertEquals(version.group(1), bundle.path("version").asText(), file.getFileName().toString());
                    }
                }
                assertTrue(ours > 0, file.getFileName() + " uses none of our processors");
            }
        }
    }

    @Test
    void aTemplateNamingTheTestOnlyStandardNarIsRefused() {
        final String definition = """
                {"flowContents": {"processors": [
                  {"type": "org.apache.nifi.processors.standard.UpdateRecord",
                   "bundle": {"group": "io.datasync.nifi", "artifact": "nifi-datasync-e2e-standard-nar", "version": "0.1.0"}},
                  {"type": "io.datasync.nifi.processors.ConsentFilter",
                   "bundle": {"group": "io.datasync.nifi", "artifact": "nifi-datasync-nar", "version": "0.1.0"}}]}}
                """;
        final byte[] bytes = definition.getBytes(StandardCharsets.UTF_8);
        assertEquals(List.of("names the bundle io.datasync.nifi:nifi-datasync-e2e-standard-nar"), TemplateBuilder.bundleProblems(bytes));
        assertEquals(List.of("names the bundle io.datasync.nifi:nifi-datasync-e2e-standard-nar"), TemplateBuilder.problems(bytes));
    }
}
