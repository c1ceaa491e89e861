package io.datasync.nifi.processors;

import com.fasterxml.jackson.core.JsonPointer;
import io.datasync.nifi.processors.common.DescribedEnum;
import io.datasync.nifi.processors.common.DescribedEnum.Described;
import io.datasync.nifi.processors.common.PiiSafeErrors;
import io.datasync.nifi.webhook.EventIdLocation;
import io.datasync.nifi.webhook.GenericSignatureScheme;
import io.datasync.nifi.webhook.HeaderLookup;
import io.datasync.nifi.webhook.HmacAlgorithm;
import io.datasync.nifi.webhook.JsonEventIds;
import io.datasync.nifi.webhook.RejectionReason;
import io.datasync.nifi.webhook.ShopifySignatureScheme;
import io.datasync.nifi.webhook.SignatureEncoding;
import io.datasync.nifi.webhook.SignatureScheme;
import io.datasync.nifi.webhook.StripeSignatureScheme;
import io.datasync.nifi.webhook.Verification;
import io.datasync.nifi.webhook.VerificationResult;
import io.datasync.nifi.webhook.WebhookEventKeys;
import io.datasync.nifi.webhook.WebhookVerifier;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.ReadsAttribute;
import org.apache.nifi.annotation.behavior.ReadsAttributes;
import org.apache.nifi.annotation.behavior.SupportsBatching;
import org.apache.nifi.annotation.behavior.WritesAttribute;
import org.apache.nifi.annotation.behavior.WritesAttributes;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.MultiProcessorUseCase;
import org.apache.nifi.annotation.documentation.ProcessorConfiguration;
import org.apache.nifi.annotation.documentation.SeeAlso;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.annotation.documentation.UseCase;
import org.apache.nifi.annotation.lifecycle.OnScheduled;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationContext;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.components.Validator;
import org.apache.nifi.distributed.cache.client.Deserializer;
import org.apache.nifi.distributed.cache.client.DistributedMapCacheClient;
import org.apache.nifi.distributed.cache.client.Serializer;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.flowfile.attributes.CoreAttributes;
import org.apache.nifi.processor.AbstractProcessor;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.processor.util.StandardValidators;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

@Tags({"webhook", "hmac", "signature", "verify", "authentication", "replay", "deduplicate", "shopify", "stripe", "github", "http"})
@CapabilityDescription("Verifies the HMAC signature of a webhook request received by HandleHttpRequest or ListenHTTP, using the "
        + "FlowFile content as the raw request body and the request headers from the FlowFile attributes (HandleHttpRequest's "
        + "http.headers.<Name> attributes, or ListenHTTP's plain header attributes; names are matched case-insensitively). "
        + "Presets cover Shopify (Base64 HMAC-SHA256 of the body in X-Shopify-Hmac-Sha256) and Stripe (Stripe-Signature: "
        + "t=<unix>,v1=<hex> over <t>.<body>); the Generic scheme reads a hex or Base64 HMAC-SHA256 or HMAC-SHA1 from a named "
        + "header with an optional prefix such as GitHub's sha256=. Signatures are compared in constant time; a current and a "
        + "previous secret are both accepted during a secret rotation; signed timestamps outside the tolerance are rejected as "
        + "replays (a tolerance of 0 turns that check off); optionally, redelivered events are detected by event id through a "
        + "Distributed Map Cache, recorded as keyed hashes with the FlowFile's uuid as its claim, so a FlowFile retried after a "
        + "rollback is still the first delivery; for Shopify, which signs no timestamp, a replay under a new webhook id is caught "
        + "by the signed body's object id and updated_at. Each FlowFile gets "
        + "webhook.status.code (200, 401 or 503) for a HandleHttpResponse whose HTTP Status Code is ${webhook.status.code}.")
