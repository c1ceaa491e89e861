package io.datasync.nifi.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ShopifyBodyIdentityTest {

    @Test
    void topicObjectIdAndUpdatedAt() {
        assertEquals("orders/updated\u0000gid://shopify/Order/1\u00002024-05-01T10:00:00Z", ShopifyBodyIdentity.of(
                Map.of("admin_graphql_api_id", "gid://shopify/Order/1", "id", "1", "updated_at", "2024-05-01T10:00:00Z"), "orders/updated"));
    }

    @Test
    void plainIdWhenThereIsNoGraphqlId() {
        assertEquals("orders/updated\u00001\u00002024-05-01T10:00:00Z",
                ShopifyBodyIdentity.of(Map.of("id", "1", "updated_at", "2024-05-01T10:00:00Z"), "orders/updated"));
    }

    @Test
    void noTopicIsTheEmptyTopic() {
        assertEquals("\u00001\u0000t", ShopifyBodyIdentity.of(Map.of("id", "1", "updated_at", "t"), null));
    }

    @Test
    void noIdentityWithoutIdOrUpdatedAt() {
        assertNull(ShopifyBodyIdentity.of(Map.of("updated_at", "2024-05-01T10:00:00Z"), "orders/updated"));
        assertNull(ShopifyBodyIdentity.of(Map.of("id", "1"), "orders/updated"));
        assertNull(ShopifyBodyIdentity.of(Map.of(), "orders/updated"));
    }

    @Test
    void differentChangesOfOneObjectDiffer() {
        assertNotEquals(ShopifyBodyIdentity.of(Map.of("id", "1", "updated_at", "a"), "orders/updated"),
                ShopifyBodyIdentity.of(Map.of("id", "1", "updated_at", "b"), "orders/updated"));
        assertNotEquals(ShopifyBodyIdentity.of(Map.of("id", "1", "updated_at", "a"), "orders/updated"),
                ShopifyBodyIdentity.of(Map.of("id", "1", "updated_at", "a"), "orders/create"));
    }

    @Test
    void namesTheFieldsItReads() {
        assertEquals(Set.of("admin_graphql_api_id", "id", "updated_at"), ShopifyBodyIdentity.FIELDS);
    }
}
