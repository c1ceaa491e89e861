package io.datasync.nifi.webhook;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class JsonEventIdsTest {

    private static Optional<String> find(final String json, final String pointer) throws IOException {
        return JsonEventIds.find(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), JsonEventIds.compile(pointer));
    }

    @Test
    void findsTopLevelAndNestedScalars() throws IOException {
        final String json = "{\"data\":{\"object\":{\"id\":\"cus_9\"}},\"id\":\"evt_1\",\"seq\":17}";
        assertEquals(Optional.of("evt_1"), find(json, "/id"));
        assertEquals(Optional.of("cus_9"), find(json, "/data/object/id"));
        assertEquals(Optional.of("17"), find(json, "/seq"));
    }

    @Test
    void ignoresNestedKeysWithTheSameName() throws IOException {
        assertEquals(Optional.empty(), find("{\"data\":{\"id\":\"inner\"}}", "/id"));
    }

    @Test
    void emptyForMissingNullObjectOrNonJson() throws IOException {
        assertEquals(Optional.empty(), find("{\"other\":1}", "/id"));
        assertEquals(Optional.empty(), find("{\"id\":null}", "/id"));
        assertEquals(Optional.empty(), find("{\"id\":{\"x\":1}}", "/id"));
        assertEquals(Optional.empty(), find("id=evt_1&type=x", "/id"));
        assertEquals(Optional.empty(), find("{\"id\": \"  \"}", "/id"));
    }

    @Test
    void rejectsTextThatIsNotAPointer() {
        assertThrows(IllegalArgumentException.class, () -> JsonEventIds.compile("id"));
        assertThrows(IllegalArgumentException.class, () -> JsonEventIds.compile(""));
    }
}
