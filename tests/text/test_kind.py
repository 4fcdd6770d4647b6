"""Failure or complaint (issue 14, docs/labelling.md): each mode carries its kind, the store
keeps the complaints apart, and a scan counts failures unless told to count all."""

from __future__ import annotations

import json

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import write_csv
from defectradar.cli.app import app
from defectradar.text.classifier import ComplaintClassifier
from defectradar.text.kind import COMPLAINT, FAILURE, kind_of
from defectradar.text.normalise import normalise

runner = CliRunner()


@pytest.mark.parametrize("text, kind", [
    ("手机有点发热，不过还行", COMPLAINT),
    ("续航一般，待机时间不太长", COMPLAINT),
    ("唯一的缺点就是拍照有点糊", COMPLAINT),
    ("the battery is a bit weak, could be better", COMPLAINT),
    ("手机发热烫手，自动关机", FAILURE),
    ("有点烦，wifi坏了修了两次", FAILURE),           # a softener beside breakage: a failure
    ("screen cracked by itself", FAILURE),
    ("Mobile - No sound output -", FAILURE),
    ("5g信号时有时无", FAILURE),                     # intermittent is broken, not mild
])
def test_kind_from_the_words_around_the_defect(text, kind):
    assert kind_of(normalise(text).match) == kind


def test_each_mode_carries_its_kind_and_safety_is_always_a_failure():
    mild, fire = ComplaintClassifier(model=None).classify(["手机有点发热，不过还行", "手机有点冒烟了，吓人"])
    assert [(m.mode, m.kind) for m in mild.failure_modes] == [("overheating", COMPLAINT)]
    assert {m.mode: m.kind for m in fire.failure_modes}.get("safety") == FAILURE


def test_classify_json_has_the_kind():
    result = runner.invoke(app, ["classify", "--text", "续航一般，有点发热", "--json"])
    assert result.exit_code == 0, result.output
    modes = json.loads(result.stdout)["failure_modes"]
    assert modes and all(m["kind"] == COMPLAINT for m in modes)


def test_store_keeps_complaints_and_scan_counts_failures_unless_all(tmp_path):
    rows = [[f"a{i}", f"2024-{1 + i // 28:02d}-{1 + i % 28:02d}", "Xiaomi 11",
             "手机有点发热，不过还行" if i % 2 else "手机发热烫手，自动关机"] for i in range(56)]
    data = write_csv(tmp_path / "c.csv", ["id", "created_at", "product", "text"], rows)
    db = str(tmp_path / "s.duckdb")
    assert runner.invoke(app, ["ingest", str(data), "--db", db]).exit_code == 0
    with duckdb.connect(db, read_only=True) as con:
        kinds = con.execute("SELECT count(*) FILTER (WHERE list_contains(complaint_modes, 'overheating')), "
                            "count(*) FILTER (WHERE len(complaint_modes) = 0) FROM reports_labelled").fetchone()
    assert kinds == (28, 28)
    usable = {}
    for count in ("failures", "all"):
        result = runner.invoke(app, ["signals", "scan", "--db", db, "--json", "--count", count,
                                     "--method", "ears-c1"])
        assert result.exit_code == 0, result.output
        usable[count] = json.loads(result.stdout)["coverage"]["reports"]["usable"]
    assert usable == {"failures": 28, "all": 56}
    bad = runner.invoke(app, ["signals", "scan", "--db", db, "--count", "some"])
    assert bad.exit_code == 2 and "count must be one of failures, all" in bad.output
