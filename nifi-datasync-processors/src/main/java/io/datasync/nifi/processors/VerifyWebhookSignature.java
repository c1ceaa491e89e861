package io.datasync.nifi.processors;

import io.datasync.nifi.processors.common.PiiSafeErrors;
import io.datasync.nifi.processors.common.Utf8CacheSerde;
import io.datasync.nifi.processors.webhook.VerifyWebhookSignatureDescriptors;
import io.datasync.nifi.processors.webhook.VerifyWebhookSignatureSettings;
import io.datasync.nifi.webhook.EventIdLocation;
import io.datasync.nifi.webhook.HeaderLookup;
import io.datasync.nifi.webhook.JsonEventIds;
import io.datasync.nifi.webhook.RejectionReason;
import io.datasync.nifi.webhook.ShopifyBodyIdentity;
import io.datasync.nifi.webhook.Verification;
import io.datasync.nifi.webhook.VerificationResult;
import io.datasync.nifi.webhook.WebhookEventKeys;
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
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.flowfile.attributes.CoreAttributes;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.exception.ProcessException;

import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
public class VerifyWebhookSignature extends VerifyWebhookSignatureDescriptors {

    private volatile Clock clock = Clock.systemUTC();
    private volatile VerifyWebhookSignatureSettings settings;

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
        settings = VerifyWebhookSignatureSettings.from(context, clock);
    }

    @Override
    public void onTrigger(final ProcessContext context, final ProcessSession session) throws ProcessException {
        FlowFile flowFile = session.get();
        if (flowFile == null) {
            return;
        }
        final VerifyWebhookSignatureSettings config = settings;

        final HeaderLookup headers = HeaderLookup.of(flowFile.getAttributes());
        final Verification verification = config.verifier().begin(headers);
        final AtomicReference<String> bodyEventId = new AtomicReference<>();
        if (!verification.isRejectedByHeaders()) {
            // One pass over the body: the HMACs see every byte, the JSON parser (if any) reads through them.
            session.read(flowFile, in -> {
                final InputStream signedBody = verification.signedBody(in);
                if (config.eventIdPointer() != null) {
                    bodyEventId.set(JsonEventIds.find(signedBody, config.eventIdPointer()).orElse(null));
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
        if (config.cache() == null) {
            attributes.put(ATTR_STATUS_CODE, String.valueOf(STATUS_OK));
            accept(session, session.putAllAttributes(flowFile, attributes));
            return;
        }

        final Optional<String> eventId = config.eventIdLocation().kind() == EventIdLocation.Kind.HEADER
                ? headers.get(config.eventIdLocation().location())
                : Optional.ofNullable(bodyEventId.get());
        final String bodyIdentity;
        try {
            bodyIdentity = config.shopifyBodyDeduplication() ? shopifyBodyIdentity(session, flowFile, headers) : null;
        } catch (final ProcessException e) {
            routeCacheFailure(session, flowFile, attributes, e);
            return;
        }
        if (eventId.isEmpty() && bodyIdentity == null) {
            // Authentic but without an id: passing it on risks a duplicate, rejecting it would lose an event.
            getLogger().warn("{} is authentic but has no event id at {}; passed on without a duplicate check", flowFile, config.eventIdLocation().location());
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
                final String eventKey = WebhookEventKeys.cacheKey(config.verifier().getScheme().dedupNamespace(), eventId.get(), config.eventKeyHashKey());
                if (!claims(config, eventKey, claim)) {
                    duplicateOf = DUPLICATE_OF_EVENT_ID;
                }
            }
            if (duplicateOf == null && bodyIdentity != null) {
                final String bodyKey = WebhookEventKeys.cacheKey(SHOPIFY_BODY_NAMESPACE, bodyIdentity, config.eventKeyHashKey());
                if (!claims(config, bodyKey, claim)) {
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
    private static boolean claims(final VerifyWebhookSignatureSettings config, final String key, final String claim) throws IOException {
        final String previous = config.cache().getAndPutIfAbsent(key, claim, Utf8CacheSerde.SERIALIZER, Utf8CacheSerde.SERIALIZER, Utf8CacheSerde.DESERIALIZER);
        return previous == null || previous.equals(claim);
    }

    /**
     * The signed body's identity for Shopify replay detection: topic, object id and updated_at, or null
     * when the body lacks the id or updated_at.
     */
    private static String shopifyBodyIdentity(final ProcessSession session, final FlowFile flowFile, final HeaderLookup headers) {
        final AtomicReference<Map<String, String>> fields = new AtomicReference<>(Map.of());
        session.read(flowFile, in -> fields.set(JsonEventIds.findTopLevel(in, ShopifyBodyIdentity.FIELDS)));
        return ShopifyBodyIdentity.of(fields.get(), headers.get(SHOPIFY_TOPIC_HEADER).orElse(null));
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
