-- nifi-datasync: the sync audit (PostgreSQL 12 or later).
-- audit: one row per run of the sync-audit template's AuditProfileStore (counts, source names and ids only, never
-- personal data); sync_runs: one row per successful sync of a source, read by the freshness check
-- (docs/operations.md, "The sync audit"). crm-api-sync and ftp-batch-ingest append one row per committed profile
-- write and leave finished_at to the default: the database's clock after that write committed (clock_timestamp(),
-- not now(), so two rows of one transaction differ). Append-only; prune by finished_at after your retention period.
CREATE TABLE audit (
    audit_id              VARCHAR(36) PRIMARY KEY,
    started_at            TIMESTAMP WITH TIME ZONE NOT NULL,
    finished_at           TIMESTAMP WITH TIME ZONE NOT NULL,
    duration_ms           BIGINT NOT NULL,
    status                VARCHAR(8) NOT NULL,
    repair                BOOLEAN NOT NULL,
    profiles_scanned      BIGINT NOT NULL,
    profiles_in_use       BIGINT NOT NULL,
    duplicate_groups      BIGINT NOT NULL,
    duplicate_ids         BIGINT NOT NULL,
    oversized_keys        BIGINT NOT NULL,
    placeholders_blocked  BIGINT NOT NULL,
    consent_violations    BIGINT NOT NULL,
    suppressed_in_use     BIGINT NOT NULL,
    violations_by_reason  TEXT,
    sources_checked       BIGINT NOT NULL,
    stale_sources         BIGINT NOT NULL,
    stale_source_names    TEXT,
    freshness             TEXT,
    merges_emitted        BIGINT NOT NULL,
    violations_emitted    BIGINT NOT NULL
);
CREATE INDEX audit_started_at ON audit (started_at);
CREATE TABLE sync_runs (
    source            VARCHAR(64) NOT NULL,
    finished_at       TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT clock_timestamp(),
    newest_record_at  TIMESTAMP WITH TIME ZONE,
    record_count      BIGINT,
    PRIMARY KEY (source, finished_at)
);
