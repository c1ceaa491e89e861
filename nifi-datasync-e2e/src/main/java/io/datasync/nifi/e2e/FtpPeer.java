package io.datasync.nifi.e2e;

import org.apache.ftpserver.DataConnectionConfigurationFactory;
import org.apache.ftpserver.FtpServer;
import org.apache.ftpserver.FtpServerConfigurationException;
import org.apache.ftpserver.FtpServerFactory;
import org.apache.ftpserver.ftplet.Authority;
import org.apache.ftpserver.ftplet.DefaultFtplet;
import org.apache.ftpserver.ftplet.FtpException;
import org.apache.ftpserver.ftplet.FtpRequest;
import org.apache.ftpserver.ftplet.FtpSession;
import org.apache.ftpserver.ftplet.Ftplet;
import org.apache.ftpserver.ftplet.FtpletResult;
import org.apache.ftpserver.listener.ListenerFactory;
import org.apache.ftpserver.usermanager.PropertiesUserManagerFactory;
import org.apache.ftpserver.usermanager.impl.BaseUser;
import org.apache.ftpserver.usermanager.impl.ConcurrentLoginPermission;
import org.apache.ftpserver.usermanager.impl.TransferRatePermission;
import org.apache.ftpserver.usermanager.impl.WritePermission;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * An embedded FTP server (Apache MINA FtpServer) on 127.0.0.1 with one user whose home holds {@value #INBOX}
 * (where CSV drops land) and {@value #PROCESSED} (where FetchFTP moves fetched files). Passive data connections
 * use a few free loopback ports, so nothing listens beyond 127.0.0.1.
 */
public final class FtpPeer implements AutoCloseable {

    public static final String INBOX = "inbox";
    public static final String PROCESSED = "processed";
    /** How old a dropped file looks (see {@link #drop}). */
    public static final Duration DROP_AGE = Duration.ofMinutes(2);
    private static final int PASSIVE_PORT_COUNT = 8;

    private final int port;
    private final String passivePorts;
    private final Path home;
    private final String user;
    private final String password;
    /** Download rate limit in bytes per second, 0 for none. */
    private final int maxDownloadRate;
    private final AtomicInteger downloadsStarted = new AtomicInteger();
    /** The running server; null while {@link #stop() stopped}. */
    private volatile FtpServer server;

    private FtpPeer(final int port, final String passivePorts, final Path home, final String user, final String password,
                    final int maxDownloadRate) {
        this.port = port;
        this.passivePorts = passivePorts;
        this.home = home;
        this.user = user;
        this.password = password;
        this.maxDownloadRate = maxDownloadRate;
    }

    /** Starts the server with {@code user}/{@code password} and home directory {@code home} (created if needed). */
    public static FtpPeer start(final Path home, final String user, final String password) {
        return start(home, user, password, 0);
    }

    /**
     * As {@link #start(Path, String, String)}, with downloads limited to {@code maxDownloadRate} bytes per second
     * (0: unlimited), so a large drop takes a while to fetch.
     */
    public static FtpPeer start(final Path home, final String user, final String password, final int maxDownloadRate) {
        try {
            Files.createDirectories(home.resolve(INBOX));
            Files.createDirectories(home.resolve(PROCESSED));
        } catch (final IOException e) {
            throw new UncheckedIOException("Could not prepare the FTP server", e);
        }
        final StringJoiner passivePorts = new StringJoiner(",");
        for (int i = 0; i < PASSIVE_PORT_COUNT; i++) {
            passivePorts.add(Integer.toString(NiFiInstance.freePort()));
        }
        final FtpPeer peer = new FtpPeer(NiFiInstance.freePort(), passivePorts.toString(), home.toAbsolutePath(), user, password, maxDownloadRate);
        peer.startServer();
        return peer;
    }

    /** Stops the server: open control and data connections are closed, as when an FTP host restarts. */
    public synchronized void stop() {
        final FtpServer running = server;
        server = null;
        if (running != null) {
            running.stop();
        }
    }

    /** Starts the server again, on the same port, user and home, after {@link #stop()}. */
    public synchronized void restart() {
        if (server == null) {
            startServer();
        }
    }

    /** How many downloads (RETR) the server has begun, over every start. */
    public int downloadsStarted() {
        return downloadsStarted.get();
    }

    private void startServer() {
        final DataConnectionConfigurationFactory dataConnection = new DataConnectionConfigurationFactory();
        dataConnection.setPassivePorts(passivePorts);
        dataConnection.setPassiveAddress("127.0.0.1");
        dataConnection.setPassiveExternalAddress("127.0.0.1");
        dataConnection.setActiveEnabled(false);

        final ListenerFactory listener = new ListenerFactory();
        listener.setServerAddress("127.0.0.1");
        listener.setPort(port);
        listener.setDataConnectionConfiguration(dataConnection.createDataConnectionConfiguration());

        try {
            final FtpServerFactory serverFactory = new FtpServerFactory();
            serverFactory.addListener("default", listener.createListener());
            final PropertiesUserManagerFactory userManagerFactory = new PropertiesUserManagerFactory();
            userManagerFactory.setFile(Files.createTempFile("ftp-users", ".properties").toFile());
            final var userManager = userManagerFactory.createUserManager();
            final BaseUser account = new BaseUser();
            account.setName(user);
            account.setPassword(password);
            account.setHomeDirectory(home.toString());
            final List<Authority> authorities = new ArrayList<>();
            authorities.add(new WritePermission());
            authorities.add(new ConcurrentLoginPermission(20, 20));
            if (maxDownloadRate > 0) {
                authorities.add(new TransferRatePermission(maxDownloadRate, 0));
            }
            account.setAuthorities(authorities);
            userManager.save(account);
            serverFactory.setUserManager(userManager);
            // Mutable: the server clears its Ftplet map when it stops.
            final Map<String, Ftplet> ftplets = new HashMap<>();
            ftplets.put("download-counter", new DefaultFtplet() {
                @Override
                public FtpletResult onDownloadStart(final FtpSession session, final FtpRequest request) {
                    downloadsStarted.incrementAndGet();
                    return FtpletResult.DEFAULT;
                }
            });
            serverFactory.setFtplets(ftplets);

            final FtpServer created = serverFactory.createServer();
            startBounded(created);
            server = created;
        } catch (final IOException e) {
            throw new UncheckedIOException("Could not prepare the FTP server", e);
        } catch (final FtpException e) {
            throw new IllegalStateException("Could not start the FTP server", e);
        }
    }

    /** A restart may find the port still held for a moment by the connections just closed: retried for up to 20 s. */
    private static void startBounded(final FtpServer created) throws FtpException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            try {
                created.start();
                return;
            } catch (final FtpServerConfigurationException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(500);
                } catch (final InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    public int port() {
        return port;
    }

    public String host() {
        return "127.0.0.1";
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    public Path home() {
        return home;
    }

    /** The inbox as an FTP path (what ListFTP's Remote Path is set to). */
    public String inboxPath() {
        return "/" + INBOX;
    }

    public String processedPath() {
        return "/" + PROCESSED;
    }

    /**
     * Drops a file into the inbox atomically (written under a dot-name, then renamed), so a lister never sees
     * half a file; ListFTP ignores dot files by default.
     * <p>
     * The file's modification time is set {@link #DROP_AGE} in the past. This server's LIST output has minute
     * precision, so ListFTP (timestamp tracking, precision auto-detected) holds back a file from the current
     * minute for up to a minute; a file uploaded a while ago, as most real drops are by the time they are
     * polled, is listed on the next run.
     */
    public Path drop(final String fileName, final String content) {
        return drop(fileName, content, DROP_AGE);
    }

    /** As {@link #drop(String, String)}, the file looking {@code age} old. */
    public Path drop(final String fileName, final String content, final Duration age) {
        try {
            final Path partial = home.resolve(INBOX).resolve("." + fileName + ".part");
            Files.writeString(partial, content, StandardCharsets.UTF_8);
            Files.setLastModifiedTime(partial, FileTime.from(Instant.now().minus(age)));
            return Files.move(partial, home.resolve(INBOX).resolve(fileName), StandardCopyOption.ATOMIC_MOVE);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public List<String> inboxFiles() {
        return list(INBOX);
    }

    public List<String> processedFiles() {
        return list(PROCESSED);
    }

    private List<String> list(final String directory) {
        try (Stream<Path> files = Files.list(home.resolve(directory))) {
            return files.map(file -> file.getFileName().toString()).filter(name -> !name.startsWith(".")).sorted().toList();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        stop();
    }
}
