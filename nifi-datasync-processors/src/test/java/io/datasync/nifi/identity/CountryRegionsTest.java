package io.datasync.nifi.identity;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class CountryRegionsTest {

    private final CountryRegions regions = CountryRegions.instance();

    @Test
    void codesSubdivisionsAndNamesInSeveralLanguages() {
        assertEquals("US", regions.regionOf("US-CA"));
        assertEquals("US", regions.regionOf(" u.s.a. "));
        assertEquals("US", regions.regionOf("United States"));
        assertEquals("GB", regions.regionOf("UK"));
        assertEquals("GB", regions.regionOf("gb-eng"));
        assertEquals("GB", regions.regionOf("United Kingdom"));
        assertEquals("DE", regions.regionOf("Deutschland"));
        assertEquals("DE", regions.regionOf("DEU"));
        assertEquals("DE", regions.regionOf("Allemagne"));
        assertEquals("FR", regions.regionOf("france"));
        assertEquals("BR", regions.regionOf("Brasil"));
        assertEquals("BR", regions.regionOf("BR-SP"));
        assertEquals("AT", regions.regionOf("Österreich"));
        assertEquals("AT", regions.regionOf("Osterreich"));
    }

    @Test
    void unknownFormsAreUnknown() {
        assertNull(regions.regionOf(null));
        assertNull(regions.regionOf(""));
        assertNull(regions.regionOf("nowhere"));
        assertNull(regions.regionOf("XX-1"));
    }
}
