package io.datasync.nifi.consent;

import java.util.Locale;

/**
 * A consent state as stated by one source. The rank orders states by how restrictive they are, so
 * that two statements with the same timestamp resolve to the more restrictive one.
 */
public enum ConsentStatus {
    GRANTED(0),
    PENDING(1),
    DENIED(2),
    WITHDRAWN(3),
    /** No usable statement: an empty, unknown or unrecognised value. Never counts as evidence. */
    UNKNOWN(-1);

    private final int restrictiveness;

    ConsentStatus(final int restrictiveness) {
        this.restrictiveness = restrictiveness;
    }

    public int restrictiveness() {
        return restrictiveness;
    }

    public boolean isEvidence() {
        return this != UNKNOWN;
    }

    /**
     * Parses the many spellings that consent systems use. Anything not recognised is UNKNOWN, so an
     * unreadable value can never be taken for a grant.
     */
    public static ConsentStatus parse(final Object value) {
        if (value == null) {
            return UNKNOWN;
        }
        if (value instanceof Boolean bool) {
            return bool ? GRANTED : DENIED;
        }
        if (value instanceof Number number) {
            final double numeric = number.doubleValue();
            if (numeric == 1d) {
                return GRANTED;
            }
            return numeric == 0d ? DENIED : UNKNOWN;
        }
        final String text = value.toString().trim().toLowerCase(Locale.ROOT);
        return switch (text) {
            case "granted", "grant", "given", "true", "yes", "y", "1", "opt-in", "optin", "opt_in", "opted-in", "opted_in", "accepted", "consented" -> GRANTED;
            case "denied", "deny", "refused", "rejected", "false", "no", "n", "0", "opt-out", "optout", "opt_out", "opted-out", "opted_out", "declined" -> DENIED;
            case "withdrawn", "withdraw", "revoked", "unsubscribed" -> WITHDRAWN;
            case "pending", "requested", "unconfirmed" -> PENDING;
            default -> UNKNOWN;
        };
    }
}
