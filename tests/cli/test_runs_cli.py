"""Issue 13, item 2: a file ingested again with other options is refused (not stored twice),
and `runs list` / `runs undo` remove one run's rows, its quarantine and its labels, recorded
in the store's history.  Through the real shell."""

from __future__ import annotations

import json

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import shared_data
from defectradar.cli.app import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "runs.duckdb")


def _count(db: str, sql: str) -> int:
    con = duckdb.connect(db, read_only=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def _runs(db: str) -> list[dict]:
    result = run("runs", "list", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_ingest_again_with_other_options_is_refused_then_replaced(db, tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text("评论内容,购买时间,评论时间\n屏幕坏了,2019-01-02,2019-03-04\n电池发热,2019-01-05,2019-03-06\n",
                    encoding="utf-8")
    assert run("ingest", str(path), "--db", db).exit_code == 0
    again = run("ingest", str(path), "--db", db, "--map", "created_at=购买时间")
    assert again.exit_code == 2
    assert "--replace" in again.output and "--force" in again.output and "Traceback" not in again.output
    assert _count(db, "SELECT count(*) FROM reports") == 2

    replaced = run("ingest", str(path), "--db", db, "--map", "created_at=购买时间", "--replace")
    assert replaced.exit_code == 0, replaced.output
    assert _count(db, "SELECT count(*) FROM reports") == 2
    assert _count(db, "SELECT count(*) FROM reports WHERE created_at::DATE = DATE '2019-01-02'") == 1
    statuses = [r["status"] for r in _runs(db)]
    assert statuses == ["complete", "undone"]


def test_real_jd_reviews_are_not_doubled_by_a_corrected_map(db):
    path = shared_data("zh-jd-phone-reviews-2019") / "jd_phone_reviews.csv"
    first = run("ingest", str(path), "--db", db)
    assert first.exit_code == 0, first.output
    stored = _count(db, "SELECT count(*) FROM reports")
    again = run("ingest", str(path), "--db", db, "--map", "created_at=购买时间")
    assert again.exit_code == 2 and "--replace" in again.output
    assert _count(db, "SELECT count(*) FROM reports") == stored
    assert run("ingest", str(path), "--db", db, "--map", "created_at=购买时间", "--replace").exit_code == 0
    assert _count(db, "SELECT count(*) FROM reports") <= stored + 10   # the same reviews, not twice


def test_undo_removes_that_runs_reports_quarantine_and_labels_only(db, tmp_path):
    first = tmp_path / "first.csv"
    first.write_text("id,created_at,text\na1,2022-09-21,screen dead\na2,2022-02-30,bad date\n", encoding="utf-8")
    second = tmp_path / "second.csv"
    second.write_text("id,created_at,text\nb1,2022-09-22,battery hot\nb2,2022-13-01,bad month\n", encoding="utf-8")
    assert run("ingest", str(first), "--db", db, "--source", "one").exit_code == 0
    assert run("ingest", str(second), "--db", db, "--source", "two").exit_code == 0
    reports = {s: r for s, r in duckdb.connect(db, read_only=True).execute(
        "SELECT source_id, report_id FROM reports").fetchall()}
    for source_id in ("a1", "b1"):
        labelled = run("label", reports[source_id], "--severity", "safety", "--reason", "test", "--db", db)
        assert labelled.exit_code == 0, labelled.output
    assert _count(db, "SELECT count(*) FROM label_events") == 2

    run_id = next(r["run_id"] for r in _runs(db) if r["source"] == "one")
    undone = run("runs", "undo", run_id[:8], "--db", db, "--by", "tester")
    assert undone.exit_code == 0, undone.output
    assert "removed" in undone.output and "1 reports" in undone.output

    assert _count(db, "SELECT count(*) FROM reports WHERE source = 'one'") == 0
    assert _count(db, "SELECT count(*) FROM reports WHERE source = 'two'") == 1
    assert _count(db, f"SELECT count(*) FROM quarantine WHERE ingest_run = '{run_id}'") == 0
    assert _count(db, "SELECT count(*) FROM quarantine") == 1
    assert _count(db, f"SELECT count(*) FROM label_events WHERE report_id = '{reports['a1']}'") == 0
    assert _count(db, f"SELECT count(*) FROM label_events WHERE report_id = '{reports['b1']}'") == 1
    assert _count(db, f"SELECT count(*) FROM report_labels WHERE report_id = '{reports['a1']}'") == 0
    assert _count(db, f"SELECT count(*) FROM store_history WHERE action = 'undo_run' AND run_id = '{run_id}' "
                      "AND actor = 'tester'") == 1

    listed = {r["run_id"]: r for r in _runs(db)}
    assert listed[run_id]["status"] == "undone" and listed[run_id]["undone_by"] == "tester"
    assert listed[run_id]["undo_counts"]["reports"] == 1
    table = run("runs", "list", "--db", db)
    assert table.exit_code == 0 and "undo" in table.output   # (cut to "undo…" in a narrow terminal)


def test_undo_bad_input_is_one_line(db, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,text\n1,wifi dead\n", encoding="utf-8")
    assert run("ingest", str(path), "--db", db).exit_code == 0
    run_id = _runs(db)[0]["run_id"]
    assert run("runs", "undo", run_id, "--db", db).exit_code == 0
    twice = run("runs", "undo", run_id, "--db", db)
    assert twice.exit_code == 2 and "already undone" in twice.output and "Traceback" not in twice.output
    missing = run("runs", "undo", "ffffffff", "--db", db)
    assert missing.exit_code == 2 and "no ingest run" in missing.output
    junk = run("runs", "undo", "not a run!", "--db", db)
    assert junk.exit_code == 2 and "not a run id" in junk.output
