"""Ingest runs: listing them, undoing one, and refusing to ingest a file twice by accident.

Every ingest is a run (``ingest_runs``) and every row it stored carries its ``ingest_run``.
Undoing a run removes, in one transaction, its rows from ``reports``, ``devices``,
``service_events`` and ``sales``, its quarantined rows, and the relabel and analyst-label rows
of its reports (``report_labels``, ``label_events``); the undo is recorded in the append-only
``store_history`` (who, when, what, rows removed per table), from which a run shows as undone.

Known limit: rows are keyed, and a later run that offered a row already stored by the undone
run counted it as a duplicate and stored nothing; undoing the earlier run does not bring that
row back.  Re-ingest the later run's file (``ingest --force``) to restore such rows.  Likewise a
device first described by the undone run loses that description, and reposts stored by other
runs keep pointing at originals the undone run stored.

Re-ingesting a file (same content, same source) with other options would store its rows again
under new ids wherever the ids depend on those options (a report without an id of its own is
keyed by its text, time and author), so :func:`check_earlier_runs` refuses it unless the caller
replaces the earlier runs (``--replace``) or keeps both (``--force``).
"""

from __future__ import annotations

import getpass
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from defectradar.core.dates import utc_now
from defectradar.errors import InputError
from defectradar.store import writer
from defectradar.store.connect import Store

_RUN_ID = re.compile(r"^[0-9a-fA-F-]{1,36}$")


def current_user() -> str:
    """Who is running this (the OS user), for the history; "unknown" where the system cannot say."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def options_flags(options: dict | str | None) -> list[str]:
    """A run's recorded options as the command-line flags that give them."""
    if isinstance(options, str):
        try:
            options = json.loads(options)
        except ValueError:
            return []
    options = options or {}
    flags = [f"--map {field}={column}" for field, column in sorted((options.get("mapping") or {}).items())]
    for name, values in sorted((options.get("value_maps") or {}).items()):
        pairs = ",".join(f"{value}={target}" for value, target in sorted(values.items()))
        flags.append(f"--value-map {name}:{pairs}")
    for key, flag in (("timezone", "--tz"), ("date_order", "--date-order"), ("encoding", "--encoding"),
                      ("sheet", "--sheet")):
        if options.get(key):
            flags.append(f"{flag} {options[key]}")
    return flags


def check_earlier_runs(con: duckdb.DuckDBPyConnection, path: Path, file_hash: str, source: str, options: dict,
                       *, replace: bool, force: bool) -> list[dict]:
    """The earlier runs of this file (same hash, same source) to undo before ingesting it.

    With ``replace`` every earlier run of the file that is not undone (whatever its options);
    otherwise none, and an earlier run with other options is refused (unless ``force``):
    ingesting the file again would store its rows twice, silently.
    """
    # Another sheet of a workbook is other rows, not the same rows read another way.
    earlier = [run for run in writer.runs_of_file(con, file_hash, source)
               if _options(run["options"]).get("sheet") == options.get("sheet")]
    if replace:
        return earlier
    current = json.dumps(options, sort_keys=True, ensure_ascii=False)
    # A run that stored nothing (it failed on its first batch) cannot be doubled.
    others = [run for run in earlier if run["options"] != current
              and (run["rows_inserted"] or 0) + (run["rows_quarantined"] or 0) > 0]
    if others and not force:
        raise InputError(refusal(path, others, options))
    return []


def _options(options: str | None) -> dict:
    try:
        return json.loads(options) if options else {}
    except ValueError:
        return {}


def refusal(path: Path, others: list[dict], options: dict) -> str:
    """Why a file is not ingested again with other options, and what each way out does."""
    run = others[-1]
    then, now = set(options_flags(run["options"])), set(options_flags(options))
    what = (f"that run had {' '.join(sorted(then - now)) or 'none of them'}, this one has "
            f"{' '.join(sorted(now - then)) or 'none of them'}")
    ids = ", ".join(r["run_id"][:8] for r in others)
    stored = sum(int(r["rows_inserted"] or 0) for r in others)
    return (f"{path.name} was already ingested (same content, source {run['source']}) in run {ids} on "
            f"{str(run['started_at'])[:16]} with other options ({what}); ingesting it again would store its "
            f"rows a second time wherever their ids depend on those options. Pass --replace to undo run "
            f"{ids} ({stored:,} rows stored) and ingest with these options, or --force to keep both "
            "(see `defectradar runs list`)")


