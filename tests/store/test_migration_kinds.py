"""Migration 0006 on a store written before it: reports keep their modes, gain an empty
``complaint_modes`` (NULL: every mode counts as a failure), and both labelled views carry the
kinds of a relabel and clear them for an analyst's correction."""

from __future__ import annotations

import duckdb

from conftest import store_at_version
from defectradar.query.series import failures_view
from defectradar.store import migrate


def _store_at_version_5(path) -> None:
    con = store_at_version(path, 5)
    for report_id, modes in (("a" * 32, ["wifi", "battery"]), ("b" * 32, ["display"])):
        con.execute("INSERT INTO reports (report_id, source, source_type, text, failure_modes, ingest_run, "
                    "ingested_at) VALUES (?, 'csv', 'csv', 'x', ?, 'run', now())", [report_id, modes])
    con.close()


def test_0006_adds_kinds_and_old_reports_count_every_mode_as_a_failure(tmp_path):
    path = tmp_path / "old.duckdb"
    _store_at_version_5(path)
    con = duckdb.connect(str(path))
    try:
        assert 6 in migrate.upgrade(con, str(path))
        assert con.execute("SELECT count(*) FROM reports_labelled WHERE complaint_modes IS NULL").fetchone()[0] == 2
        view = failures_view(con)
        assert sorted(con.execute(f"SELECT failure_modes FROM {view} ORDER BY report_id").fetchone()[0]) == [
            "battery", "wifi"]
        # A relabel that finds battery a complaint: failures only leaves wifi.
        con.execute("INSERT INTO report_labels (report_id, label_run, classifier, failure_modes, complaint_modes, "
                    "labelled_at) VALUES (?, 'r2', 'c', ['wifi', 'battery'], ['battery'], now())", ["a" * 32])
        assert con.execute(f"SELECT failure_modes FROM {view} WHERE report_id = ?", ["a" * 32]).fetchone()[0] == [
            "wifi"]
        # An analyst's correction names what is wrong: every corrected mode is a failure.
        con.execute("""INSERT INTO label_events (label_event_id, report_id, field, value, analyst, "at")
                       VALUES ('e1', ?, 'failure_modes', '["battery"]', 'ana', now())""", ["a" * 32])
        assert con.execute(f"SELECT failure_modes, complaint_modes FROM {view} WHERE report_id = ?",
                           ["a" * 32]).fetchone() == (["battery"], [])
    finally:
        con.close()
