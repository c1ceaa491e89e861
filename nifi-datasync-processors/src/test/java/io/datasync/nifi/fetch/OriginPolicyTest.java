package io.datasync.nifi.fetch;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OriginPolicyTest {

    private final OriginPolicy policy = new OriginPolicy("https://api.example.com/v1/items?x=1", List.of("https://API2.example.com:443"));
    private final URI base = URI.create("https://api.example.com/v1/items?page=1");

    @Test
    void sameOriginAndDefaultPortsAreAllowed() {
        assertTrue(policy.check(base, "/v1/items?page=2").isAllowed());
        assertTrue(policy.check(base, "https://api.example.com:443/v1/items").isAllowed());
        assertTrue(policy.check(base, "HTTPS://Api.Example.com/v1").isAllowed());
        assertEquals(URI.create("https://api.example.com/v1/items?page=2"), policy.check(base, "items?page=2").uri());
        assertTrue(policy.check(base, "https://api2.example.com/other").isAllowed(), "on the allow-list");
    }

    @Test
    void otherSchemeHostOrPortIsRefused() {
        for (final String target : List.of("http://api.example.com/v1", "https://api.example.com:8443/v1", "https://evil.example.com/v1",
                "https://api.example.com.evil.net/v1", "//evil.example.com/v1", "ftp://api.example.com/v1", "file:///etc/passwd",
                "javascript:alert(1)", "https://user:pw@api.example.com/v1", "http://exa mple.com/%%", "", "   ")) {
            final OriginPolicy.Verdict verdict = policy.check(base, target);
            assertFalse(verdict.isAllowed(), target);
            assertTrue(verdict.reason() != null && !verdict.reason().isEmpty(), target);
        }
    }

    @Test
    void allowListEntriesMustBeOrigins() {
        assertEquals(List.of("https://a.example.com:443", "http://b.example.com:8080"),
                OriginPolicy.parseAllowList(" https://a.example.com , http://b.example.com:8080/ "));
        assertEquals(List.of(), OriginPolicy.parseAllowList(null));
        assertThrows(IllegalArgumentException.class, () -> OriginPolicy.parseAllowList("https://a.example.com/path"));
        assertThrows(IllegalArgumentException.class, () -> OriginPolicy.parseAllowList("a.example.com"));
        assertThrows(IllegalArgumentException.class, () -> OriginPolicy.parseAllowList("ftp://a.example.com"));
        assertThrows(IllegalArgumentException.class, () -> OriginPolicy.parseAllowList("https://a.example.com?x=1"));
    }
}
