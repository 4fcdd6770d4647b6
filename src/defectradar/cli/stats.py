"""``defectradar stats`` and ``defectradar quarantine``: what the store holds."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from defectradar.cli.common import (
    BackendOption,
    DbOption,
    JsonOption,
    SparkMasterOption,
    new_app,
    open_source,
    open_store,
    out,
    print_json,
    settings_for,
)
from defectradar.query.stats import quarantined_rows, store_stats


def stats(db: DbOption = None, json_: JsonOption = False,
          runs: Annotated[int, typer.Option(help="How many recent ingest runs to list.", min=0)] = 10,
          backend: BackendOption = None, spark_master: SparkMasterOption = None) -> None:
    """Rows per table and source, the latest ingest runs and quarantined rows."""
    with open_source(db, backend, spark_master) as con:
        result = store_stats(con, str(settings_for(db).db), runs)
    if json_:
        print_json(result.to_dict())
        return
    table = Table("table", "rows", "by source", title=f"store {escape(result.path)} (schema v{result.schema_version})")
    for name, count in result.tables.items():
        sources = result.by_source.get(name, {})
        table.add_row(name, f"{count:,}", ", ".join(f"{escape(s)} {n:,}" for s, n in sources.items()))
    out.print(table)
    if result.runs:
        recent = Table("run", "type", "source", "status", "started (UTC)", "read", "new", "dup", "quarantined",
                       "merged", "file", title="recent ingest runs")
        for run in result.runs:
            recent.add_row(run["run_id"][:8], run["source_type"], escape(run["source"]), run["status"],
                           str(run["started_at"])[:19], f"{run['rows_read']:,}", f"{run['rows_inserted']:,}",
                           f"{run['rows_duplicate']:,}", f"{run['rows_quarantined']:,}", f"{run['rows_merged']:,}",
                           escape(run["path"].rsplit("/", 1)[-1]))
        out.print(recent)
    if result.quarantined:
        out.print(f"{result.quarantined:,} quarantined rows; see [bold]defectradar quarantine list[/]")


quarantine_app = new_app("Rows that could not be ingested, with where they were and why.")


@quarantine_app.command("list")
def quarantine_list(db: DbOption = None, json_: JsonOption = False,
                    run: Annotated[Optional[str], typer.Option(help="Only this ingest run (id or its prefix).")] = None,
                    limit: Annotated[int, typer.Option(help="At most this many rows.", min=1)] = 50) -> None:
    """List quarantined rows: file, row number, field and reason."""
    store = open_store(db)
    with store.reader() as con:
        rows = quarantined_rows(con, run, limit)
    if json_:
        print_json(rows)
        return
    if not rows:
        out.print("no quarantined rows")
        return
    table = Table("file", "row", "field", "reason", "row as read (identifiers tokenised)", title="quarantine")
    for row in rows:
        table.add_row(escape(row["path"].rsplit("/", 1)[-1]), str(row["row_number"] or "-"),
                      escape(row["field"] or "-"), escape(row["reason"]), escape((row["raw"] or "")[:120]))
    out.print(table)
