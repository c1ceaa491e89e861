package io.datasync.nifi.fetch;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WatermarkFormatTest {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @Test
    void isoWithOffsetsAndFractionsCompareByInstant() {
        final Watermark withOffset = WatermarkFormat.ISO_8601.parse(NODES.textNode("2024-05-01T10:15:30.123456+02:00"));
        final Watermark utc = WatermarkFormat.ISO_8601.parse("2024-05-01T08:15:30.123456Z");
        assertEquals(utc, withOffset);
        assertEquals("2024-05-01T08:15:30.123456Z", withOffset.canonical());
        assertTrue(utc.compareTo(WatermarkFormat.ISO_8601.parse("2024-05-01T08:15:30.123457Z")) < 0);
    }

    @Test
    void isoWithoutOffsetIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> WatermarkFormat.ISO_8601.parse("2024-05-01T10:15:30"));
        assertThrows(IllegalArgumentException.class, () -> WatermarkFormat.ISO_8601.parse(NODES.numberNode(1714557330)));
        assertThrows(IllegalArgumentException.class, () -> WatermarkFormat.ISO_8601.parse(MissingNode.getInstance()));
        assertThrows(IllegalArgumentException.class, () -> WatermarkFormat.ISO_8601.parse(NODES.nullNode()));
    }

    @Test
    void epochSecondsFromNumbersAndText() {
        assertEquals(Instant.ofEpochSecond(1714557330), WatermarkFormat.EPOCH_SECONDS.parse(NODES.numberNode(1714557330L)).toInstant());
        assertEquals(Instant.ofEpochSecond(1714557330, 250_000_000), WatermarkFormat.EPOCH_SECONDS.parse(NODES.numberNode(new BigDecimal("1714557330.25"))).toInstant());
        assertEquals(Instant.ofEpochSecond(1714557330), WatermarkFormat.EPOCH_SECONDS.parse("1714557330").toInstant());
    }

    @Test
    void epochMillisAndNumbers() {
        assertEquals(Instant.ofEpochMilli(1714557330123L), WatermarkFormat.EPOCH_MILLIS.parse(NODES.numberNode(1714557330123L)).toInstant());
        assertEquals(Instant.ofEpochMilli(1714557330123L), WatermarkFormat.EPOCH_MILLIS.parse(NODES.textNode("1714557330123")).toInstant());
        assertThrows(IllegalArgumentException.class, () -> WatermarkFormat.EPOCH_MILLIS.parse(NODES.numberNode(1.5)));
        assertEquals(42L, WatermarkFormat.NUMBER.parse(NODES.numberNode(42)).toNumber());
        assertThrows(IllegalArgumentException.class, () -> WatermarkFormat.NUMBER.parse(NODES.textNode("forty-two")));
    }

    @Test
    void formattingRoundsDownSoTheLowerBoundStaysInclusive() {
        final Watermark watermark = WatermarkFormat.ISO_8601.parse("2024-05-01T08:15:30.999Z");
        assertEquals("1714551330", WatermarkFormat.EPOCH_SECONDS.format(watermark));
        assertEquals("1714551330999", WatermarkFormat.EPOCH_MILLIS.format(watermark));
        assertEquals("\"2024-05-01T08:15:30.999Z\"", WatermarkFormat.ISO_8601.formatJson(watermark));
        assertEquals("1714551330999", WatermarkFormat.EPOCH_MILLIS.formatJson(watermark));
    }

    @Test
    void lenientParsingAcceptsIsoForEpochTypes() {
        assertEquals(WatermarkFormat.EPOCH_SECONDS.parse("1704067200"), WatermarkFormat.EPOCH_SECONDS.parseLenient("2024-01-01T00:00:00Z"));
        assertEquals(7L, WatermarkFormat.NUMBER.parseLenient("7").toNumber());
    }

    @Test
    void canonicalFormRoundTripsAndLookbackSubtracts() {
        final Watermark watermark = WatermarkFormat.ISO_8601.parse("2024-05-01T08:15:30.000000001Z");
        assertEquals(watermark, Watermark.parseCanonical(watermark.canonical(), true));
        assertEquals("2024-05-01T07:15:30.000000001Z", watermark.minus(Duration.ofHours(1)).canonical());
        assertEquals(Watermark.ofNumber(9), Watermark.parseCanonical("9", false));
    }

    @Test
    void isoVariantsThatApisSendAreRead() {
        final Watermark expected = WatermarkFormat.ISO_8601.parse("2026-12-01T17:36:33Z");
        for (final String text : List.of("2026-12-01 17:36:33Z", "2026-12-01T19:36:33+0200", "2026-12-01T19:36:33+02",
                "2026-12-01 19:36:33+02:00", "2026-12-01T12:36:33-0500", "2026-12-01T17:36:33.000Z")) {
            assertEquals(expected, WatermarkFormat.ISO_8601.parse(text), text);
        }
        for (final String text : List.of("2026-12-01 17:36:33", "2026-12-01T17:36:33", "2026-12-01", "2026-12-01T17:36:33+2",
                "2026-12-01T17:36:33+02000", "2026-13-01T17:36:33Z", "last tuesday")) {
            assertThrows(IllegalArgumentException.class, () -> WatermarkFormat.ISO_8601.parse(text), text);
        }
    }
}
