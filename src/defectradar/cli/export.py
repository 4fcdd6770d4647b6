"""``defectradar export parquet DIR``: the store's tables as Parquet, for Spark and other engines."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from defectradar.cli.common import DbOption, JsonOption, RichProgress, new_app, open_store, out, print_json
from defectradar.store.export import export_parquet

export_app = new_app("Write the store's tables for other engines.")


@export_app.command("parquet")
def export_parquet_command(
    folder: Annotated[Path, typer.Argument(help="Folder to write (one TABLE.parquet per table and manifest.json).")],
    table: Annotated[Optional[list[str]], typer.Option("--table", help="Only this table (repeat); default: every "
                                                       "fact table (accounts are never exported).")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Overwrite a folder that is not empty.")] = False,
    db: DbOption = None,
    json_: JsonOption = False,
) -> None:
    """Export the store's tables as Parquet files (zstd), read once, read-only."""
    store = open_store(db)
    result = export_parquet(store, folder, table, replace=replace, progress=None if json_ else RichProgress("export"))
    if json_:
        print_json(result.to_dict())
        return
    shown = Table("table", "rows", "file", title=f"exported to {escape(result.folder)} (schema v{result.schema_version})")
    for name, rows in result.tables.items():
        shown.add_row(name, f"{rows:,}", escape(result.files[name]))
    out.print(shown)
