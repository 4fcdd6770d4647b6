"""After-sales service records to ``devices`` and ``service_events`` rows.

One input row is one event on one device.  The device's IMEI/serial becomes a token (the same
token a post quoting that IMEI gets), and the first record of a device also describes it
(product, purchase date, region, channel) in ``devices``.

``event_id``: md5 of source and the record's own id where the file has one (work order,
ticket), otherwise of the device token, date, action, fault, centre and parts, so
re-ingesting the same export adds nothing.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from defectradar.core.masking import shown
from defectradar.domain.records import SERVICE_ACTIONS, ServiceAction
from defectradar.ingest.context import (
    IngestContext,
    Normalised,
    RowErrors,
    constant,
    extra_json,
)
from defectradar.ingest.fields import (
    boolean_column,
    field_column,
    integer_column,
    list_column,
)
from defectradar.ingest.reading import ROW, RawBatch
from defectradar.ingest.timeparse import datetime_column
from defectradar.ingest.value_maps import fix_flag
from defectradar.text.enrich import fault_modes

EVENT_COLUMNS = (
    ("event_id", pa.string()), ("device_token", pa.string()), ("product_raw", pa.string()),
    ("product_id", pa.string()), ("date", pa.date32()), ("fault", pa.string()),
    ("failure_mode", pa.string()), ("action", pa.string()), ("parts", pa.list_(pa.string())),
    ("days_out_of_service", pa.int32()), ("data_wiped", pa.bool_()), ("center", pa.string()),
    ("region", pa.string()), ("source", pa.string()), ("source_id", pa.string()),
    ("extra", pa.string()), ("ingest_run", pa.string()), ("ingested_at", pa.timestamp("us")),
)
DEVICE_COLUMNS = (
    ("device_token", pa.string()), ("product_raw", pa.string()), ("product_id", pa.string()),
    ("purchase_date", pa.date32()), ("region", pa.string()), ("channel", pa.string()),
    ("source", pa.string()), ("ingest_run", pa.string()), ("ingested_at", pa.timestamp("us")),
)

# Fault texts that already name a failure mode of the built-in taxonomy.
FAILURE_MODE_IDS = ("wifi", "cellular", "other_radio", "motherboard", "screen_burn_in", "display",
                    "overheating", "battery", "charging", "camera", "audio", "software", "biometrics",
                    "build", "safety", "other_defect")

_EVENT_ID_SQL = """
SELECT CASE WHEN source_id IS NOT NULL THEN md5(source || chr(31) || source_id)
            ELSE md5(concat_ws(chr(31), source, device_token, strftime(date, '%Y-%m-%d'), action,
                               coalesce(fault, ''), coalesce(center, ''), coalesce(array_to_string(parts, ';'), '')))
       END AS event_id
