package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The committed templates' canvases: no component drawn over another, a named area for parked failures, and the
 * layout pass ({@link CanvasLayout}) deterministic and overlap-free on any flow. The boxes come from {@link CanvasBoxes},
 * at NiFi 2.x's component sizes, independently of the layout code.
 */
class TemplateCanvasTest {

    static final Path TEMPLATES = Path.of(System.getProperty("user.dir")).resolve("../templates").normalize();
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** Every pair of overlapping boxes in the group and its children, described. */
    static List<String> overlaps(final JsonNode group) {
        final List<String> found = new ArrayList<>();
        final List<CanvasBoxes.Box> boxes = CanvasBoxes.boxes(group);
        for (int i = 0; i < boxes.size(); i++) {
            for (int j = i + 1; j < boxes.size(); j++) {
                if (boxes.get(i).overlaps(boxes.get(j))) {
                    found.add(group.path("name").asText() + ": " + boxes.get(i) + " overlaps " + boxes.get(j));
                }
            }
        }
        group.path("processGroups").forEach(child -> found.addAll(overlaps(child)));
        return found;
    }

    /** The committed templates, in name order. */
    static List<Path> templates() throws IOException {
        try (Stream<Path> listing = Files.list(TEMPLATES)) {
            return listing.filter(file -> file.toString().endsWith(".json")).sorted().toList();
        }
    }

    @Test
    void noCommittedTemplateDrawsOneComponentOverAnother() throws IOException {
        for (final Path file : templates()) {
            final JsonNode contents = MAPPER.readTree(file.toFile()).path("flowContents");
            assertEquals(List.of(), overlaps(contents), file.getFileName().toString());
        }
    }

    @Test
    void everyGroupWithAFailureFunnelNamesTheParkedFailuresArea() throws IOException {
        for (final Path file : templates()) {
            final JsonNode contents = MAPPER.readTree(file.toFile()).path("flowContents");
            assertTrue(contents.path("funnels").isEmpty() || labelsOf(contents).stream().anyMatch(l -> l.startsWith("Parked failures")),
                    file.getFileName() + " has a funnel but no Parked failures label");
            assertTrue(labelsOf(contents).stream().anyMatch(l -> l.startsWith("Source")), file.getFileName() + " names no Source section");
        }
    }

    @Test
    void committedTemplatesAreLaidOutByTheCurrentPass() throws IOException {
        for (final Path file : templates()) {
            final JsonNode committed = MAPPER.readTree(file.toFile());
            assertEquals(committed, CanvasLayout.layout(Files.readAllBytes(file)),
                    file.getFileName() + ": run CanvasLayout (or the template builder) to lay it out again");
        }
    }

    @Test
    void aDefinitionWithAFunnelUnderAProcessorIsCaught() throws IOException {
        final JsonNode group = MAPPER.readTree("""
                {"name": "g", "processors": [{"name": "p", "position": {"x": 0, "y": 0}}],
                 "funnels": [{"position": {"x": 300, "y": 100}}]}""");
        assertEquals(1, overlaps(group).size());
        final JsonNode apart = MAPPER.readTree("""
                {"name": "g", "processors": [{"name": "p", "position": {"x": 0, "y": 0}}],
                 "funnels": [{"position": {"x": 352, "y": 128}}]}""");
        assertEquals(List.of(), overlaps(apart));
    }

    @Test
    void theLayoutDoesNotDependOnComponentIdentifiers() throws IOException {
        final Path file = TEMPLATES.resolve("crm-api-sync.json");
        final String text = Files.readString(file);
        // Draw every identifier anew, as each build of a template does.
        final java.util.regex.Matcher uuids = java.util.regex.Pattern
                .compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").matcher(text);
        final java.util.Map<String, String> renamed = new java.util.HashMap<>();
        final StringBuilder rebuilt = new StringBuilder();
        while (uuids.find()) {
            uuids.appendReplacement(rebuilt, renamed.computeIfAbsent(uuids.group(), u -> UUID.randomUUID().toString()));
        }
        uuids.appendTail(rebuilt);
        final JsonNode original = CanvasLayout.layout(text.getBytes(StandardCharsets.UTF_8));
        final JsonNode other = CanvasLayout.layout(rebuilt.toString().getBytes(StandardCharsets.UTF_8));
        assertEquals(positions(original.path("flowContents")), positions(other.path("flowContents")));
    }

