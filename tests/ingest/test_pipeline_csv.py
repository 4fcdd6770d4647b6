"""Generic complaint files through the whole pipeline into a real store."""

from __future__ import annotations

import json

import pytest

from defectradar.errors import InputError, UnknownFormatError, UnreadableFileError
from defectradar.ingest.pipeline import ingest_file

HEADER = ["id", "created_at", "author", "product", "text"]


def test_rows_land_with_ids_times_tokens_and_products(store, csv_file, query):
    path = csv_file(HEADER, [
        ["1", "2022-09-21 10:00:00", "张三", "小米11", "WiFi 打不开了"],
        ["2", "2022-09-22 08:30", "bob", "Mi 11 Pro", "wifi greyed out again"],
    ])
    result = ingest_file(store, path, tz="Asia/Shanghai")
    assert (result.status, result.rows_read, result.rows_inserted, result.rows_quarantined) == ("complete", 2, 2, 0)
    rows = query("SELECT * FROM reports ORDER BY source_id")
    assert [r["source_id"] for r in rows] == ["1", "2"]
    assert str(rows[0]["created_at"]) == "2022-09-21 02:00:00"      # Beijing time to UTC
    assert [r["product_id"] for r in rows] == ["xiaomi-11", "xiaomi-11-pro"]
    assert rows[0]["author_token"].startswith("usr_") and "张三" not in json.dumps(rows, default=str, ensure_ascii=False)
    assert rows[0]["source"] == "csv" and rows[0]["source_type"] == "csv"
    assert rows[0]["ingest_run"] == result.run_id


def test_reingest_is_skipped_and_force_adds_nothing(store, csv_file, query):
    path = csv_file(HEADER, [["1", "2022-09-21", "a", "x", "t1"], ["2", "2022-09-21", "b", "x", "t2"]])
    ingest_file(store, path)
    again = ingest_file(store, path)
    assert again.status == "skipped" and "already ingested" in again.message
    forced = ingest_file(store, path, force=True)
    assert (forced.rows_inserted, forced.rows_duplicate) == (0, 2)
    assert query("SELECT count(*) n FROM reports")[0]["n"] == 2
    assert [r["status"] for r in query("SELECT status FROM ingest_runs ORDER BY started_at")] == \
        ["complete", "skipped", "complete"]


def test_overlapping_file_adds_only_new_rows(store, csv_file, tmp_path, query):
    first = csv_file(HEADER, [[str(i), "2022-09-21", "a", "x", f"text {i}"] for i in range(1, 6)], name="a.csv")
    second = csv_file(HEADER, [[str(i), "2022-09-21", "a", "x", f"text {i}"] for i in range(4, 9)], name="b.csv")
    ingest_file(store, first)
    result = ingest_file(store, second)
    assert (result.rows_inserted, result.rows_duplicate) == (3, 2)
    assert query("SELECT count(DISTINCT report_id) d, count(*) n FROM reports")[0] == {"d": 8, "n": 8}


def test_rows_without_ids_dedupe_on_normalised_content(store, csv_file, query):
    header = ["created_at", "author", "text"]
    first = csv_file(header, [["2022-09-21 10:00", "a", "WiFi  broken\nagain"]], name="a.csv")
    second = csv_file(header, [["2022-09-21 10:00", "a", "wifi broken again "],
                               ["2022-09-21 10:00", "b", "wifi broken again"]], name="b.csv")
    ingest_file(store, first)
    result = ingest_file(store, second)
    # Same author, time and text up to case and white space: one report; another author: new.
    assert (result.rows_inserted, result.rows_duplicate) == (1, 1)


def test_duplicates_within_one_file_count_once(store, csv_file, query):
    path = csv_file(HEADER, [["7", "2022-09-21", "a", "x", "first"], ["7", "2022-09-21", "a", "x", "second"]])
    result = ingest_file(store, path)
    assert (result.rows_inserted, result.rows_duplicate) == (1, 1)
    assert query("SELECT text FROM reports")[0]["text"] == "first"


def test_map_option_and_chinese_aliases(store, csv_file, query):
    path = csv_file(["编号", "发布时间", "昵称", "手机型号", "评论内容", "rating"],
                    [["a1", "2022年9月21日 10:00", "小明", "红米Note8", "充电很慢", "1"]])
    ingest_file(store, path)
    row = query("SELECT * FROM reports")[0]
    assert (row["source_id"], row["product_id"], row["text"]) == ("a1", "redmi-note-8", "充电很慢")
    assert json.loads(row["extra"]) == {"rating": "1"}

    other = csv_file(["body", "when", "who"], [["screen flickers", "2022-09-21", "x"]], name="mapped.csv")
    ingest_file(store, other, mapping={"text": "body", "created_at": "when", "author": "who"})
    assert query("SELECT count(*) n FROM reports WHERE text = 'screen flickers' AND author_token IS NOT NULL")[0]["n"] == 1


def test_missing_text_column_explains_how_to_map(store, csv_file):
    path = csv_file(["when", "words"], [["2022-09-21", "hello"]])
    with pytest.raises(InputError, match=r"no column for text.*--map text=COLUMN"):
        ingest_file(store, path, source_type="csv")
    with pytest.raises(InputError, match="has no column 'nope'"):
        ingest_file(store, path, source_type="csv", mapping={"text": "nope"})


