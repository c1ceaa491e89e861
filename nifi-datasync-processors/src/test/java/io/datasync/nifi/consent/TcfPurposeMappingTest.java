package io.datasync.nifi.consent;

import com.iabtcf.decoder.TCString;
import com.iabtcf.encoder.TCStringEncoder;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TcfPurposeMappingTest {

    private static final List<String> PURPOSES = List.of("email_marketing", "personalisation", "unmapped");
    private static final Instant UPDATED = Instant.parse("2026-02-10T00:00:00Z");

    /** A real TCF v2.2 TC string built with the IAB encoder: consent for purposes 1, 3 and 4 only. */
    static String encodeTcString(final Instant lastUpdated, final int... consentedPurposes) {
        final TCStringEncoder.Builder builder = TCStringEncoder.newBuilder()
                .version(2)
                .created(lastUpdated.minus(1, ChronoUnit.DAYS))
                .lastUpdated(lastUpdated)
                .cmpId(300)
                .cmpVersion(1)
                .consentScreen(1)
                .consentLanguage("EN")
                .vendorListVersion(80)
                .tcfPolicyVersion(4)
                .isServiceSpecific(true)
                .publisherCC("DE");
        for (final int purpose : consentedPurposes) {
            builder.addPurposesConsent(purpose);
        }
        return builder.encode();
    }

    @Test
    void realTcStringDecodesToMappedPurposes() {
        final String tcString = encodeTcString(UPDATED, 1, 3, 4);
        // the string is what a CMP would write: check it independently with the decoder
        final TCString decoded = TCString.decode(tcString);
        assertEquals(2, decoded.getVersion());
        assertEquals(4, decoded.getTcfPolicyVersion());

        final TcfPurposeMapping mapping = TcfPurposeMapping.parse("email_marketing=1 7; personalisation=1,3,4");
        final List<ConsentEvidence> evidence = new ArrayList<>();
        mapping.addEvidence(tcString, PURPOSES, evidence);

        assertEquals(List.of(
                new ConsentEvidence(ConsentSource.TCF, "email_marketing", ConsentStatus.DENIED, UPDATED),
                new ConsentEvidence(ConsentSource.TCF, "personalisation", ConsentStatus.GRANTED, UPDATED)), evidence);
    }

    @Test
    void allMappedPurposesGranted() {
        final List<ConsentEvidence> evidence = new ArrayList<>();
        TcfPurposeMapping.parse("email_marketing=1 7").addEvidence(encodeTcString(UPDATED, 1, 7), PURPOSES, evidence);
        assertEquals(List.of(new ConsentEvidence(ConsentSource.TCF, "email_marketing", ConsentStatus.GRANTED, UPDATED)), evidence);
    }

    @Test
    void undecodableStringIsRejected() {
        final TcfPurposeMapping mapping = TcfPurposeMapping.parse("email_marketing=1");
        assertThrows(IllegalArgumentException.class, () -> mapping.addEvidence("not a tc string!", PURPOSES, new ArrayList<>()));
        assertThrows(IllegalArgumentException.class, () -> mapping.addEvidence("", PURPOSES, new ArrayList<>()));
    }

    @Test
    void mappingSyntax() {
        assertEquals("email_marketing=1 7; personalisation=3", TcfPurposeMapping.parse(" email_marketing = 1, 7 ;personalisation=3;").toString());
        assertThrows(IllegalArgumentException.class, () -> TcfPurposeMapping.parse("email_marketing"));
        assertThrows(IllegalArgumentException.class, () -> TcfPurposeMapping.parse("email_marketing=x"));
        assertThrows(IllegalArgumentException.class, () -> TcfPurposeMapping.parse("email_marketing=25"));
        assertThrows(IllegalArgumentException.class, () -> TcfPurposeMapping.parse("email_marketing="));
        assertThrows(IllegalArgumentException.class, () -> TcfPurposeMapping.parse(""));
    }
}
