package io.datasync.nifi.consent;

import io.datasync.nifi.identity.CountryRegions;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The canonical code of a jurisdiction as feeds write it, before it is compared with the opt-in and opt-out lists:
 * an ISO 3166-2 subdivision keeps its region ({@code us-ca}, {@code US_CA}, {@code US CA} are {@code US-CA}); a
 * country in any form {@link CountryRegions} reads ({@code de}, {@code DEU}, {@code Germany}, {@code Deutschland},
 * {@code United States}, {@code UK}) is its ISO 3166-1 alpha-2 code; anything else is kept, trimmed and upper-cased
 * (so list entries such as {@code EU} still match themselves) and, unlisted, follows the default policy.
 */
public final class JurisdictionCodes {

    private static final Pattern SUBDIVISION = Pattern.compile("([A-Za-z]{2})[-_ ]([A-Za-z0-9]{1,3})");
    private static final Set<String> COUNTRIES = Set.of(Locale.getISOCountries());

    private JurisdictionCodes() {
    }

    /** @return the canonical code, or null for a missing or blank jurisdiction */
    public static String canonical(final String written) {
        if (written == null || written.isBlank()) {
            return null;
        }
        final String trimmed = written.trim();
        final Matcher subdivision = SUBDIVISION.matcher(trimmed);
        if (subdivision.matches()) {
            final String country = subdivision.group(1).toUpperCase(Locale.ROOT);
            if (COUNTRIES.contains(country)) {
                return country + "-" + subdivision.group(2).toUpperCase(Locale.ROOT);
            }
        }
        final String country = CountryRegions.instance().regionOf(trimmed);
        return country != null ? country : trimmed.toUpperCase(Locale.ROOT).replace('_', '-');
    }
}