@InputRequirement(InputRequirement.Requirement.INPUT_REQUIRED)
// Batching is safe: the only write outside NiFi is the event-id claim in the Distributed Map Cache, and it carries the
// FlowFile's uuid, so a FlowFile rolled back with its batch finds its own claim on the next attempt and is still the
// first delivery (a duplicate only when another FlowFile made the claim).
@SupportsBatching
@ReadsAttributes({
    @ReadsAttribute(attribute = "http.headers.*", description = "The request headers as HandleHttpRequest writes them: the signature "
            + "header of the scheme (X-Shopify-Hmac-Sha256, Stripe-Signature, or the Signature Header Name), the timestamp header "
            + "named by Timestamp Header Name (Generic scheme) when set, the event id header for deduplication (X-Shopify-Webhook-Id, or the Event ID Header "
            + "Name), and X-Shopify-Topic for Shopify body deduplication. Names are matched case-insensitively."),
    @ReadsAttribute(attribute = "<header name>", description = "The same headers under their plain names, as ListenHTTP writes the "
            + "headers matched by its HTTP Headers to receive as Attributes (Regex); used when the http.headers. form is absent."),
    @ReadsAttribute(attribute = "uuid", description = "Recorded as the claim of the event id in the Distributed Map Cache, so a "
            + "FlowFile retried after a rollback is recognised as the first delivery.")
})
@WritesAttributes({
    @WritesAttribute(attribute = VerifyWebhookSignature.ATTR_STATUS_CODE, description = "HTTP status to answer the sender with: "
            + "200 for valid and duplicate requests, 401 for invalid ones, 503 when the deduplication cache failed (the sender retries)."),
    @WritesAttribute(attribute = VerifyWebhookSignature.ATTR_SCHEME, description = "The signature scheme used: SHOPIFY, STRIPE or GENERIC."),
    @WritesAttribute(attribute = VerifyWebhookSignature.ATTR_INVALID_REASON, description = "On invalid requests, why: MISSING_SIGNATURE, "
            + "MALFORMED_SIGNATURE_HEADER, BAD_SIGNATURE, MISSING_TIMESTAMP, MALFORMED_TIMESTAMP, TIMESTAMP_OUTSIDE_TOLERANCE or EMPTY_BODY. "
            + "Never contains a secret or an expected signature."),
    @WritesAttribute(attribute = VerifyWebhookSignature.ATTR_SECRET_MATCHED, description = "On verified requests, which secret matched: "
            + "'current' or 'previous'. When no request has matched 'previous' for a while, the rotation is complete."),
    @WritesAttribute(attribute = VerifyWebhookSignature.ATTR_TIMESTAMP, description = "The request's timestamp in Unix seconds, for schemes that have one."),
    @WritesAttribute(attribute = VerifyWebhookSignature.ATTR_EVENT_ID, description = "The event id used for deduplication, when deduplication is on and an id was found."),
    @WritesAttribute(attribute = VerifyWebhookSignature.ATTR_DUPLICATE_OF, description = "On duplicates, what was seen before: "
            + "'event id', or 'body' for a Shopify body already accepted under another webhook id (a replay)."),
    @WritesAttribute(attribute = VerifyWebhookSignature.ATTR_ERROR, description = "On failure, why the deduplication cache could not be used "
            + "(the exception type only).")
})
@SeeAlso(classNames = {
    "org.apache.nifi.processors.standard.HandleHttpRequest",
    "org.apache.nifi.processors.standard.HandleHttpResponse",
    "org.apache.nifi.processors.standard.ListenHTTP",
    "org.apache.nifi.processors.standard.DetectDuplicate"
})
@UseCase(
    description = "Accept only Shopify webhooks that Shopify really signed, and drop Shopify's redeliveries of the same event.",
    keywords = {"shopify", "webhook", "hmac", "verify"},
    configuration = """
        Set "Signature Scheme" to "Shopify".
        Set "Secret" to the app's client secret (the secret shown with the app's API credentials), preferably as a sensitive parameter: #{shopify.webhook.secret}.
        To deduplicate, set "Distributed Map Cache Client" to a DistributedMapCacheClientService pointing at a MapCacheServer, and keep "Event ID Source" at "Scheme Default" (the X-Shopify-Webhook-Id header).
        Keep "Shopify Body Deduplication" at "true" so that a captured request replayed with a new X-Shopify-Webhook-Id is caught by its signed object id and updated_at.
        Connect the incoming connection from HandleHttpRequest. Route 'valid' both to the next steps and to a HandleHttpResponse whose "HTTP Status Code" is ${webhook.status.code}; route 'duplicate', 'invalid' and 'failure' to that HandleHttpResponse only.
        """
)
@UseCase(
    description = "Accept only Stripe webhooks whose Stripe-Signature matches and whose signed timestamp is recent, and drop redelivered events.",
    keywords = {"stripe", "webhook", "signature", "replay"},
    configuration = """
        Set "Signature Scheme" to "Stripe".
        Set "Secret" to the endpoint's signing secret, the whole "whsec_..." text, preferably as a sensitive parameter: #{stripe.webhook.secret}.
        Keep "Timestamp Tolerance" at "5 min" (Stripe's own libraries use the same default).
        To deduplicate, set "Distributed Map Cache Client" and keep "Event ID Source" at "Scheme Default" (the event id at /id in the JSON body).
        """
)
@UseCase(
    description = "Verify GitHub-style webhooks: a hex HMAC-SHA256 of the body in a header, behind the prefix sha256=.",
    keywords = {"github", "hmac", "sha256", "webhook"},
    configuration = """
        Set "Signature Scheme" to "Generic".
        Set "Signature Header Name" to "X-Hub-Signature-256" and "Signature Prefix" to "sha256=".
        Set "HMAC Algorithm" to "HMAC-SHA256" and "Signature Encoding" to "Hex".
        Set "Secret" to the webhook's secret.
        To deduplicate, set "Distributed Map Cache Client", "Event ID Source" to "Header" and "Event ID Header Name" to "X-GitHub-Delivery".
        """
)
@MultiProcessorUseCase(
    description = "Receive signed webhooks over HTTP and answer 200 to authentic ones and 401 to forged or replayed ones with a single HandleHttpResponse.",
    keywords = {"webhook", "http", "401", "HandleHttpResponse"},
    configurations = {
        @ProcessorConfiguration(
            processorClassName = "org.apache.nifi.processors.standard.HandleHttpRequest",
            configuration = """
                Set "Listening Port" to the webhook port, "Allowed Paths" to the webhook path (for example /webhooks/shopify), "Allow POST" to true.
                Set "HTTP Context Map" to a StandardHttpContextMap and "SSL Context Service" to serve HTTPS.
                Connect 'success' to VerifyWebhookSignature.
                """
        ),
        @ProcessorConfiguration(
            processorClassName = "io.datasync.nifi.processors.VerifyWebhookSignature",
            configuration = """
                Configure "Signature Scheme" and "Secret" for the sender.
                Connect 'valid' and 'duplicate' to HandleHttpResponse and 'valid' also to the processing that follows.
                Connect 'invalid' and 'failure' to HandleHttpResponse.
                """
        ),
        @ProcessorConfiguration(
            processorClassName = "org.apache.nifi.processors.standard.HandleHttpResponse",
            configuration = """
                Set "HTTP Status Code" to ${webhook.status.code} and "HTTP Context Map" to the same StandardHttpContextMap.
                Auto-terminate 'success' and route 'failure' to a funnel for inspection.
                """
        )
    }
)
public class VerifyWebhookSignature extends AbstractProcessor {