def test_bad_rows_are_quarantined_with_row_field_and_reason(store, settings, tmp_path, query):
    big = "x" * (settings.max_text_chars + 1)
    lines = [
        "id,created_at,author,product,text",
        "1,2022-09-21,a,p,fine",                 # row 2
        "2,2022-02-30,a,p,impossible date",      # row 3
        "3,2022-09-21,a,p",                      # row 4: too few fields
        "4,2022-09-21,a,p,x,extra",              # row 5: too many
        f"5,2022-09-21,a,p,{big}",               # row 6: huge
        "6,2022-09-21,a,p,bin\x01\x02ary",       # row 7: control characters
        "7,2099-01-01,a,p,future",               # row 8
        "8,2022-09-21,a,p,",                     # row 9: empty text
        "9,3分钟前,a,p,relative",                 # row 10
        "10,2022-09-21,a,p,also fine",           # row 11
    ]
    path = tmp_path / "bad.csv"
    path.write_bytes("\n".join(lines).encode("utf-8") + b"\n11,2022-09-21,a,p,\xff\xfe junk\n")
    result = ingest_file(store, path)
    assert (result.rows_read, result.rows_inserted, result.rows_quarantined) == (11, 2, 9)
    quarantined = {r["row_number"]: r for r in query("SELECT * FROM quarantine")}
    assert sorted(quarantined) == [3, 4, 5, 6, 7, 8, 9, 10, 12]
    assert "not a real date" in quarantined[3]["reason"] and quarantined[3]["field"] == "created_at"
    assert "4 fields where the header has 5" in quarantined[4]["reason"]
    assert "6 fields" in quarantined[5]["reason"]
    assert "over the limit" in quarantined[6]["reason"] and "DEFECTRADAR_MAX_TEXT_CHARS" in quarantined[6]["reason"]
    assert "control characters" in quarantined[7]["reason"]
    assert "in the future" in quarantined[8]["reason"]
    assert quarantined[9]["reason"] == "text is empty"
    assert "relative time" in quarantined[10]["reason"]
    assert "not valid UTF-8" in quarantined[12]["reason"]
    assert all(len(r["raw"]) <= 2001 for r in quarantined.values())
    run = query("SELECT * FROM ingest_runs")[0]
    assert run["rows_read"] == run["rows_inserted"] + run["rows_duplicate"] + run["rows_quarantined"]


def test_rerun_does_not_quarantine_twice(store, tmp_path, query):
    path = tmp_path / "bad.csv"
    path.write_text("id,created_at,text\n1,2022-02-30,x\n2,2022-09-21,y\n")
    ingest_file(store, path)
    ingest_file(store, path, force=True)
    assert query("SELECT count(*) n FROM quarantine")[0]["n"] == 1


def test_empty_and_header_only_files(store, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert ingest_file(store, empty).status == "empty"
    blank = tmp_path / "blank.csv"
    blank.write_bytes(b"\n  \n")
    assert ingest_file(store, blank).status == "empty"
    header_only = tmp_path / "header.csv"
    header_only.write_text("id,created_at,text\n")
    result = ingest_file(store, header_only)
    assert (result.status, result.rows_read, result.rows_inserted) == ("complete", 0, 0)


def test_unreadable_inputs_raise_clear_errors(store, tmp_path):
    with pytest.raises(UnreadableFileError, match="no such file"):
        ingest_file(store, tmp_path / "missing.csv")
    with pytest.raises(UnreadableFileError, match="is a folder"):
        ingest_file(store, tmp_path)
    binary = tmp_path / "blob.bin"
    binary.write_bytes(bytes(range(256)) * 64)
    with pytest.raises((UnknownFormatError, InputError)):
        ingest_file(store, binary)
    with pytest.raises(UnknownFormatError, match="unknown --type"):
        ingest_file(store, tmp_path / "missing.csv".replace("missing", "x"), source_type="nope") \
            if (tmp_path / "x.csv").write_text("a\n") else None


def test_huge_row_beyond_arrow_block_falls_back_and_is_quarantined(store, settings, tmp_path, query):
    huge = "y" * (3 << 20)   # bigger than Arrow's parse block
    path = tmp_path / "huge.csv"
    path.write_text(f"id,created_at,text\n1,2022-09-21,ok\n2,2022-09-21,\"{huge}\"\n3,2022-09-21,fine too\n")
    result = ingest_file(store, path)
    assert (result.rows_read, result.rows_inserted, result.rows_quarantined) == (3, 2, 1)
    assert query("SELECT row_number FROM quarantine")[0]["row_number"] == 3


def test_multiline_quoted_texts_keep_row_numbers(store, tmp_path, query):
    path = tmp_path / "multi.csv"
    path.write_text('id,created_at,text\n1,2022-09-21,"line one\nline two"\n2,2022-02-30,bad\n')
    ingest_file(store, path)
    assert query("SELECT text FROM reports")[0]["text"] == "line one\nline two"
    assert query("SELECT row_number FROM quarantine")[0]["row_number"] == 3


def test_batches_commit_independently(store, settings, csv_file, query, monkeypatch):
    from defectradar.store.connect import Store

    small = Store(settings.db, settings.replace(batch_rows=3))
    path = csv_file(HEADER, [[str(i), "2022-09-21", "a", "p", f"t{i}"] for i in range(10)])
    result = ingest_file(small, path)
    assert result.rows_inserted == 10
    assert query("SELECT count(DISTINCT ingest_run) r, count(*) n FROM reports")[0] == {"r": 1, "n": 10}


def test_mostly_quarantined_file_warns_about_the_mapping(store, tmp_path):
    path = tmp_path / "future.csv"
    path.write_text("id,created_at,text\n" + "".join(f"{i},2099-01-01,t{i}\n" for i in range(30)))
    result = ingest_file(store, path)
    assert result.rows_quarantined == 30 and "check the column mapping" in result.message
