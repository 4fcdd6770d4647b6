-- 0001: the append-only fact tables of ARCHITECTURE.md.
-- Timestamps are UTC without zone (TIMESTAMP), so the same schema maps onto Spark.
-- Big fact tables have no PRIMARY KEY on purpose: DuckDB keeps such indexes in memory and
-- slows bulk appends several-fold; uniqueness is enforced by the writer's anti-join instead.

CREATE TABLE store_meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE TABLE ingest_runs (
    run_id           VARCHAR PRIMARY KEY,
    source_type      VARCHAR NOT NULL,
    source           VARCHAR NOT NULL,
    path             VARCHAR NOT NULL,
    file_hash        VARCHAR NOT NULL,
    file_bytes       BIGINT NOT NULL,
    options          VARCHAR NOT NULL,   -- JSON: mapping, time zone, encoding ...
    encoding         VARCHAR,
    started_at       TIMESTAMP NOT NULL,
    finished_at      TIMESTAMP,
    status           VARCHAR NOT NULL,   -- running | complete | failed | skipped
    rows_read        BIGINT NOT NULL DEFAULT 0,
    rows_inserted    BIGINT NOT NULL DEFAULT 0,
    rows_duplicate   BIGINT NOT NULL DEFAULT 0,
    rows_quarantined BIGINT NOT NULL DEFAULT 0,
    pid              INTEGER,
    host             VARCHAR,
    message          VARCHAR
);

CREATE TABLE reports (
    report_id      VARCHAR NOT NULL,     -- md5 of source + source_id, or of normalised content
    source         VARCHAR NOT NULL,     -- where it came from: weibo, nhtsa, heimao ...
    source_type    VARCHAR NOT NULL,     -- the ingest format that read it
    source_id      VARCHAR,
    created_at     TIMESTAMP,            -- UTC
    author_token   VARCHAR,              -- keyed token of the author handle, never the handle
    title          VARCHAR,
    text           VARCHAR NOT NULL,     -- identifiers replaced by tokens
    lang           VARCHAR,
    product_raw    VARCHAR,              -- product as the source named it
    product_id     VARCHAR,              -- catalog id when known
    failure_modes  VARCHAR[],
    components     VARCHAR[],            -- the source's own labels (e.g. NHTSA COMPDESC)
    severity       VARCHAR,
    repeat_repairs INTEGER,
    data_loss      BOOLEAN,
    engagement     BIGINT,
    region         VARCHAR,
    device_token   VARCHAR,
    url            VARCHAR,
    extra          VARCHAR,              -- JSON object of the source's other fields (redacted)
    label_source   VARCHAR,              -- source | rule | model | analyst
    confidence     DOUBLE,
    ingest_run     VARCHAR NOT NULL,
    ingested_at    TIMESTAMP NOT NULL
);

CREATE TABLE devices (
    device_token  VARCHAR NOT NULL,
    product_raw   VARCHAR,
    product_id    VARCHAR,
    purchase_date DATE,
    region        VARCHAR,
    channel       VARCHAR,
    source        VARCHAR NOT NULL,
    ingest_run    VARCHAR NOT NULL,
    ingested_at   TIMESTAMP NOT NULL
);

CREATE TABLE service_events (
    event_id            VARCHAR NOT NULL,
    device_token        VARCHAR NOT NULL,
    product_raw         VARCHAR,
    product_id          VARCHAR,
    date                DATE NOT NULL,
    fault               VARCHAR,             -- the record's fault text (redacted)
    failure_mode        VARCHAR,
    action              VARCHAR NOT NULL,    -- inspect | repair | replace | refund | refused
    parts               VARCHAR[],
    days_out_of_service INTEGER,
    data_wiped          BOOLEAN,
    center              VARCHAR,
    region              VARCHAR,
    source              VARCHAR NOT NULL,
    source_id           VARCHAR,
    extra               VARCHAR,
    ingest_run          VARCHAR NOT NULL,
    ingested_at         TIMESTAMP NOT NULL
);

CREATE TABLE sales (
    sales_id    VARCHAR NOT NULL,
    product_raw VARCHAR NOT NULL,
    product_id  VARCHAR,
    month       DATE NOT NULL,          -- first day of the month
    region      VARCHAR,
    channel     VARCHAR,
    units       BIGINT NOT NULL,
    source      VARCHAR NOT NULL,
    ingest_run  VARCHAR NOT NULL,
    ingested_at TIMESTAMP NOT NULL
);

CREATE TABLE products (
    product_id        VARCHAR NOT NULL,
    brand             VARCHAR NOT NULL,
    series            VARCHAR,
    name              VARCHAR NOT NULL,
    name_zh           VARCHAR,
    launch_date       DATE,
    end_of_production DATE,
    aliases           VARCHAR[],
    catalog_hash      VARCHAR NOT NULL,     -- which catalog version defined this row
    loaded_at         TIMESTAMP NOT NULL
);

CREATE TABLE label_events (
    label_event_id VARCHAR NOT NULL,
    report_id      VARCHAR NOT NULL,
    field          VARCHAR NOT NULL,
    value          VARCHAR,                -- JSON
    analyst        VARCHAR NOT NULL,
    reason         VARCHAR,
    "at"           TIMESTAMP NOT NULL
);

CREATE TABLE quarantine (
    quarantine_id  VARCHAR NOT NULL,       -- md5 of file hash + row number: a rerun adds nothing twice
    ingest_run     VARCHAR NOT NULL,
    source_type    VARCHAR NOT NULL,
    path           VARCHAR NOT NULL,
    file_hash      VARCHAR NOT NULL,
    row_number     BIGINT,
    field          VARCHAR,
    reason         VARCHAR NOT NULL,
    raw            VARCHAR,                -- the row as read, identifiers replaced, cut to 2,000 chars
    quarantined_at TIMESTAMP NOT NULL
);

-- Current sales figure per product x month x region x channel: a corrected file appends,
-- the latest ingest wins.
CREATE VIEW sales_current AS
SELECT * EXCLUDE (rn) FROM (
    SELECT s.*, row_number() OVER (
        PARTITION BY product_raw, month, coalesce(region, ''), coalesce(channel, '')
        ORDER BY ingested_at DESC, sales_id) AS rn
    FROM sales s
) WHERE rn = 1;
