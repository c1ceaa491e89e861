package io.datasync.nifi.identity;

/**
 * One customer id that stops being used because its customer turned out to be the same person as
 * another id's: downstream tables re-point {@code oldId} to {@code survivingId}.
 *
 * @param oldId the id that is merged away
 * @param survivingId the id that remains
 * @param reason why the two were linked (rule names or the concurrent-assignment case); no personal data
 */
public record IdentityMerge(String oldId, String survivingId, String reason) {
}
