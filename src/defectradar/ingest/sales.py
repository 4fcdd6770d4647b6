"""Monthly sales (units per product, month and optionally region/channel) to ``sales`` rows.

Sales are the exposure behind every rate.  ``sales_id`` hashes the whole row, so an identical
re-ingest adds nothing while a corrected figure is appended; the ``sales_current`` view keeps
the latest figure per product, month, region and channel.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from defectradar.ingest.context import IngestContext, Normalised, RowErrors, constant
from defectradar.ingest.fields import field_column, integer_column
from defectradar.ingest.reading import ROW, RawBatch
from defectradar.ingest.timeparse import DateError, parse_month

SALES_COLUMNS = (
    ("sales_id", pa.string()), ("product_raw", pa.string()), ("product_id", pa.string()),
    ("month", pa.date32()), ("region", pa.string()), ("channel", pa.string()), ("units", pa.int64()),
    ("source", pa.string()), ("ingest_run", pa.string()), ("ingested_at", pa.timestamp("us")),
)

_SALES_ID_SQL = """
SELECT md5(concat_ws(chr(31), source, product_raw, strftime(month, '%Y-%m'), coalesce(region, ''),
                     coalesce(channel, ''), units::VARCHAR)) AS sales_id
FROM batch
"""



def _months(column: pa.Array, ctx: IngestContext) -> tuple[pa.Array, dict[int, str]]:
    distinct = pc.unique(column)
    parsed, problems = [], {}
    for value in distinct.to_pylist():
        if value is None:
            parsed.append(None)
            continue
        try:
            month = parse_month(value)
            if month.year < 1980 or month > ctx.now.date():
                raise DateError(f"{value!r} is outside 1980 to this month")
            parsed.append(month)
        except DateError as exc:
            parsed.append(None)
            problems[value] = str(exc)
    months = pc.take(pa.array(parsed, pa.date32()), pc.index_in(column, value_set=distinct))
    errors = {}
    if problems:
        for index, value in enumerate(column.to_pylist()):
            if value in problems:
                errors[index] = f"month {problems[value]}"
    return months, errors


def normalise_sales(batch: RawBatch, ctx: IngestContext) -> Normalised:
    table = batch.table
    errors = RowErrors(batch)
    product = errors.require(field_column(table, "product"), "product")
    month_raw = errors.require(field_column(table, "month"), "month")
    units_raw = errors.require(field_column(table, "units"), "units")
    month, bad = _months(month_raw, ctx)
    errors.add(bad, "month")
    units, bad = integer_column(units_raw, "units")
    errors.add(bad, "units")

    keep = errors.keep_mask()
    rejections = errors.rejections(ctx.pseudonymiser)
    table = table.filter(keep)
    rows = table.num_rows
    nulls = pa.nulls(rows, pa.string())
    product = pc.filter(product, keep) if product is not None else nulls
    region = field_column(table, "region")
    channel = field_column(table, "channel")
    values = {
        "product_raw": product, "product_id": ctx.product_ids(product),
        "month": pc.filter(month, keep), "region": region if region is not None else nulls,
        "channel": channel if channel is not None else nulls, "units": pc.filter(units, keep),
        "source": constant(ctx.source, rows, pa.string()),
        "ingest_run": constant(ctx.run_id, rows, pa.string()),
        "ingested_at": constant(ctx.now, rows, pa.timestamp("us")),
    }
    values["sales_id"] = ctx.sql(_SALES_ID_SQL, batch=pa.table(
        {k: values[k] for k in ("source", "product_raw", "month", "region", "channel", "units")}))["sales_id"]
    result = pa.table({name: values[name].cast(kind) for name, kind in SALES_COLUMNS})
    return Normalised({"sales": result.append_column(ROW, table.column(ROW))}, rejections)
