package io.datasync.nifi.fetch;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Tests UrlRedactor and RequestTemplates. */
class UrlRedactorTest {

    @Test
    void redactsCredentialParametersUserInfoAndSecretValues() {
        final UrlRedactor redactor = new UrlRedactor(List.of("x-shop-key"), List.of("s3cr3t/+", "tok123"));
        assertEquals("https://REDACTED@h/p?a=1&X-Shop-Key=REDACTED&api_key=REDACTED#f",
                redactor.redact("https://user:pw@h/p?a=1&X-Shop-Key=zzz&api_key=abc#f"));
        final String echoed = redactor.redact("https://h/p?other=s3cr3t%2F%2B&q=tok123");
        assertFalse(echoed.contains("s3cr3t"));
        assertFalse(echoed.contains("tok123"));
        assertEquals("failed at REDACTED", redactor.scrub("failed at tok123"));
    }

    @Test
    void buildsUrlsAndBodies() {
        final Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("since", "2024-01-01T00:00:00Z");
        parameters.put("limit", "5");
        assertEquals("https://h/p?a=1&since=2024-01-01T00%3A00%3A00Z&limit=5", RequestTemplates.withParameters("https://h/p?a=1&limit=9", parameters));
        assertEquals("https://h/p?b=2", RequestTemplates.withoutParameter("https://h/p?key=1&b=2", "key"));
        assertEquals("https://h/p", RequestTemplates.withoutParameter("https://h/p?key=1", "key"));
        assertEquals("{\"after\":\"a\\\"b\",\"limit\":10,\"x\":{{unknown}}}",
                RequestTemplates.renderBody("{\"after\":{{cursor}},\"limit\":{{ pageSize }},\"x\":{{unknown}}}",
                        Map.of("cursor", RequestTemplates.jsonString("a\"b"), "pageSize", "10")));
        assertEquals("null", RequestTemplates.jsonString(null));
    }
}
