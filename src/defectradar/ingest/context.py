"""What every normaliser needs for one ingest run, and the pieces they share."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from defectradar.config import Settings
from defectradar.core.identifiers import MAYBE_IDENTIFIER
from defectradar.core.masking import mask_identifiers
from defectradar.domain.catalog import Catalog
from defectradar.ingest.fields import pii_kind
from defectradar.ingest.pseudonymise import Pseudonymiser
from defectradar.ingest.reading import (
    RAW_PREVIEW_CHARS,
    ROW,
    RawBatch,
    Rejection,
    flatten,
    preview,
)
from defectradar.text.products import ProductMatcher

if TYPE_CHECKING:
    from defectradar.text.classifier import ComplaintClassifier

@dataclass
class IngestContext:
    settings: Settings
    pseudonymiser: Pseudonymiser
    catalog: Catalog
    source: str                      # the source name recorded on every row
    source_type: str
    timezone: str
    run_id: str
    now: datetime                    # naive UTC; rows dated later are refused
    date_order: str | None = None
    classifier: ComplaintClassifier | None = None   # None: ingest without understanding
    scratch: duckdb.DuckDBPyConnection = field(default_factory=lambda: duckdb.connect())
    _local: threading.local = field(default_factory=threading.local, repr=False)

    def sql(self, query: str, **tables: pa.Table) -> pa.Table:
        """Run vectorised SQL over Arrow tables in a private in-memory DuckDB (never the store).

        Each thread gets its own cursor: normalisation runs in a small thread pool.
        """
        con = getattr(self._local, "con", None)
        if con is None:
            con = self._local.con = self.scratch.cursor()
        for name, table in tables.items():
            con.register(name, table)
        try:
            return con.sql(query).to_arrow_table()
        finally:
            for name in tables:
                con.unregister(name)

    @cached_property
    def product_matcher(self) -> ProductMatcher:
        return self.classifier.products if self.classifier is not None else ProductMatcher(self.catalog)

    def product_ids(self, products: pa.Array | None, brands: pa.Array | None = None) -> pa.Array | None:
        """Product ids for a column of product names and, when the file has one, of brands.

        The catalog's id where the name (checked against the brand) is a catalog product; the
        uncatalogued id of the name as given (``named:ford-escape``) where no catalog lists it;
        null where it is blank or several catalog products fit equally (see
        :meth:`ProductMatcher.match_field`).  None when there is neither column.
        """
        if products is None and brands is None:
            return None
        match = self.product_matcher.match_field
        if brands is None or products is None:
            values = products if products is not None else brands
            distinct = pc.unique(values)
            ids = pa.array([match(v).product_id if products is not None else match(None, v).product_id
                            for v in distinct.to_pylist()], pa.string())
            return pc.take(ids, pc.index_in(values, value_set=distinct))
        found: dict[tuple, str | None] = {}
        out = []
        for model, brand in zip(products.to_pylist(), brands.to_pylist()):
            if (model, brand) not in found:
                found[(model, brand)] = match(model, brand).product_id
            out.append(found[(model, brand)])
        return pa.array(out, pa.string())


def constant(value, n: int, kind: pa.DataType) -> pa.Array:
    """A column of ``n`` copies of ``value`` (without building an n-long Python list)."""
    return pa.repeat(pa.scalar(value, kind), n)


@dataclass
class Normalised:
    """Rows ready for the store, by table, and the rows refused on the way."""

    tables: dict[str, pa.Table]
    rejections: list[Rejection]


class RowErrors:
    """First error per row (by index in the batch), turned into rejections at the end."""

    def __init__(self, batch: RawBatch):
        self.batch = batch
        self.errors: dict[int, tuple[str | None, str]] = {}

    def add(self, errors: dict[int, str], field_name: str | None) -> None:
        for index, reason in errors.items():
            self.errors.setdefault(index, (field_name, reason))

    def add_mask(self, mask: pa.Array, field_name: str | None, reason) -> None:
        """Flag rows where ``mask`` is true; ``reason`` is text or a function of the row index."""
        mask = pc.fill_null(mask, False)
        if pc.any(mask).as_py():
            for index in pc.indices_nonzero(mask).to_pylist():
                self.errors.setdefault(index, (field_name, reason(index) if callable(reason) else reason))

    def require(self, column: pa.Array | None, field_name: str) -> pa.Array:
        """Flag rows where a required field is blank (all rows when the column is absent)."""
        n = self.batch.table.num_rows
        column = column if column is not None else pa.nulls(n, pa.string())
        self.add_mask(pc.is_null(column), field_name, f"{field_name} is empty")
        return column

    def keep_mask(self) -> pa.Array:
        keep = [True] * self.batch.table.num_rows
        for index in self.errors:
            keep[index] = False
        return pa.array(keep, pa.bool_())

    def rejections(self, pseudonymiser: Pseudonymiser) -> list[Rejection]:
        """Rejections carrying the row as read, identifiers scrubbed (quarantine is a table too).

        Reasons and field names are masked too: a reason may quote the value it refuses
        (``'13812345678' is not a date``) and a headerless file's "column names" are data.
        """
        table = self.batch.table
        safe = _SafeText()
        result = [replace(r, reason=safe(r.reason), field=safe(r.field),
                          raw=scrub_row(r.cells, pseudonymiser) if r.cells is not None
                          else scrub_text(r.raw, pseudonymiser), cells=None)
                  for r in self.batch.rejections]
        if not self.errors:
            return result
        indices = sorted(self.errors)
        # One bulk take instead of per-cell lookups: a bad mapping can refuse millions of rows.
        picked = table.take(pa.array(indices, pa.int64()))
        numbers = picked.column(ROW).to_pylist()
        rows = picked.drop_columns([ROW]).to_pylist()
        for index, number, row in zip(indices, numbers, rows):
            field_name, reason = self.errors[index]
            result.append(Rejection(number, safe(reason), scrub_row(row, pseudonymiser), safe(field_name)))
        return result


class _SafeText:
    """:func:`mask_identifiers` with a cache: a bad mapping gives a million equal reasons."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def __call__(self, text: str | None) -> str | None:
        if text is None or not MAYBE_IDENTIFIER.search(text):
            return text
        masked = self._seen.get(text)
        if masked is None:
            masked = self._seen[text] = mask_identifiers(text)
        return masked


