-- nifi-datasync: consent and suppression (PostgreSQL 12 or later).
-- One row per (subject_key, purpose): the newest decision. A subject with no row for a purpose has no consent
-- for it (fail closed). status PENDING is a request awaiting confirmation and decides nothing.
CREATE TABLE consent (
    subject_key  VARCHAR(320) NOT NULL,
    purpose      VARCHAR(64)  NOT NULL,
    status       VARCHAR(16)  NOT NULL CHECK (status IN ('GRANTED', 'WITHDRAWN', 'PENDING')),
    updated_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    source       VARCHAR(64),
    PRIMARY KEY (subject_key, purpose)
);

-- Subjects that must never be mailed, with the reason (consent_withdrawn, ...) and when that was decided;
-- recorded_at is when the database wrote the row (the position esp-audience-sync reads new rows by; see
-- datasync_stamp_recorded_at in 02_profiles.sql).
CREATE TABLE suppression (
    subject_key  VARCHAR(320) PRIMARY KEY,
    reason       VARCHAR(64)  NOT NULL,
    decided_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    recorded_at  TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX suppression_recorded_at_idx ON suppression (recorded_at);
CREATE TRIGGER suppression_stamp_recorded_at BEFORE INSERT OR UPDATE ON suppression
    FOR EACH ROW EXECUTE FUNCTION datasync_stamp_recorded_at();

-- One subject's consent rows folded into one row, the shape ConsentFilter's documentation describes, for a
-- one-row-per-key lookup: subject_key, updated_at (newest decision), purposes (JSON text: purpose -> status, updated_at).
CREATE VIEW consent_lookup AS
    SELECT subject_key,
           max(updated_at) AS updated_at,
           jsonb_object_agg(purpose, jsonb_build_object('status', status, 'updated_at', updated_at))::text AS purposes
    FROM consent
    GROUP BY subject_key;

-- Every write of a consent row is conditional, whoever writes it: older evidence never replaces newer, on equal
-- times a withdrawal stays, and a PENDING request never replaces a decision (webhook senders do not promise order).
CREATE FUNCTION consent_keep_newest() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'PENDING' THEN
        IF NEW.status = 'PENDING' AND NEW.updated_at < OLD.updated_at THEN
            RETURN NULL;
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.status = 'PENDING' OR NEW.updated_at < OLD.updated_at
            OR NEW.updated_at = OLD.updated_at AND OLD.status = 'WITHDRAWN' THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER consent_keep_newest BEFORE UPDATE ON consent
    FOR EACH ROW EXECUTE FUNCTION consent_keep_newest();
