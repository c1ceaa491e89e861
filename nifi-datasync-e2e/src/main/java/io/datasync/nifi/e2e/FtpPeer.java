package io.datasync.nifi.e2e;

import org.apache.ftpserver.DataConnectionConfigurationFactory;
import org.apache.ftpserver.FtpServer;
import org.apache.ftpserver.FtpServerFactory;
import org.apache.ftpserver.ftplet.Authority;
import org.apache.ftpserver.ftplet.FtpException;
import org.apache.ftpserver.listener.ListenerFactory;
import org.apache.ftpserver.usermanager.PropertiesUserManagerFactory;
import org.apache.ftpserver.usermanager.impl.BaseUser;
import org.apache.ftpserver.usermanager.impl.ConcurrentLoginPermission;
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
import java.util.List;
import java.util.StringJoiner;
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

    private final FtpServer server;
    private final int port;
    private final Path home;
    private final String user;
    private final String password;

    private FtpPeer(final FtpServer server, final int port, final Path home, final String user, final String password) {
        this.server = server;
        this.port = port;
        this.home = home;
        this.user = user;
        this.password = password;
    }

    /** Starts the server with {@code user}/{@code password} and home directory {@code home} (created if needed). */
    public static FtpPeer start(final Path home, final String user, final String password) {
        try {
            Files.createDirectories(home.resolve(INBOX));
            Files.createDirectories(home.resolve(PROCESSED));
            final int port = NiFiInstance.freePort();

            final DataConnectionConfigurationFactory dataConnection = new DataConnectionConfigurationFactory();
            final StringJoiner passivePorts = new StringJoiner(",");
            for (int i = 0; i < PASSIVE_PORT_COUNT; i++) {
                passivePorts.add(Integer.toString(NiFiInstance.freePort()));
            }
            dataConnection.setPassivePorts(passivePorts.toString());
            dataConnection.setPassiveAddress("127.0.0.1");
            dataConnection.setPassiveExternalAddress("127.0.0.1");
            dataConnection.setActiveEnabled(false);

            final ListenerFactory listener = new ListenerFactory();
            listener.setServerAddress("127.0.0.1");
            listener.setPort(port);
            listener.setDataConnectionConfiguration(dataConnection.createDataConnectionConfiguration());

            final FtpServerFactory serverFactory = new FtpServerFactory();
            serverFactory.addListener("default", listener.createListener());
            final PropertiesUserManagerFactory userManagerFactory = new PropertiesUserManagerFactory();
            userManagerFactory.setFile(Files.createTempFile("ftp-users", ".properties").toFile());
            final var userManager = userManagerFactory.createUserManager();
            final BaseUser account = new BaseUser();
            account.setName(user);
            account.setPassword(password);
            account.setHomeDirectory(home.toAbsolutePath().toString());
            final List<Authority> authorities = new ArrayList<>();
            authorities.add(new WritePermission());
            authorities.add(new ConcurrentLoginPermission(20, 20));
            account.setAuthorities(authorities);
            userManager.save(account);
            serverFactory.setUserManager(userManager);

            final FtpServer server = serverFactory.createServer();
            server.start();
            return new FtpPeer(server, port, home.toAbsolutePath(), user, password);
        } catch (final IOException e) {
            throw new UncheckedIOException("Could not prepare the FTP server", e);
        } catch (final FtpException e) {
            throw new IllegalStateException("Could not start the FTP server", e);
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
        try {
            final Path partial = home.resolve(INBOX).resolve("." + fileName + ".part");
            Files.writeString(partial, content, StandardCharsets.UTF_8);
            Files.setLastModifiedTime(partial, FileTime.from(Instant.now().minus(DROP_AGE)));
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
        server.stop();
    }
}
