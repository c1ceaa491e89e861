package io.datasync.nifi.webhook;

/**
 * Checks header text for a Unix time in whole seconds, the form the senders use.
 */
final class UnixSeconds {

    // 18 digits still fit a long; real timestamps have 10.
    private static final int MAX_DIGITS = 18;

    private UnixSeconds() {
    }

    static boolean isValid(final String text) {
        if (text.isEmpty() || text.length() > MAX_DIGITS) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }
}
