package io.datasync.nifi.identity;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Placeholder values that must never link two records (a shared {@code test@example.com} is not a
 * shared person). A value is blocked when its trimmed, lower-cased raw form or its normalised form is
 * in the list; empty values are always blocked.
 */
public final class BlockedValues {

    public static final List<String> DEFAULTS = List.of(
            "test@example.com", "noemail@example.com", "none@none.com", "n/a", "na", "none", "null", "unknown", "-",
            "0000000000", "1234567890");

    private final Set<String> values;

    public BlockedValues(final Collection<String> blocked) {
        final Set<String> lowerCased = new HashSet<>();
        for (final String value : blocked) {
            final String trimmed = value.trim().toLowerCase(Locale.ROOT);
            if (!trimmed.isEmpty()) {
                lowerCased.add(trimmed);
            }
        }
        this.values = Set.copyOf(lowerCased);
    }

    public boolean isBlocked(final String raw, final String normalized) {
        if (normalized == null || normalized.isEmpty()) {
            return true;
        }
        final String trimmed = raw.trim();
        if (trimmed.isEmpty()) {
            return true;
        }
        return values.contains(trimmed.toLowerCase(Locale.ROOT)) || values.contains(normalized.toLowerCase(Locale.ROOT));
    }

    /**
     * Parses a comma-separated list; surrounding whitespace is ignored.
     */
    public static BlockedValues parse(final String commaSeparated) {
        if (commaSeparated == null || commaSeparated.isBlank()) {
            return new BlockedValues(List.of());
        }
        return new BlockedValues(List.of(commaSeparated.split(",")));
    }
}
