package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Lays out a downloaded flow definition so that its canvas reads top to bottom, whatever the builder code put where.
 * A generic, deterministic pass over each process group (children first), run by the export step
 * ({@link TemplateBuilder}, {@link ExportRealtimeTemplates}) so that every flow a builder adds is laid out the same way:
 * <ul>
 *   <li>The <em>main path</em>: components reached through relationships that carry data on (not failure, retry and
 *   the like) are layered by their longest path from the sources, one row per layer, each component under its first
 *   upstream component where that column is free.</li>
 *   <li><em>Side components</em>, reached only through failure-like relationships (a retry loop, a failure classifier,
 *   a stale-data alert), sit in the side columns to the right, on the row of the component they serve.</li>
 *   <li><em>Sinks of failures</em> (funnels and output ports fed only by failure-like relationships) sit in their own
 *   column at the far right under a "Parked failures" label; connections into them bend down into the gap below
 *   their source row and run across to that column, so their labels neither stack nor sit on a component.</li>
 *   <li>A label on the left names each band of rows: source, consent, identity, merge and store; retry loops back
 *   into their target bend below the row, self-loops bend out to the side.</li>
 *   <li>Each connection's label (NiFi draws it on the bend {@code labelIndex} names, or halfway along a connection
 *   without bends) stays clear of components, canvas labels and other connection labels: where its place is taken it
 *   moves along its connection, onto a bend added on the line (the line stays as it was).</li>
 * </ul>
 * Positions depend only on names, types and connections, never on component identifiers, so building a template twice
 * lays it out the same way. Components are placed on a grid whose cells are larger than NiFi's default component
 * sizes ({@link #PROCESSOR_WIDTH} etc.), so no two overlap. {@link #main} relayouts committed files in place.
 */
public final class CanvasLayout {

    /** NiFi 2.x canvas sizes of components (the UI draws them at these sizes; only labels carry their own). */
    public static final double PROCESSOR_WIDTH = 352;
    public static final double PROCESSOR_HEIGHT = 128;
    public static final double PORT_WIDTH = 240;
    public static final double PORT_HEIGHT = 48;
    /** A port that allows remote access (site-to-site) carries a banner on top. */
    public static final double REMOTE_ACCESS_PORT_HEIGHT = 80;
    public static final double FUNNEL_SIZE = 48;
    public static final double GROUP_WIDTH = 384;
    public static final double GROUP_HEIGHT = 176;

    /**
     * NiFi 2.x draws a connection's label 240 wide, in rows of 19 px: from (a port of a child group), to (likewise),
     * name (or relationships) and queued (3 px more for the back-pressure bars); taken here with all four rows.
     */
    static final double CONNECTION_LABEL_WIDTH = 240;
    static final double CONNECTION_LABEL_HEIGHT = 4 * 19 + 3;
    /** Space kept free around a connection label, and the step at which places along a connection are tried for it. */
    private static final double LABEL_CLEARANCE = 8;
    private static final double LABEL_STEP = 16;

    /** Grid cell: room for a processor or group plus a connection label each way. */
    static final double COLUMN = 640;
    static final double ROW = 330;
    /** Section labels sit left of column 0, with room for a self-loop's bends in between. */
    static final double SECTION_LABEL_WIDTH = 300;
    static final double SECTION_LABEL_X = -SECTION_LABEL_WIDTH - 260;

    /** Relationships that do not carry data on along the main path. */
    static final Set<String> FAILURE_LIKE = Set.of("failure", "retry", "comms.failure", "not.found", "permission.denied",
            "retries_exceeded", "transient", "unmatched", "inactive", "activity.restored");

    private static final String LABEL_NAMESPACE = "datasync-canvas-layout:";

    /** Sections, in the order a band of rows may take them (a band never goes back to an earlier one). */
    enum Section {
        SOURCE("Source", "Fetch or receive, watch for stale data, normalise the records."),
        CONSENT("Consent", "Only records with consent for the purpose go on; the others are excluded (audit trail) "
                + "or written to the suppression list."),
        IDENTITY("Identity", "Records of one person are linked to one customer id (identity cache)."),
        STORE("Merge and store", "Golden profiles merged and written to the database; write failures retried, then parked.");

        final String title;
        final String description;

        Section(final String title, final String description) {
            this.title = title;
            this.description = description;
        }

        String text() {
            return title + "\n\n" + description;
        }
    }

    static final String STORE_ONLY_TEXT = "Store\n\nWritten to the database; write failures retried, then parked.";
    static final String INPUT_TEXT = "Input\n\nRecords from the enclosing group.";
    static final String PARKED_TEXT = "Parked failures\n\nWhat could not be processed after its retries waits in this queue, with an "
            + "attribute saying why (never dropped). List the queue, fix the cause, then send the FlowFiles back or empty it.";
    static final String FAILURES_OUT_TEXT = "Failures\n\nLeave this group for the parked failures queue of the enclosing group.";
    /** Every text this pass writes: labels with one of them are replaced on each pass, other labels are kept. */
    private static final Set<String> GENERATED_TEXTS = generatedTexts();

    private static Set<String> generatedTexts() {
        final Set<String> texts = new HashSet<>(Set.of(STORE_ONLY_TEXT, INPUT_TEXT, PARKED_TEXT, FAILURES_OUT_TEXT));
        for (final Section section : Section.values()) {
            texts.add(section.text());
        }
        return Set.copyOf(texts);
    }

    private CanvasLayout() {
    }

    /** Relayouts the named (or all) templates/*.json files in place: {@code CanvasLayout [templatesDir [name...]]}. */
    public static void main(final String[] args) throws IOException {
        final Path dir = Path.of(args.length > 0 ? args[0] : "templates");
        final List<Path> files;
        if (args.length > 1) {
            files = Stream.of(args).skip(1).map(name -> dir.resolve(name + ".json")).toList();
        } else {
            try (Stream<Path> all = Files.list(dir)) {
                files = all.filter(f -> f.getFileName().toString().endsWith(".json")).sorted().toList();
            }
        }
        for (final Path file : files) {
            Files.writeString(file, pretty(layout(Files.readAllBytes(file))));
            System.out.println("Laid out " + file);
        }
    }

    /** The definition, pretty-printed as the committed templates are, with a final newline. */
    static String pretty(final JsonNode definition) {
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(definition) + "\n";
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A laid-out copy of a flow definition (the JSON NiFi's "Download flow definition" gives). */
    public static ObjectNode layout(final byte[] definition) {
        try {
            final ObjectNode tree = (ObjectNode) new ObjectMapper().readTree(new String(definition, StandardCharsets.UTF_8));
            layoutGroup((ObjectNode) tree.path("flowContents"), new HashSet<>());
            return tree;
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---------------------------------------------------------------- one group

    private static final class Node {
        final ObjectNode json;
        final String id;
        final String kind;
        final String name;
        final double width;
        final double height;
        final List<Edge> in = new ArrayList<>();
        final List<Edge> out = new ArrayList<>();
        int row = -1;
        int column = -1;
        boolean side;
        boolean sink;

        Node(final ObjectNode json, final String kind, final double width, final double height) {
            this.json = json;
            this.id = json.path("identifier").asText();
            this.kind = kind;
            this.name = kind + ":" + json.path("type").asText() + ":" + json.path("name").asText();
            this.width = width;
            this.height = height;
        }

        double x() {
            return json.path("position").path("x").asDouble();
        }

        double y() {
            return json.path("position").path("y").asDouble();
        }

        void place(final double x, final double y) {
            final ObjectNode position = json.putObject("position");
            position.put("x", x);
            position.put("y", y);
        }

        String typeName() {
            return json.path("type").asText();
        }
    }

    private record Edge(ObjectNode json, Node source, Node destination, boolean failureLike) {
        String key() {
            return source.name + ">" + destination.name + ">" + json.path("selectedRelationships");
        }
    }

    /**
     * Lays out {@code group} and its children; {@code failurePorts} collects the identifiers of output ports that carry
     * only failures out of a group, so that the parent treats connections from them as failure-like too.
     */
    static void layoutGroup(final ObjectNode group, final Set<String> failurePorts) {
        for (final JsonNode child : group.path("processGroups")) {
            layoutGroup((ObjectNode) child, failurePorts);
        }
        final String groupId = group.path("identifier").asText();
        final Map<String, Node> nodes = new LinkedHashMap<>();
        group.path("processors").forEach(p -> add(nodes, new Node((ObjectNode) p, "1", PROCESSOR_WIDTH, PROCESSOR_HEIGHT)));
        group.path("processGroups").forEach(p -> add(nodes, new Node((ObjectNode) p, "2", GROUP_WIDTH, GROUP_HEIGHT)));
        group.path("inputPorts").forEach(p -> add(nodes, new Node((ObjectNode) p, "0", PORT_WIDTH, portHeight(p))));
        group.path("outputPorts").forEach(p -> add(nodes, new Node((ObjectNode) p, "3", PORT_WIDTH, portHeight(p))));
        group.path("funnels").forEach(p -> add(nodes, new Node((ObjectNode) p, "4", FUNNEL_SIZE, FUNNEL_SIZE)));
        if (nodes.isEmpty()) {
            return;
        }
        final List<Edge> edges = new ArrayList<>();
        final List<ObjectNode> selfLoops = new ArrayList<>();
        for (final JsonNode connection : group.path("connections")) {
            final Node source = endpoint(nodes, groupId, connection.path("source"));
            final Node destination = endpoint(nodes, groupId, connection.path("destination"));
            if (source == null || destination == null) {
                continue;
            }
            if (source == destination) {
                selfLoops.add((ObjectNode) connection);
                continue;
            }
            boolean failureLike = connection.path("selectedRelationships").size() > 0;
            for (final JsonNode relationship : connection.path("selectedRelationships")) {
                failureLike &= FAILURE_LIKE.contains(relationship.asText());
            }
            failureLike |= failurePorts.contains(connection.path("source").path("id").asText());
            final Edge edge = new Edge((ObjectNode) connection, source, destination, failureLike);
            edges.add(edge);
            source.out.add(edge);
            destination.in.add(edge);
        }
        edges.sort(Comparator.comparing(Edge::key));
        final List<Node> ordered = new ArrayList<>(nodes.values());
        ordered.sort(Comparator.comparing(n -> n.name));
        ordered.forEach(n -> {
            n.in.sort(Comparator.comparing(Edge::key));
            n.out.sort(Comparator.comparing(Edge::key));
        });

        classify(ordered);
        ordered.stream().filter(n -> n.sink && "3".equals(n.kind)).forEach(n -> failurePorts.add(n.id));
        final List<Node> main = ordered.stream().filter(n -> !n.side && !n.sink).toList();
        assignRows(main);
        final int mainColumns = assignMainColumns(main);
        final int columns = placeSideNodes(ordered, mainColumns);
        final int rows = ordered.stream().mapToInt(n -> n.row).max().orElse(0) + 1;

        for (final Node node : ordered) {
            if (!node.sink) {
                node.place(column(node.column) + (PROCESSOR_WIDTH - node.width) / 2, row(node.row) + (PROCESSOR_HEIGHT - node.height) / 2);
            }
        }
        final double parkedX = column(columns);
        final List<Node> sinks = ordered.stream().filter(n -> n.sink).toList();
        final double parkedTop = row(Math.max(1, rows / 2 - sinks.size() / 2));
        for (int i = 0; i < sinks.size(); i++) {
            final Node sink = sinks.get(i);
            sink.place(parkedX + (PROCESSOR_WIDTH - sink.width) / 2, parkedTop + i * ROW + (PROCESSOR_HEIGHT - sink.height) / 2);
        }

        routeConnections(edges, selfLoops, nodes, groupId, parkedX);
        writeLabels(group, groupId, ordered, rows, sinks, parkedX);
        placeConnectionLabels(group, edges, selfLoops, nodes, groupId);
    }

    private static double portHeight(final JsonNode port) {
        return port.path("allowRemoteAccess").asBoolean() ? REMOTE_ACCESS_PORT_HEIGHT : PORT_HEIGHT;
    }

    private static void add(final Map<String, Node> nodes, final Node node) {
        nodes.put(node.id, node);
    }

    /** The node of a connection end: a component of this group, or the child group holding the port. */
    private static Node endpoint(final Map<String, Node> nodes, final String groupId, final JsonNode end) {
        final String endGroup = end.path("groupId").asText();
        return endGroup.equals(groupId) ? nodes.get(end.path("id").asText()) : nodes.get(endGroup);
    }

    /** Sinks: funnels and output ports fed only by failure-like connections; side: reached only by failure-like ones. */
    private static void classify(final List<Node> ordered) {
        for (final Node node : ordered) {
            final boolean terminal = "4".equals(node.kind) || "3".equals(node.kind);
            node.sink = terminal && !node.in.isEmpty() && node.in.stream().allMatch(Edge::failureLike);
        }
        boolean changed = true;
        while (changed) {
            changed = false;
            for (final Node node : ordered) {
                if (node.side || node.sink || node.in.isEmpty()) {
                    continue;
                }
                if (node.in.stream().allMatch(e -> e.failureLike() || e.source().side)) {
                    node.side = true;
                    changed = true;
                }
            }
        }
    }

    /** Rows of the main path: longest path from the sources over data-carrying connections (cycles cut where found). */
    private static void assignRows(final List<Node> main) {
        final Set<Node> mainSet = new HashSet<>(main);
        final Map<Node, List<Node>> successors = new HashMap<>();
        for (final Node node : main) {
            successors.put(node, node.out.stream().filter(e -> !e.failureLike() && mainSet.contains(e.destination()))
                    .map(Edge::destination).distinct().toList());
        }
        // Cut back edges by a depth-first search from the sources in name order, then layer the rest.
        final Set<Node> done = new HashSet<>();
        final Set<Node> onStack = new HashSet<>();
        final Map<Node, List<Node>> forward = new HashMap<>();
        main.forEach(n -> forward.put(n, new ArrayList<>()));
        final List<Node> roots = new ArrayList<>(main.stream().filter(n -> main.stream()
                .noneMatch(m -> successors.get(m).contains(n))).toList());
        roots.addAll(main);
        for (final Node root : roots) {
            depthFirst(root, successors, forward, done, onStack);
        }
        final List<Node> topological = new ArrayList<>();
        final Set<Node> visited = new HashSet<>();
        for (final Node node : main) {
            topo(node, forward, visited, topological);
        }
        java.util.Collections.reverse(topological);
        topological.forEach(n -> n.row = Math.max(n.row, 0));
        for (final Node node : topological) {
            for (final Node next : forward.get(node)) {
                next.row = Math.max(next.row, node.row + 1);
            }
        }
    }

    private static void depthFirst(final Node node, final Map<Node, List<Node>> successors, final Map<Node, List<Node>> forward,
                                   final Set<Node> done, final Set<Node> onStack) {
        if (done.contains(node)) {
            return;
        }
        done.add(node);
        onStack.add(node);
        for (final Node next : successors.get(node)) {
            if (onStack.contains(next)) {
                continue;
            }
            forward.get(node).add(next);
            depthFirst(next, successors, forward, done, onStack);
        }
        onStack.remove(node);
    }

    private static void topo(final Node node, final Map<Node, List<Node>> forward, final Set<Node> visited, final List<Node> out) {
        if (!visited.add(node)) {
            return;
        }
        for (final Node next : forward.get(node)) {
            topo(next, forward, visited, out);
        }
        out.add(node);
    }

    /** Each row's nodes go under their first upstream node's column, or the next free one right of it. */
    private static int assignMainColumns(final List<Node> main) {
        final TreeMap<Integer, List<Node>> byRow = new TreeMap<>();
        main.forEach(n -> byRow.computeIfAbsent(n.row, r -> new ArrayList<>()).add(n));
        int columns = 1;
        for (final List<Node> row : byRow.values()) {
            // Where two want the same column, the one with the longer way ahead continues the straight path.
            row.sort(Comparator.comparingInt(CanvasLayout::preferredColumn)
                    .thenComparing(Comparator.comparingInt((Node n) -> height(n, new HashSet<>())).reversed())
                    .thenComparing(n -> n.name));
            final Set<Integer> taken = new HashSet<>();
            for (final Node node : row) {
                int column = preferredColumn(node);
                while (taken.contains(column)) {
                    column++;
                }
                taken.add(column);
                node.column = column;
                columns = Math.max(columns, column + 1);
            }
        }
        return columns;
    }

    /** Rows of main path below {@code node} (the longest chain of data-carrying connections to main nodes). */
    private static int height(final Node node, final Set<Node> seen) {
        if (!seen.add(node)) {
            return 0;
        }
        int height = 0;
        for (final Edge edge : node.out) {
            if (!edge.failureLike() && !edge.destination().side && !edge.destination().sink && edge.destination().row > node.row) {
                height = Math.max(height, 1 + height(edge.destination(), seen));
            }
        }
        seen.remove(node);
        return height;
    }

    private static int preferredColumn(final Node node) {
        return node.in.stream().filter(e -> !e.failureLike() && e.source().column >= 0 && e.source().row < node.row)
                .mapToInt(e -> e.source().column).min().orElse(0);
    }

    /** Side nodes: on the row of the main node they hang off, in the columns right of the main ones. */
    private static int placeSideNodes(final List<Node> ordered, final int mainColumns) {
        int columns = mainColumns;
        // Pass by pass, the side nodes whose anchor is placed, grouped by anchor (left to right), so that the helpers of
        // one component sit together.
        while (true) {
            final List<Node> candidates = new ArrayList<>();
            final Map<Node, Node> anchors = new HashMap<>();
            for (final Node node : ordered) {
                if (node.side && node.row < 0) {
                    node.in.stream().map(Edge::source).filter(s -> s.row >= 0 && !s.sink).findFirst().ifPresent(anchor -> {
                        anchors.put(node, anchor);
                        candidates.add(node);
                    });
                }
            }
            if (candidates.isEmpty()) {
                break;
            }
            candidates.sort(Comparator.comparingInt((Node n) -> anchors.get(n).row).thenComparingInt(n -> anchors.get(n).column)
                    .thenComparing(n -> n.name));
            for (final Node node : candidates) {
                final Node anchor = anchors.get(node);
                node.row = anchor.row;
                node.column = anchor.side ? Math.max(mainColumns, anchor.column + 1) : mainColumns;
                while (occupied(ordered, node)) {
                    node.column++;
                }
                columns = Math.max(columns, node.column + 1);
            }
        }
        // Side nodes not reachable from a placed node (a cycle of side nodes only): a row of their own at the bottom.
        int extraRow = ordered.stream().mapToInt(n -> n.row).max().orElse(-1) + 1;
        for (final Node node : ordered) {
            if (!node.sink && node.row < 0) {
                node.row = extraRow;
                node.column = 0;
                while (occupied(ordered, node)) {
                    node.column++;
                }
                columns = Math.max(columns, node.column + 1);
            }
        }
        return columns;
    }

    private static boolean occupied(final List<Node> ordered, final Node node) {
        return ordered.stream().anyMatch(o -> o != node && !o.sink && o.row == node.row && o.column == node.column);
    }

    private static double column(final int column) {
        return column * COLUMN;
    }

    private static double row(final int row) {
        return row * ROW;
    }

    // ---------------------------------------------------------------- connections

    private static void routeConnections(final List<Edge> edges, final List<ObjectNode> selfLoops, final Map<String, Node> nodes,
                                         final String groupId, final double parkedX) {
        final Map<String, Integer> seen = new HashMap<>();
        for (final Edge edge : edges) {
            final ArrayNode bends = edge.json().putArray("bends");
            final Node source = edge.source();
            final Node destination = edge.destination();
            final int repeat = seen.merge(source.id + ">" + destination.id, 1, Integer::sum) - 1;
            final double sourceCentreX = source.x() + source.width / 2 + repeat * 40;
            final double gapBelowSource = row(source.row) + PROCESSOR_HEIGHT + (ROW - PROCESSOR_HEIGHT) * 0.8;
            if (destination.sink) {
                // Down into the gap below the source's row, across to the parked column, then to the sink.
                final double x = source.x() + source.width * 0.75 + repeat * 40;
                bend(bends, x, gapBelowSource);
                bend(bends, parkedX + PROCESSOR_WIDTH / 2, gapBelowSource);
                edge.json().put("labelIndex", 0);
            } else if (destination.row == source.row) {
                // Same row: a loop back (retry) or a step sideways past other nodes goes under the row.
                final boolean adjacent = Math.abs(destination.column - source.column) == 1;
                if (!adjacent || destination.column < source.column) {
                    bend(bends, sourceCentreX, gapBelowSource - 40);
                    bend(bends, destination.x() + destination.width / 2, gapBelowSource - 40);
                    edge.json().put("labelIndex", 0);
                } else {
                    edge.json().put("labelIndex", 0);
                }
            } else if (destination.row < source.row || Math.abs(destination.column - source.column) > 1
                    || destination.row > source.row + 1) {
                // Up the canvas, or past components: out to the side of the source's column, then along the gap.
                final double sideX = column(Math.max(source.column, destination.column)) + PROCESSOR_WIDTH + (COLUMN - PROCESSOR_WIDTH) / 2;
                final double aboveDestination = row(destination.row) - (ROW - PROCESSOR_HEIGHT) / 2;
                if (destination.row > source.row && destination.column == source.column) {
                    bend(bends, sideX, source.y() + source.height / 2);
                    bend(bends, sideX, aboveDestination);
                } else {
                    bend(bends, sourceCentreX, gapBelowSource);
                    bend(bends, sideX, gapBelowSource);
                    bend(bends, sideX, aboveDestination);
                }
                edge.json().put("labelIndex", 0);
            } else {
                edge.json().put("labelIndex", 0);
            }
        }
        for (final ObjectNode loop : selfLoops) {
            final Node node = endpoint(nodes, groupId, loop.path("source"));
            final ArrayNode bends = loop.putArray("bends");
            final double x = node.x() - 130;
            bend(bends, x, node.y() + node.height / 2 - 40);
            bend(bends, x, node.y() + node.height / 2 + 40);
            loop.put("labelIndex", 0);
        }
    }

    private static void bend(final ArrayNode bends, final double x, final double y) {
        final ObjectNode bend = bends.addObject();
        bend.put("x", x);
        bend.put("y", y);
    }

    // ---------------------------------------------------------------- connection labels

    private record Box(double x, double y, double width, double height) {

        static Box labelAt(final double[] centre) {
            return new Box(centre[0] - CONNECTION_LABEL_WIDTH / 2, centre[1] - CONNECTION_LABEL_HEIGHT / 2, CONNECTION_LABEL_WIDTH,
                    CONNECTION_LABEL_HEIGHT);
        }

        boolean near(final Box other) {
            return x < other.x + other.width + LABEL_CLEARANCE && other.x < x + width + LABEL_CLEARANCE
                    && y < other.y + other.height + LABEL_CLEARANCE && other.y < y + height + LABEL_CLEARANCE;
        }
    }

    /**
     * Moves each connection's label, where it would cover a component, a canvas label or an earlier connection's label,
     * to the first free place along the connection: its other bends, then points along its line from the middle
     * outwards. NiFi draws the label on the bend {@code labelIndex} names, so a place on a straight stretch becomes a
     * bend there, on the line, which leaves the line as it was.
     */
    private static void placeConnectionLabels(final ObjectNode group, final List<Edge> edges, final List<ObjectNode> selfLoops,
                                              final Map<String, Node> nodes, final String groupId) {
        final List<Box> components = new ArrayList<>();
        nodes.values().forEach(n -> components.add(new Box(n.x(), n.y(), n.width, n.height)));
        for (final JsonNode label : group.path("labels")) {
            components.add(new Box(label.path("position").path("x").asDouble(), label.path("position").path("y").asDouble(),
                    label.path("width").asDouble(), label.path("height").asDouble()));
        }
        final List<ObjectNode> connections = new ArrayList<>();
        edges.forEach(edge -> connections.add(edge.json()));
        connections.addAll(selfLoops);
        // Short connections have few places for their label, long ones many: the short ones choose first.
        final Map<ObjectNode, Double> lengths = new IdentityHashMap<>();
        final Map<ObjectNode, JsonNode> routed = new IdentityHashMap<>();
        for (final ObjectNode connection : connections) {
            lengths.put(connection, length(line(endpoint(nodes, groupId, connection.path("source")),
                    endpoint(nodes, groupId, connection.path("destination")), (ArrayNode) connection.get("bends"))));
            routed.put(connection, connection.deepCopy());
        }
        List<ObjectNode> order = new ArrayList<>(connections);
        order.sort(Comparator.comparingDouble(lengths::get));
        // A label that finds no free place goes first in the next round, until every label has one (or rounds run out).
        for (int round = 0; round <= connections.size(); round++) {
            final List<Box> taken = new ArrayList<>(components);
            final List<ObjectNode> stuck = new ArrayList<>();
            for (final ObjectNode connection : order) {
                connection.set("bends", routed.get(connection).get("bends").deepCopy());
                connection.set("labelIndex", routed.get(connection).get("labelIndex"));
                final Node source = endpoint(nodes, groupId, connection.path("source"));
                final Node destination = endpoint(nodes, groupId, connection.path("destination"));
                final Box placed = placeConnectionLabel(connection, source, destination, taken);
                if (placed == null) {
                    stuck.add(connection);
                    taken.add(Box.labelAt(labelCentre(connection, source, destination)));
                } else {
                    taken.add(placed);
                }
            }
            if (stuck.isEmpty()) {
                return;
            }
            final List<ObjectNode> next = new ArrayList<>(stuck);
            order.stream().filter(c -> !stuck.contains(c)).forEach(next::add);
            order = next;
        }
    }

    private static double length(final List<double[]> line) {
        double length = 0;
        for (int k = 0; k + 1 < line.size(); k++) {
            length += Math.hypot(line.get(k + 1)[0] - line.get(k)[0], line.get(k + 1)[1] - line.get(k)[1]);
        }
        return length;
    }

    private static Box placeConnectionLabel(final ObjectNode connection, final Node source, final Node destination, final List<Box> taken) {
        final ArrayNode bends = (ArrayNode) connection.get("bends");
        final List<double[]> line = line(source, destination, bends);
        // Where it is now: its labelIndex bend (the middle of the line without bends), then its other bends.
        final List<double[]> atBends = new ArrayList<>();
        if (bends.isEmpty()) {
            final double[] middle = midpoint(line);
            atBends.add(new double[] {middle[0], middle[1], -1});
        } else {
            final int current = labelBend(connection, bends);
            atBends.add(new double[] {bends.get(current).path("x").asDouble(), bends.get(current).path("y").asDouble(), current});
            for (int i = 0; i < bends.size(); i++) {
                if (i != current) {
                    atBends.add(new double[] {bends.get(i).path("x").asDouble(), bends.get(i).path("y").asDouble(), i});
                }
            }
        }
        for (final double[] place : atBends) {
            final Box box = Box.labelAt(place);
            if (free(box, taken)) {
                if (place[2] >= 0) {
                    connection.put("labelIndex", (int) place[2]);
                }
                return box;
            }
        }
        // Points along the line, every LABEL_STEP, nearest its middle first: {x, y, segment, distance from the middle}.
        final List<double[]> along = new ArrayList<>();
        final double length = length(line);
        double travelled = 0;
        for (int k = 0; k + 1 < line.size(); k++) {
            final double[] from = line.get(k);
            final double[] to = line.get(k + 1);
            final double segment = Math.hypot(to[0] - from[0], to[1] - from[1]);
            for (double s = LABEL_STEP; s < segment; s += LABEL_STEP) {
                final double x = from[0] + (to[0] - from[0]) * s / segment;
                final double y = from[1] + (to[1] - from[1]) * s / segment;
                along.add(new double[] {x, y, k, Math.abs(travelled + s - length / 2)});
            }
            travelled += segment;
        }
        along.sort(Comparator.comparingDouble((double[] p) -> p[3]).thenComparingDouble(p -> p[2]));
        for (final double[] place : along) {
            final Box box = Box.labelAt(place);
            if (free(box, taken)) {
                final ObjectNode bend = bends.insertObject((int) place[2]);
                bend.put("x", place[0]);
                bend.put("y", place[1]);
                connection.put("labelIndex", (int) place[2]);
                return box;
            }
        }
        return null;
    }

    /** Where NiFi centres the connection's label: on its labelIndex bend, or halfway along its line without bends. */
    private static double[] labelCentre(final ObjectNode connection, final Node source, final Node destination) {
        final ArrayNode bends = (ArrayNode) connection.get("bends");
        if (bends.isEmpty()) {
            return midpoint(line(source, destination, bends));
        }
        final JsonNode bend = bends.get(labelBend(connection, bends));
        return new double[] {bend.path("x").asDouble(), bend.path("y").asDouble()};
    }

    /** The bend NiFi puts the label on: labelIndex, clamped to the bends there are. */
    private static int labelBend(final ObjectNode connection, final ArrayNode bends) {
        return Math.min(Math.max(0, connection.path("labelIndex").asInt(0)), bends.size() - 1);
    }

    /** Halfway between the ends of a line without bends (its edge points). */
    private static double[] midpoint(final List<double[]> line) {
        return new double[] {(line.getFirst()[0] + line.getLast()[0]) / 2, (line.getFirst()[1] + line.getLast()[1]) / 2};
    }

    private static boolean free(final Box box, final List<Box> taken) {
        return taken.stream().noneMatch(box::near);
    }

    /** The connection's line as NiFi draws it: from the source's edge, through the bends, to the destination's edge. */
    private static List<double[]> line(final Node source, final Node destination, final ArrayNode bends) {
        final List<double[]> points = new ArrayList<>();
        bends.forEach(b -> points.add(new double[] {b.path("x").asDouble(), b.path("y").asDouble()}));
        final double[] end = edgePoint(destination, points.isEmpty()
                ? new double[] {source.x() + source.width / 2, source.y() + source.height / 2} : points.getLast());
        final double[] start = edgePoint(source, points.isEmpty() ? end : points.getFirst());
        points.addFirst(start);
        points.addLast(end);
        return points;
    }

    /** Where the ray from the node's centre towards {@code towards} leaves the node's box. */
    private static double[] edgePoint(final Node node, final double[] towards) {
        final double cx = node.x() + node.width / 2;
        final double cy = node.y() + node.height / 2;
        final double dx = towards[0] - cx;
        final double dy = towards[1] - cy;
        if (dx == 0 && dy == 0) {
            return new double[] {cx, cy};
        }
        final double scale = Math.min(dx == 0 ? Double.POSITIVE_INFINITY : node.width / 2 / Math.abs(dx),
                dy == 0 ? Double.POSITIVE_INFINITY : node.height / 2 / Math.abs(dy));
        return new double[] {cx + dx * scale, cy + dy * scale};
    }

    // ---------------------------------------------------------------- labels

    private static void writeLabels(final ObjectNode group, final String groupId, final List<Node> ordered, final int rows,
                                    final List<Node> sinks, final double parkedX) {
        final ArrayNode labels = group.has("labels") ? (ArrayNode) group.get("labels") : group.putArray("labels");
        for (int i = labels.size() - 1; i >= 0; i--) {
            // Labels of an earlier pass (also when the definition went through a NiFi and its identifiers changed).
            if (GENERATED_TEXTS.contains(labels.get(i).path("label").asText())) {
                labels.remove(i);
            }
        }
        // Bands of rows by section: a row takes the latest section any of its main components belongs to.
        final Section[] sections = new Section[rows];
        Section current = Section.SOURCE;
        for (int r = 0; r < rows; r++) {
            for (final Node node : ordered) {
                if (node.row == r && !node.side && !node.sink) {
                    final Section own = sectionOf(node);
                    if (own != null && own.ordinal() > current.ordinal()) {
                        current = own;
                    }
                }
            }
            sections[r] = current;
        }
        final boolean fedByPorts = ordered.stream().anyMatch(n -> "0".equals(n.kind) && n.row == 0);
        final boolean merges = ordered.stream().anyMatch(n -> "2".equals(n.kind) || n.typeName().endsWith(".ProfileMerge"));
        int start = 0;
        for (int r = 1; r <= rows; r++) {
            if (r == rows || sections[r] != sections[start]) {
                final Section section = sections[start];
                final String text;
                if (section == Section.STORE && !merges) {
                    text = STORE_ONLY_TEXT;
                } else if (section == Section.SOURCE && fedByPorts) {
                    text = INPUT_TEXT;
                } else {
                    text = section.text();
                }
                addLabel(labels, groupId, text, SECTION_LABEL_X, row(start) - 20, SECTION_LABEL_WIDTH,
                        (r - start) * ROW - 60);
                start = r;
            }
        }
        if (!sinks.isEmpty()) {
            final Node first = sinks.getFirst();
            final boolean funnel = "4".equals(first.kind);
            final String text = funnel ? PARKED_TEXT : FAILURES_OUT_TEXT;
            addLabel(labels, groupId, text, parkedX, first.y() - 190 + (FUNNEL_SIZE - first.height) / 2, PROCESSOR_WIDTH, 160);
        }
    }

    private static Section sectionOf(final Node node) {
        final String type = node.typeName();
        if ("2".equals(node.kind) || type.endsWith(".ProfileMerge") || type.endsWith(".PutDatabaseRecord")) {
            return Section.STORE;
        }
        if (type.endsWith(".CustomerDedup")) {
            return Section.IDENTITY;
        }
        if (type.endsWith(".ConsentFilter")) {
            return Section.CONSENT;
        }
        return null;
    }

    private static void addLabel(final ArrayNode labels, final String groupId, final String text, final double x, final double y,
                                 final double width, final double height) {
        final ObjectNode label = labels.addObject();
        label.put("identifier", labelId(groupId, text));
        label.put("label", text);
        final ObjectNode position = label.putObject("position");
        position.put("x", x);
        position.put("y", y);
        label.put("height", height);
        label.put("width", width);
        label.put("zIndex", 0);
        label.putObject("style").put("font-size", "14px");
        label.put("componentType", "LABEL");
        label.put("groupIdentifier", groupId);
    }

    static String labelId(final String groupId, final String text) {
        return UUID.nameUUIDFromBytes((LABEL_NAMESPACE + groupId + ":" + text).getBytes(StandardCharsets.UTF_8)).toString();
    }
}
