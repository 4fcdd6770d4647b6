"""``--csv FILE`` on every command that prints a table: the tables go to a CSV file (or to an
Excel workbook when FILE ends in ``.xlsx``) as well as to the screen.

Commands do not know about it: the results console (``out``) notes each Rich table it prints
while an export is active, and the command's wrapper writes them when the command has
finished.  One table is one file (or one sheet); a command that prints several writes
``FILE``, ``FILE-2.csv``, ... (or one sheet each, named after the table's title).

Cells are written as shown (the same rounding and labels a reader sees), without Rich markup.
A cell that a spreadsheet would run as a formula (``=``, ``+``, ``@``, or ``-`` not starting a
number) is written with a leading apostrophe in CSV and as plain text in Excel: complaint
texts are written by strangers.
"""

from __future__ import annotations

import contextvars
import csv
import functools
import inspect
import io
import os
import re
import tempfile
from pathlib import Path
from typing import Annotated, Any, Callable, Iterable, Optional

import typer
from rich.console import Console, Group
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from defectradar.errors import InputError

SUFFIXES = (".csv", ".xlsx")
# Commands that never print a table (they print lines or a one-item layout, or write files): no
# --csv.  tests/cli/test_json_everywhere.py runs every other command and checks it does print one.
NO_TABLES = frozenset({
    "migrate", "simulate", "demo", "ingest", "label", "reclassify", "model train", "runs undo",
    "catalog build", "alerts ack", "alerts investigate", "alerts close",
    "policies list", "policies show", "policies diff", "remedies check", "reports show",
    "serve", "users create", "users revoke",
})

