package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A real NiFi starts with our freshly built NAR, loads it, offers its processors and the stock types the templates use. */
class NiFiInstallE2ETest {

    private static final String OUR_BUNDLE_ARTIFACT = "nifi-datasync-nar";
    private static final String PROCESSOR_SERVICES = "META-INF/services/org.apache.nifi.processor.Processor";

    /** Stock types the phase-2 templates build on; a missing one means the assembled NiFi lacks a NAR. */
    private static final Set<String> REQUIRED_PROCESSORS = Set.of(
            "org.apache.nifi.processors.standard.ListFTP",
            "org.apache.nifi.processors.standard.FetchFTP",
            "org.apache.nifi.processors.standard.PutDatabaseRecord",
            "org.apache.nifi.processors.standard.MonitorActivity",
            "org.apache.nifi.processors.standard.HandleHttpRequest",
            "org.apache.nifi.processors.standard.HandleHttpResponse",
            "org.apache.nifi.processors.standard.InvokeHTTP",
            "org.apache.nifi.processors.standard.UpdateRecord",
            "org.apache.nifi.processors.standard.RetryFlowFile");
    private static final Set<String> REQUIRED_SERVICES = Set.of(
            "org.apache.nifi.csv.CSVReader",
            "org.apache.nifi.json.JsonTreeReader",
            "org.apache.nifi.json.JsonRecordSetWriter",
            "org.apache.nifi.dbcp.DBCPConnectionPool",
            "org.apache.nifi.lookup.db.DatabaseRecordLookupService",
            "org.apache.nifi.distributed.cache.server.map.MapCacheServer",
            "org.apache.nifi.distributed.cache.client.MapCacheClientService",
            "org.apache.nifi.http.StandardHttpContextMap");

    private static NiFiInstance nifi;
    private static NiFiRestClient client;

    @BeforeAll
    static void startNiFi() {
        nifi = NiFiInstance.create("install");
        nifi.start();
        client = new NiFiRestClient(nifi.apiUrl());
        E2eMetrics.recordNiFi(NiFiInstallE2ETest.class.getSimpleName(), nifi, "firstStart");
    }

    @AfterAll
    static void stopNiFi() {
        if (nifi != null) {
            nifi.close();
        }
    }

    @Test
    void ourNarIsLoadedAndEveryRegisteredProcessorIsOffered() throws IOException {
        final Path ourNar = findOurNar();
        final String version = ourNar.getFileName().toString().replace(OUR_BUNDLE_ARTIFACT + "-", "").replace(".nar", "");
        final List<String> loaded = nifi.grepLogs("Loaded extensions for io.datasync.nifi:" + OUR_BUNDLE_ARTIFACT + ":" + version);
        assertFalse(loaded.isEmpty(), "NiFi's app log does not show our NAR's extensions loaded");

        final Set<String> registered = registeredProcessors(ourNar);
        final Set<String> offeredByUs = new TreeSet<>();
        for (final JsonNode type : client.processorTypes()) {
            if (OUR_BUNDLE_ARTIFACT.equals(type.path("bundle").path("artifact").asText())) {
                assertEquals("io.datasync.nifi", type.path("bundle").path("group").asText());
                assertEquals(version, type.path("bundle").path("version").asText());
                offeredByUs.add(type.path("type").asText());
            }
        }
        // Until our processors are merged the services file is empty and NiFi offers none of ours; from then on
        // each registered class must show up under our bundle.
        assertEquals(registered, offeredByUs, "processor types of bundle " + OUR_BUNDLE_ARTIFACT);
    }

    @Test
    void stockTypesTheTemplatesNeedAreAvailable() throws IOException {
        final Set<String> processors = new TreeSet<>();
        client.processorTypes().forEach(type -> processors.add(type.path("type").asText() + "  [" + type.path("bundle").path("artifact").asText() + "]"));
        final Set<String> services = new TreeSet<>();
        client.controllerServiceTypes().forEach(type -> services.add(type.path("type").asText() + "  [" + type.path("bundle").path("artifact").asText() + "]"));
        final Path listing = nifi.home().resolveSibling("e2e-available-types.txt");
        final List<String> lines = new ArrayList<>();
        lines.add("# Processor types (" + processors.size() + ")");
        lines.addAll(processors);
        lines.add("# Controller service types (" + services.size() + ")");
        lines.addAll(services);
        Files.write(listing, lines, StandardCharsets.UTF_8);

        final Set<String> processorTypes = new HashSet<>();
        client.processorTypes().forEach(type -> processorTypes.add(type.path("type").asText()));
        final Set<String> serviceTypes = new HashSet<>();
        client.controllerServiceTypes().forEach(type -> serviceTypes.add(type.path("type").asText()));
        assertTrue(processorTypes.containsAll(REQUIRED_PROCESSORS), "missing processors: " + missing(REQUIRED_PROCESSORS, processorTypes));
        assertTrue(serviceTypes.containsAll(REQUIRED_SERVICES), "missing services: " + missing(REQUIRED_SERVICES, serviceTypes));
        assertFalse(processorTypes.contains("org.apache.nifi.processors.attributes.UpdateAttribute"),
                "UpdateAttribute's NAR is not served; if it appears, update docs/e2e-harness.md");
    }

