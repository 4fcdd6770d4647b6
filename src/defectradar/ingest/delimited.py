"""Reading delimited text (CSV, TSV, ``;`` or ``|``) with every line of the file accounted for.

The fast path is Arrow's streaming CSV reader.  It cannot tell a stray quote from a field that
spans lines: a quote opened and never closed swallows every following line into one field,
up to the end of the file or the next quote, and the lines it swallowed are lost as rows.  So
after each block the reader looks at the records it got and reads again, carefully, from the
first record that is suspect:

* a record spanning more than ``max_record_lines`` lines;
* a record with the wrong number of fields spanning several lines (a quote that a later
  stray quote closed);
* the file's last record spanning several lines and running to the end of the file (a quote
  never closed);
* a field spanning lines whose later lines hold as many delimiters as a row (a stray quote
  closed by the opening quote of a later row's field, with the field count coming out right).

The careful reader (:func:`_careful_batches`) follows the quoting line by line in Python, and
cuts such a record back to its first line, which is quarantined with the reason, then resumes
at the next line.  Correct files never take it, so they keep Arrow's speed.

Accounting: :class:`~defectradar.ingest.encoding.SourceStream` counts the lines of what
Arrow parsed; the header, the rows read, the rows refused and the empty rows skipped must
cover exactly those lines (a quoted field's lines included).  When they do not, the reader raises
:class:`~defectradar.errors.IngestAccountingError` before its last batch: a run whose rows
cannot be reconciled with the file fails loudly instead of losing rows in silence.

Row numbers count records as a spreadsheet does: the header is row 1, the first data row is
row 2; an empty line, or a line of delimiters only, is a row with nothing in it and is
skipped; a record cut back to its first line is one row, and each line
after it is read as a row of its own.
"""

from __future__ import annotations

import csv
import io
import sys
from collections import deque
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from defectradar.errors import IngestAccountingError
from defectradar.ingest.dialect import Dialect
from defectradar.ingest.encoding import Encoding, line_ends_in, open_source
from defectradar.ingest.reading import ROW, RawBatch, Rejection, parsed_bytes, preview

_BLOCK_BYTES = 1 << 20   # measured: 1 MiB blocks parse fastest and keep memory low
_EMPTY_LINES = ("\n", "\r\n", "\r")

# Python's csv module refuses fields over 128 KiB by default; length limits are the
# normaliser's business (max_text_chars), with a reason per row, not the parser's.
csv.field_size_limit(sys.maxsize)


def _field_name(dialect: Dialect, index: int) -> str:
    return dialect.names[index] if index < len(dialect.names) else f"field_{index + 1}"


def split_cells(text: str, dialect: Dialect) -> dict[str, str]:
    """A malformed row's fields by column name, so personal data in it can still be found."""
    quoting = csv.QUOTE_MINIMAL if dialect.quoting else csv.QUOTE_NONE
    values = next(csv.reader(io.StringIO(text, newline=""), delimiter=dialect.delimiter, quoting=quoting), [])
    return {_field_name(dialect, i): v for i, v in enumerate(values)}


def field_count_rejection(number: int | None, actual: int, text: str, dialect: Dialect) -> Rejection:
    """A row with too few or too many fields, naming the first column it lacks or adds (or the
    column whose quote the row leaves open, the likelier cause)."""
    cells = split_cells(text, dialect)
    if dialect.quoting and "\n" not in text and "\r" not in text and _scan_quotes(text, False, dialect.delimiter)[0]:
        field = _field_name(dialect, max(len(cells) - 1, 0))
        return Rejection(number, f"a quote opened in field {field} is never closed on this row, so the row "
                         f"has {actual} fields where the header has {len(dialect.names)}; fix the quote",
                         preview(text), field=field, cells=cells)
    expected = len(dialect.names)
    whose = "the header has" if dialect.header else "the first row has"
    if actual < expected:
        field = dialect.names[actual]
        what = f"{field} and the columns after it are missing" if actual + 1 < expected else f"{field} is missing"
    else:
        field = _field_name(dialect, expected)
        what = f"{actual - expected} field{'s' if actual - expected > 1 else ''} too many"
    return Rejection(number, f"row has {actual} fields where {whose} {expected} ({what}); "
                     "check the delimiter and the quoting of this row", preview(text),
                     field=field, cells=cells)


