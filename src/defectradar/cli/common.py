"""What every command shares: the store option, settings, consoles, progress and JSON output."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from typer.core import TyperGroup

from defectradar.config import Settings, load_settings
from defectradar.errors import DefectRadarError
from defectradar.store.connect import Store

out = Console(soft_wrap=True)                 # results
err = Console(stderr=True, soft_wrap=True)    # messages, progress, errors

DbOption = Annotated[Optional[Path], typer.Option(
    "--db", help="Store file (default: DEFECTRADAR_DB or ./defectradar.duckdb).",
    show_default=False, dir_okay=False)]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]


class DefectRadarGroup(TyperGroup):
    """Turns defectradar's errors into one red line on stderr and the error's exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except DefectRadarError as exc:
            err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            raise typer.Exit(exc.exit_code) from None


def new_app(help_text: str) -> typer.Typer:
    return typer.Typer(help=help_text, cls=DefectRadarGroup, no_args_is_help=True,
                       pretty_exceptions_enable=False, rich_markup_mode="rich")


def settings_for(db: Path | None) -> Settings:
    settings = load_settings()
    return settings.replace(db=str(db)) if db is not None else settings


def open_store(db: Path | None) -> Store:
    settings = settings_for(db)
    return Store(settings.db, settings)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()


class RichProgress:
    """A Rich progress bar on stderr when it is a terminal; silent when piped."""

    def __init__(self, unit: str = "bytes"):
        self.unit = unit
        self._progress: Progress | None = None
        self._task = None

    def start(self, label: str, total: int) -> None:
        if not err.is_terminal:
            return
        amount = DownloadColumn() if self.unit == "bytes" else MofNCompleteColumn()
        self._progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn(),
                                  amount, TextColumn("{task.fields[rows]}"), TimeElapsedColumn(),
                                  TimeRemainingColumn(), console=err, transient=True)
        self._progress.start()
        self._task = self._progress.add_task(label, total=total, rows="")

    def update(self, done: int, rows: int | None = None) -> None:
        if self._progress is None:
            return
        task = self._progress.tasks[0]
        speed = f"{rows / task.elapsed:,.0f} rows/s" if rows and task.elapsed else ""
        label = f"{rows:,} rows {speed}" if rows is not None else ""
        self._progress.update(self._task, completed=done, rows=label)

    def finish(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
