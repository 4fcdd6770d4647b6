"""What is in a store: rows per table and source, recent ingest runs, quarantined rows.

Counts are Ibis expressions, so the same code runs on DuckDB and on the cluster backends.
"""

from __future__ import annotations

import os
import socket
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from defectradar.backends import as_backend
from defectradar.core.numbers import json_ready
from defectradar.store import migrate

FACT_TABLES = ("reports", "devices", "service_events", "sales", "products", "label_events", "quarantine")
_SOURCE_TABLES = ("reports", "devices", "service_events", "sales")


def backend(source):
    """The :class:`~defectradar.backends.base.Backend` for ``source``: a backend as it is, or an
    open DuckDB connection wrapped (its Ibis tables load on first use, so commands that never
    query pay nothing for Ibis)."""
    return as_backend(source)


def schema_version(source) -> int:
    """The store's schema version: from the DuckDB store, or from a Parquet export's manifest."""
    b = backend(source)
    if "sql" in b.capabilities:
        return migrate.current_version(b.con)
    return int(getattr(b, "manifest", {}).get("schema_version") or 0)


@dataclass
class StoreStats:
    path: str
    schema_version: int
    tables: dict[str, int]
    by_source: dict[str, dict[str, int]]
    runs: list[dict] = field(default_factory=list)
    quarantined: int = 0
    quarantine_reasons: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _alive(pid: int | None, host: str | None) -> bool:
    if pid is None or host != socket.gethostname():
        return True  # cannot tell for another machine; trust the record
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_status(run: dict) -> str:
    """A run's status as people need it: ``undone`` once `runs undo` removed its rows,
    ``interrupted`` for a run recorded as running whose process is gone."""
    if run.get("undone_at") is not None:
        return "undone"
    if run["status"] == "running" and not _alive(run.get("pid"), run.get("host")):
        return "interrupted"
    return run["status"]


def store_stats(con, path: str, recent_runs: int = 10) -> StoreStats:
    """Counts for ``stats``: every fact table, per source, the latest runs and quarantine reasons."""
    ib = backend(con)
    tables = {name: int(ib.table(name).count().to_pyarrow().as_py()) for name in FACT_TABLES}
    by_source: dict[str, dict[str, int]] = {}
    for name in _SOURCE_TABLES:
        t = ib.table(name)
        rows = t.group_by("source").aggregate(rows=t.count()).order_by("source").to_pyarrow().to_pylist()
        by_source[name] = {r["source"]: int(r["rows"]) for r in rows}
    runs_t = ib.table("ingest_runs")
    runs = (runs_t.order_by([runs_t.started_at.desc(), runs_t.run_id]).limit(recent_runs)
            .select("run_id", "source_type", "source", "path", "status", "started_at", "finished_at",
                    "rows_read", "rows_inserted", "rows_duplicate", "rows_quarantined", "rows_merged", "pid",
                    "host", "message")
            .to_pyarrow().to_pylist())
    history = ib.table("store_history")
    undone = set(history.filter(history.action == "undo_run").run_id.to_pyarrow().to_pylist())
    for run in runs:
        run["status"] = run_status({**run, "undone_at": True if run["run_id"] in undone else None})
        for key in ("pid", "host"):
            run.pop(key)
        for key, value in list(run.items()):
            run[key] = json_ready(value, datetime_sep=" ")
    q = ib.table("quarantine")
    grouped = q.group_by(["source_type", "reason"]).aggregate(rows=q.count())
    # Ties in a stable order, so every engine lists the same ten.
    reasons = (grouped.order_by([grouped.rows.desc(), "source_type", "reason"]).limit(10).to_pyarrow().to_pylist())
    return StoreStats(path=path, schema_version=schema_version(con), tables=tables,
                      by_source=by_source, runs=runs, quarantined=tables["quarantine"],
                      quarantine_reasons=reasons)


def quarantined_rows(con, run_id: str | None = None, limit: int = 50) -> list[dict]:
    """The most recent quarantined rows (optionally of one run), newest first."""
    q = backend(con).table("quarantine")
    if run_id:
        q = q.filter(q.ingest_run.startswith(run_id))
    rows = (q.order_by([q.quarantined_at.desc(), q.path, q.row_number]).limit(limit)
            .select("ingest_run", "path", "row_number", "field", "reason", "raw", "quarantined_at")
            .to_pyarrow().to_pylist())
    return [{k: json_ready(v, datetime_sep=" ") for k, v in row.items()} for row in rows]


def default_as_of(con) -> date:
    """The day an analysis is as of when none is given: the newest report's (today on an empty store)."""
    latest = backend(con).table("reports").created_at.max().to_pyarrow().as_py()
    return latest.date() if latest else datetime.now().date()
