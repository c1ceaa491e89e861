package io.datasync.nifi.fetch;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PageParserTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static byte[] bytes(final String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void readsNestedRecordsAndCapturesACursorBeforeOrAfterThem() throws Exception {
        final PageParser parser = new PageParser(MAPPER, "/results", "/paging/next/after");
        final PageParser.ParsedPage after = parser.parse(bytes("{\"total\":2,\"results\":[{\"id\":1},{\"id\":2}],\"paging\":{\"next\":{\"after\":\"42\"}}}"));
        assertEquals(2, after.records().size());
        assertEquals("42", after.captured());
        final PageParser.ParsedPage before = parser.parse(bytes("{\"paging\":{\"next\":{\"after\":7}},\"results\":[]}"));
        assertEquals(0, before.records().size());
        assertEquals("7", before.captured());
        assertNull(parser.parse(bytes("{\"results\":[],\"paging\":{\"next\":null}}")).captured());
    }

    @Test
    void rootArrayAndEscapedPointers() throws Exception {
        assertEquals(3, new PageParser(MAPPER, "", null).parse(bytes("[{},{},{}]")).records().size());
        assertEquals(1, new PageParser(MAPPER, "/a~1b/0/items", null).parse(bytes("{\"a/b\":[{\"items\":[1]}]}")).records().size());
    }

    @Test
    void malformedBodies() {
        final PageParser parser = new PageParser(MAPPER, "/data", null);
        assertThrows(MalformedPageException.class, () -> parser.parse(bytes("{\"data\":[{\"id\":1},")));
        assertThrows(MalformedPageException.class, () -> parser.parse(bytes("{\"items\":[]}")));
        assertThrows(MalformedPageException.class, () -> parser.parse(bytes("{\"data\":{}}")));
        assertThrows(MalformedPageException.class, () -> parser.parse(bytes("")));
        final MalformedPageException notJson = assertThrows(MalformedPageException.class, () -> parser.parse(bytes("{\"data\":[{\"email\": jane@example.com}]}")));
        assertFalse(notJson.getMessage().contains("jane"), notJson.getMessage());
    }
}
