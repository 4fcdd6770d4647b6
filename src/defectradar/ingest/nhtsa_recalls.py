"""NHTSA recalls (``--type nhtsa-recalls``): the flat file FLAT_RCL, or a CSV of the recalls API.

One stored row per campaign x make x model x model year (table ``recalls``), the unit NHTSA's
files already use.  Two shapes are read:

* **the flat file** (FLAT_RCL.txt): tab-separated, no header, never quoted, in the field order
  of NHTSA's import instructions (RCL.txt): RECORD_ID, CAMPNO, MAKETXT, MODELTXT, YEARTXT,
  MFGCAMPNO, COMPNAME, MFGNAME, BGMAN, ENDMAN, RCLTYPECD, POTAFF, ODATE, INFLUENCED_BY, MFGTXT,
  RCDATE, DATEA, RPNO, FMVSS, DESC_DEFECT, CONEQUENCE_DEFECT, CORRECTIVE_ACTION, NOTES,
  RCL_CMPT_ID, MFR_COMP_NAME, MFR_COMP_DESC, MFR_COMP_PTNO (older files stop after NOTES or
  RCL_CMPT_ID; fields beyond the list are kept in ``extra`` by position);
* **a CSV** with a header, such as the recalls API gives: ``campaign`` (or
  ``NHTSACampaignNumber``), ``make``, ``model``, ``model_year``, ``component``,
  ``report_received_date`` (or ``report_date_iso``, ``ReportReceivedDate``), ``summary``,
  ``consequence``, ``remedy``, ... (:data:`RECALL_FIELDS` lists every name understood).

Mapping: campaign -> ``campaign``; make + model -> ``product_raw`` and ``product_id``, resolved
exactly as a complaint's (:meth:`IngestContext.product_ids`: the catalog's id, else
``named:<make>-<model>``), so a recall of FORD ESCAPE meets the complaints about FORD ESCAPE;
model year 9999 (NHTSA's "unknown", equipment) -> NULL; COMPNAME -> ``component`` and its first
level (before ``:``) -> ``component_top``; RCDATE (report received; DATEA when blank) ->
``report_date``, the day the recall is known from; ODATE -> ``notification_date``.

A row is quarantined when its campaign is not an NHTSA campaign number, its make or model is
empty, it has no report date, or a date, model year or count cannot be read.
``recall_id`` is the md5 of campaign, make, model and model year (upper case), so re-ingesting a
file, or the same recall from another file, adds nothing.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from defectradar.errors import InputError
from defectradar.ingest.context import IngestContext, Normalised, RowErrors, constant, extra_json
from defectradar.ingest.delimited import read_delimited
from defectradar.ingest.dialect import Dialect
from defectradar.ingest.fields import Field, field_column, integer_column
from defectradar.ingest.formats import (
    ReadOptions,
    Sample,
    SourceFormat,
    builtin_format,
    columns_match,
    first_record_fields,
    read_tabular,
)
from defectradar.ingest.generic import _columns  # header reading shared with the generic tables
from defectradar.ingest.reading import ROW, RawBatch
from defectradar.ingest.timeparse import DateError, parse_date

FLAT_FIELDS = (
    "RECORD_ID", "CAMPNO", "MAKETXT", "MODELTXT", "YEARTXT", "MFGCAMPNO", "COMPNAME", "MFGNAME", "BGMAN",
    "ENDMAN", "RCLTYPECD", "POTAFF", "ODATE", "INFLUENCED_BY", "MFGTXT", "RCDATE", "DATEA", "RPNO", "FMVSS",
    "DESC_DEFECT", "CONEQUENCE_DEFECT", "CORRECTIVE_ACTION", "NOTES", "RCL_CMPT_ID", "MFR_COMP_NAME",
    "MFR_COMP_DESC", "MFR_COMP_PTNO",
)
MIN_FLAT_FIELDS = 20      # up to DESC_DEFECT
# Flat-file field -> our field; the others go to ``extra``.
_FLAT_MAP = {
    "CAMPNO": "campaign", "MAKETXT": "brand", "MODELTXT": "product", "YEARTXT": "model_year",
    "MFGCAMPNO": "mfr_campaign", "COMPNAME": "component", "MFGNAME": "manufacturer", "RCLTYPECD": "recall_type",
    "POTAFF": "potentially_affected", "ODATE": "notification_date", "RCDATE": "report_date", "DATEA": "added_date",
    "DESC_DEFECT": "summary", "CONEQUENCE_DEFECT": "consequence", "CORRECTIVE_ACTION": "remedy", "NOTES": "notes",
}

# Our fields and the names files give them (make/model are ``brand``/``product``, as for
# complaints, so both are joined the same way before the product is resolved).
RECALL_FIELDS = (
    Field("campaign", ("nhtsacampaignnumber", "campno", "campaign_number", "campaign_no", "recall_campaign",
                       "nhtsa_campaign"), True, "NHTSA campaign number, e.g. 02V288000"),
    Field("brand", ("make", "maketxt"), True, "make, as complaints name it (FORD)"),
    Field("product", ("model", "modeltxt"), True, "model, as complaints name it (ESCAPE)"),
    Field("model_year", ("modelyear", "yeartxt", "year"), False, "model year; blank or 9999 when unknown"),
    Field("component", ("compname", "components"), False, "NHTSA component (ELECTRICAL SYSTEM:BATTERY)"),
    # The ISO column first: the API's ReportReceivedDate is written day/month/year in some exports.
    Field("report_date", ("report_received_date", "report_date_iso", "reportreceiveddate", "rcdate",
                          "report_date_received", "date"), True,
          "the day NHTSA received the manufacturer's report: the day the recall is known from"),
    Field("added_date", ("datea", "date_added"), False, "the day the record was added (used when report_date is blank)"),
    Field("notification_date", ("odate", "owner_notification_date"), False, "owners notified"),
    Field("manufacturer", ("mfgname", "mfr_name", "manufacturer_name"), False, "manufacturer"),
    Field("mfr_campaign", ("mfgcampno", "manufacturer_campaign"), False, "the manufacturer's own campaign number"),
    Field("recall_type", ("rcltypecd",), False, "V vehicle, E equipment, T tire, C child seat"),
    Field("potentially_affected", ("potaff", "potentialnumberofunitsaffected", "potential_units_affected"),
          False, "units potentially affected"),
    Field("summary", ("desc_defect", "defect_summary", "description"), False, "the defect"),
    Field("consequence", ("conequence_defect", "consequence_defect", "consequence_summary"), False,
          "its consequence"),
    Field("remedy", ("corrective_action", "remedy_summary"), False, "the remedy"),
    Field("notes", (), False, "notes"),
)

RECALL_COLUMNS = (
    ("recall_id", pa.string()), ("campaign", pa.string()), ("make", pa.string()), ("model", pa.string()),
    ("model_year", pa.int32()), ("product_raw", pa.string()), ("product_id", pa.string()),
    ("component", pa.string()), ("component_top", pa.string()), ("report_date", pa.date32()),
    ("notification_date", pa.date32()), ("manufacturer", pa.string()), ("mfr_campaign", pa.string()),
    ("recall_type", pa.string()), ("potentially_affected", pa.int64()), ("summary", pa.string()),
    ("consequence", pa.string()), ("remedy", pa.string()), ("notes", pa.string()), ("extra", pa.string()),
    ("source", pa.string()), ("ingest_run", pa.string()), ("ingested_at", pa.timestamp("us")),
)

# Two digits (the year), the kind (V, E, T, C) and six more: digits, and letters since 2021 (21V00M000).
_CAMPAIGN_PATTERN = r"^\d{2}[A-Z][0-9A-Z]{6}$"
CAMPAIGN = re.compile(_CAMPAIGN_PATTERN)
_UNKNOWN_YEAR = 9999
# NHTSA's recall records start in 1966; later than a couple of days from now is a wrong column.
EARLIEST_RECALL = date(1966, 1, 1)
_MODEL = "model"          # the model as the file gives it, before brand and model are joined

_RECALL_ID_SQL = """
SELECT md5(concat_ws(chr(31), upper(campaign), upper(make), upper(coalesce(model, '')),
                     coalesce(CAST(model_year AS VARCHAR), ''))) AS recall_id
