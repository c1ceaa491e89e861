package io.datasync.nifi.e2e;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every committed template, read as the file users import: no secret, nothing of the machine it was built on, and
 * no component bound to a bundle a user's NiFi does not have (such as the harness's repackaged standard NAR).
 */
class CommittedTemplatesTest {

    private static final List<String> BATCH_TEMPLATES = List.of("crm-api-sync.json", "ftp-batch-ingest.json", "sync-audit.json");
    private static final Path TEMPLATES = Path.of(System.getProperty("user.dir")).resolve("../templates").normalize();

    @Test
    void everyCommittedTemplateIsCleanAndNamesOnlyRealBundles() throws IOException {
        final List<Path> files;
        try (Stream<Path> listing = Files.list(TEMPLATES)) {
            files = listing.filter(file -> file.toString().endsWith(".json")).sorted().toList();
        }
        assertEquals(5, files.size(), "templates: " + files);
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
