package io.datasync.nifi.webhook;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WebhookEventKeysTest {

    @Test
    void sameSchemeAndIdGiveSameKey() {
        assertEquals(WebhookEventKeys.cacheKey("STRIPE", "evt_1"), WebhookEventKeys.cacheKey("STRIPE", "evt_1"));
    }

    @Test
    void schemesAndIdsAreKeptApart() {
        assertNotEquals(WebhookEventKeys.cacheKey("STRIPE", "evt_1"), WebhookEventKeys.cacheKey("SHOPIFY", "evt_1"));
        assertNotEquals(WebhookEventKeys.cacheKey("STRIPE", "evt_1"), WebhookEventKeys.cacheKey("STRIPE", "evt_2"));
        assertNotEquals(WebhookEventKeys.cacheKey("AB", "C"), WebhookEventKeys.cacheKey("A", "BC"));
    }

    @Test
    void keyIsAPrefixedHashWithoutTheRawId() {
        final String key = WebhookEventKeys.cacheKey("STRIPE", "evt_secretive_id");
        assertTrue(key.matches("datasync\\.webhook\\.[0-9a-f]{64}"), key);
        assertFalse(key.contains("evt_secretive_id"));
    }
}
