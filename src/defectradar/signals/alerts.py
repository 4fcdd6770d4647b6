"""Alerts: one per (scope, source, product, failure mode), with an append-only lifecycle.

Statuses move ``new → acknowledged → investigating → closed``; a closed alert that signals
again is ``reopened`` (status ``new``).  People act with :func:`transition`; scans append
evidence with :func:`record_signals`, which never creates a second alert for the same signal
and adds evidence only when it says something new (another period, method or statistic), so
daily scans do not pile up copies.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone

import duckdb

from defectradar.errors import InputError
from defectradar.store.connect import Store

STATUSES = ("new", "acknowledged", "investigating", "closed")
_TRANSITIONS = {  # action -> (allowed from, resulting status)
    "acknowledged": ({"new"}, "acknowledged"),
    "investigating": ({"new", "acknowledged"}, "investigating"),
    "closed": ({"new", "acknowledged", "investigating"}, "closed"),
    "reopened": ({"closed"}, "new"),
}


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def alert_id(scope: str, source: str, product_id: str | None, failure_mode: str | None) -> str:
    key = "\x1f".join([scope, source, product_id or "", failure_mode or ""])
    return hashlib.md5(key.encode("utf-8")).hexdigest()[:16]


@dataclass
class Signal:
    """One detector firing for one series, as of one scan."""

    scope: str                    # product_mode | product | mode
    source: str                   # reports | service_events
    product_id: str | None
    failure_mode: str | None
    method: str
    period: date                  # the period the alarm is for
    statistic: float | None
    threshold: float | None
    evidence: dict = field(default_factory=dict)

    @property
    def alert_id(self) -> str:
        return alert_id(self.scope, self.source, self.product_id, self.failure_mode)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["period"] = self.period.isoformat()
        data["alert_id"] = self.alert_id
        return data


@dataclass
class RecordResult:
    raised: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _event(con, alert: str, kind: str, status: str | None, actor: str, reason: str | None, as_of: date | None,
           signal: Signal | None = None) -> None:
    evidence = json.dumps(signal.evidence, ensure_ascii=False, default=str) if signal else None
    con.execute(
        'INSERT INTO alert_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [uuid.uuid4().hex, alert, kind, status, actor, reason, as_of, signal.method if signal else None,
         signal.statistic if signal else None, signal.threshold if signal else None, evidence, _now()])


def record_signals(con: duckdb.DuckDBPyConnection, signals: list[Signal], as_of: date) -> RecordResult:
    """Create or update alerts for a scan's signals (inside the caller's write transaction)."""
    result = RecordResult()
    best: dict[str, Signal] = {}
    for s in signals:   # one evidence row per alert per scan: the strongest method's
        current = best.get(s.alert_id)
        if current is None or _strength(s) > _strength(current):
            best[s.alert_id] = s
    for key, signal in best.items():
        row = con.execute("SELECT status, last_method, last_statistic, last_seen, evidence_count FROM alerts_current "
                          "WHERE alert_id = ?", [key]).fetchone()
        if row is None:
            con.execute("INSERT INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [key, signal.scope, signal.source, signal.product_id, signal.failure_mode, signal.method,
                         signal.period, _now()])
            _event(con, key, "raised", "new", "scan", None, as_of, signal)
            result.raised.append(key)
            continue
        status, last_method, last_statistic, last_seen, _ = row
        if status == "closed":
            _event(con, key, "reopened", "new", "scan", "signalled again after it was closed", as_of, signal)
            result.reopened.append(key)
        elif last_seen == as_of and last_method == signal.method and _same(last_statistic, signal.statistic):
            result.unchanged.append(key)
        else:
            _event(con, key, "evidence", None, "scan", None, as_of, signal)
            result.updated.append(key)
    return result


def _strength(signal: Signal) -> float:
    if signal.statistic is None or signal.threshold in (None, 0):
        return 0.0
    return float(signal.statistic) / float(signal.threshold)


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)))


def transition(store: Store, alert: str, action: str, actor: str, reason: str | None = None) -> dict:
    """Move an alert through its lifecycle (acknowledged, investigating, closed, reopened)."""
    if action not in _TRANSITIONS:
        raise InputError(f"unknown action {action!r}; use one of {', '.join(_TRANSITIONS)}")
    allowed, status = _TRANSITIONS[action]
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


def list_alerts(con: duckdb.DuckDBPyConnection, status: str | None = None, limit: int = 100) -> list[dict]:
    where, params = ("WHERE status = ?", [status]) if status else ("", [])
    if status and status not in STATUSES:
        raise InputError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
    cursor = con.execute(
        f"SELECT alert_id, scope, source, product_id, failure_mode, status, first_seen, last_seen, last_method, "
        f"last_statistic, last_threshold, evidence_count FROM alerts_current {where} "
        f"ORDER BY (status = 'closed'), last_seen DESC, alert_id LIMIT ?", [*params, limit])
    names = [d[0] for d in cursor.description]
    return [{k: _plain(v) for k, v in zip(names, row)} for row in cursor.fetchall()]


def show_alert(con: duckdb.DuckDBPyConnection, alert: str) -> dict:
    rows = con.execute("SELECT alert_id FROM alerts WHERE alert_id LIKE ?", [alert + "%"]).fetchall()
    if len(rows) != 1:
        raise InputError(f"no alert {alert!r}" if not rows else f"{alert!r} matches {len(rows)} alerts; give more of the id")
    full_id = rows[0][0]
    cursor = con.execute("SELECT * FROM alerts_current WHERE alert_id = ?", [full_id])
    names = [d[0] for d in cursor.description]
    current = {k: _plain(v) for k, v in zip(names, cursor.fetchone())}
    current["last_evidence"] = json.loads(current["last_evidence"]) if current.get("last_evidence") else None
    cursor = con.execute('SELECT kind, status, actor, reason, as_of, method, statistic, threshold, evidence, "at" '
                         'FROM alert_events WHERE alert_id = ? ORDER BY "at", alert_event_id', [full_id])
    names = [d[0] for d in cursor.description]
    events = []
    for row in cursor.fetchall():
        event = {k: _plain(v) for k, v in zip(names, row)}
        event["evidence"] = json.loads(event["evidence"]) if event["evidence"] else None
        events.append(event)
    current["events"] = events
    return current


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value
