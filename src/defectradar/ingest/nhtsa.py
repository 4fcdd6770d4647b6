"""The NHTSA ODI complaints flat file (FLAT_CMPL.txt).

Tab-delimited, no header, never quoted, one row per complaint *and component*: the rows of
one complaint (same ODINO) are merged into one report whose ``components`` lists every
COMPDESC, wherever the rows stand in the file (they need not be adjacent, nor in one batch).
Reading takes two passes, both vectorised with Arrow: the first gathers, per ODINO, its first
row, its components, its crash/fire/injury/death flags and a fingerprint of each narrative; the
second turns each ODINO's first row into its report and counts its other rows as *merged*
(``rows_merged``), so the run still accounts for every row of the file.  Old files give each
component row its own narrative: for those complaints only, a pass in between gathers every
distinct narrative, and the report's text holds them all, in file order.  Field order follows NHTSA's import instructions
(CMPL.txt); newer files add fields at the end, which are kept in ``extra`` by position.

Mapping: ODINO -> source_id; LDATE (date received; DATEA when blank) -> created_at; CDESCR ->
text (of the first row); MAKETXT + MODELTXT -> product, MAKETXT -> brand; STATE -> region;
VIN -> device token; crash, fire, injuries or deaths on any row -> severity ``safety``.  The
other fields go to ``extra`` (dealer name and telephone as tokens).
"""

from __future__ import annotations

from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from defectradar.errors import UnreadableFileError
from defectradar.ingest.complaints import normalise_reports
from defectradar.ingest.delimited import read_delimited
from defectradar.ingest.dialect import Dialect
from defectradar.ingest.fields import blank_to_null
from defectradar.ingest.formats import (
    ReadOptions,
    Sample,
    SourceFormat,
    builtin_format,
    first_record_fields,
)
from defectradar.ingest.reading import ROW, RawBatch, Rejection, preview

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


def _column(table: pa.Table, name: str) -> pa.Array:
    """A field of the flat file, trimmed, blanks as null (all null when rows are that short)."""
    if name not in table.column_names:
        return pa.nulls(table.num_rows, pa.string())
    return blank_to_null(table.column(name).combine_chunks())


def _odinos(table: pa.Table) -> tuple[pa.Array, pa.Array]:
    """Each row's ODINO (trimmed) and whether it is a complaint number at all."""
    odino = pc.utf8_trim_whitespace(table.column("ODINO").combine_chunks())
    return odino, pc.fill_null(pc.match_substring_regex(odino, r"^\d+$"), False)


def _unsafe(table: pa.Table) -> pa.Array:
    """Crash or fire flagged Y, or anyone injured or killed."""
    # Kleene "or": a blank flag (null) must not hide a Y beside it.
    flagged = pc.or_kleene(pc.equal(_column(table, "CRASH"), "Y"), pc.equal(_column(table, "FIRE"), "Y"))
    for name in ("INJURED", "DEATHS"):
        flagged = pc.or_kleene(flagged, pc.match_substring_regex(_column(table, name), r"^0*[1-9]\d*$"))
    return pc.fill_null(flagged, False)


