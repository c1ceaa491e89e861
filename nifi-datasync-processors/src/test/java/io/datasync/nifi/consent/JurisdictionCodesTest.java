package io.datasync.nifi.consent;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.Tuple.Tuple2;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Locale;
import java.util.Map;

import static io.datasync.nifi.consent.JurisdictionPolicy.Regime.OPT_IN;
import static io.datasync.nifi.consent.JurisdictionPolicy.Regime.OPT_OUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Country names and codes as feeds write them, against an oracle written by hand from the examples (no
 * locale data, no code shared with the product), in generated spellings; and the regime a name gets is the regime
 * its code gets.
 */
class JurisdictionCodesTest {

    /** The oracle: written forms to the canonical code. */
    private static final Map<String, String> ORACLE = Map.ofEntries(
            Map.entry("Germany", "DE"), Map.entry("Deutschland", "DE"), Map.entry("Allemagne", "DE"), Map.entry("de", "DE"),
            Map.entry("DEU", "DE"), Map.entry("United States", "US"), Map.entry("USA", "US"), Map.entry("us", "US"),
            Map.entry("United States of America", "US"), Map.entry("France", "FR"), Map.entry("fr", "FR"), Map.entry("FRA", "FR"),
            Map.entry("United Kingdom", "GB"), Map.entry("UK", "GB"), Map.entry("Great Britain", "GB"), Map.entry("gb", "GB"),
            Map.entry("Brazil", "BR"), Map.entry("Brasil", "BR"), Map.entry("BRA", "BR"), Map.entry("Spain", "ES"),
            Map.entry("España", "ES"), Map.entry("Italia", "IT"), Map.entry("Nederland", "NL"), Map.entry("Österreich", "AT"),
            Map.entry("US-CA", "US-CA"), Map.entry("us-ca", "US-CA"), Map.entry("US_NY", "US-NY"), Map.entry("us tx", "US-TX"),
            Map.entry("GB-SCT", "GB-SCT"), Map.entry("BR-SP", "BR-SP"), Map.entry("DE-BE", "DE-BE"),
            Map.entry("EU", "EU"), Map.entry("EEA", "EEA"), Map.entry("Atlantis", "ATLANTIS"), Map.entry("XX-99", "XX-99"));

    @Provide
    Arbitrary<Tuple2<String, String>> spellings() {
        final List<Map.Entry<String, String>> entries = List.copyOf(ORACLE.entrySet());
        return Arbitraries.of(entries).flatMap(entry -> Arbitraries.of(0, 1, 2, 3).flatMap(casing ->
                Arbitraries.strings().withChars(' ', '\t').ofMaxLength(2).map(padding -> {
                    final String text = switch (casing) {
                        case 0 -> entry.getKey();
                        case 1 -> entry.getKey().toUpperCase(Locale.ROOT);
                        case 2 -> entry.getKey().toLowerCase(Locale.ROOT);
                        default -> padding + entry.getKey() + padding;
                    };
                    return Tuple.of(text, entry.getValue());
                })));
    }

    @Property(tries = 1000)
    void everySpellingGivesTheOraclesCode(@ForAll("spellings") final Tuple2<String, String> spelling) {
        assertEquals(spelling.get2(), JurisdictionCodes.canonical(spelling.get1()), spelling.get1());
    }

    @Property(tries = 500)
    void aNameGetsTheRegimeOfItsCode(@ForAll("spellings") final Tuple2<String, String> spelling) {
        final JurisdictionPolicy policy = new JurisdictionPolicy(JurisdictionPolicy.parseList("DE, FR, GB, EU, ES"),
                JurisdictionPolicy.parseList("US-CA, US-NY, BR"), null);
        assertEquals(policy.regimeFor(spelling.get2()), policy.regimeFor(spelling.get1()), spelling.get1());
    }

    @Test
    void namedCountriesMeetTheListsAndUnknownTextFollowsTheDefault() {
        final JurisdictionPolicy policy = new JurisdictionPolicy(JurisdictionPolicy.parseList("DE, UK"),
                JurisdictionPolicy.parseList("us-ca, US_CO"), OPT_IN);
        assertEquals(OPT_IN, policy.regimeFor("Deutschland"));
        assertEquals(OPT_IN, policy.regimeFor("Great Britain"), "UK listed, GB written");
        assertEquals(OPT_OUT, policy.regimeFor("US-CA"));
        assertEquals(OPT_OUT, policy.regimeFor("us co"));
        assertEquals(OPT_IN, policy.regimeFor("United States"), "a country is not its listed states: the default");
        assertEquals(OPT_IN, policy.regimeFor("Atlantis"));
        assertNull(JurisdictionCodes.canonical("  "));
        assertNull(JurisdictionCodes.canonical(null));
    }
}
