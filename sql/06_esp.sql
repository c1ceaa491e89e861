-- nifi-datasync: what esp-audience-sync pushed to the email service provider (PostgreSQL 12 or later).
-- Run after 03_consent.sql (the view reads suppression).
--
-- Every address a subject was pushed to the ESP under, written by esp-audience-sync before the member push: the ESP
-- keys its members by address, and one person (one subject key) may be a member under several (John.Doe+news@gmail.com
-- and johndoe@gmail.com fold to one subject key). A withdrawal must suppress every one of them, also once the profile
-- is anonymised or deleted, so these rows are kept as long as the ESP may hold the address; they hold nothing the
-- ESP does not already hold.
CREATE TABLE esp_member_address (
    subject_key  VARCHAR(320) NOT NULL,
    -- the address as pushed: trimmed and lower-cased (the trigger below), as esp.member.query sends it
    email        VARCHAR(320) NOT NULL,
    pushed_at    TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (subject_key, email)
);

-- Rows come from profile records as they are (PutDatabaseRecord, INSERT ... ON CONFLICT DO NOTHING): the address is
-- normalised here as the member query normalises it, and a record without an address or subject key is skipped
-- (it is never pushed as a member either).
CREATE FUNCTION esp_member_address_normalise() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.email := LOWER(TRIM(NEW.email));
    IF NEW.email IS NULL OR NEW.email = '' OR NEW.subject_key IS NULL THEN
        RETURN NULL;
    END IF;
    NEW.pushed_at := clock_timestamp();
    RETURN NEW;
END
$$;
CREATE TRIGGER esp_member_address_normalise BEFORE INSERT ON esp_member_address
    FOR EACH ROW EXECUTE FUNCTION esp_member_address_normalise();

-- An address recorded after its subject's suppression row was read (the consent gate read the consent just before the
-- withdrawal committed, and the member push came after) must still be suppressed: a new address re-stamps the
-- subject's suppression row (datasync_stamp_recorded_at sets recorded_at on the update), so the suppression reader
-- reads that row again, now with every address. An address already recorded (ON CONFLICT DO NOTHING) inserts nothing
-- and re-stamps nothing.
CREATE FUNCTION esp_member_address_resuppress() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE suppression SET subject_key = subject_key WHERE subject_key = NEW.subject_key;
    RETURN NULL;
END
$$;
CREATE TRIGGER esp_member_address_resuppress AFTER INSERT ON esp_member_address
    FOR EACH ROW EXECUTE FUNCTION esp_member_address_resuppress();

-- One row per suppression row and address to suppress at the ESP: the subject key itself (lower-cased and trimmed)
-- and every address the subject was pushed under, each once. recorded_at is the suppression row's change stamp, so
-- esp-audience-sync's suppression reader keeps its position on it (the predicate reaches suppression_recorded_at_idx).
CREATE VIEW esp_suppression_address AS
    SELECT s.subject_key, a.email_address, s.reason, s.decided_at, s.recorded_at
    FROM suppression s
    CROSS JOIN LATERAL (
        SELECT LOWER(TRIM(s.subject_key)) AS email_address
        UNION
        SELECT m.email FROM esp_member_address m WHERE m.subject_key = s.subject_key
    ) a;
