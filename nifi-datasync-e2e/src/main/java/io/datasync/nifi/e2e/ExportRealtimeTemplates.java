package io.datasync.nifi.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Regenerates {@code templates/webhook-realtime.json} and {@code templates/consent-sync.json}: starts the assembled
 * NiFi, builds both flows through the REST API ({@link RealtimeFlows}) with neutral parameter defaults, downloads their
 * flow definitions and writes them. Run from the repository root after {@code mvn -B -o verify -DskipTests}:
 * <pre>
 * java -Dnifi.e2e.home=nifi-datasync-e2e/target/nifi-2.3.0 \
 *      -cp "nifi-datasync-e2e/target/classes:$(cat nifi-datasync-e2e/target/demo-classpath.txt)" \
 *      io.datasync.nifi.e2e.ExportRealtimeTemplates templates [http://127.0.0.1:PORT/nifi-api]
 * </pre>
 */
public final class ExportRealtimeTemplates {

    private ExportRealtimeTemplates() {
    }

    public static void main(final String[] args) throws IOException {
        final Path templatesDir = Path.of(args.length > 0 ? args[0] : "templates");
        Files.createDirectories(templatesDir);
        if (args.length > 1) {
            // An already running NiFi (e.g. the demo's), given by its REST API URL.
            write(templatesDir, RealtimeFlows.exportTemplates(new NiFiRestClient(args[1])));
            return;
        }
        try (NiFiInstance nifi = NiFiInstance.create("export-realtime")) {
            nifi.start();
            write(templatesDir, RealtimeFlows.exportTemplates(new NiFiRestClient(nifi.apiUrl())));
        }
    }

    private static void write(final Path templatesDir, final Map<String, byte[]> definitions) throws IOException {
        for (final Map.Entry<String, byte[]> definition : definitions.entrySet()) {
            // webhook.host defaults to 127.0.0.1 on purpose (listen on loopback until told otherwise), so only the bundle
            // rule of TemplateBuilder.problems applies here; RealtimeTemplatesE2ETest checks secrets and addresses.
            final java.util.List<String> problems = TemplateBuilder.bundleProblems(definition.getValue());
            if (!problems.isEmpty()) {
                throw new IllegalStateException(definition.getKey() + ": " + problems);
            }
            final Path file = templatesDir.resolve(definition.getKey() + ".json");
            Files.writeString(file, CanvasLayout.pretty(CanvasLayout.layout(definition.getValue())));
            System.out.println("Wrote " + file);
        }
    }
}
