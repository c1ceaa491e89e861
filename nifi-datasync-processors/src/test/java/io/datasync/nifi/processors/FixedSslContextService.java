package io.datasync.nifi.processors;

import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.reporting.InitializationException;
import org.apache.nifi.security.util.TlsConfiguration;
import org.apache.nifi.ssl.SSLContextService;
import org.apache.nifi.util.TestRunner;

import javax.net.ssl.SSLContext;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509TrustManager;
import java.util.Optional;

/** Hands out a prepared SSLContext, as a configured StandardSSLContextService would. */
final class FixedSslContextService extends AbstractControllerService implements SSLContextService {
    private final SSLContext context;

    FixedSslContextService(final SSLContext context) {
        this.context = context;
    }

    /** Adds a service handing out {@code context} to the runner as "ssl", enables it and names it in {@code property}. */
    static void configure(final TestRunner runner, final PropertyDescriptor property, final SSLContext context) throws InitializationException {
        final FixedSslContextService service = new FixedSslContextService(context);
        runner.addControllerService("ssl", service);
        runner.enableControllerService(service);
        runner.setProperty(property, "ssl");
    }

    @Override
    public SSLContext createContext() {
        return context;
    }

    @Override
    public Optional<X509ExtendedKeyManager> createKeyManager() {
        return Optional.empty();
    }

    @Override
    public X509TrustManager createTrustManager() {
        throw new UnsupportedOperationException("not used by the API processors");
    }

    @Override
    public TlsConfiguration createTlsConfiguration() {
        throw new UnsupportedOperationException("not used by the API processors");
    }

    @Override
    public String getTrustStoreFile() {
        return null;
    }

    @Override
    public String getTrustStoreType() {
        return null;
    }

    @Override
    public String getTrustStorePassword() {
        return null;
    }

    @Override
    public boolean isTrustStoreConfigured() {
        return true;
    }

    @Override
    public String getKeyStoreFile() {
        return null;
    }

    @Override
    public String getKeyStoreType() {
        return null;
    }

    @Override
    public String getKeyStorePassword() {
        return null;
    }

    @Override
    public String getKeyPassword() {
        return null;
    }

    @Override
    public boolean isKeyStoreConfigured() {
        return false;
    }

    @Override
    public String getSslAlgorithm() {
        return "TLS";
    }
}
