package io.datasync.nifi.identity;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Placeholder values that must never link two records (a shared {@code test@example.com} is not a
 * shared person). Each entry of the list is one of:
 * <ul>
 *     <li>a value, compared with the trimmed, lower-cased raw value and with the normalised value;</li>
 *     <li>a pattern with {@code *} standing for any run of characters ({@code noreply@*},
 *     {@code *@example.com}), matched against the same two forms;</li>
 *     <li>{@value #REPEATED_DIGITS}: a value with at least 6 digits and no letters whose digits, apart
 *     from a dialling prefix, are one digit repeated ({@code 000000000}, {@code +1 555 555 5555}). The
 *     prefix may be one leading digit (a trunk {@code 0} or the North American {@code 1}) or, for an
 *     international form, the country code: up to 3 digits after a leading {@code +} or {@code 00}.
 *     Only the prefix is skipped, never the start of a national number, so a real number such as
 *     {@code (415) 234-5678} or {@code (11) 91234-5678} is not a placeholder;</li>
 *     <li>{@value #SEQUENTIAL_DIGITS}: the same, with the digits one ascending or descending run
 *     ({@code 0123456789}, {@code +44 9876 543210}).</li>
 * </ul>
 * Empty values are always blocked.
 */
public final class BlockedValues {

    public static final String REPEATED_DIGITS = "{repeated-digits}";
    public static final String SEQUENTIAL_DIGITS = "{sequential-digits}";

    private static final int MIN_PLACEHOLDER_DIGITS = 6;
    private static final int MAX_COUNTRY_CODE_DIGITS = 3;

    public static final List<String> DEFAULTS = List.of(
            "noreply@*", "no-reply@*", "donotreply@*", "do-not-reply@*", "no.reply@*",
            "test@*", "*@test.com", "*@invalid", "*@localhost",
            "noemail@*", "none@*", "nobody@*", "null@*", "unknown@*", "na@*", "n/a@*",
            "n/a", "na", "none", "null", "nil", "unknown", "-", "--", "?", "0", "tbd", "not provided", "not available", "no email", "no phone",
            REPEATED_DIGITS, SEQUENTIAL_DIGITS);

    private final Set<String> values;
    private final List<String[]> patterns;
    private final boolean repeatedDigits;
    private final boolean sequentialDigits;

    public BlockedValues(final Collection<String> blocked) {
        final Set<String> lowerCased = new HashSet<>();
        final List<String[]> globs = new ArrayList<>();
        boolean repeated = false;
        boolean sequential = false;
        for (final String value : blocked) {
            final String trimmed = value.trim().toLowerCase(Locale.ROOT);
            if (trimmed.isEmpty()) {
                continue;
            }
            if (REPEATED_DIGITS.equals(trimmed)) {
                repeated = true;
            } else if (SEQUENTIAL_DIGITS.equals(trimmed)) {
                sequential = true;
            } else if (trimmed.indexOf('*') >= 0) {
                globs.add(trimmed.split("\\*", -1));
            } else {
                lowerCased.add(trimmed);
            }
        }
        this.values = Set.copyOf(lowerCased);
        this.patterns = List.copyOf(globs);
        this.repeatedDigits = repeated;
        this.sequentialDigits = sequential;
    }

    public boolean isBlocked(final String raw, final String normalized) {
        if (normalized == null || normalized.isEmpty()) {
            return true;
        }
        final String trimmed = raw.trim();
        if (trimmed.isEmpty()) {
            return true;
        }
        final String lowerRaw = trimmed.toLowerCase(Locale.ROOT);
        final String lowerNormalized = normalized.toLowerCase(Locale.ROOT);
        if (values.contains(lowerRaw) || values.contains(lowerNormalized)) {
            return true;
        }
        for (final String[] pattern : patterns) {
            if (matches(pattern, lowerRaw) || matches(pattern, lowerNormalized)) {
                return true;
            }
        }
        return (repeatedDigits || sequentialDigits) && (isDigitPlaceholder(lowerRaw) || isDigitPlaceholder(lowerNormalized));
    }

    private boolean isDigitPlaceholder(final String value) {
        final StringBuilder digits = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            final char c = value.charAt(i);
            if (Character.isLetter(c)) {
                return false;
            }
            if (c >= '0' && c <= '9') {
                digits.append(c);
            }
        }
        if (digits.length() < MIN_PLACEHOLDER_DIGITS) {
            return false;
        }
        final int maxPrefix = maxPrefixDigits(value, digits);
        for (int prefix = 0; prefix <= maxPrefix && digits.length() - prefix >= MIN_PLACEHOLDER_DIGITS; prefix++) {
            if (repeatedDigits && isRun(digits, prefix, 0)) {
                return true;
            }
            if (sequentialDigits && (isRun(digits, prefix, 1) || isRun(digits, prefix, -1))) {
                return true;
            }
        }
        return false;
    }

    /**
     * How many leading digits may be a dialling prefix rather than part of the number: the country code
     * of an international form ({@code +CC} or {@code 00CC}), otherwise one trunk or NANP digit.
     */
    private static int maxPrefixDigits(final String value, final CharSequence digits) {
        if (value.startsWith("+")) {
            return MAX_COUNTRY_CODE_DIGITS;
        }
        if (digits.length() > 2 && digits.charAt(0) == '0' && digits.charAt(1) == '0') {
            return 2 + MAX_COUNTRY_CODE_DIGITS;
        }
        return 1;
    }

    /**
     * @return true when every digit from {@code start} follows the one before by {@code step}, counting
     * round from 9 to 0 (1234567890) or 0 to 9 (0987654321) as part of the run
     */
    private static boolean isRun(final CharSequence digits, final int start, final int step) {
        for (int i = start + 1; i < digits.length(); i++) {
            final int difference = digits.charAt(i) - digits.charAt(i - 1);
            final boolean follows = step == 0 ? difference == 0
                    : step > 0 ? difference == 1 || difference == -9
                    : difference == -1 || difference == 9;
            if (!follows) {
                return false;
            }
        }
        return true;
    }

    private static boolean matches(final String[] parts, final String value) {
        // parts come from splitting the pattern at '*': value must start with the first, end with the last,
        // and hold the middle ones in order between them.
        final String first = parts[0];
        final String last = parts[parts.length - 1];
        if (!value.startsWith(first) || value.length() < first.length() + last.length() || !value.endsWith(last)) {
            return false;
        }
        int position = first.length();
        final int end = value.length() - last.length();
        for (int i = 1; i < parts.length - 1; i++) {
            final int found = value.indexOf(parts[i], position);
            if (found < 0 || found + parts[i].length() > end) {
                return false;
            }
            position = found + parts[i].length();
        }
        return true;
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
