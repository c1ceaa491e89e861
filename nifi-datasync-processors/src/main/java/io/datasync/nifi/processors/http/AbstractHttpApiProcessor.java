package io.datasync.nifi.processors.http;

import io.datasync.nifi.fetch.OriginPolicy;
import io.datasync.nifi.processors.common.DescribedEnum;
import io.datasync.nifi.processors.common.DescribedEnum.Described;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.components.Validator;
import org.apache.nifi.oauth2.OAuth2AccessTokenProvider;
import org.apache.nifi.processor.AbstractProcessor;
import org.apache.nifi.processor.util.StandardValidators;
import org.apache.nifi.proxy.ProxyConfigurationService;
import org.apache.nifi.ssl.SSLContextService;

/**
 * Base of the processors that call a REST API (IncrementalApiFetch, PutApiRecord): the properties they share,
 * defined once so that both offer the same names, defaults and documentation for authentication, TLS, proxy,
 * timeouts, request budget and retry backoff. {@link HttpApiClients} turns them into the HTTP client, the
 * credentials and the {@link io.datasync.nifi.fetch.PageFetcher}; each processor lists them in its own
 * property order.
 */
public abstract class AbstractHttpApiProcessor extends AbstractProcessor {

    static final Validator POSITIVE_DECIMAL_VALIDATOR = (subject, input, context) -> {
        boolean valid;
        try {
            final double value = Double.parseDouble(input);
            valid = value > 0 && !Double.isInfinite(value);
        } catch (final NumberFormatException e) {
            valid = false;
        }
        return new ValidationResult.Builder().subject(subject).input(input).valid(valid).explanation("must be a positive number").build();
    };

    protected static final Validator ALLOWED_ORIGINS_VALIDATOR = (subject, input, context) -> {
        try {
            OriginPolicy.parseAllowList(input);
            return new ValidationResult.Builder().subject(subject).input(input).valid(true).build();
        } catch (final IllegalArgumentException e) {
            return new ValidationResult.Builder().subject(subject).input(input).valid(false)
                    .explanation("each entry must be an origin such as https://api.example.com or http://host:8080 (" + e.getMessage() + ")").build();
        }
    };

    public static final PropertyDescriptor AUTHENTICATION_STRATEGY = new PropertyDescriptor.Builder()
            .name("Authentication Strategy")
            .description("How requests are authenticated.")
            .required(true)
            .allowableValues(AuthenticationStrategy.class)
            .defaultValue(AuthenticationStrategy.NONE)
            .build();

    public static final PropertyDescriptor API_KEY_NAME = new PropertyDescriptor.Builder()
            .name("API Key Name")
            .description("Name of the header or query parameter that carries the API key. Its value is redacted wherever the URL is shown.")
            .required(true)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(AUTHENTICATION_STRATEGY, AuthenticationStrategy.API_KEY_HEADER, AuthenticationStrategy.API_KEY_QUERY)
            .build();

    public static final PropertyDescriptor API_KEY = new PropertyDescriptor.Builder()
            .name("API Key")
            .description("The API key.")
            .required(true)
            .sensitive(true)
            .addValidator(StandardValidators.NON_EMPTY_VALIDATOR)
            .dependsOn(AUTHENTICATION_STRATEGY, AuthenticationStrategy.API_KEY_HEADER, AuthenticationStrategy.API_KEY_QUERY)
            .build();

    public static final PropertyDescriptor USERNAME = new PropertyDescriptor.Builder()
            .name("Username")
            .description("User name for HTTP Basic authentication.")
            .required(true)
            .addValidator(StandardValidators.NON_EMPTY_VALIDATOR)
            .dependsOn(AUTHENTICATION_STRATEGY, AuthenticationStrategy.BASIC)
            .build();

    public static final PropertyDescriptor PASSWORD = new PropertyDescriptor.Builder()
            .name("Password")
            .description("Password for HTTP Basic authentication.")
            .required(true)
            .sensitive(true)
            .addValidator(StandardValidators.NON_EMPTY_VALIDATOR)
            .dependsOn(AUTHENTICATION_STRATEGY, AuthenticationStrategy.BASIC)
            .build();