def _undecodable_reason(transcoded: str | None) -> str:
    return (f"row holds bytes that are not valid {transcoded} (pass --encoding if the file is in another one)"
            if transcoded else
            "row holds bytes that are not valid UTF-8 (binary data, or a file in another encoding: pass --encoding)")


def _string_columns(table: pa.Table, rows: pa.Array, flag_replacement: bool, transcoded: str | None
                    ) -> tuple[pa.Table, list[Rejection]]:
    """Binary columns to strings; rows with bytes that do not decode are refused.

    UTF-8 reaches Arrow unchecked (checking it first cost a pass over the file), so a column
    whose cast fails is checked row by row; bytes a transcoder replaced show as U+FFFD.
    """
    columns: dict[str, pa.Array] = {}
    first_bad: dict[int, str] = {}
    for name in table.column_names:
        column = table.column(name).combine_chunks()
        try:
            columns[name] = column.cast(pa.string())
        except pa.ArrowInvalid:
            valid = []
            for value in column.to_pylist():
                try:
                    valid.append(value is None or value.decode("utf-8") is not None)
                except UnicodeDecodeError:
                    valid.append(False)
            ok = pa.array(valid)
            for index in pc.indices_nonzero(pc.invert(ok)).to_pylist():
                first_bad.setdefault(index, name)
            columns[name] = pc.if_else(ok, column, pa.scalar(None, pa.binary())).cast(pa.string())
        if flag_replacement:
            hit = pc.fill_null(pc.match_substring(columns[name], "\ufffd"), False)
            if pc.any(hit).as_py():
                for index in pc.indices_nonzero(hit).to_pylist():
                    first_bad.setdefault(index, name)
    if not first_bad:
        return pa.table({**columns, ROW: rows}), []
    rejections = []
    for index in sorted(first_bad):
        cells = {n: (v.decode("utf-8", "replace") if isinstance(v := table.column(n)[index].as_py(), bytes) else v)
                 for n in table.column_names}
        rejections.append(Rejection(rows[index].as_py(), _undecodable_reason(transcoded), preview(cells),
                                    field=first_bad[index], cells=cells))
    bad = np.zeros(table.num_rows, dtype=bool)
    bad[sorted(first_bad)] = True
    keep = pa.array(~bad)
    kept = {n: pc.filter(c, keep) for n, c in columns.items()}
    return pa.table({**kept, ROW: pc.filter(rows, keep)}), rejections


def _blank_rows(table: pa.Table) -> np.ndarray:
    """Rows whose every field is empty: empty lines (Arrow reads one as a row of empty fields,
    which keeps row numbers spreadsheet-like and every line counted), or lines of delimiters."""
    blank = np.ones(table.num_rows, dtype=bool)
    for name in table.column_names:
        blank &= pc.equal(pc.binary_length(table.column(name)), 0).to_numpy(zero_copy_only=False)
        if not blank.any():
            break
    return blank


