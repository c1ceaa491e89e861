package io.datasync.nifi.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A certificate authority made at run time for one test or demo run, with the JDK's own keytool: nothing secret is
 * committed, every password is random, and the files live in the run directory only.
 * <p>
 * {@link #server()} is the certificate every local server presents (NiFi's web server, HandleHttpRequest, PostgreSQL):
 * subject {@code CN=localhost}, subject alternative names {@code IP:127.0.0.1} and {@code DNS:localhost}, usable for
 * server and client authentication. {@link #client(String)} issues a client certificate whose subject is
 * {@code CN=<name>}: NiFi takes that distinguished name as the user's identity. All keystores are PKCS12 with the key
 * password equal to the store password (PKCS12 has one password).
 */
public final class TestPki {

    private static final String CA_ALIAS = "datasync-test-ca";
    private static final String KEY_ALIAS = "key";
    private static final String KEY_ALGORITHM = "EC";
    private static final long KEYTOOL_TIMEOUT_SECONDS = 120;
    private static final String PASSWORD_VARIABLE = "DATASYNC_TEST_PKI_PASSWORD";

    private final Path dir;
    private final String password;
    private final Path caStore;
    private final Path truststore;
    private final Path caPem;
    private Identity server;

    /** One keystore (private key and certificate chain) with its password. */
    public record Identity(String distinguishedName, Path keystore, String password) {
    }

    private TestPki(final Path dir) {
        this.dir = dir;
        final byte[] random = new byte[18];
        new SecureRandom().nextBytes(random);
        this.password = HexFormat.of().formatHex(random);
        this.caStore = dir.resolve("ca.p12");
        this.truststore = dir.resolve("truststore.p12");
        this.caPem = dir.resolve("ca.crt");
    }

    /** Creates the CA, its truststore and the server certificate under {@code dir}. */
    public static TestPki create(final Path dir) {
        try {
            Files.createDirectories(dir);
            final TestPki pki = new TestPki(dir.toAbsolutePath());
            pki.keytool("-genkeypair", "-alias", CA_ALIAS, "-keyalg", KEY_ALGORITHM, "-dname", "CN=nifi-datasync test CA",
                    "-validity", "2", "-ext", "bc:c=ca:true,pathlen:0", "-ext", "ku:c=keyCertSign,cRLSign",
                    "-keystore", pki.caStore.toString());
            pki.keytool("-exportcert", "-rfc", "-alias", CA_ALIAS, "-keystore", pki.caStore.toString(), "-file", pki.caPem.toString());
            pki.keytool("-importcert", "-noprompt", "-alias", CA_ALIAS, "-file", pki.caPem.toString(), "-keystore", pki.truststore.toString());
            pki.server = pki.issue("server", "CN=localhost", "SAN=ip:127.0.0.1,dns:localhost");
            return pki;
        } catch (final IOException e) {
            throw new UncheckedIOException("Could not create the test CA in " + dir, e);
        }
    }

    /** The certificate local servers present. */
    public Identity server() {
        return server;
    }

    /** Issues a client certificate for the user {@code CN=<name>} (a new one on each call). */
    public Identity client(final String name) {
        try {
            return issue("client-" + name, "CN=" + name, null);
        } catch (final IOException e) {
            throw new UncheckedIOException("Could not issue a client certificate for " + name, e);
        }
    }

    /** PKCS12 truststore holding only the test CA. */
    public Path truststore() {
        return truststore;
    }

    /** Password of the truststore and of every keystore this CA issued. */
    public String password() {
        return password;
    }

    /** The CA certificate, PEM (PostgreSQL's {@code sslrootcert}, curl's {@code --cacert}). */
    public Path caCertificatePem() {
        return caPem;
    }

    /** The DER encoding of the identity's own certificate, as its keystore holds it. */
    public byte[] certificate(final Identity identity) {
        try {
            return load(identity.keystore(), identity.password()).getCertificate(KEY_ALIAS).getEncoded();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("Could not read " + identity.keystore(), e);
        }
    }

    /** Writes the identity's certificate and its unencrypted PKCS#8 private key as PEM files readable by the owner only. */
    public Path[] exportPem(final Identity identity, final Path directory) {
        try {
            final KeyStore store = load(identity.keystore(), identity.password());
            final PrivateKey key = (PrivateKey) store.getKey(KEY_ALIAS, identity.password().toCharArray());
            final Certificate certificate = store.getCertificate(KEY_ALIAS);
            Files.createDirectories(directory);
            final Path certFile = directory.resolve("server.crt");
            final Path keyFile = directory.resolve("server.key");
            Files.writeString(certFile, pem("CERTIFICATE", certificate.getEncoded()), StandardCharsets.US_ASCII);
            Files.deleteIfExists(keyFile);
            Files.createFile(keyFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(keyFile, pem("PRIVATE KEY", key.getEncoded()), StandardCharsets.US_ASCII);
            return new Path[] {certFile, keyFile};
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("Could not read " + identity.keystore(), e);
        }
    }

    /** TLS context trusting only the test CA, presenting {@code identity} as client certificate when it is not null. */
    public SSLContext sslContext(final Identity identity) {
        try {
            final TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(load(truststore, password));
            KeyManagerFactory keys = null;
            if (identity != null) {
                keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keys.init(load(identity.keystore(), identity.password()), identity.password().toCharArray());
            }
            final SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys == null ? null : keys.getKeyManagers(), trust.getTrustManagers(), new SecureRandom());
            return context;
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("Could not build a TLS context from the test CA", e);
        }
    }

    private Identity issue(final String fileName, final String distinguishedName, final String subjectAlternativeNames) throws IOException {
        final Path keystore = dir.resolve(fileName + ".p12");
        final Path request = dir.resolve(fileName + ".csr");
        final Path signed = dir.resolve(fileName + ".crt");
        Files.deleteIfExists(keystore);
        keytool("-genkeypair", "-alias", KEY_ALIAS, "-keyalg", KEY_ALGORITHM, "-dname", distinguishedName, "-validity", "2",
                "-keystore", keystore.toString());
        keytool("-certreq", "-alias", KEY_ALIAS, "-keystore", keystore.toString(), "-file", request.toString());
        final List<String> gencert = new ArrayList<>(List.of("-gencert", "-rfc", "-alias", CA_ALIAS, "-keystore", caStore.toString(),
                "-infile", request.toString(), "-outfile", signed.toString(), "-validity", "2",
                "-ext", "ku:c=digitalSignature,keyAgreement", "-ext", "eku=serverAuth,clientAuth"));
        if (subjectAlternativeNames != null) {
            gencert.add("-ext");
            gencert.add(subjectAlternativeNames);
        }
        keytool(gencert.toArray(String[]::new));
        // The reply is the signed certificate followed by the CA's, so keytool can build the chain.
        Files.writeString(signed, Files.readString(signed) + Files.readString(caPem));
        keytool("-importcert", "-noprompt", "-trustcacerts", "-alias", KEY_ALIAS, "-file", signed.toString(), "-keystore", keystore.toString());
        Files.delete(request);
        return new Identity(distinguishedName, keystore, password);
    }

    private void keytool(final String... arguments) throws IOException {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.add("-J-XX:TieredStopAtLevel=1");
        command.addAll(List.of(arguments));
        // The password travels in the environment, not on the command line other processes can read.
        command.addAll(List.of("-storetype", "PKCS12", "-storepass:env", PASSWORD_VARIABLE));
        if ("-genkeypair".equals(arguments[0])) {
            command.addAll(List.of("-keypass:env", PASSWORD_VARIABLE));
        }
        final ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().put(PASSWORD_VARIABLE, password);
        final Process process = builder.start();
        try {
            final String output;
            try (InputStream in = process.getInputStream()) {
                output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!process.waitFor(KEYTOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("keytool " + arguments[0] + " did not finish");
            }
            if (process.exitValue() != 0) {
                throw new IOException("keytool " + arguments[0] + " failed: " + output.replace(password, "****"));
            }
        } catch (final InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted during keytool " + arguments[0], e);
        }
    }

    private static KeyStore load(final Path file, final String password) throws IOException, GeneralSecurityException {
        final KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            store.load(in, password.toCharArray());
        }
        return store;
    }

    private static String pem(final String type, final byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
