"""What an alarm must show before it is raised, and the records behind it.

A month of complaints can be one angry owner posting ten times, or one thread where the same
people reply; defect surveillance wants several people reporting the same fault.  So a
temporal alarm needs ``min_authors`` distinct authors (devices, for repair visits) among the
records of its period, and reports the share of its single largest author.  Reposts never
count (``reports_labelled`` leaves them out: a repost is engagement, not a complaint).  A record
without an author (a source that names none, such as NHTSA) counts as its own author.
"""

from __future__ import annotations

from datetime import date, timedelta

from defectradar.query.series import FAILURES_ONLY
from defectradar.signals.alerts import Signal

EVIDENCE_REPORTS = 50
# table -> (rows, id column, date column, mode filter, extra condition, author column)
_SOURCES = {
    "reports": ("reports_labelled", "report_id", "created_at", "list_contains(failure_modes, ?)", "true",
                "author_token"),
    "service_events": ("service_events", "event_id", "date", "failure_mode = ?", "action <> 'inspect'",
                       "device_token"),
}


def _source(table: str, count: str) -> tuple:
    """``count`` is failures, all, or component (series counted by the source's components:
    the scan's ``by: component`` made the temporary view ``reports_by_component``)."""
    rows, *rest = _SOURCES[table]
    if table == "reports" and count == "component":
        rows = "reports_by_component"
    elif table == "reports" and count != "all":
        rows = f"({FAILURES_ONLY})"
    return (rows, *rest)


def _where(s: Signal, table: str, count: str, freq: str, as_of: date) -> tuple[str, list, str]:
    rows, id_col, day, mode_filter, extra, _author = _source(table, count)
    if s.method in ("disproportionality",):
        where, params = [extra, f"{day} < ?"], [as_of + timedelta(days=1)]
    else:
        end = s.period + (timedelta(days=7) if freq == "week" else timedelta(days=1))
        where, params = [extra, f"{day} >= ?", f"{day} < ?"], [s.period, end]
    if s.product_id is not None:
        where.append("product_id = ?")
        params.append(s.product_id)
    if s.failure_mode is not None:
        where.append(mode_filter)
        params.append(s.failure_mode)
    return " AND ".join(where), params, rows


def apply_evidence_rules(con, signals: list[Signal], freq: str, as_of: date, count: str = "failures",
                         min_authors: int = 1) -> tuple[list[Signal], list[Signal]]:
    """Temporal signals with ``min_authors`` distinct authors kept, the others returned apart.

    Each temporal signal gets ``evidence["authors"]`` (distinct authors or devices in its
    period) and ``evidence["largest_author_share"]`` (the share of its records from the single
    most frequent one).
    """
    kept, weak = [], []
    for s in signals:
        if s.source not in _SOURCES or s.method == "disproportionality":
            kept.append(s)
            continue
        where, params, rows = _where(s, s.source, count, freq, as_of)
        _r, id_col, *_x, author = _source(s.source, count)
        who = f"coalesce(CAST({author} AS VARCHAR), 'record:' || CAST({id_col} AS VARCHAR))"
        authors, records, largest = con.execute(
            f"SELECT count(DISTINCT who), count(*), coalesce(max(n), 0) FROM ("
            f"  SELECT {who} AS who, count(*) OVER (PARTITION BY {who}) AS n FROM {rows} WHERE {where})",
            params).fetchone()
        s.evidence["authors"] = int(authors)
        s.evidence["largest_author_share"] = round(largest / records, 4) if records else None
        (kept if authors >= min_authors else weak).append(s)
    return kept, weak


def attach_reports(con, signals: list[Signal], freq: str, as_of: date, count: str = "failures") -> None:
    """The records behind each alarm: ids of the complaints (``reports``) or of the repair
    visits (``service_events``, pseudonymous event ids) in the alarm period; for
    disproportionality, the newest complaints naming the product and the mode up to ``as_of``.

    Signals of one product are looked up together, in one pass over the records per source
    and kind (a scan of ten million reports raised dozens of signals, and one query each cost
    a quarter of a second); a signal over all products is looked up on its own.
    """
    batches: dict[tuple[str, bool], list[Signal]] = {}
    for s in signals:
        if s.source not in _SOURCES:
            continue
        if s.product_id is None:
            _attach_one(con, s, freq, as_of, count)
            continue
        batches.setdefault((s.source, s.method == "disproportionality"), []).append(s)
    for (source, newest_first), group in batches.items():
        rows, id_col, day, mode_filter, extra, _author = _source(source, count)
        targets = []
        for i, s in enumerate(group):
            if newest_first:
                begin, end = date(1900, 1, 1), as_of + timedelta(days=1)
            else:
                begin = s.period
                end = s.period + (timedelta(days=7) if freq == "week" else timedelta(days=1))
            targets.append((i, s.product_id, s.failure_mode, begin, end))
        order = f"r.{day} DESC, r.{id_col}" if newest_first else f"r.{day}, r.{id_col}"
        mode_match = mode_filter.replace("failure_modes", "r.failure_modes").replace(
            "failure_mode =", "r.failure_mode =").replace("?", "t.failure_mode")
        found = con.execute(
            f"WITH t AS (SELECT * FROM (SELECT unnest(?, recursive := true)) ) "
            f"SELECT i, id FROM ("
            f"  SELECT t.i, r.{id_col} AS id, row_number() OVER (PARTITION BY t.i ORDER BY {order}) AS rn "
            f"  FROM (SELECT * FROM {rows} WHERE {extra}) r JOIN t ON r.product_id = t.product_id "
            f"    AND r.{day} >= t.begin_day AND r.{day} < t.end_day "
            f"  WHERE t.failure_mode IS NULL OR {mode_match}"
            f") WHERE rn <= ? ORDER BY i, rn",
            [[{"i": i, "product_id": p, "failure_mode": m, "begin_day": b, "end_day": e}
              for i, p, m, b, e in targets], EVIDENCE_REPORTS]).fetchall()
        ids: dict[int, list[str]] = {}
        for i, rid in found:
            ids.setdefault(i, []).append(str(rid))
        for i, s in enumerate(group):
            s.evidence["reports"] = ids.get(i, [])


def _attach_one(con, s: Signal, freq: str, as_of: date, count: str) -> None:
    where, params, rows = _where(s, s.source, count, freq, as_of)
    _r, id_col, day, *_x = _source(s.source, count)
    order = f"{day} DESC, {id_col}" if s.method == "disproportionality" else f"{day}, {id_col}"
    found = con.execute(f"SELECT {id_col} FROM {rows} WHERE {where} ORDER BY {order} LIMIT ?",
                        [*params, EVIDENCE_REPORTS]).fetchall()
    s.evidence["reports"] = [str(r[0]) for r in found]
