package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The two-node cluster scenario ({@link ClusterScenario}: the committed crm-api-sync template on a cluster), run in a private network namespace that holds only
 * loopback and its own PID namespace ({@link NetworkNamespace}): cluster ports never reach the machine's network, and
 * every process of the scenario dies with it. This test asserts on the scenario's exit code and result JSON.
 * <p>
 * Runs only with the Maven profile {@code cluster-e2e} (about 4-6 minutes on 2 cores; needs root for unshare).
 */
class ClusterE2ETest {

    /** Every check the scenario must report; a scenario that silently skipped one fails here. */
    private static final List<String> REQUIRED_CHECKS = List.of(
            "cluster formed",
            "template: imported and configured by parameters only",
            "template: its own cluster settings",
            "identity cache: the in-flow server left disabled",
            "identity: the probe ran on both nodes at once",
            "identity: 4 records of one new customer from 2 nodes got one customer id",
            "identity: one profile row",
            "profiles: two one-field updates of one customer at the same moment both survive",
            "primary only: before the stop",
            "failover: the new primary continued from cluster state",
            "primary only: the API served each page of the sync exactly once",
            "failover: profiles identical to the seeded truth",
            "failover: suppression rows identical to the seeded truth",
            "failover: every profile lists exactly its customer's CRM record ids",
            "failover: one profile row per customer",
            "nothing parked in the failure funnel",
            "no e-mail address in any node's logs");

    @Test
    void clusterScenarioPassesInPrivateNetworkNamespace() throws IOException {
        final Path home = Path.of(System.getProperty(NiFiInstance.HOME_PROPERTY));
        final Path out = home.resolveSibling("cluster-e2e");
        Files.createDirectories(out);
        final Path resultFile = out.resolve("result.json");
        Files.deleteIfExists(resultFile);
        Files.deleteIfExists(out.resolve("scenario.log"));
        final Map<String, String> properties = Map.of(
                NiFiInstance.HOME_PROPERTY, home.toString(),
                NiFiInstance.RUNS_PROPERTY, System.getProperty(NiFiInstance.RUNS_PROPERTY, home.resolveSibling("e2e-runs").toString()));

        final NetworkNamespace.Result run = NetworkNamespace.run(ClusterScenario.class.getName(), List.of(resultFile.toString()),
                properties, "256m", out.resolve("scenario.log"), Duration.ofMinutes(15));

        assertFalse(run.timedOut(), "the scenario timed out; see " + out.resolve("scenario.log"));
        assertTrue(Files.exists(resultFile), "no result file; see " + out.resolve("scenario.log"));
        final JsonNode result = new ObjectMapper().readTree(resultFile.toFile());
        final List<String> failed = new ArrayList<>();
        final List<String> names = new ArrayList<>();
        for (final JsonNode check : result.path("checks")) {
            names.add(check.path("name").asText());
            if (!check.path("passed").asBoolean()) {
                failed.add(check.path("name").asText() + " :: " + check.path("detail").asText());
            }
        }
        result.path("metrics").fields().forEachRemaining(entry ->
                E2eMetrics.record(ClusterE2ETest.class.getSimpleName(), entry.getKey(), entry.getValue().asText()));
        E2eMetrics.record(ClusterE2ETest.class.getSimpleName(), "scenarioSeconds", Long.toString(run.elapsed().toSeconds()));
        assertEquals(List.of(), failed, "failed checks; see " + out.resolve("scenario.log"));
        for (final String required : REQUIRED_CHECKS) {
            assertTrue(names.stream().anyMatch(name -> name.startsWith(required)), "check missing from the result: " + required);
        }
        assertEquals(0, run.exitCode(), "scenario exit code");
    }
}
