package io.datasync.nifi.processors.dedup;

import io.datasync.nifi.identity.BlockedValues;
import io.datasync.nifi.identity.CountryRegions;
import io.datasync.nifi.identity.IdentityGraph;
import io.datasync.nifi.identity.KeyHasher;
import io.datasync.nifi.identity.Normalizer;
import io.datasync.nifi.common.PathListSplitter;
import io.datasync.nifi.identity.PhoneNormalizer;
import io.datasync.nifi.processors.common.RecordValueAccessor;
import org.apache.nifi.serialization.record.Record;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The configured match rules, compiled once: each rule is a list of key parts, each part a RecordPath
 * with its normaliser. Produces the key hashes of a record into an {@link IdentityGraph}.
 */
public final class MatchRules {

    private record KeyPart(RecordValueAccessor accessor, Normalizer normalizer, boolean cacheResults) {
    }

    /** A normalisation cache entry's key; normalisers compare by identity. */
    private record CacheKey(Normalizer normalizer, String region, String raw) {
    }

    private record Rule(String name, List<KeyPart> parts) {
    }

    private final List<Rule> rules;
    private final BlockedValues blockedValues;
    private final RecordValueAccessor regionAccessor;

    /**
     * @param ruleDefinitions rule name -> comma-separated RecordPaths, in rule order
     * @param normalizerOfPath RecordPath (as written) -> normaliser; paths not listed are compared as they are
     * @param cachedNormalizers normalisers worth caching per distinct input within a batch (phone parsing)
     */
    MatchRules(final Map<String, String> ruleDefinitions, final Map<String, Normalizer> normalizerOfPath,
               final List<Normalizer> cachedNormalizers, final Normalizer defaultNormalizer, final BlockedValues blockedValues) {
        this(ruleDefinitions, normalizerOfPath, cachedNormalizers, defaultNormalizer, blockedValues, null);
    }

    /**
     * @param regionAccessor reads the record's country, in which its phone numbers without a country code
     *                       are read; null to read them all in the phone normaliser's default region
     */
    MatchRules(final Map<String, String> ruleDefinitions, final Map<String, Normalizer> normalizerOfPath,
               final List<Normalizer> cachedNormalizers, final Normalizer defaultNormalizer, final BlockedValues blockedValues,
               final RecordValueAccessor regionAccessor) {
        this.regionAccessor = regionAccessor;
        final List<Rule> compiled = new ArrayList<>();
        for (final Map.Entry<String, String> definition : ruleDefinitions.entrySet()) {
            final List<KeyPart> parts = new ArrayList<>();
            for (final String path : PathListSplitter.split(definition.getValue())) {
                final Normalizer normalizer = normalizerOfPath.getOrDefault(path, defaultNormalizer);
                parts.add(new KeyPart(RecordValueAccessor.compile(path), normalizer, cachedNormalizers.contains(normalizer)));
            }
            compiled.add(new Rule(definition.getKey(), List.copyOf(parts)));
        }
        this.rules = List.copyOf(compiled);
        this.blockedValues = blockedValues;
    }

    List<String> ruleNames() {
        final List<String> names = new ArrayList<>(rules.size());
        for (final Rule rule : rules) {
            names.add(rule.name());
        }
        return names;
    }

    /**
     * Per-batch state: the hasher and the cache of expensive normalisations. Not thread-safe.
     */
    public final class Extraction {

        private static final int MAX_CACHED_NORMALIZATIONS = 100_000;
        private static final String UNUSABLE = "\u0000";

        private final KeyHasher hasher;
        /** Keyed by normaliser, region and raw text: the same text under another normaliser or region is another entry. */
        private final Map<CacheKey, String> normalizationCache = new HashMap<>();
        private final List<String> values = new ArrayList<>(4);
        private final List<String> normalizedParts = new ArrayList<>(4);
        private Record regionRecord;
        private String region;
        private int placeholdersBlocked;
        private PhoneWriteBack.Memo phoneMemo;

        Extraction(final String namespace) {
            this(new KeyHasher(namespace));
        }

        public Extraction(final KeyHasher hasher) {
            this.hasher = hasher;
        }

