package io.datasync.nifi.merge;

/** Thrown for content that can be read but not merged; the message names fields, never values. */
public final class UnmergeableInputException extends Exception {

    public UnmergeableInputException(final String message) {
        super(message);
    }
}
