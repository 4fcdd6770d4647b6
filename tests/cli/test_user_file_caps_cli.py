"""Hostile user files through the shell: deep nesting, huge numbers, alias bombs, oversized files.

Each used to end in a traceback (RecursionError, ValueError) or, for a YAML alias bomb, to grow
without bound; now each is one line naming the file and the limit, exit code 2.  Error messages
never quote a personal identifier from the file.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from defectradar.cli.app import app

runner = CliRunner()

CASE = {"device": {"product": "Mi 11", "purchase_date": "2021-10-20", "jurisdiction": "CN"},
        "events": [{"date": "2022-03-02", "type": "repair", "failure_mode": "wifi"}]}
DEEP_JSON = "[" * 5000 + "]" * 5000
#: 9^5 = 59,049 nodes from five anchors: over the cap, yet harmless if the cap were missing.
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n" for prev, name in zip("abcd", "bcde"))
DEEP_YAML = "a: " + "[" * 5000 + "]" * 5000 + "\n"


def _one_line_refusal(result, *needles):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit), result.exception
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for needle in needles:
        assert needle in result.output, result.output


def _check(path, *args):
    return runner.invoke(app, ["remedies", "check", str(path), "--as-of", "2022-04-01", *args])


@pytest.mark.parametrize("content, needle", [
    (json.dumps({"device": {**CASE["device"], "invoice": json.loads("[" * 40 + "]" * 40)}}), "more than 32 deep"),
    ('{"device": ' + DEEP_JSON + "}", "more than 32 deep"),
    ('{"device": {"product": "Mi 11", "purchase_date": "2021-10-20", "jurisdiction": "CN"}, "events": [{"date": '
     '"2022-03-02", "type": "repair", "days_out_of_service": ' + "9" * 5000 + "}]}", "a number of 5000 digits"),
])
def test_a_hostile_case_file_is_one_line(tmp_path, content, needle):
    path = tmp_path / "case.json"
    path.write_text(content, "utf-8")
    _one_line_refusal(_check(path), "case.json", needle)


def test_an_oversized_case_file_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr("defectradar.user_files.MAX_FILE_BYTES", 1000)
    path = tmp_path / "case.json"
    path.write_text(json.dumps({**CASE, "events": CASE["events"] * 40}), "utf-8")
    _one_line_refusal(_check(path), "case.json", "larger than 1,000 bytes")


@pytest.fixture
def case_file(tmp_path):
    path = tmp_path / "case.json"
    path.write_text(json.dumps(CASE), "utf-8")
    return path


@pytest.mark.parametrize("content, needle", [
    (ALIAS_BOMB, "aliases (*name) expand to more than 10,000 nodes"),
    ("x: &x [a, b]\n" + "".join(f"k{i}: *x\n" for i in range(300)), "more than 200 aliases"),
    ("a: &a [*a]\n", "inside the list or mapping it names"),
    (DEEP_YAML, "more than 32 deep"),
    ("id: " + "1" * 5000 + "\n", "a number of 5000 digits"),
])
def test_a_hostile_rule_set_is_one_line(tmp_path, case_file, monkeypatch, content, needle):
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "bomb.yaml").write_text(content, "utf-8")
    monkeypatch.setenv("DEFECTRADAR_RULES_DIR", str(folder))
    _one_line_refusal(_check(case_file), "bomb.yaml", needle)
    _one_line_refusal(runner.invoke(app, ["policies", "list"]), "bomb.yaml", needle)


@pytest.mark.parametrize("content, needle", [
    (ALIAS_BOMB, "expand to more than 10,000 nodes"), (DEEP_YAML, "more than 32 deep"),
    ("products:\n  - {id: a, brand: b, name: " + "7" * 5000 + "}\n", "a number of 5000 digits"),
])
def test_a_hostile_catalog_taxonomy_lemon_or_scan_file_is_one_line(tmp_path, case_file, monkeypatch, content, needle):
    path = tmp_path / "hostile.yaml"
    path.write_text(content, "utf-8")
    _one_line_refusal(runner.invoke(app, ["classify", "--text", "wifi broken", "--taxonomy", str(path)]),
                      "hostile.yaml", needle)
    _one_line_refusal(runner.invoke(app, ["lemons", "--config", str(path), "--db", str(tmp_path / "s.duckdb")]),
                      "hostile.yaml", needle)
    _one_line_refusal(runner.invoke(app, ["signals", "scan", "--config", str(path), "--db", str(tmp_path / "s.duckdb")]),
                      "hostile.yaml", needle)
    monkeypatch.setenv("DEFECTRADAR_CATALOG", str(path))
    _one_line_refusal(_check(case_file), "hostile.yaml", needle)


@pytest.mark.parametrize("field, value, kind", [
    ("note", 13812345678, "a phone number"),
    ("event_id", 490154203237518, "an IMEI"),
    ("date", "wang.wei@example.com", "an e-mail address"),
    ("type", "call 13912345678", "a phone number"),
    ("failure_mode", ["110101199003074514"], "an ID number"),
])
def test_errors_name_the_field_and_the_kind_of_identifier_never_the_identifier(tmp_path, field, value, kind):
    event = {**CASE["events"][0], field: value}
    path = tmp_path / "case.json"
    path.write_text(json.dumps({**CASE, "events": [event]}), "utf-8")
    result = _check(path)
    _one_line_refusal(result, f"events[0].{field}", kind)
    for raw in ("13812345678", "490154203237518", "wang.wei", "13912345678", "110101199003074514"):
        assert raw not in result.output
