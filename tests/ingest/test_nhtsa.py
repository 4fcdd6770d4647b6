"""The NHTSA complaints flat file: tab-separated, no header, one row per component."""

from __future__ import annotations

import json

from conftest import shared_data
from defectradar.ingest.nhtsa import FIELDS
from defectradar.ingest.pipeline import ingest_file


def _row(**values) -> str:
    cells = [""] * 48
    for name, value in values.items():
        cells[FIELDS.index(name)] = value
    return "\t".join(cells)


def test_public_sample_merges_components_per_odino(store, query):
    """Reads the real 100-row sample of FLAT_CMPL (../shared/data/nhtsa-flat-file-sample)."""
    path = shared_data("nhtsa-flat-file-sample") / "complaints.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    odinos = {line.split("\t")[1] for line in lines}
    result = ingest_file(store, path)
    assert result.source_type == "nhtsa"
    assert result.rows_inserted == len(odinos)
    row = query("SELECT * FROM reports WHERE source_id = '958146'")[0]
    assert row["components"] == ["ELECTRICAL SYSTEM:IGNITION", "SERVICE BRAKES, HYDRAULIC:FOUNDATION COMPONENTS",
                                 "STEERING"]
    assert row["product_raw"] == "GMC SONOMA"
    assert str(row["created_at"]) == "1995-01-03 00:00:00"
    assert row["region"] == "AL"
    assert row["device_token"].startswith("dev_")
    assert "1GTCS19W3S8" not in json.dumps(row, default=str)
    crash = query("SELECT severity, source_severity FROM reports WHERE source_id = '958124'")[0]
    assert crash == {"severity": "safety", "source_severity": "safety"}


def test_quotes_are_literal_and_short_rows_quarantined(store, tmp_path, query):
    lines = [
        _row(CMPLID="1", ODINO="11000001", MAKETXT="FORD", MODELTXT="ESCAPE", YEARTXT="2017", COMPDESC="ENGINE",
             LDATE="20200102", CDESCR='5" CRACK IN THE "WINDSHIELD', DEALER_TEL="8005551234", VIN="1FMCU0GD5HU"),
        _row(CMPLID="2", ODINO="11000001", MAKETXT="FORD", MODELTXT="ESCAPE", YEARTXT="2017", COMPDESC="GLASS",
             LDATE="20200102", CDESCR='5" CRACK IN THE "WINDSHIELD'),
        "3\t11000002\tFORD",
        _row(CMPLID="4", ODINO="11000003", MAKETXT="TESLA", MODELTXT="MODEL 3", FIRE="Y", LDATE="20200105",
             CDESCR="BATTERY FIRE"),
    ]
    path = tmp_path / "FLAT_CMPL.txt"
    path.write_text("\r\n".join(lines) + "\r\n")
    result = ingest_file(store, path, source_type="nhtsa")
    assert (result.rows_inserted, result.rows_quarantined) == (2, 1)
    first = query("SELECT * FROM reports WHERE source_id = '11000001'")[0]
    assert first["text"] == '5" CRACK IN THE "WINDSHIELD'
    assert first["components"] == ["ENGINE", "GLASS"]
    extra = json.loads(first["extra"])
    assert extra["yeartxt"] == "2017" and extra["dealer_tel"].startswith("tel_")
    assert query("SELECT row_number, reason FROM quarantine")[0]["row_number"] == 3
    assert query("SELECT severity FROM reports WHERE source_id = '11000003'")[0]["severity"] == "safety"
