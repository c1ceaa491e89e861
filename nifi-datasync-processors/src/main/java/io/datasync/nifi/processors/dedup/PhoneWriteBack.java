package io.datasync.nifi.processors.dedup;

import io.datasync.nifi.identity.BlockedValues;
import io.datasync.nifi.identity.CountryRegions;
import io.datasync.nifi.identity.PhoneNormalizer;
import io.datasync.nifi.processors.common.RecordValueAccessor;
import org.apache.nifi.serialization.record.Record;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decides the phone a record is stored with, by the same rules matching uses: the record's phone
 * values (the Phone Record Paths, in order) read in the record's own region (its country, else the
 * default region), with the same acceptance and the same blocked values. The first value that
 * normalises and is not blocked is the record's phone in E.164; when the record has phone values but
 * none qualifies, the first of them is kept exactly as written, apart, so it is neither lost nor
 * mistaken for a usable key. Blank values count as absent. Immutable and thread-safe.
 */
public final class PhoneWriteBack {

    /**
     * @param normalized the phone in E.164, or null
     * @param asWritten the first phone value as written when none normalised, or null
     */
    record Result(String normalized, String asWritten) {
    }

    private static final Result NONE = new Result(null, null);

    /**
     * One FlowFile's results of this write-back's normaliser, by region and value: what the first pass worked out for
     * its match keys is not worked out again when the records are written (a phone parse is the costliest step of both).
     * Holds at most {@value #MAX_RESULTS} results; past that, values are normalised again. Not thread-safe.
     */
    public static final class Memo {
        private static final int MAX_RESULTS = 100_000;
        private static final String UNUSABLE = "\u0000";

        private final PhoneNormalizer normalizer;
        private final Map<Key, String> results = new HashMap<>();

        private Memo(final PhoneNormalizer normalizer) {
            this.normalizer = normalizer;
        }

        /** Keeps a result another reader of the records got from the same normaliser (results of other normalisers are ignored). */
        void remember(final PhoneNormalizer by, final String raw, final String region, final String normalized) {
            if (by == normalizer && results.size() < MAX_RESULTS) {
                results.put(key(raw, region), normalized == null ? UNUSABLE : normalized);
            }
        }

        String normalize(final String raw, final String region) {
            final Key key = key(raw, region);
            final String known = results.get(key);
            if (known != null) {
                return UNUSABLE.equals(known) ? null : known;
            }
            final String normalized = normalizer.normalize(raw, region);
            if (results.size() < MAX_RESULTS) {
                results.put(key, normalized == null ? UNUSABLE : normalized);
            }
            return normalized;
        }

        /** Region and text kept apart, so no text (even one holding a NUL) can pose as another region's entry. */
        private record Key(String region, String raw) {
        }

        private static Key key(final String raw, final String region) {
            return new Key(region, raw);
        }
    }

    private final List<RecordValueAccessor> phoneAccessors;
    private final PhoneNormalizer normalizer;
    private final BlockedValues blockedValues;
    private final RecordValueAccessor regionAccessor;

    /**
     * @param regionAccessor reads the record's country; null to read every national number in the default region
     */
    PhoneWriteBack(final List<RecordValueAccessor> phoneAccessors, final PhoneNormalizer normalizer, final BlockedValues blockedValues,
                   final RecordValueAccessor regionAccessor) {
        this.phoneAccessors = List.copyOf(phoneAccessors);
        this.normalizer = normalizer;
        this.blockedValues = blockedValues;
        this.regionAccessor = regionAccessor;
    }

    /** A memo for one FlowFile. */
    public Memo newMemo() {
        return new Memo(normalizer);
    }

    Result of(final Record record) {
        return of(record, null);
    }

    /**
     * @param memo this FlowFile's normaliser results, or null to normalise every value
     */
    Result of(final Record record, final Memo memo) {
        final List<String> values = new ArrayList<>(2);
        for (final RecordValueAccessor accessor : phoneAccessors) {
            accessor.collectStrings(record, values);
        }
        String firstAsWritten = null;
        String region = null;
        boolean regionRead = false;
        for (final String raw : values) {
            if (raw.isBlank()) {
                continue;
            }
            if (firstAsWritten == null) {
                firstAsWritten = raw;
            }
            if (!regionRead) {
                region = regionOf(record);
                regionRead = true;
            }
            final String normalized = memo == null ? normalizer.normalize(raw, region) : memo.normalize(raw, region);
            if (normalized != null && !blockedValues.isBlocked(raw, normalized)) {
                return new Result(normalized, null);
            }
        }
        return firstAsWritten == null ? NONE : new Result(null, firstAsWritten);
    }

    private String regionOf(final Record record) {
        if (regionAccessor == null) {
            return null;
        }
        final String country = CountryRegions.instance().regionOf(regionAccessor.firstString(record));
        return country != null && PhoneNormalizer.isSupportedRegion(country) ? country : null;
    }
}
