package io.datasync.nifi.audit;

/**
 * The columns of one stored profile that the audit reads: its id, its subject key (the consent store's key) and the
 * identifiers CustomerDedup links on. Values stay in memory for one page only and never leave the audit.
 *
 * @param customerId the stable customer id, as text
 * @param subjectKey the consent subject key; null when the row has none
 * @param email the stored email; null or blank when the profile has none (for example after anonymisation)
 * @param phone the stored phone; null when the profile has none or the phone column is not audited
 */
public record StoredProfile(String customerId, String subjectKey, String email, String phone) {

    /** A profile is in use while it still holds a contact address: anonymised rows (contact emptied) are not. */
    public boolean usable() {
        return email != null && !email.isBlank();
    }
}
