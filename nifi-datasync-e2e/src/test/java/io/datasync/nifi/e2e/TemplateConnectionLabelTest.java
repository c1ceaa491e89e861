package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The committed templates' connection labels (the box NiFi draws on each connection, with its name or relationships
 * and its queue) cover neither another connection's label nor a component of their group, their own source and
 * destination included (issue 19). The boxes are worked out as NiFi 2.x's UI places them, without a NiFi:
 * <ul>
 *   <li>with bends, the label is centred on the bend its connection's {@code labelIndex} names (clamped to the bends
 *   there are);</li>
 *   <li>without bends, it is centred halfway between the two points where the straight line between the ends' centres
 *   leaves the source's and the destination's boxes; an end that is a port of a child group is drawn at that group's
 *   box.</li>
 * </ul>
 */
class TemplateConnectionLabelTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** NiFi 2.x draws every connection label this wide. */
    static final double LABEL_WIDTH = 240;
    /**
     * NiFi stacks rows of 19 px: "From" (the source is a port of a child group), "To" (the destination likewise),
     * "Name" (the name, else the relationships) and "Queued" (always, 3 px taller for the back-pressure bars). Every
     * label is taken here with all four rows, the tallest NiFi draws, so one that clears at this height clears
     * whichever rows it shows.
     */
    static final double LABEL_HEIGHT = 4 * 19 + 3;

    /** The label boxes of one group's connections (not its children's). */
    static List<CanvasBoxes.Box> labels(final JsonNode group) {
        final Map<String, CanvasBoxes.Box> byId = new HashMap<>();
        CanvasBoxes.boxes(group).forEach(box -> byId.put(box.id(), box));
        final List<CanvasBoxes.Box> labels = new ArrayList<>();
        for (final JsonNode connection : group.path("connections")) {
            final String name = describe(connection);
            final double[] centre = labelCentre(connection, endBox(group, byId, connection.path("source"), name),
                    endBox(group, byId, connection.path("destination"), name));
            labels.add(new CanvasBoxes.Box("label of " + name, connection.path("identifier").asText(), centre[0] - LABEL_WIDTH / 2,
                    centre[1] - LABEL_HEIGHT / 2, LABEL_WIDTH, LABEL_HEIGHT));
        }
        return labels;
    }

    /** Where NiFi centres the label: on the bend at labelIndex, or halfway along a straight connection's drawn line. */
    static double[] labelCentre(final JsonNode connection, final CanvasBoxes.Box source, final CanvasBoxes.Box destination) {
        final JsonNode bends = connection.path("bends");
        if (!bends.isEmpty()) {
            final int index = Math.min(Math.max(0, connection.path("labelIndex").asInt(0)), bends.size() - 1);
            return new double[] {bends.get(index).path("x").asDouble(), bends.get(index).path("y").asDouble()};
        }
        // The line ends where it leaves each box, aimed at the other box: the destination's end first (aimed at the
        // source's centre), then the source's end aimed at it, as NiFi draws it.
        final double[] end = perimeterPoint(destination, source.centreX(), source.centreY());
        final double[] start = perimeterPoint(source, end[0], end[1]);
        return new double[] {(start[0] + end[0]) / 2, (start[1] + end[1]) / 2};
    }

    /** Where the ray from the box's centre towards (x, y) crosses the box's edge. */
    static double[] perimeterPoint(final CanvasBoxes.Box box, final double x, final double y) {
        final double dx = x - box.centreX();
        final double dy = y - box.centreY();
        if (dx == 0 && dy == 0) {
            return new double[] {box.centreX(), box.centreY()};
        }
        final double scale = Math.min(dx == 0 ? Double.POSITIVE_INFINITY : box.width() / 2 / Math.abs(dx),
                dy == 0 ? Double.POSITIVE_INFINITY : box.height() / 2 / Math.abs(dy));
        return new double[] {box.centreX() + dx * scale, box.centreY() + dy * scale};
    }

    /** The box a connection end is drawn at: its component in this group, or the child (or remote) group holding the port. */
    private static CanvasBoxes.Box endBox(final JsonNode group, final Map<String, CanvasBoxes.Box> byId, final JsonNode end,
                                          final String connection) {
        final boolean here = end.path("groupId").asText().equals(group.path("identifier").asText());
        final CanvasBoxes.Box box = byId.get(here ? end.path("id").asText() : end.path("groupId").asText());
        if (box == null) {
            throw new AssertionError(connection + ": no box for its end " + end);
        }
        return box;
    }

    /** The connection's name, else its ends and relationships, as a reader of the canvas would recognise it. */
    private static String describe(final JsonNode connection) {
        final String name = connection.path("name").asText();
        if (!name.isBlank()) {
            return "'" + name + "'";
        }
        final List<String> relationships = new ArrayList<>();
        connection.path("selectedRelationships").forEach(r -> relationships.add(r.asText()));
        return connection.path("source").path("name").asText() + " -" + String.join(",", relationships) + "-> "
                + connection.path("destination").path("name").asText();
    }

    /** Every label over another label or a component, in the group and its children, described with where it is. */
    static List<String> overlaps(final JsonNode group, final String path) {
        final String here = path.isEmpty() ? group.path("name").asText() : path + " / " + group.path("name").asText();
        final List<String> found = new ArrayList<>();
        final List<CanvasBoxes.Box> labels = labels(group);
        final List<CanvasBoxes.Box> components = CanvasBoxes.boxes(group);
        for (int i = 0; i < labels.size(); i++) {
            final CanvasBoxes.Box label = labels.get(i);
            for (int j = i + 1; j < labels.size(); j++) {
                if (label.overlaps(labels.get(j))) {
                    found.add(here + ": " + label + " overlaps " + labels.get(j));
                }
            }
            for (final CanvasBoxes.Box component : components) {
                if (label.overlaps(component)) {
                    found.add(here + ": " + label + " overlaps " + component);
                }
            }
        }
        group.path("processGroups").forEach(child -> found.addAll(overlaps(child, here)));
        return found;
    }

    private static int connections(final JsonNode group) {
        int count = group.path("connections").size();
        for (final JsonNode child : group.path("processGroups")) {
            count += connections(child);
        }
        return count;
    }

    private static int labelCount(final JsonNode group) {
        int count = labels(group).size();
        for (final JsonNode child : group.path("processGroups")) {
            count += labelCount(child);
        }
        return count;
    }

    @Test
    void noCommittedTemplateDrawsAConnectionLabelOverAnotherLabelOrAComponent() throws IOException {
        final List<Path> templates = TemplateCanvasTest.templates();
        assertTrue(templates.size() >= 6, "the committed templates are found: " + templates);
        final List<String> found = new ArrayList<>();
        for (final Path file : templates) {
            final JsonNode contents = MAPPER.readTree(file.toFile()).path("flowContents");
            final int labels = labelCount(contents);
            // Every connection's label is placed (an end without a box would have failed above), in every group.
            assertEquals(connections(contents), labels, file.getFileName().toString());
            System.out.println(file.getFileName() + ": " + labels + " connection labels checked");
            overlaps(contents, "").forEach(overlap -> found.add(file.getFileName() + ": " + overlap));
        }
        assertTrue(found.isEmpty(), found.size() + " connection labels drawn over something:\n" + String.join("\n", found));
    }

    @Test
    void theLabelSitsOnTheBendItsLabelIndexNames() throws IOException {
        final JsonNode group = MAPPER.readTree("""
                {"identifier": "g", "name": "g",
                 "processors": [{"identifier": "a", "name": "A", "position": {"x": 0, "y": 0}},
                                {"identifier": "b", "name": "B", "position": {"x": 0, "y": 1000}}],
                 "connections": [
                   {"identifier": "c1", "source": {"id": "a", "groupId": "g", "name": "A"},
                    "destination": {"id": "b", "groupId": "g", "name": "B"}, "selectedRelationships": ["success"],
                    "labelIndex": 1, "bends": [{"x": 600, "y": 200}, {"x": 600, "y": 800}]},
                   {"identifier": "c2", "source": {"id": "a", "groupId": "g", "name": "A"},
                    "destination": {"id": "b", "groupId": "g", "name": "B"}, "selectedRelationships": ["failure"],
                    "labelIndex": 7, "bends": [{"x": -600, "y": 200}, {"x": -600, "y": 700}]}]}""");
        final List<CanvasBoxes.Box> labels = labels(group);
        assertEquals(600 - LABEL_WIDTH / 2, labels.get(0).x());
        assertEquals(800 - LABEL_HEIGHT / 2, labels.get(0).y());
        // An index past the last bend is taken as the last bend, as NiFi does.
        assertEquals(-600 - LABEL_WIDTH / 2, labels.get(1).x());
        assertEquals(700 - LABEL_HEIGHT / 2, labels.get(1).y());
        assertEquals(List.of(), overlaps(group, ""));
    }

    @Test
    void aStraightConnectionsLabelSitsHalfwayBetweenTheEdgesItLeavesAndEnters() throws IOException {
        // A processor above a child group: the line runs from the processor's bottom edge (y 128) to the group's top
        // edge (y 528), both at the processors' shared centre line x 176 (the group is 384 wide, so starts at x -16).
        final JsonNode group = MAPPER.readTree("""
                {"identifier": "g", "name": "g",
                 "processors": [{"identifier": "a", "name": "A", "position": {"x": 0, "y": 0}}],
                 "processGroups": [{"identifier": "child", "name": "Child", "position": {"x": -16, "y": 528},
                                    "inputPorts": [{"identifier": "in", "name": "in", "position": {"x": 5000, "y": 5000}}]}],
                 "connections": [
                   {"identifier": "c1", "source": {"id": "a", "groupId": "g", "name": "A"},
                    "destination": {"id": "in", "groupId": "child", "name": "in"}, "selectedRelationships": ["success"],
                    "bends": []}]}""");
        final CanvasBoxes.Box label = labels(group).getFirst();
        assertEquals(176, label.centreX(), 1e-9);
        assertEquals(328, label.centreY(), 1e-9);
        assertEquals(List.of(), overlaps(group, ""));
    }

    @Test
    void labelsOverEachOtherOrOverTheirOwnProcessorAreReported() throws IOException {
        // Two processors 40 px apart: the straight connection's label covers both; the retry connection's label, on
        // its first bend, covers that label and processor B.
        final JsonNode group = MAPPER.readTree("""
                {"identifier": "g", "name": "Outer",
                 "processors": [{"identifier": "a", "name": "A", "position": {"x": 0, "y": 0}},
                                {"identifier": "b", "name": "B", "position": {"x": 0, "y": 168}}],
                 "connections": [
                   {"identifier": "c1", "source": {"id": "a", "groupId": "g", "name": "A"},
                    "destination": {"id": "b", "groupId": "g", "name": "B"}, "selectedRelationships": ["success"],
                    "bends": []},
                   {"identifier": "c2", "name": "retries", "source": {"id": "b", "groupId": "g", "name": "B"},
                    "destination": {"id": "a", "groupId": "g", "name": "A"}, "selectedRelationships": ["retry"],
                    "labelIndex": 0, "bends": [{"x": 300, "y": 170}, {"x": 700, "y": 60}]}]}""");
        final List<String> found = overlaps(group, "");
        assertEquals(4, found.size(), String.join("\n", found));
        assertTrue(found.contains("Outer: label of A -success-> B at (56.0, 108.5) 240.0x79.0 overlaps "
                + "label of 'retries' at (180.0, 130.5) 240.0x79.0"), String.join("\n", found));
        assertTrue(found.contains("Outer: label of A -success-> B at (56.0, 108.5) 240.0x79.0 overlaps "
                + "processor A at (0.0, 0.0) 352.0x128.0"),
                String.join("\n", found));
        assertTrue(found.contains("Outer: label of A -success-> B at (56.0, 108.5) 240.0x79.0 overlaps "
                + "processor B at (0.0, 168.0) 352.0x128.0"),
                String.join("\n", found));
        // Moved to its second bend, clear of everything, the retry label leaves the straight label's two overlaps.
        ((ObjectNode) group.path("connections").get(1)).put("labelIndex", 1);
        assertEquals(2, overlaps(group, "").size(), String.join("\n", overlaps(group, "")));
    }
}
