package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * Boxes of a flow definition's components on their group's canvas, at the sizes NiFi 2.x's UI draws them (its
 * component managers' dimensions; only labels carry their own size). Computed here, independently of
 * {@link CanvasLayout}, so that the canvas tests check the layout rather than repeat it.
 */
final class CanvasBoxes {

    static final double PROCESSOR_WIDTH = 352;
    static final double PROCESSOR_HEIGHT = 128;
    static final double PORT_WIDTH = 240;
    static final double PORT_HEIGHT = 48;
    /** A port that allows remote access (site-to-site) carries a banner on top. */
    static final double REMOTE_ACCESS_PORT_HEIGHT = 80;
    static final double FUNNEL_SIZE = 48;
    static final double GROUP_WIDTH = 384;
    static final double GROUP_HEIGHT = 176;

    private CanvasBoxes() {
    }

    /** A box on a group's canvas; {@code id} is the component's identifier (empty for boxes that are not components). */
    record Box(String what, String id, double x, double y, double width, double height) {

        boolean overlaps(final Box other) {
            return x < other.x + other.width && other.x < x + width && y < other.y + other.height && other.y < y + height;
        }

        double centreX() {
            return x + width / 2;
        }

        double centreY() {
            return y + height / 2;
        }

        @Override
        public String toString() {
            return what + " at (" + x + ", " + y + ") " + width + "x" + height;
        }
    }

    /** Boxes of one group's processors, ports, funnels, child and remote groups and labels (not its children's). */
    static List<Box> boxes(final JsonNode group) {
        final List<Box> boxes = new ArrayList<>();
        group.path("processors").forEach(c -> boxes.add(box("processor " + c.path("name").asText(), c, PROCESSOR_WIDTH, PROCESSOR_HEIGHT)));
        group.path("inputPorts").forEach(c -> boxes.add(box("input port " + c.path("name").asText(), c, PORT_WIDTH, portHeight(c))));
        group.path("outputPorts").forEach(c -> boxes.add(box("output port " + c.path("name").asText(), c, PORT_WIDTH, portHeight(c))));
        group.path("funnels").forEach(c -> boxes.add(box("funnel", c, FUNNEL_SIZE, FUNNEL_SIZE)));
        group.path("processGroups").forEach(c -> boxes.add(box("group " + c.path("name").asText(), c, GROUP_WIDTH, GROUP_HEIGHT)));
        group.path("remoteProcessGroups").forEach(c -> boxes.add(box("remote group " + c.path("name").asText(), c, GROUP_WIDTH,
                GROUP_HEIGHT)));
        group.path("labels").forEach(c -> boxes.add(box("label " + c.path("label").asText().lines().findFirst().orElse(""), c,
                c.path("width").asDouble(), c.path("height").asDouble())));
        return boxes;
    }

    private static double portHeight(final JsonNode port) {
        return port.path("allowRemoteAccess").asBoolean() ? REMOTE_ACCESS_PORT_HEIGHT : PORT_HEIGHT;
    }

    private static Box box(final String what, final JsonNode component, final double width, final double height) {
        return new Box(what, component.path("identifier").asText(), component.path("position").path("x").asDouble(),
                component.path("position").path("y").asDouble(), width, height);
    }
}
