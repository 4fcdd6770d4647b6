"""Issue 12: broken and hostile files through the shell.  Each test failed on the main of
2026-12-04 (rows lost, a whole file refused, mojibake, a duplicated repost, a traceback or
a hang) and names the item it covers."""

from __future__ import annotations

import json
import os
import threading

import duckdb
import pytest
from typer.testing import CliRunner

from defectradar.cli.app import app

runner = CliRunner()


def shell(*args: str):
    """Run the CLI as a user would; an exception escaping the command is a failure (a traceback)."""
    result = runner.invoke(app, [str(a) for a in args], catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"traceback from {' '.join(map(str, args))}") from result.exception
    return result


def ingest(path, db, *extra):
    result = shell("ingest", path, "--db", db, "--no-classify", "--json", *extra)
    return result, (json.loads(result.stdout) if result.stdout.strip() else None)


def rows(db, sql):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture
def db(tmp_path):
    return tmp_path / "store.duckdb"


# -- 1. one stray quote swallowed the file --------------------------------------------------------

def test_a_stray_quote_costs_its_own_row_only(tmp_path, db):
    lines = ["user,created_at,text"]
    lines += ['u100,2022-03-01,"wifi 100' if i == 100 else f"u{i},2022-03-01,wifi broken {i}" for i in range(20_000)]
    path = tmp_path / "stray.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result, [summary] = ingest(path, db)
    assert result.exit_code == 0, result.output
    assert (summary["rows_read"], summary["rows_inserted"], summary["rows_quarantined"]) == (20_000, 19_999, 1)
    [(row, field, reason)] = rows(db, "SELECT row_number, field, reason FROM quarantine")
    assert (row, field) == (102, "text") and "never closed" in reason and "line 102" in reason
    assert rows(db, "SELECT count(*) FROM reports WHERE text LIKE '%u101%'") == [(0,)]   # nothing merged
    assert rows(db, "SELECT text FROM reports WHERE source_id IS NULL AND text = 'wifi broken 101'")


def test_a_stray_quote_closed_by_a_later_one_is_cut_back_too(tmp_path, db):
    lines = ["id,created_at,text"] + [f"{i},2022-03-01,row {i}" for i in range(1, 41)]
    lines[10] = '10,2022-03-01,"opened here'
    lines[30] = '30,2022-03-01,"closed" here, and more'
    path = tmp_path / "two.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result, [summary] = ingest(path, db)
    assert summary["rows_read"] == 40
    assert summary["rows_inserted"] + summary["rows_quarantined"] == 40
    assert {r for (r,) in rows(db, "SELECT row_number FROM quarantine")} == {11, 31}


def test_fields_that_really_span_lines_are_kept_whole(tmp_path, db):
    text = 'id,created_at,text\n1,2022-03-01,"line one\nline two\n\nline four"\n2,2022-03-01,"say ""hi"""\n'
    path = tmp_path / "multi.csv"
    path.write_text(text, encoding="utf-8")
    result, [summary] = ingest(path, db)
    assert (summary["rows_read"], summary["rows_inserted"], summary["rows_quarantined"]) == (2, 2, 0)
    assert rows(db, "SELECT text FROM reports ORDER BY source_id") == [("line one\nline two\n\nline four",),
                                                                        ('say "hi"',)]


def test_a_quote_spanning_more_lines_than_allowed_is_a_stray_quote(tmp_path, db, monkeypatch):
    monkeypatch.setenv("DEFECTRADAR_MAX_RECORD_LINES", "3")
    text = 'id,created_at,text\n1,2022-03-01,"a\nb\nc\nd"\n2,2022-03-01,ok\n'
    path = tmp_path / "long.csv"
    path.write_text(text, encoding="utf-8")
    result, [summary] = ingest(path, db)
    # The opening line is refused; b, c and d" are read as rows of their own (and refused:
    # one field each), so every line of the file is accounted for.
    assert summary["rows_read"] == summary["rows_inserted"] + summary["rows_quarantined"] == 5
    assert rows(db, "SELECT text FROM reports") == [("ok",)]


# -- 2. one bad row refused the whole file -----------------------------------------------------------

def test_invalid_utf8_in_a_short_row_is_one_quarantined_row(tmp_path, db):
    path = tmp_path / "bad.csv"
    path.write_bytes("user,created_at,text\ng1,2022-03-01,无线网坏了\n".encode() + b"g2,\xff\xfe\n"
                     + "g3,2022-03-02,屏幕烧了\n".encode())
    result, [summary] = ingest(path, db)
    assert result.exit_code == 0, result.output
    assert (summary["rows_read"], summary["rows_inserted"], summary["rows_quarantined"]) == (3, 2, 1)
    assert sorted(t for (t,) in rows(db, "SELECT text FROM reports")) == ["屏幕烧了", "无线网坏了"]


def test_an_impossible_zone_offset_is_one_quarantined_row(tmp_path, db):
    path = tmp_path / "offset.csv"
    path.write_text("user,created_at,text\na,2022-03-01T10:00:00+99:00,wifi\nb,2022-03-01,ok\n")
    result, [summary] = ingest(path, db)
    assert (summary["rows_inserted"], summary["rows_quarantined"]) == (1, 1)
    [(field, reason)] = rows(db, "SELECT field, reason FROM quarantine")
    assert field == "created_at" and "offset" in reason


