package io.datasync.nifi.identity;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Hashes a rule's normalised key parts with SHA-256. The namespace and the rule name are part of the
 * hashed input, so the same e-mail address under two rules (or two identity namespaces) gives two
 * different keys. Not thread-safe: use one instance per thread or per FlowFile.
 */
public final class KeyHasher {

    // Separators that cannot occur in a normalised value's meaningful content; they keep
    // ("ab", "c") and ("a", "bc") apart.
    private static final byte FIELD_SEPARATOR = 0x00;
    private static final byte PART_SEPARATOR = 0x1F;

    private final MessageDigest digest;
    private final byte[] namespace;

    public KeyHasher(final String namespace) {
        try {
            this.digest = MessageDigest.getInstance("SHA-256");
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
        this.namespace = namespace.getBytes(StandardCharsets.UTF_8);
    }

    public KeyHash hash(final String ruleName, final List<String> normalizedParts) {
        digest.reset();
        digest.update(namespace);
        digest.update(FIELD_SEPARATOR);
        digest.update(ruleName.getBytes(StandardCharsets.UTF_8));
        digest.update(FIELD_SEPARATOR);
        for (int i = 0; i < normalizedParts.size(); i++) {
            if (i > 0) {
                digest.update(PART_SEPARATOR);
            }
            digest.update(normalizedParts.get(i).getBytes(StandardCharsets.UTF_8));
        }
        return new KeyHash(digest.digest());
    }

    public KeyHash hash(final String ruleName, final String normalizedValue) {
        return hash(ruleName, List.of(normalizedValue));
    }
}