    public static final String ATTR_STATUS_CODE = "webhook.status.code";
    public static final String ATTR_SCHEME = "webhook.scheme";
    public static final String ATTR_INVALID_REASON = "webhook.invalid.reason";
    public static final String ATTR_SECRET_MATCHED = "webhook.secret.matched";
    public static final String ATTR_TIMESTAMP = "webhook.timestamp";
    public static final String ATTR_EVENT_ID = "webhook.event.id";
    public static final String ATTR_ERROR = "webhook.error";
    public static final String ATTR_DUPLICATE_OF = "webhook.duplicate.of";

    static final String DUPLICATE_OF_EVENT_ID = "event id";
    /** NiFi counters; names carry no request data. */
    static final String COUNTER_ACCEPTED = "VerifyWebhookSignature webhooks accepted";
    static final String COUNTER_REJECTED_PREFIX = "VerifyWebhookSignature webhooks rejected ";
    static final String COUNTER_DUPLICATES = "VerifyWebhookSignature duplicates";
    static final String COUNTER_CACHE_FAILURES = "VerifyWebhookSignature cache failures";
    static final String DUPLICATE_OF_BODY = "body";
    static final String SHOPIFY_TOPIC_HEADER = "X-Shopify-Topic";
    static final String SHOPIFY_BODY_NAMESPACE = "SHOPIFY-BODY";
    private static final String BODY_GRAPHQL_ID = "admin_graphql_api_id";
    private static final String BODY_ID = "id";
    private static final String BODY_UPDATED_AT = "updated_at";

    static final int STATUS_OK = 200;
    static final int STATUS_UNAUTHORIZED = 401;
    static final int STATUS_SERVICE_UNAVAILABLE = 503;

    static final String SECRET_CURRENT = "current";
    static final String SECRET_PREVIOUS = "previous";

    public enum Scheme implements DescribedEnum {
        SHOPIFY("Shopify", "Base64 HMAC-SHA256 of the raw body in the X-Shopify-Hmac-Sha256 header; no timestamp. Event id: X-Shopify-Webhook-Id header."),
        STRIPE("Stripe", "Stripe-Signature header t=<unix seconds>,v1=<hex>[,v1=...], each v1 the hex HMAC-SHA256 of <t>.<body>. "
                + "Event id: /id in the JSON body."),
        GENERIC("Generic", "An HMAC of the body (optionally of <timestamp><separator><body>) in a configured header, with a "
                + "configured algorithm, encoding and prefix.");

        private final Described described;

        Scheme(final String displayName, final String description) {
            this.described = new Described(displayName, description);
        }

        @Override
        public Described described() {
            return described;
        }
    }

    public enum Algorithm implements DescribedEnum {
        HMAC_SHA256("HMAC-SHA256", HmacAlgorithm.HMAC_SHA256),
        HMAC_SHA1("HMAC-SHA1", HmacAlgorithm.HMAC_SHA1);

        private final Described described;
        private final HmacAlgorithm hmacAlgorithm;

        Algorithm(final String displayName, final HmacAlgorithm hmacAlgorithm) {
            this.described = new Described(displayName, displayName + " keyed with the secret's UTF-8 bytes");
            this.hmacAlgorithm = hmacAlgorithm;
        }

        @Override
        public Described described() {
            return described;
        }
    }

    public enum Encoding implements DescribedEnum {
        HEX("Hex", "Hexadecimal digits, upper or lower case", SignatureEncoding.HEX),
        BASE64("Base64", "Standard Base64 with padding", SignatureEncoding.BASE64);

