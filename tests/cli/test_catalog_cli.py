"""``defectradar catalog build`` and products no catalog lists, through the shell (issue 13, item 12).

A product the catalog does not list keeps its name as its id (``named:ford-escape``, flagged
uncatalogued) instead of no product at all; a catalog drafted from a file's brand and model
columns loads with ``--catalog`` and its products then match; the brand column decides between
makers ("Siemens A52" is not the Galaxy A52, "LG K10 Power" not the OPPO K10).
"""

from __future__ import annotations

import json

import duckdb
import pytest
from tests.conftest import shared_data, write_csv
from typer.testing import CliRunner

from defectradar.cli.app import app
from defectradar.domain.catalog import parse_catalog

runner = CliRunner()
HEADER = ["odi_number", "make", "model", "components", "complaint_text"]
VEHICLES = [
    ["958167", "FORD", "Escape", "SERVICE BRAKES", "THE BRAKES FAILED ON THE HIGHWAY."],
    ["958168", "FORD", "ESCAPE", "STEERING", "THE STEERING LOCKED WHILE DRIVING."],
    ["958169", "TESLA", "Model 3", "UNKNOWN OR OTHER,SERVICE BRAKES", ""],
    ["958170", "FORD", "Escape 13812345678", "WHEELS", "A WHEEL CAME OFF."],     # a phone number: withheld
]


