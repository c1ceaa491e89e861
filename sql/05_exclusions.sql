-- nifi-datasync: the exclusions audit trail (PostgreSQL 12 or later).
-- The batch templates write one row per record ConsentFilter excluded: who (the subject key), why (ConsentFilter's
-- reason code, e.g. WITHDRAWN, NO_CONSENT_RECORD), for which purpose and when; no other personal data. Append-only;
-- prune by excluded_at after your retention period. "Why was this person not mailed?" is one query on it.
CREATE TABLE exclusions (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject_key  VARCHAR(320) NOT NULL,
    reason_code  VARCHAR(64)  NOT NULL,
    purpose      VARCHAR(200) NOT NULL,
    excluded_at  TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()
);
CREATE INDEX exclusions_subject_key ON exclusions (subject_key, excluded_at DESC);
