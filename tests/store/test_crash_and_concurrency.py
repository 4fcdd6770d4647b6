"""Real processes: a kill -9 in the middle of an ingest, and readers while a writer runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from defectradar.config import load_settings
from defectradar.errors import StoreBusyError
from defectradar.store.connect import Store

pytestmark = pytest.mark.slow


def _big_csv(path: Path, rows: int) -> Path:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("id,created_at,author,text\n")
        for i in range(rows):
            handle.write(f"{i},2022-09-{1 + i % 28:02d} 10:{i % 60:02d}:00,user{i % 5000},"
                         f"小米11 WiFi 又坏了 第{i % 5 + 1}次 complaint number {i}\n")
    return path


def _env(tmp_path: Path, batch_rows: int) -> dict:
    return {**os.environ, "DEFECTRADAR_BATCH_ROWS": str(batch_rows),
            "DEFECTRADAR_KEY_DIR": os.environ["DEFECTRADAR_KEY_DIR"], "DEFECTRADAR_LOCK_TIMEOUT": "60"}


def _ingest_process(path: Path, db: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "defectradar", "ingest", str(path), "--db", str(db), "--no-classify"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _count(store: Store) -> tuple[int, int, int]:
    with store.reader() as con:
        return con.execute(
            "SELECT (SELECT count(*) FROM reports), (SELECT count(DISTINCT report_id) FROM reports), "
            "(SELECT coalesce(sum(rows_inserted), 0) FROM ingest_runs)").fetchone()


def test_kill_9_mid_ingest_then_rerun_completes_without_duplicates(tmp_path):
    rows = 150_000
    path = _big_csv(tmp_path / "big.csv", rows)
    db = tmp_path / "crash.duckdb"
    env = _env(tmp_path, batch_rows=2_000)
    store = Store(db, load_settings(db=str(db), lock_timeout=30))
    proc = _ingest_process(path, db, env)
    deadline = time.monotonic() + 60
    stored = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if db.exists():
            try:
                stored = _count(store)[0]
            except Exception:  # noqa: BLE001 - the schema may not exist yet
                stored = 0
        if stored >= 10_000:
            break
        time.sleep(0.05)
    assert proc.poll() is None, f"ingest finished before it could be killed: {proc.communicate()}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    total, distinct, counted = _count(store)
    assert 0 < total < rows, "the kill must land mid-ingest"
    assert total == distinct == counted, "only whole batches, each with its counters"
    with store.reader() as con:
        assert con.execute("SELECT status FROM ingest_runs").fetchall() == [("running",)]

    rerun = subprocess.run([sys.executable, "-m", "defectradar", "ingest", str(path), "--db", str(db), "--json",
                            "--no-classify"],
                           env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    result = json.loads(rerun.stdout)[0]
    assert result["rows_inserted"] + result["rows_duplicate"] == rows
    assert result["rows_duplicate"] == total
    final_total, final_distinct, _ = _count(store)
    assert final_total == final_distinct == rows

    stats = subprocess.run([sys.executable, "-m", "defectradar", "stats", "--db", str(db), "--json"],
                           env=env, capture_output=True, text=True, timeout=120)
    statuses = [r["status"] for r in json.loads(stats.stdout)["runs"]]
    assert sorted(statuses) == ["complete", "interrupted"]


def test_stats_from_another_process_while_ingest_runs(tmp_path):
    rows = 200_000
    path = _big_csv(tmp_path / "big.csv", rows)
    db = tmp_path / "busy.duckdb"
    env = _env(tmp_path, batch_rows=2_000)
    proc = _ingest_process(path, db, env)
    seen = []
    try:
        while proc.poll() is None:
            if not db.exists():
                time.sleep(0.05)
                continue
            result = subprocess.run([sys.executable, "-m", "defectradar", "stats", "--db", str(db), "--json"],
                                    env=env, capture_output=True, text=True, timeout=120)
            if result.returncode != 0 and "schema version 0" in result.stderr:
                continue  # raced the very first transaction
            assert result.returncode == 0, result.stderr
            seen.append(json.loads(result.stdout)["tables"]["reports"])
    finally:
        out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert seen == sorted(seen), "counts only grow"
    assert any(0 < n < rows for n in seen), f"no stats call ran during the ingest: {seen}"


def test_second_writer_waits_for_the_first(tmp_path):
    first = _big_csv(tmp_path / "a.csv", 60_000)
    second = tmp_path / "b.csv"
    second.write_text("id,created_at,text\nb1,2022-09-21,other file\n")
    db = tmp_path / "two.duckdb"
    env = _env(tmp_path, batch_rows=2_000)
    one = _ingest_process(first, db, env)
    time.sleep(0.5)
    two = _ingest_process(second, db, env)
    assert one.wait(timeout=300) == 0 and two.wait(timeout=300) == 0, (one.stderr.read(), two.stderr.read())
    store = Store(db, load_settings(db=str(db)))
    assert _count(store)[0] == 60_001


def test_reader_gives_up_with_a_clear_message(tmp_path):
    db = tmp_path / "held.duckdb"
    store = Store(db, load_settings(db=str(db)))
    store.migrate()
    holder = subprocess.Popen([sys.executable, "-c",
                               "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
                               "time.sleep(30)", str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        impatient = Store(db, load_settings(db=str(db), lock_timeout=0.5))
        started = time.monotonic()
        with pytest.raises(StoreBusyError, match=rf"busy: process {holder.pid} .*DEFECTRADAR_LOCK_TIMEOUT"):
            with impatient.reader():
                pass
        assert time.monotonic() - started < 5
    finally:
        holder.kill()
        holder.wait()
