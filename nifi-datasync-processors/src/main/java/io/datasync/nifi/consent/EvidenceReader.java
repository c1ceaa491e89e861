package io.datasync.nifi.consent;

import io.datasync.nifi.common.Timestamps;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Turns the raw consent values of a record or of a consent store row into evidence, one reading rule for
 * every source:
 * <ul>
 *   <li>status values through the {@link ConsentVocabulary}; unrecognised ones are left out and reported;</li>
 *   <li>timestamps through {@link ConsentTime}: a value that cannot be trusted leaves its evidence undated
 *       and is reported;</li>
 *   <li>a set GPC flag is a denial of every purpose; a value that is no flag is reported and ignored;</li>
 *   <li>a US Privacy opt-out of sale is a denial of every purpose; a malformed string is a denial with its
 *       own reason, or a failure;</li>
 *   <li>a TC string gives per-purpose grants or denials through the {@link TcfPurposeMapping}; a malformed
 *       one is a denial of every purpose with its own reason, or a failure.</li>
 * </ul>
 * The record's timestamp dates its status, its GPC flag, its US Privacy string and a malformed TC string; a
 * valid TC string is dated by its own last-updated time. Immutable and thread-safe.
 */
public final class EvidenceReader {

    /** What a TC or US Privacy string that cannot be read means. */
    public enum MalformedSignalHandling {
        /** It counts as a denial of every purpose (reason MALFORMED_TC_STRING or MALFORMED_US_PRIVACY). */
        DENY,
        /** Reading the record fails with {@link MalformedSignalException}. */
        FAIL
    }

    /** A TC or US Privacy string could not be read and the handling is {@link MalformedSignalHandling#FAIL}. Never quotes the value. */
    public static final class MalformedSignalException extends RuntimeException {
        private final ConsentWarning kind;

        MalformedSignalException(final ConsentWarning kind) {
            super(kind == ConsentWarning.MALFORMED_TC_STRING ? "A TC string cannot be decoded" : "A US Privacy string is not valid");
            this.kind = kind;
        }

        public ConsentWarning kind() {
            return kind;
        }
    }

    /**
     * The consent values one record carries; null for a value that is absent or not configured.
     *
     * @param status consent status: a status, a per-purpose map or record, or a list of granted purposes
     * @param timestamp when the record's consent was captured
     * @param gpc the Global Privacy Control flag
     * @param usPrivacy an IAB US Privacy string
     * @param tcString an IAB TCF v2 TC string
     */
    public record RecordConsent(Object status, Object timestamp, Object gpc, Object usPrivacy, Object tcString) {
    }

    private final List<String> purposes;
    private final Timestamps.EpochUnit epochUnit;
    private final PurposeStatuses recordStatuses;
    private final PurposeStatuses storeStatuses;
    private final ConsentVocabulary vocabulary;
    private final TcfPurposeMapping tcfMapping;
    private final Integer tcfVendorId;
    private final MalformedSignalHandling malformedHandling;

    /**
     * @param purposes the purposes being decided
     * @param vocabulary reads status values
     * @param epochUnit how bare numbers in timestamps are read
     * @param recordFields reads a nested record as a map (null when values are plain maps only)
     * @param storeStatusField field of a store row's per-purpose objects holding the status
     * @param storeTimestampField field of a store row's per-purpose objects holding the timestamp
     * @param tcfMapping maps purposes to TCF purposes; null when TC strings are not read
     * @param tcfVendorId our IAB vendor id, or null to check TCF purpose consent only
     * @param malformedHandling what an unreadable TC or US Privacy string means
     */
    public EvidenceReader(final List<String> purposes, final ConsentVocabulary vocabulary, final Timestamps.EpochUnit epochUnit,
                          final Function<Object, Map<String, Object>> recordFields, final String storeStatusField, final String storeTimestampField,
                          final TcfPurposeMapping tcfMapping, final Integer tcfVendorId, final MalformedSignalHandling malformedHandling) {
        this.purposes = List.copyOf(purposes);
        this.vocabulary = vocabulary;
        this.epochUnit = epochUnit;
        final Function<Object, ConsentTime> timeReader = value -> ConsentTime.read(value, epochUnit, Instant.now());
        this.recordStatuses = new PurposeStatuses("status", "updated_at", recordFields, vocabulary, timeReader);
        this.storeStatuses = new PurposeStatuses(storeStatusField, storeTimestampField, recordFields, vocabulary, timeReader);
        this.tcfMapping = tcfMapping;
        this.tcfVendorId = tcfVendorId;
        this.malformedHandling = malformedHandling;
    }

    /**
     * Adds what one record says.
     *
     * @throws MalformedSignalException when a TC or US Privacy string cannot be read and the handling is FAIL
     */
    public void addRecord(final RecordConsent raw, final Instant now, final SubjectEvidence into) {
        final Instant recordTime = time(raw.timestamp(), now, into);
        if (raw.status() != null) {
            try {
                recordStatuses.addEvidence(raw.status(), purposes, ConsentSource.RECORD, recordTime, into.evidence(), into.warnings());
            } catch (final IllegalArgumentException e) {
                into.warn(ConsentWarning.INVALID_PURPOSES);
            }
        }
        addGpc(raw.gpc(), recordTime, into);
        addUsPrivacy(raw.usPrivacy(), recordTime, into);
        addTcString(raw.tcString(), recordTime, now, into);
    }

