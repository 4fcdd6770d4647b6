"""Excel workbooks (``.xlsx``, ``.xlsm``): one sheet, read row by row.

openpyxl's read-only mode streams the sheet's XML, so memory stays flat whatever the sheet's
size.  The first sheet is read unless ``--sheet NAME`` names another.  The first non-empty row
is the header; empty rows are skipped; row numbers are the sheet's own (as Excel shows them:
header usually row 1, first data row 2).  Cells become text the way the other readers see
them: dates as ``2022-09-21`` (a date) or ``2022-09-21 10:00:00`` (a date and time, read in
the source's zone like any time without one), whole numbers without ``.0`` (Excel stores every
number as a float), booleans as ``true``/``false``.  Cells right of the header's last name are
kept as ``column_N`` (N the sheet column) when they hold anything, so nothing is lost.
"""

from __future__ import annotations

import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Callable, Iterator

import pyarrow as pa

from defectradar.errors import InputError, UnreadableFileError
from defectradar.ingest.reading import RawBatch, rows_to_table, unique_names

ZIP_MAGIC = b"PK\x03\x04"
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
LEGACY_MAGIC = b"\xd0\xcf\x11\xe0"     # .xls (BIFF in an OLE container): openpyxl cannot read it


def is_workbook(path: Path, head: bytes) -> bool:
    """True for an Excel 2007+ workbook (a zip holding ``xl/workbook.xml``)."""
    if not head.startswith(ZIP_MAGIC):
        return False
    if path.suffix.lower() in EXCEL_SUFFIXES:
        return True
    try:
        with zipfile.ZipFile(path) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def _open(path: Path):
    import openpyxl  # imported on first use: most ingests never meet a workbook

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
        raise UnreadableFileError(f"{path}: not a readable Excel workbook ({type(exc).__name__}: {exc}); open "
                                  "it in Excel and save it again as .xlsx, or export the sheet as CSV") from None


def _sheet(workbook, path: Path, sheet: str | None):
    names = workbook.sheetnames
    if sheet is None:
        return workbook[names[0]]
    if sheet not in names:
        raise InputError(f"--sheet {sheet!r}: {path.name} has no such sheet; its sheets are "
                         f"{', '.join(repr(n) for n in names)}")
    return workbook[sheet]


def cell_text(value) -> str | None:
    """A cell as the text a CSV export would hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.time() == time(0) and value.tzinfo is None:
            return value.date().isoformat()           # a date cell: a calendar date, never shifted
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2 ** 53:
            return str(int(value))
        return repr(value)
    return str(value)


def header(path: Path, sheet: str | None = None, rows: int = 50) -> list[str]:
    """The column names of the sheet's header row (for format detection); [] if none."""
    workbook = _open(path)
    try:
        for _, values in zip(range(rows), _sheet(workbook, path, sheet).iter_rows(min_row=1, values_only=True)):
            cells = [cell_text(v) for v in values]
            if any(c and c.strip() for c in cells):
                return unique_names(_trimmed(cells))
        return []
    finally:
        workbook.close()


def _trimmed(cells: list[str | None]) -> list[str | None]:
    """A header row without the empty cells after its last name."""
    end = len(cells)
    while end and not (cells[end - 1] or "").strip():
        end -= 1
    return cells[:end]


def read_excel(path: Path, batch_rows: int, sheet: str | None = None,
               on_bytes: Callable[[int], None] | None = None) -> Iterator[RawBatch]:
    """Batches of string columns from one sheet; ``on_bytes`` hears progress (rows, scaled to bytes)."""
    size = path.stat().st_size
    workbook = _open(path)
    try:
        worksheet = _sheet(workbook, path, sheet)
        total = max(worksheet.max_row or 0, 1)
        names: list[str] | None = None
        rows: list[dict] = []
        numbers: list[int] = []
        number = 0
        for number, values in enumerate(worksheet.iter_rows(min_row=1, values_only=True), 1):
            cells = [cell_text(v) for v in values]
            if not any(c and c.strip() for c in cells):
                continue                            # an empty row: nothing to store or refuse
            if names is None:
                names = unique_names(_trimmed(cells))
                continue
            row = dict(zip(names, cells[:len(names)]))
            for index in range(len(names), len(cells)):
                if cells[index] and cells[index].strip():
                    row[f"column_{index + 1}"] = cells[index]
            rows.append(row)
            numbers.append(number)
            if len(rows) >= batch_rows:
                done = min(size, size * number // total)
                if on_bytes is not None:
                    on_bytes(done)
                yield RawBatch(_table(rows, numbers, names), [], done)
                rows, numbers = [], []
            elif on_bytes is not None and number % 10_000 == 0:
                on_bytes(min(size, size * number // total))
        if rows:
            yield RawBatch(_table(rows, numbers, names or []), [], size)
    finally:
        workbook.close()


def _table(rows: list[dict], numbers: list[int], names: list[str]) -> pa.Table:
    table = rows_to_table(rows, numbers)
    for name in names:              # a row shorter than the header still has every column
        if name not in table.column_names:
            table = table.add_column(0, name, pa.nulls(table.num_rows, pa.string()))
    return table
