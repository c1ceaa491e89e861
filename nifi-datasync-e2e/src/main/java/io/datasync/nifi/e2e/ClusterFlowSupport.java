package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The REST calls a clustered flow needs beyond {@link NiFiRestClient}: execution node (primary only), load-balanced
 * connections, dynamic properties, run-once, and per-node processor status. Each update reads the component's
 * current revision first.
 */
public final class ClusterFlowSupport {

    private final NiFiRestClient client;

    public ClusterFlowSupport(final NiFiRestClient client) {
        this.client = client;
    }

    /** Sets a processor's execution node: {@code PRIMARY} (primary node only) or {@code ALL}. */
    public void setExecutionNode(final String processorId, final String executionNode) {
        final ObjectNode body = processorUpdate(processorId);
        ((ObjectNode) body.path("component")).putObject("config").put("executionNode", executionNode);
        client.put("/processors/" + processorId, body);
    }

    /** Sets (dynamic or not) properties of a processor without the known-name check, e.g. match rules. */
    public void setProcessorProperties(final String processorId, final Map<String, String> properties) {
        final ObjectNode body = processorUpdate(processorId);
        ((ObjectNode) body.path("component")).putObject("config").set("properties", client.mapper().valueToTree(properties));
        client.put("/processors/" + processorId, body);
    }

    /** Sets concurrent tasks and the timer-driven run schedule of a processor. */
    public void setScheduling(final String processorId, final int concurrentTasks, final String schedulingPeriod) {
        final ObjectNode body = processorUpdate(processorId);
        ((ObjectNode) body.path("component")).putObject("config").put("concurrentlySchedulableTaskCount", concurrentTasks)
                .put("schedulingPeriod", schedulingPeriod);
        client.put("/processors/" + processorId, body);
    }

    /**
     * Load-balances a connection across the cluster: {@code ROUND_ROBIN}, {@code PARTITION_BY_ATTRIBUTE} (with
     * {@code partitionAttribute}), {@code SINGLE_NODE} or {@code DO_NOT_LOAD_BALANCE}.
     */
    public void setLoadBalance(final String connectionId, final String strategy, final String partitionAttribute) {
        final JsonNode current = client.get("/connections/" + connectionId);
        final ObjectNode body = client.mapper().createObjectNode();
        body.set("revision", current.path("revision"));
        final ObjectNode component = body.putObject("component");
        component.put("id", connectionId).put("loadBalanceStrategy", strategy).put("loadBalanceCompression", "DO_NOT_COMPRESS");
        if (partitionAttribute != null) {
            component.put("loadBalancePartitionAttribute", partitionAttribute);
        }
        client.put("/connections/" + connectionId, body);
    }

    /**
     * Creates a connection in {@code groupId} between components that may sit in different groups (a processor and
     * a child group's input port, a child group's output port and a funnel). Returns the connection id.
     */
    public String connect(final String groupId, final String sourceId, final String sourceGroupId, final String sourceType,
                          final String destinationId, final String destinationGroupId, final String destinationType,
                          final java.util.Set<String> relationships) {
        final ObjectNode body = client.mapper().createObjectNode();
        body.putObject("revision").put("version", 0);
        final ObjectNode component = body.putObject("component");
        component.putObject("source").put("id", sourceId).put("groupId", sourceGroupId).put("type", sourceType);
        component.putObject("destination").put("id", destinationId).put("groupId", destinationGroupId).put("type", destinationType);
        final com.fasterxml.jackson.databind.node.ArrayNode selected = component.putArray("selectedRelationships");
        relationships.forEach(selected::add);
        return client.post("/process-groups/" + groupId + "/connections", body).path("id").asText();
    }

    /** Creates an input or output port ({@code "input-ports"} / {@code "output-ports"}) in a group; returns its id. */
    public String createPort(final String groupId, final String kind, final String name) {
        final ObjectNode body = client.mapper().createObjectNode();
        body.putObject("revision").put("version", 0);
        body.putObject("component").put("name", name).putObject("position").put("x", 0).put("y", 0);
        return client.post("/process-groups/" + groupId + "/" + kind, body).path("id").asText();
    }

    /**
     * Sets a group's FlowFile concurrency: {@code SINGLE_FLOWFILE_PER_NODE} admits one FlowFile through the group's
     * input ports at a time, on each node, until it has left the group; {@code UNBOUNDED} is NiFi's default.
     */
    public void setFlowFileConcurrency(final String groupId, final String concurrency) {
        final JsonNode current = client.get("/process-groups/" + groupId);
        final ObjectNode body = client.mapper().createObjectNode();
        body.set("revision", current.path("revision"));
        body.putObject("component").put("id", groupId).put("flowfileConcurrency", concurrency)
                .put("flowfileOutboundPolicy", "STREAM_WHEN_AVAILABLE");
        client.put("/process-groups/" + groupId, body);
    }

    /** Sets a processor's run status: {@code RUNNING}, {@code STOPPED} or {@code RUN_ONCE} (replicated to every node). */
    public void setRunStatus(final String processorId, final String state) {
        final JsonNode current = client.get("/processors/" + processorId);
        final ObjectNode body = client.mapper().createObjectNode();
        body.set("revision", current.path("revision"));
        body.put("state", state);
        client.put("/processors/" + processorId + "/run-status", body);
    }

    /** FlowFiles out (last 5 minutes) of a processor per node, keyed by the node's API port. */
    public Map<Integer, Integer> flowFilesOutByNode(final String processorId) {
        return statusByNode(processorId, "flowFilesOut");
    }

    /** FlowFiles in (last 5 minutes) of a processor per node, keyed by the node's API port. */
    public Map<Integer, Integer> flowFilesInByNode(final String processorId) {
        return statusByNode(processorId, "flowFilesIn");
    }

    private Map<Integer, Integer> statusByNode(final String processorId, final String field) {
        final Map<Integer, Integer> byNode = new LinkedHashMap<>();
        final JsonNode snapshots = client.get("/flow/processors/" + processorId + "/status?nodewise=true")
                .path("processorStatus").path("nodeSnapshots");
        for (final JsonNode snapshot : snapshots) {
            byNode.put(snapshot.path("apiPort").asInt(), snapshot.path("statusSnapshot").path(field).asInt());
        }
        return byNode;
    }

    private ObjectNode processorUpdate(final String processorId) {
        final JsonNode current = client.get("/processors/" + processorId);
        final ObjectNode body = client.mapper().createObjectNode();
        body.set("revision", current.path("revision"));
        body.putObject("component").put("id", processorId);
        return body;
    }
}
