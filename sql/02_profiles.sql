-- nifi-datasync: golden customer profiles (PostgreSQL 12 or later).
-- One row per customer, keyed by the customer id CustomerDedup stamps and by nothing else: two customers may
-- share a subject key (two people behind test@example.com are two customers), and their identifiers live in
-- customer_identity (01_identity.sql), where they cannot collide.
CREATE TABLE customer_profiles (
    customer_id       VARCHAR(64)  PRIMARY KEY,
    -- the normalised e-mail address the consent tables are keyed by; not unique, may be null (no e-mail)
    subject_key       VARCHAR(320),
    email             VARCHAR(320),
    -- E.164 only; a phone CustomerDedup could not normalise is kept as written in phone_as_written
    phone             VARCHAR(32),
    phone_as_written  VARCHAR(64),
    first_name        VARCHAR(100),
    last_name         VARCHAR(100),
    city              VARCHAR(100),
    -- as the feed writes it: ISO 3166-1/3166-2 codes (US-CA) or country names
    country           VARCHAR(100),
    -- '|'-joined sorted sets (see the trigger below)
    tags              TEXT,
    last_order_at     TIMESTAMP WITH TIME ZONE,
    lifetime_value    NUMERIC(12, 2),
    consent_email     BOOLEAN,
    source_ids        TEXT,
    updated_at        TIMESTAMP WITH TIME ZONE NOT NULL,
    -- ProfileMerge's lineage: per field, the source and time of the surviving value
    merge_lineage     TEXT
);
CREATE INDEX customer_profiles_subject_key_idx ON customer_profiles (subject_key);

-- The stored profile as ProfileMerge reads it back, keyed by customer_id, in the types the JSON records carry (the
-- amount as double precision, timestamps as ISO-8601 UTC text), without the '|'-joined lists: NiFi 2.3.0's
-- DatabaseRecordLookupService fails on array columns, and joined text would enter the union rule as one element.
CREATE VIEW customer_profiles_lookup AS
    SELECT customer_id, subject_key, email, phone, phone_as_written, first_name, last_name, city, country,
           to_char(last_order_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_order_at,
           lifetime_value::double precision AS lifetime_value, consent_email,
           to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS updated_at, merge_lineage
    FROM customer_profiles;

-- The union of two '|'-joined lists as a sorted set without repeats (null when empty).
CREATE FUNCTION union_joined(a TEXT, b TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
    SELECT NULLIF(string_agg(DISTINCT element, '|' ORDER BY element), '')
    FROM unnest(string_to_array(coalesce(a, ''), '|') || string_to_array(coalesce(b, ''), '|')) AS element
    WHERE element <> ''
$$;

-- Lists are stored as sorted sets and only grow: an update unions them with the stored ones, whatever order
-- updates arrive in; except the anonymising update (subject key replaced by the customer id), whose empty lists
-- stand (source ids point back at the person in another system).
CREATE FUNCTION customer_profiles_union_lists() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.subject_key = NEW.customer_id THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.tags := union_joined(OLD.tags, NEW.tags);
        NEW.source_ids := union_joined(OLD.source_ids, NEW.source_ids);
    ELSE
        NEW.tags := union_joined(NULL, NEW.tags);
        NEW.source_ids := union_joined(NULL, NEW.source_ids);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER customer_profiles_union_lists BEFORE INSERT OR UPDATE ON customer_profiles
    FOR EACH ROW EXECUTE FUNCTION customer_profiles_union_lists();
