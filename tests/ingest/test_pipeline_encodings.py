"""The same complaints exported in different encodings land as the same rows."""

from __future__ import annotations

import pytest

from defectradar.ingest.pipeline import ingest_file

ROWS = [
    ["1", "2022年9月21日 10:00", "小米11又烧主板了，返厂三次，资料全没了"],
    ["2", "2022/09/22 08:30", "WiFi 打不开，售后说要换主板"],
    ["3", "Sep 23, 2022", "屏幕烧屏严重 😡"],
]


def _expected(rows):
    return [(r[0], r[2]) for r in rows]


@pytest.mark.parametrize("encoding,rows", [
    ("utf-8", ROWS),
    ("utf-8-sig", ROWS),                                        # Excel's "CSV UTF-8"
    ("gb18030", ROWS),                                          # emoji need GB18030's 4-byte codes
    ("gbk", [r for r in ROWS if "😡" not in r[2]]),
    ("utf-16", ROWS),
    ("big5", [["1", "2022-09-21 10:00", "小米11又燒主機板了，返廠三次，資料全沒了"]]),
])
def test_encodings_decode_to_the_same_text(store, csv_file, query, encoding, rows):
    path = csv_file(["id", "created_at", "text"], rows, encoding=encoding)
    result = ingest_file(store, path, tz="Asia/Shanghai")
    assert (result.rows_inserted, result.rows_quarantined) == (len(rows), 0), result
    stored = [(r["source_id"], r["text"]) for r in query("SELECT source_id, text FROM reports ORDER BY source_id")]
    assert stored == _expected(rows)
    detected = query("SELECT encoding FROM ingest_runs")[0]["encoding"]
    expected = {"gbk": "gb18030", "utf-16": "utf-16", "utf-8": "utf-8", "utf-8-sig": "utf-8-sig"}
    assert detected == expected.get(encoding, encoding)      # GB18030 is GBK's superset


def test_a_gbk_file_with_a_broken_row_keeps_the_rest(store, tmp_path, query):
    good = "id,created_at,text\n1,2022-09-21,小米11 WiFi 坏了\n".encode("gbk")
    broken = b"2,2022-09-21,\x81\x20\xff\xfe\n"          # not valid GB18030
    tail = "3,2022-09-21,又烧主板了\n".encode("gbk")
    path = tmp_path / "gbk.csv"
    path.write_bytes(good + broken + tail)
    result = ingest_file(store, path)
    assert (result.rows_inserted, result.rows_quarantined) == (2, 1)
    assert query("SELECT row_number, reason FROM quarantine")[0]["row_number"] == 3
    assert [r["text"] for r in query("SELECT text FROM reports ORDER BY source_id")] == ["小米11 WiFi 坏了", "又烧主板了"]
