package io.datasync.nifi.webhook;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WebhookVerifierTest {

    private static final long NOW = 1_700_000_000L;
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC);
    private static final Duration TOLERANCE = Duration.ofMinutes(5);
    private static final String SECRET = "whsec_current";
    private static final String BODY = "{\"id\":\"evt_1\",\"type\":\"customer.updated\"}";

    private static VerificationResult verify(final SignatureScheme scheme, final List<String> secrets,
                                             final Map<String, String> attributes, final String body) throws IOException {
        final Verification verification = new WebhookVerifier(scheme, secrets, TOLERANCE, CLOCK).begin(HeaderLookup.of(attributes));
        if (!verification.isRejectedByHeaders()) {
            verification.drain(verification.signedBody(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8))));
        }
        return verification.finish();
    }

    @Test
    void stripeAcceptsAnyMatchingV1AndIgnoresOtherSchemes() throws IOException {
        final String header = "t=" + NOW + ",v0=abcd,v1=" + TestSignatures.stripeV1("whsec_other", NOW, BODY)
                + ", v1=" + TestSignatures.stripeV1(SECRET, NOW, BODY);
        final VerificationResult result = verify(new StripeSignatureScheme(), List.of(SECRET), Map.of("Stripe-Signature", header), BODY);
        assertTrue(result.isValid(), () -> "rejected: " + result.rejection());
        assertEquals(0, result.matchedSecretIndex());
        assertEquals(NOW, result.timestampSeconds());
    }

    @Test
    void stripeSignatureOverDifferentTimestampIsBad() throws IOException {
        // The timestamp is part of the signed content: moving it invalidates the signature.
        final String header = "t=" + (NOW - 1) + ",v1=" + TestSignatures.stripeV1(SECRET, NOW, BODY);
        final VerificationResult result = verify(new StripeSignatureScheme(), List.of(SECRET), Map.of("Stripe-Signature", header), BODY);
        assertEquals(RejectionReason.BAD_SIGNATURE, result.rejection());
    }

    @Test
    void stripeToleranceIsInclusiveAtTheEdge() throws IOException {
        final long edge = NOW - TOLERANCE.toSeconds();
        assertTrue(verify(new StripeSignatureScheme(), List.of(SECRET),
                Map.of("Stripe-Signature", TestSignatures.stripeHeader(SECRET, edge, BODY)), BODY).isValid());
        assertEquals(RejectionReason.TIMESTAMP_OUTSIDE_TOLERANCE, verify(new StripeSignatureScheme(), List.of(SECRET),
                Map.of("Stripe-Signature", TestSignatures.stripeHeader(SECRET, edge - 1, BODY)), BODY).rejection());
    }

    @Test
    void forgedRequestWithOldTimestampIsReportedAsBadSignature() throws IOException {
        final String header = TestSignatures.stripeHeader("whsec_attacker", NOW - 3600, BODY);
        assertEquals(RejectionReason.BAD_SIGNATURE,
                verify(new StripeSignatureScheme(), List.of(SECRET), Map.of("Stripe-Signature", header), BODY).rejection());
    }

    @Test
    void stripeMalformedHeaders() throws IOException {
        for (final String header : List.of("garbage", "v1=" + TestSignatures.stripeV1(SECRET, NOW, BODY), "t=" + NOW,
                "t=" + NOW + ",v1=nothex", "t=12ab,v1=" + TestSignatures.stripeV1(SECRET, NOW, BODY), "t=-5,v1=00")) {
            assertEquals(RejectionReason.MALFORMED_SIGNATURE_HEADER,
                    verify(new StripeSignatureScheme(), List.of(SECRET), Map.of("Stripe-Signature", header), BODY).rejection(), header);
        }
    }

    @Test
    void shopifyMissingAndMalformedHeaders() throws IOException {
        assertEquals(RejectionReason.MISSING_SIGNATURE, verify(new ShopifySignatureScheme(), List.of(SECRET), Map.of(), BODY).rejection());
        assertEquals(RejectionReason.MISSING_SIGNATURE,
                verify(new ShopifySignatureScheme(), List.of(SECRET), Map.of("X-Shopify-Hmac-Sha256", "  "), BODY).rejection());
        assertEquals(RejectionReason.MALFORMED_SIGNATURE_HEADER,
                verify(new ShopifySignatureScheme(), List.of(SECRET), Map.of("X-Shopify-Hmac-Sha256", "not*base64!"), BODY).rejection());
    }

    @Test
    void previousSecretIsReportedAsSecondIndex() throws IOException {
        final Map<String, String> headers = Map.of("http.headers.X-Shopify-Hmac-Sha256", TestSignatures.shopify("old", BODY));
        final VerificationResult result = verify(new ShopifySignatureScheme(), List.of("new", "old"), headers, BODY);
        assertTrue(result.isValid());
        assertEquals(1, result.matchedSecretIndex());
        assertNull(result.timestampSeconds());
        assertEquals(RejectionReason.BAD_SIGNATURE, verify(new ShopifySignatureScheme(), List.of("new", "other"), headers, BODY).rejection());
    }

    @Test
    void genericPrefixIsRequiredWhenConfigured() throws IOException {
        final GenericSignatureScheme scheme = new GenericSignatureScheme("X-Hub-Signature-256", "sha256=", HmacAlgorithm.HMAC_SHA256,
                SignatureEncoding.HEX, null, null);
        final String hex = TestSignatures.hexSha256(SECRET, BODY);
        assertTrue(verify(scheme, List.of(SECRET), Map.of("X-Hub-Signature-256", "sha256=" + hex), BODY).isValid());
        assertTrue(verify(scheme, List.of(SECRET), Map.of("X-Hub-Signature-256", "SHA256=" + hex.toUpperCase()), BODY).isValid());
        assertEquals(RejectionReason.MALFORMED_SIGNATURE_HEADER,
                verify(scheme, List.of(SECRET), Map.of("X-Hub-Signature-256", hex), BODY).rejection());
        assertEquals(RejectionReason.MALFORMED_SIGNATURE_HEADER,
                verify(scheme, List.of(SECRET), Map.of("X-Hub-Signature-256", "sha1=" + hex), BODY).rejection());
    }

    @Test
    void genericSignedTimestamp() throws IOException {
        final GenericSignatureScheme scheme = new GenericSignatureScheme("X-Signature", null, HmacAlgorithm.HMAC_SHA256,
                SignatureEncoding.HEX, "X-Timestamp", ":");
        final String signature = TestSignatures.hexSha256(SECRET, NOW + ":" + BODY);
        assertTrue(verify(scheme, List.of(SECRET), Map.of("X-Signature", signature, "X-Timestamp", String.valueOf(NOW)), BODY).isValid());
        assertEquals(RejectionReason.BAD_SIGNATURE,
                verify(scheme, List.of(SECRET), Map.of("X-Signature", signature, "X-Timestamp", String.valueOf(NOW + 1)), BODY).rejection());
        assertEquals(RejectionReason.MISSING_TIMESTAMP, verify(scheme, List.of(SECRET), Map.of("X-Signature", signature), BODY).rejection());
        assertEquals(RejectionReason.MALFORMED_TIMESTAMP,
                verify(scheme, List.of(SECRET), Map.of("X-Signature", signature, "X-Timestamp", "2023-11-14T22:13:20Z"), BODY).rejection());
    }

    @Test
    void genericUnsignedTimestampIsStillCheckedForFreshness() throws IOException {
        final GenericSignatureScheme scheme = new GenericSignatureScheme("X-Signature", null, HmacAlgorithm.HMAC_SHA1,
                SignatureEncoding.BASE64, "X-Timestamp", null);
        final String signature = TestSignatures.base64Sha1(SECRET, BODY);
        assertTrue(verify(scheme, List.of(SECRET), Map.of("X-Signature", signature, "X-Timestamp", String.valueOf(NOW + 200)), BODY).isValid());
        assertEquals(RejectionReason.TIMESTAMP_OUTSIDE_TOLERANCE,
                verify(scheme, List.of(SECRET), Map.of("X-Signature", signature, "X-Timestamp", String.valueOf(NOW + 301)), BODY).rejection());
    }

    @Test
    void bodyReadThroughJsonParserIsFullySigned() throws IOException {
        // The id comes first and the tail is longer than any parser buffer: the HMAC must still see every byte.
        final String body = "{\"id\":\"evt_42\",\"padding\":\"" + "x".repeat(100_000) + "\"}";
        final Verification verification = new WebhookVerifier(new StripeSignatureScheme(), List.of(SECRET), TOLERANCE, CLOCK)
                .begin(HeaderLookup.of(Map.of("Stripe-Signature", TestSignatures.stripeHeader(SECRET, NOW, body))));
        final InputStream signedBody = verification.signedBody(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)));
        assertEquals("evt_42", JsonEventIds.find(signedBody, JsonEventIds.compile("/id")).orElseThrow());
        verification.drain(signedBody);
        assertTrue(verification.finish().isValid());
    }

    @Test
    void skippedBytesAreStillSigned() throws IOException {
        final Verification verification = new WebhookVerifier(new ShopifySignatureScheme(), List.of(SECRET), TOLERANCE, CLOCK)
                .begin(HeaderLookup.of(Map.of("X-Shopify-Hmac-Sha256", TestSignatures.shopify(SECRET, BODY))));
        final InputStream signedBody = verification.signedBody(new ByteArrayInputStream(BODY.getBytes(StandardCharsets.UTF_8)));
        assertEquals(10, signedBody.skip(10));
        verification.drain(signedBody);
        assertTrue(verification.finish().isValid());
    }

    @Test
    void headerRejectionNeedsNoBody() {
        final Verification verification = new WebhookVerifier(new StripeSignatureScheme(), List.of(SECRET), TOLERANCE, CLOCK)
                .begin(HeaderLookup.of(Map.of()));
        assertTrue(verification.isRejectedByHeaders());
        assertFalse(verification.finish().isValid());
        assertEquals(RejectionReason.MISSING_SIGNATURE, verification.finish().rejection());
    }
}
