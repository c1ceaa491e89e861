package io.datasync.nifi.fetch;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Decides which records of a page to emit. A record is emitted when its watermark lies inside the
 * run's window (at or above the lower bound, at or below the settle bound) and its
 * (watermark, key) pair has not been emitted before; the pairs it emits become tracked. Nothing is
 * assumed about the order of records.
 */
public final class RecordSelector {

    private final JsonPointer watermarkPointer;
    private final JsonPointer keyPointer;
    private final WatermarkFormat watermarkFormat;

    public RecordSelector(final String watermarkPointer, final String keyPointer, final WatermarkFormat watermarkFormat) {
        this.watermarkPointer = JsonPointer.compile(watermarkPointer);
        this.keyPointer = JsonPointer.compile(keyPointer);
        this.watermarkFormat = watermarkFormat;
    }

    /**
     * @param lower inclusive lower bound of the run, or null for no bound
     * @param upper inclusive upper bound of the run (settle delay), or null for no bound
     * @throws MalformedPageException when a record has no readable watermark or key
     */
    public Selection select(final List<JsonNode> records, final Watermark lower, final Watermark upper, final TrackedKeys tracked)
            throws MalformedPageException {
        return select(records, lower, upper, tracked, false);
    }

    /**
     * @param setAsideInvalid true to set records without a readable watermark or key aside ({@link Selection#invalid()}) and
     *                        select among the rest; false to refuse the page
     * @throws MalformedPageException when a record has no readable watermark or key and invalid records are not set aside
     */
    public Selection select(final List<JsonNode> records, final Watermark lower, final Watermark upper, final TrackedKeys tracked,
                            final boolean setAsideInvalid) throws MalformedPageException {
        final List<Invalid> invalid = new ArrayList<>();
        final List<JsonNode> emitted = new ArrayList<>();
        final List<TrackedKeys.Entry> newEntries = new ArrayList<>();
        final Set<TrackedKeys.Entry> seenOnPage = HashSet.newHashSet(records.size());
        Watermark min = null;
        Watermark max = null;
        int belowWindow = 0;
        int deferred = 0;
        int duplicates = 0;
        long fingerprint = 1125899906842597L;
        Watermark first = null;
        Watermark last = null;
        String lastKey = null;
        boolean ascending = true;
        for (int index = 0; index < records.size(); index++) {
            final JsonNode record = records.get(index);
            final String key = keyOrNull(record.at(keyPointer));
            final String problem;
            Watermark watermark = null;
            if (key == null) {
                problem = "has no scalar record key";
            } else {
                String unreadable = null;
                try {
                    watermark = watermarkFormat.parse(record.at(watermarkPointer));
                } catch (final IllegalArgumentException e) {
                    // The message says what was expected, never the value itself.
                    unreadable = "has no readable watermark: " + e.getMessage();
                }
                problem = unreadable;
            }
            if (problem != null) {
                final String reason = "Record " + index + " of the page" + (key == null ? "" : " (key " + shownKey(key) + ")") + " " + problem;
                if (!setAsideInvalid) {
                    throw new MalformedPageException(reason);
                }
                invalid.add(new Invalid(record, key, reason));
                continue;
            }
            fingerprint = 31 * (31 * fingerprint + watermark.hashCode()) + key.hashCode();
            if (first == null) {
                first = watermark;
            } else if (watermark.compareTo(last) < 0) {
                ascending = false;
            }
            last = watermark;
            lastKey = key;

            if (lower != null && watermark.compareTo(lower) < 0) {
                belowWindow++;
            } else if (upper != null && watermark.compareTo(upper) > 0) {
                deferred++;
            } else {
                final TrackedKeys.Entry entry = new TrackedKeys.Entry(watermark, key);
                if (tracked.contains(watermark, key) || !seenOnPage.add(entry)) {
                    duplicates++;
                } else {
                    emitted.add(record);
                    newEntries.add(entry);
                    min = min == null || watermark.compareTo(min) < 0 ? watermark : min;
                    max = Watermark.max(max, watermark);
                }
            }
        }
        return new Selection(emitted, newEntries, min, max, belowWindow, deferred, duplicates, records.isEmpty() ? 0 : fingerprint, invalid,
                new Order(first, last, lastKey, ascending));
    }

    /** Whether the record is the given version (watermark and key); false when either is unreadable. */
    public boolean isVersion(final JsonNode record, final Watermark watermark, final String key) {
        final String recordKey = keyOrNull(record.at(keyPointer));
        if (recordKey == null || !recordKey.equals(key)) {
            return false;
        }
        try {
            return watermarkFormat.parse(record.at(watermarkPointer)).equals(watermark);
        } catch (final IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * The key as it goes into messages (bulletins, logs): ids as they are; a key that looks like personal data (an email
     * address) or is unusually long as a short hash, so that a Record Key Pointer at /email does not put addresses in logs.
     */
    static String shownKey(final String key) {
        if (key.indexOf('@') < 0 && key.length() <= 64) {
            return "'" + key + "'";
        }
        return String.format("hash %08x", key.hashCode());
    }

    private static String keyOrNull(final JsonNode node) {
        if (node == null || node.isMissingNode() || node.isNull() || node.isContainerNode()) {
            return null;
        }
        return node.asText();
    }

    /**
     * A record set aside.
     *
     * @param record the record as received
     * @param key its key, null when it has none
     * @param reason what is wrong, naming the record's position and key but no value
     */
    public record Invalid(JsonNode record, String key, String reason) {
    }

    /**
     * The outcome for one page.
     *
     * @param emitted records to write, in response order
     * @param newEntries pairs to track once the page is committed
     * @param minWatermark smallest emitted watermark, null when nothing is emitted
     * @param maxWatermark largest emitted watermark, null when nothing is emitted
     * @param belowWindow records older than the run's lower bound (already handled by earlier runs)
     * @param deferred records newer than the settle bound (left for a later run)
     * @param duplicates records whose version was already emitted
     * @param contentFingerprint hash of every record's watermark and key, 0 for an empty page
     * @param invalid records set aside for having no readable watermark or key
     * @param order how the page's readable records were ordered
     */
    public record Selection(List<JsonNode> emitted, List<TrackedKeys.Entry> newEntries, Watermark minWatermark, Watermark maxWatermark,
                            int belowWindow, int deferred, int duplicates, long contentFingerprint, List<Invalid> invalid, Order order) {
    }

    /**
     * @param first watermark of the page's first readable record, null when it has none
     * @param last watermark of its last readable record
     * @param lastKey key of its last readable record
     * @param ascending whether the watermarks never go down within the page
     */
    public record Order(Watermark first, Watermark last, String lastKey, boolean ascending) {
    }
}
