"""Migration 0004 on a store written before it: the repeated rows a repost's original left are
removed, reposts are linked to their originals, and the complaint view leaves them out."""

from __future__ import annotations

import duckdb

from conftest import store_at_version
from defectradar.store import migrate


def _store_at_version_3(path) -> None:
    con = store_at_version(path, 3)
    rows = [  # (report_id, source_id, text, extra): the original stored twice, as releases before 0004 did
        ("a" * 32, "1001", "wifi dead", None),
        ("a" * 32, "1001", "wifi dead", None),
        ("b" * 32, "1002", "转发微博", '{"retweet_of": "1001"}'),
        ("c" * 32, "1003", "screen burnt", None),
    ]
    for report_id, source_id, text, extra in rows:
        con.execute("INSERT INTO reports (report_id, source, source_type, source_id, text, extra, ingest_run, "
                    "ingested_at, engagement) VALUES (?, 'weibo', 'weibo', ?, ?, ?, 'run', now(), NULL)",
                    [report_id, source_id, text, extra])
    con.close()


def test_0004_removes_repeats_links_reposts_and_splits_the_views(tmp_path):
    path = tmp_path / "old.duckdb"
    _store_at_version_3(path)
    con = duckdb.connect(str(path))
    try:
        assert migrate.upgrade(con, str(path)) == list(range(4, migrate.latest_version() + 1))
        assert con.execute("SELECT count(*), count(DISTINCT report_id) FROM reports").fetchone() == (3, 3)
        original_id = con.execute("SELECT md5('weibo' || chr(31) || '1001')").fetchone()[0]
        assert con.execute("SELECT repost_of FROM reports WHERE source_id = '1002'").fetchone()[0] == original_id
        assert con.execute("SELECT count(*) FROM posts_labelled").fetchone()[0] == 3
        complaints = con.execute("SELECT source_id FROM reports_labelled ORDER BY 1").fetchall()
        assert complaints == [("1001",), ("1003",)]
    finally:
        con.close()