_tables: contextvars.ContextVar[list[Table] | None] = contextvars.ContextVar("_tables", default=None)
_NUMBER = re.compile(r"^-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
_FORMULA_START = ("=", "+", "@", "\t", "\r")


def exporting() -> bool:
    """Whether the tables printed now also go to ``--csv FILE``: a command may then put whole
    values in cells it would shorten for the screen (a complaint's full text, a full id)."""
    return _tables.get() is not None


class ResultConsole(Console):
    """The results console: prints as Rich does, and notes every table while ``--csv`` is on."""

    def print(self, *objects: Any, **kwargs: Any) -> None:  # noqa: A003 - Rich's own name
        collected = _tables.get()
        if collected is not None:
            for item in objects:
                collected.extend(_tables_in(item))
        super().print(*objects, **kwargs)


def _tables_in(item: Any) -> Iterable[Table]:
    if isinstance(item, Table):
        yield item
    elif isinstance(item, Group):
        for part in item.renderables:
            yield from _tables_in(part)
    elif isinstance(item, (Panel, Padding)):
        yield from _tables_in(item.renderable)


CSV_PARAMETER = inspect.Parameter(
    "csv_export", inspect.Parameter.KEYWORD_ONLY, default=None,
    annotation=Annotated[Optional[Path], typer.Option(
        "--csv", metavar="FILE", show_default=False,
        help="Also write the tables printed to FILE (.csv, or .xlsx for an Excel workbook).")])


def offer_csv(app: typer.Typer, prefix: str = "") -> None:
    """Give every command of ``app`` (and of its sub-apps) that prints tables a ``--csv`` option.
    Done on Typer's registrations, before Typer builds the commands from their signatures."""
    for info in app.registered_commands:
        if info.callback is not None and f"{prefix}{info.name}" not in NO_TABLES:
            info.callback = with_csv_option(info.callback)
    for group in app.registered_groups:
        offer_csv(group.typer_instance, f"{prefix}{group.name} ")


def with_csv_option(callback: Callable[..., Any]) -> Callable[..., Any]:
    """``callback`` with one more option, ``--csv FILE``, exporting the tables it prints."""
    if getattr(callback, "offers_csv", False):
        return callback
    signature = inspect.signature(callback, eval_str=True)

    @functools.wraps(callback)
    def exporting(*args: Any, csv_export: Path | None = None, **kwargs: Any) -> Any:
        if csv_export is None:
            return callback(*args, **kwargs)
        check_target(csv_export)
        if kwargs.get("json_"):
            raise InputError("--csv writes the tables a command prints, and with --json it prints none: "
                             "drop one of the two")
        token = _tables.set([])
        try:
            result = callback(*args, **kwargs)
            tables = _tables.get() or []
        finally:
            _tables.reset(token)
        if not tables:
            raise InputError(f"nothing to write to {csv_export.name}: this run printed no table")
        written = write_tables(csv_export, tables)
        from defectradar.cli.common import err  # the console lives there; imported late (cycle)
        names = ", ".join(str(p) for p in written)
        err.print(f"{len(tables)} table{'s' if len(tables) > 1 else ''} written to {names}",
                  highlight=False, markup=False)
        return result

    parameters = list(signature.parameters.values()) + [CSV_PARAMETER]
    exporting.__signature__ = signature.replace(parameters=parameters)
    exporting.__annotations__ = {p.name: p.annotation for p in parameters}
    exporting.offers_csv = True
    return exporting


def check_target(path: Path) -> None:
    """Refuse, before the command runs, a FILE we must not write (a folder, a store, a file of
    another kind): exporting must never destroy what the user keeps."""
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(f"--csv {path.name}: the file name must end in .csv, or .xlsx for an Excel workbook")
    if path.is_dir():
        raise InputError(f"--csv {path}: is a folder; give a file name")
    if not path.parent.is_dir():
        raise InputError(f"--csv {path}: the folder {path.parent} does not exist")
    if path.exists():
        with open(path, "rb") as handle:
            head = handle.read(16)
        if head[8:12] == b"DUCK":
            raise InputError(f"--csv {path}: is a defectradar store (or another DuckDB file); "
                             "choose another file name")


def rows_of(table: Table) -> tuple[list[str], list[list[str]]]:
    """The table's header and rows as plain text (markup removed)."""
    header = [_plain(c.header) for c in table.columns]
    cells = [[_plain(cell) for cell in column._cells] for column in table.columns]
    return header, [list(row) for row in zip(*cells)]


def _plain(value: Any) -> str:
    if isinstance(value, Text):
        return value.plain
    if isinstance(value, str):
        try:
            return Text.from_markup(value).plain
        except Exception:   # noqa: BLE001 - not markup after all (rich raises MarkupError)
            return value
    if value is None:
        return ""
    console = Console(width=10_000, file=io.StringIO(), color_system=None, emoji=False)
    with console.capture() as captured:
        console.print(value)
    return captured.get().strip()


def write_tables(path: Path, tables: list[Table]) -> list[Path]:
    if path.suffix.lower() == ".xlsx":
        _write_workbook(path, tables)
        return [path]
    written = []
    for index, table in enumerate(tables, start=1):
        target = path if index == 1 else path.with_name(f"{path.stem}-{index}{path.suffix}")
        header, rows = rows_of(table)
        _atomic(target, lambda handle: _write_csv(handle, header, rows), text=True)
        written.append(target)
    return written


def _write_csv(handle, header: list[str], rows: list[list[str]]) -> None:
    out = csv.writer(handle, lineterminator="\n")
    out.writerow(header)
    out.writerows([[_defused(cell) for cell in row] for row in rows])


def _defused(cell: str) -> str:
    if cell.startswith(_FORMULA_START) or (cell.startswith("-") and not _NUMBER.match(cell)):
        return "'" + cell
    return cell


def _write_workbook(path: Path, tables: list[Table]) -> None:
    from openpyxl import Workbook  # only when a workbook is asked for

    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for index, table in enumerate(tables, start=1):
        sheet = book.create_sheet(_sheet_name(table, index, used))
        header, rows = rows_of(table)
        sheet.append(header)
        for row in rows:
            sheet.append([_number(cell) for cell in row])
            for cell in sheet[sheet.max_row]:
                if cell.data_type == "f":      # a stranger's "=..." stays text, never a formula
                    cell.data_type = "s"
    _atomic(path, book.save, text=False)


def _sheet_name(table: Table, index: int, used: set[str]) -> str:
    title = _plain(table.title) if table.title else f"table {index}"
    name = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:28] or f"table {index}"
    while name in used:
        name = f"{name[:24]} {index}"
    used.add(name)
    return name


def _number(cell: str) -> Any:
    if _NUMBER.match(cell):
        plain = cell.replace(",", "")
        return float(plain) if "." in plain else int(plain)
    return cell


def _atomic(path: Path, write, *, text: bool) -> None:
    """Write beside ``path`` and rename, so a failed export leaves the old file whole."""
    fd, scratch = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        if text:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                write(handle)
        else:
            os.close(fd)
            write(scratch)
        os.replace(scratch, path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise


__all__ = ["NO_TABLES", "ResultConsole", "exporting", "offer_csv", "rows_of", "with_csv_option", "write_tables"]