def scrub_row(row: dict[str, object], pseudonymiser: Pseudonymiser) -> str:
    """A raw row as JSON for the quarantine, with personal data replaced by tokens."""
    clean = {}
    for name, value in row.items():
        if value is None:
            continue
        label = name.removeprefix("extra:")
        kind = _FIELD_PII.get(name) or pii_kind(label)
        text = str(value)[:RAW_PREVIEW_CHARS]   # cut first: a refused row may be a huge field
        if MAYBE_IDENTIFIER.search(label):     # a headerless file's first row named the columns
            label = pseudonymiser.redact(label)
        if kind and text.strip():
            clean[label] = pseudonymiser.token(kind, text)
        else:
            clean[label] = pseudonymiser.redact(text) if MAYBE_IDENTIFIER.search(text) else text
    return preview(json.dumps(clean, ensure_ascii=False))


# A key and its value, an unterminated last string included (a line cut short).
_JSON_PAIR = re.compile(r'"([^"\\]{1,60})"\s*:\s*("(?:[^"\\]|\\.)*"?|-?\d+)')


def scrub_text(text: str | None, pseudonymiser: Pseudonymiser) -> str | None:
    """An unparsed row (bad JSON, undecodable bytes) with its personal data replaced by tokens.

    A JSON line cut short (``{"user": {"id": 1987654321, "screen_name": "张三``) is closed and
    parsed, so its fields are scrubbed by name and path like any row's.  What cannot be
    parsed even so has PII-named values tokenised, an unterminated last string included,
    identifiers in the rest redacted, and any long digit run left (a uid under an unknown
    key) masked.
    """
    if text is None:
        return None
    text = text[:RAW_PREVIEW_CHARS]
    repaired = _parse_truncated_json(text)
    if isinstance(repaired, dict):
        return scrub_row(flatten(repaired), pseudonymiser)

    def token_pair(match: re.Match) -> str:
        kind = pii_kind(match.group(1))
        if kind is None:
            return match.group(0)
        return f'"{match.group(1)}": "{pseudonymiser.token(kind, match.group(2).strip(chr(34)))}"'

    scrubbed = pseudonymiser.redact(_JSON_PAIR.sub(token_pair, text))
    return preview(_LONG_DIGITS.sub("<digits>", scrubbed))


