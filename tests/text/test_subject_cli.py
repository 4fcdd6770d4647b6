"""The built-in phone reader stays off reports that are not about phones (issue 13, item 13),
through the shell: NHTSA components become the failure modes instead, and phone complaints
keep their labels."""

from __future__ import annotations

import json

import duckdb
from tests.conftest import shared_data, write_csv
from typer.testing import CliRunner

from defectradar.cli.app import app

runner = CliRunner()
PHONE_MODES = {"wifi", "cellular", "other_radio", "motherboard", "screen_burn_in", "display", "overheating",
               "battery", "charging", "camera", "audio", "software", "biometrics", "build", "safety",
               "other_defect"}


def stored_modes(db) -> dict[str, list[str]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT coalesce(source_id, text), failure_modes FROM reports").fetchall()
    finally:
        con.close()
    return {key: list(modes or []) for key, modes in rows}


def ingest(db, path, *extra):
    result = runner.invoke(app, ["ingest", str(path), "--db", str(db), *extra])
    assert result.exit_code == 0, result.output
    return result


def test_nhtsa_components_are_the_modes_not_phone_faults(tmp_path):
    """"UNKNOWN OR OTHER,SERVICE BRAKES" was read as ``cellular``; it is two source labels."""
    path = write_csv(tmp_path / "complaints.csv", ["odi_number", "make", "model", "components", "complaint_text"], [
        ["958167", "FORD", "Escape", "UNKNOWN OR OTHER,SERVICE BRAKES", ""],
        ["958168", "FORD", "Escape", "ELECTRICAL SYSTEM", "THE SCREEN WENT BLACK AND THE RADIO LOST SIGNAL."],
        ["958169", "TESLA", "Model 3", "", "THE TOUCHSCREEN FROZE AND THE BATTERY WOULD NOT CHARGE."],
    ])
    db = tmp_path / "store.duckdb"
    ingest(db, path)
    modes = stored_modes(db)
    assert modes["958167"] == ["unknown-or-other", "service-brakes"]
    assert modes["958168"] == ["electrical-system"]
    assert modes["958169"] == []
    shown = runner.invoke(app, ["reports", "show", "958169", "--db", str(db), "--json"])
    assert json.loads(shown.output)["subject"] == {"phone": False, "why": "product maker: vehicle"}


def test_vehicle_words_keep_the_phone_reader_off_a_bare_text(tmp_path):
    """No product, no source hint: the text's own words decide; a phone text about a car ride
    and Chinese phone reviews keep their labels."""
    texts = [
        "The vehicle's engine stalls on the highway and the dashboard screen goes black; dealer could not fix it.",
        "UNKNOWN OR OTHER,SERVICE BRAKES",
        "车辆行驶中刹车失灵，发动机故障灯亮，4S店说是系统问题",
        "my phone gets really hot in the car and the battery drains fast",
        "手机信号差，经常没有信号，wifi 也老是断",
        "屏幕 绿屏 了，烧屏 严重",
    ]
    path = write_csv(tmp_path / "mixed.csv", ["id", "text"], [[f"t{i}", t] for i, t in enumerate(texts)])
    db = tmp_path / "store.duckdb"
    ingest(db, path)
    modes = stored_modes(db)
    assert modes["t0"] == [] and modes["t1"] == [] and modes["t2"] == []
    assert "battery" in modes["t3"] or "overheating" in modes["t3"]
    assert "cellular" in modes["t4"] and "wifi" in modes["t4"]
    assert modes["t5"]


def test_real_nhtsa_flat_file_gets_no_phone_mode(tmp_path):
    """The NHTSA flat-file sample (../shared/data, public, read in place): before the check 11 of
    its 77 complaints were given phone modes."""
    db = tmp_path / "store.duckdb"
    ingest(db, shared_data("nhtsa-flat-file-sample") / "complaints.txt", "--type", "nhtsa")
    modes = stored_modes(db)
    assert len(modes) == 77
    assert not [key for key, found in modes.items() if PHONE_MODES & set(found)]
    assert all(found for found in modes.values())          # each keeps its own components


def test_real_phone_reviews_are_all_read_as_phones():
    """Chinese phone reviews (../shared/data/zh-online-shopping-phone and zh-jd-phone-reviews-2019,
    read in place): the words check never turns the phone reader off for one of them."""
    import csv

    from defectradar.text.normalise import normalise
    from defectradar.text.subject import text_subject

    for folder, name, column in (("zh-online-shopping-phone", "online_shopping_phone.csv", "review"),
                                 ("zh-jd-phone-reviews-2019", "jd_phone_reviews.csv", "评论内容")):
        with (shared_data(folder) / name).open(encoding="utf-8") as handle:
            reviews = [row[column] for row in csv.DictReader(handle)]
        off = [r for r in reviews if not text_subject(normalise(r).match).phone]
        assert len(reviews) > 1900 and off == [], folder


def test_evidence_order():
    from defectradar.text.subject import read_subject, source_modes

    assert read_subject("phone", source="nhtsa").why == "source: nhtsa (vehicle)"
    assert read_subject("brakes brakes", catalog_category="phone").phone      # a phone catalog match wins
    assert not read_subject("", product_name="Whirlpool WRF555").phone
    assert source_modes(["SERVICE BRAKES, HYDRAULIC:ANTILOCK", "QQ,918273645"]) == ["service-brakes-hydraulic",
                                                                                    "qq"]
