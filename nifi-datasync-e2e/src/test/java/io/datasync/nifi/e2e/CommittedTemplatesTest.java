package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
            final Map<String, JsonNode> parameters = TemplateAssertions.parameters(definition);
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
            final Map<String, JsonNode> parameters = TemplateAssertions.parameters(definition);

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

    /**
     * One person, one customer id across templates (issue 22): webhook-realtime's "Link identities" is configured as
     * the batch templates' (every property but the service references equal), and every parameter it references has
     * the same default in all three files, so pointed at one database they share one identity index.
     */
    @Test
    void webhookRealtimeLinksIdentitiesAsTheBatchTemplatesDo() throws IOException {
        final Set<String> serviceReferences = Set.of("Record Reader", "Record Writer", "Identity Connection Pool", "Distributed Map Cache Client");
        final Map<String, String> webhook = linkIdentities("webhook-realtime.json", serviceReferences);
        for (final String batch : List.of("ftp-batch-ingest.json", "crm-api-sync.json")) {
            assertEquals(linkIdentities(batch, serviceReferences), webhook, batch + " vs webhook-realtime.json");
        }
        assertEquals("#{identity.store.type}", webhook.get("Identity Store Type"));
        assertEquals("/subject_key", webhook.get("email"));
        assertEquals("/phone", webhook.get("phone"));
        assertEquals("phone", webhook.get("Normalized Phone Field"));
        final Map<String, String> webhookDefaults = parameterDefaults("webhook-realtime.json");
        final Matcher reference = Pattern.compile("#\\{([^}]+)}").matcher(String.join(" ", webhook.values()));
        int references = 0;
        while (reference.find()) {
            references++;
            final String name = reference.group(1);
            for (final String batch : List.of("ftp-batch-ingest.json", "crm-api-sync.json")) {
                assertEquals(parameterDefaults(batch).get(name), webhookDefaults.get(name), name + " in " + batch + " and webhook-realtime.json");
            }
        }
        // phone.region, identity.store.type, db.identity.table, identity.namespace, identity.hash.key
        assertEquals(5, references, "identity parameters referenced");
    }

    /**
     * esp-audience-sync's consent gate keys a profile by its stored subject key (the folded key consent rows carry,
     * never the address lower-cased, which misses Gmail addresses with dots or a +tag), reads the jurisdiction from
     * /country, and fails closed; the profile reader returns both columns. Its member push first records the addresses,
     * and the suppression reader reads one row per address pushed (sql/06_esp.sql), never the bare subject key.
     */
    @Test
    void espAudienceSyncGatesOnTheStoredSubjectKeyAndSuppressesEveryPushedAddress() throws IOException {
        final JsonNode flow = new ObjectMapper().readTree(TEMPLATES.resolve("esp-audience-sync.json").toFile()).path("flowContents");
        final JsonNode gate = findProcessor(flow, EspFlows.CONSENT_GATE);
        assertTrue(gate != null, EspFlows.CONSENT_GATE);
        final JsonNode properties = gate.path("properties");
        assertEquals("/subject_key", properties.path("Subject Key Record Path").asText());
        assertEquals("/country", properties.path("Jurisdiction Record Path").asText());
        assertEquals("REQUIRE_CONSENT", properties.path("Default Policy").asText());
        final Map<String, String> defaults = parameterDefaults("esp-audience-sync.json");
        final List<String> profileColumns = List.of(defaults.get("db.profiles.columns").split("\\s*,\\s*"));
        assertTrue(profileColumns.containsAll(List.of("subject_key", "country", "email")), "profile columns " + profileColumns);
        assertEquals("esp_suppression_address", defaults.get("db.suppression.table"));
        assertTrue(List.of(defaults.get("db.suppression.columns").split("\\s*,\\s*")).contains("email_address"));
        assertFalse(defaults.get("esp.suppression.query").contains("subject_key"), "suppressions are sent by the addresses pushed");
        final JsonNode record = findProcessor(flow, EspFlows.RECORD_ADDRESSES);
        assertTrue(record != null, EspFlows.RECORD_ADDRESSES);
        assertEquals("INSERT_IGNORE", record.path("properties").path("put-db-record-statement-type").asText());
        // the member shape is fed by the address write only: nothing reaches the ESP unrecorded
        final String shapeId = findProcessor(flow, "Shape members").path("identifier").asText();
        final List<String> feeding = new ArrayList<>();
        flow.path("connections").forEach(connection -> {
            if (shapeId.equals(connection.path("destination").path("id").asText())) {
                feeding.add(connection.path("source").path("name").asText());
            }
        });
        assertEquals(List.of(EspFlows.RECORD_ADDRESSES), feeding);
    }

    /**
     * Every consent check in every template reads the record's jurisdiction (an ISO 3166-2 region such as US-CA, so a
     * user's opt-out jurisdiction lists apply to webhook events as to batch drops) and requires consent by default.
     */
    @Test
    void everyConsentCheckReadsTheJurisdictionAndFailsClosed() throws IOException {
        final ObjectMapper mapper = new ObjectMapper();
        int checks = 0;
        for (final String file : List.of("crm-api-sync.json", "ftp-batch-ingest.json", "webhook-realtime.json", "esp-audience-sync.json")) {
            final List<JsonNode> consentFilters = new ArrayList<>();
            collectProcessors(mapper.readTree(TEMPLATES.resolve(file).toFile()).path("flowContents"),
                    "io.datasync.nifi.processors.ConsentFilter", consentFilters);
            assertFalse(consentFilters.isEmpty(), file + ": a consent check");
            for (final JsonNode consentFilter : consentFilters) {
                final String where = file + ": " + consentFilter.path("name").asText();
                assertEquals("/country", consentFilter.path("properties").path("Jurisdiction Record Path").asText(), where);
                assertEquals("REQUIRE_CONSENT", consentFilter.path("properties").path("Default Policy").asText(), where);
                checks++;
            }
        }
        // one in each batch template and in esp-audience-sync's gate, three in webhook-realtime (before merging, before
        // and after the write)
        assertEquals(6, checks, "consent checks");
    }

    private static void collectProcessors(final JsonNode group, final String type, final List<JsonNode> into) {
        for (final JsonNode processor : group.path("processors")) {
            if (type.equals(processor.path("type").asText())) {
                into.add(processor);
            }
        }
        for (final JsonNode child : group.path("processGroups")) {
            collectProcessors(child, type, into);
        }
    }

    /** The "Link identities" processor's properties, service references left out (their ids differ per file). */
    private static Map<String, String> linkIdentities(final String file, final Set<String> serviceReferences) throws IOException {
        final JsonNode processor = findProcessor(new ObjectMapper().readTree(TEMPLATES.resolve(file).toFile()).path("flowContents"), "Link identities");
        assertTrue(processor != null, file + ": Link identities");
        assertEquals("io.datasync.nifi.processors.CustomerDedup", processor.path("type").asText());
        final Map<String, String> properties = new TreeMap<>();
        processor.path("properties").fields().forEachRemaining(entry -> {
            if (!serviceReferences.contains(entry.getKey()) && !entry.getValue().isNull()) {
                properties.put(entry.getKey(), entry.getValue().asText());
            }
        });
        return properties;
    }

    private static JsonNode findProcessor(final JsonNode group, final String name) {
        for (final JsonNode processor : group.path("processors")) {
            if (name.equals(processor.path("name").asText())) {
                return processor;
            }
        }
        for (final JsonNode child : group.path("processGroups")) {
            final JsonNode found = findProcessor(child, name);
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    /** Parameter name to default value; empty text for a parameter without one (sensitive parameters). */
    private static Map<String, String> parameterDefaults(final String file) throws IOException {
        final Map<String, String> defaults = new HashMap<>();
        new ObjectMapper().readTree(TEMPLATES.resolve(file).toFile()).path("parameterContexts").forEach(context -> context.path("parameters")
                .forEach(parameter -> defaults.put(parameter.path("name").asText(),
                        parameter.path("value").isMissingNode() || parameter.path("value").isNull() ? "" : parameter.path("value").asText())));
        return defaults;
    }
}
