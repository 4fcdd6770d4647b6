"""The registry of source formats, and detection of a file's format from its content.

A format knows how to recognise a file (``sniff`` gives a score from 0 to 100), how to read it
into batches named with our fields (``read``) and which normaliser turns those into store rows.
A tabular format reads its container (delimited text, JSON, Parquet, a workbook) with a
:class:`ContainerReader`.  Both live in the one registry (:mod:`defectradar.registry`, kinds
``formats`` and ``readers``); :func:`register_builtins` puts the built-ins there, as a plug-in's
registrar would.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from dataclasses import dataclass, field, replace
from importlib import import_module
from pathlib import Path
from typing import Callable, Iterator, Mapping

from defectradar import registry
from defectradar.errors import InputError, UnknownFormatError
from defectradar.ingest import excel
from defectradar.ingest.context import IngestContext, Normalised
from defectradar.ingest.delimited import read_delimited
from defectradar.ingest.dialect import sniff_dialect
from defectradar.ingest.encoding import (
    SAMPLE_BYTES,
    Encoding,
    detect_encoding,
    encoding_by_name,
    read_sample,
)
from defectradar.ingest.fields import Field, MissingColumnsError, apply_mapping, resolve_columns
from defectradar.ingest.layout import kinds_accepted, missing_columns_message
from defectradar.ingest.reading import RawBatch, read_json_lines, read_parquet


@dataclass
class Sample:
    """The first bytes of a file, decoded, for format detection."""

    path: Path
    head: bytes
    encoding: Encoding
    text: str
    is_excel: bool = False
    sheet: str | None = None          # the workbook sheet to read (--sheet), None for the first

    @property
    def is_parquet(self) -> bool:
        return self.head[:4] == b"PAR1"

    @property
    def first_char(self) -> str:
        stripped = self.text.lstrip()
        return stripped[:1]

    @property
    def is_empty(self) -> bool:
        return not self.is_parquet and not self.is_excel and not self.text.strip()

    def header(self, delimiter: str | None = None) -> list[str]:
        """Column names of a delimited sample (or of the first JSON object, or a sheet's header row)."""
        if self.is_excel:
            return excel.header(self.path, self.sheet)
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
    max_record_lines: int = 200
    sheet: str | None = None                            # workbook sheet (--sheet)
    # Hears the source bytes consumed as reading goes (progress before a batch is done).
    progress: Callable[[int], None] | None = None


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
    # Region of phone numbers written without a country code (NHTSA's are American).
    default_phone_region: str | None = None
    # One record per several rows (the NHTSA flat file: a row per complaint and component):
    # a stored report that a later file's rows add components or a safety flag to takes them in.
    merges_rows: bool = False


@dataclass(frozen=True)
class ContainerReader:
    """Reads one container (delimited text, JSON, Parquet, an Excel workbook) into raw batches.

    ``read(sample, options)`` yields :class:`~defectradar.ingest.reading.RawBatch` objects of
    string columns named as in the file; :func:`read_tabular` renames them to our fields.
    """

    name: str
    read: Callable[[Sample, ReadOptions], Iterator[RawBatch]]
    header: str = "line 1"          # where the column names are, as a missing-columns message says it
    # A file of one line has a header and no rows, or one row of data and no header: only the
    # header check tells them apart (the row must not pass silently as 0 rows read).  For a
    # container that can hold either, this gives the columns of a file that gave no batch
    # (None: nothing to check).
    lone_header: Callable[[Sample, ReadOptions], list[str] | None] | None = None


#: The registered formats by name: a live view of the one registry (read it as a dict).
FORMATS: Mapping[str, SourceFormat] = registry.KindView("formats")
#: The registered container readers by name.
READERS: Mapping[str, ContainerReader] = registry.KindView("readers")

# The modules of the built-in formats.  Each declares its formats with builtin_format when
# imported; register_builtins imports them and registers what they declared (the registry's
# built-ins load the way a plugin's entry point does).
BUILTIN_FORMAT_MODULES = (
    "defectradar.ingest.generic",
    "defectradar.ingest.nhtsa",
    "defectradar.ingest.nhtsa_recalls",
    "defectradar.ingest.weibo",
    "defectradar.ingest.announcements",
)
_BUILTIN_FORMATS: dict[str, SourceFormat] = {}


def register_format(fmt: SourceFormat, *, replace: bool = False) -> SourceFormat:
    """Register ``fmt`` under its name (``ingest --type NAME``) in the process's registry and
    return it (as ``registry.register("formats", fmt.name, fmt)``)."""
    if not isinstance(fmt, SourceFormat):
        raise InputError(f"register_format takes a SourceFormat, not {type(fmt).__name__}")
    return registry.register("formats", fmt.name, fmt, replace=replace)


def builtin_format(fmt: SourceFormat) -> SourceFormat:
    """Declare a built-in format (for the modules of :data:`BUILTIN_FORMAT_MODULES` only):
    :func:`register_builtins` registers it into whichever registry loads the built-ins.  The
    built-in modules cannot register as they are imported, since loading the registry imports
    them."""
    if not isinstance(fmt, SourceFormat):
        raise InputError(f"builtin_format takes a SourceFormat, not {type(fmt).__name__}")
    if _BUILTIN_FORMATS.get(fmt.name, fmt) is not fmt:
        raise ValueError(f"built-in format {fmt.name!r} is declared twice")
    _BUILTIN_FORMATS[fmt.name] = fmt
    return fmt


def register_builtins(reg: registry.Registry) -> None:
    """Register the built-in container readers and source formats in ``reg``."""
    for reader in _BUILTIN_READERS:
        reg.register("readers", reader.name, reader)
    for module in BUILTIN_FORMAT_MODULES:
        import_module(module)
    for fmt in _BUILTIN_FORMATS.values():
        reg.register("formats", fmt.name, fmt)


# A first line longer than the sample is read to its end, up to this, so a delimited file's
# header is never cut (a longer "line" is no header: a JSON document, or binary data).
_LONGEST_FIRST_LINE = 16 << 20


def take_sample(path: Path, encoding_name: str | None = None, sheet: str | None = None) -> Sample:
    head = read_sample(path)
    if excel.is_workbook(path, head):
        return Sample(path, head, Encoding("binary", 0), "", is_excel=True, sheet=sheet)
    if sheet is not None:
        raise InputError(f"--sheet {sheet!r}: {path.name} is not an Excel workbook (.xlsx); --sheet is for those")
    if head.startswith(excel.LEGACY_MAGIC):
        raise UnknownFormatError(f"{path}: an old Excel .xls (or another OLE) file, which defectradar cannot read; "
                                 "open it in Excel and save it as .xlsx, or export the sheet as CSV")
    if len(head) == SAMPLE_BYTES and b"\n" not in head and b"\r" not in head:
        longer = read_sample(path, _LONGEST_FIRST_LINE)
        end = min((i for i in (longer.find(b"\n"), longer.find(b"\r")) if i >= 0), default=-1)
        if end >= 0:
            head = longer[:end + SAMPLE_BYTES]
    try:
        encoding = encoding_by_name(encoding_name) if encoding_name else (
            Encoding("binary", 0) if head[:4] == b"PAR1" else detect_encoding(head, complete=len(head) < SAMPLE_BYTES))
    except UnknownFormatError as exc:
        raise UnknownFormatError(f"{path}: {exc}") from None
    if encoding.name == "binary":
        return Sample(path, head, encoding, "")
    decoder = codecs.getincrementaldecoder(encoding.name)(errors="replace")
    text = decoder.decode(head[encoding.bom_bytes:], final=len(head) < SAMPLE_BYTES)
    return Sample(path, head, encoding, text)


def detect_format(sample: Sample) -> SourceFormat:
    """The registered format that scores highest on ``sample``."""
    formats = registry.default().entries("formats")
    scored = sorted(((fmt.sniff(sample), fmt.name) for fmt in formats.values()), reverse=True)
    if not scored or scored[0][0] <= 0:
        raise UnknownFormatError(
            f"{sample.path}: cannot tell what kind of file this is; pass --type ({kinds_accepted()})"
        )
    return formats[scored[0][1]]


def get_format(name: str) -> SourceFormat:
    """The registered format ``name`` (``ingest --type NAME``)."""
    fmt = registry.default().find("formats", name)
    if fmt is None:
        raise UnknownFormatError(f"unknown --type {name!r}; choose one of auto, "
                                 f"{', '.join(registry.names('formats'))}")
    return fmt


# -- tabular containers shared by csv / jsonl / parquet / service-records / sales --------------

def container_of(sample: Sample) -> str:
    if sample.is_excel:
        return "excel"
    if sample.is_parquet:
        return "parquet"
    if sample.first_char in ("{", "["):
        return "json"
    return "delimited"


def read_tabular(sample: Sample, options: ReadOptions, fields: tuple[Field, ...],
                 container: str | None = None) -> Iterator[RawBatch]:
    """Read a tabular container (``container``, else the one the content shows) and rename its
    columns to ``fields`` (explicit map first).  A workbook is read as one whatever the type
    names (``--type csv`` on a .xlsx means complaints in it)."""
    kind = "excel" if sample.is_excel else container or container_of(sample)
    reader: ContainerReader = registry.get("readers", kind)
    header = reader.header
    resolved: dict[str, str] | None = None
    for batch in reader.read(sample, options):
        if resolved is None:
            columns = [c for c in batch.table.column_names if c != "_row"]
            if not columns and batch.table.num_rows == 0:
                yield batch
                continue
            try:
                resolved = resolve_columns(columns, fields, options.mapping, str(sample.path))
            except MissingColumnsError as exc:
                raise UnknownFormatError(missing_columns_message(exc, _kind_of(fields), header, batch.table)) from None
        present = {k: v for k, v in resolved.items() if v in batch.table.column_names}
        table, _ = apply_mapping(batch.table, present)
        yield replace(batch, table=table, rejections=[_renamed(r, resolved) for r in batch.rejections])
    columns = reader.lone_header(sample, options) if resolved is None and reader.lone_header else None
    if columns is not None:
        try:
            resolve_columns(columns, fields, options.mapping, str(sample.path))
        except MissingColumnsError as exc:
            raise UnknownFormatError(missing_columns_message(exc, _kind_of(fields), header)) from None


def _read_excel(sample: Sample, options: ReadOptions) -> Iterator[RawBatch]:
    return excel.read_excel(sample.path, options.batch_rows, options.sheet, options.progress)


def _read_parquet(sample: Sample, options: ReadOptions) -> Iterator[RawBatch]:
    return read_parquet(sample.path, options.batch_rows, options.progress)


def _read_json(sample: Sample, options: ReadOptions) -> Iterator[RawBatch]:
    return read_json_lines(sample.path, sample.encoding, options.batch_rows, options.progress)


def _read_delimited(sample: Sample, options: ReadOptions) -> Iterator[RawBatch]:
    dialect = sniff_dialect(sample.text, options.delimiter)
    if not sample.text.strip():
        return          # an empty file: no rows, and no header to find fault with
    yield from read_delimited(sample.path, sample.encoding, dialect, options.batch_rows,
                              options.max_record_lines, on_bytes=options.progress)


def _delimited_header(sample: Sample, options: ReadOptions) -> list[str] | None:
    return sample.header(options.delimiter) if sample.text.strip() else None


def _excel_header(sample: Sample, options: ReadOptions) -> list[str] | None:
    return sample.header(options.delimiter)


_BUILTIN_READERS = (
    ContainerReader("delimited", _read_delimited, lone_header=_delimited_header),
    ContainerReader("json", _read_json, header="first object"),
    ContainerReader("parquet", _read_parquet),
    ContainerReader("excel", _read_excel, header="its first row", lone_header=_excel_header),
)


def _kind_of(fields: tuple[Field, ...]) -> str:
    from defectradar.ingest.fields import REPORT_FIELDS, SALES_FIELDS, SERVICE_FIELDS

    return {REPORT_FIELDS: "complaints", SERVICE_FIELDS: "service records", SALES_FIELDS: "sales"}.get(
        fields, "this type")


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
    if any(d in lines[0] for d in ",\t;|"):
        return True
    try:
        csv.Sniffer().sniff("\n".join(lines), delimiters=",\t;|")
        return True
    except csv.Error:
        return False


def first_record_fields(sample: Sample, delimiter: str) -> list[str]:
    line = sample.text.splitlines()[0] if sample.text else ""
    return next(csv.reader(io.StringIO(line), delimiter=delimiter, quoting=csv.QUOTE_NONE), [])
