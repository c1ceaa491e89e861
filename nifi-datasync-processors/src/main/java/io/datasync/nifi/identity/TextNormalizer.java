package io.datasync.nifi.identity;

import java.text.Normalizer.Form;
import java.util.Locale;

/**
 * Normalises free text such as names and postcodes: Unicode NFKC (full-width and compatibility
 * characters become their plain forms), case folding, optional removal of accents, and whitespace
 * trimmed and collapsed to single spaces. Works character by character, without regular expressions.
 */
public final class TextNormalizer implements Normalizer {

    private final boolean removeAccents;

    public TextNormalizer(final boolean removeAccents) {
        this.removeAccents = removeAccents;
    }

    @Override
    public String normalize(final String raw) {
        String text = java.text.Normalizer.normalize(raw, Form.NFKC);
        // Upper then lower case folds characters with no single lower-case form (ß -> ss).
        text = text.toUpperCase(Locale.ROOT).toLowerCase(Locale.ROOT);
        if (removeAccents) {
            text = stripCombiningMarks(java.text.Normalizer.normalize(text, Form.NFD));
            text = java.text.Normalizer.normalize(text, Form.NFC);
        }
        final String collapsed = collapseWhitespace(text);
        return collapsed.isEmpty() ? null : collapsed;
    }

    private static String stripCombiningMarks(final String decomposed) {
        final StringBuilder builder = new StringBuilder(decomposed.length());
        for (int i = 0; i < decomposed.length(); i++) {
            final char c = decomposed.charAt(i);
            if (Character.getType(c) != Character.NON_SPACING_MARK) {
                builder.append(c);
            }
        }
        return builder.toString();
    }

    private static String collapseWhitespace(final String text) {
        final StringBuilder builder = new StringBuilder(text.length());
        boolean pendingSpace = false;
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
                pendingSpace = builder.length() > 0;
            } else {
                if (pendingSpace) {
                    builder.append(' ');
                    pendingSpace = false;
                }
                builder.append(c);
            }
        }
        return builder.toString();
    }
}
