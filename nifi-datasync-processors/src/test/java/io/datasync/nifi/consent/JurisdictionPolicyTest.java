package io.datasync.nifi.consent;

import org.junit.jupiter.api.Test;

import static io.datasync.nifi.consent.JurisdictionPolicy.Regime.OPT_IN;
import static io.datasync.nifi.consent.JurisdictionPolicy.Regime.OPT_OUT;
import static org.junit.jupiter.api.Assertions.assertEquals;

class JurisdictionPolicyTest {

    private final JurisdictionPolicy policy = new JurisdictionPolicy(
            JurisdictionPolicy.parseList("DE, FR,gb  EU"), JurisdictionPolicy.parseList("US-CA,US-CO;US-VA"), OPT_IN);

    @Test
    void optInList() {
        assertEquals(OPT_IN, policy.regimeFor("DE"));
        assertEquals(OPT_IN, policy.regimeFor("gb"));
        assertEquals(OPT_IN, policy.regimeFor(" eu "));
    }

    @Test
    void optOutListWithRegions() {
        assertEquals(OPT_OUT, policy.regimeFor("US-CA"));
        assertEquals(OPT_OUT, policy.regimeFor("us_co"));
    }

    @Test
    void unlistedAndMissingUseTheDefault() {
        assertEquals(OPT_IN, policy.regimeFor("US-TX"));
        assertEquals(OPT_IN, policy.regimeFor("BR"));
        assertEquals(OPT_IN, policy.regimeFor(null));
        assertEquals(OPT_IN, policy.regimeFor(""));
        final JurisdictionPolicy lenient = new JurisdictionPolicy(JurisdictionPolicy.parseList("DE"), JurisdictionPolicy.parseList(""), OPT_OUT);
        assertEquals(OPT_OUT, lenient.regimeFor("BR"));
        assertEquals(OPT_IN, lenient.regimeFor("DE"));
    }

    @Test
    void regionFallsBackToItsCountry() {
        final JurisdictionPolicy countryLevel = new JurisdictionPolicy(JurisdictionPolicy.parseList("DE"), JurisdictionPolicy.parseList("US"), OPT_IN);
        assertEquals(OPT_OUT, countryLevel.regimeFor("US-TX"));
        assertEquals(OPT_IN, countryLevel.regimeFor("DE-BY"));
    }

    @Test
    void optInWinsWhenListedTwice() {
        final JurisdictionPolicy both = new JurisdictionPolicy(JurisdictionPolicy.parseList("US-CA"), JurisdictionPolicy.parseList("US-CA"), OPT_OUT);
        assertEquals(OPT_IN, both.regimeFor("US-CA"));
    }
}
