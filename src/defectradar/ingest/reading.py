"""Reading source files into batches of string columns, with every bad row accounted for.

Each reader yields :class:`RawBatch` objects: an Arrow table of string columns plus a
``_row`` column (the row's number in the file, as a person opening the file would count
it), and the rows that could not even be read, as :class:`Rejection` objects.  Nothing is
dropped without a rejection, which is what lets ingest promise that nothing is lost.

Row numbers: delimited files count the header as row 1 (the first data row is row 2, as in a
spreadsheet); JSON-lines files count lines from 1; Parquet files count rows from 1.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from defectradar.errors import UnreadableFileError
from defectradar.ingest.encoding import Encoding, Utf8Transcoder

ROW = "_row"
RAW_PREVIEW_CHARS = 2000
_BLOCK_BYTES = 1 << 20   # measured: 1 MiB blocks parse fastest and keep memory low


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

    @property
    def rows_read(self) -> int:
        return self.table.num_rows + len(self.rejections)


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


def _open_binary(path: Path, encoding: Encoding):
    if encoding.is_utf8:
        handle = open(path, "rb")
        handle.seek(encoding.bom_bytes)
        return handle
    return Utf8Transcoder(path, encoding)


def _position(handle) -> int:
    return handle.consumed if isinstance(handle, Utf8Transcoder) else handle.tell()


# -- delimited text ----------------------------------------------------------------------

@dataclass(frozen=True)
class Dialect:
    delimiter: str
    header: bool
    names: tuple[str, ...]
    quoting: bool = True     # False for formats such as NHTSA's that never quote fields


def sniff_dialect(sample_text: str, delimiter: str | None = None, header: bool = True,
                  names: list[str] | None = None) -> Dialect:
    """The delimiter and column names of a delimited file from its decoded first bytes."""
    if delimiter is None:
        first_lines = "\n".join(sample_text.splitlines()[:20])
        try:
            delimiter = csv.Sniffer().sniff(first_lines, delimiters=",\t;|").delimiter
        except csv.Error:
            delimiter = ","
    if names is None:
        if not header:
            raise ValueError("a file without a header needs column names")
        reader = csv.reader(io.StringIO(sample_text), delimiter=delimiter)
        first = next(reader, [])
        names = unique_names(first)
    return Dialect(delimiter, header, tuple(names))


def split_cells(text: str, dialect: Dialect) -> dict[str, str]:
    """A malformed row's fields by column name, so personal data in it can still be found."""
    quoting = csv.QUOTE_MINIMAL if dialect.quoting else csv.QUOTE_NONE
    values = next(csv.reader(io.StringIO(text), delimiter=dialect.delimiter, quoting=quoting), [])
    names = list(dialect.names)
    return {(names[i] if i < len(names) else f"field_{i + 1}"): v for i, v in enumerate(values)}


def _decode_columns(table: pa.Table, rows: pa.Array, transcoded: str | None
                    ) -> tuple[pa.Table, list[Rejection]]:
    """Binary columns to strings; rows with undecodable bytes become rejections."""
    bad = pa.array([False] * table.num_rows)
    columns = {}
    for name in table.column_names:
        column = table.column(name).combine_chunks()
        try:
            columns[name] = column.cast(pa.string())
        except pa.ArrowInvalid:
            # Find the offending rows one by one: only happens for files with binary junk.
            valid = []
            for value in column.to_pylist():
                try:
                    valid.append(True if value is None else (value.decode("utf-8") is not None))
                except UnicodeDecodeError:
                    valid.append(False)
            ok = pa.array(valid)
            bad = pc.or_(bad, pc.invert(ok))
            columns[name] = pc.if_else(ok, column, pa.scalar(None, pa.binary())).cast(pa.string())
        if transcoded:
            bad = pc.or_(bad, pc.fill_null(pc.match_substring(columns[name], "\ufffd"), False))
    rejections = []
    if pc.any(bad).as_py():
        reason = (f"holds bytes that are not valid {transcoded}" if transcoded
                  else "holds bytes that are not valid UTF-8 (binary data, or a file in another encoding: pass --encoding)")
        for index in pc.indices_nonzero(bad).to_pylist():
            cells = {n: (v.decode("utf-8", "backslashreplace") if isinstance(v := table.column(n)[index].as_py(), bytes) else v)
                     for n in table.column_names}
            rejections.append(Rejection(rows[index].as_py(), f"row {reason}", preview(cells), cells=cells))
        keep = pc.invert(bad)
        result = pa.table({**{n: pc.filter(c, keep) for n, c in columns.items()}, ROW: pc.filter(rows, keep)})
        return result, rejections
    return pa.table({**columns, ROW: rows}), rejections


