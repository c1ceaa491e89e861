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
    merge_lineage     TEXT,
    -- the customer ids folded into this profile ('|'-joined sorted set). A write that brings new ones (ProfileMerge's
    -- Retired Customer Key Field) retires their rows in the same statement: see the trigger below.
    retired_customer_ids  TEXT,
    -- when the database wrote this row last (see datasync_stamp_recorded_at below); never taken from a record
    recorded_at       TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX customer_profiles_subject_key_idx ON customer_profiles (subject_key);
CREATE INDEX customer_profiles_recorded_at_idx ON customer_profiles (recorded_at);

-- The change stamp of a row, set by the database on every insert and update, whatever time the record carries:
-- readers that pick up changes (esp-audience-sync's QueryDatabaseTableRecord) keep their position on it. A position
-- kept on a time the source wrote (updated_at, decided_at) skips every row that arrives late or in the same second
-- as the last one read; this one only grows, to the microsecond. 03_consent.sql uses it too.
CREATE OR REPLACE FUNCTION datasync_stamp_recorded_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The transaction id first: from here on every other snapshot sees this writer running
    -- (datasync_change_horizon below relies on it; the row would take one a moment later anyway).
    PERFORM txid_current();
    NEW.recorded_at := clock_timestamp();
    RETURN NEW;
END
$$;
CREATE TRIGGER customer_profiles_stamp_recorded_at BEFORE INSERT OR UPDATE ON customer_profiles
    FOR EACH ROW EXECUTE FUNCTION datasync_stamp_recorded_at();

-- How far a change reader may read: every row stamped (recorded_at) before the returned time is committed and visible
-- to the statement that calls it, so a reader that keeps its position on recorded_at skips nothing, however long a
-- writer's transaction lasts. A row is stamped inside its writer's transaction, after the transaction started and
-- after it took its transaction id (datasync_stamp_recorded_at). So the bound is the start of the oldest writer
-- running when the statement took its snapshot, and never later than the statement's own start (a writer that takes
-- its id after the snapshot stamps its rows later than that). The writers are read from pg_stat_activity, a moment
-- after the snapshot: a writer the snapshot saw running that has ended since is not there any more, its rows are
-- invisible to this statement and its start is unknown, so the bound is then -infinity (nothing is read; the next
-- read sees its rows committed). A writer still running whose start cannot be seen (a prepared transaction, a
-- subtransaction, or a session this role may not see) bounds it to the statement's start minus fallback_settle,
-- which assumes no such transaction lasts longer than that. esp-audience-sync's readers call it in their WHERE
-- clause with db.change.settle. SECURITY DEFINER: it reads the other sessions with the rights of the role that ran this file
-- (a role with pg_read_all_stats, or a superuser, sees every session). txid_* rather than pg_snapshot_*/pg_xact_*:
-- the same values, and PostgreSQL 12 has only these.
CREATE OR REPLACE FUNCTION datasync_change_horizon(fallback_settle interval) RETURNS timestamptz
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    -- STABLE: this is the snapshot of the statement that calls it
    snapshot    txid_snapshot := txid_current_snapshot();
    horizon     timestamptz := statement_timestamp();
    writer_ids  text[];
    candidate   bigint;
    status      text;
BEGIN
    -- the writers running now, and the start of the oldest
    SELECT coalesce(array_agg(backend_xid::text), '{}'), least(horizon, min(xact_start)) INTO writer_ids, horizon
        FROM pg_stat_activity WHERE backend_xid IS NOT NULL;
    -- every writer the snapshot saw running: the ids it lists (all below its xmax), then every id from its xmax on
    -- that has been handed out so far
    FOR candidate IN SELECT txid_snapshot_xip(snapshot)
                     UNION ALL SELECT generate_series(txid_snapshot_xmax(snapshot), txid_snapshot_xmax(snapshot) + 9999) LOOP
        IF NOT (candidate % 4294967296)::text = ANY (writer_ids) THEN
            BEGIN
                status := txid_status(candidate);
            EXCEPTION WHEN invalid_parameter_value THEN
                -- "in the future": not handed out yet, so every writer has been looked at
                RETURN horizon;
            END;
            IF status = 'committed' THEN
                RETURN '-infinity';
            ELSIF status = 'in progress' THEN
                horizon := least(horizon, statement_timestamp() - fallback_settle);
            END IF;
        END IF;
    END LOOP;
    -- ten thousand ids handed out during one read: read nothing this time
    RETURN '-infinity';
END
$$;

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
-- A merge: an INSERT (PutDatabaseRecord's UPSERT is INSERT ... ON CONFLICT DO UPDATE, whose BEFORE INSERT trigger
-- fires first) naming retired_customer_ids takes over the lists and retired ids of those rows and deletes them, in
-- the statement that writes the survivor: one transaction, so a customer is never stored split nor lost half-way.
CREATE FUNCTION customer_profiles_union_lists() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    retired TEXT[];
    retired_tags TEXT;
    retired_sources TEXT;
    retired_before TEXT;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.subject_key = NEW.customer_id THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.tags := union_joined(OLD.tags, NEW.tags);
        NEW.source_ids := union_joined(OLD.source_ids, NEW.source_ids);
        NEW.retired_customer_ids := union_joined(OLD.retired_customer_ids, NEW.retired_customer_ids);
        RETURN NEW;
    END IF;
    NEW.tags := union_joined(NULL, NEW.tags);
    NEW.source_ids := union_joined(NULL, NEW.source_ids);
    NEW.retired_customer_ids := union_joined(NULL, NEW.retired_customer_ids);
    IF NEW.retired_customer_ids IS NOT NULL THEN
        retired := array_remove(string_to_array(NEW.retired_customer_ids, '|'), NEW.customer_id);
        SELECT string_agg(tags, '|'), string_agg(source_ids, '|'), string_agg(retired_customer_ids, '|')
            INTO retired_tags, retired_sources, retired_before
            FROM customer_profiles WHERE customer_id = ANY (retired);
        NEW.tags := union_joined(NEW.tags, retired_tags);
        NEW.source_ids := union_joined(NEW.source_ids, retired_sources);
        NEW.retired_customer_ids := union_joined(NEW.retired_customer_ids, retired_before);
        DELETE FROM customer_profiles WHERE customer_id = ANY (retired);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER customer_profiles_union_lists BEFORE INSERT OR UPDATE ON customer_profiles
    FOR EACH ROW EXECUTE FUNCTION customer_profiles_union_lists();

-- The profiles of customers whose ids were merged away: none, once every merge has been written (an audit query).
CREATE VIEW customer_profiles_retired_but_stored AS
    SELECT survivor.customer_id AS surviving_customer_id, retired.customer_id AS retired_customer_id
    FROM customer_profiles survivor
    JOIN customer_profiles retired ON retired.customer_id = ANY (string_to_array(survivor.retired_customer_ids, '|'));