_LONG_DIGITS = re.compile(r"(?<![0-9a-f_])\d{7,}(?![0-9a-f])")


def _parse_truncated_json(text: str):
    """The object a JSON text cut short would have been, closed at the cut; None if no luck."""
    stripped = text.strip()
    if not stripped.startswith("{"):
        return None
    closers: list[str] = []
    in_string = escaped = False
    for char in stripped:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            closers.append("}" if char == "{" else "]")
        elif char in "}]" and closers:
            closers.pop()
    base = stripped[:-1] if escaped else stripped
    base = base + '"' if in_string else base
    tail = "".join(reversed(closers))
    for candidate in (base + tail, base + ": null" + tail, base.rstrip(",: ") + tail,
                      base.rsplit(",", 1)[0] + tail):
        try:
            value = json.loads(candidate)
        except (ValueError, RecursionError):
            continue
        if isinstance(value, dict):
            return value
    return None


_FIELD_PII = {"author": "user", "device_id": "device", "user.id": "user", "user.screen_name": "user",
              "user.idstr": "user"}


def extra_json(table: pa.Table, pseudonymiser: Pseudonymiser) -> pa.Array:
    """The ``extra:*`` columns of a batch as one JSON object per row, personal data tokenised."""
    names = [n for n in table.column_names if n.startswith("extra:")]
    if not names:
        return pa.nulls(table.num_rows, pa.string())
    columns = []
    for name in names:
        label = name.removeprefix("extra:")
        column = table.column(name).combine_chunks().cast(pa.string())
        kind = pii_kind(label)
        if MAYBE_IDENTIFIER.search(label):     # a headerless file's first row named the columns
            label = pseudonymiser.redact(label)
        columns.append((label, pseudonymiser.token_column(kind, column) if kind
                        else pseudonymiser.redact_column(column)))
    labels = [label for label, _ in columns]
    values = zip(*(column.to_pylist() for _, column in columns))
    out = []
    for row in values:
        obj = {k: v for k, v in zip(labels, row) if v not in (None, "")}
        out.append(json.dumps(obj, ensure_ascii=False) if obj else None)
    return pa.array(out, pa.string())


# Columns that never hold what a user wrote: keys and tokens we made, codes from closed
# vocabularies, labels, timestamps; and free text the normalisers have already redacted.
_MADE_HERE = frozenset({
    "report_id", "event_id", "sales_id", "device_token", "author_token", "source_type", "lang",
    "severity", "source_severity", "label_source", "labels", "classifier", "failure_modes", "failure_mode",
    "action", "product_id", "ingest_run", "repost_of", "text", "title", "fault", "extra", ROW,
    "source_id",     # redacted by the normalisers before ids are made from it (redact_record_ids)
})


def scrub_free_columns(table: pa.Table, pseudonymiser: Pseudonymiser) -> pa.Table:
    """Every other string column (and list of strings) of a table about to be stored, redacted.

    The normalisers redact the fields they know hold free text; this is the shared net under
    them, at the one door every row passes, for the fields nobody thought would hold a phone
    number (``product`` "小米11 13712345678", a ``region`` holding an ID number, a ``channel``
    holding an e-mail).  Only values that may hold an identifier reach Python.
    """
    for index, name in enumerate(table.column_names):
        if name in _MADE_HERE:
            continue
        column = table.column(name)
        kind = column.type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            table = table.set_column(index, name, pseudonymiser.redact_column(column))
        elif pa.types.is_list(kind) and pa.types.is_string(kind.value_type):
            array = column.combine_chunks()
            values = pseudonymiser.redact_column(array.values) if len(array.values) else array.values
            table = table.set_column(index, name, pa.ListArray.from_arrays(array.offsets, values,
                                                                           mask=array.is_null()))
    return table
