package io.datasync.nifi.consent;

import com.iabtcf.decoder.TCString;
import com.iabtcf.utils.IntIterable;
import com.iabtcf.v2.PublisherRestriction;
import com.iabtcf.v2.RestrictionType;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Maps our purposes to IAB TCF purpose ids and turns a TCF v2 TC string into evidence: a purpose is
 * granted when every TCF purpose mapped to it has consent in the string, denied otherwise. The
 * evidence is dated with the string's last-updated time.
 */
public final class TcfPurposeMapping {

    private final Map<String, int[]> tcfPurposesByPurpose;

    private TcfPurposeMapping(final Map<String, int[]> tcfPurposesByPurpose) {
        this.tcfPurposesByPurpose = tcfPurposesByPurpose;
    }

    /**
     * Parses {@code purpose=id id ...; purpose=id ...}, for example {@code email_marketing=1 7; personalisation=1 3 4}.
     * Ids may also be separated by commas.
     *
     * @throws IllegalArgumentException when the text is not in that form or an id is not 1-24
     */
    public static TcfPurposeMapping parse(final String text) {
        final Map<String, int[]> mapping = new LinkedHashMap<>();
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("TCF purpose mapping is empty");
        }
        for (final String entry : text.split(";")) {
            if (entry.isBlank()) {
                continue;
            }
            final int equals = entry.indexOf('=');
            if (equals <= 0) {
                throw new IllegalArgumentException("Expected purpose=ids but found '" + entry.trim() + "'");
            }
            final String purpose = entry.substring(0, equals).trim();
            final String[] idTexts = entry.substring(equals + 1).trim().split("[\\s,]+");
            final int[] ids = new int[idTexts.length];
            for (int i = 0; i < idTexts.length; i++) {
                try {
                    ids[i] = Integer.parseInt(idTexts[i]);
                } catch (final NumberFormatException e) {
                    throw new IllegalArgumentException("TCF purpose id '" + idTexts[i] + "' of " + purpose + " is not a number");
                }
                if (ids[i] < 1 || ids[i] > 24) {
                    throw new IllegalArgumentException("TCF purpose id " + ids[i] + " of " + purpose + " is outside 1-24");
                }
            }
            if (purpose.isEmpty() || idTexts.length == 0 || idTexts[0].isEmpty()) {
                throw new IllegalArgumentException("Expected purpose=ids but found '" + entry.trim() + "'");
            }
            mapping.put(purpose, ids);
        }
        return new TcfPurposeMapping(Collections.unmodifiableMap(mapping));
    }

    /** Whether the purpose has TCF purposes mapped to it. */
    public boolean covers(final String purpose) {
        return tcfPurposesByPurpose.containsKey(purpose);
    }

    /**
     * Decodes the TC string and adds one evidence per requested purpose that has a mapping, without a vendor check.
     *
     * @throws IllegalArgumentException when the string cannot be decoded or is not TCF version 2
     */
    public void addEvidence(final String tcString, final List<String> requestedPurposes, final List<ConsentEvidence> target) {
        addEvidence(tcString, requestedPurposes, null, null, target);
    }

    /**
     * Decodes the TC string and adds one evidence per requested purpose that has a mapping. A purpose is
     * granted when every TCF purpose mapped to it has purpose consent and, with a vendor id, the vendor has
     * vendor consent and no publisher restriction forbids the vendor that TCF purpose; otherwise denied.
     * Nothing is added when the string cannot be read: the caller decides what a malformed string means.
     *
     * @param vendorId our IAB vendor id, or null to check purpose consent only
     * @param latestCredible a last-updated time after this one is not trusted and the evidence is undated; null for no limit
     * @throws IllegalArgumentException when the string cannot be decoded or is not TCF version 2
     */
    public void addEvidence(final String tcString, final List<String> requestedPurposes, final Integer vendorId, final Instant latestCredible,
                            final List<ConsentEvidence> target) {
        final List<ConsentEvidence> found = new ArrayList<>();
        try {
            final TCString decoded = TCString.decode(tcString.trim());
            if (decoded.getVersion() != 2) {
                throw new IllegalArgumentException("TC string is not TCF version 2");
            }
            // the decoder reads fields lazily, so every field is read inside this try
            final IntIterable purposesConsent = decoded.getPurposesConsent();
            final boolean vendorConsent = vendorId == null || decoded.getVendorConsent().contains(vendorId);
            final List<PublisherRestriction> restrictions = vendorId == null ? List.of() : decoded.getPublisherRestrictions();
            Instant lastUpdated = decoded.getLastUpdated();
            if (lastUpdated != null && latestCredible != null && lastUpdated.isAfter(latestCredible)) {
                lastUpdated = null;
            }
            for (final String purpose : requestedPurposes) {
                final int[] tcfPurposes = tcfPurposesByPurpose.get(purpose);
                if (tcfPurposes != null) {
                    final boolean granted = vendorConsent && purposesConsent.containsAll(tcfPurposes) && !forbidden(restrictions, vendorId, tcfPurposes);
                    found.add(new ConsentEvidence(ConsentSource.TCF, purpose, granted ? ConsentStatus.GRANTED : ConsentStatus.DENIED, lastUpdated));
                }
            }
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("TC string cannot be decoded");
        } catch (final RuntimeException e) {
            // the decoder's messages may quote the string; only the type is passed on
            throw new IllegalArgumentException("TC string cannot be decoded (" + e.getClass().getSimpleName() + ")");
        }
        target.addAll(found);
    }

    private static boolean forbidden(final List<PublisherRestriction> restrictions, final Integer vendorId, final int[] tcfPurposes) {
        for (final PublisherRestriction restriction : restrictions) {
            if (restriction.getRestrictionType() != RestrictionType.NOT_ALLOWED || !restriction.getVendorIds().contains(vendorId)) {
                continue;
            }
            for (final int tcfPurpose : tcfPurposes) {
                if (restriction.getPurposeId() == tcfPurpose) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public String toString() {
        final StringBuilder text = new StringBuilder();
        tcfPurposesByPurpose.forEach((purpose, ids) -> {
            text.append(text.isEmpty() ? "" : "; ").append(purpose).append('=');
            for (int i = 0; i < ids.length; i++) {
                text.append(i == 0 ? "" : " ").append(ids[i]);
            }
        });
        return text.toString();
    }
}
