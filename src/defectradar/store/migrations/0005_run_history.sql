-- 0005: honest run accounting, undoing a run, and the source's brand.
--
-- ingest_runs.rows_merged counts rows of a file merged into another row's report (the NHTSA
-- flat file has one row per complaint and component): rows_read = rows_inserted +
-- rows_duplicate + rows_quarantined + rows_merged.
--
-- store_history is append-only: one row per change made to the store after the fact, such as
-- `defectradar runs undo` (or `ingest --replace`) removing an ingest run's rows.  Whether a
-- run is undone is derived from it; ingest_runs rows are never rewritten for it.
--
-- reports.product_brand is the brand (make) as the source names it, kept beside product_raw
-- for brand-aware product matching.

ALTER TABLE ingest_runs ADD COLUMN rows_merged BIGINT NOT NULL DEFAULT 0;
ALTER TABLE reports ADD COLUMN product_brand VARCHAR;

CREATE TABLE store_history (
    history_id VARCHAR PRIMARY KEY,
    action     VARCHAR NOT NULL,     -- undo_run
    run_id     VARCHAR,              -- the ingest run it concerns
    actor      VARCHAR NOT NULL,     -- who (--by, else the OS user)
    "at"       TIMESTAMP NOT NULL,   -- when (UTC)
    counts     VARCHAR,              -- JSON: rows removed per table
    detail     VARCHAR,              -- why, e.g. "replaced by run 1a2b3c4d"
    pid        INTEGER,
    host       VARCHAR
);
