package io.datasync.nifi.fetch;

/**
 * Where the next request of a run points: a full URL (Link header, next-URL pointer), a cursor
 * token, or a page number / offset. Unused parts are null.
 */
public record PagePosition(String url, String cursor, Long number) {

    public static PagePosition ofUrl(final String url) {
        return new PagePosition(url, null, null);
    }

    public static PagePosition ofCursor(final String cursor) {
        return new PagePosition(null, cursor, null);
    }

    public static PagePosition ofNumber(final long number) {
        return new PagePosition(null, null, number);
    }

    public static PagePosition start() {
        return new PagePosition(null, null, null);
    }

    /** A short text that identifies the position, for loop detection. */
    public String fingerprint() {
        final String text = url != null ? "u:" + url : cursor != null ? "c:" + cursor : "n:" + number;
        long hash = 0xcbf29ce484222325L;
        for (int i = 0; i < text.length(); i++) {
            hash ^= text.charAt(i);
            hash *= 0x100000001b3L;
        }
        return Long.toHexString(hash);
    }
}
