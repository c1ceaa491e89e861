package io.datasync.nifi.e2e;

import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.file.virtualfs.VirtualFileSystemFactory;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.auth.pubkey.RejectAllPublickeyAuthenticator;
import org.apache.sshd.sftp.server.SftpSubsystemFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

/**
 * An embedded SFTP server (Apache SSHD) on 127.0.0.1 for the template tests: one user with a password, a home
 * directory holding {@value FtpPeer#INBOX} and {@value FtpPeer#PROCESSED} (the same layout as {@link FtpPeer}), and
 * a host key made for this run, which {@link #writeKnownHosts} writes in OpenSSH's known_hosts form so that the
 * client can verify it (the template's SFTP processors always check host keys). Closed by the test's teardown, even
 * when the test fails.
 */
final class SftpPeer implements AutoCloseable {

    private final SshServer server;
    private final Path home;
    private final String user;
    private final String password;
    private final KeyPair hostKey;

    private SftpPeer(final SshServer server, final Path home, final String user, final String password, final KeyPair hostKey) {
        this.server = server;
        this.home = home;
        this.user = user;
        this.password = password;
        this.hostKey = hostKey;
    }

    /** Starts the server on a free loopback port with {@code user}/{@code password} and home {@code home} (created). */
    static SftpPeer start(final Path home, final String user, final String password) {
        final KeyPair hostKey;
        try {
            Files.createDirectories(home.resolve(FtpPeer.INBOX));
            Files.createDirectories(home.resolve(FtpPeer.PROCESSED));
            final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(256);
            hostKey = generator.generateKeyPair();
        } catch (final IOException e) {
            throw new UncheckedIOException("Could not prepare the SFTP server", e);
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("Could not make the SFTP host key", e);
        }
        final SshServer server = SshServer.setUpDefaultServer();
        server.setHost("127.0.0.1");
        server.setPort(0);
        server.setKeyPairProvider(KeyPairProvider.wrap(hostKey));
        final byte[] expected = password.getBytes(StandardCharsets.UTF_8);
        server.setPasswordAuthenticator((name, offered, session) -> user.equals(name)
                && MessageDigest.isEqual(expected, offered.getBytes(StandardCharsets.UTF_8)));
        server.setPublickeyAuthenticator(RejectAllPublickeyAuthenticator.INSTANCE);
        server.setKeyboardInteractiveAuthenticator(null);
        server.setSubsystemFactories(List.of(new SftpSubsystemFactory()));
        server.setFileSystemFactory(new VirtualFileSystemFactory(home.toAbsolutePath()));
        try {
            server.start();
        } catch (final IOException | RuntimeException e) {
            try {
                server.stop(true);
            } catch (final IOException stopping) {
                e.addSuppressed(stopping);
            }
            throw new IllegalStateException("Could not start the SFTP server", e);
        }
        return new SftpPeer(server, home.toAbsolutePath(), user, password, hostKey);
    }

    String host() {
        return "127.0.0.1";
    }

    int port() {
        return server.getPort();
    }

    String user() {
        return user;
    }

    String password() {
        return password;
    }

    String inboxPath() {
        return "/" + FtpPeer.INBOX;
    }

    String processedPath() {
        return "/" + FtpPeer.PROCESSED;
    }

    /** Writes a known_hosts file naming this server's host key for {@code [127.0.0.1]:port}; returns it. */
    Path writeKnownHosts(final Path file) {
        try {
            Files.createDirectories(file.getParent());
            return Files.writeString(file, "[" + host() + "]:" + port() + " " + PublicKeyEntry.toString(hostKey.getPublic()) + "\n",
                    StandardCharsets.US_ASCII);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Drops a file into the inbox atomically, looking {@link FtpPeer#DROP_AGE} old (as {@link FtpPeer#drop}). */
    Path drop(final String fileName, final String content) {
        try {
            final Path partial = home.resolve(FtpPeer.INBOX).resolve("." + fileName + ".part");
            Files.writeString(partial, content, StandardCharsets.UTF_8);
            Files.setLastModifiedTime(partial, FileTime.from(Instant.now().minus(FtpPeer.DROP_AGE)));
            return Files.move(partial, home.resolve(FtpPeer.INBOX).resolve(fileName), StandardCopyOption.ATOMIC_MOVE);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    List<String> inboxFiles() {
        return list(FtpPeer.INBOX);
    }

    List<String> processedFiles() {
        return list(FtpPeer.PROCESSED);
    }

    private List<String> list(final String directory) {
        try (Stream<Path> files = Files.list(home.resolve(directory))) {
            return files.map(file -> file.getFileName().toString()).filter(name -> !name.startsWith(".")).sorted().toList();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops the server at once, closing open sessions; bounded by SSHD's own close timeout. */
    @Override
    public void close() throws IOException {
        server.stop(true);
    }
}
