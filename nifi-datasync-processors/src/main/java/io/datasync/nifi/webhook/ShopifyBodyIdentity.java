package io.datasync.nifi.webhook;

import java.util.Map;
import java.util.Set;

/**
 * A Shopify webhook body's identity for replay detection: the topic, the object's id and its updated_at. Shopify
 * sends the same change again under a new webhook id, so the event id alone misses such a redelivery.
 */
public final class ShopifyBodyIdentity {

    private static final String GRAPHQL_ID = "admin_graphql_api_id";
    private static final String ID = "id";
    private static final String UPDATED_AT = "updated_at";

    /** The top-level body fields the identity is made of (read them with {@link JsonEventIds#findTopLevel}). */
    public static final Set<String> FIELDS = Set.of(GRAPHQL_ID, ID, UPDATED_AT);

    private ShopifyBodyIdentity() {
    }

    /**
     * @param topLevelFields the body's top-level fields named in {@link #FIELDS}, as text
     * @param topic          the X-Shopify-Topic header, or null when the request has none
     * @return the identity, or null when the body lacks the object id or updated_at
     */
    public static String of(final Map<String, String> topLevelFields, final String topic) {
        final String objectId = topLevelFields.getOrDefault(GRAPHQL_ID, topLevelFields.get(ID));
        final String updatedAt = topLevelFields.get(UPDATED_AT);
        if (objectId == null || updatedAt == null) {
            return null;
        }
        return (topic == null ? "" : topic) + '\u0000' + objectId + '\u0000' + updatedAt;
    }
}
