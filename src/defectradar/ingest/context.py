"""What every normaliser needs for one ingest run, and the pieces they share."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from defectradar.config import Settings
from defectradar.domain.catalog import Catalog
from defectradar.ingest.fields import pii_kind
from defectradar.ingest.pseudonymise import Pseudonymiser
from defectradar.ingest.reading import (
    RAW_PREVIEW_CHARS,
    ROW,
    RawBatch,
    Rejection,
    preview,
)

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

    def product_ids(self, products: pa.Array) -> pa.Array:
        """Catalog ids for a column of product names (null where unknown)."""
        distinct = pc.unique(products)
        ids = pa.array([self.catalog.resolve(v) for v in distinct.to_pylist()], pa.string())
        return pc.take(ids, pc.index_in(products, value_set=distinct))


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
        """Rejections carrying the row as read, identifiers scrubbed (quarantine is a table too)."""
        table = self.batch.table
        result = [replace(r, raw=scrub_row(r.cells, pseudonymiser) if r.cells is not None
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
            result.append(Rejection(number, reason, scrub_row(row, pseudonymiser), field_name))
        return result


def scrub_row(row: dict[str, object], pseudonymiser: Pseudonymiser) -> str:
    """A raw row as JSON for the quarantine, with personal data replaced by tokens."""
    clean = {}
    for name, value in row.items():
        if value is None:
            continue
        label = name.removeprefix("extra:")
        kind = _FIELD_PII.get(name) or pii_kind(label)
        text = str(value)[:RAW_PREVIEW_CHARS]   # cut first: a refused row may be a huge field
        if kind and text.strip():
            clean[label] = pseudonymiser.token(kind, text)
        else:
            clean[label] = pseudonymiser.redact(text) if _MAYBE_IDENTIFIER.search(text) else text
    return preview(json.dumps(clean, ensure_ascii=False))


# Python's form of identifiers.CANDIDATE (its \d already covers full-width digits).
_MAYBE_IDENTIFIER = re.compile(r"\d(?:\D{0,4}\d){5,}|[@＠]")
_JSON_PAIR = re.compile(r'"([^"\\]{1,60})"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+)')


def scrub_text(text: str | None, pseudonymiser: Pseudonymiser) -> str | None:
    """An unparsed row (bad JSON, undecodable bytes) with identifiers and PII-named JSON values
    (``"screen_name": "..."``) replaced by tokens."""
    if text is None:
        return None

    def token_pair(match: re.Match) -> str:
        kind = pii_kind(match.group(1))
        if kind is None:
            return match.group(0)
        return f'"{match.group(1)}": "{pseudonymiser.token(kind, match.group(2).strip(chr(34)))}"'

    return preview(pseudonymiser.redact(_JSON_PAIR.sub(token_pair, text[:RAW_PREVIEW_CHARS])))


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
        columns.append((label, pseudonymiser.token_column(kind, column) if kind
                        else pseudonymiser.redact_column(column)))
    labels = [label for label, _ in columns]
    values = zip(*(column.to_pylist() for _, column in columns))
    out = []
    for row in values:
        obj = {k: v for k, v in zip(labels, row) if v not in (None, "")}
        out.append(json.dumps(obj, ensure_ascii=False) if obj else None)
    return pa.array(out, pa.string())