    @Test
    void nifiListensOnLoopbackOnly() throws IOException {
        final List<String> listening = listeningAddresses(nifi.pid());
        assertFalse(listening.isEmpty(), "found no listening socket of NiFi");
        for (final String address : listening) {
            assertTrue(address.startsWith("127.0.0.1:"), "NiFi listens beyond loopback: " + listening);
        }
    }

    private static Set<String> missing(final Set<String> required, final Set<String> available) {
        final Set<String> missing = new TreeSet<>(required);
        missing.removeAll(available);
        return missing;
    }

    private static Path findOurNar() throws IOException {
        try (Stream<Path> files = Files.list(nifi.home().resolve("lib"))) {
            return files.filter(file -> file.getFileName().toString().startsWith(OUR_BUNDLE_ARTIFACT + "-")
                    && file.getFileName().toString().endsWith(".nar")).findFirst().orElseThrow();
        }
    }

    /** The processor classes listed in the services file of the nifi-datasync-processors jar inside our NAR. */
    static Set<String> registeredProcessors(final Path nar) throws IOException {
        try (ZipFile zip = new ZipFile(nar.toFile())) {
            final ZipEntry jar = zip.stream()
                    .filter(entry -> entry.getName().matches("META-INF/bundled-dependencies/nifi-datasync-processors-.*\\.jar"))
                    .findFirst().orElseThrow(() -> new AssertionError("our NAR does not bundle nifi-datasync-processors"));
            try (InputStream in = zip.getInputStream(jar); ZipInputStream inner = new ZipInputStream(new ByteArrayInputStream(in.readAllBytes()))) {
                for (ZipEntry entry = inner.getNextEntry(); entry != null; entry = inner.getNextEntry()) {
                    if (entry.getName().equals(PROCESSOR_SERVICES)) {
                        final Set<String> classes = new TreeSet<>();
                        for (final String line : new String(inner.readAllBytes(), StandardCharsets.UTF_8).split("\\R")) {
                            final String trimmed = line.replaceAll("#.*", "").trim();
                            if (!trimmed.isEmpty()) {
                                classes.add(trimmed);
                            }
                        }
                        return classes;
                    }
                }
            }
        }
        return Set.of();
    }

    /** Local addresses of the TCP sockets the process listens on, from /proc (Linux). */
    static List<String> listeningAddresses(final long pid) throws IOException {
        final Set<String> inodes = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            fds.forEach(fd -> {
                try {
                    final String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (final IOException ignored) {
                    // the descriptor closed meanwhile
                }
            });
        }
        final List<String> addresses = new ArrayList<>();
        for (final String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            final Path path = Path.of(table);
            if (!Files.exists(path)) {
                continue;
            }
            for (final String line : Files.readAllLines(path).subList(1, Files.readAllLines(path).size())) {
                final String[] fields = line.trim().split("\\s+");
                if ("0A".equals(fields[3]) && inodes.contains(fields[9])) {
                    addresses.add(decodeAddress(fields[1]));
                }
            }
        }
        return addresses;
    }

    private static String decodeAddress(final String hexAddress) {
        final String[] parts = hexAddress.split(":");
        final int port = Integer.parseInt(parts[1], 16);
        if (parts[0].length() == 8) {
            final long ip = Long.parseLong(parts[0], 16);
            return (ip & 0xff) + "." + ((ip >> 8) & 0xff) + "." + ((ip >> 16) & 0xff) + "." + ((ip >> 24) & 0xff) + ":" + port;
        }
        return "[" + parts[0] + "]:" + port;
    }
}