def _complaints(batches: Iterator[RawBatch]) -> pa.Table:
    """First pass: per ODINO, its first row in the file, every component and whether anyone
    was hurt, over the whole file (a complaint's rows need not stand together)."""
    heads, pairs, narratives = [], [], []
    for batch in batches:
        table = batch.table
        odino, valid = _odinos(table)
        part = pa.table({"odino": odino, "row": table.column(ROW), "unsafe": _unsafe(table),
                         "component": _column(table, "COMPDESC"), "text": _column(table, "CDESCR")}).filter(valid)
        heads.append(part.group_by("odino").aggregate([("row", "min"), ("unsafe", "any")]))
        named = part.filter(pc.is_valid(part.column("component")))
        pairs.append(named.select(["odino", "component"]).group_by(["odino", "component"]).aggregate([]))
        narratives.append(_fingerprints(part))
    if not heads:
        return pa.table({"odino": pa.array([], pa.string()), "first_row": pa.array([], pa.int64()),
                         "unsafe": pa.array([], pa.bool_()), "components": pa.array([], pa.list_(pa.string())),
                         "several_texts": pa.array([], pa.bool_())})
    head = (pa.concat_tables(heads).group_by("odino")
            .aggregate([("row_min", "min"), ("unsafe_any", "any")]))
    named = (pa.concat_tables(pairs).group_by(["odino", "component"]).aggregate([])
             .sort_by([("odino", "ascending"), ("component", "ascending")]))
    # Single-threaded grouping keeps the sorted order inside each list.
    lists = named.group_by("odino", use_threads=False).aggregate([("component", "list")])
    found = pc.index_in(head.column("odino"), value_set=lists.column("odino"))
    texts = (pa.concat_tables(narratives).group_by(["odino", "fingerprint"]).aggregate([])
             .group_by("odino").aggregate([("fingerprint", "count")]))
    several = texts.filter(pc.greater(texts.column("fingerprint_count"), 1)).column("odino")
    return pa.table({"odino": head.column("odino"), "first_row": head.column("row_min_min"),
                     "unsafe": head.column("unsafe_any_any"),
                     "components": pc.take(lists.column("component_list"), found),
                     "several_texts": pc.is_in(head.column("odino"), value_set=several)})


def _fingerprints(part: pa.Table) -> pa.Table:
    """(ODINO, fingerprint of a narrative) for each distinct narrative of the batch.  Old flat
    files give each component row of a complaint its own narrative; new ones repeat one.  Only a
    64-bit fingerprint crosses batches, so a 2-million-row file's texts are never all in memory."""
    distinct = part.select(["odino", "text"]).group_by(["odino", "text"]).aggregate([])
    prints = [hash(text) for text in distinct.column("text").to_pylist()]   # Arrow has no hash kernel
    return pa.table({"odino": distinct.column("odino"), "fingerprint": pa.array(prints, pa.int64())})


def _narratives(batches: Iterator[RawBatch], wanted: pa.Array) -> pa.Table:
    """Extra pass, only for complaints whose rows hold different narratives: each such
    complaint's distinct narratives in file order, joined by blank lines (none is dropped)."""
    parts = []
    for batch in batches:
        odino, valid = _odinos(batch.table)
        keep = pc.and_(valid, pc.is_in(odino, value_set=wanted))
        parts.append(pa.table({"odino": odino, "row": batch.table.column(ROW),
                               "text": _column(batch.table, "CDESCR")}).filter(keep))
    joined: dict[str, list[str]] = {}
    rows = pa.concat_tables(parts).sort_by("row") if parts else pa.table({"odino": [], "text": []})
    for odino, text in zip(rows.column("odino").to_pylist(), rows.column("text").to_pylist()):
        texts = joined.setdefault(odino, [])
        if text and text not in texts:
            texts.append(text)
    return pa.table({"odino": pa.array(list(joined), pa.string()),
                     "text": pa.array(["\n\n".join(t) or None for t in joined.values()], pa.string())})


