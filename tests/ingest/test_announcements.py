"""Makers' announcements (``--type announcements``): a simple CSV of known issues."""

from __future__ import annotations

import pytest

from defectradar.errors import UnknownFormatError
from defectradar.ingest.pipeline import ingest_file

HEADER = ["brand", "product", "mode", "component", "date", "kind", "reference", "text"]


def test_announcements_are_stored_with_the_complaints_product_id(store, csv_file, query):
    path = csv_file(HEADER, [
        ["Xiaomi", "Mi 11", "wifi", "", "2021-08-06", "Exchange programme", "https://example.com/mi11", "exchange"],
        ["FORD", "ESCAPE", "", "ELECTRICAL SYSTEM", "2022-03-01", "statement", "F-1", "clusters"],
        ["FORD", "ESCAPE", "all", "", "2022-04-01", "service program", "F-2", "every mode"],
    ], name="announcements.csv")
    result = ingest_file(store, path, classifier=False)
    assert (result.source_type, result.rows_inserted, result.rows_quarantined) == ("announcements", 3, 0)
    rows = {r["reference"]: r for r in query("SELECT * FROM announcements")}
    mi = rows["https://example.com/mi11"]
    assert (mi["product_id"], mi["failure_mode"], mi["kind"], str(mi["date"])) == (
        "xiaomi-11", "wifi", "exchange-programme", "2021-08-06")
    assert rows["F-1"]["product_id"] == "named:ford-escape" and rows["F-1"]["component"] == "ELECTRICAL SYSTEM"
    assert rows["F-2"]["failure_mode"] is None and rows["F-2"]["kind"] == "service-campaign"
    again = ingest_file(store, path, classifier=False, force=True)
    assert (again.rows_inserted, again.rows_duplicate) == (0, 3)


def test_bad_rows_are_quarantined_with_what_to_do(store, csv_file, query):
    path = csv_file(HEADER, [
        ["Xiaomi", "Mi 12", "wifi", "", "2022-10-01", "statement", "ok", ""],
        ["", "", "wifi", "", "2022-05-01", "statement", "no product", ""],
        ["Xiaomi", "Mi 12", "wifi", "", "2022-13-01", "statement", "bad date", ""],
        ["Xiaomi", "Mi 12", "wifi", "", "2022-10-01", "rumour", "bad kind", ""],
    ], name="announcements.csv")
    result = ingest_file(store, path, source_type="announcements", classifier=False)
    assert (result.rows_inserted, result.rows_quarantined) == (1, 3)
    reasons = {r["row_number"]: r for r in query("SELECT row_number, field, reason FROM quarantine")}
    assert reasons[3]["field"] == "product" and "name the product" in reasons[3]["reason"]
    assert reasons[4]["field"] == "date" and "'2022-13-01' cannot be read as a date" in reasons[4]["reason"]
    assert reasons[5]["field"] == "kind" and "exchange-programme" in reasons[5]["reason"]


def test_a_file_without_a_date_column_names_it(store, csv_file):
    path = csv_file(["product", "kind", "reference"], [["Mi 11", "statement", "x"]], name="a.csv")
    with pytest.raises(UnknownFormatError, match="no column for date"):
        ingest_file(store, path, source_type="announcements", classifier=False)
