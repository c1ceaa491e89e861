package io.datasync.nifi.consent;

import io.datasync.nifi.common.Timestamps;
import io.datasync.nifi.consent.ConsentCases.Config;
import io.datasync.nifi.consent.ConsentCases.Rec;
import io.datasync.nifi.consent.ConsentCases.Scope;
import io.datasync.nifi.consent.ConsentCases.Subject;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

import java.time.Instant;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The consent model (EvidenceReader + ConsentEvaluator, as ConsentFilter wires them) against the
 * independent {@link ConsentOracle}, on generated subjects: several records and a store row, dated,
 * undated and unparseable times in every supported format, ties, every vocabulary class, GPC, US Privacy,
 * TC strings, each jurisdiction kind and every signal policy.
 */
class ConsentModelPropertyTest {

    private static final Instant NOW = Instant.parse("2026-12-01T00:00:00Z");
    private static final TcfPurposeMapping MAPPING = TcfPurposeMapping.parse(ConsentCases.TCF_MAPPING);

    @Provide
    Arbitrary<Subject> subjects() {
        return ConsentCases.subjects();
    }

    @Provide
    Arbitrary<Config> configs() {
        return ConsentCases.configs();
    }

    @Property(tries = 4000)
    void modelNeverAllowsWhatTheOracleDeniesAndAgreesElsewhere(@ForAll("configs") final Config config, @ForAll("subjects") final Subject subject) {
        final boolean expected = ConsentOracle.allowed(config, subject);
        final ConsentDecision actual = decide(config, subject);
        Statistics.label("oracle").collect(expected ? "allow" : "deny");
        Statistics.label("reason").collect(actual.reason());
        if (!expected) {
            assertFalse(actual.allowed(), () -> "false allow " + actual + " for " + subject + " under " + config);
        }
        assertEquals(expected, actual.allowed(), () -> "disagreement " + actual + " for " + subject + " under " + config);
    }

    /** The product's path: raw values through the EvidenceReader, the subject's evidence through the evaluator. */
    static ConsentDecision decide(final Config config, final Subject subject) {
        final EvidenceReader reader = new EvidenceReader(List.of(ConsentCases.PURPOSE), ConsentVocabulary.defaults(), Timestamps.EpochUnit.AUTO,
                null, "status", "updated_at", MAPPING, config.vendorCheck() ? ConsentCases.VENDOR_ID : null,
                EvidenceReader.MalformedSignalHandling.DENY);
        final JurisdictionPolicy.Regime defaultRegime = config.defaultOptOut() ? JurisdictionPolicy.Regime.OPT_OUT : JurisdictionPolicy.Regime.OPT_IN;
        final JurisdictionPolicy jurisdictions = new JurisdictionPolicy(Set.of(ConsentCases.OPT_IN_CODE), Set.of(ConsentCases.OPT_OUT_CODE), defaultRegime);
        final ConsentEvaluator evaluator = new ConsentEvaluator(List.of(ConsentCases.PURPOSE), null,
                new SignalPolicy(scope(config.gpcScope()), config.laterGrantOverrides()),
                new SignalPolicy(scope(config.uspScope()), config.laterGrantOverrides()));
        final SubjectEvidence evidence = new SubjectEvidence();
        for (final Rec rec : subject.records()) {
            reader.addRecord(new EvidenceReader.RecordConsent(rec.status() == null ? null : rec.status().value(), rec.time().render(),
                    rec.gpc() == null ? null : rec.gpc().value(), rec.usp() == null ? null : rec.usp().text(),
                    rec.tc() == null ? null : rec.tc().render()), NOW, evidence);
            if (rec.jurisdiction() != null) {
                evidence.addRegime(jurisdictions.regimeFor(rec.jurisdiction()));
            }
        }
        if (subject.store() != null) {
            reader.addStore(subject.store().status().value(), subject.store().time().render(), null, NOW, evidence);
        }
        return evaluator.evaluate(evidence.evidence(), evidence.regime(defaultRegime), NOW);
    }

    static SignalPolicy.Scope scope(final Scope scope) {
        return scope == Scope.EVERYWHERE ? SignalPolicy.Scope.EVERYWHERE : SignalPolicy.Scope.OPT_OUT_JURISDICTIONS;
    }
}
