package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A NiFi 2.x cluster of {@code n} nodes on one machine: every node is a {@link NiFiInstance} on the same install with
 * its own run directory and its own web, cluster protocol, load balance and management ports, an unsecured cluster
 * protocol on 127.0.0.1, and one standalone {@link ZooKeeperPeer} for the election of coordinator and primary and for
 * cluster-scoped state.
 * <p>
 * The cluster protocol and load balance ports listen on every interface whatever address is configured: create a
 * cluster only inside a network namespace that holds nothing but loopback (see {@link NetworkNamespace}).
 */
public final class NiFiCluster implements AutoCloseable {

    /** A node as the cluster coordinator reports it. */
    public record NodeState(String address, int apiPort, String status, List<String> roles) {
        public boolean isPrimary() {
            return roles.contains("Primary Node");
        }

        public boolean isCoordinator() {
            return roles.contains("Cluster Coordinator");
        }
    }

    private final ZooKeeperPeer zooKeeper;
    private final List<NiFiInstance> nodes;

    private NiFiCluster(final ZooKeeperPeer zooKeeper, final List<NiFiInstance> nodes) {
        this.zooKeeper = zooKeeper;
        this.nodes = nodes;
    }

    /**
     * Creates the nodes (not started) and starts ZooKeeper. Node i runs in {@code runDir/node-i}; ZooKeeper in
     * {@code runDir/zookeeper}.
     */
    public static NiFiCluster create(final Path nifiHome, final Path runDir, final int nodeCount, final Duration startTimeout) {
        final ZooKeeperPeer zooKeeper = ZooKeeperPeer.start(nifiHome, runDir.resolve("zookeeper"));
        // Every node must decrypt the same flow: one sensitive properties key for the cluster.
        final byte[] key = new byte[16];
        new SecureRandom().nextBytes(key);
        final String sensitivePropsKey = HexFormat.of().formatHex(key);
        final List<NiFiInstance> nodes = new ArrayList<>();
        for (int i = 1; i <= nodeCount; i++) {
            final NiFiInstance node = NiFiInstance.create(nifiHome, runDir.resolve("node-" + i), startTimeout);
            node.reserveHttpPort();
            node.withZooKeeperConnectString(zooKeeper.connectString()).withProperties(nodeProperties(nodeCount, sensitivePropsKey,
                    zooKeeper.connectString()));
            nodes.add(node);
        }
        return new NiFiCluster(zooKeeper, nodes);
    }

    private static Map<String, String> nodeProperties(final int nodeCount, final String sensitivePropsKey, final String zooKeeperConnect) {
        final Map<String, String> properties = new LinkedHashMap<>();
        properties.put("nifi.sensitive.props.key", sensitivePropsKey);
        properties.put("nifi.cluster.is.node", "true");
        properties.put("nifi.cluster.protocol.is.secure", "false");
        properties.put("nifi.cluster.node.address", "127.0.0.1");
        properties.put("nifi.cluster.node.protocol.port", Integer.toString(NiFiInstance.freePort()));
        properties.put("nifi.cluster.node.protocol.max.threads", "20");
        properties.put("nifi.cluster.node.event.history.size", "25");
        properties.put("nifi.cluster.node.connection.timeout", "10 secs");
        properties.put("nifi.cluster.node.read.timeout", "10 secs");
        properties.put("nifi.cluster.node.max.concurrent.requests", "50");
        properties.put("nifi.cluster.firewall.file", "");
        properties.put("nifi.cluster.flow.election.max.wait.time", "10 secs");
        properties.put("nifi.cluster.flow.election.max.candidates", Integer.toString(nodeCount));
        properties.put("nifi.cluster.load.balance.host", "127.0.0.1");
        properties.put("nifi.cluster.load.balance.port", Integer.toString(NiFiInstance.freePort()));
        properties.put("nifi.cluster.load.balance.connections.per.node", "1");
        properties.put("nifi.cluster.load.balance.max.thread.count", "4");
        properties.put("nifi.cluster.load.balance.comms.timeout", "30 sec");
        properties.put("nifi.cluster.leader.election.implementation", "CuratorLeaderElectionManager");
        properties.put("nifi.zookeeper.connect.string", zooKeeperConnect);
        properties.put("nifi.zookeeper.connect.timeout", "10 secs");
        properties.put("nifi.zookeeper.session.timeout", "10 secs");
        properties.put("nifi.zookeeper.root.node", "/nifi");
        properties.put("nifi.zookeeper.client.secure", "false");
        properties.put("nifi.zookeeper.auth.type", "");
        // Heartbeats every 2 s: a stopped node is noticed, and a new primary elected, in seconds rather than a minute.
        properties.put("nifi.cluster.protocol.heartbeat.interval", "2 sec");
        properties.put("nifi.cluster.protocol.heartbeat.missable.max", "4");
        return properties;
    }

    /** Starts every node at once (each start waits until that node's REST API answers, i.e. it has joined). */
    public void start() {
        final List<CompletableFuture<Void>> starts = nodes.stream()
                .map(node -> CompletableFuture.runAsync(node::start)).toList();
        try {
            CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new)).join();
        } catch (final RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Waits (bounded) until every running node is CONNECTED, as seen from {@code via}, and one of them is primary. */
    public List<NodeState> waitUntilFormed(final NiFiInstance via, final int expectedConnected, final Duration timeout) {
        final NiFiRestClient client = new NiFiRestClient(via.apiUrl());
        final List<NodeState>[] last = new List[] {List.of()};
        NiFiRestClient.waitUntil(timeout, () -> {
            try {
                last[0] = nodeStates(client);
            } catch (final RuntimeException notYet) {
                return false;
            }
            final long connected = last[0].stream().filter(node -> "CONNECTED".equals(node.status())).count();
            return connected == expectedConnected && last[0].stream().anyMatch(node -> "CONNECTED".equals(node.status()) && node.isPrimary());
        }, expectedConnected + " connected nodes and a primary (last seen: " + last[0] + ")");
        return last[0];
    }

    /** The nodes as the coordinator reports them ({@code GET /controller/cluster}). */
    public static List<NodeState> nodeStates(final NiFiRestClient client) {
        final List<NodeState> states = new ArrayList<>();
        for (final JsonNode node : client.get("/controller/cluster").path("cluster").path("nodes")) {
            final List<String> roles = new ArrayList<>();
            node.path("roles").forEach(role -> roles.add(role.asText()));
            states.add(new NodeState(node.path("address").asText(), node.path("apiPort").asInt(), node.path("status").asText(), roles));
        }
        return states;
    }

    /** The running node that is primary, as seen from {@code via}. */
    public Optional<NiFiInstance> primary(final NiFiInstance via) {
        final List<NodeState> states = nodeStates(new NiFiRestClient(via.apiUrl()));
        return states.stream().filter(state -> state.isPrimary() && "CONNECTED".equals(state.status()))
                .flatMap(state -> nodes.stream().filter(node -> node.httpPort() == state.apiPort() && node.isRunning()))
                .findFirst();
    }

    public List<NiFiInstance> nodes() {
        return nodes;
    }

    public NiFiInstance node(final int index) {
        return nodes.get(index);
    }

    public ZooKeeperPeer zooKeeper() {
        return zooKeeper;
    }

    @Override
    public void close() {
        for (final NiFiInstance node : nodes) {
            try {
                node.close();
            } catch (final RuntimeException ignored) {
                // stop the others regardless
            }
        }
        zooKeeper.close();
    }
}
