"""Analysts' corrections survive relabelling; reclassify appends only what changed."""

from __future__ import annotations

import json

import pytest

from defectradar.errors import InputError
from defectradar.ingest.pipeline import ingest_file
from defectradar.labelling import corrected_examples, reclassify, record_correction
from defectradar.text.classifier import ComplaintClassifier
from defectradar.text.taxonomy import builtin_taxonomy, parse_taxonomy

TEXTS = ["小米11又烧主板了，返厂三次，资料全没了", "My Mi 11 Pro WiFi greyed out again after the 2nd repair",
         "快递很快，包装完好", "iPhone 12 的屏幕有绿线"]


@pytest.fixture
def rules_only():
    return ComplaintClassifier(model=None)


@pytest.fixture
def loaded(store, csv_file, rules_only, query):
    path = csv_file(["id", "created_at", "text"], [[str(i), "2022-09-21", t] for i, t in enumerate(TEXTS)])
    ingest_file(store, path, classifier=rules_only)
    return {r["source_id"]: r["report_id"] for r in query("SELECT source_id, report_id FROM reports")}


def test_ingest_fills_the_understanding_columns(loaded, query):
    rows = {r["source_id"]: r for r in query("SELECT * FROM reports")}
    assert rows["0"]["product_id"] == "xiaomi-11" and rows["0"]["failure_modes"] == ["motherboard"]
    assert (rows["0"]["repeat_repairs"], rows["0"]["data_loss"], rows["0"]["lang"]) == (3, True, "zh")
    assert rows["1"]["failure_modes"] == ["wifi"] and rows["1"]["repeat_repairs"] == 2
    assert rows["2"]["failure_modes"] == [] and rows["2"]["product_id"] is None
    labels = json.loads(rows["3"]["labels"])
    assert labels["products"][0]["product_id"] == "iphone-12" and labels["failure_modes"][0]["mode"] == "display"
    assert rows["0"]["classifier"].startswith("catalog:")


def test_correction_overrides_and_survives_reclassify(store, loaded, rules_only, query):
    report = loaded["2"]
    record_correction(store, report, analyst="li", failure_modes=["charging"], product_id="iphone-13",
                      reason="the attached photo shows the port", classifier=rules_only)
    view = query("SELECT failure_modes, product_id, label_source FROM reports_labelled WHERE report_id = ?", [report])[0]
    assert view == {"failure_modes": ["charging"], "product_id": "iphone-13", "label_source": "analyst"}

    # A taxonomy without the display mode relabels report 3, and must not touch the correction.
    narrower = ComplaintClassifier(model=None, taxonomy=parse_taxonomy(_taxonomy_without("display"), "narrow.yaml"))
    result = reclassify(store, narrower)
    assert result.reports == 4 and result.changed >= 1 and result.corrected == 1
    assert query("SELECT failure_modes FROM reports_labelled WHERE report_id = ?", [loaded["3"]])[0]["failure_modes"] == []
    assert query("SELECT failure_modes FROM reports_labelled WHERE report_id = ?", [report])[0]["failure_modes"] == ["charging"]
    assert query("SELECT failure_modes FROM reports WHERE report_id = ?", [loaded["3"]])[0]["failure_modes"] == ["display"]
    again = reclassify(store, narrower)
    assert again.changed == 0
    assert corrected_examples(store) == ([TEXTS[2]], [["charging"]])


def _taxonomy_without(mode_id: str) -> str:
    import yaml

    from defectradar.text.normalise import resource_text

    doc = yaml.safe_load(resource_text("defectradar.text", "taxonomy.yaml"))
    doc["modes"] = [m for m in doc["modes"] if m["id"] != mode_id]
    for m in doc["modes"]:
        m["beats"] = [b for b in m.get("beats", []) if b != mode_id]
    return yaml.safe_dump(doc, allow_unicode=True)


def test_bad_corrections_are_refused(store, loaded, rules_only):
    with pytest.raises(InputError, match="no report"):
        record_correction(store, "0" * 32, analyst="li", failure_modes=["wifi"], classifier=rules_only)
    with pytest.raises(InputError, match="unknown failure modes teleport"):
        record_correction(store, loaded["0"], analyst="li", failure_modes=["teleport"], classifier=rules_only)
    with pytest.raises(InputError, match="unknown product"):
        record_correction(store, loaded["0"], analyst="li", product_id="nokia-3310", classifier=rules_only)
    with pytest.raises(InputError, match="nothing to record"):
        record_correction(store, loaded["0"], analyst="li", classifier=rules_only)
    assert builtin_taxonomy().ids
