package io.datasync.nifi.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One real NiFi 2.x process, launched from an install assembled by the build (lib/ with the framework jars and
 * NARs, see the module's pom) without NiFi's bootstrap, which the registry does not serve.
 * <p>
 * The instance owns a run directory with conf/, logs/, work/ and the repositories. It writes every conf file
 * itself (plain HTTP on 127.0.0.1, no login; once {@link #secured secured}, HTTPS with the keystores of its test CA and
 * client-certificate logins), so {@link #restart()} after {@link #crash()} or {@link #stop()} comes back on the same
 * repositories, state, keystores, users and policies. A JVM shutdown hook stops the process if the caller does not.
 */
public final class NiFiInstance implements AutoCloseable {

    /** System property naming the assembled install (set by the e2e module's surefire configuration). */
    public static final String HOME_PROPERTY = "nifi.e2e.home";
    /** System property naming the directory under which run directories are created. */
    public static final String RUNS_PROPERTY = "nifi.e2e.runs";

    /** System property: seconds to wait for the REST API (default 300: on 2 busy cores a first start took 134 s). */
    public static final String START_TIMEOUT_PROPERTY = "nifi.e2e.startTimeoutSeconds";

    private static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(Long.getLong(START_TIMEOUT_PROPERTY, 300));
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(45);

    private final Path home;
    private final Path runDir;
    private final Path confDir;
    private final Path logDir;
    private final String sensitivePropsKey;
    private final Duration startTimeout;
    private final Thread shutdownHook;

    /** nifi.properties entries that replace (or add to) the harness defaults, e.g. the cluster settings of a node. */
    private final Map<String, String> propertyOverrides = new LinkedHashMap<>();
    /** JVM options appended after the harness defaults (a later -Xmx or -XX option wins), e.g. for a benchmark. */
    private final List<String> extraJavaOptions = new ArrayList<>();
    /** ZooKeeper connect string of the cluster state provider; empty for a standalone instance. */
    private String zooKeeperConnectString = "";

    /** The run's test CA when this instance is secured (HTTPS, client certificates, managed authorizer), else null. */
    private TestPki pki;
    private TestPki.Identity admin;

    private int httpPort;
    private int managementPort;
    private Process process;
    private Duration lastStartDuration;

    private NiFiInstance(final Path home, final Path runDir, final Duration startTimeout) {
        this.home = home.toAbsolutePath().normalize();
        this.runDir = runDir.toAbsolutePath().normalize();
        this.confDir = this.runDir.resolve("conf");
        this.logDir = this.runDir.resolve("logs");
        this.startTimeout = startTimeout;
        final byte[] key = new byte[16];
        new SecureRandom().nextBytes(key);
        this.sensitivePropsKey = HexFormat.of().formatHex(key);
        this.shutdownHook = new Thread(this::stopQuietly, "nifi-e2e-shutdown-" + this.runDir.getFileName());
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** An instance of the install named by {@value #HOME_PROPERTY}, in a fresh run directory named after {@code name}. */
    public static NiFiInstance create(final String name) {
        final String homeValue = System.getProperty(HOME_PROPERTY);
        if (homeValue == null) {
            throw new IllegalStateException("System property " + HOME_PROPERTY + " must name the assembled NiFi install");
        }
        final Path runs = Path.of(System.getProperty(RUNS_PROPERTY, Path.of(homeValue).resolveSibling("e2e-runs").toString()));
        return create(Path.of(homeValue), runs.resolve(name + "-" + System.currentTimeMillis()), DEFAULT_START_TIMEOUT);
    }

    public static NiFiInstance create(final Path home, final Path runDir, final Duration startTimeout) {
        if (!Files.isDirectory(home.resolve("lib"))) {
            throw new IllegalStateException("No NiFi install at " + home + " (expected lib/); build the nifi-datasync-e2e module first");
        }
        return new NiFiInstance(home, runDir, startTimeout);
    }

    /**
     * Entries of nifi.properties that replace the harness defaults (same key) or are appended; applied at every
     * {@link #start()}. Used by {@link NiFiCluster} for the per-node cluster settings.
     */
    public synchronized NiFiInstance withProperties(final Map<String, String> properties) {
        propertyOverrides.putAll(properties);
        return this;
    }

    /**
     * JVM options appended after the defaults at every {@link #start()}: the defaults suit short tests (1 GB heap, C1
     * only for a fast start); a benchmark wants NiFi's normal JIT and a larger heap.
     */
    public synchronized NiFiInstance withJavaOptions(final List<String> options) {
        extraJavaOptions.addAll(options);
        return this;
    }

    /** The ZooKeeper connect string of the cluster state provider (state-management.xml); applied at every {@link #start()}. */
    public synchronized NiFiInstance withZooKeeperConnectString(final String connectString) {
        this.zooKeeperConnectString = connectString;
        return this;
    }

    /**
     * Secures this instance: HTTPS only, with the server certificate of {@code pki}; users authenticate with client
     * certificates issued by it; file-based users, groups and policies, {@code CN=<adminName>} the initial
     * administrator. Applied at every {@link #start()}.
     */
    public synchronized NiFiInstance secured(final TestPki testPki, final String adminName) {
        this.pki = testPki;
        this.admin = testPki.client(adminName);
        return this;
    }

    public synchronized boolean isSecured() {
        return pki != null;
    }

    /** The test CA of a secured instance (its server keystore and truststore), or null for a plain one. */
    public synchronized TestPki pki() {
        return pki;
    }

    /** The client certificate of the initial administrator of a secured instance. */
    public synchronized TestPki.Identity admin() {
        return admin;
    }

    /** A REST client: plain for an unsecured instance, as the administrator for a secured one. */
    public NiFiRestClient restClient() {
        return pki == null ? new NiFiRestClient(apiUrl()) : restClient(admin);
    }

    /** A REST client of a secured instance that authenticates as {@code user}. */
    public NiFiRestClient restClient(final TestPki.Identity user) {
        if (pki == null) {
            throw new IllegalStateException("Not a secured instance");
        }
        return new NiFiRestClient(apiUrl(), pki.sslContext(user));
    }

    /** The HTTP port, chosen now if not yet chosen, so cluster settings can name it before the first start. */
    public synchronized int reserveHttpPort() {
        if (httpPort == 0) {
            httpPort = freePort();
            managementPort = freePort();
        }
        return httpPort;
    }

    /** Writes the conf files, launches NiFi and waits until its REST API answers. */
    public synchronized void start() {
        if (isRunning()) {
            throw new IllegalStateException("NiFi is already running");
        }
        try {
            Files.createDirectories(confDir);
            Files.createDirectories(logDir);
            if (httpPort == 0) {
                httpPort = freePort();
                managementPort = freePort();
            }
            writeConf();
            final List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.add("-Xms512m");
            command.add("-Xmx1g");
            command.add("-Djava.awt.headless=true");
            // C1 only: NiFi's start is mostly one-off class loading and initialisation, where C2 compilation costs
            // CPU that a shared 2-core machine does not have; the small flows here never need C2's peak speed.
            command.add("-XX:TieredStopAtLevel=1");
            command.add("-Djava.net.preferIPv4Stack=true");
            command.addAll(extraJavaOptions);
            command.add("-Dnifi.properties.file.path=" + confDir.resolve("nifi.properties"));
            command.add("-Dorg.apache.nifi.bootstrap.config.file=" + confDir.resolve("bootstrap.conf"));
            command.add("-Dorg.apache.nifi.bootstrap.config.log.dir=" + logDir);
            command.add("-Dorg.apache.nifi.management.server.address=127.0.0.1:" + managementPort);
            command.add("-Dlogback.configurationFile=" + confDir.resolve("logback.xml"));
            command.add("--class-path");
            command.add(home.resolve("lib") + "/*:" + confDir);
            command.add("org.apache.nifi.NiFi");
            final long startNanos = System.nanoTime();
            process = new ProcessBuilder(command)
                    .directory(runDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logDir.resolve("nifi-stdout.log").toFile()))
                    .start();
            waitForApi();
            lastStartDuration = Duration.ofNanos(System.nanoTime() - startNanos);
        } catch (final IOException e) {
            stopQuietly();
            throw new UncheckedIOException("Could not start NiFi in " + runDir, e);
        } catch (final RuntimeException e) {
            stopQuietly();
            throw e;
        }
    }

    /** SIGTERM, then SIGKILL if NiFi has not exited within a bounded time. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        final List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (final InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        children.forEach(ProcessHandle::destroyForcibly);
        process = null;
    }

    /** kill -9: NiFi gets no chance to checkpoint; repositories are recovered on {@link #restart()}. */
    public synchronized void crash() {
        if (process == null) {
            return;
        }
        final List<ProcessHandle> children = process.descendants().toList();
        process.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /** Starts again on the same run directory, ports, repositories and state. */
    public synchronized void restart() {
        stop();
        start();
    }

    @Override
    public synchronized void close() {
        stop();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (final IllegalStateException ignored) {
            // the JVM is already shutting down and runs the hook itself
        }
    }

    private void stopQuietly() {
        try {
            stop();
        } catch (final RuntimeException ignored) {
            // best effort on the way out
        }
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    public String baseUrl() {
        return (pki == null ? "http://" : "https://") + "127.0.0.1:" + httpPort;
    }

    public String apiUrl() {
        return baseUrl() + "/nifi-api";
    }

    public String uiUrl() {
        return baseUrl() + "/nifi/";
    }

    public int httpPort() {
        return httpPort;
    }

    public Path runDir() {
        return runDir;
    }

    public Path home() {
        return home;
    }

    public Path appLog() {
        return logDir.resolve("nifi-app.log");
    }

    public Path logDir() {
        return logDir;
    }

    /** The directory holding the JDBC driver jar(s) a DBCPConnectionPool can load. */
    public Path driversDir() {
        return home.resolve("drivers");
    }

    public Duration lastStartDuration() {
        return lastStartDuration;
    }

    public synchronized long pid() {
        return process == null ? -1 : process.pid();
    }

    /** Resident set size of the NiFi process in bytes, from /proc (Linux), or -1 when unknown. */
    public synchronized long residentSetSizeBytes() {
        if (process == null) {
            return -1;
        }
        try (Stream<String> lines = Files.lines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
            return lines.filter(line -> line.startsWith("VmRSS:"))
                    .map(line -> line.replaceAll("[^0-9]", ""))
                    .mapToLong(kb -> Long.parseLong(kb) * 1024)
                    .findFirst().orElse(-1);
        } catch (final IOException | RuntimeException e) {
            return -1;
        }
    }

    /** All lines of every log file under logs/ (app, user, stdout) that contain {@code text}, case-insensitive. */
    public List<String> grepLogs(final String text) {
        final String needle = text.toLowerCase(java.util.Locale.ROOT);
        final List<String> hits = new ArrayList<>();
        try (Stream<Path> files = Files.list(logDir)) {
            for (final Path file : files.filter(Files::isRegularFile).toList()) {
                try (Stream<String> lines = Files.lines(file, StandardCharsets.UTF_8)) {
                    lines.filter(line -> line.toLowerCase(java.util.Locale.ROOT).contains(needle))
                            .forEach(line -> hits.add(file.getFileName() + ": " + line));
                } catch (final UncheckedIOException malformed) {
                    hits.addAll(grepBytes(file, needle));
                }
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return hits;
    }

    private static List<String> grepBytes(final Path file, final String needle) throws IOException {
        final String content = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1).toLowerCase(java.util.Locale.ROOT);
        return content.contains(needle) ? List.of(file.getFileName() + ": (binary match)") : List.of();
    }

    private void waitForApi() {
        final HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2));
        if (pki != null) {
            builder.sslContext(pki.sslContext(admin));
        }
        final HttpClient client = builder.build();
        final long deadline = System.nanoTime() + startTimeout.toNanos();
        final HttpRequest request = HttpRequest.newBuilder(URI.create(apiUrl() + "/flow/process-groups/root"))
                .timeout(Duration.ofSeconds(5)).GET().build();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("NiFi exited with code " + process.exitValue() + " during start; see " + logDir);
            }
            try {
                final HttpResponse<Void> response = client.send(request, HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (final IOException e) {
                // not listening yet
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for NiFi", e);
            }
            sleep(500);
        }
        throw new IllegalStateException("NiFi's REST API did not answer within " + startTimeout + "; see " + logDir);
    }

    private void writeConf() throws IOException {
        String properties = NiFiConf.nifiProperties(runDir, home, httpPort, sensitivePropsKey);
        if (pki != null) {
            properties = applyOverrides(properties, NiFiConf.securedProperties(httpPort, pki));
        }
        write("nifi.properties", applyOverrides(properties, propertyOverrides));
        write("bootstrap.conf", NiFiConf.bootstrapConf(home, confDir, logDir));
        write("authorizers.xml", pki == null ? NiFiConf.AUTHORIZERS_XML : NiFiConf.securedAuthorizersXml(confDir, admin.distinguishedName()));
        write("login-identity-providers.xml", NiFiConf.LOGIN_IDENTITY_PROVIDERS_XML);
        write("state-management.xml", NiFiConf.stateManagementXml(runDir)
                .replace("<property name=\"Connect String\"></property>", "<property name=\"Connect String\">" + zooKeeperConnectString + "</property>"));
        write("logback.xml", NiFiConf.logbackXml(logDir));
    }

    private static String applyOverrides(final String properties, final Map<String, String> overrides) {
        if (overrides.isEmpty()) {
            return properties;
        }
        final Map<String, String> remaining = new LinkedHashMap<>(overrides);
        final StringBuilder out = new StringBuilder();
        for (final String line : properties.split("\n", -1)) {
            final int equals = line.indexOf('=');
            final String key = line.startsWith("#") || equals < 0 ? null : line.substring(0, equals);
            if (key != null && remaining.containsKey(key)) {
                out.append(key).append('=').append(remaining.remove(key)).append('\n');
            } else {
                out.append(line).append('\n');
            }
        }
        remaining.forEach((key, value) -> out.append(key).append('=').append(value).append('\n'));
        return out.toString();
    }

    private void write(final String fileName, final String content) throws IOException {
        Files.writeString(confDir.resolve(fileName), content, StandardCharsets.UTF_8);
    }

    /** Ports already handed out by this JVM: a port is free again once probed, so two callers could get the same one. */
    private static final java.util.Set<Integer> HANDED_OUT_PORTS = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static int freePort() {
        for (int attempt = 0; attempt < 50; attempt++) {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                socket.setReuseAddress(true);
                if (HANDED_OUT_PORTS.add(socket.getLocalPort())) {
                    return socket.getLocalPort();
                }
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw new IllegalStateException("No unused free port found");
    }

    static void sleep(final long millis) {
        try {
            Thread.sleep(millis);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
        }
    }
}
