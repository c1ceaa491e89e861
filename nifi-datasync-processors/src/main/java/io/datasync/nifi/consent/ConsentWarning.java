package io.datasync.nifi.consent;

/**
 * Something in a subject's consent data that could not be used as sent. Warnings never allow anything:
 * the affected value is left out (an unrecognised status, a GPC flag that is not a flag) or read the
 * fail-closed way (a timestamp that cannot be trusted makes its evidence undated). They are written to
 * the record and counted so that the data can be fixed at its source.
 */
public enum ConsentWarning {
    /** A consent status value is on none of the value lists; it was treated as no decision. */
    UNRECOGNISED_STATUS,
    /** A consent timestamp could not be parsed; its evidence counts as undated. */
    UNPARSEABLE_TIMESTAMP,
    /** A consent timestamp lies more than a day in the future; its evidence counts as undated. */
    FUTURE_TIMESTAMP,
    /** A GPC value is neither set (true, 1, yes) nor unset (false, 0, no, empty); it was ignored. */
    UNRECOGNISED_GPC,
    /** A per-purpose consent value could not be read (e.g. text that looks like JSON but is not); it was ignored. */
    INVALID_PURPOSES,
    /** A TC string could not be decoded; it counts as a denial. */
    MALFORMED_TC_STRING,
    /** A US Privacy string is not a valid version 1 string; it counts as an opt-out. */
    MALFORMED_US_PRIVACY
}
