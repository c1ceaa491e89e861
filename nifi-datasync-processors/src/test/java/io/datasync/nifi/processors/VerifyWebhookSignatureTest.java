package io.datasync.nifi.processors;

import io.datasync.nifi.webhook.TestSignatures;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.provenance.ProvenanceEventRecord;
import org.apache.nifi.provenance.ProvenanceEventType;
import org.apache.nifi.reporting.InitializationException;
import org.apache.nifi.util.LogMessage;
import org.apache.nifi.util.MockComponentLog;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

class VerifyWebhookSignatureTest {

    private static final long NOW = 1_700_000_000L;
    private static final String SHOPIFY_SECRET = "shpss_5f1c3e2d9a8b7c6d";
    private static final String STRIPE_SECRET = "whsec_Q2hhbmdlTWVJbkFSZWFsRmxvdw";
    private static final String CUSTOMER_BODY = "{\"id\":7406524154103,\"email\":\"ada@example.com\",\"first_name\":\"Ada\"}";
    private static final String STRIPE_BODY = "{\"id\":\"evt_1OabcD\",\"object\":\"event\",\"type\":\"customer.updated\"}";
    private static final String CACHE_ID = "cache";

    private VerifyWebhookSignature processor;
    private TestRunner runner;

    @BeforeEach
    void setUp() {
        processor = new VerifyWebhookSignature();
        processor.setClock(Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC));
        runner = TestRunners.newTestRunner(processor);
    }

    private static Map<String, String> handleHttpRequestHeaders(final String... namesAndValues) {
        final Map<String, String> attributes = new HashMap<>();
        attributes.put("http.context.identifier", "ctx-1");
        for (int i = 0; i < namesAndValues.length; i += 2) {
            attributes.put("http.headers." + namesAndValues[i], namesAndValues[i + 1]);
        }
        return attributes;
    }

    private void enqueue(final String body, final Map<String, String> attributes) {
        runner.enqueue(body.getBytes(StandardCharsets.UTF_8), attributes);
    }

    private void configureShopify(final String secret) {
        runner.setProperty(VerifyWebhookSignature.SIGNATURE_SCHEME, VerifyWebhookSignature.Scheme.SHOPIFY);
        runner.setProperty(VerifyWebhookSignature.SECRET, secret);
    }

    private void configureStripe(final String secret) {
        runner.setProperty(VerifyWebhookSignature.SIGNATURE_SCHEME, VerifyWebhookSignature.Scheme.STRIPE);
        runner.setProperty(VerifyWebhookSignature.SECRET, secret);
    }

    private InMemoryMapCacheClient addCache() throws InitializationException {
        final InMemoryMapCacheClient cache = new InMemoryMapCacheClient();
        runner.addControllerService(CACHE_ID, cache);
        runner.enableControllerService(cache);
        runner.setProperty(VerifyWebhookSignature.DISTRIBUTED_MAP_CACHE, CACHE_ID);
        return cache;
    }

    private MockFlowFile single(final Relationship relationship) {
        runner.assertAllFlowFilesTransferred(relationship, 1);
        return runner.getFlowFilesForRelationship(relationship).getFirst();
    }

    private void assertInvalid(final String reason) {
        final MockFlowFile flowFile = single(VerifyWebhookSignature.REL_INVALID);
        flowFile.assertAttributeEquals(VerifyWebhookSignature.ATTR_INVALID_REASON, reason);
        flowFile.assertAttributeEquals(VerifyWebhookSignature.ATTR_STATUS_CODE, "401");
        flowFile.assertAttributeNotExists(VerifyWebhookSignature.ATTR_SECRET_MATCHED);
    }

    @Test
    void validShopifyRequestFromHandleHttpRequest() {
        configureShopify(SHOPIFY_SECRET);
        enqueue(CUSTOMER_BODY, handleHttpRequestHeaders("X-Shopify-Hmac-Sha256", TestSignatures.shopify(SHOPIFY_SECRET, CUSTOMER_BODY)));
        runner.run();

        final MockFlowFile flowFile = single(VerifyWebhookSignature.REL_VALID);
        flowFile.assertContentEquals(CUSTOMER_BODY);
        flowFile.assertAttributeEquals(VerifyWebhookSignature.ATTR_STATUS_CODE, "200");
        flowFile.assertAttributeEquals(VerifyWebhookSignature.ATTR_SCHEME, "SHOPIFY");
        flowFile.assertAttributeEquals(VerifyWebhookSignature.ATTR_SECRET_MATCHED, "current");
        flowFile.assertAttributeEquals("http.context.identifier", "ctx-1");
        flowFile.assertAttributeNotExists(VerifyWebhookSignature.ATTR_INVALID_REASON);
        flowFile.assertAttributeNotExists(VerifyWebhookSignature.ATTR_TIMESTAMP);

        final List<ProvenanceEventRecord> events = runner.getProvenanceEvents();
        assertEquals(1, events.size());
        assertEquals(ProvenanceEventType.ROUTE, events.getFirst().getEventType());
        assertEquals("valid", events.getFirst().getRelationship());
    }

    @Test
    void validShopifyRequestFromListenHttpWithLowerCaseHeader() {
        configureShopify(SHOPIFY_SECRET);
        enqueue(CUSTOMER_BODY, Map.of("x-shopify-hmac-sha256", TestSignatures.shopify(SHOPIFY_SECRET, CUSTOMER_BODY)));
        runner.run();
        single(VerifyWebhookSignature.REL_VALID).assertAttributeEquals(VerifyWebhookSignature.ATTR_STATUS_CODE, "200");
    }

    @Test
    void validStripeRequestWithSeveralV1Signatures() {
        configureStripe(STRIPE_SECRET);
        // While Stripe rolls the endpoint secret it sends one v1 per secret; one match is enough.
        final String header = "t=" + NOW + ",v1=" + TestSignatures.stripeV1("whsec_rolledAway", NOW, STRIPE_BODY)
                + ",v1=" + TestSignatures.stripeV1(STRIPE_SECRET, NOW, STRIPE_BODY) + ",v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39";
        enqueue(STRIPE_BODY, handleHttpRequestHeaders("Stripe-Signature", header));
        runner.run();

        final MockFlowFile flowFile = single(VerifyWebhookSignature.REL_VALID);
        flowFile.assertAttributeEquals(VerifyWebhookSignature.ATTR_SCHEME, "STRIPE");
        flowFile.assertAttributeEquals(VerifyWebhookSignature.ATTR_TIMESTAMP, String.valueOf(NOW));
        flowFile.assertAttributeEquals(VerifyWebhookSignature.ATTR_STATUS_CODE, "200");
    }

    @Test
    void genericHexSha256WithGitHubPrefix() {
        runner.setProperty(VerifyWebhookSignature.SIGNATURE_SCHEME, VerifyWebhookSignature.Scheme.GENERIC);
        runner.setProperty(VerifyWebhookSignature.SECRET, "gh-hook-secret");
        runner.setProperty(VerifyWebhookSignature.SIGNATURE_HEADER_NAME, "X-Hub-Signature-256");
        runner.setProperty(VerifyWebhookSignature.SIGNATURE_PREFIX, "sha256=");
        runner.setProperty(VerifyWebhookSignature.HMAC_ALGORITHM, VerifyWebhookSignature.Algorithm.HMAC_SHA256);
        runner.setProperty(VerifyWebhookSignature.SIGNATURE_ENCODING, VerifyWebhookSignature.Encoding.HEX);

        enqueue(CUSTOMER_BODY, handleHttpRequestHeaders("X-Hub-Signature-256", "sha256=" + TestSignatures.hexSha256("gh-hook-secret", CUSTOMER_BODY)));
        enqueue(CUSTOMER_BODY, handleHttpRequestHeaders("X-Hub-Signature-256", TestSignatures.hexSha256("gh-hook-secret", CUSTOMER_BODY)));
        runner.run(2);

        runner.assertTransferCount(VerifyWebhookSignature.REL_VALID, 1);
        runner.assertTransferCount(VerifyWebhookSignature.REL_INVALID, 1);
        runner.getFlowFilesForRelationship(VerifyWebhookSignature.REL_VALID).getFirst().assertAttributeEquals(VerifyWebhookSignature.ATTR_SCHEME, "GENERIC");
        runner.getFlowFilesForRelationship(VerifyWebhookSignature.REL_INVALID).getFirst()
                .assertAttributeEquals(VerifyWebhookSignature.ATTR_INVALID_REASON, "MALFORMED_SIGNATURE_HEADER");
    }

    @Test
    void genericBase64Sha1() {
        runner.setProperty(VerifyWebhookSignature.SIGNATURE_SCHEME, VerifyWebhookSignature.Scheme.GENERIC);
        runner.setProperty(VerifyWebhookSignature.SECRET, "crm-secret");
        runner.setProperty(VerifyWebhookSignature.SIGNATURE_HEADER_NAME, "X-CRM-Signature");
        runner.setProperty(VerifyWebhookSignature.HMAC_ALGORITHM, VerifyWebhookSignature.Algorithm.HMAC_SHA1);
        runner.setProperty(VerifyWebhookSignature.SIGNATURE_ENCODING, VerifyWebhookSignature.Encoding.BASE64);

        enqueue(CUSTOMER_BODY, Map.of("X-CRM-Signature", TestSignatures.base64Sha1("crm-secret", CUSTOMER_BODY)));
        // The same bytes as a SHA-256 are not accepted when SHA-1 is configured.
        enqueue(CUSTOMER_BODY, Map.of("X-CRM-Signature", Base64.getEncoder().encodeToString(
                TestSignatures.hmac("HmacSHA256", "crm-secret", CUSTOMER_BODY))));
        runner.run(2);

        runner.assertTransferCount(VerifyWebhookSignature.REL_VALID, 1);
        runner.assertTransferCount(VerifyWebhookSignature.REL_INVALID, 1);
        runner.getFlowFilesForRelationship(VerifyWebhookSignature.REL_INVALID).getFirst()
                .assertAttributeEquals(VerifyWebhookSignature.ATTR_INVALID_REASON, "BAD_SIGNATURE");
    }

    @Test
    void genericSignedTimestampAgainstTolerance() {
        runner.setProperty(VerifyWebhookSignature.SIGNATURE_SCHEME, VerifyWebhookSignature.Scheme.GENERIC);
        runner.setProperty(VerifyWebhookSignature.SECRET, "form-secret");
        runner.setProperty(VerifyWebhookSignature.SIGNATURE_HEADER_NAME, "X-Signature");
        runner.setProperty(VerifyWebhookSignature.TIMESTAMP_HEADER_NAME, "X-Timestamp");
        runner.setProperty(VerifyWebhookSignature.SIGNED_CONTENT, VerifyWebhookSignature.SignedContent.TIMESTAMP_AND_BODY);
        runner.setProperty(VerifyWebhookSignature.TIMESTAMP_TOLERANCE, "1 min");

        final long fresh = NOW - 30;
        final long stale = NOW - 61;
        enqueue(CUSTOMER_BODY, Map.of("X-Signature", TestSignatures.hexSha256("form-secret", fresh + "." + CUSTOMER_BODY),
                "X-Timestamp", String.valueOf(fresh)));
        enqueue(CUSTOMER_BODY, Map.of("X-Signature", TestSignatures.hexSha256("form-secret", stale + "." + CUSTOMER_BODY),
                "X-Timestamp", String.valueOf(stale)));
        runner.run(2);

        runner.assertTransferCount(VerifyWebhookSignature.REL_VALID, 1);
        runner.getFlowFilesForRelationship(VerifyWebhookSignature.REL_VALID).getFirst()
                .assertAttributeEquals(VerifyWebhookSignature.ATTR_TIMESTAMP, String.valueOf(fresh));
        runner.getFlowFilesForRelationship(VerifyWebhookSignature.REL_INVALID).getFirst()
                .assertAttributeEquals(VerifyWebhookSignature.ATTR_INVALID_REASON, "TIMESTAMP_OUTSIDE_TOLERANCE");
    }

    @Test
    void tamperedBodyIsRejected() {
        configureShopify(SHOPIFY_SECRET);
        final String tampered = CUSTOMER_BODY.replace("ada@example.com", "mallory@example.com");
        enqueue(tampered, handleHttpRequestHeaders("X-Shopify-Hmac-Sha256", TestSignatures.shopify(SHOPIFY_SECRET, CUSTOMER_BODY)));
        runner.run();

        assertInvalid("BAD_SIGNATURE");
        final MockFlowFile flowFile = single(VerifyWebhookSignature.REL_INVALID);
        flowFile.assertContentEquals(tampered);
        // What the signature would have had to be must not leak to the flow.
        final String expected = TestSignatures.shopify(SHOPIFY_SECRET, tampered);
        flowFile.getAttributes().values().forEach(value -> assertFalse(value.contains(expected), value));
        assertEquals("BAD_SIGNATURE", runner.getProvenanceEvents().getFirst().getDetails());
    }

    @Test
    void wrongSecretIsRejected() {
        configureStripe(STRIPE_SECRET);
        enqueue(STRIPE_BODY, handleHttpRequestHeaders("Stripe-Signature", TestSignatures.stripeHeader("whsec_guessed", NOW, STRIPE_BODY)));
        runner.run();
        assertInvalid("BAD_SIGNATURE");
    }

    @Test
    void oldStripeTimestampIsRejectedAsReplay() {
        configureStripe(STRIPE_SECRET);
        final long sixMinutesAgo = NOW - 360;
        enqueue(STRIPE_BODY, handleHttpRequestHeaders("Stripe-Signature", TestSignatures.stripeHeader(STRIPE_SECRET, sixMinutesAgo, STRIPE_BODY)));
        runner.run();
        assertInvalid("TIMESTAMP_OUTSIDE_TOLERANCE");
        single(VerifyWebhookSignature.REL_INVALID).assertAttributeEquals(VerifyWebhookSignature.ATTR_TIMESTAMP, String.valueOf(sixMinutesAgo));
    }

    @Test
    void futureStripeTimestampBeyondToleranceIsRejected() {
        configureStripe(STRIPE_SECRET);
        final long fourMinutesAhead = NOW + 240;
        final long sixMinutesAhead = NOW + 360;
        enqueue(STRIPE_BODY, handleHttpRequestHeaders("Stripe-Signature", TestSignatures.stripeHeader(STRIPE_SECRET, fourMinutesAhead, STRIPE_BODY)));
        enqueue(STRIPE_BODY, handleHttpRequestHeaders("Stripe-Signature", TestSignatures.stripeHeader(STRIPE_SECRET, sixMinutesAhead, STRIPE_BODY)));
        runner.run(2);

        runner.assertTransferCount(VerifyWebhookSignature.REL_VALID, 1);
        runner.assertTransferCount(VerifyWebhookSignature.REL_INVALID, 1);
        runner.getFlowFilesForRelationship(VerifyWebhookSignature.REL_INVALID).getFirst()
                .assertAttributeEquals(VerifyWebhookSignature.ATTR_INVALID_REASON, "TIMESTAMP_OUTSIDE_TOLERANCE");
    }

    @Test
    void rotatedSecretAcceptsCurrentAndPreviousOnly() {
        configureShopify("shpss_new");
        runner.setProperty(VerifyWebhookSignature.PREVIOUS_SECRET, "shpss_old");
        enqueue(CUSTOMER_BODY, handleHttpRequestHeaders("X-Shopify-Hmac-Sha256", TestSignatures.shopify("shpss_new", CUSTOMER_BODY), "id", "new"));
        enqueue(CUSTOMER_BODY, handleHttpRequestHeaders("X-Shopify-Hmac-Sha256", TestSignatures.shopify("shpss_old", CUSTOMER_BODY), "id", "old"));
        enqueue(CUSTOMER_BODY, handleHttpRequestHeaders("X-Shopify-Hmac-Sha256", TestSignatures.shopify("shpss_third", CUSTOMER_BODY), "id", "third"));
        runner.run(3);

        runner.assertTransferCount(VerifyWebhookSignature.REL_VALID, 2);
        runner.assertTransferCount(VerifyWebhookSignature.REL_INVALID, 1);
        final Map<String, String> matchedById = new HashMap<>();
        runner.getFlowFilesForRelationship(VerifyWebhookSignature.REL_VALID)
                .forEach(ff -> matchedById.put(ff.getAttribute("http.headers.id"), ff.getAttribute(VerifyWebhookSignature.ATTR_SECRET_MATCHED)));
        assertEquals(Map.of("new", "current", "old", "previous"), matchedById);
        final MockFlowFile rejected = runner.getFlowFilesForRelationship(VerifyWebhookSignature.REL_INVALID).getFirst();
        rejected.assertAttributeEquals("http.headers.id", "third");
        rejected.assertAttributeEquals(VerifyWebhookSignature.ATTR_INVALID_REASON, "BAD_SIGNATURE");
    }

    @Test
    void stripeRedeliveryIsDuplicate() throws InitializationException {
        configureStripe(STRIPE_SECRET);
        final InMemoryMapCacheClient cache = addCache();
        // Stripe re-signs each delivery attempt with a new timestamp; the event id stays the same.
        enqueue(STRIPE_BODY, handleHttpRequestHeaders("Stripe-Signature", TestSignatures.stripeHeader(STRIPE_SECRET, NOW - 100, STRIPE_BODY)));
        enqueue(STRIPE_BODY, handleHttpRequestHeaders("Stripe-Signature", TestSignatures.stripeHeader(STRIPE_SECRET, NOW - 10, STRIPE_BODY)));
        final String otherEvent = STRIPE_BODY.replace("evt_1OabcD", "evt_2XyZ");
        enqueue(otherEvent, handleHttpRequestHeaders("Stripe-Signature", TestSignatures.stripeHeader(STRIPE_SECRET, NOW, otherEvent)));
        runner.run(3);

        runner.assertTransferCount(VerifyWebhookSignature.REL_VALID, 2);
        runner.assertTransferCount(VerifyWebhookSignature.REL_DUPLICATE, 1);
        final List<MockFlowFile> valid = runner.getFlowFilesForRelationship(VerifyWebhookSignature.REL_VALID);
        valid.getFirst().assertAttributeEquals(VerifyWebhookSignature.ATTR_EVENT_ID, "evt_1OabcD");
        valid.getFirst().assertAttributeEquals(VerifyWebhookSignature.ATTR_TIMESTAMP, String.valueOf(NOW - 100));
        valid.get(1).assertAttributeEquals(VerifyWebhookSignature.ATTR_EVENT_ID, "evt_2XyZ");
        final MockFlowFile duplicate = runner.getFlowFilesForRelationship(VerifyWebhookSignature.REL_DUPLICATE).getFirst();
        duplicate.assertAttributeEquals(VerifyWebhookSignature.ATTR_EVENT_ID, "evt_1OabcD");
        duplicate.assertAttributeEquals(VerifyWebhookSignature.ATTR_TIMESTAMP, String.valueOf(NOW - 10));
        // A duplicate is acknowledged, so the sender stops retrying.
        duplicate.assertAttributeEquals(VerifyWebhookSignature.ATTR_STATUS_CODE, "200");
        assertEquals(2, cache.size());
    }

    @Test
    void countersCountAcceptedRejectedPerReasonAndDuplicates() throws InitializationException {
        configureStripe(STRIPE_SECRET);
        addCache();
        final String otherEvent = STRIPE_BODY.replace("evt_1OabcD", "evt_2XyZ");
        enqueue(STRIPE_BODY, handleHttpRequestHeaders("Stripe-Signature", TestSignatures.stripeHeader(STRIPE_SECRET, NOW - 100, STRIPE_BODY)));
        enqueue(STRIPE_BODY, handleHttpRequestHeaders("Stripe-Signature", TestSignatures.stripeHeader(STRIPE_SECRET, NOW - 10, STRIPE_BODY)));
        enqueue(otherEvent, handleHttpRequestHeaders("Stripe-Signature", TestSignatures.stripeHeader(STRIPE_SECRET, NOW, otherEvent)));
        enqueue(STRIPE_BODY, handleHttpRequestHeaders("Stripe-Signature", TestSignatures.stripeHeader("whsec_guessed", NOW, STRIPE_BODY)));
        enqueue(STRIPE_BODY, handleHttpRequestHeaders("Stripe-Signature", TestSignatures.stripeHeader("whsec_other", NOW, STRIPE_BODY)));
        enqueue(STRIPE_BODY, handleHttpRequestHeaders("Stripe-Signature", TestSignatures.stripeHeader(STRIPE_SECRET, NOW - 360, STRIPE_BODY)));
        enqueue(STRIPE_BODY, handleHttpRequestHeaders());
        runner.run(7);

        runner.assertTransferCount(VerifyWebhookSignature.REL_VALID, 2);
        runner.assertTransferCount(VerifyWebhookSignature.REL_DUPLICATE, 1);
        runner.assertTransferCount(VerifyWebhookSignature.REL_INVALID, 4);
        assertEquals(2L, runner.getCounterValue("VerifyWebhookSignature webhooks accepted"));
        assertEquals(1L, runner.getCounterValue("VerifyWebhookSignature duplicates"));
        assertEquals(2L, runner.getCounterValue("VerifyWebhookSignature webhooks rejected BAD_SIGNATURE"));
        assertEquals(1L, runner.getCounterValue("VerifyWebhookSignature webhooks rejected TIMESTAMP_OUTSIDE_TOLERANCE"));
        assertEquals(1L, runner.getCounterValue("VerifyWebhookSignature webhooks rejected MISSING_SIGNATURE"));
        assertNull(runner.getCounterValue("VerifyWebhookSignature webhooks rejected MALFORMED_SIGNATURE_HEADER"));
        assertNull(runner.getCounterValue("VerifyWebhookSignature cache failures"));
    }

    @Test
    void shopifyRedeliveryIsDuplicateByWebhookIdHeader() throws InitializationException {
        configureShopify(SHOPIFY_SECRET);
        addCache();
        final String signature = TestSignatures.shopify(SHOPIFY_SECRET, CUSTOMER_BODY);
        enqueue(CUSTOMER_BODY, handleHttpRequestHeaders("X-Shopify-Hmac-Sha256", signature, "X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"));
        enqueue(CUSTOMER_BODY, Map.of("X-Shopify-Hmac-Sha256", signature, "x-shopify-webhook-id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"));
        runner.run(2);

        runner.assertTransferCount(VerifyWebhookSignature.REL_VALID, 1);
        runner.assertTransferCount(VerifyWebhookSignature.REL_DUPLICATE, 1);
    }

    @Test
    void forgedRequestsDoNotConsumeEventIds() throws InitializationException {
        configureShopify(SHOPIFY_SECRET);
        final InMemoryMapCacheClient cache = addCache();
        // An attacker who knows an upcoming webhook id must not be able to get the real delivery dropped.
        enqueue(CUSTOMER_BODY, handleHttpRequestHeaders("X-Shopify-Hmac-Sha256", TestSignatures.shopify("guess", CUSTOMER_BODY), "X-Shopify-Webhook-Id", "w-1"));
        enqueue(CUSTOMER_BODY, handleHttpRequestHeaders("X-Shopify-Hmac-Sha256", TestSignatures.shopify(SHOPIFY_SECRET, CUSTOMER_BODY), "X-Shopify-Webhook-Id", "w-1"));
        runner.run(2);

        runner.assertTransferCount(VerifyWebhookSignature.REL_INVALID, 1);
        runner.assertTransferCount(VerifyWebhookSignature.REL_VALID, 1);
        assertEquals(1, cache.size());
    }

    @Test
    void concurrentRedeliveriesPassExactlyOnce() throws InitializationException {
        configureStripe(STRIPE_SECRET);
        addCache();
        final int deliveries = 40;
        for (int i = 0; i < deliveries; i++) {
            final long timestamp = NOW - i;
            enqueue(STRIPE_BODY, handleHttpRequestHeaders("Stripe-Signature", TestSignatures.stripeHeader(STRIPE_SECRET, timestamp, STRIPE_BODY)));
        }
        runner.setThreadCount(4);
        runner.run(deliveries);

        runner.assertTransferCount(VerifyWebhookSignature.REL_VALID, 1);
        runner.assertTransferCount(VerifyWebhookSignature.REL_DUPLICATE, deliveries - 1);
    }

    @Test
    void genericEventIdFromConfiguredHeaderAndJsonPointer() throws InitializationException {
        runner.setProperty(VerifyWebhookSignature.SIGNATURE_SCHEME, VerifyWebhookSignature.Scheme.GENERIC);
        runner.setProperty(VerifyWebhookSignature.SECRET, "crm-secret");
        runner.setProperty(VerifyWebhookSignature.SIGNATURE_HEADER_NAME, "X-Signature");
        addCache();
        runner.assertNotValid();  // Generic has no default event id

        runner.setProperty(VerifyWebhookSignature.EVENT_ID_SOURCE, VerifyWebhookSignature.EventIdSource.JSON_POINTER);
        runner.setProperty(VerifyWebhookSignature.EVENT_ID_JSON_POINTER, "id");
        runner.assertNotValid();
        runner.setProperty(VerifyWebhookSignature.EVENT_ID_JSON_POINTER, "/event/id");
        runner.assertValid();

        final String first = "{\"event\":{\"id\":\"e-1\",\"n\":1}}";
        final String again = "{\"event\":{\"id\":\"e-1\",\"n\":2}}";
        enqueue(first, Map.of("X-Signature", TestSignatures.hexSha256("crm-secret", first)));
        enqueue(again, Map.of("X-Signature", TestSignatures.hexSha256("crm-secret", again)));
        runner.run(2);
        runner.assertTransferCount(VerifyWebhookSignature.REL_VALID, 1);
        runner.assertTransferCount(VerifyWebhookSignature.REL_DUPLICATE, 1);

        runner.clearTransferState();
        runner.setProperty(VerifyWebhookSignature.EVENT_ID_SOURCE, VerifyWebhookSignature.EventIdSource.HEADER);
        runner.setProperty(VerifyWebhookSignature.EVENT_ID_HEADER_NAME, "X-Delivery");
        // The body's /event/id is no longer the key: a new delivery id passes.
        enqueue(again, Map.of("X-Signature", TestSignatures.hexSha256("crm-secret", again), "X-Delivery", "d-9"));
        enqueue(again, Map.of("X-Signature", TestSignatures.hexSha256("crm-secret", again), "X-Delivery", "d-9"));
        runner.run(2);
        runner.assertTransferCount(VerifyWebhookSignature.REL_VALID, 1);
        runner.assertTransferCount(VerifyWebhookSignature.REL_DUPLICATE, 1);
        runner.getFlowFilesForRelationship(VerifyWebhookSignature.REL_VALID).getFirst().assertAttributeEquals(VerifyWebhookSignature.ATTR_EVENT_ID, "d-9");
    }

    @Test
    void authenticEventWithoutIdPassesWithoutDuplicateCheck() throws InitializationException {
        configureStripe(STRIPE_SECRET);
        final InMemoryMapCacheClient cache = addCache();
        final String noId = "{\"object\":\"event\"}";
        enqueue(noId, handleHttpRequestHeaders("Stripe-Signature", TestSignatures.stripeHeader(STRIPE_SECRET, NOW, noId)));
        runner.run();

        single(VerifyWebhookSignature.REL_VALID).assertAttributeNotExists(VerifyWebhookSignature.ATTR_EVENT_ID);
        assertEquals(0, cache.size());
        assertEquals(1, runner.getLogger().getWarnMessages().size());
    }

    @Test
    void missingSignatureHeader() {
        configureStripe(STRIPE_SECRET);
        enqueue(STRIPE_BODY, handleHttpRequestHeaders("Content-Type", "application/json"));
        runner.run();
        assertInvalid("MISSING_SIGNATURE");
    }

    @Test
    void malformedStripeHeader() {
        configureStripe(STRIPE_SECRET);
        enqueue(STRIPE_BODY, handleHttpRequestHeaders("Stripe-Signature", "v1=" + TestSignatures.stripeV1(STRIPE_SECRET, NOW, STRIPE_BODY)));
        enqueue(STRIPE_BODY, handleHttpRequestHeaders("Stripe-Signature", "t=" + NOW + ",v1=zz-not-hex"));
        enqueue(STRIPE_BODY, handleHttpRequestHeaders("Stripe-Signature", "sha256=deadbeef"));
        runner.run(3);

        runner.assertAllFlowFilesTransferred(VerifyWebhookSignature.REL_INVALID, 3);
        runner.getFlowFilesForRelationship(VerifyWebhookSignature.REL_INVALID)
                .forEach(ff -> ff.assertAttributeEquals(VerifyWebhookSignature.ATTR_INVALID_REASON, "MALFORMED_SIGNATURE_HEADER"));
    }

    @Test
    void cacheDownRoutesToFailureUnpenalizedWithTheExceptionTypeOnly() throws InitializationException {
        configureStripe(STRIPE_SECRET);
        final InMemoryMapCacheClient cache = addCache();
        cache.setDown(true);
        enqueue(STRIPE_BODY, handleHttpRequestHeaders("Stripe-Signature", TestSignatures.stripeHeader(STRIPE_SECRET, NOW, STRIPE_BODY)));
        runner.run();

        final MockFlowFile flowFile = single(VerifyWebhookSignature.REL_FAILURE);
        assertFalse(flowFile.isPenalized(), "the 503 must reach HandleHttpResponse at once, not after the penalty");
        flowFile.assertAttributeEquals(VerifyWebhookSignature.ATTR_STATUS_CODE, "503");
        assertNotNull(flowFile.getAttribute(VerifyWebhookSignature.ATTR_ERROR));
        flowFile.assertAttributeEquals(VerifyWebhookSignature.ATTR_ERROR, "IOException");
        assertEquals(1, runner.getLogger().getErrorMessages().size());
        assertEquals(1L, runner.getCounterValue("VerifyWebhookSignature cache failures"));
        assertNull(runner.getCounterValue("VerifyWebhookSignature webhooks accepted"));

        // Once the cache is back, the sender's retry is accepted: the failed attempt recorded nothing.
        cache.setDown(false);
        runner.clearTransferState();
        enqueue(STRIPE_BODY, handleHttpRequestHeaders("Stripe-Signature", TestSignatures.stripeHeader(STRIPE_SECRET, NOW, STRIPE_BODY)));
        runner.run();
        single(VerifyWebhookSignature.REL_VALID);
    }

    @Test
    void largeBodyIsVerified() {
        configureShopify(SHOPIFY_SECRET);
        final String large = "{\"customers\":[" + String.join(",", Collections.nCopies(100_000, CUSTOMER_BODY)) + "]}";
        enqueue(large, handleHttpRequestHeaders("X-Shopify-Hmac-Sha256", TestSignatures.shopify(SHOPIFY_SECRET, large)));
        runner.run();
        single(VerifyWebhookSignature.REL_VALID);
    }

    @Test
    void secretsNeverAppearInAttributesOrLogs() throws InitializationException {
        configureStripe(STRIPE_SECRET);
        runner.setProperty(VerifyWebhookSignature.PREVIOUS_SECRET, "whsec_previousOne");
        final InMemoryMapCacheClient cache = addCache();
        final String tampered = STRIPE_BODY.replace("customer.updated", "customer.deleted");
        enqueue(STRIPE_BODY, handleHttpRequestHeaders("Stripe-Signature", TestSignatures.stripeHeader(STRIPE_SECRET, NOW, STRIPE_BODY)));
        enqueue(STRIPE_BODY, handleHttpRequestHeaders("Stripe-Signature", TestSignatures.stripeHeader("whsec_previousOne", NOW, STRIPE_BODY)));
        enqueue(tampered, handleHttpRequestHeaders("Stripe-Signature", TestSignatures.stripeHeader(STRIPE_SECRET, NOW, STRIPE_BODY)));
        enqueue(STRIPE_BODY, handleHttpRequestHeaders("Stripe-Signature", TestSignatures.stripeHeader(STRIPE_SECRET, NOW - 3600, STRIPE_BODY)));
        enqueue(STRIPE_BODY, handleHttpRequestHeaders("Stripe-Signature", "t=x"));
        enqueue(STRIPE_BODY, Map.of());
        runner.run(6);
        cache.setDown(true);
        final String otherEvent = STRIPE_BODY.replace("evt_1OabcD", "evt_3");
        enqueue(otherEvent, handleHttpRequestHeaders("Stripe-Signature", TestSignatures.stripeHeader(STRIPE_SECRET, NOW, otherEvent)));
        runner.run();

        assertEquals(7, Stream.of(VerifyWebhookSignature.REL_VALID, VerifyWebhookSignature.REL_INVALID, VerifyWebhookSignature.REL_DUPLICATE,
                VerifyWebhookSignature.REL_FAILURE).mapToInt(rel -> runner.getFlowFilesForRelationship(rel).size()).sum());
        runner.assertTransferCount(VerifyWebhookSignature.REL_INVALID, 4);
        runner.assertTransferCount(VerifyWebhookSignature.REL_FAILURE, 1);

        final List<String> forbidden = List.of(STRIPE_SECRET, "whsec_previousOne",
                TestSignatures.stripeV1(STRIPE_SECRET, NOW, tampered), TestSignatures.stripeV1("whsec_previousOne", NOW, tampered));
        final List<String> outputs = new ArrayList<>();
        Stream.of(VerifyWebhookSignature.REL_VALID, VerifyWebhookSignature.REL_INVALID, VerifyWebhookSignature.REL_DUPLICATE, VerifyWebhookSignature.REL_FAILURE)
                .flatMap(rel -> runner.getFlowFilesForRelationship(rel).stream())
                .forEach(ff -> ff.getAttributes().forEach((name, value) -> outputs.add(name + "=" + value)));
        final MockComponentLog log = runner.getLogger();
        final List<LogMessage> messages = new ArrayList<>();
        messages.addAll(log.getTraceMessages());
        messages.addAll(log.getDebugMessages());
        messages.addAll(log.getInfoMessages());
        messages.addAll(log.getWarnMessages());
        messages.addAll(log.getErrorMessages());
        assertFalse(messages.isEmpty());
        for (final LogMessage message : messages) {
            outputs.add(message.getMsg());
            outputs.add(message.toString());
            if (message.getArgs() != null) {
                Arrays.stream(message.getArgs()).forEach(arg -> outputs.add(String.valueOf(arg)));
            }
            if (message.getThrowable() != null) {
                outputs.add(String.valueOf(message.getThrowable()));
            }
        }
        runner.getProvenanceEvents().forEach(event -> outputs.add(String.valueOf(event.getDetails())));

        for (final String output : outputs) {
            for (final String secret : forbidden) {
                assertFalse(output.contains(secret), () -> "leaked in: " + output);
            }
        }
    }

    @Test
    void genericPropertiesAreRequiredOnlyForTheGenericScheme() {
        configureShopify(SHOPIFY_SECRET);
        runner.assertValid();
        runner.setProperty(VerifyWebhookSignature.SIGNATURE_SCHEME, VerifyWebhookSignature.Scheme.GENERIC);
        runner.assertNotValid();
        runner.setProperty(VerifyWebhookSignature.SIGNATURE_HEADER_NAME, "X-Signature");
        runner.assertValid();
        runner.setProperty(VerifyWebhookSignature.SECRET, "");
        runner.assertNotValid();
    }
}
