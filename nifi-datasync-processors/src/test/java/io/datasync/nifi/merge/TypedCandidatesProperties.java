package io.datasync.nifi.merge;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * max over a mix of numbers, numeric text and junk text, against a reference: when any value is a
 * number, the winner is the greatest of the numbers and numeric texts (by value), and the junk is
 * counted; with no number at all, every text takes part.
 */
class TypedCandidatesProperties {

    private final ProfileMerger merger = new ProfileMerger(Map.of("v", SurvivorshipRules.parse("max")), SurvivorshipRules.parse("latest"));

    @Property(tries = 1500)
    void wrongTypeNeverWinsMax(@ForAll("valueLists") final List<Object> values) {
        final List<SourceRecord> records = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            records.add(new SourceRecord(new RecordOrigin("s" + i, i, i), Map.of("v", values.get(i)), Map.of()));
        }
        final MergedProfile merged = merger.merge(records, List.of("v"));

        final boolean anyNumber = values.stream().anyMatch(Number.class::isInstance);
        if (!anyNumber) {
            assertEquals(0, merged.wrongTypeValues());
            return;
        }
        BigDecimal best = null;
        int junk = 0;
        for (final Object value : values) {
            final BigDecimal number = value instanceof Number n ? new BigDecimal(n.toString()) : decimalOrNull((String) value);
            if (number == null) {
                junk++;
            } else if (best == null || number.compareTo(best) > 0) {
                best = number;
            }
        }
        assertEquals(junk, merged.wrongTypeValues(), values.toString());
        final Object winner = merged.values().get("v").value();
        assertEquals(0, best.compareTo(new BigDecimal(winner.toString().trim())), values + " -> " + winner);
    }

    @Provide
    Arbitrary<List<Object>> valueLists() {
        return Arbitraries.oneOf(
                Arbitraries.longs().between(-1000, 1000).map(Object.class::cast),
                Arbitraries.doubles().between(-1000, 1000).ofScale(2).map(Object.class::cast),
                Arbitraries.doubles().between(-1000, 1000).ofScale(3).map(d -> (Object) (" " + d)),
                Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(5).map(Object.class::cast)).list().ofMinSize(1).ofMaxSize(8);
    }

    private static BigDecimal decimalOrNull(final String text) {
        try {
            return new BigDecimal(text.trim());
        } catch (final NumberFormatException e) {
            return null;
        }
    }
}