        private final Described described;
        private final SignatureEncoding signatureEncoding;

        Encoding(final String displayName, final String description, final SignatureEncoding signatureEncoding) {
            this.described = new Described(displayName, description);
            this.signatureEncoding = signatureEncoding;
        }

        @Override
        public Described described() {
            return described;
        }
    }

    public enum SignedContent implements DescribedEnum {
        BODY("Body", "The HMAC covers the body only; the timestamp header is checked against the tolerance but is not signed."),
        TIMESTAMP_AND_BODY("Timestamp and Body", "The HMAC covers <timestamp><separator><body>, so the timestamp cannot be altered.");

        private final Described described;

        SignedContent(final String displayName, final String description) {
            this.described = new Described(displayName, description);
        }

        @Override
        public Described described() {
            return described;
        }
    }

    public enum EventIdSource implements DescribedEnum {
        SCHEME_DEFAULT("Scheme Default", "Shopify: the X-Shopify-Webhook-Id header; Stripe: /id in the JSON body. Not available for Generic."),
        HEADER("Header", "A request header named by Event ID Header Name."),
        JSON_POINTER("JSON Pointer", "A value in the JSON body found by Event ID JSON Pointer.");

        private final Described described;

        EventIdSource(final String displayName, final String description) {
            this.described = new Described(displayName, description);
        }

        @Override
        public Described described() {
            return described;
        }
    }

    private static final Validator JSON_POINTER_VALIDATOR = (subject, input, context) -> {
        try {
            JsonEventIds.compile(input);
            return new ValidationResult.Builder().subject(subject).input(input).valid(true).build();
        } catch (final IllegalArgumentException e) {
            return new ValidationResult.Builder().subject(subject).input(input).valid(false)
                    .explanation("not a JSON Pointer (such as /id or /data/object/id): " + e.getMessage()).build();
        }
    };

    public static final PropertyDescriptor SIGNATURE_SCHEME = new PropertyDescriptor.Builder()
            .name("Signature Scheme")
            .description("How the sender signs its requests.")
            .required(true)
            .allowableValues(Scheme.class)
            .defaultValue(Scheme.SHOPIFY)
            .build();

    public static final PropertyDescriptor SECRET = new PropertyDescriptor.Builder()
            .name("Secret")
            .description("The shared secret the sender signs with, used as UTF-8 text (Stripe's whole whsec_... value, Shopify's app client secret).")
            .required(true)
            .sensitive(true)
            .addValidator(StandardValidators.NON_EMPTY_VALIDATOR)
            .build();

    public static final PropertyDescriptor PREVIOUS_SECRET = new PropertyDescriptor.Builder()
            .name("Previous Secret")
            .description("During a secret rotation, the secret being replaced: requests signed with either secret are accepted. "
                    + "Clear it once " + ATTR_SECRET_MATCHED + " no longer shows 'previous'.")
            .required(false)
            .sensitive(true)
            .addValidator(StandardValidators.NON_EMPTY_VALIDATOR)
            .build();

    public static final PropertyDescriptor SIGNATURE_HEADER_NAME = new PropertyDescriptor.Builder()
            .name("Signature Header Name")
            .description("The request header holding the signature, for example X-Hub-Signature-256.")
            .required(true)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(SIGNATURE_SCHEME, Scheme.GENERIC)
            .build();

    public static final PropertyDescriptor SIGNATURE_PREFIX = new PropertyDescriptor.Builder()
            .name("Signature Prefix")
            .description("Text before the encoded signature in the header, matched case-insensitively, for example sha256=. "
                    + "A header without it is rejected as MALFORMED_SIGNATURE_HEADER.")
            .required(false)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(SIGNATURE_SCHEME, Scheme.GENERIC)
            .build();

    public static final PropertyDescriptor HMAC_ALGORITHM = new PropertyDescriptor.Builder()
            .name("HMAC Algorithm")
            .description("The HMAC the sender computes.")
            .required(true)
            .allowableValues(Algorithm.class)
            .defaultValue(Algorithm.HMAC_SHA256)
            .dependsOn(SIGNATURE_SCHEME, Scheme.GENERIC)
            .build();

    public static final PropertyDescriptor SIGNATURE_ENCODING = new PropertyDescriptor.Builder()
            .name("Signature Encoding")
            .description("How the HMAC bytes are written in the header.")
            .required(true)
            .allowableValues(Encoding.class)
            .defaultValue(Encoding.HEX)
            .dependsOn(SIGNATURE_SCHEME, Scheme.GENERIC)
            .build();

    public static final PropertyDescriptor TIMESTAMP_HEADER_NAME = new PropertyDescriptor.Builder()
            .name("Timestamp Header Name")
            .description("A request header holding the request time in Unix seconds. When set, requests without it, or with a time "
                    + "outside the Timestamp Tolerance, are invalid.")
            .required(false)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(SIGNATURE_SCHEME, Scheme.GENERIC)
            .build();

