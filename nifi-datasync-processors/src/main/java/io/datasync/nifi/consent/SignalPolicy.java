package io.datasync.nifi.consent;

/**
 * How an opt-out signal (Global Privacy Control, an IAB US Privacy opt-out of sale) is honoured.
 *
 * @param scope where the signal counts
 * @param laterGrantOverrides true when an explicit grant dated after the signal beats it; false when the
 *                            signal denies whatever grant exists
 */
public record SignalPolicy(Scope scope, boolean laterGrantOverrides) {

    /** Where a signal counts. */
    public enum Scope {
        /**
         * Only where the subject's regime is opt-out (CCPA style): there the signal is the legal opt-out.
         * In opt-in regimes (GDPR style) use already needs an explicit grant, which the signal does not
         * withdraw.
         */
        OPT_OUT_JURISDICTIONS,
        /** In every regime. */
        EVERYWHERE
    }

    /**
     * The defaults: a signal counts in opt-out jurisdictions, where the CCPA makes GPC a valid opt-out
     * request, and a later explicit grant overrides it, as the CCPA lets a consumer who opted out opt
     * back in. An undated signal is newer than every grant, so only a grant dated after it overrides it.
     */
    public static final SignalPolicy DEFAULT = new SignalPolicy(Scope.OPT_OUT_JURISDICTIONS, true);

    public SignalPolicy {
        if (scope == null) {
            throw new IllegalArgumentException("A scope is required");
        }
    }

    public boolean appliesIn(final JurisdictionPolicy.Regime regime) {
        return scope == Scope.EVERYWHERE || regime == JurisdictionPolicy.Regime.OPT_OUT;
    }
}
