package io.datasync.nifi.consent;

import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Which consent regime applies to a subject's jurisdiction. Codes are compared case-insensitively;
 * a region such as {@code US-CA} matches a listed {@code US-CA} first, then its country {@code US}.
 * Opt-in wins when a code is on both lists, so a misconfiguration fails closed.
 */
public final class JurisdictionPolicy {

    /** How missing consent is treated. */
    public enum Regime {
        /** Nothing is used unless granted (GDPR style). */
        OPT_IN,
        /** Used unless denied, withdrawn or opted out, e.g. by GPC (CCPA style). */
        OPT_OUT
    }

    private final Set<String> optInJurisdictions;
    private final Set<String> optOutJurisdictions;
    private final Regime defaultRegime;

    public JurisdictionPolicy(final Set<String> optInJurisdictions, final Set<String> optOutJurisdictions, final Regime defaultRegime) {
        this.optInJurisdictions = normalize(optInJurisdictions);
        this.optOutJurisdictions = normalize(optOutJurisdictions);
        this.defaultRegime = defaultRegime;
    }

    /** Parses a comma or whitespace separated list of codes. */
    public static Set<String> parseList(final String text) {
        if (text == null || text.isBlank()) {
            return Set.of();
        }
        return Stream.of(text.split("[\\s,;]+")).filter(code -> !code.isEmpty()).collect(Collectors.toUnmodifiableSet());
    }

    public Regime regimeFor(final String jurisdiction) {
        if (jurisdiction == null || jurisdiction.isBlank()) {
            return defaultRegime;
        }
        // Feeds write Germany, de, US_CA: compared in canonical form (JurisdictionCodes), as the listed codes are.
        final String code = JurisdictionCodes.canonical(jurisdiction);
        final Regime exact = listed(code);
        if (exact != null) {
            return exact;
        }
        final int dash = code.indexOf('-');
        if (dash > 0) {
            final Regime country = listed(code.substring(0, dash));
            if (country != null) {
                return country;
            }
        }
        return defaultRegime;
    }

    private Regime listed(final String code) {
        if (optInJurisdictions.contains(code)) {
            return Regime.OPT_IN;
        }
        return optOutJurisdictions.contains(code) ? Regime.OPT_OUT : null;
    }

    private static Set<String> normalize(final Set<String> codes) {
        return codes.stream().map(JurisdictionCodes::canonical).filter(java.util.Objects::nonNull).collect(Collectors.toUnmodifiableSet());
    }
}
