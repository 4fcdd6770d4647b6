-- 0003: alerts and their lifecycle.
-- An alert is one (scope, product, failure mode) signal; it is created once and keeps its id
-- across scans.  Everything that happens to it — raised, new evidence, acknowledged,
-- investigating, closed, reopened — is an appended alert_events row; the current state is a view.

CREATE TABLE alerts (
    alert_id     VARCHAR PRIMARY KEY,     -- md5 of scope, product and mode: stable across scans
    scope        VARCHAR NOT NULL,        -- product_mode | product | mode
    source       VARCHAR NOT NULL,        -- reports | service_events
    product_id   VARCHAR,
    failure_mode VARCHAR,
    first_method VARCHAR NOT NULL,
    first_seen   DATE NOT NULL,           -- the period the first alarm was for
    created_at   TIMESTAMP NOT NULL
);

CREATE TABLE alert_events (
    alert_event_id VARCHAR NOT NULL,
    alert_id       VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,      -- raised | evidence | acknowledged | investigating | closed | reopened
    status         VARCHAR,               -- the status after this event (null for evidence)
    actor          VARCHAR NOT NULL,      -- a person, or "scan"
    reason         VARCHAR,
    as_of          DATE,                  -- the scan's as-of date
    method         VARCHAR,
    statistic      DOUBLE,
    threshold      DOUBLE,
    evidence       VARCHAR,               -- JSON: counts, series, rule, report ids
    "at"           TIMESTAMP NOT NULL
);

CREATE VIEW alerts_current AS
WITH statuses AS (
    SELECT * EXCLUDE (rn) FROM (
        SELECT e.*, row_number() OVER (PARTITION BY alert_id ORDER BY "at" DESC, alert_event_id DESC) AS rn
        FROM alert_events e WHERE status IS NOT NULL
    ) WHERE rn = 1
), latest AS (
    SELECT * EXCLUDE (rn) FROM (
        SELECT e.*, row_number() OVER (PARTITION BY alert_id ORDER BY as_of DESC NULLS LAST, "at" DESC, alert_event_id DESC) AS rn
        FROM alert_events e WHERE kind IN ('raised', 'evidence', 'reopened')
    ) WHERE rn = 1
), counts AS (
    SELECT alert_id, count(*) FILTER (WHERE kind IN ('raised', 'evidence', 'reopened')) AS evidence_count,
           max(as_of) AS last_seen
    FROM alert_events GROUP BY alert_id
)
SELECT a.*, s.status, s."at" AS status_at, s.actor AS status_by, l.method AS last_method,
       l.statistic AS last_statistic, l.threshold AS last_threshold, l.evidence AS last_evidence,
       c.evidence_count, c.last_seen
FROM alerts a
JOIN statuses s USING (alert_id)
JOIN latest l USING (alert_id)
JOIN counts c USING (alert_id);
