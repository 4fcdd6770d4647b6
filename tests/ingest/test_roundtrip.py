"""Round trips: records written as CSV, JSON lines or Parquet come back from the store unchanged."""

from __future__ import annotations

import csv
import json
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from defectradar.config import load_settings
from defectradar.ingest.pipeline import ingest_file
from defectradar.ingest.pseudonymise import Pseudonymiser
from defectradar.store.connect import Store
from defectradar.store.keys import resolve_key

# Texts without anything the redactor would (rightly) replace: no digit runs, no '@', no
# control characters; inner white space and any script (CJK, emoji, accents) are fine.
_alphabet = st.characters(exclude_categories=("Cc", "Cs", "Nd", "Zl", "Zp"), exclude_characters="@＠\ufeff",
                          include_characters="\n\t\",;|")
texts = st.text(_alphabet, min_size=1, max_size=200).map(str.strip).filter(bool)
handles = st.text(st.characters(categories=("Ll", "Lu", "Lo")), min_size=1, max_size=12)
moments = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2025, 12, 31)).map(
    lambda d: d.replace(microsecond=0))
zones = st.sampled_from([timedelta(0), timedelta(hours=8), timedelta(hours=-5, minutes=-30)])
records = st.lists(st.fixed_dictionaries({
    "text": texts, "author": handles, "created": moments, "offset": zones,
    "product": st.sampled_from(["小米11", "iPhone 13", "Redmi Note 8", "something else"]),
}), min_size=1, max_size=25)


def _iso(record) -> str:
    return record["created"].replace(tzinfo=timezone(record["offset"])).isoformat()


def _write(kind: str, folder: Path, rows: list[dict]) -> Path:
    table = {"id": [f"r{i}" for i in range(len(rows))], "created_at": [_iso(r) for r in rows],
             "author": [r["author"] for r in rows], "product": [r["product"] for r in rows],
             "text": [r["text"] for r in rows]}
    if kind == "csv":
        path = folder / "data.csv"
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(table)
            writer.writerows(zip(*table.values()))
    elif kind == "jsonl":
        path = folder / "data.jsonl"
        path.write_text("".join(json.dumps(dict(zip(table, values)), ensure_ascii=False) + "\n"
                                for values in zip(*table.values())), encoding="utf-8")
    else:
        path = folder / "data.parquet"
        created = [r["created"].replace(tzinfo=timezone(r["offset"])) for r in rows]
        pq.write_table(pa.table({**table, "created_at": pa.array(created, pa.timestamp("s", tz="UTC"))}), path)
    return path


def _check(kind: str, rows: list[dict]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        settings = load_settings(db=str(folder / "s.duckdb"), key_dir=str(folder / "keys"))
        store = Store(settings.db, settings)
        result = ingest_file(store, _write(kind, folder, rows), source_type=kind)
        assert (result.rows_inserted, result.rows_quarantined) == (len(rows), 0)
        with store.reader() as con:
            stored = con.execute("SELECT source_id, created_at, author_token, product_raw, text FROM reports "
                                 "ORDER BY CAST(substr(source_id, 2) AS INTEGER)").fetchall()
        with store.writer() as con:
            tokens = Pseudonymiser(resolve_key(con, settings))
        for (source_id, created, author, product, text), (i, original) in zip(stored, enumerate(rows)):
            assert source_id == f"r{i}"
            assert text == original["text"]
            assert product == original["product"]
            assert created == original["created"] - original["offset"]          # UTC
            assert author == tokens.token("user", original["author"])


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records)
def test_csv_round_trip(rows):
    _check("csv", rows)


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records)
def test_jsonl_round_trip(rows):
    _check("jsonl", rows)


@hsettings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records)
def test_parquet_round_trip(rows):
    _check("parquet", rows)
