package io.datasync.nifi.identity;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NormalizerTest {

    @Test
    void emailIsTrimmedAndLowerCased() {
        final EmailNormalizer normalizer = new EmailNormalizer(false);
        assertEquals("jane.doe@example.org", normalizer.normalize("  Jane.Doe@Example.ORG \t"));
    }

    @Test
    void emailWithoutProviderRulesKeepsDotsAndTags() {
        final EmailNormalizer normalizer = new EmailNormalizer(false);
        assertEquals("j.doe+news@gmail.com", normalizer.normalize("J.Doe+news@gmail.com"));
    }

    @Test
    void gmailRulesDropDotsAndTagsAndUnifyGooglemail() {
        final EmailNormalizer normalizer = new EmailNormalizer(true);
        assertEquals("janedoe@gmail.com", normalizer.normalize("Jane.Doe+newsletter@gmail.com"));
        assertEquals("janedoe@gmail.com", normalizer.normalize("j.a.n.e.d.o.e@googlemail.com"));
        assertEquals("janedoe@gmail.com", normalizer.normalize("JANEDOE@GMAIL.COM"));
    }

    @Test
    void gmailRulesLeaveOtherProvidersAlone() {
        final EmailNormalizer normalizer = new EmailNormalizer(true);
        assertEquals("jane.doe+shop@outlook.com", normalizer.normalize("Jane.Doe+shop@outlook.com"));
    }

    @Test
    void malformedEmailsGiveNoKey() {
        final EmailNormalizer normalizer = new EmailNormalizer(true);
        assertNull(normalizer.normalize(""));
        assertNull(normalizer.normalize("no-at-sign"));
        assertNull(normalizer.normalize("@example.com"));
        assertNull(normalizer.normalize("jane@"));
        assertNull(normalizer.normalize("jane@@example.com"));
        assertNull(normalizer.normalize("jane doe@example.com"));
        assertNull(normalizer.normalize("jane@localhost"));
        assertNull(normalizer.normalize("+tag@gmail.com"));
    }

    @Test
    void ukNumbersInEveryWritingBecomeE164() {
        final PhoneNormalizer gb = new PhoneNormalizer("GB");
        final String expected = "+442079460958";
        assertEquals(expected, gb.normalize("020 7946 0958"));
        assertEquals(expected, gb.normalize("(020) 7946-0958"));
        assertEquals(expected, gb.normalize("+44 20 7946 0958"));
        assertEquals(expected, gb.normalize("0044 20 7946 0958"));
        assertEquals(expected, gb.normalize("+44 (0)20 7946 0958"));
        assertEquals("+447911123456", gb.normalize("07911 123456"));
    }

    @Test
    void germanNumbersBecomeE164() {
        final PhoneNormalizer de = new PhoneNormalizer("DE");
        assertEquals("+4930901820", de.normalize("030 901820"));
        assertEquals("+4930901820", de.normalize("+49 (0)30 901820"));
        assertEquals("+4930901820", new PhoneNormalizer("GB").normalize("0049 30 901820"));
        assertEquals("+4915123456789", de.normalize("0151 23456789"));
    }

    @Test
    void usNumbersBecomeE164() {
        final PhoneNormalizer us = new PhoneNormalizer("US");
        assertEquals("+16502530000", us.normalize("(650) 253-0000"));
        assertEquals("+16502530000", us.normalize("650.253.0000"));
        assertEquals("+16502530000", us.normalize("+1 650 253 0000"));
        assertEquals("+16502530000", us.normalize("1-650-253-0000"));
        assertEquals("+16502530000", new PhoneNormalizer("GB").normalize("001 650 253 0000"));
    }

    @Test
    void frenchNumbersBecomeE164() {
        final PhoneNormalizer fr = new PhoneNormalizer("FR");
        assertEquals("+33142685300", fr.normalize("01 42 68 53 00"));
        assertEquals("+33142685300", fr.normalize("01.42.68.53.00"));
        assertEquals("+33142685300", fr.normalize("+33 1 42 68 53 00"));
        assertEquals("+33142685300", new PhoneNormalizer("DE").normalize("0033 1 42 68 53 00"));
    }

    @Test
    void defaultRegionDecidesNationalNumbers() {
        assertEquals("+442079460958", new PhoneNormalizer("gb").normalize("020 7946 0958"));
        assertFalse("+442079460958".equals(new PhoneNormalizer("DE").normalize("020 7946 0958")));
    }

    @Test
    void invalidPhoneNumbersGiveNoKey() {
        final PhoneNormalizer us = new PhoneNormalizer("US");
        assertNull(us.normalize(""));
        assertNull(us.normalize("   "));
        assertNull(us.normalize("n/a"));
        assertNull(us.normalize("12345"));
        assertNull(us.normalize("000-000-0000"));
    }

    @Test
    void unknownRegionIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new PhoneNormalizer("XX"));
        assertTrue(PhoneNormalizer.isSupportedRegion("fr"));
        assertFalse(PhoneNormalizer.isSupportedRegion("ZZ"));
        assertFalse(PhoneNormalizer.isSupportedRegion(null));
    }

    @Test
    void textIsFoldedAndWhitespaceCollapsed() {
        final TextNormalizer text = new TextNormalizer(false);
        assertEquals("anna maria", text.normalize("  ANNA \t\n  Maria "));
        assertEquals("strasse", text.normalize("STRAßE"));
        assertEquals("müller", text.normalize("Müller"));
        assertNull(text.normalize(" \t "));
    }

    @Test
    void textNfkcUnifiesCompatibilityCharacters() {
        final TextNormalizer text = new TextNormalizer(false);
        // Full-width letters and digits, a ligature, and a no-break space.
        assertEquals("sw1a 1aa", text.normalize("ＳＷ１Ａ\u00A01ＡＡ"));
        assertEquals("office", text.normalize("o\uFB03ce"));
        // Composed and decomposed forms of the same accented letter.
        assertEquals(text.normalize("Jos\u00E9"), text.normalize("Jose\u0301"));
    }

    @Test
    void accentRemovalIsOptional() {
        assertEquals("muller", new TextNormalizer(true).normalize("Müller"));
        assertEquals("francois", new TextNormalizer(true).normalize("François"));
        assertEquals("jose", new TextNormalizer(true).normalize("Jose\u0301"));
        assertEquals("müller", new TextNormalizer(false).normalize("Müller"));
    }

    @Test
    void noneKeepsValuesExactly() {
        assertEquals(" CRM-001 ", NoneNormalizer.INSTANCE.normalize(" CRM-001 "));
        assertNull(NoneNormalizer.INSTANCE.normalize(""));
    }
}
