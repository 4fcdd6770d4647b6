-- 0007: known issues (docs/formats.md, "Recalls and makers' announcements").
--
-- recalls: one row per recall campaign x make x model x model year, from NHTSA's recalls flat
-- file (FLAT_RCL) or a CSV of the recalls API.  recall_id is the md5 of campaign, make, model
-- and model year, so the same recall read from two files is stored once.  product_id is
-- resolved exactly as a complaint's (catalog id, else `named:<make>-<model>`), so a recall of
-- FORD ESCAPE meets the complaints about FORD ESCAPE.
--
-- announcements: a maker's own word on a fault (recall, service campaign, exchange programme,
-- statement) for a product and a failure mode or component, from a date.
--
-- Both are append-only facts; `defectradar known-issues list` and signals.known read them.

CREATE TABLE recalls (
    recall_id            VARCHAR NOT NULL,    -- md5 of campaign, make, model, model year
    campaign             VARCHAR NOT NULL,    -- NHTSA campaign number, e.g. 02V288000
    make                 VARCHAR NOT NULL,
    model                VARCHAR,
    model_year           INTEGER,             -- NULL when unknown (the flat file's 9999)
    product_raw          VARCHAR,             -- make and model as complaints name them
    product_id           VARCHAR,
    component            VARCHAR,             -- NHTSA component text, e.g. ELECTRICAL SYSTEM:BATTERY:CABLES
    component_top        VARCHAR,             -- its first level, e.g. ELECTRICAL SYSTEM
    report_date          DATE NOT NULL,       -- report received (RCDATE), else date added (DATEA)
    notification_date    DATE,                -- owners notified (ODATE)
    manufacturer         VARCHAR,
    mfr_campaign         VARCHAR,
    recall_type          VARCHAR,             -- V vehicle, E equipment, T tire, C child seat
    potentially_affected BIGINT,
    summary              VARCHAR,             -- the defect
    consequence          VARCHAR,
    remedy               VARCHAR,
    notes                VARCHAR,
    extra                VARCHAR,             -- JSON of the source's other fields
    source               VARCHAR NOT NULL,
    ingest_run           VARCHAR NOT NULL,
    ingested_at          TIMESTAMP NOT NULL
);

CREATE TABLE announcements (
    announcement_id VARCHAR NOT NULL,         -- md5 of product, mode, component, date, kind, reference
    product_raw     VARCHAR,
    brand           VARCHAR,
    product_id      VARCHAR,
    failure_mode    VARCHAR,                  -- NULL: every mode of the product
    component       VARCHAR,
    date            DATE NOT NULL,            -- from when the issue is known
    kind            VARCHAR NOT NULL,         -- recall | service-campaign | exchange-programme | statement | ...
    reference       VARCHAR,
    text            VARCHAR,
    extra           VARCHAR,
    source          VARCHAR NOT NULL,
    ingest_run      VARCHAR NOT NULL,
    ingested_at     TIMESTAMP NOT NULL
);
