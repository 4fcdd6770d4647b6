"""The alert lifecycle in the store: one alert per (scope, source, product, failure mode).

Statuses move ``new → acknowledged → investigating → closed``; a closed alert that signals
again is ``reopened`` (status ``new``).  People act with :func:`transition`; scans append
evidence with :func:`record_signals`, which never creates a second alert for the same signal
and adds evidence only when it says something new (another period, method or statistic), so
daily scans do not pile up copies.

What a signal is (:class:`~defectradar.signals.alerts.Signal`), the statuses and the rule an
evidence event was judged by (:func:`~defectradar.signals.alerts.alarm_rule_of`) are the
methods' side and stay in :mod:`defectradar.signals.alerts`; this module reads and writes the
``alerts`` and ``alert_events`` tables.
"""

from __future__ import annotations

import json
import uuid
from datetime import date

import duckdb

from defectradar.core.dates import utc_now
from defectradar.core.numbers import json_ready
from defectradar.errors import InputError
from defectradar.signals.alerts import OPEN, STATUSES, TRANSITIONS, RecordResult, Signal, alarm_rule_of
from defectradar.store import writer
from defectradar.store.connect import Store


def _event(con, alert: str, kind: str, status: str | None, actor: str, reason: str | None, as_of: date | None,
           signal: Signal | None = None) -> None:
    evidence = None
    if signal:
        # The period the alarm is for goes with the evidence: the alert's first_seen is derived
        # from it (alerts.first_seen is written once, when the alert is created).
        evidence = json.dumps({**signal.evidence, "period": signal.period.isoformat()}, ensure_ascii=False,
                              default=str)
    writer.insert_rows(con, "alert_events", [
        [uuid.uuid4().hex, alert, kind, status, actor, reason, as_of, signal.method if signal else None,
         signal.statistic if signal else None, signal.threshold if signal else None, evidence, utc_now()]])


def record_signals(con: duckdb.DuckDBPyConnection, signals: list[Signal], as_of: date) -> RecordResult:
    """Create or update alerts for a scan's signals (inside the caller's write transaction).

    Every method keeps its own evidence: one event per (alert, method) and scan, appended unless
    the same method already gave the same period and statistic as of the same date.  A new
    alert is raised by the method that alarmed earliest (its ``first_seen``); evidence of an
    earlier period than the alert's ``first_seen`` is recorded with that reason, and
    :func:`list_alerts` / :func:`show_alert` report the earliest period any method alarmed.
    """
    result = RecordResult()
    by_alert: dict[str, dict[str, Signal]] = {}
    for s in signals:    # one signal per method: its first alarm in the window
        methods = by_alert.setdefault(s.alert_id, {})
        current = methods.get(s.method)
        if current is None or (s.period, -_strength(s)) < (current.period, -_strength(current)):
            methods[s.method] = s
    for key, methods in by_alert.items():
        found = sorted(methods.values(), key=lambda s: (s.period, -_strength(s), s.method))
        first = found[0]                                   # the earliest alarm raises the alert
        rest = sorted(found[1:], key=_strength)            # the strongest is recorded last
        row = con.execute("SELECT status FROM alerts_current WHERE alert_id = ?", [key]).fetchone()
        if row is None:
            writer.insert_rows(con, "alerts", [[key, first.scope, first.source, first.product_id, first.failure_mode,
                                                first.method, first.period, utc_now()]])
            _event(con, key, "raised", "new", "scan", None, as_of, first)
            for signal in rest:
                _event(con, key, "evidence", None, "scan", None, as_of, signal)
            result.raised.append(key)
            continue
        first_seen = _first_seen(con, key)
        if row[0] == "closed":
            strongest = max(found, key=_strength)
            _event(con, key, "reopened", "new", "scan", "signalled again after it was closed", as_of, strongest)
            for signal in sorted((s for s in found if s is not strongest), key=_strength):
                _event(con, key, "evidence", None, "scan", _earlier(signal, first_seen), as_of, signal)
            result.reopened.append(key)
            continue
        appended = False
        for signal in sorted(found, key=_strength):
            if _already_recorded(con, key, signal, as_of):
                continue
            _event(con, key, "evidence", None, "scan", _earlier(signal, first_seen), as_of, signal)
            appended = True
        (result.updated if appended else result.unchanged).append(key)
    return result