    public static final PropertyDescriptor SIGNED_CONTENT = new PropertyDescriptor.Builder()
            .name("Signed Content")
            .description("What the sender's HMAC covers.")
            .required(true)
            .allowableValues(SignedContent.class)
            .defaultValue(SignedContent.BODY)
            .dependsOn(TIMESTAMP_HEADER_NAME)
            .build();

    public static final PropertyDescriptor TIMESTAMP_SEPARATOR = new PropertyDescriptor.Builder()
            .name("Timestamp Separator")
            .description("The text between the timestamp and the body in the signed content.")
            .required(true)
            .defaultValue(".")
            .addValidator(StandardValidators.NON_EMPTY_VALIDATOR)
            .dependsOn(SIGNED_CONTENT, SignedContent.TIMESTAMP_AND_BODY)
            .build();

    public static final PropertyDescriptor TIMESTAMP_TOLERANCE = new PropertyDescriptor.Builder()
            .name("Timestamp Tolerance")
            .description("How far a request's timestamp may be from this node's clock, into the past or the future, before the "
                    + "request is rejected as a replay (TIMESTAMP_OUTSIDE_TOLERANCE). Allow for clock skew and for queueing "
                    + "before this processor. 0 sec turns the check off (as in Stripe's own libraries): signed timestamps are then "
                    + "reported but never rejected.")
            .required(true)
            .defaultValue("5 min")
            .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
            .dependsOn(SIGNATURE_SCHEME, Scheme.STRIPE, Scheme.GENERIC)
            .build();

    public static final PropertyDescriptor DISTRIBUTED_MAP_CACHE = new PropertyDescriptor.Builder()
            .name("Distributed Map Cache Client")
            .description("When set, each verified event id is recorded in this cache with an atomic put-if-absent, and a request whose "
                    + "event id is already there goes to 'duplicate'. The stock cache server has no time-to-live: size it with "
                    + "Maximum Cache Entries and an eviction strategy (see the additional details).")
            .required(false)
            .identifiesControllerService(DistributedMapCacheClient.class)
            .build();

    public static final PropertyDescriptor EVENT_ID_SOURCE = new PropertyDescriptor.Builder()
            .name("Event ID Source")
            .description("Where the event id used for deduplication is found.")
            .required(true)
            .allowableValues(EventIdSource.class)
            .defaultValue(EventIdSource.SCHEME_DEFAULT)
            .dependsOn(DISTRIBUTED_MAP_CACHE)
            .build();

    public static final PropertyDescriptor EVENT_ID_HEADER_NAME = new PropertyDescriptor.Builder()
            .name("Event ID Header Name")
            .description("The request header holding the event id, for example X-GitHub-Delivery.")
            .required(true)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(EVENT_ID_SOURCE, EventIdSource.HEADER)
            .build();

    public static final PropertyDescriptor EVENT_ID_JSON_POINTER = new PropertyDescriptor.Builder()
            .name("Event ID JSON Pointer")
            .description("A JSON Pointer (RFC 6901) to the event id in the JSON body, for example /id or /event/id.")
            .required(true)
            .addValidator(JSON_POINTER_VALIDATOR)
            .dependsOn(EVENT_ID_SOURCE, EventIdSource.JSON_POINTER)
            .build();

    public static final PropertyDescriptor SHOPIFY_BODY_DEDUPLICATION = new PropertyDescriptor.Builder()
            .name("Shopify Body Deduplication")
            .description("Shopify signs no timestamp, so a captured request can be replayed with a fresh X-Shopify-Webhook-Id. When "
                    + "true, a request whose signed body carries an object id (admin_graphql_api_id, else id) and updated_at is also "
                    + "recorded under those values and the X-Shopify-Topic header, and a second request with the same three goes to "
                    + "'duplicate'. Bodies without both fields (deletions, for example) are checked by webhook id only.")
            .required(true)
            .allowableValues("true", "false")
            .defaultValue("true")
            .dependsOn(SIGNATURE_SCHEME, Scheme.SHOPIFY)
            .dependsOn(DISTRIBUTED_MAP_CACHE)
            .build();

    public static final PropertyDescriptor EVENT_KEY_HASH_KEY = new PropertyDescriptor.Builder()
            .name("Event Key Hash Key")
            .description("Secret key of the HMAC-SHA256 under which event ids (and Shopify body identities) are recorded in the cache, "
                    + "so that whoever can read the cache cannot confirm a guessed id. When not set, the Secret is the key; changing "
                    + "the key (or, without one, the Secret) starts a new deduplication history.")
            .required(false)
            .sensitive(true)
            .addValidator(StandardValidators.NON_EMPTY_VALIDATOR)
            .dependsOn(DISTRIBUTED_MAP_CACHE)
            .build();