    public static final PropertyDescriptor BEARER_TOKEN = new PropertyDescriptor.Builder()
            .name("Bearer Token")
            .description("Static token sent as 'Authorization: Bearer <token>'.")
            .required(true)
            .sensitive(true)
            .addValidator(StandardValidators.NON_EMPTY_VALIDATOR)
            .dependsOn(AUTHENTICATION_STRATEGY, AuthenticationStrategy.BEARER)
            .build();

    public static final PropertyDescriptor OAUTH2_ACCESS_TOKEN_PROVIDER = new PropertyDescriptor.Builder()
            .name("OAuth2 Access Token Provider")
            .description("Supplies access tokens. On a 401 the provider is asked again and the request is retried once, but only if it "
                    + "hands out a different token; a provider that returns its cached token again gets no retry: the run stops with an "
                    + "error bulletin telling what to do (see the usage documentation).")
            .required(true)
            .identifiesControllerService(OAuth2AccessTokenProvider.class)
            .dependsOn(AUTHENTICATION_STRATEGY, AuthenticationStrategy.OAUTH2)
            .build();


    public static final PropertyDescriptor SSL_CONTEXT_SERVICE = new PropertyDescriptor.Builder()
            .name("SSL Context Service")
            .description("TLS trust (and client key) for HTTPS endpoints; the JVM's default trust store is used when not set.")
            .required(false)
            .identifiesControllerService(SSLContextService.class)
            .build();

    public static final PropertyDescriptor PROXY_CONFIGURATION_SERVICE = new PropertyDescriptor.Builder()
            .name("Proxy Configuration Service")
            .description("HTTP proxy to send requests through (proxy user names and passwords are not supported).")
            .required(false)
            .identifiesControllerService(ProxyConfigurationService.class)
            .build();

    public static final PropertyDescriptor CONNECT_TIMEOUT = new PropertyDescriptor.Builder()
            .name("Connect Timeout")
            .description("Longest wait for a connection to the server.")
            .required(true)
            .defaultValue("10 sec")
            .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
            .build();

    public static final PropertyDescriptor READ_TIMEOUT = new PropertyDescriptor.Builder()
            .name("Read Timeout")
            .description("Longest wait for a whole response once the request is sent; a timeout is retried like a 5xx.")
            .required(true)
            .defaultValue("30 sec")
            .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
            .build();

    public static final PropertyDescriptor REQUEST_RATE_LIMIT = new PropertyDescriptor.Builder()
            .name("Request Rate Limit")
            .description("Steady request budget in requests per second (e.g. 2 or 0.5). Leave empty for no limit.")
            .required(false)
            .addValidator(POSITIVE_DECIMAL_VALIDATOR)
            .build();


    public static final PropertyDescriptor INITIAL_RETRY_BACKOFF = new PropertyDescriptor.Builder()
            .name("Initial Retry Backoff")
            .description("Wait before the first retry; it doubles with each retry, with random jitter.")
            .required(true)
            .defaultValue("1 sec")
            .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
            .build();

    public static final PropertyDescriptor MAX_RETRY_BACKOFF = new PropertyDescriptor.Builder()
            .name("Maximum Retry Backoff")
            .description("Longest wait between retries.")
            .required(true)
            .defaultValue("30 sec")
            .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
            .build();

    public enum AuthenticationStrategy implements DescribedEnum {
        NONE("None", "No credentials."),
        API_KEY_HEADER("API Key in Header", "The API key in the header named by API Key Name."),
        API_KEY_QUERY("API Key in Query Parameter", "The API key in the query parameter named by API Key Name (redacted wherever shown)."),
        BASIC("HTTP Basic", "User name and password."),
        BEARER("Bearer Token", "A static token: Authorization: Bearer <token>."),
        OAUTH2("OAuth2", "Tokens from an OAuth2 Access Token Provider; on 401 retried once, only if the provider hands out a different token.");

        private final Described described;

        AuthenticationStrategy(final String displayName, final String description) {
            this.described = new Described(displayName, description);
        }

        @Override
        public Described described() {
            return described;
        }
    }
}
