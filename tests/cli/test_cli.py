"""Every command through the real Typer shell, including bad input."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from defectradar.cli.app import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "cli.duckdb")


@pytest.fixture
def complaints(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,created_at,author,text\n1,2022-09-21,a,wifi dead\n2,2022-02-30,b,bad date\n",
                    encoding="utf-8")
    return path


def test_help_lists_commands():
    result = run("--help")
    assert result.exit_code == 0
    for command in ("ingest", "stats", "quarantine", "simulate", "demo", "migrate"):
        assert command in result.output
    assert run("ingest", "--help").exit_code == 0
    assert "0.1.0" in run("--version").output


def test_ingest_stats_and_quarantine(db, complaints):
    result = run("ingest", str(complaints), "--db", db, "--json")
    assert result.exit_code == 0, result.output
    [summary] = json.loads(result.stdout)
    assert (summary["rows_inserted"], summary["rows_quarantined"], summary["status"]) == (1, 1, "complete")

    stats = json.loads(run("stats", "--db", db, "--json").stdout)
    assert stats["tables"]["reports"] == 1 and stats["quarantined"] == 1
    assert stats["by_source"]["reports"] == {"csv": 1}
    assert stats["runs"][0]["status"] == "complete"
    assert "reports" in run("stats", "--db", db).stdout

    rows = json.loads(run("quarantine", "list", "--db", db, "--json").stdout)
    assert rows[0]["row_number"] == 3 and "not a real date" in rows[0]["reason"]
    table = run("quarantine", "list", "--db", db, "--run", summary["run_id"][:8]).stdout
    assert "quarantine" in table and "created_at" in table
    assert json.loads(run("quarantine", "list", "--db", db, "--json", "--run", "nomatch").stdout) == []


def test_env_var_selects_the_store(db, complaints, monkeypatch):
    monkeypatch.setenv("DEFECTRADAR_DB", db)
    assert run("ingest", str(complaints)).exit_code == 0
    assert json.loads(run("stats", "--json").stdout)["path"] == db


def test_strict_exits_3_when_rows_are_quarantined(db, complaints):
    assert run("ingest", str(complaints), "--db", db, "--strict").exit_code == 3


def test_bad_inputs_give_one_clear_line(db, tmp_path, complaints):
    missing = run("ingest", str(tmp_path / "nope.csv"), "--db", db)
    assert missing.exit_code == 2
    assert "nope.csv: no such file" in missing.output and "Traceback" not in missing.output

    assert run("ingest", str(complaints), "--db", db, "--type", "xml").exit_code == 2
    bad_map = run("ingest", str(complaints), "--db", db, "--map", "textbody")
    assert bad_map.exit_code == 2 and "field=column" in bad_map.output

    no_store = run("stats", "--db", str(tmp_path / "none.duckdb"))
    assert no_store.exit_code == 1 and "no store at" in no_store.output

    bad_env = runner.invoke(app, ["stats", "--db", db], env={"DEFECTRADAR_LOCK_TIMEOUT": "soon"})
    assert bad_env.exit_code == 2 and "DEFECTRADAR_LOCK_TIMEOUT" in bad_env.output


def test_one_bad_file_does_not_stop_the_others(db, tmp_path, complaints):
    result = run("ingest", str(tmp_path / "missing.csv"), str(complaints), "--db", db, "--json")
    assert result.exit_code == 2
    statuses = [r["status"] for r in json.loads(result.stdout)]
    assert statuses == ["failed", "complete"]


def test_migrate_creates_and_reports(db):
    first = run("migrate", "--db", db)
    assert first.exit_code == 0 and "applied migrations 1" in first.output
    assert "up to date" in run("migrate", "--db", db).output