def read_delimited(path: Path, encoding: Encoding, dialect: Dialect, batch_rows: int) -> Iterator[RawBatch]:
    """Stream a delimited file with Arrow's CSV reader (falls back to Python's csv module for
    rows larger than Arrow's block, e.g. a multi-megabyte field)."""
    names = list(dialect.names)
    first_row = 2 if dialect.header else 1
    invalid: dict[int, Rejection] = {}
    expected = "the header has" if dialect.header else "the first row has"

    def on_invalid(row) -> str:
        invalid[row.number] = Rejection(
            row.number, f"row has {row.actual_columns} fields where {expected} "
            f"{row.expected_columns}", preview(row.text), cells=split_cells(row.text, dialect))
        return "skip"

    handle = _open_binary(path, encoding)
    transcoded = None if encoding.is_utf8 else encoding.name
    next_row = first_row
    emitted_records = 0
    # Arrow parses small blocks (fast, little memory); they are gathered into batch_rows batches.
    pending: list[pa.Table] = []
    pending_rejections: list[Rejection] = []
    pending_rows = 0
    try:
        reader = pacsv.open_csv(
            handle,
            read_options=pacsv.ReadOptions(use_threads=False, block_size=_BLOCK_BYTES,
                                           column_names=names, skip_rows=1 if dialect.header else 0),
            parse_options=pacsv.ParseOptions(delimiter=dialect.delimiter, newlines_in_values=dialect.quoting,
                                             quote_char='"' if dialect.quoting else False,
                                             invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.binary() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid as exc:
        handle.close()
        if "straddl" in str(exc) or "block" in str(exc):
            yield from _read_delimited_python(path, encoding, dialect, batch_rows, 0)
            return
        if "Empty CSV file" in str(exc):
            return
        raise UnreadableFileError(f"{path}: cannot parse as delimited text: {exc}") from None
    try:
        while True:
            try:
                chunk = reader.read_next_batch()
            except StopIteration:
                break
            except pa.ArrowInvalid as exc:
                if "straddl" not in str(exc):
                    raise UnreadableFileError(f"{path}: cannot parse as delimited text: {exc}") from None
                # A row larger than Arrow's block: finish with the Python reader.
                if pending or pending_rejections:
                    emitted_records += pending_rows
                    yield _join(pending or [_empty(names)], pending_rejections, _position(handle))
                # Rows already handed out are skipped; pending rejected rows are read again.
                yield from _read_delimited_python(path, encoding, dialect, batch_rows, emitted_records)
                return
            numbers, next_row = _row_numbers(next_row, chunk.num_rows, invalid)
            rejected = [invalid.pop(n) for n in sorted(k for k in invalid if k < next_row)]
            table, bad = _decode_columns(pa.Table.from_batches([chunk]), numbers, transcoded)
            pending.append(table)
            pending_rejections.extend(rejected + bad)
            pending_rows += chunk.num_rows + len(rejected)
            if pending_rows >= batch_rows:
                emitted_records += pending_rows
                yield _join(pending, pending_rejections, _position(handle))
                pending, pending_rejections, pending_rows = [], [], 0
        pending_rejections.extend(invalid.pop(n) for n in sorted(invalid))
        if pending or pending_rejections:
            yield _join(pending or [_empty(names)], pending_rejections, _position(handle))
    finally:
        handle.close()


def _join(tables: list[pa.Table], rejections: list[Rejection], done: int) -> RawBatch:
    table = tables[0] if len(tables) == 1 else pa.concat_tables(tables).combine_chunks()
    return RawBatch(table, rejections, done)


def _row_numbers(first: int, count: int, invalid: dict[int, Rejection]) -> tuple[pa.Array, int]:
    """Row numbers of ``count`` parsed rows starting at ``first``, skipping rows Arrow rejected."""
    skipped = sorted(n for n in invalid if n >= first)
    candidates = np.arange(first, first + count + len(skipped), dtype=np.int64)
    if skipped:
        candidates = candidates[~np.isin(candidates, np.asarray(skipped, dtype=np.int64))]
    numbers = candidates[:count]
    following = int(numbers[-1]) + 1 if count else first
    return pa.array(numbers), following


def _empty(names: list[str]) -> pa.Table:
    return pa.table({**{n: pa.array([], pa.string()) for n in names}, ROW: pa.array([], pa.int64())})


def _read_delimited_python(path: Path, encoding: Encoding, dialect: Dialect, batch_rows: int,
                           skip_records: int) -> Iterator[RawBatch]:
    """The slow, unlimited path: Python's csv module, for rows Arrow cannot hold in one block."""
    names = list(dialect.names)
    csv.field_size_limit(1 << 30)
    raw = _open_binary(path, encoding)
    text = io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="")
    reader = csv.reader(text, delimiter=dialect.delimiter,
                        quoting=csv.QUOTE_MINIMAL if dialect.quoting else csv.QUOTE_NONE)
    transcoded = None if encoding.is_utf8 else encoding.name
    line_row = 0
    if dialect.header:
        next(reader, None)
        line_row = 1
    columns: dict[str, list] = {n: [] for n in names}
    numbers: list[int] = []
    rejections: list[Rejection] = []
    try:
        for record in reader:
            line_row += 1
            if line_row - (2 if dialect.header else 1) < skip_records:
                continue
            if len(record) != len(names):
                cells = {(names[i] if i < len(names) else f"field_{i + 1}"): v for i, v in enumerate(record)}
                rejections.append(Rejection(line_row, f"row has {len(record)} fields where the header "
                                            f"has {len(names)}", preview(dialect.delimiter.join(record)),
                                            cells=cells))
            elif any("\ufffd" in v for v in record):
                what = f"valid {transcoded}" if transcoded else "valid UTF-8 (binary data?)"
                rejections.append(Rejection(line_row, f"row holds bytes that are not {what}",
                                            preview(dialect.delimiter.join(record))))
            else:
                for name, value in zip(names, record):
                    columns[name].append(value)
                numbers.append(line_row)
            if len(numbers) + len(rejections) >= batch_rows:
                yield RawBatch(_table(columns, numbers), rejections, _position(raw))
                columns = {n: [] for n in names}
                numbers, rejections = [], []
        if numbers or rejections:
            yield RawBatch(_table(columns, numbers), rejections, _position(raw))
    finally:
        text.close()


def _table(columns: dict[str, list], numbers: list[int]) -> pa.Table:
    return pa.table({**{n: pa.array(v, pa.string()) for n, v in columns.items()},
                     ROW: pa.array(numbers, pa.int64())})


# -- JSON --------------------------------------------------------------------------------

def flatten(obj: dict[str, Any], prefix: str = "", out: dict[str, str | None] | None = None) -> dict[str, str | None]:
    """Nested objects to dotted keys (``user.screen_name``); lists become JSON text."""
    out = {} if out is None else out
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flatten(value, name + ".", out)
        elif isinstance(value, list):
            out[name] = json.dumps(value, ensure_ascii=False)
        elif value is None:
            out[name] = None
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        else:
            out[name] = str(value)
    return out


def _first_significant_byte(path: Path, encoding: Encoding) -> bytes:
    with _open_binary(path, encoding) as handle:
        while True:
            byte = handle.read(1)
            if byte not in (b" ", b"\n", b"\r", b"\t"):
                return byte


def iter_json_records(path: Path, encoding: Encoding) -> Iterator[tuple[int, dict | None, Rejection | None, int]]:
    """``(row number, object, rejection, bytes done)`` for each line of a JSON-lines file, or each
    element of a JSON array / ``{"statuses": [...]}`` / ``{"data": {"list": [...]}}`` document."""
    first = _first_significant_byte(path, encoding)
    if first == b"[" or (first == b"{" and _is_document(path, encoding)):
        yield from _iter_json_document(path, encoding)
        return
    with _open_binary(path, encoding) as handle:
        for number, line in enumerate(handle, 1):
            stripped = line.strip()
            if not stripped:
                continue
            obj, rejection = _json_line(number, stripped, encoding)
            page = _records_in(obj) if obj is not None and _is_page(obj) else None
            if page is None:
                yield number, obj, rejection, _position(handle)
                continue
            # A line holding a whole API page (one page per line, or a one-line document).
            for item in page:
                item = _unwrap_card(item)
                if isinstance(item, dict):
                    yield number, item, None, _position(handle)
                else:
                    yield number, None, Rejection(number, "element is not a JSON object", preview(item)), _position(handle)


def _json_line(number: int, line: bytes, encoding: Encoding) -> tuple[dict | None, Rejection | None]:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return None, Rejection(number, "line holds bytes that are not valid UTF-8 (binary data?)", preview(line))
    if "\ufffd" in text and not encoding.is_utf8:
        return None, Rejection(number, f"line holds bytes that are not valid {encoding.name}", preview(text))
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, Rejection(number, f"line is not valid JSON ({exc.msg} at column {exc.colno})", preview(text))
    if not isinstance(obj, dict):
        return None, Rejection(number, "line is JSON but not an object {...}", preview(text))
    return obj, None


def _is_document(path: Path, encoding: Encoding) -> bool:
    """True when a file starting with ``{`` is one JSON document rather than JSON lines."""
    with _open_binary(path, encoding) as handle:
        first_line = handle.readline()
    try:
        json.loads(first_line)
        return False
    except json.JSONDecodeError:
        return True


def _iter_json_document(path: Path, encoding: Encoding):
    with _open_binary(path, encoding) as handle:
        data = handle.read()
    size = path.stat().st_size
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnreadableFileError(f"{path}: not valid JSON: {exc}") from None
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


def read_json_lines(path: Path, encoding: Encoding, batch_rows: int) -> Iterator[RawBatch]:
    """Generic JSON: each object flattened to dotted string columns."""
    rows: list[dict] = []
    numbers: list[int] = []
    rejections: list[Rejection] = []
    done = 0
    for number, obj, rejection, done in iter_json_records(path, encoding):
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

def read_parquet(path: Path, batch_rows: int) -> Iterator[RawBatch]:
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
        yield RawBatch(pa.table({**columns, ROW: numbers}), [], int(size * (first - 1) / total_rows))
