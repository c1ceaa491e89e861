package io.datasync.nifi.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SurvivorshipRulesTest {

    private static final TieBreakOrder NO_ORDER = new TieBreakOrder(List.of());

    private static Candidate candidate(final Object value, final String source, final long timestamp) {
        return new Candidate(value, timestamp, new RecordOrigin(source, NO_ORDER.rankOf(source), timestamp));
    }

    private static MergedValue choose(final String rule, final Candidate... candidates) {
        final SurvivorshipRule parsed = SurvivorshipRules.parse(rule);
        final MergedValue first = parsed.choose(List.of(candidates));
        // Every rule must give the same answer for every order of its candidates.
        final List<Candidate> shuffled = new ArrayList<>(List.of(candidates));
        final Random random = new Random(7);
        for (int i = 0; i < 20; i++) {
            Collections.shuffle(shuffled, random);
            final MergedValue again = parsed.choose(shuffled);
            assertEquals(describe(first), describe(again), "rule " + rule + " depends on candidate order");
        }
        return first;
    }

    private static String describe(final MergedValue value) {
        if (value == null) {
            return "null";
        }
        final Object raw = value.value();
        final String text = raw instanceof Object[] array ? List.of(array).toString() : String.valueOf(raw);
        return text + "|" + value.source() + "|" + value.timestamp();
    }

    @Test
    void latestTakesNewestValueEvenNull() {
        final MergedValue result = choose("latest", candidate("old", "crm", 1), candidate(null, "shop", 3), candidate("mid", "web", 2));
        assertNull(result.value());
        assertEquals("shop", result.source());
        assertEquals(3L, result.timestamp());
    }

    @Test
    void latestNonEmptySkipsNullAndBlank() {
        final MergedValue result = choose("latest_non_empty",
                candidate("old", "crm", 1), candidate(null, "shop", 3), candidate("  ", "web", 4), candidate("mid", "web", 2));
        assertEquals("mid", result.value());
        assertEquals("web", result.source());
    }

    @Test
    void latestNonEmptyWithOnlyEmptyValuesYieldsNothing() {
        assertNull(choose("latest_non_empty", candidate(null, "crm", 1), candidate("", "shop", 2)));
    }

    @Test
    void firstNonEmptyTakesOldest() {
        final MergedValue result = choose("first_non_empty",
                candidate(null, "crm", 1), candidate("second", "shop", 3), candidate("first", "web", 2));
        assertEquals("first", result.value());
        assertEquals("web", result.source());
    }

    @Test
    void sourcePriorityBeatsAgeAndSkipsEmpty() {
        final MergedValue result = choose("source_priority: crm , shop,web",
                candidate("web-new", "web", 9), candidate("shop-old", "shop", 1), candidate(null, "crm", 10), candidate("other", "pos", 20));
        assertEquals("shop-old", result.value());
        assertEquals("shop", result.source());
    }

    @Test
    void sourcePriorityPrefersNewestWithinSourceAndRanksUnlistedLast() {
        assertEquals("crm-new", choose("source_priority:crm", candidate("crm-old", "crm", 1), candidate("crm-new", "crm", 5)).value());
        assertEquals("pos-new", choose("source_priority:crm", candidate("pos-old", "pos", 1), candidate("pos-new", "pos", 5)).value());
    }

    @Test
    void maxAndMinCompareNumbersNumerically() {
        final Candidate[] values = {candidate(9, "crm", 1), candidate(10L, "shop", 2), candidate(2.5d, "web", 3), candidate(null, "pos", 4)};
        final MergedValue max = choose("max", values);
        assertEquals(10L, max.value());
        assertEquals("shop", max.source());
        assertEquals(2.5d, choose("min", values).value());
    }

    @Test
    void maxOfEqualValuesNamesNewestSource() {
        assertEquals("web", choose("max", candidate(5, "crm", 1), candidate(5, "web", 2)).source());
    }

    @Test
    void maxOfIsoTimestampsIsTheLatestDate() {
        assertEquals("2024-06-01", choose("max", candidate("2024-05-31", "crm", 1), candidate("2024-06-01", "web", 0)).value());
    }

    @Test
    void unionDeduplicatesAndSorts() {
        final MergedValue result = choose("union",
                candidate(new Object[] {"vip", "news"}, "shop", 2),
                candidate(new Object[] {"news", "b2b"}, "crm", 1),
                candidate("sale", "web", 3),
                candidate(null, "pos", 4),
                candidate(new Object[] {}, "app", 5));
        assertArrayEquals(new Object[] {"b2b", "news", "sale", "vip"}, (Object[]) result.value());
        assertEquals("crm,shop,web", result.source());
        assertEquals(3L, result.timestamp());
    }

    @Test
    void unionTreatsEqualNumbersAsDuplicates() {
        final MergedValue result = choose("union", candidate(new Object[] {1, 2}, "crm", 1), candidate(new Object[] {2L, 3L}, "shop", 2));
        assertArrayEquals(new Object[] {1, 2, 3L}, (Object[]) result.value());
    }

    @Test
    void unionLineageSplitsStoredSourceLists() {
        assertEquals("crm,shop,web", choose("union", candidate(new Object[] {"a"}, "shop,web", 2), candidate("b", "crm", 1)).source());
    }

    /** Consent times are real times: the consent rule counts one before 1973 as undated (epoch seconds misread). */
    private static Candidate consentCandidate(final Object value, final String source, final long hour) {
        return candidate(value, source, CONSENT_EPOCH + hour * 3_600_000L);
    }

    private static final long CONSENT_EPOCH = java.time.Instant.parse("2024-01-01T00:00:00Z").toEpochMilli();

    @Test
    void consentWithdrawalBeatsOlderGrant() {
        final MergedValue result = choose("consent", consentCandidate("granted", "crm", 1), consentCandidate("withdrawn", "web", 2));
        assertEquals("withdrawn", result.value());
    }

    @Test
    void consentNewerGrantBeatsWithdrawal() {
        final MergedValue result = choose("consent", consentCandidate(false, "crm", 1), consentCandidate(true, "web", 2));
        assertEquals(true, result.value());
        assertEquals("web", result.source());
    }

    @Test
    void consentOnEqualTimestampsIsRestrictive() {
        assertEquals(false, choose("consent", consentCandidate(true, "crm", 5), consentCandidate(false, "web", 5)).value());
        assertEquals("revoked", choose("consent", consentCandidate("granted", "a", 5), consentCandidate("revoked", "z", 5)).value());
    }

    @Test
    void consentIgnoresMissingStatements() {
        assertEquals("granted", choose("consent", consentCandidate("granted", "crm", 1), consentCandidate(null, "shop", 9)).value());
    }

    @Test
    void consentTimesBefore1973CountAsUndated() {
        // 1714557600 is 2024-05-01 in epoch seconds, which ProfileMerge reads as milliseconds (January 1970)
        final MergedValue result = choose("consent", consentCandidate("granted", "crm", 0), candidate("withdrawn", "web", 1_714_557_600L));
        assertEquals("withdrawn", result.value(), "an undated withdrawal is newer than every grant");
        // the grant at "1970" is in fact newer than the denial of 2024-01-01, but undated it cannot prove it
        assertEquals("denied", choose("consent", candidate("granted", "crm", 1_714_557_600L), consentCandidate("denied", "web", 0)).value(),
                "an undated grant is older than every denial");
    }

    @Test
    void equalTimestampsFollowTieBreakSourceOrder() {
        final TieBreakOrder order = new TieBreakOrder(List.of("web", "crm"));
        final Candidate crm = new Candidate("a", 5, new RecordOrigin("crm", order.rankOf("crm"), 5));
        final Candidate web = new Candidate("b", 5, new RecordOrigin("web", order.rankOf("web"), 5));
        final Candidate shop = new Candidate("0", 5, new RecordOrigin("shop", order.rankOf("shop"), 5));
        assertEquals("b", SurvivorshipRules.parse("latest").choose(List.of(crm, shop, web)).value());
        assertEquals("b", SurvivorshipRules.parse("latest").choose(List.of(web, crm, shop)).value());
    }

    @Test
    void equalTimestampsWithoutOrderFallBackToCanonicalValue() {
        assertEquals("apple", choose("latest", candidate("pear", "crm", 5), candidate("apple", "web", 5)).value());
    }

    @Test
    void unknownTimestampsCountAsOldest() {
        final Candidate undated = new Candidate("undated", RecordOrigin.UNKNOWN_TIMESTAMP, new RecordOrigin("crm", 0, RecordOrigin.UNKNOWN_TIMESTAMP));
        final MergedValue latest = choose("latest", undated, candidate("dated", "web", 1));
        assertEquals("dated", latest.value());
        final MergedValue first = choose("first_non_empty", undated, candidate("dated", "web", 1));
        assertEquals("undated", first.value());
        assertNull(first.timestamp());
    }

    @Test
    void parseRejectsBadSpecs() {
        assertThrows(IllegalArgumentException.class, () -> SurvivorshipRules.parse("newest"));
        assertThrows(IllegalArgumentException.class, () -> SurvivorshipRules.parse("source_priority"));
        assertThrows(IllegalArgumentException.class, () -> SurvivorshipRules.parse("source_priority: , "));
        assertThrows(IllegalArgumentException.class, () -> SurvivorshipRules.parse("max:crm"));
        assertThrows(IllegalArgumentException.class, () -> SurvivorshipRules.parse(" "));
        assertInstanceOf(LatestRule.class, SurvivorshipRules.parse(" LATEST "));
        assertTrue(SurvivorshipRules.parse("source_priority:crm,shop,crm") instanceof SourcePriorityRule rule
                && rule.sources().equals(List.of("crm", "shop")));
    }
}