@dataclass
class UndoResult:
    """What undoing one run removed."""

    run_id: str
    path: str
    source_type: str
    source: str
    removed: dict[str, int]
    actor: str
    at: str

    def to_dict(self) -> dict:
        return asdict(self)


def resolve_run(con: duckdb.DuckDBPyConnection, prefix: str) -> dict:
    """The run whose id starts with ``prefix``; a missing or ambiguous prefix is refused."""
    prefix = prefix.strip()
    if not _RUN_ID.match(prefix):
        raise InputError(f"{prefix!r} is not a run id (ids look like 1a2b3c4d-...; see `defectradar runs list`)")
    cursor = con.execute("SELECT run_id, source_type, source, path, status, started_at FROM ingest_runs "
                         "WHERE starts_with(run_id, ?) ORDER BY started_at", [prefix.lower()])
    names = [d[0] for d in cursor.description]
    matches = [dict(zip(names, row)) for row in cursor.fetchall()]
    if not matches:
        raise InputError(f"no ingest run starts with {prefix!r}; see `defectradar runs list`")
    if len(matches) > 1:
        shown = ", ".join(m["run_id"][:12] for m in matches[:5])
        raise InputError(f"run id {prefix!r} is ambiguous: it starts {len(matches)} runs ({shown}"
                         f"{' ...' if len(matches) > 5 else ''}); give more of it")
    return matches[0]


def undo_run(store: Store, prefix: str, *, actor: str | None = None, detail: str | None = None) -> UndoResult:
    """Remove the rows one ingest run stored (see the module docstring), in one transaction.

    Raises
    ------
    InputError
        No run, or more than one, starts with ``prefix``; the run is already undone; or it
        stored nothing (a skipped run).
    """
    actor = actor or current_user()
    with store.exclusive_writer(), store.writer() as con:
        run = resolve_run(con, prefix)
        undone = con.execute("SELECT \"at\", actor FROM store_history WHERE action = 'undo_run' AND run_id = ?",
                             [run["run_id"]]).fetchone()
        if undone:
            raise InputError(f"run {run['run_id'][:8]} was already undone on {str(undone[0])[:16]} by {undone[1]}")
        if run["status"] == "skipped":
            raise InputError(f"run {run['run_id'][:8]} skipped its file (already ingested) and stored nothing; "
                             "undo the run that stored it")
        now = utc_now()
        removed = writer.undo_run(con, run["run_id"], actor=actor, now=now, detail=detail)
    return UndoResult(run["run_id"], run["path"], run["source_type"], run["source"], removed, actor,
                      now.isoformat(sep=" ", timespec="seconds"))


def list_runs(store: Store, limit: int | None = None) -> list[dict]:
    """Ingest runs, newest first, with file, type, status (``undone`` after an undo), counts and options."""
    from defectradar.query.stats import run_status

    with store.reader() as con:
        cursor = con.execute(
            "SELECT r.run_id, r.started_at, r.finished_at, r.source_type, r.source, r.path, r.status, r.pid, r.host, "
            "r.rows_read, r.rows_inserted, r.rows_duplicate, r.rows_quarantined, r.rows_merged, r.originals_added, "
            "r.options, r.message, h.\"at\" AS undone_at, h.actor AS undone_by, h.counts AS undo_counts, "
            "h.detail AS undo_detail FROM ingest_runs r LEFT JOIN (SELECT * FROM store_history WHERE action = "
            "'undo_run') h USING (run_id) ORDER BY r.started_at DESC, r.run_id"
            + (" LIMIT ?" if limit else ""), [limit] if limit else [])
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row)) for row in cursor.fetchall()]
    for row in rows:
        row["status"] = run_status(row)
        for key in ("pid", "host"):
            row.pop(key)
        row["options"] = json.loads(row["options"]) if row["options"] else {}
        row["flags"] = options_flags(row["options"])
        row["undo_counts"] = json.loads(row["undo_counts"]) if row["undo_counts"] else None
        for key in ("started_at", "finished_at", "undone_at"):
            if row[key] is not None:
                row[key] = row[key].isoformat(sep=" ", timespec="seconds")
    return rows
