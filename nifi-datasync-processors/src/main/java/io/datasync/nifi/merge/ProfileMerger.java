package io.datasync.nifi.merge;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Folds all records of one customer into one profile, field by field, each field under its own
 * survivorship rule or the default rule. Thread-safe: holds only immutable configuration.
 */
public final class ProfileMerger {

    private final Map<String, SurvivorshipRule> fieldRules;
    private final SurvivorshipRule defaultRule;

    public ProfileMerger(final Map<String, SurvivorshipRule> fieldRules, final SurvivorshipRule defaultRule) {
        this.fieldRules = Map.copyOf(fieldRules);
        this.defaultRule = Objects.requireNonNull(defaultRule, "defaultRule");
    }

    public SurvivorshipRule ruleFor(final String field) {
        return fieldRules.getOrDefault(field, defaultRule);
    }

    /**
     * @param records the customer's records (stored profile included, if any); any order
     * @param fields  the fields of the output profile
     */
    public MergedProfile merge(final List<SourceRecord> records, final List<String> fields) {
        final Map<String, MergedValue> merged = new LinkedHashMap<>(Math.max(16, fields.size() * 2));
        final List<Candidate> candidates = new ArrayList<>(records.size());
        final List<Candidate> typed = new ArrayList<>(records.size());
        final List<String> wrongTypeFields = new ArrayList<>();
        int conflicts = 0;
        int wrongTypeValues = 0;
        for (final String field : fields) {
            candidates.clear();
            for (final SourceRecord record : records) {
                final Candidate candidate = record.candidateFor(field);
                if (candidate != null) {
                    candidates.add(candidate);
                }
            }
            if (candidates.isEmpty()) {
                continue;
            }
            if (hasDifferingValues(candidates)) {
                conflicts++;
            }
            final SurvivorshipRule rule = ruleFor(field);
            List<Candidate> offered = candidates;
            if (rule.ordersValues()) {
                typed.clear();
                final int wrongType = TypedCandidates.filter(candidates, typed);
                if (wrongType > 0) {
                    wrongTypeValues += wrongType;
                    wrongTypeFields.add(field);
                }
                if (typed.isEmpty()) {
                    continue;
                }
                offered = typed;
            }
            final MergedValue value = rule.choose(offered);
            if (value != null) {
                merged.put(field, value);
            }
        }
        return new MergedProfile(merged, conflicts, wrongTypeValues, List.copyOf(wrongTypeFields));
    }

    private static boolean hasDifferingValues(final List<Candidate> candidates) {
        Object first = null;
        for (final Candidate candidate : candidates) {
            final Object value = candidate.value();
            if (Values.isEmpty(value)) {
                continue;
            }
            if (first == null) {
                first = value;
            } else if (CanonicalValueComparator.INSTANCE.compare(first, value) != 0) {
                return true;
            }
        }
        return false;
    }
}
