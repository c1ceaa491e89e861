package io.datasync.nifi.merge;

import io.datasync.nifi.consent.ConsentCases;
import io.datasync.nifi.consent.ConsentCases.Cls;
import io.datasync.nifi.consent.ConsentCases.Config;
import io.datasync.nifi.consent.ConsentCases.Rec;
import io.datasync.nifi.consent.ConsentCases.Scope;
import io.datasync.nifi.consent.ConsentCases.Subject;
import io.datasync.nifi.consent.ConsentCases.TimeKind;
import io.datasync.nifi.consent.ConsentCases.Word;
import io.datasync.nifi.consent.ConsentOracle;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * ProfileMerge's {@code consent} rule against the independent oracle: the golden profile's consent value
 * must give, in every regime, the decision the oracle takes from all the subject's records (the rule sees
 * statuses and their times only; signals do not pass through a merge). The result must not depend on the
 * order of the records either.
 */
class ConsentRulePropertyTest {

    private static final SurvivorshipRule RULE = SurvivorshipRules.parse("consent");

    @Provide
    Arbitrary<List<Rec>> statusRecords() {
        // several sources each saying something about consent, dated, undated, in the future or with an unreadable time
        return ConsentCases.records().map(rec -> new Rec(rec.status(), rec.time(), null, null, null, null)).list().ofMinSize(1).ofMaxSize(5);
    }

    @Provide
    Arbitrary<Boolean> optOut() {
        return Arbitraries.of(true, false);
    }

    @Property(tries = 3000)
    void goldenConsentDecidesLikeAllTheRecords(@ForAll("statusRecords") final List<Rec> records, @ForAll("optOut") final boolean optOut, @ForAll final long shuffleSeed) {
        final Config config = new Config(Scope.OPT_OUT_ONLY, Scope.OPT_OUT_ONLY, true, false, optOut);
        final boolean expected = ConsentOracle.allowed(config, new Subject(records, null));

        final List<Candidate> candidates = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            final Rec rec = records.get(i);
            final long timestamp = candidateTime(rec);
            candidates.add(new Candidate(rec.status() == null ? null : rec.status().value(), timestamp,
                    new RecordOrigin("source" + i, i, timestamp)));
        }
        Collections.shuffle(candidates, new java.util.Random(shuffleSeed));
        final MergedValue golden = RULE.choose(candidates);

        final Cls goldenClass = golden == null ? Cls.NONE : classOf(golden.value());
        final boolean goldenAllowed = optOut ? goldenClass != Cls.DENIAL : goldenClass == Cls.GRANT;
        assertEquals(expected, goldenAllowed, () -> "golden " + golden + " from " + records + (optOut ? " (opt-out)" : " (opt-in)"));
    }

    /** ProfileMerge dates a value by its record's timestamp; a record whose timestamp it cannot read never reaches the rule. */
    private static long candidateTime(final Rec rec) {
        if (rec.time().kind() == TimeKind.FUTURE) {
            return Instant.parse("2999-01-01T00:00:00Z").toEpochMilli();
        }
        final Instant truth = rec.time().truth();
        return truth == null ? RecordOrigin.UNKNOWN_TIMESTAMP : truth.toEpochMilli();
    }

    private static Cls classOf(final Object value) {
        for (final Word word : ConsentCases.WORDS) {
            if (java.util.Objects.equals(word.value(), value)) {
                return word.cls();
            }
        }
        throw new AssertionError("the rule produced a value no record offered");
    }
}
