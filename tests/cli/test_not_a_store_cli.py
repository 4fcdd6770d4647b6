"""``--db`` at something that is not a store: every command refuses in one line and writes nothing.

DuckDB 2 opens a CSV file as an in-memory database, so ``ingest x.csv --db other.csv`` used to
report success and store nothing; a folder of ``/proc`` ended in a traceback.
"""

from __future__ import annotations

import json

import duckdb
import pytest
from typer.testing import CliRunner

from defectradar.cli.app import app

runner = CliRunner()

COMPLAINTS = "text,created_at\nWiFi keeps dropping on my Mi 11,2022-01-05\n"


@pytest.fixture
def complaints(tmp_path):
    path = tmp_path / "complaints.csv"
    path.write_text(COMPLAINTS, "utf-8")
    return path


def _foreign_duckdb(path):
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE sales (month DATE, units INTEGER)")
    con.execute("INSERT INTO sales VALUES ('2022-01-01', 10)")
    con.close()
    return path


def _one_line_error(result, *needles):
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for needle in needles:
        assert needle in result.output, result.output


@pytest.mark.parametrize("kind", ["csv", "text", "foreign duckdb"])
def test_every_command_refuses_a_file_that_is_not_a_store_and_leaves_it_alone(tmp_path, complaints, kind):
    target = tmp_path / {"csv": "other.csv", "text": "notes.txt", "foreign duckdb": "theirs.duckdb"}[kind]
    if kind == "foreign duckdb":
        _foreign_duckdb(target)
    else:
        target.write_text(COMPLAINTS if kind == "csv" else "shopping list\n", "utf-8")
    before = target.read_bytes()
    for args in (["ingest", str(complaints), "--no-classify"], ["stats"], ["migrate"], ["remedies", "audit"], ["alerts", "list"]):
        result = runner.invoke(app, [*args, "--db", str(target)])
        assert result.exit_code == 2, (args, result.output)
        _one_line_error(result, str(target), "not a defectradar store", "--db")
        assert target.read_bytes() == before, args
    if kind == "foreign duckdb":
        con = duckdb.connect(str(target), read_only=True)
        assert [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()] == ["sales"]
        con.close()


def test_a_folder_is_refused_in_one_line(tmp_path, complaints, monkeypatch):
    for args in (["ingest", str(complaints), "--no-classify", "--db", str(tmp_path)], ["stats", "--db", str(tmp_path)]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2
        _one_line_error(result, f"{tmp_path} is a folder", "defectradar.duckdb")
    monkeypatch.setenv("DEFECTRADAR_DB", str(tmp_path))          # Typer never sees the setting
    _one_line_error(runner.invoke(app, ["stats"]), "is a folder")


@pytest.mark.parametrize("db", ["/proc/x.duckdb", "/dev/null"])
def test_a_place_where_no_store_can_be_is_one_line(complaints, db):
    result = runner.invoke(app, ["ingest", str(complaints), "--no-classify", "--db", db])
    assert result.exit_code in (1, 2)
    _one_line_error(result, db)
    result = runner.invoke(app, ["stats", "--db", db])
    assert result.exit_code in (1, 2)
    _one_line_error(result, db)


def test_an_empty_file_is_a_new_store(tmp_path, complaints):
    target = tmp_path / "made-by-mktemp"
    target.write_bytes(b"")
    result = runner.invoke(app, ["ingest", str(complaints), "--no-classify", "--db", str(target)])
    assert result.exit_code == 0, result.output
    stats = runner.invoke(app, ["stats", "--db", str(target), "--json"])
    assert stats.exit_code == 0, stats.output
    assert json.loads(stats.stdout)["tables"]["reports"] == 1


def test_a_real_store_still_opens(tmp_path, complaints):
    target = tmp_path / "store.duckdb"
    for _ in range(2):
        assert runner.invoke(app, ["ingest", str(complaints), "--no-classify", "--db", str(target)]).exit_code == 0
    assert runner.invoke(app, ["stats", "--db", str(target)]).exit_code == 0
