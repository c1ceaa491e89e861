package io.datasync.nifi.identity;

import io.datasync.nifi.common.Digests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Where a customer id stands now: the index's merge entries ({@code a:} + SHA-256 of the id, holding the id it was
 * merged into) followed to their end, and the merges one batch made since. One instance serves one batch; the cache
 * maps an id to where it stood when cached, and a survivor merged away later in the batch is followed on.
 */
final class MergeChains {

    static final String ALIAS_PREFIX = "a:";
    private static final int MAX_HOPS = 64;

    private final IdentityStore store;
    private final MessageDigest digest;
    private final Map<String, String> currentIdCache = new HashMap<>();

    MergeChains(final IdentityStore store) {
        this.store = store;
        this.digest = Digests.sha256();
    }

    /** The index entry holding the id {@code customerId} was merged into. */
    String aliasEntry(final String customerId) {
        digest.reset();
        return ALIAS_PREFIX + HexFormat.of().formatHex(digest.digest(customerId.getBytes(StandardCharsets.UTF_8)));
    }

    /** Notes that this batch merged {@code id} into {@code survivor}. */
    void merged(final String id, final String survivor) {
        currentIdCache.put(id, survivor);
    }

    /** The id {@code id} stands for now: its merge entries followed, and then the merges this batch made since. */
    String current(final String id) throws IOException {
        String current = currentIdCache.get(id);
        if (current == null) {
            current = follow(id);
            currentIdCache.put(id, current);
        }
        // each step goes to a survivor the batch merged into later; bounded, should a foreign entry loop
        for (int hop = 0; hop < MAX_HOPS; hop++) {
            final String next = currentIdCache.get(current);
            if (next == null || next.equals(current)) {
                if (!current.equals(currentIdCache.get(id))) {
                    currentIdCache.put(id, current);
                }
                return current;
            }
            current = next;
        }
        throw new IOException("Merge chain longer than " + MAX_HOPS + " ids");
    }

    /** The end of {@code id}'s merge entries in the index, read afresh (one request per hop). */
    String follow(final String id) throws IOException {
        String current = id;
        for (int hop = 0; hop < MAX_HOPS; hop++) {
            final String entry = aliasEntry(current);
            final String next = store.getAll(Set.of(entry)).get(entry);
            if (next == null || next.equals(current)) {
                return current;
            }
            current = next;
        }
        throw new IOException("Merge chain longer than " + MAX_HOPS + " ids");
    }

    /** Follows the merge entries of many ids with one index request per hop, and caches where each ends. */
    void prefetch(final Set<String> ids) throws IOException {
        final Map<String, String> position = new HashMap<>();
        for (final String id : ids) {
            position.put(id, id);
        }
        for (int hop = 0; hop < MAX_HOPS && !position.isEmpty(); hop++) {
            final Map<String, String> entryToId = new HashMap<>();
            for (final String current : new LinkedHashSet<>(position.values())) {
                entryToId.put(aliasEntry(current), current);
            }
            final Map<String, String> nextOf = new HashMap<>();
            for (final Map.Entry<String, String> alias : IdentityResolver.nonNullValues(store.getAll(entryToId.keySet())).entrySet()) {
                nextOf.put(entryToId.get(alias.getKey()), alias.getValue());
            }
            final Map<String, String> stillMoving = new HashMap<>();
            for (final Map.Entry<String, String> origin : position.entrySet()) {
                final String next = nextOf.get(origin.getValue());
                if (next == null || next.equals(origin.getValue())) {
                    currentIdCache.put(origin.getKey(), origin.getValue());
                } else {
                    stillMoving.put(origin.getKey(), next);
                }
            }
            position.clear();
            position.putAll(stillMoving);
        }
        if (!position.isEmpty()) {
            throw new IOException("Merge chain longer than " + MAX_HOPS + " ids");
        }
    }
}
