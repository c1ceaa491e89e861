package io.datasync.nifi.identity;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * BlockedValues' digit placeholders against a reference written from the rule's words: at least six
 * digits, no letters, and after dropping a dialling prefix (one leading digit; or, in an international
 * form, a leading {@code +} or {@code 00} and up to three country-code digits), what remains is one
 * digit repeated, or each digit one more (or one less) than the previous, 9 -> 0 and 0 -> 9 continuing a
 * run.
 */
class BlockedValuesProperties {

    private final BlockedValues digitRules = new BlockedValues(List.of(BlockedValues.REPEATED_DIGITS, BlockedValues.SEQUENTIAL_DIGITS));

    @Property(tries = 3000)
    void digitPlaceholdersMatchTheReference(@ForAll("phoneLike") final String value) {
        assertEquals(reference(value), digitRules.isBlocked(value, value), value);
    }

    @Provide
    Arbitrary<String> phoneLike() {
        final Arbitrary<String> runs = Arbitraries.integers().between(0, 9).flatMap(start -> Arbitraries.integers().between(4, 12)
                .flatMap(length -> Arbitraries.of(-1, 0, 1).map(step -> {
                    final StringBuilder digits = new StringBuilder();
                    for (int i = 0; i < length; i++) {
                        digits.append(Math.floorMod(start + i * step, 10));
                    }
                    return digits.toString();
                })));
        final Arbitrary<String> prefixes = Arbitraries.strings().withChars("+0123456789").ofMinLength(0).ofMaxLength(4);
        final Arbitrary<String> noise = Arbitraries.strings().withChars("0123456789 -()+.x").ofMinLength(0).ofMaxLength(14);
        return Arbitraries.oneOf(
                prefixes.flatMap(prefix -> runs.map(run -> prefix + run)),
                prefixes.flatMap(prefix -> runs.flatMap(run -> Arbitraries.of(" ", "-", "").map(separator ->
                        prefix + separator + run.substring(0, run.length() / 2) + separator + run.substring(run.length() / 2)))),
                noise);
    }

    private static boolean reference(final String value) {
        if (value.trim().isEmpty()) {
            return true;
        }
        if (value.chars().anyMatch(Character::isLetter)) {
            return false;
        }
        final String digits = value.replaceAll("[^0-9]", "");
        if (digits.length() < 6) {
            return false;
        }
        final String trimmed = value.trim();
        final int longestPrefix = trimmed.startsWith("+") ? 3 : digits.startsWith("00") ? 5 : 1;
        for (int drop = 0; drop <= longestPrefix && digits.length() - drop >= 6; drop++) {
            final String rest = digits.substring(drop);
            if (rest.chars().distinct().count() == 1) {
                return true;
            }
            final String ascending = "01234567890123456789";
            final String descending = "98765432109876543210";
            if (rest.length() <= 10 && (ascending.contains(rest) || descending.contains(rest))) {
                return true;
            }
            if (rest.length() > 10 && (ascending.repeat(2).contains(rest) || descending.repeat(2).contains(rest))) {
                return true;
            }
        }
        return false;
    }
}
