"""Reading source files into batches of string columns, with every bad row accounted for.

Each reader yields :class:`RawBatch` objects: an Arrow table of string columns plus a
``_row`` column (the row's number in the file, as a person opening the file would count
it), and the rows that could not even be read, as :class:`Rejection` objects.  Nothing is
dropped without a rejection, which is what lets ingest promise that nothing is lost.

Row numbers: delimited files count the header as row 1 (the first data row is row 2, as in a
spreadsheet); JSON-lines files count lines from 1; Parquet files count rows from 1.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from defectradar.errors import UnreadableFileError
from defectradar.ingest.encoding import Encoding, open_source

ROW = "_row"
RAW_PREVIEW_CHARS = 2000


@dataclass
class Rejection:
    """A row that cannot be used, with where it is and why."""

    row_number: int | None
    reason: str
    raw: str | None = None
    field: str | None = None
    cells: dict[str, str] | None = None   # the row split into named fields, when it could be


@dataclass
class RawBatch:
    table: pa.Table                      # string columns and ``_row``
    rejections: list[Rejection] = field(default_factory=list)
    bytes_done: int = 0                  # source bytes consumed so far (for progress)
    # True for rows that are not rows of the file but records found inside them (the
    # originals reposts embed): stored when new, never counted as rows read.
    embedded: bool = False
    # Rows of the file merged into another row's record (the NHTSA flat file's further rows of
    # one complaint): read and accounted for, but not offered to the store on their own.
    merged: int = 0

    @property
    def rows_read(self) -> int:
        return 0 if self.embedded else self.table.num_rows + len(self.rejections) + self.merged


def parsed_bytes(chunk: pa.RecordBatch) -> int:
    """About how many bytes of the file a parsed block of binary or string columns held: its
    values plus one delimiter or line end per field (quotes left out), for progress."""
    total = chunk.num_rows * chunk.num_columns
    for column in chunk.columns:
        if pa.types.is_binary(column.type) or pa.types.is_string(column.type):
            total += pc.sum(pc.binary_length(column)).as_py() or 0
    return total


def preview(raw: Any) -> str:
    """A row's text for the quarantine table, cut to a readable size."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="backslashreplace")
    text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, default=str)
    return text if len(text) <= RAW_PREVIEW_CHARS else text[:RAW_PREVIEW_CHARS] + "…"


def unique_names(names: list[str]) -> list[str]:
    """Header names made usable: trimmed, blanks named ``column_N``, repeats suffixed ``_2``."""
    seen: dict[str, int] = {}
    result = []
    for index, name in enumerate(names, 1):
        name = (name or "").strip().lstrip("\ufeff") or f"column_{index}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        result.append(name)
    return result


# -- JSON --------------------------------------------------------------------------------

# Nesting kept as dotted columns; deeper objects are kept whole, as JSON text, in their column.
FLATTEN_DEPTH = 8


def flatten(obj: dict[str, Any], prefix: str = "", out: dict[str, str | None] | None = None,
            depth: int = 0) -> dict[str, str | None]:
    """Nested objects to dotted keys (``user.screen_name``); lists become JSON text."""
    out = {} if out is None else out
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and depth < FLATTEN_DEPTH:
            flatten(value, name + ".", out, depth + 1)
        elif isinstance(value, (list, dict)):
            out[name] = json.dumps(value, ensure_ascii=False)
        elif value is None:
            out[name] = None
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        else:
            out[name] = str(value)
    return out