FROM batch
"""


# -- reading ----------------------------------------------------------------------------------

def _flat_names(count: int) -> list[str]:
    return [FLAT_FIELDS[i] if i < len(FLAT_FIELDS) else f"FIELD_{i + 1}" for i in range(count)]


def is_flat_file(sample: Sample) -> bool:
    """Tab-separated, at least up to DESC_DEFECT, a record number then a campaign number."""
    if sample.is_parquet or sample.is_excel or not sample.text:
        return False
    fields = first_record_fields(sample, "\t")
    return (len(fields) >= MIN_FLAT_FIELDS and fields[0].strip().isdigit()
            and bool(CAMPAIGN.match(fields[1].strip())))


def _flat_to_fields(table: pa.Table) -> pa.Table:
    """Flat-file field names to ours (the rest as ``extra:<name>``), plus the model as given."""
    names = [name if name == ROW else _FLAT_MAP.get(name, f"extra:{name.lower()}") for name in table.column_names]
    table = table.rename_columns(names)
    return _with_model(table)


def _with_model(table: pa.Table) -> pa.Table:
    """A copy of the model column: ``product`` becomes make + model before normalising."""
    if "product" not in table.column_names or _MODEL in table.column_names:
        return table
    return table.append_column(_MODEL, table.column("product"))


def _read_flat(sample: Sample, options: ReadOptions) -> Iterator[RawBatch]:
    count = len(first_record_fields(sample, "\t"))
    dialect = Dialect("\t", header=False, names=tuple(_flat_names(count)), quoting=False)
    for batch in read_delimited(sample.path, sample.encoding, dialect, options.batch_rows,
                                options.max_record_lines, on_bytes=options.progress):
        cells = [replace(r, cells={_FLAT_MAP.get(k, f"extra:{k.lower()}"): v for k, v in r.cells.items()})
                 if r.cells is not None else r for r in batch.rejections]
        yield replace(batch, table=_flat_to_fields(batch.table), rejections=cells)


def read_recalls(sample: Sample, options: ReadOptions) -> Iterator[RawBatch]:
    """The flat file when the content is one, else a table with a header (CSV, JSON lines,
    Parquet, a workbook) whose columns name :data:`RECALL_FIELDS`."""
    if is_flat_file(sample):
        if options.mapping:
            raise InputError("--map is for recall files with a header; the NHTSA flat file (FLAT_RCL) has "
                             "fixed fields, so leave --map out")
        yield from _read_flat(sample, options)
        return
    fields = first_record_fields(sample, "\t") if sample.text and not sample.is_excel else []
    if len(fields) >= MIN_FLAT_FIELDS and fields[0].strip().isdigit():
        raise InputError(f"{sample.path}: a tab-separated file without a header, but field 2 of its first row "
                         f"({fields[1].strip()[:20]!r}) is not an NHTSA campaign number (like 02V288000); is this "
                         "the recalls flat file FLAT_RCL.txt? (complaints, FLAT_CMPL, are --type nhtsa)")
    for batch in read_tabular(sample, options, RECALL_FIELDS):
        yield replace(batch, table=_with_model(batch.table))


def sniff_recalls(sample: Sample) -> int:
    if is_flat_file(sample):
        return 85
    return 70 if columns_match(_columns(sample), RECALL_FIELDS) else 0


# -- normalising ------------------------------------------------------------------------------

def date_column(column: pa.Array | None, field: str, ctx: IngestContext, n: int,
                earliest: date = EARLIEST_RECALL, latest_days: int = 2) -> tuple[pa.Array, dict[int, str]]:
    """Calendar dates (``20021106``, ``2002-11-06``, ``11/06/2002`` ...) and, by row index, the
    reason each unreadable or implausible one is refused (all null when the file lacks the
    column, ``n`` rows).  Distinct values only reach Python."""
    if column is None:
        return pa.nulls(n, pa.date32()), {}
    distinct = pc.unique(column)
    latest = ctx.now.date() + timedelta(days=latest_days)
    parsed, problems = [], {}
    for value in distinct.to_pylist():
        if value is None:
            parsed.append(None)
            continue
        try:
            day = parse_date(value, ctx.date_order)
            if not earliest <= day <= latest:
                raise DateError(f"is outside {earliest:%Y} to today")
            parsed.append(day)
        except DateError as exc:
            parsed.append(None)
            problems[value] = (f"{field} {value!r} cannot be read as a date ({exc}); write it as YYYY-MM-DD or "
                               "YYYYMMDD, or pass --date-order mdy|dmy for 03/04/2022")
    days = pc.take(pa.array(parsed, pa.date32()), pc.index_in(column, value_set=distinct))
    errors = {}
    if problems:
        for index, value in enumerate(column.to_pylist()):
            if value in problems:
                errors[index] = problems[value]
    return days, errors


def _model_years(column: pa.Array | None, n: int) -> tuple[pa.Array, dict[int, str]]:
    if column is None:
        return pa.nulls(n, pa.int32()), {}
    years, errors = integer_column(column, "model_year")
    errors = {i: f"{reason}; leave it blank when unknown (NHTSA writes 9999)" for i, reason in errors.items()}
    years = pc.if_else(pc.equal(years, _UNKNOWN_YEAR), pa.scalar(None, pa.int64()), years)
    wild = pc.fill_null(pc.or_(pc.less(years, 1900), pc.greater(years, date.today().year + 3)), False)
    for index in pc.indices_nonzero(wild).to_pylist():
        errors.setdefault(index, f"model_year {years[index].as_py()} is not a plausible model year; leave it blank "
                                 "when unknown")
    return years.cast(pa.int32()), errors


def component_top(component: pa.Array) -> pa.Array:
    """The first level of NHTSA components: ``ELECTRICAL SYSTEM:BATTERY:CABLES`` -> ``ELECTRICAL SYSTEM``."""
    top = pc.utf8_trim_whitespace(pc.replace_substring_regex(component, r":.*$", ""))
    return pc.if_else(pc.equal(top, ""), pa.scalar(None, pa.string()), top)


def normalise_recalls(batch: RawBatch, ctx: IngestContext) -> Normalised:
    table = batch.table
    n = table.num_rows
    errors = RowErrors(batch)
    campaign = errors.require(field_column(table, "campaign"), "campaign")
    campaign = pc.utf8_upper(campaign)
    errors.add_mask(pc.invert(pc.fill_null(pc.match_substring_regex(campaign, _CAMPAIGN_PATTERN), True)), "campaign",
                    lambda i: f"campaign {campaign[i].as_py()!r} is not an NHTSA campaign number (two digits, a "
                              "letter, six digits or letters, e.g. 02V288000); check the column --map names campaign")
    make = errors.require(field_column(table, "brand"), "make")
    model = errors.require(field_column(table, _MODEL) if _MODEL in table.column_names
                           else field_column(table, "product"), "model")
    years, bad = _model_years(field_column(table, "model_year"), n)
    errors.add(bad, "model_year")
    reported, bad = date_column(field_column(table, "report_date"), "report_date", ctx, n)
    errors.add(bad, "report_date")
    added, bad = date_column(field_column(table, "added_date"), "added_date", ctx, n)
    errors.add(bad, "added_date")
    notified, bad = date_column(field_column(table, "notification_date"), "notification_date", ctx, n,
                                latest_days=3660)    # owners may be told of a recall well ahead
    errors.add(bad, "notification_date")
    reported = pc.coalesce(reported, added)
    errors.add_mask(pc.is_null(reported), "report_date",
                    "report_date is empty (and no date added): the day the recall is known from is needed")
    affected_raw = field_column(table, "potentially_affected")
    affected = pa.nulls(n, pa.int64())
    if affected_raw is not None:
        affected, bad = integer_column(affected_raw, "potentially_affected")
        errors.add(bad, "potentially_affected")

    keep = errors.keep_mask()
    rejections = errors.rejections(ctx.pseudonymiser)
    table = table.filter(keep)
    rows = table.num_rows

    def kept(column: pa.Array, kind: pa.DataType = pa.string()) -> pa.Array:
        return pc.filter(column, keep).cast(kind)

    def text(name: str) -> pa.Array:
        column = field_column(table, name)
        return column if column is not None else pa.nulls(rows, pa.string())

    p = ctx.pseudonymiser
    product = field_column(table, "product")
    make_kept = kept(make)
    component = text("component")
    values = {
        "campaign": kept(campaign), "make": make_kept, "model": kept(model), "model_year": kept(years, pa.int32()),
        "product_raw": product if product is not None else pa.nulls(rows, pa.string()),
        "product_id": (ctx.product_ids(product, make_kept) if product is not None and rows
                       else pa.nulls(rows, pa.string())),
        "component": component, "component_top": component_top(component),
        "report_date": kept(reported, pa.date32()), "notification_date": kept(notified, pa.date32()),
        "manufacturer": text("manufacturer"), "mfr_campaign": text("mfr_campaign"),
        "recall_type": text("recall_type"), "potentially_affected": kept(affected, pa.int64()),
        "summary": p.redact_column(text("summary")), "consequence": p.redact_column(text("consequence")),
        "remedy": p.redact_column(text("remedy")), "notes": p.redact_column(text("notes")),
        "extra": extra_json(table, p),
        "source": constant(ctx.source, rows, pa.string()),
        "ingest_run": constant(ctx.run_id, rows, pa.string()),
        "ingested_at": constant(ctx.now, rows, pa.timestamp("us")),
    }
    values["recall_id"] = ctx.sql(_RECALL_ID_SQL, batch=pa.table(
        {k: values[k] for k in ("campaign", "make", "model", "model_year")}))["recall_id"]
    result = pa.table({name: values[name].cast(kind) for name, kind in RECALL_COLUMNS})
    return Normalised({"recalls": result.append_column(ROW, table.column(ROW))}, rejections)


builtin_format(SourceFormat(
    name="nhtsa-recalls", target="recalls",
    description="NHTSA recalls: the flat file FLAT_RCL (tab-separated, no header) or a CSV of the recalls API "
                "(campaign, make, model, model_year, component, report_received_date, summary ...)",
    sniff=sniff_recalls, read=read_recalls, normalise=normalise_recalls, default_source="nhtsa",
    default_timezone="America/New_York"))
