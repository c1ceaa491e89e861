package io.datasync.nifi.audit;

import io.datasync.nifi.identity.BlockedValues;
import io.datasync.nifi.identity.KeyHasher;
import io.datasync.nifi.identity.Normalizer;

import java.util.ArrayList;
import java.util.List;

/**
 * The keys CustomerDedup would link a stored profile on: its email and its phone, each normalised by CustomerDedup's own
 * normalisers, placeholders (Blocked Values) and values that normalise to nothing dropped, and hashed, so the spill
 * table of the duplicate check holds no personal data. Not thread-safe (the hasher is not).
 */
public final class MatchKeys {

    /** The rule names, as they appear in merge reasons. */
    public static final String EMAIL = "email";
    public static final String PHONE = "phone";

    /** One key of one profile: the rule that produced it and the hash of the normalised value, in hex. */
    public record MatchKey(String rule, String hash) {
    }

    private final Normalizer email;
    private final Normalizer phone;
    private final BlockedValues blocked;
    private final KeyHasher hasher;
    private long placeholdersBlocked;

    /**
     * @param email the email normaliser
     * @param phone the phone normaliser, or null when phones are not audited
     * @param blocked placeholder values that never link
     * @param hasher hashes the normalised values
     */
    public MatchKeys(final Normalizer email, final Normalizer phone, final BlockedValues blocked, final KeyHasher hasher) {
        this.email = email;
        this.phone = phone;
        this.blocked = blocked;
        this.hasher = hasher;
    }

    public List<MatchKey> of(final StoredProfile profile) {
        final List<MatchKey> keys = new ArrayList<>(2);
        add(EMAIL, email, profile.email(), keys);
        if (phone != null) {
            add(PHONE, phone, profile.phone(), keys);
        }
        return keys;
    }

    /** How many non-empty values so far were placeholders that link nothing. */
    public long placeholdersBlocked() {
        return placeholdersBlocked;
    }

    private void add(final String rule, final Normalizer normalizer, final String raw, final List<MatchKey> keys) {
        if (raw == null || raw.isBlank()) {
            return;
        }
        final String normalized = normalizer.normalize(raw);
        if (blocked.isBlocked(raw, normalized)) {
            if (normalized != null && !normalized.isEmpty()) {
                placeholdersBlocked++;
            }
            return;
        }
        if (normalized == null || normalized.isEmpty()) {
            return;
        }
        keys.add(new MatchKey(rule, hasher.hash(rule, normalized).toHex()));
    }
}
