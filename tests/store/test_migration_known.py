"""Migration 0007 on a store written before it: the recalls and announcements tables appear
empty, and the rows already there are untouched."""

from __future__ import annotations

from datetime import date

import duckdb

from conftest import store_at_version
from defectradar.analyses.known import known_issues
from defectradar.store import migrate


def test_0007_adds_empty_known_issue_tables(tmp_path):
    path = tmp_path / "old.duckdb"
    con = store_at_version(path, 6)
    con.execute("INSERT INTO reports (report_id, source, source_type, text, ingest_run, ingested_at) "
                "VALUES ('a', 'csv', 'csv', 'x', 'run', now())")
    con.close()
    con = duckdb.connect(str(path))
    try:
        assert 7 in migrate.upgrade(con, str(path))
        assert con.execute("SELECT count(*) FROM recalls").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM announcements").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM reports").fetchone()[0] == 1
        # Only the rule book's policies are known in a store without recalls or announcements.
        assert {i.source for i in known_issues(con, date(2023, 1, 1))} == {"policy"}
    finally:
        con.close()
