-- 0002: what the classifier read from each report, relabelling history, and effective labels.
--
-- reports keeps the labels given at ingest (a fact of that run).  `defectradar reclassify`
-- appends newer machine labels to report_labels; analysts' corrections are label_events.
-- reports_labelled is what analyses read: analyst > latest machine relabel > ingest labels.
-- Existing NHTSA rows keep their source severity (0001 stored it in severity).

ALTER TABLE reports ADD COLUMN product_confidence DOUBLE;
ALTER TABLE reports ADD COLUMN source_severity VARCHAR;   -- what the source itself says (NHTSA crash/fire/injury flags)
ALTER TABLE reports ADD COLUMN author_is_owner BOOLEAN;
ALTER TABLE reports ADD COLUMN labels VARCHAR;        -- JSON: products and failure modes with confidence and source
ALTER TABLE reports ADD COLUMN classifier VARCHAR;    -- catalog/taxonomy/model that labelled it

CREATE TABLE report_labels (
    report_id          VARCHAR NOT NULL,
    label_run          VARCHAR NOT NULL,
    classifier         VARCHAR NOT NULL,
    lang               VARCHAR,
    product_id         VARCHAR,
    product_confidence DOUBLE,
    failure_modes      VARCHAR[],
    severity           VARCHAR,
    repeat_repairs     INTEGER,
    data_loss          BOOLEAN,
    author_is_owner    BOOLEAN,
    label_source       VARCHAR,
    confidence         DOUBLE,
    labels             VARCHAR,
    labelled_at        TIMESTAMP NOT NULL
);

CREATE VIEW report_labels_latest AS
SELECT * EXCLUDE (rn) FROM (
    SELECT l.*, row_number() OVER (PARTITION BY report_id ORDER BY labelled_at DESC, label_run DESC) AS rn
    FROM report_labels l
) WHERE rn = 1;

CREATE VIEW analyst_labels AS
SELECT report_id,
       max(value) FILTER (WHERE field = 'failure_modes') AS failure_modes_json,
       max(value) FILTER (WHERE field = 'product_id')    AS product_json,
       max(value) FILTER (WHERE field = 'severity')      AS severity_json,
       max("at") AS corrected_at,
       max(analyst) AS analyst
FROM (
    SELECT e.*, row_number() OVER (PARTITION BY report_id, field ORDER BY "at" DESC, label_event_id DESC) AS rn
    FROM label_events e
) WHERE rn = 1
GROUP BY report_id;

CREATE VIEW reports_labelled AS
SELECT r.* REPLACE (
           CASE WHEN a.product_json IS NOT NULL THEN json_extract_string(a.product_json, '$')
                WHEN m.report_id IS NOT NULL THEN m.product_id ELSE r.product_id END AS product_id,
           CASE WHEN a.failure_modes_json IS NOT NULL THEN CAST(json(a.failure_modes_json) AS VARCHAR[])
                WHEN m.report_id IS NOT NULL THEN m.failure_modes ELSE r.failure_modes END AS failure_modes,
           CASE WHEN a.severity_json IS NOT NULL THEN json_extract_string(a.severity_json, '$')
                WHEN m.report_id IS NOT NULL THEN m.severity ELSE r.severity END AS severity,
           CASE WHEN m.report_id IS NOT NULL THEN m.repeat_repairs ELSE r.repeat_repairs END AS repeat_repairs,
           CASE WHEN m.report_id IS NOT NULL THEN m.data_loss ELSE r.data_loss END AS data_loss,
           CASE WHEN m.report_id IS NOT NULL THEN m.lang ELSE r.lang END AS lang,
           CASE WHEN m.report_id IS NOT NULL THEN m.author_is_owner ELSE r.author_is_owner END AS author_is_owner,
           CASE WHEN a.report_id IS NOT NULL THEN 'analyst'
                WHEN m.report_id IS NOT NULL THEN m.label_source ELSE r.label_source END AS label_source,
           CASE WHEN a.report_id IS NOT NULL THEN 1.0
                WHEN m.report_id IS NOT NULL THEN m.confidence ELSE r.confidence END AS confidence,
           CASE WHEN m.report_id IS NOT NULL THEN m.classifier ELSE r.classifier END AS classifier
       )
FROM reports r
LEFT JOIN report_labels_latest m USING (report_id)
LEFT JOIN analyst_labels a USING (report_id);

UPDATE reports SET source_severity = severity WHERE label_source = 'source';
