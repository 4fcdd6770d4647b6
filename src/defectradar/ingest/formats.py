"""The registry of source formats, and detection of a file's format from its content.

A format knows how to recognise a file (``sniff`` gives a score from 0 to 100), how to read it
into batches named with our fields (``read``) and which normaliser turns those into store rows.
Built-in formats register themselves through :func:`register_format`, the same door a plugin
uses.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator

from defectradar.errors import InputError, UnknownFormatError
from defectradar.ingest.context import IngestContext, Normalised
from defectradar.ingest.encoding import (
    Encoding,
    detect_encoding,
    encoding_by_name,
    read_sample,
)
from defectradar.ingest.fields import Field, apply_mapping, resolve_columns
from defectradar.ingest.reading import (
    RawBatch,
    read_delimited,
    read_json_lines,
    read_parquet,
    sniff_dialect,
)


@dataclass
class Sample:
    """The first bytes of a file, decoded, for format detection."""

    path: Path
    head: bytes
    encoding: Encoding
    text: str

    @property
    def is_parquet(self) -> bool:
        return self.head[:4] == b"PAR1"

    @property
    def first_char(self) -> str:
        stripped = self.text.lstrip()
        return stripped[:1]

    @property
    def is_empty(self) -> bool:
        return not self.is_parquet and not self.text.strip()

    def header(self, delimiter: str | None = None) -> list[str]:
        """Column names of a delimited sample (or of the first JSON object)."""
        if self.first_char in ("{", "["):
            return json_keys(self.text)
        dialect = sniff_dialect(self.text, delimiter)
        return list(dialect.names)


def json_keys(text: str) -> list[str]:
    line = text.lstrip().splitlines()[0] if text.strip() else ""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError:
        return []
    if isinstance(obj, dict):
        keys = list(obj)
        for key, value in obj.items():
            if isinstance(value, dict):
                keys.extend(f"{key}.{sub}" for sub in value)
        return keys
    return []


@dataclass(frozen=True)
class ReadOptions:
    mapping: dict[str, str] = field(default_factory=dict)
    batch_rows: int = 100_000
    delimiter: str | None = None


@dataclass(frozen=True)
class SourceFormat:
    name: str
    target: str                      # reports | service_events | sales
    description: str
    sniff: Callable[[Sample], int]
    read: Callable[[Sample, ReadOptions], Iterator[RawBatch]]
    normalise: Callable[[RawBatch, IngestContext], Normalised]
    default_source: str
    default_timezone: str | None = None


FORMATS: dict[str, SourceFormat] = {}


def register_format(fmt: SourceFormat) -> SourceFormat:
    FORMATS[fmt.name] = fmt
    return fmt


def take_sample(path: Path, encoding_name: str | None = None) -> Sample:
    head = read_sample(path)
    encoding = encoding_by_name(encoding_name) if encoding_name else (
        Encoding("binary", 0) if head[:4] == b"PAR1" else detect_encoding(head))
    if encoding.name == "binary":
        return Sample(path, head, encoding, "")
    decoder = codecs.getincrementaldecoder(encoding.name)(errors="replace")
    text = decoder.decode(head[encoding.bom_bytes:], final=len(head) < 256 * 1024)
    return Sample(path, head, encoding, text)


def detect_format(sample: Sample) -> SourceFormat:
    """The registered format that scores highest on ``sample``."""
    scored = sorted(((fmt.sniff(sample), fmt.name) for fmt in FORMATS.values()), reverse=True)
    if not scored or scored[0][0] <= 0:
        raise UnknownFormatError(
            f"{sample.path}: cannot tell what kind of file this is; pass --type "
            f"({', '.join(sorted(FORMATS))})"
        )
    return FORMATS[scored[0][1]]


def get_format(name: str) -> SourceFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise UnknownFormatError(f"unknown --type {name!r}; choose one of auto, {', '.join(sorted(FORMATS))}") from None


# -- tabular containers shared by csv / jsonl / parquet / service-records / sales --------------

def container_of(sample: Sample) -> str:
    if sample.is_parquet:
        return "parquet"
    if sample.first_char in ("{", "["):
        return "json"
    return "delimited"


def read_tabular(sample: Sample, options: ReadOptions, fields: tuple[Field, ...]) -> Iterator[RawBatch]:
    """Read any tabular container and rename its columns to ``fields`` (explicit map first)."""
    kind = container_of(sample)
    if kind == "parquet":
        batches = read_parquet(sample.path, options.batch_rows)
    elif kind == "json":
        batches = read_json_lines(sample.path, sample.encoding, options.batch_rows)
    else:
        dialect = sniff_dialect(sample.text, options.delimiter)
        if not sample.text.strip():
            return
        batches = read_delimited(sample.path, sample.encoding, dialect, options.batch_rows)
    resolved: dict[str, str] | None = None
    for batch in batches:
        if resolved is None:
            columns = [c for c in batch.table.column_names if c != "_row"]
            if not columns and batch.table.num_rows == 0:
                yield batch
                continue
            resolved = resolve_columns(columns, fields, options.mapping, str(sample.path))
        present = {k: v for k, v in resolved.items() if v in batch.table.column_names}
        table, _ = apply_mapping(batch.table, present)
        yield RawBatch(table, [_renamed(r, resolved) for r in batch.rejections], batch.bytes_done)


def _renamed(rejection, resolved: dict[str, str]):
    """A rejection's cells named by our fields (``extra:`` for the rest), for scrubbing."""
    if rejection.cells is None:
        return rejection
    by_column = {column: name for name, column in resolved.items()}
    cells = {by_column.get(k, f"extra:{k}"): v for k, v in rejection.cells.items()}
    return replace(rejection, cells=cells)


def columns_match(names: list[str], fields: tuple[Field, ...]) -> bool:
    """True when every required field of ``fields`` finds a column by name or alias."""
    try:
        resolve_columns(names, fields, {}, "sample")
    except InputError:
        return False
    return True


def looks_delimited(sample: Sample) -> bool:
    lines = sample.text.splitlines()[:5]
    if not lines:
        return False
    try:
        csv.Sniffer().sniff("\n".join(lines), delimiters=",\t;|")
        return True
    except csv.Error:
        return len(lines) >= 1 and "," in lines[0]


def first_record_fields(sample: Sample, delimiter: str) -> list[str]:
    line = sample.text.splitlines()[0] if sample.text else ""
    return next(csv.reader(io.StringIO(line), delimiter=delimiter, quoting=csv.QUOTE_NONE), [])
