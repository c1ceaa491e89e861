package io.datasync.nifi.processors.webhook;

import io.datasync.nifi.processors.common.DescribedEnum.Described;
import io.datasync.nifi.processors.common.DescribedEnum;
import io.datasync.nifi.processors.common.JsonPointerValidator;
import io.datasync.nifi.webhook.HmacAlgorithm;
import io.datasync.nifi.webhook.SignatureEncoding;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.distributed.cache.client.DistributedMapCacheClient;
import org.apache.nifi.processor.AbstractProcessor;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.util.StandardValidators;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@link io.datasync.nifi.processors.VerifyWebhookSignature} offers in the UI: the attributes it writes, its counters, its property
 * descriptors with their allowable values and validators, and its relationships. Kept apart from the processor so
 * that the processor class reads as the wiring of NiFi to the plain-Java classes of {@code io.datasync.nifi.webhook}.
 */
public abstract class VerifyWebhookSignatureDescriptors extends AbstractProcessor {

    public static final String ATTR_STATUS_CODE = "webhook.status.code";
    public static final String ATTR_SCHEME = "webhook.scheme";
    public static final String ATTR_INVALID_REASON = "webhook.invalid.reason";
    public static final String ATTR_SECRET_MATCHED = "webhook.secret.matched";
    public static final String ATTR_TIMESTAMP = "webhook.timestamp";
    public static final String ATTR_EVENT_ID = "webhook.event.id";
    public static final String ATTR_ERROR = "webhook.error";
    public static final String ATTR_DUPLICATE_OF = "webhook.duplicate.of";

    protected static final String DUPLICATE_OF_EVENT_ID = "event id";
    /** NiFi counters; names carry no request data. */
    protected static final String COUNTER_ACCEPTED = "VerifyWebhookSignature webhooks accepted";
    protected static final String COUNTER_REJECTED_PREFIX = "VerifyWebhookSignature webhooks rejected ";
    protected static final String COUNTER_DUPLICATES = "VerifyWebhookSignature duplicates";
    protected static final String COUNTER_CACHE_FAILURES = "VerifyWebhookSignature cache failures";
    protected static final String DUPLICATE_OF_BODY = "body";
    public static final String SHOPIFY_TOPIC_HEADER = "X-Shopify-Topic";
    protected static final String SHOPIFY_BODY_NAMESPACE = "SHOPIFY-BODY";

    protected static final int STATUS_OK = 200;
    protected static final int STATUS_UNAUTHORIZED = 401;
    protected static final int STATUS_SERVICE_UNAVAILABLE = 503;

    protected static final String SECRET_CURRENT = "current";
    protected static final String SECRET_PREVIOUS = "previous";

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
        final HmacAlgorithm hmacAlgorithm;

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
        final SignatureEncoding signatureEncoding;

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
            .addValidator(JsonPointerValidator.INSIDE_DOCUMENT)
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

    protected static final List<PropertyDescriptor> PROPERTY_DESCRIPTORS = List.of(
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

    protected static final Set<Relationship> RELATIONSHIPS = Set.of(REL_VALID, REL_INVALID, REL_DUPLICATE, REL_FAILURE);
}