def _already_recorded(con, key: str, signal: Signal, as_of: date) -> bool:
    """The method's latest evidence for this alert says the same as of the same date."""
    row = con.execute(
        "SELECT as_of, statistic, json_extract_string(evidence, '$.period') FROM alert_events "
        "WHERE alert_id = ? AND method = ? AND kind IN ('raised', 'evidence', 'reopened') "
        "ORDER BY as_of DESC NULLS LAST, \"at\" DESC, alert_event_id DESC LIMIT 1", [key, signal.method]).fetchone()
    if row is None:
        return False
    last_as_of, statistic, period = row
    return (last_as_of == as_of and _same(statistic, signal.statistic)
            and period in (None, signal.period.isoformat()))


def _earlier(signal: Signal, first_seen: date | None) -> str | None:
    if first_seen is not None and signal.period < first_seen:
        return f"alarm for {signal.period}, earlier than first seen ({first_seen})"
    return None


# The earliest period any scan alarmed: alerts.first_seen is written once, and evidence of an
# earlier period (another method, a rescan as of an earlier date) arrives later; derived here
# rather than rewritten, so the alerts table stays as created (no migration).
_FIRST_PERIODS = ("SELECT alert_id, min(TRY_CAST(json_extract_string(evidence, '$.period') AS DATE)) AS first_period "
                  "FROM alert_events WHERE kind IN ('raised', 'evidence', 'reopened') {where} GROUP BY alert_id")
_FIRST_SEEN = "least(c.first_seen, coalesce(p.first_period, c.first_seen))"


def _first_seen(con, key: str) -> date | None:
    periods = _FIRST_PERIODS.format(where="AND alert_id = ?")
    row = con.execute(f"SELECT {_FIRST_SEEN} FROM alerts c LEFT JOIN ({periods}) p USING (alert_id) "
                      "WHERE alert_id = ?", [key, key]).fetchone()
    return row[0] if row else None


def _strength(signal: Signal) -> float:
    return _ratio(signal.statistic, signal.threshold)


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)))


def transition(store: Store, alert: str, action: str, actor: str, reason: str | None = None) -> dict:
    """Move an alert through its lifecycle (acknowledged, investigating, closed, reopened)."""
    if action not in TRANSITIONS:
        raise InputError(f"unknown action {action!r}; use one of {', '.join(TRANSITIONS)}")
    allowed, status = TRANSITIONS[action]
    with store.writer() as con:
        matches = con.execute("SELECT alert_id, status FROM alerts_current WHERE alert_id LIKE ?",
                              [alert + "%"]).fetchall()
        if not matches:
            raise InputError(f"no alert {alert!r}; see `defectradar alerts list`")
        if len(matches) > 1:
            raise InputError(f"{alert!r} matches {len(matches)} alerts; give more of the id")
        full_id, current = matches[0]
        if current not in allowed:
            raise InputError(f"alert {full_id} is {current}; it cannot be {action} (allowed from: "
                             f"{', '.join(sorted(allowed))})")
        _event(con, full_id, action, status, actor, reason, None)
    return {"alert_id": full_id, "from": current, "to": status, "by": actor, "reason": reason}


# Per alert, the largest score (RR05 of a temporal alarm, EB05 of disproportionality) in the
# evidence of its latest scan: one comparable number to rank alerts by.
_SCORES = ("SELECT alert_id, max(TRY_CAST(json_extract_string(evidence, '$.score') AS DOUBLE)) AS score FROM ("
           "  SELECT e.*, max(as_of) OVER (PARTITION BY alert_id) AS latest FROM alert_events e"
           "  WHERE kind IN ('raised', 'evidence', 'reopened')) WHERE as_of IS NOT DISTINCT FROM latest "
           "GROUP BY alert_id")