def parse_json_text(text: str) -> Any:
    """``json.loads`` whose every failure is a ValueError with a message for people.

    Besides malformed JSON, Python refuses integers of more than 4,300 digits (ValueError)
    and runs out of stack on deeply nested arrays (RecursionError): hostile lines, not bugs.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"is not valid JSON ({exc})") from None
    except RecursionError:
        raise ValueError("is JSON nested too deeply to read") from None
    except ValueError as exc:
        raise ValueError(f"holds a JSON value Python cannot read ({exc})") from None


def _first_significant_byte(path: Path, encoding: Encoding) -> bytes:
    with open_source(path, encoding) as handle:
        while chunk := handle.read(1 << 16):
            stripped = chunk.lstrip(b" \n\r\t")
            if stripped:
                return stripped[:1]
    return b""


def iter_json_records(path: Path, encoding: Encoding) -> Iterator[tuple[int, dict | None, Rejection | None, int]]:
    """``(row number, object, rejection, bytes done)`` for each line of a JSON-lines file, or each
    element of a JSON array / ``{"statuses": [...]}`` / ``{"data": {"list": [...]}}`` document."""
    first = _first_significant_byte(path, encoding)
    if first in (b"[", b"{") and _is_document(path, encoding):
        yield from _iter_json_document(path, encoding)
        return
    with open_source(path, encoding) as handle:
        stream = handle.raw
        for number, line in enumerate(handle, 1):
            stripped = line.strip()
            if not stripped:
                continue
            obj, rejection = _json_line(number, stripped.decode("utf-8"), stream.replacements > 0, encoding)
            page = _records_in(obj) if obj is not None and _is_page(obj) else None
            if page is None:
                yield number, obj, rejection, stream.consumed
                continue
            # A line holding a whole API page (one page per line, or a one-line document).
            for item in page:
                item = _unwrap_card(item)
                if isinstance(item, dict):
                    yield number, item, None, stream.consumed
                else:
                    yield number, None, Rejection(number, "element is not a JSON object", preview(item)), stream.consumed


def _json_line(number: int, text: str, replaced: bool, encoding: Encoding) -> tuple[dict | None, Rejection | None]:
    if replaced and "\ufffd" in text:
        what = "UTF-8 (binary data, or a file in another encoding: pass --encoding)" if encoding.is_utf8 \
            else encoding.name
        try:   # name the field that holds them, when the line is JSON otherwise
            cells = flatten(parse_json_text(text))
        except (ValueError, AttributeError):
            return None, Rejection(number, f"line holds bytes that are not valid {what}", preview(text))
        field = next((k for k, v in cells.items() if v is not None and "\ufffd" in v), None)
        return None, Rejection(number, f"{field or 'line'} holds bytes that are not valid {what}", preview(text),
                               field=field, cells=cells)
    try:
        obj = parse_json_text(text)
    except ValueError as exc:
        return None, Rejection(number, f"line {exc}", preview(text))
    if not isinstance(obj, dict):
        return None, Rejection(number, "line is JSON but not an object {...}", preview(text))
    return obj, None


def _is_document(path: Path, encoding: Encoding) -> bool:
    """True when a file starting with ``{`` is one JSON document rather than JSON lines.

    JSON lines: the first line is a whole JSON value with more lines after it, or one of the
    next few lines is an object (the first cut short), or several lines start an object at
    their first column (broken lines, each to be quarantined on its own).  A pretty-printed
    document, or a document on one line, has none of these.
    """
    with open_source(path, encoding) as handle:
        lines = [line for _, line in zip(range(8), handle) if line.strip()]
    if len(lines) < 2:       # one line: an array is a document; an object (or page) a line
        try:
            return not isinstance(parse_json_text(lines[0].decode("utf-8")) if lines else None, dict)
        except ValueError:
            return True      # read whole, and refused as one line
    for number, line in enumerate(lines[:6]):
        if line[:1].isspace():
            continue         # indented: a pretty-printed document's inner lines
        try:
            value = parse_json_text(line.decode("utf-8"))
        except ValueError:
            continue
        if isinstance(value, dict) or number == 0:   # a whole value on line 1 and more lines after
            return False
    # Array elements one per line end in a comma; broken JSON lines seldom do.
    return sum(line.startswith(b"{") and not line.rstrip().endswith(b",") for line in lines) < 2


def _iter_json_document(path: Path, encoding: Encoding):
    with open_source(path, encoding) as handle:
        data = handle.read()
    size = path.stat().st_size
    try:
        doc = parse_json_text(data.decode("utf-8"))
    except ValueError as exc:
        if not data.strip().count(b"\n"):     # one line: a broken record, not a broken file
            yield 1, None, Rejection(1, f"line {exc}", preview(data)), size
            return
        raise UnreadableFileError(f"{path}: {exc}; a JSON document must parse as a whole (or write "
                                  "one JSON object per line)") from None
    items = _records_in(doc)
    if items is None:
        raise UnreadableFileError(f"{path}: a JSON document must be an array of objects, or hold one "
                                  "under 'statuses', 'data.list', 'data.cards' or 'records'")
    for number, obj in enumerate(items, 1):
        obj = _unwrap_card(obj)
        if not isinstance(obj, dict):
            yield number, None, Rejection(number, "element is not a JSON object", preview(obj)), size
        else:
            yield number, obj, None, size


def _unwrap_card(obj: Any) -> Any:
    if isinstance(obj, dict) and isinstance(obj.get("mblog"), dict):
        return obj["mblog"]  # m.weibo.cn card
    return obj


def _is_page(obj: dict) -> bool:
    """True for an API page wrapping records, not a record that happens to hold a list."""
    return ("statuses" in obj or "records" in obj or isinstance(obj.get("data"), dict)) and "text" not in obj


def _records_in(doc: Any) -> list | None:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        for key in ("statuses", "records", "items"):
            if isinstance(doc.get(key), list):
                return doc[key]
        data = doc.get("data")
        if isinstance(data, dict):
            for key in ("list", "cards", "statuses"):
                if isinstance(data.get(key), list):
                    return data[key]
    return None


def read_json_lines(path: Path, encoding: Encoding, batch_rows: int,
                    on_bytes: Callable[[int], None] | None = None) -> Iterator[RawBatch]:
    """Generic JSON: each object flattened to dotted string columns (``on_bytes`` hears the
    bytes consumed as reading goes)."""
    rows: list[dict] = []
    numbers: list[int] = []
    rejections: list[Rejection] = []
    done = reported = 0
    for number, obj, rejection, done in iter_json_records(path, encoding):
        if on_bytes is not None and done != reported:
            reported = done
            on_bytes(done)
        if rejection is not None:
            rejections.append(rejection)
        else:
            rows.append(flatten(obj))
            numbers.append(number)
        if len(rows) + len(rejections) >= batch_rows:
            yield RawBatch(rows_to_table(rows, numbers), rejections, done)
            rows, numbers, rejections = [], [], []
    if rows or rejections:
        yield RawBatch(rows_to_table(rows, numbers), rejections, done)


def rows_to_table(rows: list[dict[str, Any]], numbers: list[int]) -> pa.Table:
    """String columns from dict rows with possibly different keys."""
    keys: dict[str, None] = {}
    for row in rows:
        keys.update(dict.fromkeys(row))
    columns = {k: pa.array([None if (v := r.get(k)) is None else str(v) for r in rows], pa.string())
               for k in keys if k != ROW}
    return pa.table({**columns, ROW: pa.array(numbers, pa.int64())})


# -- Parquet -----------------------------------------------------------------------------

def read_parquet(path: Path, batch_rows: int, on_bytes: Callable[[int], None] | None = None) -> Iterator[RawBatch]:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise UnreadableFileError(f"{path}: not a readable Parquet file: {exc}") from None
    total_rows = max(parquet.metadata.num_rows, 1)
    size = path.stat().st_size
    first = 1
    for batch in parquet.iter_batches(batch_size=batch_rows):
        columns = {}
        for name, column in zip(batch.schema.names, batch.columns):
            if pa.types.is_nested(column.type):
                columns[name] = pa.array([None if v is None else json.dumps(v, ensure_ascii=False, default=str)
                                          for v in column.to_pylist()], pa.string())
            elif pa.types.is_timestamp(column.type) and column.type.tz is not None:
                columns[name] = pc.strftime(column, format="%Y-%m-%dT%H:%M:%S%z")
            else:
                columns[name] = column.cast(pa.string())
        numbers = pa.array(range(first, first + batch.num_rows), pa.int64())
        first += batch.num_rows
        if on_bytes is not None:
            on_bytes(int(size * (first - 1) / total_rows))
        yield RawBatch(pa.table({**columns, ROW: numbers}), [], int(size * (first - 1) / total_rows))