def _record_lines(table: pa.Table, delimiter: str, carriage_returns: bool) -> tuple[np.ndarray, bool]:
    """Lines inside the fields of a block's rows.

    Returns the line ends per row, and whether a value spanning lines looks like rows a stray
    quote swallowed, which the careful reader then settles.  A stray quote in column ``c``
    swallows whole rows (lines with a row's delimiters) and ends at a quote in a later line,
    whose part before that quote holds at least ``c`` delimiters (the rest of the row supplies
    the fields after ``c``): ``1,2,"x`` then ``3,4,"yz"`` reads as one row whose last field is
    ``x\n3,4,yz"``.  Legitimate text trips this now and then; it then costs time, not rows.
    """
    per_row = np.zeros(table.num_rows, dtype=np.int64)
    row_like = False
    separator = delimiter.encode("utf-8")
    whole_row = table.num_columns - 1
    for position, name in enumerate(table.column_names):
        column = table.column(name)
        if not _holds_line_break(column, carriage_returns):
            continue
        multi = pc.match_substring(column, "\n")
        if carriage_returns:
            multi = pc.or_(multi, pc.match_substring(column, "\r"))
        multi = pc.fill_null(multi, False)
        if not pc.any(multi).as_py():
            continue
        indices = pc.indices_nonzero(multi).to_numpy()
        for index, value in zip(indices, pc.take(column, indices).to_pylist()):
            per_row[index] += line_ends_in(value)
            if not row_like:
                lines = value.replace(b"\r", b"\n").split(b"\n")[1:]
                row_like = (any(line.count(separator) >= whole_row for line in lines[:-1])
                            or lines[-1].count(separator) >= position)
    return per_row, row_like


def _holds_line_break(column: pa.ChunkedArray, carriage_returns: bool) -> bool:
    """Whether any value of a binary column holds a line break: one ``memchr`` over its bytes.

    Arrow's per-value substring search costs about as much as parsing the file; most files
    have no line breaks in fields at all, and their columns' bytes show it at once.
    """
    for chunk in column.chunks:
        data = chunk.buffers()[2]
        if data is None or len(chunk) == 0:
            continue
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32, count=chunk.offset + len(chunk) + 1)
        values = memoryview(data)[offsets[chunk.offset]:offsets[-1]]
        raw = values.tobytes()
        if b"\n" in raw or (carriage_returns and b"\r" in raw):
            return True
    return False


def _ends_with_line_break(value) -> bool:
    return value is not None and value[-1:] in (b"\n", b"\r", "\n", "\r")


