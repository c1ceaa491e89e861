package io.datasync.nifi.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * A standalone ZooKeeper server process for a test cluster, run from the ZooKeeper jars bundled inside NiFi's
 * framework NAR (no extra dependency). Standalone rather than embedded in a node so that stopping any node,
 * including the one that is primary and coordinator, leaves ZooKeeper (election and cluster state) running.
 * Client port on 127.0.0.1; the admin server is off.
 */
public final class ZooKeeperPeer implements AutoCloseable {

    private static final String[] JAR_PREFIXES = {"zookeeper-", "netty-", "metrics-core-", "commons-io-", "snappy-java-"};

    private final Process process;
    private final int port;

    private ZooKeeperPeer(final Process process, final int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts ZooKeeper with its data and jars under {@code dir}, from the install at {@code nifiHome}; waits until it accepts connections. */
    public static ZooKeeperPeer start(final Path nifiHome, final Path dir) {
        try {
            final Path jars = dir.resolve("jars");
            final Path data = dir.resolve("data");
            Files.createDirectories(jars);
            Files.createDirectories(data);
            extractJars(frameworkNar(nifiHome), jars);
            final int port = NiFiInstance.freePort();
            final Path config = dir.resolve("zoo.cfg");
            Files.writeString(config, """
                    tickTime=2000
                    initLimit=10
                    syncLimit=5
                    dataDir=%s
                    clientPort=%d
                    clientPortAddress=127.0.0.1
                    admin.enableServer=false
                    maxClientCnxns=0
                    autopurge.purgeInterval=0
                    4lw.commands.whitelist=ruok
                    """.formatted(data, port), StandardCharsets.UTF_8);
            final Path logback = dir.resolve("logback.xml");
            Files.writeString(logback, """
                    <configuration>
                        <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                            <encoder><pattern>%date %level %logger{30} %msg%n</pattern></encoder>
                        </appender>
                        <root level="WARN"><appender-ref ref="OUT"/></root>
                    </configuration>
                    """, StandardCharsets.UTF_8);
            final List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.add("-Xmx128m");
            command.add("-XX:TieredStopAtLevel=1");
            command.add("-Djava.net.preferIPv4Stack=true");
            command.add("-Dzookeeper.admin.enableServer=false");
            command.add("-Dlogback.configurationFile=" + logback);
            command.add("--class-path");
            // NiFi's lib/ supplies slf4j and logback.
            command.add(jars + "/*:" + nifiHome.resolve("lib") + "/*");
            command.add("org.apache.zookeeper.server.ZooKeeperServerMain");
            command.add(config.toString());
            final Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("zookeeper.log").toFile())).start();
            final ZooKeeperPeer peer = new ZooKeeperPeer(process, port);
            try {
                peer.waitUntilServing(Duration.ofSeconds(60));
            } catch (final RuntimeException e) {
                peer.close();
                throw e;
            }
            return peer;
        } catch (final IOException e) {
            throw new UncheckedIOException("Could not start ZooKeeper in " + dir, e);
        }
    }

    public String connectString() {
        return "127.0.0.1:" + port;
    }

    public long pid() {
        return process.pid();
    }

    private static Path frameworkNar(final Path nifiHome) throws IOException {
        try (var files = Files.list(nifiHome.resolve("lib"))) {
            return files.filter(file -> file.getFileName().toString().startsWith("nifi-framework-nar-")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("No nifi-framework-nar in " + nifiHome.resolve("lib")));
        }
    }

    private static void extractJars(final Path nar, final Path target) throws IOException {
        try (InputStream in = Files.newInputStream(nar); ZipInputStream zip = new ZipInputStream(in)) {
            ZipEntry entry;
            while ((entry = zip.getNextEntry()) != null) {
                final String name = entry.getName();
                if (!name.startsWith("META-INF/bundled-dependencies/") || !name.endsWith(".jar")) {
                    continue;
                }
                final String fileName = name.substring(name.lastIndexOf('/') + 1);
                for (final String prefix : JAR_PREFIXES) {
                    if (fileName.startsWith(prefix)) {
                        Files.copy(zip, target.resolve(fileName), StandardCopyOption.REPLACE_EXISTING);
                        break;
                    }
                }
            }
        }
    }

    /** ZooKeeper answers "imok" to "ruok" once it serves clients. */
    private void waitUntilServing(final Duration timeout) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("ZooKeeper exited with code " + process.exitValue());
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                socket.setSoTimeout(2000);
                socket.getOutputStream().write("ruok".getBytes(StandardCharsets.US_ASCII));
                socket.shutdownOutput();
                final String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                if (answer.startsWith("imok")) {
                    return;
                }
            } catch (final IOException e) {
                // not serving yet
            }
            NiFiInstance.sleep(300);
        }
        throw new IllegalStateException("ZooKeeper did not serve within " + timeout);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (final InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
