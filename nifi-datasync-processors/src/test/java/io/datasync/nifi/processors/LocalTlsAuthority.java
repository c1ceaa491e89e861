package io.datasync.nifi.processors;

import okhttp3.mockwebserver.MockWebServer;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private certificate authority made at run time with the JDK's keytool (nothing secret in the repository), and a
 * server certificate it signed for {@code 127.0.0.1} and {@code localhost}: what an API behind a company CA presents.
 * The JVM's default trust store does not know this CA.
 */
final class LocalTlsAuthority {

    private final Path dir;
    private final String password;
    private final Path caStore;
    private final Path truststore;
    private final Path serverStore;

    private LocalTlsAuthority(final Path dir, final String name) throws IOException {
        this.dir = dir;
        final byte[] random = new byte[12];
        new SecureRandom().nextBytes(random);
        this.password = HexFormat.of().formatHex(random);
        this.caStore = dir.resolve(name + "-ca.p12");
        this.truststore = dir.resolve(name + "-truststore.p12");
        this.serverStore = dir.resolve(name + "-server.p12");
        final Path caPem = dir.resolve(name + "-ca.crt");
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-dname", "CN=" + name + " test CA", "-validity", "2",
                "-ext", "bc:c=ca:true,pathlen:0", "-ext", "ku:c=keyCertSign,cRLSign", "-keystore", caStore.toString());
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", caStore.toString(), "-file", caPem.toString());
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caPem.toString(), "-keystore", truststore.toString());
        final Path request = dir.resolve(name + "-server.csr");
        final Path signed = dir.resolve(name + "-server.crt");
        keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-dname", "CN=localhost", "-validity", "2", "-keystore", serverStore.toString());
        keytool("-certreq", "-alias", "server", "-keystore", serverStore.toString(), "-file", request.toString());
        keytool("-gencert", "-rfc", "-alias", "ca", "-keystore", caStore.toString(), "-infile", request.toString(), "-outfile", signed.toString(),
                "-validity", "2", "-ext", "ku:c=digitalSignature,keyAgreement", "-ext", "eku=serverAuth", "-ext", "SAN=ip:127.0.0.1,dns:localhost");
        Files.writeString(signed, Files.readString(signed) + Files.readString(caPem));
        keytool("-importcert", "-noprompt", "-trustcacerts", "-alias", "server", "-file", signed.toString(), "-keystore", serverStore.toString());
    }

    private static final Map<String, LocalTlsAuthority> SHARED = new HashMap<>();

    /**
     * The CA named {@code name}, made once per test JVM (keytool runs take seconds each) in a temporary directory
     * removed when the JVM exits.
     */
    static synchronized LocalTlsAuthority shared(final String name) {
        return SHARED.computeIfAbsent(name, key -> {
            try {
                final Path dir = Files.createTempDirectory("local-tls-" + key);
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir)));
                return create(dir, key);
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static void deleteQuietly(final Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
        } catch (final IOException e) {
            // best effort at JVM exit
        }
    }

    /** A new CA named {@code name} with its server certificate, under {@code dir}. */
    static LocalTlsAuthority create(final Path dir, final String name) {
        try {
            return new LocalTlsAuthority(dir, name);
        } catch (final IOException e) {
            throw new IllegalStateException("Could not create the test CA " + name, e);
        }
    }

    /** A MockWebServer presenting the server certificate this CA signed, started on {@code host}; the caller shuts it down. */
    MockWebServer startHttpsServer(final String host) throws IOException {
        final MockWebServer server = new MockWebServer();
        server.useHttps(serverSocketFactory(), false);
        server.start(InetAddress.getByName(host), 0);
        return server;
    }

    /** What an HTTPS server presents: the server certificate this CA signed. */
    SSLSocketFactory serverSocketFactory() {
        try {
            final KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(load(serverStore), password.toCharArray());
            final SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), null, new SecureRandom());
            return context.getSocketFactory();
        } catch (final IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A client context trusting this CA only: what an SSL Context Service with this CA's truststore hands out. */
    SSLContext clientContext() {
        try {
            final TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(load(truststore));
            final SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), new SecureRandom());
            return context;
        } catch (final IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private KeyStore load(final Path file) throws IOException, GeneralSecurityException {
        final KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            store.load(in, password.toCharArray());
        }
        return store;
    }

    private void keytool(final String... arguments) throws IOException {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.add("-J-XX:TieredStopAtLevel=1");
        command.addAll(List.of(arguments));
        // The password travels in the environment, not on a command line other processes can read.
        command.addAll(List.of("-storetype", "PKCS12", "-storepass:env", "LOCAL_TLS_PASSWORD"));
        if ("-genkeypair".equals(arguments[0])) {
            command.addAll(List.of("-keypass:env", "LOCAL_TLS_PASSWORD"));
        }
        final ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().put("LOCAL_TLS_PASSWORD", password);
        final Process process = builder.start();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("keytool did not finish");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted", e);
        }
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            throw new IOException("keytool " + arguments[0] + " failed: " + output);
        }
    }
}