def list_alerts(con: duckdb.DuckDBPyConnection, status: str | None = None, limit: int = 100) -> list[dict]:
    """Alerts, open ones first, then strongest first (``score``: the largest RR05 or EB05 of the
    latest scan's evidence), then newest evidence first.

    ``status`` is one of :data:`STATUSES` or ``"open"`` (every status but closed).  Each row has
    ``first_seen`` (the earliest period any method alarmed), the latest scan's evidence per
    method (``latest_evidence``: method, period, statistic, its ``rule`` and the counts), and
    ``last_method`` / ``last_statistic`` / ``last_threshold`` of the strongest of them.
    """
    if status and status not in (*STATUSES, OPEN):
        raise InputError(f"unknown status {status!r}; use one of {', '.join(STATUSES)} or {OPEN} "
                         "(every status but closed)")
    where, params = "", []
    if status == OPEN:
        where = "WHERE c.status <> 'closed'"
    elif status:
        where, params = "WHERE c.status = ?", [status]
    cursor = con.execute(
        f"SELECT c.alert_id, c.scope, c.source, c.product_id, c.failure_mode, c.status, {_FIRST_SEEN} AS first_seen, "
        f"c.last_seen, c.last_method, c.last_statistic, c.last_threshold, c.evidence_count, sc.score FROM alerts_current c "
        f"LEFT JOIN ({_FIRST_PERIODS.format(where='')}) p USING (alert_id) "
        f"LEFT JOIN ({_SCORES}) sc USING (alert_id) {where} "
        f"ORDER BY (c.status = 'closed'), sc.score DESC NULLS LAST, c.last_seen DESC, c.alert_id LIMIT ?",
        [*params, limit])
    names = [d[0] for d in cursor.description]
    rows = [{k: json_ready(v) for k, v in zip(names, row)} for row in cursor.fetchall()]
    latest = _latest_evidence(con, [r["alert_id"] for r in rows])
    for row in rows:
        _with_latest(row, latest.get(row["alert_id"], []))
    return rows


def _latest_evidence(con, alert_ids: list[str]) -> dict[str, list[dict]]:
    """Per alert, the evidence of its latest scan: one entry per method, strongest last."""
    if not alert_ids:
        return {}
    cursor = con.execute(
        "SELECT alert_id, kind, as_of, method, statistic, threshold, evidence FROM ("
        "  SELECT e.*, row_number() OVER (PARTITION BY alert_id, method ORDER BY as_of DESC NULLS LAST, \"at\" DESC, "
        "                                 alert_event_id DESC) AS rn,"
        "         max(as_of) OVER (PARTITION BY alert_id) AS latest_as_of"
        "  FROM alert_events e WHERE kind IN ('raised', 'evidence', 'reopened') AND alert_id IN (SELECT unnest(?))"
        ") WHERE rn = 1 AND as_of IS NOT DISTINCT FROM latest_as_of ORDER BY alert_id, method", [alert_ids])
    found: dict[str, list[dict]] = {}
    for alert, kind, as_of, method, statistic, threshold, evidence in cursor.fetchall():
        data = _json(evidence)
        rule, count_threshold = alarm_rule_of(method, threshold, data)
        found.setdefault(alert, []).append({
            "method": method, "as_of": json_ready(as_of), "period": data.get("period"), "statistic": statistic,
            "threshold": threshold, "rule": rule, "count": data.get("count", data.get("n")),
            "expected": data.get("expected"), "count_threshold": count_threshold, "kind": kind})
    for entries in found.values():
        entries.sort(key=lambda e: _ratio(e["statistic"], e["threshold"]))
    return found


def _with_latest(row: dict, latest: list[dict]) -> None:
    row["latest_evidence"] = latest
    if latest:                                   # the strongest method of the latest scan
        strongest = latest[-1]
        row.update(last_method=strongest["method"], last_statistic=strongest["statistic"],
                   last_threshold=strongest["threshold"])


