-- 0006: the kind of each failure mode (docs/labelling.md).  `failure_modes` keeps every mode a
-- report names; `complaint_modes` lists those of kind "complaint" (the part works, worse than
-- expected); the others are failures.  Signals count failures by default (scan setting
-- `count: failures | all`).  Reports labelled before this migration have no kinds (NULL):
-- every mode counts as a failure until `defectradar reclassify` reads them again.
-- An analyst's corrected modes are failures (a correction names what is wrong).

ALTER TABLE reports ADD COLUMN complaint_modes VARCHAR[];
ALTER TABLE report_labels ADD COLUMN complaint_modes VARCHAR[];

DROP VIEW reports_labelled;
DROP VIEW posts_labelled;

CREATE VIEW posts_labelled AS
SELECT r.* REPLACE (
           CASE WHEN a.product_json IS NOT NULL THEN json_extract_string(a.product_json, '$')
                WHEN m.report_id IS NOT NULL THEN m.product_id ELSE r.product_id END AS product_id,
           CASE WHEN a.failure_modes_json IS NOT NULL THEN CAST(json(a.failure_modes_json) AS VARCHAR[])
                WHEN m.report_id IS NOT NULL THEN m.failure_modes ELSE r.failure_modes END AS failure_modes,
           CASE WHEN a.failure_modes_json IS NOT NULL THEN CAST([] AS VARCHAR[])
                WHEN m.report_id IS NOT NULL THEN m.complaint_modes ELSE r.complaint_modes END AS complaint_modes,
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

CREATE VIEW reports_labelled AS
SELECT p.* REPLACE (
           CASE WHEN p.engagement IS NULL AND s.reposts > 0 THEN s.reposts ELSE p.engagement END AS engagement
       )
FROM posts_labelled p
LEFT JOIN (SELECT repost_of AS report_id, count(*) AS reposts FROM reports
           WHERE repost_of IS NOT NULL GROUP BY repost_of) s USING (report_id)
WHERE p.repost_of IS NULL;