def _reports(batch: RawBatch, complaints: pa.Table, narratives: pa.Table, bytes_done: int) -> RawBatch:
    """Second pass: the first row of each ODINO becomes its report (with every component of the
    complaint); its other rows are counted as merged into it."""
    table = batch.table
    odino, valid = _odinos(table)
    rejections = list(batch.rejections)
    if not pc.all(valid).as_py():
        columns = [c for c in table.column_names if c != ROW]
        bad = table.filter(pc.invert(valid))
        for number, cells in zip(bad.column(ROW).to_pylist(), bad.select(columns).to_pylist()):
            rejections.append(Rejection(number, "ODINO (field 2) is not a complaint number; is this an NHTSA "
                                        "complaints flat file?", preview("\t".join(c or "" for c in cells.values())),
                                        "ODINO", cells=cells))
        table, odino = table.filter(valid), pc.filter(odino, valid)
    found = pc.index_in(odino, value_set=complaints.column("odino"))
    if found.null_count:
        raise UnreadableFileError("the file changed while it was being read (a complaint number appeared "
                                  "between the two passes); ingest it again once it is complete")
    head = pc.equal(table.column(ROW), pc.take(complaints.column("first_row"), found))
    rows = table.filter(head)
    found = pc.filter(found, head)
    make, model = _column(rows, "MAKETXT"), _column(rows, "MODELTXT")
    product = blank_to_null(pc.binary_join_element_wise(pc.fill_null(make, ""), pc.fill_null(model, ""), " "))
    columns = {
        "source_id": pc.filter(odino, head),
        "created_at": pc.coalesce(_column(rows, "LDATE"), _column(rows, "DATEA")),
        "text": _text(rows, pc.filter(odino, head), narratives),
        "product": product,
        "brand": make,
        "region": _column(rows, "STATE"),
        "device_id": _column(rows, "VIN"),
        "components": pc.take(complaints.column("components"), found),
        "source_severity": pc.if_else(pc.take(complaints.column("unsafe"), found), "safety",
                                      pa.scalar(None, pa.string())),
    }
    for name in rows.column_names:
        if name in _EXTRA or name.startswith("FIELD_"):
            columns[f"extra:{name.lower()}"] = _column(rows, name)
    columns[ROW] = rows.column(ROW)
    merged = table.num_rows - rows.num_rows
    return RawBatch(pa.table(columns), rejections, bytes_done, merged=merged)


def _text(rows: pa.Table, odino: pa.Array, narratives: pa.Table) -> pa.Array:
    """The first row's narrative, or every narrative of a complaint whose rows differ."""
    text = rows.column("CDESCR").combine_chunks() if "CDESCR" in rows.column_names else pa.nulls(rows.num_rows,
                                                                                                  pa.string())
    if not narratives.num_rows:
        return text
    joined = pc.take(narratives.column("text"), pc.index_in(odino, value_set=narratives.column("odino")))
    return pc.coalesce(joined, text)


def read_nhtsa(sample: Sample, options: ReadOptions) -> Iterator[RawBatch]:
    """Two passes over the file: the complaints' components and flags, then one report each."""
    count = len(first_record_fields(sample, "\t"))
    if count < MIN_FIELDS:
        raise UnreadableFileError(f"{sample.path}: rows have {count} tab-separated fields; an NHTSA "
                                  f"complaints flat file has at least {MIN_FIELDS} (CMPLID ... CDESCR)")
    dialect = Dialect("\t", header=False, names=tuple(_names(count)), quoting=False)
    size = sample.path.stat().st_size
    report = options.progress

    def read(on_bytes):
        return read_delimited(sample.path, sample.encoding, dialect, options.batch_rows,
                              options.max_record_lines, on_bytes=on_bytes)

    # Progress: the first pass is the first half of the bytes, the second the other half.
    complaints = _complaints(read((lambda done: report(done // 2)) if report else None))
    several = complaints.filter(complaints.column("several_texts")).column("odino")
    narratives = (_narratives(read(None), several) if len(several)
                  else pa.table({"odino": pa.array([], pa.string()), "text": pa.array([], pa.string())}))
    for batch in read((lambda done: report((size + done) // 2)) if report else None):
        yield _reports(batch, complaints, narratives, (size + batch.bytes_done) // 2)


def sniff_nhtsa(sample: Sample) -> int:
    if sample.is_parquet or not sample.text:
        return 0
    fields = first_record_fields(sample, "\t")
    if len(fields) >= MIN_FIELDS and fields[1].strip().isdigit() and fields[0].strip().isdigit():
        return 85
    return 0


builtin_format(SourceFormat(
    name="nhtsa", target="reports",
    description="NHTSA ODI complaints flat file (FLAT_CMPL: tab-separated, no header)",
    sniff=sniff_nhtsa, read=read_nhtsa, normalise=normalise_reports, default_source="nhtsa",
    default_timezone="America/New_York", default_phone_region="US", merges_rows=True))
