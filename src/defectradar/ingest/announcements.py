"""Makers' announcements (``--type announcements``): a maker's own word on a fault, from a date.

A table with a header (CSV, TSV, JSON lines, Parquet or a workbook), one announcement per row:

==============  =====================================================================
``product``     the product as complaints name it (``Xiaomi 11``, ``FORD ESCAPE``); with
                ``brand`` beside it, the model alone (required)
``brand``       the maker (optional)
``mode``        the failure mode it concerns (``wifi``), blank or ``all`` for every mode
``component``   or the source's component (``ELECTRICAL SYSTEM``), read as a mode like
                complaints' components are
``date``        from when the issue is known (required)
``kind``        recall, service-campaign, exchange-programme, repair-programme,
                extended-warranty, software-update or statement (required)
``reference``   its number or address
``text``        what it says
==============  =====================================================================

The product is resolved exactly as a complaint's (catalog id, else ``named:<brand>-<model>``),
so the announcement meets the complaints about the same product.  ``announcement_id`` is the
md5 of the source, product, mode, component, date, kind and reference: re-ingesting adds nothing.
"""

from __future__ import annotations

from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from defectradar.ingest.context import IngestContext, Normalised, RowErrors, constant, extra_json
from defectradar.ingest.fields import Field, field_column
from defectradar.ingest.formats import ReadOptions, Sample, SourceFormat, builtin_format, columns_match, read_tabular
from defectradar.ingest.nhtsa_recalls import date_column
from defectradar.ingest.reading import ROW, RawBatch

KINDS = ("recall", "service-campaign", "exchange-programme", "repair-programme", "extended-warranty",
         "software-update", "statement")
# Other spellings of the kinds (US English, words apart).
_KIND_SYNONYMS = {"exchange-program": "exchange-programme", "repair-program": "repair-programme",
                  "service-program": "service-campaign", "service-programme": "service-campaign",
                  "campaign": "service-campaign", "warranty-extension": "extended-warranty",
                  "update": "software-update", "召回": "recall", "换机": "exchange-programme",
                  "声明": "statement", "延保": "extended-warranty"}
_ALL_MODES = ("all", "*", "any", "全部")

ANNOUNCEMENT_FIELDS = (
    Field("product", ("model", "product_name", "product_id", "device", "机型", "型号", "产品"), True,
          "the product as complaints name it"),
    Field("brand", ("make", "maker", "manufacturer", "品牌", "厂商"), False, "the maker"),
    Field("failure_mode", ("mode", "fault", "failure", "故障", "故障类型"), False,
          "failure mode (wifi); blank or all for every mode"),
    Field("component", ("components", "part", "部件"), False, "component as the source names it"),
    Field("date", ("valid_from", "effective_from", "announced", "announced_at", "published", "published_at",
                   "日期", "发布日期", "生效日期"), True, "from when the issue is known"),
    Field("kind", ("type", "announcement_kind", "类型"), True, ", ".join(KINDS)),
    Field("reference", ("ref", "campaign", "document", "url", "link", "编号", "链接"), False, "its number or address"),
    Field("text", ("summary", "description", "title", "statement", "内容", "说明"), False, "what it says"),
)

ANNOUNCEMENT_COLUMNS = (
    ("announcement_id", pa.string()), ("product_raw", pa.string()), ("brand", pa.string()),
    ("product_id", pa.string()), ("failure_mode", pa.string()), ("component", pa.string()), ("date", pa.date32()),
    ("kind", pa.string()), ("reference", pa.string()), ("text", pa.string()), ("extra", pa.string()),
    ("source", pa.string()), ("ingest_run", pa.string()), ("ingested_at", pa.timestamp("us")),
)

_ANNOUNCEMENT_ID_SQL = """
SELECT md5(concat_ws(chr(31), source, upper(coalesce(product_raw, '')), coalesce(failure_mode, ''),
                     upper(coalesce(component, '')), CAST(date AS VARCHAR), kind, coalesce(reference, '')))
       AS announcement_id
FROM batch
"""


def read_announcements(sample: Sample, options: ReadOptions) -> Iterator[RawBatch]:
    return read_tabular(sample, options, ANNOUNCEMENT_FIELDS)


