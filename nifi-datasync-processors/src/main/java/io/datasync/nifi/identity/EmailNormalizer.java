package io.datasync.nifi.identity;

import java.util.Locale;

/**
 * Normalises e-mail addresses: trimmed and lower-cased. With provider rules enabled, Gmail addresses
 * (gmail.com and googlemail.com deliver to the same mailbox) lose the dots of the local part and any
 * {@code +tag}, because Gmail itself ignores both.
 */
public final class EmailNormalizer implements Normalizer {

    private static final String GMAIL = "gmail.com";
    private static final String GOOGLEMAIL = "googlemail.com";

    private final boolean providerRules;

    public EmailNormalizer(final boolean providerRules) {
        this.providerRules = providerRules;
    }

    @Override
    public String normalize(final String raw) {
        final String email = raw.trim().toLowerCase(Locale.ROOT);
        final int at = email.indexOf('@');
        if (at <= 0 || at != email.lastIndexOf('@') || at == email.length() - 1) {
            return null;
        }

        String local = email.substring(0, at);
        String domain = email.substring(at + 1);
        if (domain.indexOf('.') < 0 || containsWhitespace(email)) {
            return null;
        }

        if (providerRules && (GMAIL.equals(domain) || GOOGLEMAIL.equals(domain))) {
            final int plus = local.indexOf('+');
            if (plus >= 0) {
                local = local.substring(0, plus);
            }
            local = local.replace(".", "");
            domain = GMAIL;
            if (local.isEmpty()) {
                return null;
            }
        }
        return local + '@' + domain;
    }

    private static boolean containsWhitespace(final String value) {
        for (int i = 0; i < value.length(); i++) {
            if (Character.isWhitespace(value.charAt(i))) {
                return true;
            }
        }
        return false;
    }
}
