-- nifi-datasync: the identity index (PostgreSQL 12 or later).
-- CustomerDedup with Identity Store Type "Database" keeps its identity index here (see docs/templates.md,
-- "The data model"). One row per entry; entry_key is the primary key, so one identifier belongs to exactly one
-- customer id, whatever two nodes claim at the same moment (INSERT ... ON CONFLICT DO NOTHING, then read back).
--   k:<64 hex>  an identifier (normalised e-mail, E.164 phone, source id) as the HMAC-SHA256 CustomerDedup computes
--               under its Identity Hash Key -> the customer id it belongs to (re-pointed at the survivor on a merge)
--   a:<64 hex>  SHA-256 of a customer id that was merged away -> the id it was merged into
--   n:<64 hex>  an identifier -> how many other identifiers joined a customer through it (the cluster-size guard)
-- Placeholder values (CustomerDedup's Blocked Values) never become entries; raw identifiers are never stored.
CREATE TABLE customer_identity (
    entry_key    VARCHAR(80)  PRIMARY KEY,
    entry_value  VARCHAR(255) NOT NULL,
    created_at   TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()
);
-- Finds the identifiers of one customer (re-pointing them on a merge, audits).
CREATE INDEX customer_identity_value_idx ON customer_identity (entry_value);

-- The identifiers of every customer: identifier hash -> customer id (the primary key makes a hash unique).
CREATE VIEW customer_identifiers AS
    SELECT substr(entry_key, 3) AS identifier_hash, entry_value AS customer_id, created_at
    FROM customer_identity
    WHERE entry_key LIKE 'k:%';