        public KeyHasher hasher() {
            return hasher;
        }

        /** Also hands every phone normalised here to the memo (kept for the write-back of the same records). */
        public void rememberPhonesIn(final PhoneWriteBack.Memo memo) {
            this.phoneMemo = memo;
        }

        /**
         * @return how many usable key values were dropped so far because they are Blocked Values (placeholders)
         */
        public int placeholdersBlocked() {
            return placeholdersBlocked;
        }

        public void addKeys(final Record record, final int recordIndex, final IdentityGraph graph) {
            regionRecord = record;
            region = null;
            for (int ruleIndex = 0; ruleIndex < rules.size(); ruleIndex++) {
                final Rule rule = rules.get(ruleIndex);
                if (rule.parts().size() == 1) {
                    addSinglePartKeys(rule, ruleIndex, record, recordIndex, graph);
                } else {
                    addCompositeKey(rule, ruleIndex, record, recordIndex, graph);
                }
            }
        }

        private void addSinglePartKeys(final Rule rule, final int ruleIndex, final Record record, final int recordIndex, final IdentityGraph graph) {
            final KeyPart part = rule.parts().get(0);
            values.clear();
            part.accessor().collectStrings(record, values);
            for (final String raw : values) {
                final String normalized = normalize(part, raw, record);
                if (normalized != null) {
                    graph.addKey(recordIndex, hasher.hash(rule.name(), normalized), ruleIndex);
                }
            }
        }

        private void addCompositeKey(final Rule rule, final int ruleIndex, final Record record, final int recordIndex, final IdentityGraph graph) {
            normalizedParts.clear();
            for (final KeyPart part : rule.parts()) {
                final String raw = part.accessor().firstString(record);
                final String normalized = raw == null ? null : normalize(part, raw, record);
                if (normalized == null) {
                    // All parts must be present for a composite key to mean anything.
                    return;
                }
                normalizedParts.add(normalized);
            }
            graph.addKey(recordIndex, hasher.hash(rule.name(), normalizedParts), ruleIndex);
        }

        /**
         * @return the normalised value, or null when it is unusable or blocked
         */
        private String normalize(final KeyPart part, final String raw, final Record record) {
            final String recordRegion = part.normalizer() instanceof PhoneNormalizer ? regionOf(record) : null;
            String normalized;
            if (part.cacheResults()) {
                final CacheKey cacheKey = new CacheKey(part.normalizer(), recordRegion, raw);
                normalized = normalizationCache.get(cacheKey);
                if (normalized == null) {
                    normalized = freshlyNormalized(part, raw, recordRegion);
                    if (normalizationCache.size() < MAX_CACHED_NORMALIZATIONS) {
                        normalizationCache.put(cacheKey, normalized == null ? UNUSABLE : normalized);
                    }
                } else if (UNUSABLE.equals(normalized)) {
                    return null;
                }
            } else {
                normalized = freshlyNormalized(part, raw, recordRegion);
            }
            if (blockedValues.isBlocked(raw, normalized)) {
                if (normalized != null && !normalized.isEmpty() && !raw.isBlank()) {
                    placeholdersBlocked++;
                }
                return null;
            }
            return normalized;
        }

        private String freshlyNormalized(final KeyPart part, final String raw, final String recordRegion) {
            if (part.normalizer() instanceof PhoneNormalizer phone) {
                // normalize(raw) is normalize(raw, null): the default region
                final String normalized = phone.normalize(raw, recordRegion);
                if (phoneMemo != null) {
                    phoneMemo.remember(phone, raw, recordRegion, normalized);
                }
                return normalized;
            }
            return part.normalizer().normalize(raw);
        }

        /**
         * @return the phone region the record names, or null (the default region applies)
         */
        private String regionOf(final Record record) {
            if (regionAccessor == null) {
                return null;
            }
            if (record != regionRecord || region == null) {
                regionRecord = record;
                final String country = CountryRegions.instance().regionOf(regionAccessor.firstString(record));
                region = country != null && PhoneNormalizer.isSupportedRegion(country) ? country : "";
            }
            return region.isEmpty() ? null : region;
        }
    }
}
