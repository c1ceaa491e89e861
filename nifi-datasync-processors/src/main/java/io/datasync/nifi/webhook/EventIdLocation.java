package io.datasync.nifi.webhook;

/**
 * Where a webhook's event id is found: a request header, or a JSON Pointer into the body.
 */
public record EventIdLocation(Kind kind, String location) {

    public enum Kind {
        HEADER,
        JSON_POINTER
    }

    public static EventIdLocation header(final String headerName) {
        return new EventIdLocation(Kind.HEADER, headerName);
    }

    public static EventIdLocation jsonPointer(final String pointer) {
        return new EventIdLocation(Kind.JSON_POINTER, pointer);
    }
}
