-- 0004: a repost links to the post it reposts and counts as engagement, not as a complaint.
--
-- Before 0004 a Weibo repost stored the post it embeds as a second row with the same
-- report_id (the writer kept both: they shared a line number), so counts read one complaint
-- twice.  This migration removes those exact repeats (the same report_id stored twice is the
-- same post; the first stored is kept), links every repost to its original by report_id, and
-- splits the effective-label view in two:
--   posts_labelled    every post, reposts included (social volume: trending);
--   reports_labelled  complaints only, reposts left out; an original whose source gave no
--                     engagement counts the reposts of it seen in the store as its engagement.

ALTER TABLE reports ADD COLUMN repost_of VARCHAR;         -- report_id of the post this one reposts
ALTER TABLE ingest_runs ADD COLUMN originals_added BIGINT NOT NULL DEFAULT 0;  -- taken from reposts

DELETE FROM reports WHERE rowid NOT IN (SELECT min(rowid) FROM reports GROUP BY report_id);

UPDATE reports SET repost_of = md5(source || chr(31) || json_extract_string(extra, '$.retweet_of'))
WHERE json_extract_string(extra, '$.retweet_of') IS NOT NULL;

-- The effective-label view of 0002 keeps its definition under its new name (its r.* now
-- includes repost_of); reports_labelled becomes the complaints-only view over it.
ALTER VIEW reports_labelled RENAME TO posts_labelled;

CREATE VIEW reports_labelled AS
SELECT p.* REPLACE (
           CASE WHEN p.engagement IS NULL AND s.reposts > 0 THEN s.reposts ELSE p.engagement END AS engagement
       )
FROM posts_labelled p
LEFT JOIN (SELECT repost_of AS report_id, count(*) AS reposts FROM reports
           WHERE repost_of IS NOT NULL GROUP BY repost_of) s USING (report_id)
WHERE p.repost_of IS NULL;
