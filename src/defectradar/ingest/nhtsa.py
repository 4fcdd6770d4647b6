"""The NHTSA ODI complaints flat file (FLAT_CMPL.txt).

Tab-delimited, no header, never quoted, one row per complaint *and component*: the rows of
one complaint (same ODINO) are merged into one report whose ``components`` lists every
COMPDESC.  Field order follows NHTSA's import instructions (CMPL.txt); newer files add fields
at the end, which are kept in ``extra`` by position.

Mapping: ODINO -> source_id; LDATE (date received; DATEA when blank) -> created_at; CDESCR ->
text; MAKETXT + MODELTXT -> product; STATE -> region; VIN -> device token; crash, fire,
injuries or deaths -> severity ``safety``.  The other fields go to ``extra`` (dealer name and
telephone as tokens).
"""

from __future__ import annotations

import json
from typing import Iterator

from defectradar.errors import UnreadableFileError
from defectradar.ingest.complaints import normalise_reports
from defectradar.ingest.delimited import Dialect, read_delimited
from defectradar.ingest.formats import (
    ReadOptions,
    Sample,
    SourceFormat,
    first_record_fields,
    register_format,
)
from defectradar.ingest.reading import ROW, RawBatch, Rejection, preview, rows_to_table

FIELDS = (
    "CMPLID", "ODINO", "MFR_NAME", "MAKETXT", "MODELTXT", "YEARTXT", "CRASH", "FAILDATE", "FIRE",
    "INJURED", "DEATHS", "COMPDESC", "CITY", "STATE", "VIN", "DATEA", "LDATE", "MILES", "OCCURENCES",
    "CDESCR", "CMPL_TYPE", "POLICE_RPT_YN", "PURCH_DT", "ORIG_OWNER_YN", "ANTI_BRAKES_YN",
    "CRUISE_CONT_YN", "NUM_CYLS", "DRIVE_TRAIN", "FUEL_SYS", "FUEL_TYPE", "TRANS_TYPE", "VEH_SPEED",
    "DOT", "TIRE_SIZE", "LOC_OF_TIRE", "TIRE_FAIL_TYPE", "ORIG_EQUIP_YN", "MANUF_DT", "SEAT_TYPE",
    "RESTRAINT_TYPE", "DEALER_NAME", "DEALER_TEL", "DEALER_CITY", "DEALER_STATE", "DEALER_ZIP",
    "PROD_TYPE", "REPAIRED_YN", "MEDICAL_ATTN", "VEHICLES_TOWED_YN",
)
MIN_FIELDS = 20  # up to CDESCR
_EXTRA = ("MFR_NAME", "YEARTXT", "CRASH", "FAILDATE", "FIRE", "INJURED", "DEATHS", "CITY", "DATEA",
          "MILES", "OCCURENCES", "CMPL_TYPE", "POLICE_RPT_YN", "PURCH_DT", "ORIG_OWNER_YN", "VEH_SPEED",
          "PROD_TYPE", "REPAIRED_YN", "MEDICAL_ATTN", "DEALER_NAME", "DEALER_TEL", "DEALER_STATE",
          "CMPLID")


def _names(count: int) -> list[str]:
    return [FIELDS[i] if i < len(FIELDS) else f"FIELD_{i + 1}" for i in range(count)]


def _merge(rows: list[dict]) -> dict:
    """One report from the rows of one ODINO (one row per component)."""
    first = rows[0]
    components = sorted({r["COMPDESC"].strip() for r in rows if (r.get("COMPDESC") or "").strip()})
    injured = max((int(r["INJURED"]) for r in rows if (r.get("INJURED") or "").strip().isdigit()), default=0)
    deaths = max((int(r["DEATHS"]) for r in rows if (r.get("DEATHS") or "").strip().isdigit()), default=0)
    unsafe = any(r.get("CRASH") == "Y" or r.get("FIRE") == "Y" for r in rows) or injured or deaths
    make, model = (first.get("MAKETXT") or "").strip(), (first.get("MODELTXT") or "").strip()
    record = {
        "source_id": (first.get("ODINO") or "").strip() or None,
        "created_at": (first.get("LDATE") or "").strip() or (first.get("DATEA") or "").strip() or None,
        "text": first.get("CDESCR"),
        "product": f"{make} {model}".strip() or None,
        "region": (first.get("STATE") or "").strip() or None,
        "device_id": (first.get("VIN") or "").strip() or None,
        "components": json.dumps(components, ensure_ascii=False) if components else None,
        "source_severity": "safety" if unsafe else None,
    }
    for name in _EXTRA:
        value = (first.get(name) or "").strip()
        if value:
            record[f"extra:{name.lower()}"] = value
    for name, value in first.items():
        if name.startswith("FIELD_") and value and value.strip():
            record[f"extra:{name.lower()}"] = value.strip()
    return record


def read_nhtsa(sample: Sample, options: ReadOptions) -> Iterator[RawBatch]:
    count = len(first_record_fields(sample, "\t"))
    if count < MIN_FIELDS:
        raise UnreadableFileError(f"{sample.path}: rows have {count} tab-separated fields; an NHTSA "
                                  f"complaints flat file has at least {MIN_FIELDS} (CMPLID ... CDESCR)")
    dialect = Dialect("\t", header=False, names=tuple(_names(count)), quoting=False)
    pending: list[dict] = []            # rows of the ODINO still being read
    pending_number = 0
    for batch in read_delimited(sample.path, sample.encoding, dialect, options.batch_rows,
                                options.max_record_lines):
        rejections = list(batch.rejections)
        merged, numbers = [], []
        columns = [c for c in batch.table.column_names if c != ROW]
        values = [batch.table.column(c).to_pylist() for c in columns]
        for row_number, *cells in zip(batch.table.column(ROW).to_pylist(), *values):
            row = dict(zip(columns, cells))
            if not (row.get("ODINO") or "").strip().isdigit():
                rejections.append(Rejection(row_number, "ODINO (field 2) is not a complaint number; "
                                            "is this an NHTSA complaints flat file?", preview("\t".join(c or "" for c in cells)), "ODINO"))
                continue
            if pending and row["ODINO"] != pending[0]["ODINO"]:
                merged.append(_merge(pending))
                numbers.append(pending_number)
                pending = []
            if not pending:
                pending_number = row_number
            pending.append(row)
        yield RawBatch(rows_to_table(merged, numbers), rejections, batch.bytes_done)
    if pending:
        yield RawBatch(rows_to_table([_merge(pending)], [pending_number]), [], sample.path.stat().st_size)


def sniff_nhtsa(sample: Sample) -> int:
    if sample.is_parquet or not sample.text:
        return 0
    fields = first_record_fields(sample, "\t")
    if len(fields) >= MIN_FIELDS and fields[1].strip().isdigit() and fields[0].strip().isdigit():
        return 85
    return 0


register_format(SourceFormat(
    name="nhtsa", target="reports",
    description="NHTSA ODI complaints flat file (FLAT_CMPL: tab-separated, no header)",
    sniff=sniff_nhtsa, read=read_nhtsa, normalise=normalise_reports, default_source="nhtsa",
    default_timezone="America/New_York", default_phone_region="US"))
