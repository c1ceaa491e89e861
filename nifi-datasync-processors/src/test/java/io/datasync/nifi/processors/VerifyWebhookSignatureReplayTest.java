package io.datasync.nifi.processors;

import io.datasync.nifi.webhook.TestSignatures;
import io.datasync.nifi.webhook.WebhookEventKeys;
import org.apache.nifi.distributed.cache.client.Deserializer;
import org.apache.nifi.distributed.cache.client.Serializer;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Redelivery and replay: a FlowFile's own earlier claim, Shopify replays under a new webhook id,
 * and the peers' conventions (Stripe's tolerance 0, Shopify's empty body).
 */
class VerifyWebhookSignatureReplayTest {

    private static final long NOW = 1_700_000_000L;
    private static final String SHOPIFY_SECRET = "shpss_5f1c3e2d9a8b7c6d";
    private static final String STRIPE_SECRET = "whsec_Q2hhbmdlTWVJbkFSZWFsRmxvdw";
    private static final String ORDER_BODY = "{\"id\":820982911946154508,\"admin_graphql_api_id\":\"gid://shopify/Order/820982911946154508\","
            + "\"email\":\"jon@example.com\",\"updated_at\":\"2024-05-03T10:15:00-04:00\",\"line_items\":[{\"id\":1}]}";
    private static final String STRIPE_BODY = "{\"id\":\"evt_1OabcD\",\"object\":\"event\",\"type\":\"customer.updated\"}";

    /**
     * Records the claim, then fails as a crash between the claim and the commit would: the session rolls back.
     */
    static final class CrashAfterClaimCache extends InMemoryMapCacheClient {
        volatile boolean crashAfterNextClaim;

        @Override
        public <K, V> V getAndPutIfAbsent(final K key, final V value, final Serializer<K> keySerializer, final Serializer<V> valueSerializer,
                                          final Deserializer<V> valueDeserializer) throws IOException {
            final V previous = super.getAndPutIfAbsent(key, value, keySerializer, valueSerializer, valueDeserializer);
            if (crashAfterNextClaim) {
                crashAfterNextClaim = false;
                throw new SimulatedCrash();
            }
            return previous;
        }
    }

    static final class SimulatedCrash extends Error {
        SimulatedCrash() {
            super("simulated crash after the claim");
        }
    }

    private final CrashAfterClaimCache cache = new CrashAfterClaimCache();
    private TestRunner runner;

