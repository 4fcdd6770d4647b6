"""Writing the store: every INSERT, UPDATE and DELETE on a store table is issued here.

One writer (datasette's ``execute_write_fn`` is the model): ingest's bulk appends, analysts'
corrections, alert events and accounts all write through these functions, inside the caller's
transaction, so what may change the store is one module to read (tests/store/test_one_writer.py
holds the rest of the package to it).

Appends are idempotent: a row whose key is already stored (or repeats within the batch) is
skipped, and the count of rows actually inserted is returned, so callers can report
duplicates.  Big tables carry no primary key (see migration 0001), so uniqueness is an
anti-join against the stored keys; DuckDB runs it as a hash join over the key column.
Small writes of rows built one at a time (a correction, an alert event, an account) go
through :func:`insert_rows`, :func:`update_rows` and :func:`delete_rows`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping, Sequence

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from defectradar.domain.catalog import Catalog

KEYS = {
    "reports": "report_id",
    "service_events": "event_id",
    "devices": "device_token",
    "sales": "sales_id",
    "quarantine": "quarantine_id",
    "label_events": "label_event_id",
    "recalls": "recall_id",
    "announcements": "announcement_id",
}
ROW = "_row"


def first_per_key(rows: pa.Table, key: str) -> pa.Table:
    """The first row (in batch order) of each key; most batches have no repeats and pass as is.

    Position in the batch, not ``_row``, decides: one line of a file may give several rows
    (a page of posts), and two rows sharing a line number once both passed.
    """
    if pc.count_distinct(rows.column(key)).as_py() == rows.num_rows:
        return rows
    position = "_position"
    indexed = rows.append_column(position, pa.array(range(rows.num_rows), pa.int64()))
    firsts = indexed.group_by(key, use_threads=False).aggregate([(position, "min")]).column(f"{position}_min")
    return rows.take(np.sort(firsts.to_numpy()))


def append(con: duckdb.DuckDBPyConnection, table: str, rows: pa.Table) -> int:
    """Insert the rows of ``rows`` whose key is new; return how many were inserted."""
    if rows.num_rows == 0:
        return 0
    key = KEYS[table]
    if ROW not in rows.column_names:
        rows = rows.append_column(ROW, pa.array(range(rows.num_rows), pa.int64()))
    rows = first_per_key(rows, key)
    columns = ", ".join(f'"{c}"' for c in rows.column_names if c != ROW)
    con.register("incoming_rows", rows)
    try:
        inserted = con.execute(f"""
            INSERT INTO {table} ({columns})
            SELECT {columns} FROM incoming_rows fresh
            ANTI JOIN {table} stored ON stored."{key}" = fresh."{key}"
        """).fetchone()[0]
    finally:
        con.unregister("incoming_rows")
    return int(inserted)


def merge_into_stored_reports(con: duckdb.DuckDBPyConnection, rows: pa.Table) -> int:
    """Add what ``rows`` know to reports already stored under their ``report_id``: components the
    stored report lacks and a source severity of ``safety``; return how many rows added something.

    The NHTSA flat file has one row per complaint and component, and a complaint's rows may
    arrive in a later file (a quarterly update): they belong to the stored report, and counting
    them as duplicates would lose their components silently.  Run before :func:`append`.
    """
    if rows.num_rows == 0 or "components" not in rows.column_names:
        return 0
    if ROW not in rows.column_names:
        rows = rows.append_column(ROW, pa.array(range(rows.num_rows), pa.int64()))
    rows = first_per_key(rows, "report_id")
    severity = "source_severity" if "source_severity" in rows.column_names else "NULL"
    con.register("incoming_rows", rows.select(["report_id", "components"]).append_column(
        "safety", rows.column("source_severity") if severity != "NULL" else pa.nulls(rows.num_rows, pa.string())))
    try:
        merged = con.execute("""
            UPDATE reports SET
                components = list_sort(list_distinct(list_concat(coalesce(reports.components, []::VARCHAR[]),
                                                                 coalesce(fresh.components, []::VARCHAR[])))),
                severity = CASE WHEN fresh.safety = 'safety' THEN 'safety' ELSE reports.severity END,
                source_severity = CASE WHEN fresh.safety = 'safety' THEN 'safety' ELSE reports.source_severity END
            FROM incoming_rows fresh
            WHERE reports.report_id = fresh.report_id
              AND (NOT list_has_all(coalesce(reports.components, []::VARCHAR[]), coalesce(fresh.components, []::VARCHAR[]))
                   OR (fresh.safety = 'safety' AND reports.source_severity IS DISTINCT FROM 'safety'))
        """).fetchone()[0]
    finally:
        con.unregister("incoming_rows")
    return int(merged)


def append_plain(con: duckdb.DuckDBPyConnection, table: str, rows: pa.Table) -> int:
    """Insert every row (for tables whose rows are unique by construction, such as a relabel run)."""
    if rows.num_rows == 0:
        return 0
    columns = ", ".join(f'"{c}"' for c in rows.column_names)
    con.register("incoming_rows", rows)
    try:
        return int(con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM incoming_rows").fetchone()[0])
    finally:
        con.unregister("incoming_rows")


# The tables of the store (migrations 0001-0008): a table name is put into SQL text, so only
# these are accepted.
TABLES = frozenset({
    "reports", "devices", "service_events", "sales", "products", "label_events", "report_labels",
    "alerts", "alert_events", "ingest_runs", "quarantine", "store_history", "store_meta", "recalls",
    "announcements", "users",
})
_COLUMN = re.compile(r"[a-z_][a-z0-9_]*\Z")


def _table(table: str) -> str:
    if table not in TABLES:
        raise ValueError(f"{table!r} is not a store table; the writer writes {', '.join(sorted(TABLES))}")
    return table


def _columns(names: Iterable[str]) -> list[str]:
    names = list(names)
    bad = [n for n in names if not isinstance(n, str) or not _COLUMN.match(n)]
    if bad or not names:
        raise ValueError(f"column names must be lower-case identifiers, not {bad or names!r}")
    return [f'"{n}"' for n in names]


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: Iterable[Sequence[Any]],
                columns: Sequence[str] | None = None) -> int:
    """Insert ``rows`` as they are, in the caller's transaction; return how many.

    For rows built one at a time (an analyst's correction, an alert event, an account); their
    ids and times are the caller's.  Each row gives the values of ``columns``, or of every
    column of ``table`` in its declared order when ``columns`` is None.

    Examples
    --------
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE users (name VARCHAR, role VARCHAR)")
    >>> insert_rows(con, "users", [("ada", "admin"), ("bo", "analyst")])
    2
    """
    rows = [list(row) for row in rows]
    if not rows:
        return 0
    _table(table)
    width = len(rows[0]) if columns is None else len(columns)
    if any(len(row) != width for row in rows):
        raise ValueError(f"insert into {table}: every row must give {width} values")
    named = f" ({', '.join(_columns(columns))})" if columns is not None else ""
    con.executemany(f"INSERT INTO {table}{named} VALUES ({', '.join('?' * width)})", rows)
    return len(rows)


def _where(where: Mapping[str, Any]) -> tuple[str, list[Any]]:
    if not where:
        raise ValueError("a condition is required: the writer never updates or deletes a whole table")
    names = _columns(where)
    return " AND ".join(f"{n} = ?" for n in names), list(where.values())


def update_rows(con: duckdb.DuckDBPyConnection, table: str, values: Mapping[str, Any],
                where: Mapping[str, Any]) -> None:
    """Set ``values`` (``{column: value}``) on the rows of ``table`` whose columns equal ``where``.

    Only the tables that hold state rather than facts are updated (``users``, ``ingest_runs``);
    facts are appended, never changed.
    """
    condition, params = _where(where)
    assignments = ", ".join(f"{n} = ?" for n in _columns(values))
    con.execute(f"UPDATE {_table(table)} SET {assignments} WHERE {condition}", [*values.values(), *params])


def delete_rows(con: duckdb.DuckDBPyConnection, table: str, where: Mapping[str, Any]) -> None:
    """Delete the rows of ``table`` whose columns equal ``where`` (a replaced account, say)."""
    condition, params = _where(where)
    con.execute(f"DELETE FROM {_table(table)} WHERE {condition}", params)


def quarantine_rows(rejections, *, run_id: str, source_type: str, path: str, file_hash: str,
                    now: datetime) -> pa.Table:
    """Rejections as ``quarantine`` rows; the id is stable so a rerun adds nothing twice."""
    ids, numbers, fields, reasons, raws = [], [], [], [], []
    for r in rejections:
        basis = f"{file_hash}\x1f{r.row_number}" if r.row_number is not None else f"{file_hash}\x1f{r.reason}\x1f{r.raw}"
        ids.append(hashlib.md5(basis.encode("utf-8")).hexdigest())
        numbers.append(r.row_number)
        fields.append(r.field)
        reasons.append(r.reason)
        raws.append(r.raw)
    n = len(ids)
    return pa.table({
        "quarantine_id": pa.array(ids, pa.string()),
        "ingest_run": pa.array([run_id] * n, pa.string()),
        "source_type": pa.array([source_type] * n, pa.string()),
        "path": pa.array([path] * n, pa.string()),
        "file_hash": pa.array([file_hash] * n, pa.string()),
        "row_number": pa.array(numbers, pa.int64()),
        "field": pa.array(fields, pa.string()),
        "reason": pa.array(reasons, pa.string()),
        "raw": pa.array(raws, pa.string()),
        "quarantined_at": pa.array([now] * n, pa.timestamp("us")),
    })


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    source_type: str
    source: str
    path: str
    file_hash: str
    file_bytes: int
    options: dict
    encoding: str | None


def start_run(con: duckdb.DuckDBPyConnection, run: RunRecord, now: datetime, status: str = "running",
              message: str | None = None) -> None:
    con.execute(
        "INSERT INTO ingest_runs (run_id, source_type, source, path, file_hash, file_bytes, options, "
        "encoding, started_at, finished_at, status, pid, host, message) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [run.run_id, run.source_type, run.source, run.path, run.file_hash, run.file_bytes,
         json.dumps(run.options, sort_keys=True, ensure_ascii=False), run.encoding, now,
         now if status != "running" else None, status, os.getpid(), socket.gethostname(), message],
    )


def add_counts(con: duckdb.DuckDBPyConnection, run_id: str, read: int, inserted: int, duplicate: int,
               quarantined: int, merged: int = 0) -> None:
    con.execute(
        "UPDATE ingest_runs SET rows_read = rows_read + ?, rows_inserted = rows_inserted + ?, "
        "rows_duplicate = rows_duplicate + ?, rows_quarantined = rows_quarantined + ?, "
        "rows_merged = rows_merged + ? WHERE run_id = ?",
        [read, inserted, duplicate, quarantined, merged, run_id],
    )


def add_originals(con: duckdb.DuckDBPyConnection, run_id: str, added: int) -> None:
    con.execute("UPDATE ingest_runs SET originals_added = originals_added + ? WHERE run_id = ?", [added, run_id])


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, status: str, now: datetime,
               message: str | None = None) -> None:
    con.execute("UPDATE ingest_runs SET status = ?, finished_at = ?, message = ? WHERE run_id = ?",
                [status, now, message, run_id])


# Runs whose rows `runs undo` removed (store_history is append-only; this is derived from it).
_UNDONE = "(SELECT run_id FROM store_history WHERE action = 'undo_run')"


def completed_run(con: duckdb.DuckDBPyConnection, file_hash: str, source_type: str, source: str,
                  options: dict) -> str | None:
    """The id of an earlier complete run of the same file with the same options, if any."""
    row = con.execute(
        "SELECT run_id FROM ingest_runs WHERE file_hash = ? AND source_type = ? AND source = ? "
        "AND options = ? AND status = 'complete' AND run_id NOT IN " + _UNDONE + " "
        "ORDER BY started_at LIMIT 1",
        [file_hash, source_type, source, json.dumps(options, sort_keys=True, ensure_ascii=False)],
    ).fetchone()
    return row[0] if row else None


def runs_of_file(con: duckdb.DuckDBPyConnection, file_hash: str, source: str) -> list[dict]:
    """Earlier runs of the same file (same hash) and source that may have stored rows and are
    not undone, oldest first: what ``ingest --replace`` undoes."""
    cursor = con.execute(
        "SELECT run_id, source_type, source, path, options, status, started_at, rows_read, rows_inserted, "
        "rows_quarantined FROM ingest_runs WHERE file_hash = ? AND source = ? AND status <> 'skipped' "
        f"AND run_id NOT IN {_UNDONE} ORDER BY started_at, run_id",
        [file_hash, source])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


# What undoing a run removes, in this order (labels first: they are found through the reports).
_UNDO_DELETES = (
    ("label_events", "report_id IN (SELECT report_id FROM reports WHERE ingest_run = $run)"),
    ("report_labels", "report_id IN (SELECT report_id FROM reports WHERE ingest_run = $run)"),
    ("reports", "ingest_run = $run"),
    ("service_events", "ingest_run = $run"),
    ("devices", "ingest_run = $run"),
    ("sales", "ingest_run = $run"),
    ("recalls", "ingest_run = $run"),
    ("announcements", "ingest_run = $run"),
    ("quarantine", "ingest_run = $run"),
)


def undo_run(con: duckdb.DuckDBPyConnection, run_id: str, *, actor: str, now: datetime,
             detail: str | None = None) -> dict[str, int]:
    """Remove one ingest run's rows and record it in ``store_history``; return rows removed per table.

    Runs inside the caller's transaction, so the removal and its record commit together.
    """
    counts = {}
    for table, condition in _UNDO_DELETES:
        removed = con.execute(f"DELETE FROM {table} WHERE {condition}", {"run": run_id}).fetchone()
        counts[table] = int(removed[0]) if removed else 0
    con.execute(
        'INSERT INTO store_history (history_id, action, run_id, actor, "at", counts, detail, pid, host) '
        "VALUES (?, 'undo_run', ?, ?, ?, ?, ?, ?, ?)",
        [str(uuid.uuid4()), run_id, actor, now,
         json.dumps(counts, sort_keys=True), detail, os.getpid(), socket.gethostname()])
    return counts


def sync_products(con: duckdb.DuckDBPyConnection, catalog: Catalog, now: datetime) -> int:
    """Append the catalog's products unless this catalog version is already loaded."""
    loaded = con.execute("SELECT count(*) FROM products WHERE catalog_hash = ?", [catalog.digest]).fetchone()[0]
    if loaded:
        return 0
    rows = [(p.product_id, p.brand, p.series, p.name, p.name_zh, p.launch_date, p.end_of_production,
             list(p.aliases), catalog.digest, now) for p in catalog.products]
    con.executemany("INSERT INTO products VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)
