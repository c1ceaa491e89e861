package io.datasync.nifi.fetch;

/**
 * A response that cannot be read as a page of records: bad JSON, the records pointer missing or
 * not an array, a record without a readable watermark or key.
 */
public class MalformedPageException extends Exception {

    public MalformedPageException(final String message) {
        super(message);
    }

    public MalformedPageException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
