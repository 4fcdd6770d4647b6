"""Saying what is wrong with a file whose layout we do not recognise.

Two mistakes are common: a file of another kind (service records read as complaints), and a
file without a header row, whose first row of data then poses as the column names.  The
message names the file and the kinds of file ``ingest`` reads, and never prints a row of data
as if it were the column list: when most cells of the first row are numbers, dates or long
texts, it says "the first row looks like data, not a header" instead of listing them.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from defectradar.ingest.fields import MissingColumnsError, shown_columns

_NUMBER = re.compile(r"^[+\-]?[\d.,_\s]*\d[\d.,_\s]*(?:[eE][+\-]?\d+)?%?$")
_DATE = re.compile(r"^\d{4}[-/.年]\d{1,2}|^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|^\d{1,2}:\d{2}"
                   r"|^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]* \w+ \d", re.I)
_CJK = re.compile(r"[\u3400-\u9fff]")
_SENTENCE = re.compile(r"[。！？!?，]|\w\.\s+\w")
_BLANK_NAME = re.compile(r"^column_\d+$")

# The kinds of file ingest reads, for messages (`ingest --help` and formats.md say more).
_KINDS = ("csv", "jsonl", "parquet", "xlsx", "service-records", "sales", "weibo", "nhtsa", "nhtsa-recalls",
          "announcements")


def datalike(cell: str) -> bool:
    """A number, a date or time, or a long text: what a column name seldom is."""
    cell = cell.strip()
    # Four words or more is a phrase someone wrote ("screen went black after update"), not a name.
    return bool(_NUMBER.match(cell) or _DATE.match(cell) or len(cell) > 40 or len(cell.split()) >= 4
                or (_CJK.search(cell) and len(cell) > 12) or _SENTENCE.search(cell))


def first_row_is_data(columns: list[str], rows: pa.Table | None = None) -> tuple[int, int] | None:
    """``(data-like cells, filled cells)`` when most filled cells of a "header" look like data.

    With ``rows`` (the rows read under that header), a cell that recurs as a value of its own
    column counts too: a column name seldom does ("Mobile" over a column of "Mobile").
    """
    filled = [c for c in columns if c and c.strip() and not _BLANK_NAME.match(c)]
    if not filled:
        return None
    count = sum(datalike(c) or _recurs(c, rows) for c in filled)
    # A date is never a column's name: one is enough (an id column's "a1" beside it proves nothing).
    dated = any(_DATE.match(c.strip()) for c in filled)
    return (count, len(filled)) if count * 2 > len(filled) or dated else None


def _recurs(name: str, rows: pa.Table | None) -> bool:
    if rows is None or name not in rows.column_names or rows.num_rows == 0:
        return False
    column = rows.column(name)
    return bool(pa.types.is_string(column.type) and pc.any(pc.equal(column, name)).as_py())


def kinds_accepted() -> str:
    return ", ".join(_KINDS)


def missing_columns_message(error: MissingColumnsError, kind: str, header: str = "line 1",
                            rows: pa.Table | None = None) -> str:
    """The one line for a file lacking a required column, read as ``kind``."""
    data = first_row_is_data(error.columns, rows)
    others = f"pass --type for another kind of file ({kinds_accepted()})"
    if data is not None:
        return (f"{error.where}: the first row looks like data, not a header ({data[0]} of its {data[1]} cells are "
                f"numbers, dates, long texts or values of the rows below); add a header row naming the columns "
                f"({kind} need {', '.join(error.wanted)}), or {others}")
    return (f"{error.where}: no column for {', '.join(error.wanted)} in the header ({header}); its columns are "
            f"{shown_columns(error.columns)}. Name one with --map {error.missing[0]}=COLUMN, or {others}")
