"""What is in a store: rows per table and source, recent ingest runs, quarantined rows.

Counts are Ibis expressions, so the same code runs on DuckDB and on the cluster backends.
"""

from __future__ import annotations

import os
import socket
from dataclasses import asdict, dataclass, field
from datetime import datetime

import duckdb

from defectradar.store import migrate

FACT_TABLES = ("reports", "devices", "service_events", "sales", "products", "label_events", "quarantine")
_SOURCE_TABLES = ("reports", "devices", "service_events", "sales")


def backend(con: duckdb.DuckDBPyConnection):
    """An Ibis backend over an open DuckDB connection (the store's one adapter point).

    Ibis is imported here, not at module load: it costs half a second and 100 MB, which
    commands that never query (ingest, simulate) should not pay.
    """
    import ibis

    return ibis.duckdb.from_connection(con)


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


def _json_safe(value):
    return value.isoformat(sep=" ") if isinstance(value, datetime) else value


def store_stats(con: duckdb.DuckDBPyConnection, path: str, recent_runs: int = 10) -> StoreStats:
    """Counts for ``stats``: every fact table, per source, the latest runs and quarantine reasons."""
    ib = backend(con)
    tables = {name: int(ib.table(name).count().to_pyarrow().as_py()) for name in FACT_TABLES}
    by_source: dict[str, dict[str, int]] = {}
    for name in _SOURCE_TABLES:
        t = ib.table(name)
        rows = t.group_by("source").aggregate(rows=t.count()).order_by("source").to_pyarrow().to_pylist()
        by_source[name] = {r["source"]: int(r["rows"]) for r in rows}
    runs_t = ib.table("ingest_runs")
    runs = (runs_t.order_by(runs_t.started_at.desc()).limit(recent_runs)
            .select("run_id", "source_type", "source", "path", "status", "started_at", "finished_at",
                    "rows_read", "rows_inserted", "rows_duplicate", "rows_quarantined", "rows_merged", "pid",
                    "host", "message")
            .to_pyarrow().to_pylist())
    undone = {row[0] for row in con.execute("SELECT run_id FROM store_history WHERE action = 'undo_run'").fetchall()}
    for run in runs:
        run["status"] = run_status({**run, "undone_at": True if run["run_id"] in undone else None})
        for key in ("pid", "host"):
            run.pop(key)
        for key, value in list(run.items()):
            run[key] = _json_safe(value)
    q = ib.table("quarantine")
    grouped = q.group_by(["source_type", "reason"]).aggregate(rows=q.count())
    reasons = (grouped.order_by(grouped.rows.desc()).limit(10).to_pyarrow().to_pylist())
    return StoreStats(path=path, schema_version=migrate.current_version(con), tables=tables,
                      by_source=by_source, runs=runs, quarantined=tables["quarantine"],
                      quarantine_reasons=reasons)


def quarantined_rows(con: duckdb.DuckDBPyConnection, run_id: str | None = None, limit: int = 50) -> list[dict]:
    """The most recent quarantined rows (optionally of one run), newest first."""
    q = backend(con).table("quarantine")
    if run_id:
        q = q.filter(q.ingest_run.startswith(run_id))
    rows = (q.order_by([q.quarantined_at.desc(), q.path, q.row_number]).limit(limit)
            .select("ingest_run", "path", "row_number", "field", "reason", "raw", "quarantined_at")
            .to_pyarrow().to_pylist())
    return [{k: _json_safe(v) for k, v in row.items()} for row in rows]