def _reports(db) -> list[dict]:
    result = runner.invoke(app, ["reports", "list", "--db", str(db), "--limit", "1000", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["reports"]


def test_uncatalogued_products_keep_their_names(tmp_path):
    """Without a catalog match the product as named is the id: brand + model, normalised."""
    path = write_csv(tmp_path / "cars.csv", HEADER, VEHICLES)
    db = tmp_path / "store.duckdb"
    result = runner.invoke(app, ["ingest", str(path), "--db", str(db)])
    assert result.exit_code == 0, result.output
    by_id = {r["product_id"] for r in _reports(db)}
    assert by_id == {"named:ford-escape", "named:tesla-model3"}
    assert all(r["uncatalogued"] for r in _reports(db))
    listed = runner.invoke(app, ["reports", "list", "--db", str(db), "--product", "Ford Escape"],
                           env={"COLUMNS": "250"})
    assert listed.exit_code == 0, listed.output
    assert "3 reports match" in listed.output and "(uncatalogued)" in listed.output


def test_brand_column_decides_the_maker(tmp_path):
    """The built-in catalog knows the Galaxy A52 and the OPPO K10; a Siemens A52 and an LG K10
    Power are neither, and a Samsung Galaxy A52 still is the Galaxy."""
    path = write_csv(tmp_path / "repairs.csv", ["id", "brand", "model", "problem"], [
        ["r1", "Siemens", "A52", "Akku hält nicht mehr"],
        ["r2", "LG", "K10 Power", "Cracked screen assembly"],
        ["r3", "Samsung", "Galaxy A52", "battery drains overnight"],
        ["r4", "Samsung", "Smartphone", "screen cracked"],
    ])
    db = tmp_path / "store.duckdb"
    result = runner.invoke(app, ["ingest", str(path), "--db", str(db), "--map", "text=problem"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["reports", "list", "--db", str(db), "--json"])
    products = {r["product_raw"]: r["product_id"] for r in json.loads(result.output)["reports"]}
    assert products == {"Siemens A52": "named:siemens-a52", "LG K10 Power": "named:lg-k10-power",
                        "Samsung Galaxy A52": "galaxy-a52", "Samsung Smartphone": "named:samsung"}


def test_catalog_build_drafts_a_catalog_ingest_then_matches(tmp_path):
    path = write_csv(tmp_path / "cars.csv", HEADER, VEHICLES)
    out = tmp_path / "cars.yaml"
    result = runner.invoke(app, ["catalog", "build", str(path), "--brand-col", "make", "--model-col", "model",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    catalog = parse_catalog(out.read_text(encoding="utf-8"), "draft")
    assert catalog.category == "vehicle"
    assert {p.product_id for p in catalog.products} == {"ford-escape", "tesla-model3"}
    assert "13812345678" not in out.read_text(encoding="utf-8")
    assert "1 withheld" in out.read_text(encoding="utf-8")
    as_json = runner.invoke(app, ["catalog", "build", str(path), "--brand-col", "make", "--model-col", "model",
                                  "--json"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.output)["rows_withheld"] == 1

    db = tmp_path / "store.duckdb"
    result = runner.invoke(app, ["ingest", str(path), "--db", str(db), "--catalog", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(r["product_id"] for r in _reports(db)) == ["ford-escape", "ford-escape", "ford-escape",
                                                             "tesla-model3"]
    listed = runner.invoke(app, ["reports", "list", "--db", str(db), "--product", "Ford Escape", "--json"])
    assert json.loads(listed.output)["matched"] == 3


def test_catalog_build_bad_input_is_one_line(tmp_path):
    path = write_csv(tmp_path / "cars.csv", HEADER, VEHICLES)
    result = runner.invoke(app, ["catalog", "build", str(path), "--brand-col", "brand", "--model-col", "model"])
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "no column 'brand' for --brand-col" in result.output and "make" in result.output
    assert "Traceback" not in result.output
    out = tmp_path / "taken.yaml"
    out.write_text("mine", encoding="utf-8")
    result = runner.invoke(app, ["catalog", "build", str(path), "--brand-col", "make", "--model-col", "model",
                                 "--out", str(out)])
    assert result.exit_code != 0 and "--force" in result.output and out.read_text(encoding="utf-8") == "mine"
    missing = runner.invoke(app, ["catalog", "build", str(tmp_path / "nope.csv"), "--brand-col", "make",
                                  "--model-col", "model"])
    assert missing.exit_code != 0 and "no such file" in missing.output


def test_no_identifier_in_ids_made_from_user_fields(tmp_path):
    """Uncatalogued product ids and failure modes from the source's labels are made from what a
    user wrote, before the pseudonymiser's pass; they must not carry the identifiers in it."""
    path = write_csv(tmp_path / "cars.csv", HEADER, [
        ["1", "FORD", "ESCAPE 13812345678", "QQ 918273645", "brakes"],
        ["2", "QQ 56473829", "Model 3", "WHEELS:qq号：56473829,ENGINE", "engine"],
    ])
    db = tmp_path / "store.duckdb"
    result = runner.invoke(app, ["ingest", str(path), "--db", str(db)])
    assert result.exit_code == 0, result.output
    con = duckdb.connect(str(db), read_only=True)
    try:
        stored = con.execute("SELECT product_id, failure_modes, labels FROM reports").fetchall()
    finally:
        con.close()
    dumped = json.dumps([list(map(str, row)) for row in stored], ensure_ascii=False)
    for identifier in ("13812345678", "918273645", "56473829"):
        assert identifier not in dumped.replace("-", "")
    assert {row[0] for row in stored} == {"named:ford-escape", "named:qq-model3"}


@pytest.mark.timeout(120)
def test_real_repair_log_drafted_catalog_matches_its_products(tmp_path):
    """Open Repair Alliance phone repairs (../shared/data, CC BY-SA 4.0, read in place)."""
    source = shared_data("openrepair-mobile-tablet-faults") / "mobiles_mobifix.csv"
    out = tmp_path / "repairs.yaml"
    result = runner.invoke(app, ["catalog", "build", str(source), "--brand-col", "brand", "--model-col", "model",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    ids = {p.product_id for p in parse_catalog(out.read_text(encoding="utf-8"), "draft").products}
    assert {"apple-iphone6", "siemens-a52", "lg-k10-power"} <= ids
    db = tmp_path / "store.duckdb"
    result = runner.invoke(app, ["ingest", str(source), "--db", str(db), "--map", "text=problem",
                                 "--catalog", str(out)])
    assert result.exit_code == 0, result.output
    rows = _reports(db)
    with_model = [r for r in rows if r["product_id"] and not r["product_id"].startswith("named:")]
    # Every row naming a model matches the drafted catalog; the rest name a brand alone.
    assert len(with_model) > 400
    assert {r["product_id"] for r in rows if r["product_raw"] == "Siemens A52"} == {"siemens-a52"}
    assert all(r["product_id"] in ids for r in with_model)
