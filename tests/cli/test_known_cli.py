"""``defectradar known-issues list`` through the real shell: table, JSON, filters and bad input."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from defectradar.cli.app import app

runner = CliRunner()
RECALLS = ("campaign,make,model,model_year,component,report_received_date,summary\n"
           "22V100000,FORD,Escape,2021,ELECTRICAL SYSTEM:BATTERY,2022-03-01,battery cables may short\n"
           "22V200000,FORD,Focus,2021,STEERING,2022-05-01,tie rod\n")


def _run(*args):
    return runner.invoke(app, ["known-issues", *map(str, args)])


def _store_with_recalls(tmp_path):
    path = tmp_path / "recalls.csv"
    path.write_text(RECALLS, encoding="utf-8")
    db = tmp_path / "store.duckdb"
    result = runner.invoke(app, ["ingest", str(path), "--db", str(db), "--no-classify"])
    assert result.exit_code == 0, result.output
    return db


def test_list_shows_recalls_and_policies(tmp_path):
    db = _store_with_recalls(tmp_path)
    result = runner.invoke(app, ["known-issues", "list", "--db", str(db), "--as-of", "2022-12-31"],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for text in ("22V100000", "named:ford-escape", "electrical-system", "2022-03-01", "xiaomi-11-series-wifi@2021-08-06",
                 "8 known issues as of 2022-12-31"):
        assert text in result.output, text
    data = json.loads(_run("list", "--db", db, "--as-of", "2022-12-31", "--product", "FORD ESCAPE", "--json").stdout)
    assert data["as_of"] == "2022-12-31" and data["matched"] == 1
    issue = data["issues"][0]
    assert (issue["reference"], issue["source"], issue["mode"], issue["since"], issue["model_years"]) == (
        "22V100000", "recall", "electrical-system", "2022-03-01", [2021])
    policies = json.loads(_run("list", "--db", db, "--source", "policy", "--json").stdout)
    assert {i["source"] for i in policies["issues"]} == {"policy"}
    early = _run("list", "--db", db, "--as-of", "2020-01-01", "--product", "named:ford-escape")
    assert early.exit_code == 0 and "no known issues for named:ford-escape as of 2020-01-01" in early.output


def test_bad_input_is_one_line_with_exit_code_2(tmp_path):
    db = _store_with_recalls(tmp_path)
    result = _run("list", "--db", db, "--source", "rumour")
    assert result.exit_code == 2 and "--source 'rumour': choose recall, announcement or policy" in result.output
    result = _run("list", "--db", db, "--as-of", "2022-13-01")
    assert result.exit_code == 2 and "is not a date; write it as YYYY-MM-DD" in result.output
    missing = _run("list", "--db", tmp_path / "none.duckdb")
    assert missing.exit_code != 0 and "no store at" in missing.output
