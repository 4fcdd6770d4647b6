"""What every command shares: the store option, settings, consoles, progress and JSON output."""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Iterator, Optional

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

from defectradar.backends.base import check_backend_name
from defectradar.cli.table_export import ResultConsole
from defectradar.config import Settings, load_settings
from defectradar.core.numbers import json_ready
from defectradar.errors import DefectRadarError, InputError
from defectradar.store.connect import Store

# emoji=False: user text (complaints, file names, labels) must never turn ":battery:" into a picture.
# Markup is still parsed in the strings the code writes; user text goes in as rich.text.Text or escape().
out = ResultConsole(soft_wrap=True, emoji=False)           # results (tables also to --csv FILE)
err = Console(stderr=True, soft_wrap=True, emoji=False)    # messages, progress, errors

# No dir_okay=False: the store itself refuses a folder (or anything not a store) in one line, and
# so does it for DEFECTRADAR_DB, which Typer never sees.
DbOption = Annotated[Optional[Path], typer.Option(
    "--db", help="Store file (default: DEFECTRADAR_DB or ./defectradar.duckdb).", show_default=False)]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
BackendOption = Annotated[Optional[str], typer.Option(
    "--backend", help="Engine: duckdb (the store file; default, or DEFECTRADAR_BACKEND) or pyspark (Spark reads "
    "the Parquet export that --db names: a folder or URI written by `defectradar export parquet DIR`).",
    show_default=False)]
SparkMasterOption = Annotated[Optional[str], typer.Option(
    "--spark-master", help="Spark master URL for --backend pyspark (default local[*], or "
    "DEFECTRADAR_SPARK_MASTER).", show_default=False)]


class DefectRadarGroup(TyperGroup):
    """Turns defectradar's errors into one red line on stderr and the error's exit code.

    An ``OSError`` escaping a command (a file the code did not expect to fail: a full disk, a
    path in ``/proc``) becomes one line too, ``error: <file>: <reason>``, exit code 1: a safety
    net, not a substitute for the checks that say what to do.
    """

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except DefectRadarError as exc:
            err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            raise typer.Exit(exc.exit_code) from None
        except BrokenPipeError:
            _silence_stdout()         # the reader went away (`| head`): nothing left to say to it
            raise typer.Exit(1) from None
        except OSError as exc:
            err.print(f"[bold red]error:[/] {escape(_os_error_line(exc))}", highlight=False)
            raise typer.Exit(1) from None


def _os_error_line(exc: OSError) -> str:
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.filename is None:
        return reason
    names = str(exc.filename) + (f" -> {exc.filename2}" if exc.filename2 is not None else "")
    return f"{names}: {reason}"


def _silence_stdout() -> None:
    """Point stdout at /dev/null so Python's final flush does not fail again with a traceback."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):   # not a real file (a test runner's buffer)
        pass


def new_app(help_text: str) -> typer.Typer:
    return typer.Typer(help=help_text, cls=DefectRadarGroup, no_args_is_help=True,
                       pretty_exceptions_enable=False, rich_markup_mode="rich")


def settings_for(db: Path | None) -> Settings:
    settings = load_settings()
    return settings.replace(db=str(db)) if db is not None else settings


def open_store(db: Path | None) -> Store:
    """The store ``--db`` (or the setting) names; something that is not a store is refused now,
    before a command reads its other inputs or trains anything."""
    settings = settings_for(db)
    store = Store(settings.db, settings)
    store.check_path()
    return store


@contextmanager
def open_source(db: Path | None, backend: str | None = None, spark_master: str | None = None,
                status: str | None = None) -> Iterator:
    """What an analytic command reads: a read-only connection of the store (DuckDB), or a
    Spark backend over the Parquet export ``--db`` names (``--backend pyspark``)."""
    settings = settings_for(db).replace(backend=backend, spark_master=spark_master)
    check_backend_name(settings.backend)
    if settings.backend == "duckdb":
        with open_store(db).reader() as con:
            yield con
        return
    from defectradar.backends.pyspark import PySparkBackend

    if db is None and settings.db == "defectradar.duckdb":
        raise InputError("--backend pyspark reads a Parquet export: write one with `defectradar export parquet DIR` "
                         "and pass --db DIR (a folder or a URI such as hdfs://...)")
    with (err.status(status or f"starting Spark ({settings.spark_master})…")):
        spark = PySparkBackend(settings.db, master=settings.spark_master)
    try:
        yield spark
    finally:
        spark.close()


def print_json(value: Any) -> None:
    """Print ``value`` as JSON on stdout: NaN and infinities become null (``allow_nan=False``
    guarantees that no ``NaN`` token, which is not JSON, is ever written)."""
    # datetimes as str() writes them ("2024-01-31 09:30:00"), as the CLI always printed them
    text = json.dumps(json_ready(value, datetime_sep=" "), ensure_ascii=False, indent=2, default=str,
                      allow_nan=False)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def warn(message: str) -> None:
    """One warning line on stderr (the user's words in ``message`` are not read as markup)."""
    err.print(f"[yellow]warning:[/] {escape(message)}", highlight=False)


@contextmanager
def working(message: str, *, line: bool = True):
    """Say on stderr what a slow step is doing: a spinner on a terminal, otherwise one line (or,
    with ``line=False`` for a step that is usually quick, nothing)."""
    if err.is_terminal:
        with err.status(escape(message)):
            yield
    else:
        if line:
            err.print(escape(message), highlight=False)
        yield


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
        self._task = self._progress.add_task(escape(label), total=total, rows="")   # a file name is not markup

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