FROM batch
"""



def _dates(column: pa.Array | None, field: str, ctx: IngestContext, errors: RowErrors, n: int) -> pa.Array:
    if column is None:
        return pa.nulls(n, pa.date32())
    stamps, bad = datetime_column(column, "UTC", ctx.now, ctx.date_order)
    errors.add(bad, field)
    return stamps.cast(pa.date32())


def _actions(column: pa.Array) -> tuple[pa.Array, dict[int, str]]:
    distinct = pc.unique(column)
    parsed = [None if v is None else ServiceAction.parse(v) for v in distinct.to_pylist()]
    values = pc.take(pa.array([a.value if a else None for a in parsed], pa.string()),
                     pc.index_in(column, value_set=distinct))
    errors = {}
    unknown = pc.and_(pc.is_valid(column), pc.is_null(values))
    if pc.any(unknown).as_py():
        reasons: dict[str, str] = {}     # per distinct value: a bad --map can refuse millions of rows
        for index, value in zip(pc.indices_nonzero(unknown).to_pylist(), pc.filter(column, unknown).to_pylist()):
            if value not in reasons:
                reasons[value] = (f"action {shown(value)} is not one of {', '.join(SERVICE_ACTIONS)} (or a known "
                                  f"synonym such as 维修, 换机, 退货); map it with "
                                  f"{fix_flag('action', value, 'inspect')} (or another action)")
            errors[index] = reasons[value]
    return values, errors


def normalise_service_records(batch: RawBatch, ctx: IngestContext) -> Normalised:
    table = batch.table
    n = table.num_rows
    errors = RowErrors(batch)

    device = errors.require(field_column(table, "device_id"), "device_id")
    event_date_raw = errors.require(field_column(table, "event_date"), "event_date")
    event_date = _dates(event_date_raw, "event_date", ctx, errors, n)
    purchase = _dates(field_column(table, "purchase_date"), "purchase_date", ctx, errors, n)
    errors.add_mask(pc.less(event_date, purchase), "event_date",
                    lambda i: f"event_date {event_date[i].as_py()} is before purchase_date {purchase[i].as_py()}")
    action_raw = errors.require(field_column(table, "action"), "action")
    action, bad = _actions(action_raw)
    errors.add(bad, "action")
    days = field_column(table, "days_out_of_service")
    if days is not None:
        days, bad = integer_column(days, "days_out_of_service")
        errors.add(bad, "days_out_of_service")
    wiped = field_column(table, "data_wiped")
    if wiped is not None:
        wiped, bad = boolean_column(wiped, "data_wiped")
        errors.add(bad, "data_wiped")

    keep = errors.keep_mask()
    rejections = errors.rejections(ctx.pseudonymiser)
    table = table.filter(keep)
    rows = table.num_rows

    def kept(column: pa.Array | None, kind: pa.DataType = pa.string()) -> pa.Array:
        return pc.filter(column, keep) if column is not None else pa.nulls(rows, kind)

    p = ctx.pseudonymiser
    tokens = p.token_column("device", kept(device))
    product = field_column(table, "product")
    product_id = ctx.product_ids(product) if product is not None else pa.nulls(rows, pa.string())
    fault = field_column(table, "fault")
    fault = p.redact_column(fault) if fault is not None else pa.nulls(rows, pa.string())
    folded = pc.utf8_lower(fault)
    failure_mode = pc.if_else(pc.is_in(folded, value_set=pa.array(FAILURE_MODE_IDS)), folded,
                              pa.scalar(None, pa.string()))
    if ctx.classifier is not None:   # "WiFi无法打开", "主板烧毁" -> the mode the fault text names
        failure_mode = pc.coalesce(failure_mode, fault_modes(fault, ctx.classifier))
    parts = field_column(table, "parts")
    parts = list_column(parts) if parts is not None else pa.nulls(rows, pa.list_(pa.string()))
    center = field_column(table, "center")
    center = p.redact_column(center) if center is not None else pa.nulls(rows, pa.string())
    region = field_column(table, "region")
    channel = field_column(table, "channel")
    source_id = field_column(table, "event_id")
    source_id = p.redact_record_ids(source_id) if source_id is not None else None
    source = constant(ctx.source, rows, pa.string())
    date = kept(event_date, pa.date32())
    action = kept(action)
    ids = ctx.sql(_EVENT_ID_SQL, batch=pa.table({
        "source": source, "source_id": source_id if source_id is not None else pa.nulls(rows, pa.string()),
        "device_token": tokens, "date": date, "action": action, "fault": fault, "center": center,
        "parts": parts}))["event_id"]
    run = constant(ctx.run_id, rows, pa.string())
    now = constant(ctx.now, rows, pa.timestamp("us"))
    nulls = pa.nulls(rows, pa.string())
    events = {
        "event_id": ids, "device_token": tokens, "product_raw": product if product is not None else nulls,
        "product_id": product_id, "date": date, "fault": fault, "failure_mode": failure_mode,
        "action": action, "parts": parts, "days_out_of_service": kept(days, pa.int64()),
        "data_wiped": kept(wiped, pa.bool_()), "center": center,
        "region": region if region is not None else nulls, "source": source,
        "source_id": source_id if source_id is not None else nulls, "extra": extra_json(table, p),
        "ingest_run": run, "ingested_at": now,
    }
    events_table = pa.table({name: events[name].cast(kind) for name, kind in EVENT_COLUMNS})
    events_table = events_table.append_column(ROW, table.column(ROW))
    device_values = {
        "device_token": tokens, "product_raw": events["product_raw"], "product_id": product_id,
        "purchase_date": kept(purchase, pa.date32()), "region": events["region"],
        "channel": channel if channel is not None else nulls, "source": source, "ingest_run": run,
        "ingested_at": now,
    }
    devices = pa.table({name: device_values[name].cast(kind) for name, kind in DEVICE_COLUMNS})
    devices = devices.append_column(ROW, table.column(ROW))
    return Normalised({"service_events": events_table, "devices": devices}, rejections)
