package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Regenerates templates/*.json: starts a NiFi of the assembled install, builds each template flow through the REST
 * API ({@link TemplateFlows}), downloads its flow definition (what the UI's "Download flow definition" gives) and
 * writes it, pretty-printed, to the templates directory. Run it after changing {@link TemplateFlows} or
 * {@link DatasyncChain}; the end-to-end tests import the committed files, not freshly built flows.
 * <p>
 * Usage: {@code TemplateBuilder [templatesDir [name...]]}, with system property {@value NiFiInstance#HOME_PROPERTY};
 * without names it writes every template. Naming only the changed one keeps the others' files (and their component
 * identifiers, which every build draws anew) as they are.
 */
public final class TemplateBuilder {

    private TemplateBuilder() {
    }

    public static void main(final String[] args) {
        final Path templates = Path.of(args.length > 0 ? args[0] : "templates");
        final Map<String, BiFunction<NiFiRestClient, String, String>> builders = new LinkedHashMap<>();
        builders.put(TemplateFlows.CRM_API_SYNC, (c, r) -> TemplateFlows.buildCrmApiSync(c, r).groupId());
        builders.put(TemplateFlows.FTP_BATCH_INGEST, (c, r) -> TemplateFlows.buildFtpBatchIngest(c, r).groupId());
        builders.put(AuditFlows.SYNC_AUDIT, (c, r) -> AuditFlows.build(c, r, AuditFlows.defaultParameters()));
        builders.put(EspFlows.ESP_AUDIENCE_SYNC, (c, r) -> EspFlows.build(c, r, EspFlows.defaultParameters()));
        final List<String> names = args.length > 1 ? List.of(args).subList(1, args.length) : List.copyOf(builders.keySet());
        for (final String name : names) {
            if (!builders.containsKey(name)) {
                throw new IllegalArgumentException("Unknown template " + name + "; known: " + builders.keySet());
            }
        }
        try (NiFiInstance nifi = NiFiInstance.create("template-builder")) {
            nifi.start();
            final NiFiRestClient client = new NiFiRestClient(nifi.apiUrl());
            final String root = client.rootGroupId();
            names.forEach(name -> write(client, root, templates, name, builders.get(name)));
        }
        System.exit(0);
    }

    private static void write(final NiFiRestClient client, final String root, final Path templates, final String name,
                              final BiFunction<NiFiRestClient, String, String> build) {
        final String groupId = build.apply(client, root);
        final byte[] definition = client.downloadFlowDefinition(groupId);
        final List<String> problems = problems(definition);
        if (!problems.isEmpty()) {
            throw new IllegalStateException(name + ": " + problems);
        }
        try {
            // The builders place components roughly; the layout pass gives every template the same readable canvas.
            final JsonNode tree = CanvasLayout.layout(definition);
            Files.createDirectories(templates);
            Files.writeString(templates.resolve(name + ".json"), CanvasLayout.pretty(tree));
            System.out.println("Wrote " + templates.resolve(name + ".json"));
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The only bundle of ours a template may name: the NAR users install. */
    static final String OUR_BUNDLE = "nifi-datasync-nar";
    static final String OUR_GROUP = "io.datasync.nifi";

    /**
     * What must never be in a committed template: a value for a sensitive parameter, anything of the machine it
     * was built on (absolute local paths, loopback addresses and their ports), or a component bound to a bundle of
     * this project other than the NAR users install (the test harness's repackaged standard NAR, say): a user's NiFi
     * does not have it.
     */
    public static List<String> problems(final byte[] definition) {
        final List<String> problems = new ArrayList<>();
        final JsonNode tree;
        try {
            tree = new ObjectMapper().readTree(definition);
        } catch (final IOException e) {
            return List.of("not JSON: " + e.getMessage());
        }
        for (final JsonNode context : tree.path("parameterContexts")) {
            for (final JsonNode parameter : context.path("parameters")) {
                if (parameter.path("sensitive").asBoolean() && parameter.hasNonNull("value") && !parameter.path("value").asText().isEmpty()) {
                    problems.add("sensitive parameter " + parameter.path("name").asText() + " has a value");
                }
            }
        }
        problems.addAll(bundleProblems(tree));
        final String text = new String(definition, java.nio.charset.StandardCharsets.UTF_8);
        for (final String local : List.of("127.0.0.1", "/work/", "/tmp/", "/home/", "/root/", "e2e-runs", "target/")) {
            if (text.contains(local)) {
                problems.add("contains " + local);
            }
        }
        return problems;
    }

    /** Components bound to a bundle of this project other than the NAR users install; empty when there are none. */
    public static List<String> bundleProblems(final byte[] definition) {
        try {
            return bundleProblems(new ObjectMapper().readTree(definition));
        } catch (final IOException e) {
            return List.of("not JSON: " + e.getMessage());
        }
    }

    private static List<String> bundleProblems(final JsonNode tree) {
        final List<String> problems = new ArrayList<>();
        for (final JsonNode bundle : tree.findValues("bundle")) {
            if (OUR_GROUP.equals(bundle.path("group").asText()) && !OUR_BUNDLE.equals(bundle.path("artifact").asText())) {
                final String problem = "names the bundle " + OUR_GROUP + ":" + bundle.path("artifact").asText();
                if (!problems.contains(problem)) {
                    problems.add(problem);
                }
            }
        }
        return problems;
    }
}