def read_delimited(path: Path, encoding: Encoding, dialect: Dialect, batch_rows: int,
                   max_record_lines: int = 200, on_bytes: Callable[[int], None] | None = None
                   ) -> Iterator[RawBatch]:
    """Stream a delimited file as string batches, every bad row a :class:`Rejection`;
    ``on_bytes`` hears the bytes parsed after each block (a batch may take many), for progress."""
    if len(dialect.names) < 2:
        # A one-column file: Arrow cannot tell an empty line from an empty field, nor count
        # fields to find a stray quote; the careful reader can.
        yield from _careful_batches(path, encoding, dialect, batch_rows, max_record_lines, 0, on_bytes)
        return
    names = list(dialect.names)
    first_row = 2 if dialect.header else 1
    invalid: dict[int, Rejection] = {}
    suspect: list[str] = []          # why the careful reader must take over, when it must
    lines_in_rows = 0                # lines covered by the rows handed out or pending

    def on_invalid(row) -> str:
        nonlocal lines_in_rows
        ends = line_ends_in(row.text)
        if ends:
            suspect.append(f"row {row.number} spans {ends + 1} lines with the wrong number of fields")
        invalid[row.number] = field_count_rejection(row.number, row.actual_columns, row.text, dialect)
        lines_in_rows += 1 + ends
        return "skip"

    # The stream hands Arrow valid UTF-8 only: an invalid row's text is decoded before our
    # handler sees it, and a decode error there is swallowed by pyarrow, the row lost.
    handle = open_source(path, encoding, chunk_bytes=_BLOCK_BYTES)
    stream = handle.raw
    transcoded = None if encoding.is_utf8 else encoding.name
    header_lines = 1 if dialect.header else 0
    try:
        reader = pacsv.open_csv(
            handle,
            read_options=pacsv.ReadOptions(use_threads=False, block_size=_BLOCK_BYTES,
                                           column_names=names, skip_rows=1 if dialect.header else 0),
            parse_options=pacsv.ParseOptions(delimiter=dialect.delimiter, newlines_in_values=dialect.quoting,
                                             quote_char='"' if dialect.quoting else False,
                                             ignore_empty_lines=False, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.binary() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid as exc:
        handle.close()
        if "Empty CSV file" in str(exc):
            return
        # A header line larger than a block, or a parse Arrow gives up on: the careful reader.
        yield from _careful_batches(path, encoding, dialect, batch_rows, max_record_lines, 0, on_bytes)
        return

    next_row = first_row
    resume_row = first_row           # rows before this one have been handed out
    pending: list[pa.Table] = []
    pending_rejections: list[Rejection] = []
    pending_rows = parsed = 0
    last_chunk: tuple[pa.Table, np.ndarray] | None = None
    try:
        while True:
            try:
                chunk = reader.read_next_batch()
            except StopIteration:
                break
            except pa.ArrowInvalid as exc:
                suspect.append(f"Arrow stopped at a row it cannot hold ({exc})")
                break
            if suspect:
                break
            if on_bytes is not None:   # Arrow reads far ahead of its parsing: count what it parsed
                parsed += parsed_bytes(chunk)
                on_bytes(min(parsed, stream.consumed))
            if chunk.num_rows and pending_rows >= batch_rows:
                yield _join(pending, pending_rejections, stream.consumed, names)
                resume_row = next_row
                pending, pending_rejections, pending_rows = [], [], 0
            numbers, next_row = _row_numbers(next_row, chunk.num_rows, invalid)
            table = pa.Table.from_batches([chunk])
            per_row, row_like = _record_lines(table, dialect.delimiter, stream.tally.carriage_returns)
            if chunk.num_rows and per_row.max() + 1 > max_record_lines:
                where = int(numbers[int(per_row.argmax())].as_py())
                suspect.append(f"row {where} spans {int(per_row.max()) + 1} lines")
                break
            if row_like:
                suspect.append("a field spanning lines holds what looks like rows")
                break
            lines_in_rows += chunk.num_rows + int(per_row.sum())
            rejected = [invalid.pop(n) for n in sorted(k for k in invalid if k < next_row)]
            blank = _blank_rows(table)
            if blank.any():                   # skipped, like the empty lines they mostly are
                keep = pa.array(~blank)
                table, numbers, per_row = table.filter(keep), pc.filter(numbers, keep), per_row[~blank]
            strings, undecodable = _string_columns(table, numbers, stream.replacements > 0, transcoded)
            pending.append(strings)
            pending_rejections.extend(sorted(rejected + undecodable, key=lambda r: r.row_number or 0))
            pending_rows += chunk.num_rows + len(rejected)
            if chunk.num_rows:
                last_chunk = (table, per_row) if not blank[-1] else None
        if not suspect and last_chunk is not None and not invalid:
            table, per_row = last_chunk
            last_value = table.column(names[-1])[table.num_rows - 1].as_py()
            unterminated = not stream.tally.ends_with_line_end
            if per_row[-1] and (_ends_with_line_break(last_value) or unterminated):
                suspect.append("the last row spans several lines up to the end of the file")
            elif unterminated and dialect.quoting and _last_line_leaves_quote_open(path, encoding, dialect):
                suspect.append("the last line opens a quote the file never closes")
        if suspect:
            handle.close()
            yield from _careful_batches(path, encoding, dialect, batch_rows, max_record_lines, resume_row,
                                        on_bytes)
            return
        pending_rejections.extend(invalid.pop(n) for n in sorted(invalid))
        _reconcile(path, header_lines + lines_in_rows, stream.tally.lines)
        if pending or pending_rejections:
            yield _join(pending or [], pending_rejections, stream.consumed, names)
    finally:
        handle.close()


_TAIL_BYTES = 4 << 20


def _last_line_leaves_quote_open(path: Path, encoding: Encoding, dialect: Dialect) -> bool:
    """Whether the file's last line, a row of its own, ends inside a quoted field.

    Arrow reads ``1,2,"x`` at the end of a file as the value ``x``, the same as a closed
    ``1,2,"x"``; only the line itself tells them apart.
    """
    size = path.stat().st_size
    with open(path, "rb") as handle:
        handle.seek(max(size - _TAIL_BYTES, encoding.bom_bytes))
        tail = handle.read()
    cut = max(tail.rfind(b"\n"), tail.rfind(b"\r"))
    if cut < 0 and size > _TAIL_BYTES:
        return True                      # a last line over 4 MiB: let the careful reader look
    text = tail[cut + 1:].decode("utf-8" if encoding.is_utf8 else encoding.name, errors="replace")
    return _scan_quotes(text, False, dialect.delimiter)[0]


def _reconcile(path: Path, accounted: int, in_file: int) -> None:
    if accounted != in_file:
        raise IngestAccountingError(
            f"{path}: the header and the rows read and refused cover {accounted:,} of the file's "
            f"{in_file:,} lines; rows may have been lost, so the run is stopped. Rows stored "
            "so far are kept (a rerun adds nothing twice); please report this file's quoting")


def _join(tables: list[pa.Table], rejections: list[Rejection], done: int, names: list[str]) -> RawBatch:
    if not tables:
        return RawBatch(_empty(names), rejections, done)
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


# -- the careful reader ---------------------------------------------------------------------

class _Line:
    """One physical line (its line end kept), its number, and its quoting worked out once."""

    __slots__ = ("number", "text", "_scans")

    def __init__(self, number: int, text: str):
        self.number = number
        self.text = text
        self._scans: dict[bool, tuple[bool, bool]] = {}

    def scan(self, in_quote: bool, delimiter: str) -> tuple[bool, bool]:
        """``(in a quoted field at the line's end, a closing quote followed by junk)``."""
        result = self._scans.get(in_quote)
        if result is None:
            result = self._scans[in_quote] = _scan_quotes(self.text.rstrip("\r\n"), in_quote, delimiter)
        return result


def _scan_quotes(line: str, in_quote: bool, delimiter: str) -> tuple[bool, bool]:
    """Follow RFC 4180 quoting through one line, as Arrow's and Python's CSV parsers read it.

    A quote opens a quoted field only at the start of a field; inside one, ``""`` is a quote
    and a lone ``"`` closes it.  Elsewhere a quote is an ordinary character (``5" screen``).
    Only quotes and delimiters are visited, so unquoted lines cost one ``in`` test.
    """
    if not in_quote and '"' not in line:
        return False, False
    position, junk = 0, False
    field_start = True
    while True:
        if in_quote:
            close = line.find('"', position)
            if close < 0:
                return True, junk
            if line.startswith('""', close):
                position = close + 2
                continue
            in_quote, position = False, close + 1
            if position < len(line) and line[position] != delimiter:
                junk = True
            field_start = False
            continue
        if field_start and line.startswith('"', position):
            in_quote, position = True, position + 1
            continue
        following = line.find(delimiter, position)
        if following < 0:
            return False, junk
        position, field_start = following + 1, True


class _LineSource:
    """Physical lines of the file, with lines pushed back after a record is cut back."""

    def __init__(self, path: Path, encoding: Encoding):
        self.handle = open_source(path, encoding)
        self._text = io.TextIOWrapper(self.handle, encoding="utf-8", newline="")
        self._numbers = 0
        self._pushed: deque[_Line] = deque()

    def next(self) -> _Line | None:
        if self._pushed:
            return self._pushed.popleft()
        text = self._text.readline()
        if not text:
            return None
        self._numbers += 1
        return _Line(self._numbers, text)

    def push_back(self, lines: list[_Line]) -> None:
        self._pushed.extendleft(reversed(lines))

    def close(self) -> None:
        self._text.close()


def _careful_batches(path: Path, encoding: Encoding, dialect: Dialect, batch_rows: int,
                     max_record_lines: int, resume_row: int,
                     on_bytes: Callable[[int], None] | None = None) -> Iterator[RawBatch]:
    """Python's reading of the file, from the first row not yet handed out (``resume_row``)."""
    names = list(dialect.names)
    source = _LineSource(path, encoding)
    transcoded = None if encoding.is_utf8 else encoding.name
    quoting = csv.QUOTE_MINIMAL if dialect.quoting else csv.QUOTE_NONE
    row = 1 if dialect.header else 0
    header_pending = dialect.header
    columns: dict[str, list] = {n: [] for n in names}
    numbers: list[int] = []
    rejections: list[Rejection] = []
    lines_used = 0
    reported = 0
    try:
        while (first := source.next()) is not None:
            if first.text in _EMPTY_LINES and not header_pending:
                row += 1                        # an empty line: a row with nothing in it, skipped
                lines_used += 1
                continue
            record = [first]
            in_quote, junk = first.scan(False, dialect.delimiter) if dialect.quoting else (False, False)
            while in_quote and len(record) < max_record_lines and (line := source.next()) is not None:
                record.append(line)
                in_quote, more_junk = line.scan(True, dialect.delimiter)
                junk = junk or more_junk
            fields = _parse(record, dialect, quoting) if not in_quote else None
            cut = in_quote or (len(record) > 1 and (junk or len(fields) != len(names)))
            if cut:
                source.push_back(record[1:])
                record = record[:1]
            lines_used += len(record)
            if header_pending:
                header_pending = False
                continue
            row += 1
            if row < resume_row:
                continue
            if cut:
                rejections.append(_cut_back(row, first, in_quote, fields, dialect, max_record_lines))
            elif not any(fields):
                continue                        # only delimiters: nothing to store or refuse
            elif len(fields) != len(names):
                rejections.append(field_count_rejection(row, len(fields), first.text.rstrip("\r\n"), dialect))
            elif source.handle.raw.replacements and any("\ufffd" in v for v in fields):
                cells = dict(zip(names, fields))
                bad = next(n for n, v in cells.items() if "\ufffd" in v)
                rejections.append(Rejection(row, _undecodable_reason(transcoded), preview(cells), field=bad,
                                            cells=cells))
            else:
                for name, value in zip(names, fields):
                    columns[name].append(value)
                numbers.append(row)
            if on_bytes is not None and source.handle.raw.consumed != reported:
                reported = source.handle.raw.consumed
                on_bytes(reported)
            if len(numbers) + len(rejections) >= batch_rows:
                yield RawBatch(_table(columns, numbers), rejections, source.handle.raw.consumed)
                columns = {n: [] for n in names}
                numbers, rejections = [], []
        _reconcile(path, lines_used, source.handle.raw.tally.lines)
        if numbers or rejections:
            yield RawBatch(_table(columns, numbers), rejections, source.handle.raw.consumed)
    finally:
        source.close()


def _parse(record: list[_Line], dialect: Dialect, quoting: int) -> list[str]:
    reader = csv.reader([line.text for line in record], delimiter=dialect.delimiter, quoting=quoting)
    return next(reader, [])


def _cut_back(row: int, first: _Line, unclosed: bool, fields: list[str] | None, dialect: Dialect,
              max_record_lines: int) -> Rejection:
    """The rejection of a record cut back to its first line, naming the field the quote opened."""
    text = first.text.rstrip("\r\n")
    cells = split_cells(text, dialect)
    field = _field_name(dialect, max(len(cells) - 1, 0))
    if unclosed:
        reason = (f"a quote opened in field {field} on line {first.number} is never closed within "
                  f"{max_record_lines} lines or by the end of the file, so the row is read as this line "
                  "alone and reading resumes at the next line (fix the quote, or raise "
                  "DEFECTRADAR_MAX_RECORD_LINES if fields really span that many lines)")
    else:
        reason = (f"a quote opened in field {field} on line {first.number} is closed by a later line in a "
                  f"way that does not make a row ({len(fields or [])} fields where the header has "
                  f"{len(dialect.names)}), so the row is read as this line alone and reading resumes "
                  "at the next line")
    return Rejection(row, reason, preview(text), field=field, cells=cells)


def _table(columns: dict[str, list], numbers: list[int]) -> pa.Table:
    return pa.table({**{n: pa.array(v, pa.string()) for n, v in columns.items()},
                     ROW: pa.array(numbers, pa.int64())})