def show_alert(con: duckdb.DuckDBPyConnection, alert: str) -> dict:
    """One alert: its current state, the latest scan's evidence per method and every event."""
    rows = con.execute("SELECT alert_id FROM alerts WHERE alert_id LIKE ?", [alert + "%"]).fetchall()
    if len(rows) != 1:
        raise InputError(f"no alert {alert!r}; see `defectradar alerts list`" if not rows
                         else f"{alert!r} matches {len(rows)} alerts; give more of the id")
    full_id = rows[0][0]
    cursor = con.execute(f"SELECT c.* REPLACE ({_FIRST_SEEN} AS first_seen) FROM alerts_current c "
                         f"LEFT JOIN ({_FIRST_PERIODS.format(where='AND alert_id = ?')}) p USING (alert_id) "
                         "WHERE c.alert_id = ?", [full_id, full_id])
    names = [d[0] for d in cursor.description]
    current = {k: json_ready(v) for k, v in zip(names, cursor.fetchone())}
    current["last_evidence"] = _json(current.get("last_evidence")) or None
    _with_latest(current, _latest_evidence(con, [full_id]).get(full_id, []))
    cursor = con.execute('SELECT kind, status, actor, reason, as_of, method, statistic, threshold, evidence, "at" '
                         'FROM alert_events WHERE alert_id = ? ORDER BY "at", alert_event_id', [full_id])
    names = [d[0] for d in cursor.description]
    events = []
    for row in cursor.fetchall():
        event = {k: json_ready(v) for k, v in zip(names, row)}
        event["evidence"] = _json(event["evidence"]) or None
        if event["method"]:
            event["rule"], event["count_threshold"] = alarm_rule_of(event["method"], event["threshold"],
                                                                    event["evidence"])
        events.append(event)
    current["events"] = events
    return current


def alert_reports(con: duckdb.DuckDBPyConnection, detail: dict, limit: int = 20) -> list[dict]:
    """The records behind an alert: the report ids of its latest evidence (every method), read back.

    Complaints (source ``reports``) give ``text``, ``created_at``, ``source``, ``product_id`` and
    ``failure_modes``; repair visits (``service_events``) their fault text, date, source,
    product and failure mode.  At most ``limit``, in the order the evidence lists them.
    """
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise InputError(f"limit={limit!r}: give a positive whole number of reports")
    ids: list[str] = []
    events = [e for e in detail.get("events", []) if e.get("evidence")]
    latest = {(e["method"], e["as_of"]) for e in detail.get("latest_evidence", [])}
    chosen = [e for e in events if (e["method"], e["as_of"]) in latest] or events[-1:]
    for event in reversed(chosen):                  # the strongest and newest first
        for rid in event["evidence"].get("reports", []) or []:
            if str(rid) not in ids:
                ids.append(str(rid))
    ids = ids[:limit]
    if not ids:
        return []
    if detail.get("source") == "service_events":
        sql = ("SELECT event_id AS id, fault AS text, CAST(date AS TIMESTAMP) AS created_at, source, product_id, "
               "CASE WHEN failure_mode IS NULL THEN [] ELSE [failure_mode] END AS failure_modes "
               "FROM service_events WHERE event_id IN (SELECT unnest(?))")
    else:
        sql = ("SELECT report_id AS id, text, created_at, source, product_id, failure_modes "
               "FROM posts_labelled WHERE report_id IN (SELECT unnest(?))")
    cursor = con.execute(sql, [ids])
    names = [d[0] for d in cursor.description]
    found = {}
    for row in cursor.fetchall():
        record = {k: json_ready(v) for k, v in zip(names, row)}
        found.setdefault(record["id"], record)
    return [found[i] for i in ids if i in found]


def _json(text) -> dict:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _ratio(statistic, threshold) -> float:
    if statistic is None or threshold in (None, 0):
        return 0.0
    return float(statistic) / float(threshold)