def sniff_announcements(sample: Sample) -> int:
    """Only a header naming a kind and a reference beside the required columns: ``date`` and
    ``product`` alone are too common to claim a file by."""
    if sample.is_parquet:
        return 0
    try:
        header = [c.strip().lower() for c in sample.header()]
    except Exception:  # noqa: BLE001 - an unreadable header simply does not match
        return 0
    if "kind" in header and "reference" in header and columns_match(header, ANNOUNCEMENT_FIELDS):
        return 65
    return 0


def _kinds(column: pa.Array) -> tuple[pa.Array, dict[int, str]]:
    """``Exchange programme`` -> ``exchange-programme``; unknown kinds are refused by row index."""
    folded = pc.utf8_lower(pc.replace_substring_regex(pc.utf8_trim_whitespace(column), r"[\s_]+", "-"))
    distinct = pc.unique(folded)
    mapped = [None if v is None else _KIND_SYNONYMS.get(v, v) for v in distinct.to_pylist()]
    kinds = pc.take(pa.array(mapped, pa.string()), pc.index_in(folded, value_set=distinct))
    errors = {}
    bad = pc.fill_null(pc.invert(pc.is_in(kinds, value_set=pa.array(KINDS))), False)
    for index in pc.indices_nonzero(bad).to_pylist():
        errors[index] = (f"kind {column[index].as_py()!r} is not one of {', '.join(KINDS)}; write one of them "
                         "(or map yours with --value-map kind:YOURS=recall)")
    return kinds, errors


def _modes(column: pa.Array | None, n: int) -> pa.Array:
    """Failure-mode ids as written (lower case, trimmed); blank or ``all`` is every mode (null)."""
    if column is None:
        return pa.nulls(n, pa.string())
    modes = pc.utf8_lower(column)
    return pc.if_else(pc.is_in(modes, value_set=pa.array(_ALL_MODES)), pa.scalar(None, pa.string()), modes)


def normalise_announcements(batch: RawBatch, ctx: IngestContext) -> Normalised:
    table = batch.table
    n = table.num_rows
    errors = RowErrors(batch)
    product = field_column(table, "product")
    errors.add_mask(pc.is_null(product) if product is not None else pa.repeat(pa.scalar(True), n), "product",
                    "product is empty: name the product the announcement is about, as complaints name it")
    day, bad = date_column(errors.require(field_column(table, "date"), "date"), "date", ctx, n,
                           latest_days=3660)   # a programme may be announced ahead of its start
    errors.add(bad, "date")
    kind_raw = errors.require(field_column(table, "kind"), "kind")
    kinds, bad = _kinds(kind_raw)
    errors.add(bad, "kind")

    keep = errors.keep_mask()
    rejections = errors.rejections(ctx.pseudonymiser)
    table = table.filter(keep)
    rows = table.num_rows

    def text(name: str) -> pa.Array:
        column = field_column(table, name)
        return column if column is not None else pa.nulls(rows, pa.string())

    p = ctx.pseudonymiser
    product, brand = text("product"), field_column(table, "brand")
    values = {
        "product_raw": product, "brand": brand if brand is not None else pa.nulls(rows, pa.string()),
        "product_id": ctx.product_ids(product, brand) if rows else pa.nulls(0, pa.string()),
        "failure_mode": _modes(field_column(table, "failure_mode"), rows), "component": text("component"),
        "date": pc.filter(day, keep), "kind": pc.filter(kinds, keep), "reference": p.redact_column(text("reference")),
        "text": p.redact_column(text("text")), "extra": extra_json(table, p),
        "source": constant(ctx.source, rows, pa.string()),
        "ingest_run": constant(ctx.run_id, rows, pa.string()),
        "ingested_at": constant(ctx.now, rows, pa.timestamp("us")),
    }
    values["announcement_id"] = ctx.sql(_ANNOUNCEMENT_ID_SQL, batch=pa.table(
        {k: values[k] for k in ("source", "product_raw", "failure_mode", "component", "date", "kind", "reference")}
    ))["announcement_id"]
    result = pa.table({name: values[name].cast(kind) for name, kind in ANNOUNCEMENT_COLUMNS})
    return Normalised({"announcements": result.append_column(ROW, table.column(ROW))}, rejections)


builtin_format(SourceFormat(
    name="announcements", target="announcements",
    description="makers' announcements of known issues: product (or brand + model), mode or component, date, "
                "kind (recall, service-campaign, exchange-programme, statement ...), reference, text",
    sniff=sniff_announcements, read=read_announcements, normalise=normalise_announcements,
    default_source="announcements"))