    /** Adds what a consent store row says: an overall status and per-purpose consent, dated by the row's timestamp. */
    public void addStore(final Object status, final Object timestamp, final Object purposeValues, final Instant now, final SubjectEvidence into) {
        final Instant rowTime = time(timestamp, now, into);
        final ConsentVocabulary.Reading reading = vocabulary.read(status);
        if (!reading.recognised()) {
            into.warn(ConsentWarning.UNRECOGNISED_STATUS);
        }
        if (reading.status().isEvidence()) {
            into.add(new ConsentEvidence(ConsentSource.STORE, null, reading.status(), rowTime));
        }
        if (purposeValues != null) {
            try {
                storeStatuses.addEvidence(purposeValues, purposes, ConsentSource.STORE, rowTime, into.evidence(), into.warnings());
            } catch (final IllegalArgumentException e) {
                into.warn(ConsentWarning.INVALID_PURPOSES);
            }
        }
    }

    private Instant time(final Object value, final Instant now, final SubjectEvidence into) {
        final ConsentTime time = ConsentTime.read(value, epochUnit, now);
        if (time.warning() != null) {
            into.warn(time.warning());
        }
        return time.instant();
    }

    private static void addGpc(final Object gpc, final Instant recordTime, final SubjectEvidence into) {
        if (gpc == null) {
            return;
        }
        final Boolean set = gpcFlag(gpc);
        if (set == null) {
            into.warn(ConsentWarning.UNRECOGNISED_GPC);
        } else if (set) {
            // a set GPC flag is the subject's opt-out of sale and sharing
            into.add(new ConsentEvidence(ConsentSource.GPC, null, ConsentStatus.DENIED, recordTime));
        }
    }

    /** True for a set flag, false for an unset one, null for anything else. The GPC header's only set value is "1". */
    static Boolean gpcFlag(final Object value) {
        if (value instanceof Boolean bool) {
            return bool;
        }
        if (value instanceof Number number) {
            final double numeric = number.doubleValue();
            return numeric == 1d ? Boolean.TRUE : numeric == 0d ? Boolean.FALSE : null;
        }
        return switch (value.toString().trim().toLowerCase(Locale.ROOT)) {
            case "1", "true", "yes", "y" -> Boolean.TRUE;
            case "0", "false", "no", "n", "" -> Boolean.FALSE;
            default -> null;
        };
    }

    private void addUsPrivacy(final Object value, final Instant recordTime, final SubjectEvidence into) {
        if (value == null || value.toString().isBlank()) {
            return;
        }
        final UsPrivacyString.OptOut optOut;
        try {
            optOut = UsPrivacyString.optOutOfSale(value.toString().trim());
        } catch (final IllegalArgumentException e) {
            malformed(ConsentWarning.MALFORMED_US_PRIVACY, ConsentSource.US_PRIVACY, recordTime, into);
            return;
        }
        if (optOut == UsPrivacyString.OptOut.OPTED_OUT) {
            into.add(new ConsentEvidence(ConsentSource.US_PRIVACY, null, ConsentStatus.DENIED, recordTime));
        }
    }

    private void addTcString(final Object value, final Instant recordTime, final Instant now, final SubjectEvidence into) {
        if (tcfMapping == null || value == null || value.toString().isBlank()) {
            return;
        }
        final List<ConsentEvidence> found = new java.util.ArrayList<>(purposes.size());
        try {
            tcfMapping.addEvidence(value.toString(), purposes, tcfVendorId, null, found);
        } catch (final IllegalArgumentException e) {
            malformed(ConsentWarning.MALFORMED_TC_STRING, ConsentSource.TCF, recordTime, into);
            return;
        }
        final Instant latestCredible = now.plus(ConsentTime.FUTURE_TOLERANCE);
        for (final ConsentEvidence evidence : found) {
            if (evidence.timestamp() != null && evidence.timestamp().isAfter(latestCredible)) {
                // a last update in the future cannot be trusted: undated, like any other such timestamp
                into.warn(ConsentWarning.FUTURE_TIMESTAMP);
                into.add(new ConsentEvidence(evidence.source(), evidence.purpose(), evidence.status(), null));
            } else {
                into.add(evidence);
            }
        }
    }

    private void malformed(final ConsentWarning kind, final ConsentSource source, final Instant recordTime, final SubjectEvidence into) {
        if (malformedHandling == MalformedSignalHandling.FAIL) {
            throw new MalformedSignalException(kind);
        }
        into.warn(kind);
        into.add(new ConsentEvidence(source, null, ConsentStatus.DENIED, recordTime, true));
    }
}