    private static final List<PropertyDescriptor> PROPERTY_DESCRIPTORS = List.of(
            SIGNATURE_SCHEME,
            SECRET,
            PREVIOUS_SECRET,
            SIGNATURE_HEADER_NAME,
            SIGNATURE_PREFIX,
            HMAC_ALGORITHM,
            SIGNATURE_ENCODING,
            TIMESTAMP_HEADER_NAME,
            SIGNED_CONTENT,
            TIMESTAMP_SEPARATOR,
            TIMESTAMP_TOLERANCE,
            DISTRIBUTED_MAP_CACHE,
            EVENT_ID_SOURCE,
            EVENT_ID_HEADER_NAME,
            EVENT_ID_JSON_POINTER,
            SHOPIFY_BODY_DEDUPLICATION,
            EVENT_KEY_HASH_KEY
    );

    public static final Relationship REL_VALID = new Relationship.Builder()
            .name("valid")
            .description("Requests whose signature matches a configured secret, with a timestamp within the tolerance and, when "
                    + "deduplicating, an event id not seen before.")
            .build();

    public static final Relationship REL_INVALID = new Relationship.Builder()
            .name("invalid")
            .description("Requests that are unsigned, forged, altered or outside the replay window; " + ATTR_INVALID_REASON + " says why.")
            .build();

    public static final Relationship REL_DUPLICATE = new Relationship.Builder()
            .name("duplicate")
            .description("Authentic requests whose event id was already recorded in the cache: redeliveries of an event already accepted.")
            .build();

    public static final Relationship REL_FAILURE = new Relationship.Builder()
            .name("failure")
            .description("Authentic requests that could not be checked for duplicates because the cache failed, with " + ATTR_ERROR
                    + " and status 503 so the sender retries. Not penalized: HandleHttpResponse must answer before the sender times out.")
            .build();

    private static final Set<Relationship> RELATIONSHIPS = Set.of(REL_VALID, REL_INVALID, REL_DUPLICATE, REL_FAILURE);

    private static final Serializer<String> UTF8_SERIALIZER = (value, out) -> out.write(value.getBytes(StandardCharsets.UTF_8));
    private static final Deserializer<String> UTF8_DESERIALIZER =
            input -> input == null || input.length == 0 ? null : new String(input, StandardCharsets.UTF_8);

    private volatile Clock clock = Clock.systemUTC();
    private volatile WebhookVerifier verifier;
    private volatile DistributedMapCacheClient cache;
    private volatile EventIdLocation eventIdLocation;
    private volatile JsonPointer eventIdPointer;
    private volatile byte[] eventKeyHashKey;
    private volatile boolean shopifyBodyDeduplication;