    @Property(tries = 300)
    void anyFlowIsLaidOutWithoutOverlaps(@ForAll("flows") final ObjectNode definition) {
        final JsonNode laidOut = CanvasLayout.layout(definition.toString().getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of(), overlaps(laidOut.path("flowContents")));
        // and laying it out again changes nothing
        assertEquals(laidOut, CanvasLayout.layout(laidOut.toString().getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void theFailureFunnelSitsApartFromTheMainPath() throws IOException {
        final JsonNode contents = MAPPER.readTree(TEMPLATES.resolve("ftp-batch-ingest.json").toFile()).path("flowContents");
        // The parked-failures funnel is the one failures flow into; other funnels (the merge input) sit on the main path.
        final java.util.Set<String> failureTargets = new java.util.HashSet<>();
        for (final JsonNode connection : contents.path("connections")) {
            for (final JsonNode relationship : connection.path("selectedRelationships")) {
                if ("failure".equals(relationship.asText())) {
                    failureTargets.add(connection.path("destination").path("id").asText());
                }
            }
        }
        JsonNode parked = null;
        for (final JsonNode funnel : contents.path("funnels")) {
            if (failureTargets.contains(funnel.path("identifier").asText())) {
                assertTrue(parked == null, "one funnel receives the failures");
                parked = funnel;
            }
        }
        assertTrue(parked != null, "a funnel receives the failures");
        final double funnelX = parked.path("position").path("x").asDouble();
        for (final JsonNode processor : contents.path("processors")) {
            assertTrue(processor.path("position").path("x").asDouble() + CanvasBoxes.PROCESSOR_WIDTH <= funnelX,
                    processor.path("name").asText());
        }
        assertFalse(contents.path("labels").isEmpty());
    }

    // ---------------------------------------------------------------- helpers and generators

    private static List<String> labelsOf(final JsonNode group) {
        final List<String> labels = new ArrayList<>();
        group.path("labels").forEach(l -> labels.add(l.path("label").asText()));
        return labels;
    }

    /** Names with their positions, in name order, for the group and its children. */
    private static List<String> positions(final JsonNode group) {
        final List<String> positions = new ArrayList<>();
        for (final String kind : List.of("processors", "inputPorts", "outputPorts", "processGroups")) {
            group.path(kind).forEach(c -> positions.add(kind + " " + c.path("name").asText() + " " + c.path("position")));
        }
        group.path("labels").forEach(c -> positions.add("label " + c.path("label").asText() + " " + c.path("position")));
        group.path("processGroups").forEach(c -> positions.addAll(positions(c)));
        positions.sort(String::compareTo);
        return positions;
    }

    private static final List<String> RELATIONSHIPS = List.of("success", "failure", "retry", "excluded", "suppression",
            "matched", "unmatched", "transient", "inactive");
    private static final List<String> TYPES = List.of("io.datasync.nifi.processors.ConsentFilter", "io.datasync.nifi.processors.CustomerDedup",
            "io.datasync.nifi.processors.ProfileMerge", "org.apache.nifi.processors.standard.PutDatabaseRecord",
            "org.apache.nifi.processors.standard.RetryFlowFile", "org.apache.nifi.processors.standard.UpdateRecord");

    @Provide
    Arbitrary<ObjectNode> flows() {
        final Arbitrary<Integer> processors = Arbitraries.integers().between(1, 14);
        final Arbitrary<Integer> funnels = Arbitraries.integers().between(0, 2);
        final Arbitrary<List<int[]>> connections = Arbitraries.integers().between(0, 1000).array(int[].class).ofSize(4)
                .list().ofMaxSize(30);
        final Arbitrary<Boolean> childGroup = Arbitraries.of(true, false);
        return Combinators.combine(processors, funnels, connections, childGroup).as(TemplateCanvasTest::flow);
    }

    /** A group of {@code processors} processors, {@code funnels} funnels, an optional child group with ports, and connections. */
    private static ObjectNode flow(final int processors, final int funnels, final List<int[]> connections, final boolean childGroup) {
        final ObjectNode definition = MAPPER.createObjectNode();
        final ObjectNode group = definition.putObject("flowContents");
        group.put("identifier", "root");
        group.put("name", "random");
        final List<String[]> ends = new ArrayList<>();
        final ArrayNode processorArray = group.putArray("processors");
        for (int i = 0; i < processors; i++) {
            final ObjectNode processor = processorArray.addObject();
            processor.put("identifier", "p" + i);
            processor.put("name", "Processor " + i);
            processor.put("type", TYPES.get(i % TYPES.size()));
            processor.putObject("position").put("x", 0).put("y", 0);
            ends.add(new String[] {"p" + i, "root", "PROCESSOR"});
        }
        final ArrayNode funnelArray = group.putArray("funnels");
        for (int i = 0; i < funnels; i++) {
            final ObjectNode funnel = funnelArray.addObject();
            funnel.put("identifier", "f" + i);
            funnel.putObject("position").put("x", 10).put("y", 10);
            ends.add(new String[] {"f" + i, "root", "FUNNEL"});
        }
        final ArrayNode children = group.putArray("processGroups");
        if (childGroup) {
            final ObjectNode child = children.addObject();
            child.put("identifier", "child");
            child.put("name", "Child");
            child.putObject("position").put("x", 0).put("y", 0);
            child.putArray("inputPorts").addObject().put("identifier", "in").put("name", "in").putObject("position");
            child.putArray("outputPorts").addObject().put("identifier", "out").put("name", "out").putObject("position");
            final ObjectNode inner = child.putArray("processors").addObject();
            inner.put("identifier", "cp").put("name", "Inner").put("type", TYPES.get(2)).putObject("position");
            final ArrayNode innerConnections = child.putArray("connections");
            innerConnections.add(connection("in", "child", "INPUT_PORT", "cp", "child", "PROCESSOR", "success", "ci1"));
            innerConnections.add(connection("cp", "child", "PROCESSOR", "out", "child", "OUTPUT_PORT", "failure", "ci2"));
            ends.add(new String[] {"in", "child", "INPUT_PORT"});
            ends.add(new String[] {"out", "child", "OUTPUT_PORT"});
        }
        final ArrayNode connectionArray = group.putArray("connections");
        int n = 0;
        for (final int[] c : connections) {
            final String[] source = ends.get(c[0] % ends.size());
            final String[] destination = ends.get(c[1] % ends.size());
            if ("INPUT_PORT".equals(source[2]) || "OUTPUT_PORT".equals(destination[2]) || "FUNNEL".equals(source[2]) && c[3] % 2 == 0) {
                continue;
            }
            connectionArray.add(connection(source[0], source[1], source[2], destination[0], destination[1], destination[2],
                    RELATIONSHIPS.get(c[2] % RELATIONSHIPS.size()), "c" + n++));
        }
        return definition;
    }

    private static ObjectNode connection(final String sourceId, final String sourceGroup, final String sourceType, final String destinationId,
                                         final String destinationGroup, final String destinationType, final String relationship, final String id) {
        final ObjectNode connection = MAPPER.createObjectNode();
        connection.put("identifier", id);
        connection.putObject("source").put("id", sourceId).put("groupId", sourceGroup).put("type", sourceType);
        connection.putObject("destination").put("id", destinationId).put("groupId", destinationGroup).put("type", destinationType);
        connection.putArray("selectedRelationships").add(relationship);
        connection.putArray("bends");
        return connection;
    }
}
