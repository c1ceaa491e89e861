package io.datasync.nifi.consent;

/** Where a piece of consent evidence came from. */
public enum ConsentSource {
    RECORD,
    STORE,
    TCF,
    US_PRIVACY,
    GPC
}
