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

from defectradar.query.series import counted_records
from defectradar.signals.alerts import Signal

EVIDENCE_REPORTS = 50
# table -> (id column, date column, author column); the rows are the backend's table or view.
_SOURCES = {
    "reports": ("report_id", "created_at", "author_token"),
    "service_events": ("event_id", "date", "device_token"),
}


def _window(s: Signal, freq: str, as_of: date) -> tuple[date, date]:
    """The days a signal's records come from: its alarm period, or (disproportionality)
    everything up to ``as_of``."""
    if s.method == "disproportionality":
        return date(1900, 1, 1), as_of + timedelta(days=1)
    return s.period, s.period + (timedelta(days=7) if freq == "week" else timedelta(days=1))


def _day(t, table: str):
    column = t[_SOURCES[table][1]]
    return column.cast("date") if table == "reports" else column


def _signal_rows(con, s: Signal, table: str, count: str, freq: str, as_of: date):
    t = counted_records(con, table, count)
    begin, end = _window(s, freq, as_of)
    day = _day(t, table)
    t = t.filter((day >= begin) & (day < end))
    if s.product_id is not None:
        t = t.filter(t.product_id == s.product_id)
    if s.failure_mode is not None:
        t = t.filter(t.failure_modes.contains(s.failure_mode) if table == "reports"
                     else t.failure_mode == s.failure_mode)
    return t


def apply_evidence_rules(con, signals: list[Signal], freq: str, as_of: date, count: str = "failures",
                         min_authors: int = 1) -> tuple[list[Signal], list[Signal]]:
    """Temporal signals with ``min_authors`` distinct authors kept, the others returned apart.

    Each temporal signal gets ``evidence["authors"]`` (distinct authors or devices in its
    period) and ``evidence["largest_author_share"]`` (the share of its records from the single
    most frequent one).  The signals of products are counted together, one group-by per source
    (:func:`_joined`); a signal over all products on its own.
    """
    temporal = [s for s in signals if s.source in _SOURCES and s.method != "disproportionality"]
    found: dict[int, dict] = {}
    for source in _SOURCES:
        batch = [s for s in temporal if s.source == source and s.product_id is not None]
        if batch:
            j = _joined(con, source, count, batch, freq, as_of)
            found.update({id(batch[row["i"]]): row for row in _author_counts(j, source, ["i"])})
    for s in temporal:
        if id(s) not in found:
            rows = _author_counts(_signal_rows(con, s, s.source, count, freq, as_of), s.source, [])
            found[id(s)] = rows[0] if rows else {}
    kept, weak = [], []
    for s in signals:
        if id(s) not in found:
            kept.append(s)
            continue
        row = found[id(s)]
        authors, records, largest = (int(row.get(k) or 0) for k in ("authors", "records", "largest"))
        s.evidence["authors"] = authors
        s.evidence["largest_author_share"] = round(largest / records, 4) if records else None
        (kept if authors >= min_authors else weak).append(s)
    return kept, weak


def _author_counts(t, source: str, by: list[str]) -> list[dict]:
    """Distinct authors (a record without one is its own), records, and the largest author's
    records, per ``by`` group."""
    id_col, _day_col, author = _SOURCES[source]
    who = t[author].cast("string").fill_null("record:" + t[id_col].cast("string"))
    per_author = t.group_by([*by, who.name("who")]).aggregate(n=t.count())
    grouped = per_author.group_by(by) if by else per_author
    return grouped.aggregate(authors=per_author.count(), records=per_author.n.sum(),
                             largest=per_author.n.max()).to_pyarrow().to_pylist()


def _joined(con, source: str, count: str, group: list[Signal], freq: str, as_of: date):
    """The records of every signal of ``group`` (signals of one product each), with the index
    ``i`` of its signal: a small table of the signals joined to the records on the product,
    the days and the mode (a record counts for each signal whose window holds it)."""
    import ibis

    windows = [_window(s, freq, as_of) for s in group]
    targets = ibis.memtable(
        {"i": list(range(len(group))), "t_product": [s.product_id for s in group],
         "t_mode": [s.failure_mode for s in group],
         "t_begin": [w[0] for w in windows], "t_end": [w[1] for w in windows]},
        schema={"i": "int64", "t_product": "string", "t_mode": "string", "t_begin": "date", "t_end": "date"})
    r = counted_records(con, source, count)
    r = r.mutate(_day=_day(r, source))
    mode_match = (r.failure_modes.contains(targets.t_mode) if source == "reports"
                  else r.failure_mode == targets.t_mode)
    return r.join(targets, (r.product_id == targets.t_product) & (r._day >= targets.t_begin)
                  & (r._day < targets.t_end) & (targets.t_mode.isnull() | mode_match))


def attach_reports(con, signals: list[Signal], freq: str, as_of: date, count: str = "failures") -> None:
    """The records behind each alarm: ids of the complaints (``reports``) or of the repair
    visits (``service_events``, pseudonymous event ids) in the alarm period; for
    disproportionality, the newest complaints naming the product and the mode up to ``as_of``.

    Signals of one product are looked up together, in one pass over the records per source
    and kind (a scan of ten million reports raised dozens of signals, and one query each cost
    a quarter of a second): the signals become a small table joined to the records, and a
    window keeps the first ``EVIDENCE_REPORTS`` per signal.  A signal over all products is
    looked up on its own.
    """
    import ibis

    batches: dict[tuple[str, bool], list[Signal]] = {}
    for s in signals:
        if s.source not in _SOURCES:
            continue
        if s.product_id is None:
            _attach_one(con, s, freq, as_of, count)
            continue
        batches.setdefault((s.source, s.method == "disproportionality"), []).append(s)
    for (source, newest_first), group in batches.items():
        id_col, day_col, _author = _SOURCES[source]
        j = _joined(con, source, count, group, freq, as_of)
        order = [j[day_col].desc(), j[id_col]] if newest_first else [j[day_col], j[id_col]]
        ranked = j.select(i=j.i, id=j[id_col].cast("string"), at=j[day_col],
                          rn=ibis.row_number().over(group_by=j.i, order_by=order))
        found = (ranked.filter(ranked.rn < EVIDENCE_REPORTS).order_by(["i", "rn"]).select("i", "id")
                 .to_pyarrow().to_pylist())
        ids: dict[int, list[str]] = {}
        for row in found:
            ids.setdefault(row["i"], []).append(row["id"])
        for i, s in enumerate(group):
            s.evidence["reports"] = ids.get(i, [])


def _attach_one(con, s: Signal, freq: str, as_of: date, count: str) -> None:
    t = _signal_rows(con, s, s.source, count, freq, as_of)
    id_col, day_col, _author = _SOURCES[s.source]
    order = [t[day_col].desc(), t[id_col]] if s.method == "disproportionality" else [t[day_col], t[id_col]]
    found = t.order_by(order).limit(EVIDENCE_REPORTS).select(id=t[id_col].cast("string")).to_pyarrow()
    s.evidence["reports"] = [str(v) for v in found.column("id").to_pylist()]
