package io.datasync.nifi.consent;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Everything known about one subject's consent: the evidence of all its records and of the consent
 * store, the regime of its jurisdiction, and what could not be used. Decided once, so every record of
 * the subject gets the same decision and reason.
 */
public final class SubjectEvidence {

    private final List<ConsentEvidence> evidence = new ArrayList<>();
    private final Set<ConsentWarning> warnings = EnumSet.noneOf(ConsentWarning.class);
    private JurisdictionPolicy.Regime regime;

    public List<ConsentEvidence> evidence() {
        return evidence;
    }

    public Set<ConsentWarning> warnings() {
        return warnings;
    }

    /** Forgets everything, so that one instance can serve subject after subject. */
    public void clear() {
        evidence.clear();
        warnings.clear();
        regime = null;
    }

    public void add(final ConsentEvidence item) {
        evidence.add(item);
    }

    public void warn(final ConsentWarning warning) {
        warnings.add(warning);
    }

    /**
     * Adds the regime a jurisdiction named by one of the subject's records implies. When the records name
     * jurisdictions of both kinds the opt-in regime holds, so a disagreement fails closed. Records that name
     * none add nothing: a missing value is missing data, not another jurisdiction.
     */
    public void addRegime(final JurisdictionPolicy.Regime recordRegime) {
        if (regime == null || recordRegime == JurisdictionPolicy.Regime.OPT_IN) {
            regime = recordRegime;
        }
    }

    /** The subject's regime, or the given default (the Default Policy's) when no record named a jurisdiction. */
    public JurisdictionPolicy.Regime regime(final JurisdictionPolicy.Regime defaultRegime) {
        return regime == null ? defaultRegime : regime;
    }

    /** The warnings as text, in a fixed order, comma-separated; null when there are none. */
    public String warningText() {
        if (warnings.isEmpty()) {
            return null;
        }
        final List<String> names = new ArrayList<>(warnings.size());
        for (final ConsentWarning warning : warnings) {
            names.add(warning.name());
        }
        return String.join(",", Collections.unmodifiableList(names));
    }
}
