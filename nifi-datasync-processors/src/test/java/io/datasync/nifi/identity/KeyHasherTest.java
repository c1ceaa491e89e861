package io.datasync.nifi.identity;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KeyHasherTest {

    @Test
    void hashIsFixedSizeHexWithoutTheValue() {
        final KeyHash hash = new KeyHasher("customer").hash("email", "jane@example.org");
        final String hex = hash.toHex();
        assertEquals(64, hex.length());
        assertTrue(hex.matches("[0-9a-f]{64}"));
        assertFalse(hex.contains("jane"));
    }

    @Test
    void sameInputSameHash() {
        final KeyHasher hasher = new KeyHasher("customer");
        assertEquals(hasher.hash("email", "jane@example.org"), new KeyHasher("customer").hash("email", "jane@example.org"));
        assertEquals(hasher.hash("email", "jane@example.org").hashCode(), hasher.hash("email", "jane@example.org").hashCode());
    }

    @Test
    void ruleNameAndNamespaceArePartOfTheKey() {
        final KeyHasher hasher = new KeyHasher("customer");
        assertNotEquals(hasher.hash("email", "jane@example.org"), hasher.hash("billing_email", "jane@example.org"));
        assertNotEquals(hasher.hash("email", "jane@example.org"), new KeyHasher("tenant-b").hash("email", "jane@example.org"));
    }

    @Test
    void compositePartsAreSeparated() {
        final KeyHasher hasher = new KeyHasher("customer");
        assertNotEquals(hasher.hash("name", List.of("ab", "c")), hasher.hash("name", List.of("a", "bc")));
        assertEquals(hasher.hash("name", List.of("doe", "jane")), hasher.hash("name", List.of("doe", "jane")));
    }

    @Test
    void sha256OfTheDocumentedInput() throws Exception {
        final java.security.MessageDigest digest = java.security.MessageDigest.getInstance("SHA-256");
        final byte[] expected = digest.digest("customer\u0000email\u0000jane@example.org".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(java.util.HexFormat.of().formatHex(expected), new KeyHasher("customer").hash("email", "jane@example.org").toHex());
    }
}
