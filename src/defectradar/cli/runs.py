"""``defectradar runs``: list ingest runs and undo one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from defectradar.cli.common import DbOption, JsonOption, err, new_app, open_store, out, print_json
from defectradar.ingest.runs import list_runs, undo_run

runs_app = new_app("Ingest runs: what each stored, and undoing one.")


@runs_app.command("list")
def runs_list(db: DbOption = None, json_: JsonOption = False,
              limit: Annotated[int, typer.Option(help="At most this many runs, newest first (0: all).", min=0)] = 50
              ) -> None:
    """Ingest runs with their file, type, status (undone runs as such), counts and options."""
    rows = list_runs(open_store(db), limit or None)
    if json_:
        print_json(rows)
        return
    if not rows:
        out.print("no ingest runs yet")
        return
    table = Table("run", "started (UTC)", "file", "type", "status", "read", "new", "dup", "quar.", "merged",
                  "options", title="ingest runs")
    for row in rows:
        status = row["status"]
        if status == "undone":
            status = f"[yellow]undone[/] {row['undone_at'][:16]}"
        table.add_row(row["run_id"][:8], row["started_at"][:16], escape(Path(row["path"]).name),
                      row["source_type"], status, f"{row['rows_read']:,}", f"{row['rows_inserted']:,}",
                      f"{row['rows_duplicate']:,}", f"{row['rows_quarantined']:,}", f"{row['rows_merged']:,}",
                      escape(" ".join(row["flags"])))
    out.print(table)


@runs_app.command("undo")
def runs_undo(run_id: Annotated[str, typer.Argument(help="The run's id, or the start of it (as `runs list` shows).",
                                                    show_default=False)],
              by: Annotated[Optional[str], typer.Option(help="Who undoes it (default: the OS user).")] = None,
              db: DbOption = None, json_: JsonOption = False) -> None:
    """Remove one ingest run's rows (reports, devices, service events, sales, quarantine and the
    labels of its reports) in one transaction, and record the undo in the store's history.

    Rows another run offered as duplicates of this run's rows are not restored: re-ingest that
    file (`ingest --force`) to store them again.
    """
    result = undo_run(open_store(db), run_id, actor=by)
    if json_:
        print_json(result.to_dict())
        return
    removed = ", ".join(f"{n:,} {table}" for table, n in result.removed.items() if n) or "no rows"
    err.print(f"undid run {result.run_id[:8]} ({result.source_type}, {escape(Path(result.path).name)}): "
              f"removed {removed}")
