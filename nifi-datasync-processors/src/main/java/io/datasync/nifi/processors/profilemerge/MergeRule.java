package io.datasync.nifi.processors.profilemerge;

import io.datasync.nifi.merge.SurvivorshipRules;
import io.datasync.nifi.processors.common.DescribedEnum.Described;
import io.datasync.nifi.processors.common.DescribedEnum;

/**
 * The survivorship rules that need no argument, offered as choices for ProfileMerge's default rule.
 * ({@code source_priority} needs a list of sources and is set per field as a dynamic property.)
 */
public enum MergeRule implements DescribedEnum {
    LATEST(SurvivorshipRules.LATEST, "Latest",
            "The newest value wins (per-field timestamp if present, else record timestamp), even an explicit null."),
    LATEST_NON_EMPTY(SurvivorshipRules.LATEST_NON_EMPTY, "Latest Non-Empty",
            "The newest non-empty value wins; a null or blank in a newer partial update does not erase a value."),
    FIRST_NON_EMPTY(SurvivorshipRules.FIRST_NON_EMPTY, "First Non-Empty",
            "The oldest non-empty value wins."),
    MAX(SurvivorshipRules.MAX, "Maximum", "The greatest non-null value wins (numbers numerically, dates by instant)."),
    MIN(SurvivorshipRules.MIN, "Minimum", "The smallest non-null value wins (numbers numerically, dates by instant)."),
    UNION(SurvivorshipRules.UNION, "Union", "All array elements of all sources, de-duplicated, in a stable order."),
    CONSENT(SurvivorshipRules.CONSENT, "Consent",
            "The newest consent statement wins; on equal timestamps the more restrictive one (a withdrawal) wins.");

    private final String value;
    private final Described described;

    MergeRule(final String value, final String displayName, final String description) {
        this.value = value;
        this.described = new Described(displayName, description);
    }

    /** The rule's own name in {@link SurvivorshipRules}, not the constant's name. */
    @Override
    public String getValue() {
        return value;
    }

    @Override
    public Described described() {
        return described;
    }
}
