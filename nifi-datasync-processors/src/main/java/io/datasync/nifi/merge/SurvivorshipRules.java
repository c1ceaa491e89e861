package io.datasync.nifi.merge;

import io.datasync.nifi.consent.ConsentVocabulary;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Parses rule specifications as written in the processor's properties:
 * {@code latest}, {@code latest_non_empty}, {@code first_non_empty}, {@code max}, {@code min},
 * {@code union}, {@code consent}, and {@code source_priority:crm,shop,web} (sources in priority order,
 * highest first, compared exactly after trimming). Rule names are case-insensitive.
 */
public final class SurvivorshipRules {

    public static final String LATEST = "latest";
    public static final String LATEST_NON_EMPTY = "latest_non_empty";
    public static final String FIRST_NON_EMPTY = "first_non_empty";
    public static final String SOURCE_PRIORITY = "source_priority";
    public static final String MAX = "max";
    public static final String MIN = "min";
    public static final String UNION = "union";
    public static final String CONSENT = "consent";

    /** Rule names, in the order the documentation lists them. */
    public static final List<String> NAMES = List.of(LATEST, LATEST_NON_EMPTY, SOURCE_PRIORITY, FIRST_NON_EMPTY, MAX, MIN, UNION, CONSENT);

    private SurvivorshipRules() {
    }

    /**
     * @throws IllegalArgumentException with a message fit for a validation result when the spec is invalid
     */
    public static SurvivorshipRule parse(final String spec) {
        return parse(spec, ConsentVocabulary.defaults());
    }

    /**
     * @param consentVocabulary how the {@code consent} rule reads status values (the same lists as ConsentFilter's)
     * @throws IllegalArgumentException with a message fit for a validation result when the spec is invalid
     */
    public static SurvivorshipRule parse(final String spec, final ConsentVocabulary consentVocabulary) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("a rule is required, one of " + NAMES);
        }
        final String trimmed = spec.trim();
        final int colon = trimmed.indexOf(':');
        final String name = (colon < 0 ? trimmed : trimmed.substring(0, colon)).trim().toLowerCase(Locale.ROOT);
        final String argument = colon < 0 ? null : trimmed.substring(colon + 1);

        if (SOURCE_PRIORITY.equals(name)) {
            final List<String> sources = parseSourceList(argument);
            if (sources.isEmpty()) {
                throw new IllegalArgumentException("source_priority needs an ordered list of sources, e.g. source_priority:crm,shop,web");
            }
            return new SourcePriorityRule(sources);
        }
        if (argument != null) {
            throw new IllegalArgumentException("rule '" + name + "' takes no argument");
        }
        return switch (name) {
            case LATEST -> new LatestRule(false);
            case LATEST_NON_EMPTY -> new LatestRule(true);
            case FIRST_NON_EMPTY -> new FirstNonEmptyRule();
            case MAX -> new ExtremeValueRule(true);
            case MIN -> new ExtremeValueRule(false);
            case UNION -> new UnionRule();
            case CONSENT -> new ConsentRule(consentVocabulary);
            default -> throw new IllegalArgumentException("unknown rule '" + name + "', expected one of " + NAMES);
        };
    }

    /** Splits a comma-separated list of source names, trimming blanks and dropping repeats. */
    public static List<String> parseSourceList(final String list) {
        if (list == null) {
            return List.of();
        }
        final Set<String> sources = new LinkedHashSet<>();
        for (final String part : list.split(",")) {
            final String source = part.trim();
            if (!source.isEmpty()) {
                sources.add(source);
            }
        }
        return new ArrayList<>(sources);
    }
}
