"""Turning a batch of complaint-like records (any source) into ``reports`` rows.

Input: a :class:`RawBatch` whose columns carry our field names (see
:data:`~defectradar.ingest.fields.REPORT_FIELDS`), plus optional ``source_severity`` (a
reader's own finding) and ``extra:*`` columns; ``components`` may be text (split) or a list.
Severity and components follow :mod:`defectradar.ingest.source_labels`; a row without text
is kept when it has components (its text stays empty).  When the context has a classifier, the
understanding columns (product, failure modes, severity, repeats, data loss, language) are
filled by :mod:`defectradar.text.enrich`.  Everything is vectorised; Python sees only the rows
that may hold an identifier or have an unusual date.

``report_id`` is stable: md5 of source and the source's id; without an id, md5 of source,
the text with white space folded and case ignored, the time and the author token (and, for a
row without text, its components), so the same post exported twice gets the same id.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from defectradar.ingest.context import (
    IngestContext,
    Normalised,
    RowErrors,
    constant,
    extra_json,
)
from defectradar.ingest.fields import field_column, integer_column
from defectradar.ingest.reading import ROW, RawBatch
from defectradar.ingest.source_labels import components_column, severity_column
from defectradar.ingest.timeparse import datetime_column
from defectradar.text.enrich import enrich_reports

# C0 control characters other than tab, newline, vertical tab, form feed, carriage return:
# a sure sign of binary data in a text field.
_BINARY = r"[\x00-\x08\x0e-\x1f]"

REPORT_COLUMNS = (
    ("report_id", pa.string()), ("source", pa.string()), ("source_type", pa.string()),
    ("source_id", pa.string()), ("created_at", pa.timestamp("us")), ("author_token", pa.string()),
    ("title", pa.string()), ("text", pa.string()), ("lang", pa.string()),
    ("product_raw", pa.string()), ("product_id", pa.string()), ("product_brand", pa.string()),
    ("failure_modes", pa.list_(pa.string())), ("complaint_modes", pa.list_(pa.string())),
    ("components", pa.list_(pa.string())), ("severity", pa.string()), ("source_severity", pa.string()), ("repeat_repairs", pa.int32()),
    ("data_loss", pa.bool_()), ("product_confidence", pa.float64()), ("author_is_owner", pa.bool_()),
    ("engagement", pa.int64()), ("region", pa.string()), ("device_token", pa.string()),
    ("url", pa.string()), ("extra", pa.string()), ("label_source", pa.string()),
    ("confidence", pa.float64()), ("labels", pa.string()), ("classifier", pa.string()),
    ("ingest_run", pa.string()), ("ingested_at", pa.timestamp("us")), ("repost_of", pa.string()),
)

_REPORT_ID_SQL = """
SELECT CASE WHEN source_id IS NOT NULL THEN md5(source || chr(31) || source_id)
            ELSE md5(source || chr(31) || lower(regexp_replace(trim(text), '\\s+', ' ', 'g'))
                     -- a row without text is told apart by its components (texts' ids are unchanged)
                     || CASE WHEN text = '' THEN chr(30) || coalesce(array_to_string(components, ';'), '') ELSE '' END
                     || chr(31)
                     || coalesce(strftime(created_at, '%Y-%m-%dT%H:%M:%S'), '') || chr(31)
                     || coalesce(author_token, ''))
       END AS report_id
FROM batch
"""



def _nulls(n: int, kind: pa.DataType = pa.string()) -> pa.Array:
    return pa.nulls(n, kind)


def normalise_reports(batch: RawBatch, ctx: IngestContext) -> Normalised:
    table = batch.table
    n = table.num_rows
    errors = RowErrors(batch)
    limit = ctx.settings.max_text_chars

    text = field_column(table, "text")
    title = field_column(table, "title")
    if text is None:
        text = title if title is not None else _nulls(n)
    elif title is not None:
        text = pc.coalesce(text, title)
    # A row without text is kept when it carries the source's own labels (NHTSA API exports
    # have components and flags but no narrative); its text stays empty, never invented.
    components = components_column(table.column("components") if "components" in table.column_names else None, n)
    if "components" in table.column_names:
        errors.add_mask(pc.and_(pc.is_null(text), pc.is_null(components)), "text", "text and components are empty")
    else:
        errors.add_mask(pc.is_null(text), "text", "text is empty")
    lengths = pc.utf8_length(text)
    errors.add_mask(pc.greater(lengths, limit), "text",
                    lambda i: f"text is {lengths[i].as_py():,} characters, over the limit of {limit:,} "
                              "(raise DEFECTRADAR_MAX_TEXT_CHARS to accept it)")
    errors.add_mask(pc.match_substring_regex(text, _BINARY), "text",
                    "text holds control characters (binary data?)")
    if title is not None:
        errors.add_mask(pc.greater(pc.utf8_length(title), limit), "title", f"title is over {limit:,} characters")
    source_severity = severity_column(table, errors)

    created_raw = field_column(table, "created_at")
    if created_raw is not None:
        created, date_errors = datetime_column(created_raw, ctx.timezone, ctx.now, ctx.date_order)
        errors.add(date_errors, "created_at")
    else:
        created = _nulls(n, pa.timestamp("us"))

    engagement = _nulls(n, pa.int64())
    for name in ("engagement", "likes", "reposts", "comments"):
        raw = field_column(table, name)
        if raw is None:
            continue
        numbers, bad = integer_column(raw, name)
        errors.add(bad, name)
        if name == "engagement":
            engagement = numbers
        else:
            engagement = pc.if_else(pc.and_(pc.is_null(engagement), pc.is_null(numbers)), engagement,
                                    pc.add(pc.fill_null(engagement, 0), pc.fill_null(numbers, 0)))

    keep = errors.keep_mask()
    rejections = errors.rejections(ctx.pseudonymiser)
    if not pc.any(keep).as_py():
        return Normalised({"reports": _empty()}, rejections)

    def kept(column: pa.Array | None, kind: pa.DataType = pa.string()) -> pa.Array:
        return pc.filter(column, keep) if column is not None else _nulls(int(pc.sum(keep).as_py()), kind)

    table = table.filter(keep)
    rows = table.num_rows
    p = ctx.pseudonymiser
    text = pc.fill_null(p.redact_column(kept(text)), "")
    title = p.redact_column(kept(title)) if title is not None else _nulls(rows)
    author = field_column(table, "author")
    author_token = p.token_column("user", author) if author is not None else _nulls(rows)
    device = field_column(table, "device_id")
    device_token = p.token_column("device", device) if device is not None else _nulls(rows)
    product = field_column(table, "product")
    product_id = ctx.product_ids(product, field_column(table, "brand"))   # catalog, else named:brand-model
    product_id = product_id if product_id is not None else _nulls(rows)
    source = field_column(table, "source")
    source = pc.fill_null(source, ctx.source) if source is not None else constant(ctx.source, rows, pa.string())
    source_id = field_column(table, "source_id")
    # Before the report id is made from it: an id may be a phone number, and an md5 of one is
    # no secret (every mobile number can be hashed in minutes).
    source_id = p.redact_record_ids(source_id) if source_id is not None else _nulls(rows)
    created = kept(created, pa.timestamp("us"))

    components = kept(components, pa.list_(pa.string()))
    ids = ctx.sql(_REPORT_ID_SQL, batch=pa.table({
        "source": source, "source_id": source_id, "text": text, "components": components,
        "created_at": created, "author_token": author_token}))["report_id"]
    reposted = field_column(table, "repost_of")
    if reposted is not None:   # the original's report id, made as its own row's would be
        reposted = p.redact_record_ids(reposted)
        reposted = ctx.sql("SELECT CASE WHEN original IS NOT NULL THEN md5(source || chr(31) || original) END AS id "
                           "FROM batch", batch=pa.table({"source": source, "original": reposted}))["id"]

    source_severity = kept(source_severity)
    brand = field_column(table, "brand")
    region = field_column(table, "region")
    url = field_column(table, "url")
    lang = field_column(table, "lang")
    ingested = constant(ctx.now, rows, pa.timestamp("us"))
    out = {
        "report_id": ids, "source": source, "source_type": constant(ctx.source_type, rows, pa.string()),
        "source_id": source_id, "created_at": created, "author_token": author_token, "title": title,
        "text": text, "lang": lang if lang is not None else _nulls(rows),
        "product_raw": product if product is not None else _nulls(rows), "product_id": product_id,
        "product_brand": brand if brand is not None else _nulls(rows),
        "failure_modes": _nulls(rows, pa.list_(pa.string())), "complaint_modes": _nulls(rows, pa.list_(pa.string())),
        "components": components,
        "severity": source_severity, "source_severity": source_severity,
        "repeat_repairs": _nulls(rows, pa.int32()), "data_loss": _nulls(rows, pa.bool_()),
        "product_confidence": pc.if_else(pc.is_valid(product_id), 1.0, pa.scalar(None, pa.float64())),
        "author_is_owner": _nulls(rows, pa.bool_()), "labels": _nulls(rows), "classifier": _nulls(rows),
        "engagement": kept(engagement, pa.int64()),
        "region": p.redact_column(region) if region is not None else _nulls(rows),
        "device_token": device_token, "url": p.redact_column(url) if url is not None else _nulls(rows),
        "extra": extra_json(table, p), "label_source": _nulls(rows),
        "confidence": _nulls(rows, pa.float64()),
        "ingest_run": constant(ctx.run_id, rows, pa.string()), "ingested_at": ingested,
        "repost_of": reposted if reposted is not None else _nulls(rows),
    }
    result = pa.table({name: out[name].cast(kind) for name, kind in REPORT_COLUMNS})
    if ctx.classifier is not None:
        result = enrich_reports(result, ctx.classifier)
    result = result.append_column(ROW, table.column(ROW))
    return Normalised({"reports": result}, rejections)


def _empty() -> pa.Table:
    table = pa.table({name: pa.array([], kind) for name, kind in REPORT_COLUMNS})
    return table.append_column(ROW, pa.array([], pa.int64()))
