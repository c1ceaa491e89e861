package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The REST calls a clustered flow needs beyond {@link NiFiRestClient}: execution node (primary only), load-balanced
 * connections, run status (run-once, disabled), and per-node processor status. Each update reads the component's
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
     * Sets a processor's run status: {@code RUNNING}, {@code STOPPED}, {@code DISABLED} or {@code RUN_ONCE} (replicated
     * to every node).
     */
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
