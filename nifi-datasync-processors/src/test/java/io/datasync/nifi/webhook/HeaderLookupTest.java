package io.datasync.nifi.webhook;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class HeaderLookupTest {

    @Test
    void findsHandleHttpRequestAttributesCaseInsensitively() {
        final HeaderLookup headers = HeaderLookup.of(Map.of("http.headers.x-shopify-hmac-sha256", " abc= "));
        assertEquals(Optional.of("abc="), headers.get("X-Shopify-Hmac-Sha256"));
    }

    @Test
    void findsListenHttpPlainAttributesCaseInsensitively() {
        final HeaderLookup headers = HeaderLookup.of(Map.of("STRIPE-SIGNATURE", "t=1,v1=00"));
        assertEquals(Optional.of("t=1,v1=00"), headers.get("Stripe-Signature"));
    }

    @Test
    void prefersHandleHttpRequestAttributeOverPlainOne() {
        final HeaderLookup headers = HeaderLookup.of(Map.of("X-Signature", "plain", "http.headers.X-Signature", "prefixed"));
        assertEquals(Optional.of("prefixed"), headers.get("x-signature"));
    }

    @Test
    void blankValuesAreAbsent() {
        final HeaderLookup headers = HeaderLookup.of(Map.of("http.headers.X-Signature", "  ", "X-Signature", "plain"));
        assertEquals(Optional.of("plain"), headers.get("X-Signature"));
        assertEquals(Optional.empty(), HeaderLookup.of(Map.of("X-Other", "v")).get("X-Signature"));
    }
}