@pytest.mark.parametrize("long_part", ["data", "header"])
def test_a_first_line_over_the_csv_field_limit_is_read_or_named(tmp_path, db, long_part):
    path = tmp_path / "long.csv"
    if long_part == "data":
        path.write_text("user,created_at,text\na,2022-03-01," + "x" * 300_000 + "\nb,2022-03-01,wifi\n")
        result, [summary] = ingest(path, db)
        assert (summary["rows_inserted"], summary["rows_quarantined"]) == (1, 1)   # over max_text_chars
    else:
        path.write_text("user,created_at,text" + "y" * 300_000 + "\na,2022-03-01,wifi\n")
        result, _ = ingest(path, db)
        assert result.exit_code == 2
        assert "line 1" in result.output and max(map(len, result.output.splitlines())) < 400


# -- 3. undecodable bytes became mojibake ---------------------------------------------------------------

def test_junk_bytes_in_one_row_do_not_change_the_files_encoding(tmp_path, db):
    body = b"".join(f"u{i},2022-03-01,fine text {i}\n".encode() for i in range(50))
    path = tmp_path / "junk.csv"
    path.write_bytes(b"user,created_at,text\n" + body + b"u99,2022-03-01,bad \xff\xfe bytes\n"
                     + "u100,2022-03-01,好的 café\n".encode())
    result, [summary] = ingest(path, db)
    assert (summary["rows_inserted"], summary["rows_quarantined"]) == (51, 1)
    assert rows(db, "SELECT text FROM reports WHERE text LIKE '好%'") == [("好的 café",)]   # not re-decoded
    [(field, reason)] = rows(db, "SELECT field, reason FROM quarantine")
    assert field == "text" and "not valid UTF-8" in reason and "--encoding" in reason


def test_junk_bytes_in_a_json_line_are_quarantined_not_decoded_otherwise(tmp_path, db):
    good = json.dumps({"id": "1", "created_at": "2022-03-01", "text": "好的 wifi"}, ensure_ascii=False).encode()
    bad = b'{"id": "2", "created_at": "2022-03-01", "text": "bad \xff\xfe"}'
    path = tmp_path / "junk.jsonl"
    path.write_bytes(good + b"\n" + bad + b"\n" + good.replace(b'"1"', b'"3"') + b"\n")
    result, [summary] = ingest(path, db)
    assert (summary["rows_inserted"], summary["rows_quarantined"]) == (2, 1)
    assert rows(db, "SELECT DISTINCT text FROM reports") == [("好的 wifi",)]


def test_hostile_json_lines_are_quarantined(tmp_path, db):
    deep = "[" * 100_000 + "]" * 100_000
    lines = ['{"id": "1", "created_at": "2022-03-01", "text": "ok"}',
             '{"id": "2", "created_at": "2022-03-01", "text": "big", "n": ' + "9" * 5000 + "}",
             '{"id": "3", "created_at": "2022-03-01", "text": "deep", "d": ' + deep + "}",
             '{"id": "4", "created_at": "2022-03-01", "text": "nested", "a": ' + '{"b": ' * 50 + "1" + "}" * 50 + "}"]
    path = tmp_path / "hostile.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result, [summary] = ingest(path, db)
    assert (summary["rows_read"], summary["rows_inserted"], summary["rows_quarantined"]) == (4, 2, 2)


# -- 4. reposts duplicated the original ---------------------------------------------------------------

def test_a_repost_does_not_store_its_original_twice(tmp_path, db):
    original = {"mid": "1001", "text": "wifi dead", "created_at": "Wed Sep 21 10:00:00 +0800 2022", "user": {"id": 5}}
    repost = {"mid": "1002", "text": "转发微博", "created_at": "Wed Sep 21 11:00:00 +0800 2022",
              "user": {"id": 6}, "retweeted_status": original}
    path = tmp_path / "weibo.jsonl"
    path.write_text(json.dumps(original) + "\n" + json.dumps(repost) + "\n")
    result, [summary] = ingest(path, db)
    assert (summary["rows_read"], summary["rows_inserted"]) == (2, 2)
    assert rows(db, "SELECT source_id, count(*) FROM reports GROUP BY 1 ORDER BY 1") == [("1001", 1), ("1002", 1)]
    assert rows(db, "SELECT source_id FROM reports_labelled") == [("1001",)]


# -- 12. inputs that are not regular files --------------------------------------------------------------

def test_a_fifo_is_refused_at_once(tmp_path, db):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(result=ingest(fifo, db)[0]), daemon=True)
    worker.start()
    worker.join(timeout=30)
    if worker.is_alive():      # unblock the reader before failing, so the test run can end
        with open(fifo, "w"):
            pass
        pytest.fail("ingest of a FIFO hangs")
    assert outcome["result"].exit_code == 2 and "not a regular file" in outcome["result"].output


def test_a_device_is_refused(db):
    result, _ = ingest("/dev/zero", db)
    assert result.exit_code == 2 and "not a regular file" in result.output
