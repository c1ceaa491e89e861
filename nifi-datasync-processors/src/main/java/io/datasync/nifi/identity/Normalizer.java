package io.datasync.nifi.identity;

/**
 * Turns a raw identifier into the canonical form that is compared and hashed. Implementations are
 * immutable and thread-safe unless stated otherwise.
 */
public interface Normalizer {

    /**
     * @param raw the raw value, never null
     * @return the canonical value, or null when the value cannot identify anyone (empty, malformed)
     */
    String normalize(String raw);
}
