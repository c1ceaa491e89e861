package io.datasync.nifi.processors.webhook;

import com.fasterxml.jackson.core.JsonPointer;
import io.datasync.nifi.processors.webhook.VerifyWebhookSignatureDescriptors.Algorithm;
import io.datasync.nifi.processors.webhook.VerifyWebhookSignatureDescriptors.Encoding;
import io.datasync.nifi.processors.webhook.VerifyWebhookSignatureDescriptors.EventIdSource;
import io.datasync.nifi.processors.webhook.VerifyWebhookSignatureDescriptors.Scheme;
import io.datasync.nifi.processors.webhook.VerifyWebhookSignatureDescriptors.SignedContent;
import io.datasync.nifi.webhook.EventIdLocation;
import io.datasync.nifi.webhook.GenericSignatureScheme;
import io.datasync.nifi.webhook.JsonEventIds;
import io.datasync.nifi.webhook.ShopifySignatureScheme;
import io.datasync.nifi.webhook.SignatureScheme;
import io.datasync.nifi.webhook.StripeSignatureScheme;
import io.datasync.nifi.webhook.WebhookVerifier;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.nifi.distributed.cache.client.DistributedMapCacheClient;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.exception.ProcessException;

import static io.datasync.nifi.processors.webhook.VerifyWebhookSignatureDescriptors.DISTRIBUTED_MAP_CACHE;
import static io.datasync.nifi.processors.webhook.VerifyWebhookSignatureDescriptors.EVENT_ID_HEADER_NAME;
import static io.datasync.nifi.processors.webhook.VerifyWebhookSignatureDescriptors.EVENT_ID_JSON_POINTER;
import static io.datasync.nifi.processors.webhook.VerifyWebhookSignatureDescriptors.EVENT_ID_SOURCE;
import static io.datasync.nifi.processors.webhook.VerifyWebhookSignatureDescriptors.EVENT_KEY_HASH_KEY;
import static io.datasync.nifi.processors.webhook.VerifyWebhookSignatureDescriptors.HMAC_ALGORITHM;
import static io.datasync.nifi.processors.webhook.VerifyWebhookSignatureDescriptors.PREVIOUS_SECRET;
import static io.datasync.nifi.processors.webhook.VerifyWebhookSignatureDescriptors.SECRET;
import static io.datasync.nifi.processors.webhook.VerifyWebhookSignatureDescriptors.SHOPIFY_BODY_DEDUPLICATION;
import static io.datasync.nifi.processors.webhook.VerifyWebhookSignatureDescriptors.SIGNATURE_ENCODING;
import static io.datasync.nifi.processors.webhook.VerifyWebhookSignatureDescriptors.SIGNATURE_HEADER_NAME;
import static io.datasync.nifi.processors.webhook.VerifyWebhookSignatureDescriptors.SIGNATURE_PREFIX;
import static io.datasync.nifi.processors.webhook.VerifyWebhookSignatureDescriptors.SIGNATURE_SCHEME;
import static io.datasync.nifi.processors.webhook.VerifyWebhookSignatureDescriptors.SIGNED_CONTENT;
import static io.datasync.nifi.processors.webhook.VerifyWebhookSignatureDescriptors.TIMESTAMP_HEADER_NAME;
import static io.datasync.nifi.processors.webhook.VerifyWebhookSignatureDescriptors.TIMESTAMP_SEPARATOR;
import static io.datasync.nifi.processors.webhook.VerifyWebhookSignatureDescriptors.TIMESTAMP_TOLERANCE;

/**
 * Everything a trigger of {@link io.datasync.nifi.processors.VerifyWebhookSignature} needs, built once when the processor is scheduled.
 *
 * @param cache           the deduplication cache, or null when deduplication is off
 * @param eventIdLocation where the event id is read, or null without a cache
 * @param eventIdPointer  the compiled JSON Pointer when the event id is in the body, else null
 * @param eventKeyHashKey the key of the HMAC that hides event ids in cache keys
 */
public record VerifyWebhookSignatureSettings(
        WebhookVerifier verifier,
        DistributedMapCacheClient cache,
        EventIdLocation eventIdLocation,
        JsonPointer eventIdPointer,
        byte[] eventKeyHashKey,
        boolean shopifyBodyDeduplication) {

    public static VerifyWebhookSignatureSettings from(final ProcessContext context, final Clock clock) {
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
        final WebhookVerifier verifier = new WebhookVerifier(scheme, secrets, tolerance, clock);

        final DistributedMapCacheClient cache = context.getProperty(DISTRIBUTED_MAP_CACHE).asControllerService(DistributedMapCacheClient.class);
        final EventIdLocation eventIdLocation = cache == null ? null : eventIdLocation(context, scheme);
        final JsonPointer eventIdPointer = eventIdLocation != null && eventIdLocation.kind() == EventIdLocation.Kind.JSON_POINTER
                ? JsonEventIds.compile(eventIdLocation.location())
                : null;
        final String hashKey = cache != null && context.getProperty(EVENT_KEY_HASH_KEY).isSet()
                ? context.getProperty(EVENT_KEY_HASH_KEY).getValue()
                : context.getProperty(SECRET).getValue();
        final boolean shopifyBodyDeduplication = cache != null && scheme instanceof ShopifySignatureScheme
                && context.getProperty(SHOPIFY_BODY_DEDUPLICATION).asBoolean();
        return new VerifyWebhookSignatureSettings(verifier, cache, eventIdLocation,
                eventIdPointer, hashKey.getBytes(StandardCharsets.UTF_8), shopifyBodyDeduplication);
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
}