    @BeforeEach
    void setUp() throws Exception {
        final VerifyWebhookSignature processor = new VerifyWebhookSignature();
        processor.setClock(Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC));
        runner = TestRunners.newTestRunner(processor);
        runner.addControllerService("cache", cache);
        runner.enableControllerService(cache);
    }

    private static Map<String, String> headers(final String... namesAndValues) {
        final Map<String, String> attributes = new HashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            attributes.put("http.headers." + namesAndValues[i], namesAndValues[i + 1]);
        }
        return attributes;
    }

    private void shopify() {
        runner.setProperty(VerifyWebhookSignature.SIGNATURE_SCHEME, VerifyWebhookSignature.Scheme.SHOPIFY);
        runner.setProperty(VerifyWebhookSignature.SECRET, SHOPIFY_SECRET);
        runner.setProperty(VerifyWebhookSignature.DISTRIBUTED_MAP_CACHE, "cache");
    }

    private void enqueueShopify(final String body, final String webhookId) {
        runner.enqueue(body.getBytes(StandardCharsets.UTF_8), headers("X-Shopify-Hmac-Sha256", TestSignatures.shopify(SHOPIFY_SECRET, body),
                "X-Shopify-Webhook-Id", webhookId, "X-Shopify-Topic", "orders/updated"));
    }

    @Test
    void rollbackAfterTheClaimStillDeliversTheEventOnce() {
        shopify();
        enqueueShopify(ORDER_BODY, "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043");
        cache.crashAfterNextClaim = true;
        assertThrows(AssertionError.class, () -> runner.run(), "the crash reaches the framework, which rolls the session back");
        assertEquals(1, runner.getQueueSize().getObjectCount(), "the FlowFile is back in the queue");
        assertTrue(cache.size() > 0, "its claim was recorded before the crash");

        runner.clearTransferState();
        runner.run();
        runner.assertAllFlowFilesTransferred(VerifyWebhookSignature.REL_VALID, 1);

        // A real redelivery (another FlowFile, same event) is still a duplicate.
        runner.clearTransferState();
        enqueueShopify(ORDER_BODY, "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043");
        runner.run();
        runner.assertAllFlowFilesTransferred(VerifyWebhookSignature.REL_DUPLICATE, 1);
        runner.getFlowFilesForRelationship(VerifyWebhookSignature.REL_DUPLICATE).getFirst()
                .assertAttributeEquals(VerifyWebhookSignature.ATTR_DUPLICATE_OF, "event id");
    }

    @Test
    void shopifyReplayWithANewWebhookIdIsCaughtByItsSignedBody() {
        shopify();
        enqueueShopify(ORDER_BODY, "id-original");
        enqueueShopify(ORDER_BODY, "id-forged-for-the-replay");
        final String laterUpdate = ORDER_BODY.replace("10:15:00", "11:00:00");
        enqueueShopify(laterUpdate, "id-later-update");
        runner.run(3);

        runner.assertTransferCount(VerifyWebhookSignature.REL_VALID, 2);
        runner.assertTransferCount(VerifyWebhookSignature.REL_DUPLICATE, 1);
        final MockFlowFile replay = runner.getFlowFilesForRelationship(VerifyWebhookSignature.REL_DUPLICATE).getFirst();
        replay.assertAttributeEquals("http.headers.X-Shopify-Webhook-Id", "id-forged-for-the-replay");
        replay.assertAttributeEquals(VerifyWebhookSignature.ATTR_DUPLICATE_OF, "body");
        replay.assertAttributeEquals(VerifyWebhookSignature.ATTR_STATUS_CODE, "200");
    }

    @Test
    void shopifyBodyWithoutUpdatedAtIsCheckedByWebhookIdOnlyAsDocumented() {
        shopify();
        final String deletion = "{\"id\":820982911946154508}";
        enqueueShopify(deletion, "id-1");
        enqueueShopify(deletion, "id-2");
        runner.run(2);
        runner.assertAllFlowFilesTransferred(VerifyWebhookSignature.REL_VALID, 2);
    }

    @Test
    void shopifyBodyDeduplicationCanBeTurnedOff() {
        shopify();
        runner.setProperty(VerifyWebhookSignature.SHOPIFY_BODY_DEDUPLICATION, "false");
        enqueueShopify(ORDER_BODY, "id-1");
        enqueueShopify(ORDER_BODY, "id-2");
        runner.run(2);
        runner.assertAllFlowFilesTransferred(VerifyWebhookSignature.REL_VALID, 2);
    }

    @Test
    void shopifyRejectsAnEmptyBodyAsItsOwnLibraryDoes() {
        runner.setProperty(VerifyWebhookSignature.SIGNATURE_SCHEME, VerifyWebhookSignature.Scheme.SHOPIFY);
        runner.setProperty(VerifyWebhookSignature.SECRET, SHOPIFY_SECRET);
        runner.enqueue(new byte[0], headers("X-Shopify-Hmac-Sha256", TestSignatures.shopify(SHOPIFY_SECRET, "")));
        runner.run();
        runner.assertAllFlowFilesTransferred(VerifyWebhookSignature.REL_INVALID, 1);
        runner.getFlowFilesForRelationship(VerifyWebhookSignature.REL_INVALID).getFirst()
                .assertAttributeEquals(VerifyWebhookSignature.ATTR_INVALID_REASON, "EMPTY_BODY");
    }

    @Test
    void stripeToleranceZeroTurnsTheTimestampCheckOff() {
        runner.setProperty(VerifyWebhookSignature.SIGNATURE_SCHEME, VerifyWebhookSignature.Scheme.STRIPE);
        runner.setProperty(VerifyWebhookSignature.SECRET, STRIPE_SECRET);
        runner.setProperty(VerifyWebhookSignature.TIMESTAMP_TOLERANCE, "0 sec");
        final long dayOld = NOW - 86_400;
        runner.enqueue(STRIPE_BODY.getBytes(StandardCharsets.UTF_8), headers("Stripe-Signature", TestSignatures.stripeHeader(STRIPE_SECRET, dayOld, STRIPE_BODY)));
        runner.run();
        runner.assertAllFlowFilesTransferred(VerifyWebhookSignature.REL_VALID, 1);
        runner.getFlowFilesForRelationship(VerifyWebhookSignature.REL_VALID).getFirst()
                .assertAttributeEquals(VerifyWebhookSignature.ATTR_TIMESTAMP, String.valueOf(dayOld));

        runner.clearTransferState();
        runner.enqueue(STRIPE_BODY.getBytes(StandardCharsets.UTF_8), headers("Stripe-Signature", TestSignatures.stripeHeader("whsec_other", dayOld, STRIPE_BODY)));
        runner.run();
        runner.assertAllFlowFilesTransferred(VerifyWebhookSignature.REL_INVALID, 1);
    }

    @Test
    void eventKeysInTheCacheAreKeyedHashes() {
        runner.setProperty(VerifyWebhookSignature.SIGNATURE_SCHEME, VerifyWebhookSignature.Scheme.STRIPE);
        runner.setProperty(VerifyWebhookSignature.SECRET, STRIPE_SECRET);
        runner.setProperty(VerifyWebhookSignature.DISTRIBUTED_MAP_CACHE, "cache");
        runner.setProperty(VerifyWebhookSignature.EVENT_KEY_HASH_KEY, "event-key-hash-key-for-tests");
        runner.enqueue(STRIPE_BODY.getBytes(StandardCharsets.UTF_8), headers("Stripe-Signature", TestSignatures.stripeHeader(STRIPE_SECRET, NOW, STRIPE_BODY)));
        runner.run();
        runner.assertAllFlowFilesTransferred(VerifyWebhookSignature.REL_VALID, 1);

        final Map<String, String> entries = cache.snapshot();
        assertEquals(1, entries.size());
        final String key = entries.keySet().iterator().next();
        assertFalse(key.contains("evt_1OabcD"));
        assertFalse(entries.containsKey(WebhookEventKeys.cacheKey("STRIPE", "evt_1OabcD")), "not the unkeyed hash anyone could compute");
        assertEquals(WebhookEventKeys.cacheKey("STRIPE", "evt_1OabcD", "event-key-hash-key-for-tests".getBytes(StandardCharsets.UTF_8)), key);
        assertEquals(runner.getFlowFilesForRelationship(VerifyWebhookSignature.REL_VALID).getFirst().getAttribute("uuid"), entries.get(key),
                "the claim is the FlowFile's uuid");
    }
}
