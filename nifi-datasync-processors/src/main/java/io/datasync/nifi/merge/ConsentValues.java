package io.datasync.nifi.merge;

import java.util.Locale;
import java.util.Set;

/**
 * Reads a consent field value as a grant or not. Booleans and the usual words are understood; any
 * other non-empty value counts as restrictive (fail closed): a value nobody can read as a grant must
 * never outrank a withdrawal.
 */
public final class ConsentValues {

    private static final Set<String> GRANTS = Set.of(
            "true", "yes", "y", "1", "granted", "grant", "given", "opt_in", "opt-in", "opted_in", "opted-in", "optin",
            "subscribed", "accepted", "allow", "allowed");

    private ConsentValues() {
    }

    /** True only for values that clearly grant consent. */
    public static boolean isGrant(final Object value) {
        if (value instanceof Boolean bool) {
            return bool;
        }
        if (value instanceof Number number) {
            return number.longValue() == 1L && number.doubleValue() == 1.0d;
        }
        if (value instanceof CharSequence text) {
            return GRANTS.contains(text.toString().trim().toLowerCase(Locale.ROOT));
        }
        return false;
    }
}
