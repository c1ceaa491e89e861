package io.datasync.nifi.consent;

import java.time.Instant;

/**
 * The outcome for one record.
 *
 * @param reason why; {@link ReasonCode#isAllowed()} says whether the record may be used
 * @param evidenceTime the time of the deciding evidence, or null when none decided (no evidence, undated evidence)
 */
public record ConsentDecision(ReasonCode reason, Instant evidenceTime) {

    public boolean allowed() {
        return reason.isAllowed();
    }
}
