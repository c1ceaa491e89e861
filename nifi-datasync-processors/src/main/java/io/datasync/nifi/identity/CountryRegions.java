package io.datasync.nifi.identity;

import java.text.Normalizer.Form;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the country a record gives (in any of the forms feeds use) as a two-letter region code for
 * phone parsing: ISO 3166-1 alpha-2 ({@code DE}) and alpha-3 ({@code DEU}) codes, ISO 3166-2
 * subdivision codes ({@code US-CA}, {@code GB-ENG}), the common non-ISO {@code UK}, and country names
 * in English, German, French, Spanish, Portuguese, Italian and Dutch ({@code Germany},
 * {@code Deutschland}, {@code Allemagne}, {@code Brasil}), compared without case, accents, dots or
 * extra spaces. Anything else is unknown (null), and the caller falls back to its default region.
 * Immutable and thread-safe.
 */
public final class CountryRegions {

    private static final Locale[] NAME_LANGUAGES = {
        Locale.ENGLISH, Locale.GERMAN, Locale.FRENCH, Locale.of("es"), Locale.of("pt"), Locale.ITALIAN, Locale.of("nl")
    };

    /** Names feeds use that are not the ISO names, by the region they stand for. */
    private static final Map<String, List<String>> ALIASES_OF_REGION = Map.of(
            "GB", List.of("uk", "great britain", "britain", "england", "scotland", "wales", "northern ireland"),
            "US", List.of("usa", "us", "united states of america", "america"),
            "BR", List.of("brazil"),
            "NL", List.of("holland"));

    private static final CountryRegions INSTANCE = new CountryRegions();

    private final Map<String, String> regionOfName = new HashMap<>();

    private CountryRegions() {
        for (final String code : Locale.getISOCountries()) {
            final Locale country = Locale.of("", code);
            regionOfName.put(fold(code), code);
            try {
                regionOfName.put(fold(country.getISO3Country()), code);
            } catch (final java.util.MissingResourceException e) {
                // A country without an alpha-3 code in this JDK: its alpha-2 code and names still work.
            }
            for (final Locale language : NAME_LANGUAGES) {
                final String name = fold(country.getDisplayCountry(language));
                if (!name.isEmpty()) {
                    regionOfName.putIfAbsent(name, code);
                }
            }
        }
        ALIASES_OF_REGION.forEach((region, aliases) -> aliases.forEach(alias -> regionOfName.put(alias, region)));
    }

    public static CountryRegions instance() {
        return INSTANCE;
    }

    /**
     * @return the two-letter region code, or null when the text names no known country
     */
    public String regionOf(final String country) {
        if (country == null) {
            return null;
        }
        String folded = fold(country);
        if (folded.isEmpty()) {
            return null;
        }
        final String direct = regionOfName.get(folded);
        if (direct != null) {
            return direct;
        }
        // ISO 3166-2 subdivision: the part before the hyphen is the country.
        final int hyphen = folded.indexOf('-');
        if (hyphen == 2 || hyphen == 3) {
            folded = folded.substring(0, hyphen);
            return regionOfName.get(folded);
        }
        return null;
    }

    private static String fold(final String text) {
        final String decomposed = java.text.Normalizer.normalize(text.trim(), Form.NFKD);
        final StringBuilder folded = new StringBuilder(decomposed.length());
        boolean space = false;
        for (int i = 0; i < decomposed.length(); i++) {
            final char c = decomposed.charAt(i);
            if (Character.getType(c) == Character.NON_SPACING_MARK || c == '.') {
                continue;
            }
            if (Character.isWhitespace(c) || c == '_') {
                space = folded.length() > 0;
                continue;
            }
            if (space) {
                folded.append(' ');
                space = false;
            }
            folded.append(Character.toLowerCase(c));
        }
        return folded.toString();
    }
}