    @Override
    public Set<Relationship> getRelationships() {
        return RELATIONSHIPS;
    }

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return PROPERTY_DESCRIPTORS;
    }

    /**
     * Lets tests fix the time against which timestamps are checked.
     */
    void setClock(final Clock clock) {
        this.clock = clock;
    }

    @Override
    protected Collection<ValidationResult> customValidate(final ValidationContext context) {
        final List<ValidationResult> results = new ArrayList<>();
        final Scheme scheme = context.getProperty(SIGNATURE_SCHEME).asAllowableValue(Scheme.class);
        if (context.getProperty(DISTRIBUTED_MAP_CACHE).isSet() && scheme == Scheme.GENERIC
                && context.getProperty(EVENT_ID_SOURCE).asAllowableValue(EventIdSource.class) == EventIdSource.SCHEME_DEFAULT) {
            results.add(new ValidationResult.Builder()
                    .subject(EVENT_ID_SOURCE.getName())
                    .valid(false)
                    .explanation("the Generic scheme has no default event id; choose Header or JSON Pointer")
                    .build());
        }
        return results;
    }

    @OnScheduled
    public void onScheduled(final ProcessContext context) {
        final SignatureScheme scheme = createScheme(context);
        final List<String> secrets = new ArrayList<>(2);
        secrets.add(context.getProperty(SECRET).getValue());
        if (context.getProperty(PREVIOUS_SECRET).isSet()) {
            secrets.add(context.getProperty(PREVIOUS_SECRET).getValue());
        }
        // Shopify has no timestamp, so its tolerance is never consulted (nor read: the property depends on the other schemes).
        final Long toleranceMillis = scheme instanceof ShopifySignatureScheme
                ? null : context.getProperty(TIMESTAMP_TOLERANCE).asTimePeriod(TimeUnit.MILLISECONDS);
        final Duration tolerance = toleranceMillis == null ? Duration.ZERO : Duration.ofMillis(toleranceMillis);
        verifier = new WebhookVerifier(scheme, secrets, tolerance, clock);

        cache = context.getProperty(DISTRIBUTED_MAP_CACHE).asControllerService(DistributedMapCacheClient.class);
        eventIdLocation = cache == null ? null : eventIdLocation(context, scheme);
        eventIdPointer = eventIdLocation != null && eventIdLocation.kind() == EventIdLocation.Kind.JSON_POINTER
                ? JsonEventIds.compile(eventIdLocation.location())
                : null;
        final String hashKey = cache != null && context.getProperty(EVENT_KEY_HASH_KEY).isSet()
                ? context.getProperty(EVENT_KEY_HASH_KEY).getValue()
                : context.getProperty(SECRET).getValue();
        eventKeyHashKey = hashKey.getBytes(StandardCharsets.UTF_8);
        shopifyBodyDeduplication = cache != null && scheme instanceof ShopifySignatureScheme
                && context.getProperty(SHOPIFY_BODY_DEDUPLICATION).asBoolean();
    }

    private static SignatureScheme createScheme(final ProcessContext context) {
        return switch (context.getProperty(SIGNATURE_SCHEME).asAllowableValue(Scheme.class)) {
            case SHOPIFY -> new ShopifySignatureScheme();
            case STRIPE -> new StripeSignatureScheme();
            case GENERIC -> {
                final String timestampHeader = context.getProperty(TIMESTAMP_HEADER_NAME).getValue();
                final boolean timestampSigned = timestampHeader != null
                        && context.getProperty(SIGNED_CONTENT).asAllowableValue(SignedContent.class) == SignedContent.TIMESTAMP_AND_BODY;
                yield new GenericSignatureScheme(
                        context.getProperty(SIGNATURE_HEADER_NAME).getValue(),
                        context.getProperty(SIGNATURE_PREFIX).getValue(),
                        context.getProperty(HMAC_ALGORITHM).asAllowableValue(Algorithm.class).hmacAlgorithm,
                        context.getProperty(SIGNATURE_ENCODING).asAllowableValue(Encoding.class).signatureEncoding,
                        timestampHeader,
                        timestampSigned ? context.getProperty(TIMESTAMP_SEPARATOR).getValue() : null);
            }
        };
    }

    private static EventIdLocation eventIdLocation(final ProcessContext context, final SignatureScheme scheme) {
        return switch (context.getProperty(EVENT_ID_SOURCE).asAllowableValue(EventIdSource.class)) {
            case SCHEME_DEFAULT -> scheme.defaultEventIdLocation()
                    .orElseThrow(() -> new ProcessException("The signature scheme has no default event id location"));
            case HEADER -> EventIdLocation.header(context.getProperty(EVENT_ID_HEADER_NAME).getValue());
            case JSON_POINTER -> EventIdLocation.jsonPointer(context.getProperty(EVENT_ID_JSON_POINTER).getValue());
        };
    }

    @Override
    public void onTrigger(final ProcessContext context, final ProcessSession session) throws ProcessException {
        FlowFile flowFile = session.get();
        if (flowFile == null) {
            return;
        }

        final HeaderLookup headers = HeaderLookup.of(flowFile.getAttributes());
        final Verification verification = verifier.begin(headers);
        final AtomicReference<String> bodyEventId = new AtomicReference<>();
        if (!verification.isRejectedByHeaders()) {
            // One pass over the body: the HMACs see every byte, the JSON parser (if any) reads through them.
            session.read(flowFile, in -> {
                final InputStream signedBody = verification.signedBody(in);
                if (eventIdPointer != null) {
                    bodyEventId.set(JsonEventIds.find(signedBody, eventIdPointer).orElse(null));
                }
                verification.drain(signedBody);
            });
        }
        final VerificationResult result = verification.finish();

        final Map<String, String> attributes = new HashMap<>();
        attributes.put(ATTR_SCHEME, context.getProperty(SIGNATURE_SCHEME).getValue());
        if (result.timestampSeconds() != null) {
            attributes.put(ATTR_TIMESTAMP, String.valueOf(result.timestampSeconds()));
        }

        if (!result.isValid()) {
            final RejectionReason reason = result.rejection();
            attributes.put(ATTR_INVALID_REASON, reason.name());
            attributes.put(ATTR_STATUS_CODE, String.valueOf(STATUS_UNAUTHORIZED));
            flowFile = session.putAllAttributes(flowFile, attributes);
            getLogger().debug("{} is not an authentic webhook request: {}", flowFile, reason);
            session.adjustCounter(COUNTER_REJECTED_PREFIX + reason.name(), 1, false);
            route(session, flowFile, REL_INVALID, reason.name());
            return;
        }

        attributes.put(ATTR_SECRET_MATCHED, result.matchedSecretIndex() == 0 ? SECRET_CURRENT : SECRET_PREVIOUS);
        if (cache == null) {
            attributes.put(ATTR_STATUS_CODE, String.valueOf(STATUS_OK));
            accept(session, session.putAllAttributes(flowFile, attributes));
            return;
        }

        final Optional<String> eventId = eventIdLocation.kind() == EventIdLocation.Kind.HEADER
                ? headers.get(eventIdLocation.location())
                : Optional.ofNullable(bodyEventId.get());
        final String bodyIdentity;
        try {
            bodyIdentity = shopifyBodyDeduplication ? shopifyBodyIdentity(session, flowFile, headers) : null;
        } catch (final ProcessException e) {
            routeCacheFailure(session, flowFile, attributes, e);
            return;
        }
        if (eventId.isEmpty() && bodyIdentity == null) {
            // Authentic but without an id: passing it on risks a duplicate, rejecting it would lose an event.
            getLogger().warn("{} is authentic but has no event id at {}; passed on without a duplicate check", flowFile, eventIdLocation.location());
            attributes.put(ATTR_STATUS_CODE, String.valueOf(STATUS_OK));
            accept(session, session.putAllAttributes(flowFile, attributes));
            return;
        }
        eventId.ifPresent(id -> attributes.put(ATTR_EVENT_ID, id));

        // The FlowFile's uuid is its claim: after a rollback or a restart the same FlowFile finds its own
        // claim and is still the first delivery; any other FlowFile finding it is a redelivery.
        final String claim = flowFile.getAttribute(CoreAttributes.UUID.key());
        String duplicateOf = null;
        try {
            if (eventId.isPresent()) {
                final String eventKey = WebhookEventKeys.cacheKey(verifier.getScheme().dedupNamespace(), eventId.get(), eventKeyHashKey);
                if (!claims(eventKey, claim)) {
                    duplicateOf = DUPLICATE_OF_EVENT_ID;
                }
            }
            if (duplicateOf == null && bodyIdentity != null) {
                final String bodyKey = WebhookEventKeys.cacheKey(SHOPIFY_BODY_NAMESPACE, bodyIdentity, eventKeyHashKey);
                if (!claims(bodyKey, claim)) {
                    duplicateOf = DUPLICATE_OF_BODY;
                }
            }
        } catch (final IOException | RuntimeException e) {
            routeCacheFailure(session, flowFile, attributes, e);
            return;
        }

        attributes.put(ATTR_STATUS_CODE, String.valueOf(STATUS_OK));
        if (duplicateOf == null) {
            accept(session, session.putAllAttributes(flowFile, attributes));
        } else {
            attributes.put(ATTR_DUPLICATE_OF, duplicateOf);
            flowFile = session.putAllAttributes(flowFile, attributes);
            getLogger().debug("{} is a redelivery: its {} was already accepted", flowFile, duplicateOf);
            session.adjustCounter(COUNTER_DUPLICATES, 1, false);
            route(session, flowFile, REL_DUPLICATE, null);
        }
    }

    /**
     * @return true when the key was free or already held this claim (the same FlowFile, retried)
     */
    private boolean claims(final String key, final String claim) throws IOException {
        final String previous = cache.getAndPutIfAbsent(key, claim, UTF8_SERIALIZER, UTF8_SERIALIZER, UTF8_DESERIALIZER);
        return previous == null || previous.equals(claim);
    }

    /**
     * The signed body's identity for Shopify replay detection: topic, object id and updated_at, or null
     * when the body lacks the id or updated_at.
     */
    private static String shopifyBodyIdentity(final ProcessSession session, final FlowFile flowFile, final HeaderLookup headers) {
        final AtomicReference<Map<String, String>> fields = new AtomicReference<>(Map.of());
        session.read(flowFile, in -> fields.set(JsonEventIds.findTopLevel(in, Set.of(BODY_GRAPHQL_ID, BODY_ID, BODY_UPDATED_AT))));
        final String objectId = fields.get().getOrDefault(BODY_GRAPHQL_ID, fields.get().get(BODY_ID));
        final String updatedAt = fields.get().get(BODY_UPDATED_AT);
        if (objectId == null || updatedAt == null) {
            return null;
        }
        return headers.get(SHOPIFY_TOPIC_HEADER).orElse("") + '\u0000' + objectId + '\u0000' + updatedAt;
    }

    private void routeCacheFailure(final ProcessSession session, final FlowFile flowFile, final Map<String, String> attributes, final Exception e) {
        attributes.put(ATTR_STATUS_CODE, String.valueOf(STATUS_SERVICE_UNAVAILABLE));
        attributes.put(ATTR_ERROR, PiiSafeErrors.describe(e));
        final FlowFile failed = session.putAllAttributes(flowFile, attributes);
        getLogger().error("Could not check {} for a redelivery in the Distributed Map Cache ({}); routing to failure",
                failed, PiiSafeErrors.describe(e), PiiSafeErrors.redacted(e));
        // Not penalized: the 503 must reach the sender now, not after the penalty.
        session.adjustCounter(COUNTER_CACHE_FAILURES, 1, false);
        route(session, failed, REL_FAILURE, null);
    }

    private static void accept(final ProcessSession session, final FlowFile flowFile) {
        session.adjustCounter(COUNTER_ACCEPTED, 1, false);
        route(session, flowFile, REL_VALID, null);
    }

    private static void route(final ProcessSession session, final FlowFile flowFile, final Relationship relationship, final String details) {
        if (details == null) {
            session.getProvenanceReporter().route(flowFile, relationship);
        } else {
            session.getProvenanceReporter().route(flowFile, relationship, details);
        }
        session.transfer(flowFile, relationship);
    }
}
