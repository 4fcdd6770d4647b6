"""NHTSA recalls (``--type nhtsa-recalls``): the flat file FLAT_RCL and the recalls API's CSVs."""

from __future__ import annotations

import json

import pytest

from conftest import shared_data
from defectradar.errors import InputError
from defectradar.ingest.nhtsa import FIELDS as COMPLAINT_FIELDS
from defectradar.ingest.nhtsa_recalls import FLAT_FIELDS
from defectradar.ingest.pipeline import ingest_file
from defectradar.ingest.runs import undo_run


def recall_row(**values) -> str:
    """A FLAT_RCL line (24 fields, as the public sample has), the named fields filled in."""
    cells = [""] * 24
    for name, value in values.items():
        cells[FLAT_FIELDS.index(name)] = value
    return "\t".join(cells)


ESCAPE_2017 = dict(RECORD_ID="1", CAMPNO="17V123000", MAKETXT="FORD", MODELTXT="ESCAPE", YEARTXT="2017",
                   MFGCAMPNO="17S01", COMPNAME="ELECTRICAL SYSTEM:BATTERY:CABLES", MFGNAME="FORD MOTOR COMPANY",
                   RCLTYPECD="V", POTAFF="291854", ODATE="20170310", INFLUENCED_BY="ODI", RCDATE="20170106",
                   DATEA="20170110", DESC_DEFECT="BATTERY CABLES MAY SHORT.", CONEQUENCE_DEFECT="FIRE.",
                   CORRECTIVE_ACTION="DEALERS WILL REROUTE THE CABLES. CALL FORD AT 1-866-436-7332.",
                   RCL_CMPT_ID="000015339000215022000000202")


def flat_file(tmp_path, rows: list[str], name: str = "FLAT_RCL.txt"):
    path = tmp_path / name
    path.write_text("\r\n".join(rows) + "\r\n", encoding="utf-8")
    return path


def test_flat_file_is_detected_and_each_field_lands(store, tmp_path, query):
    rows = [recall_row(**ESCAPE_2017),
            recall_row(**{**ESCAPE_2017, "RECORD_ID": "2", "YEARTXT": "2018"}),
            recall_row(RECORD_ID="3", CAMPNO="02E052000", MAKETXT="EMC", MODELTXT="EGB-SS", YEARTXT="9999",
                       COMPNAME="VEHICLE SPEED CONTROL", RCLTYPECD="E", RCDATE="", DATEA="20020912")]
    result = ingest_file(store, flat_file(tmp_path, rows))
    assert result.source_type == "nhtsa-recalls" and result.source == "nhtsa"
    assert (result.rows_read, result.rows_inserted, result.rows_quarantined) == (3, 3, 0)
    escape = query("SELECT * FROM recalls WHERE model_year = 2017")[0]
    assert (escape["campaign"], escape["make"], escape["model"], escape["product_raw"]) == (
        "17V123000", "FORD", "ESCAPE", "FORD ESCAPE")
    assert escape["product_id"] == "named:ford-escape"
    assert (escape["component"], escape["component_top"]) == ("ELECTRICAL SYSTEM:BATTERY:CABLES", "ELECTRICAL SYSTEM")
    assert (str(escape["report_date"]), str(escape["notification_date"])) == ("2017-01-06", "2017-03-10")
    assert (escape["manufacturer"], escape["mfr_campaign"], escape["recall_type"], escape["potentially_affected"]) == (
        "FORD MOTOR COMPANY", "17S01", "V", 291854)
    assert escape["summary"] == "BATTERY CABLES MAY SHORT." and escape["consequence"] == "FIRE."
    assert "1-866-436-7332" not in escape["remedy"]          # numbers in free text are tokenised like anywhere
    assert json.loads(escape["extra"])["rcl_cmpt_id"] == "000015339000215022000000202"
    equipment = query("SELECT * FROM recalls WHERE campaign = '02E052000'")[0]
    # 9999 is NHTSA's "unknown model year"; a blank RCDATE falls back to the day the record was added.
    assert equipment["model_year"] is None and str(equipment["report_date"]) == "2002-09-12"


def test_reingest_adds_nothing_and_undo_takes_the_run_back(store, tmp_path, query):
    path = flat_file(tmp_path, [recall_row(**ESCAPE_2017), recall_row(**{**ESCAPE_2017, "RECORD_ID": "2"})])
    first = ingest_file(store, path, source_type="nhtsa-recalls", classifier=False)
    # The same campaign x make x model x year twice in one file is one row.
    assert (first.rows_inserted, first.rows_duplicate) == (1, 1)
    assert ingest_file(store, path, source_type="nhtsa-recalls", classifier=False).status == "skipped"
    forced = ingest_file(store, path, source_type="nhtsa-recalls", classifier=False, force=True)
    assert (forced.rows_inserted, forced.rows_duplicate) == (0, 2)
    assert query("SELECT count(*) AS n FROM recalls")[0]["n"] == 1
    removed = undo_run(store, first.run_id)
    assert removed.removed["recalls"] == 1 and query("SELECT count(*) AS n FROM recalls")[0]["n"] == 0


def test_bad_rows_are_quarantined_with_the_field_and_what_to_do(store, tmp_path, query):
    rows = [recall_row(**ESCAPE_2017),
            recall_row(**{**ESCAPE_2017, "RECORD_ID": "2", "YEARTXT": "2019", "RCDATE": "20171345"}),
            recall_row(**{**ESCAPE_2017, "RECORD_ID": "3", "YEARTXT": "2020", "RCDATE": "", "DATEA": ""}),
            recall_row(**{**ESCAPE_2017, "RECORD_ID": "4", "YEARTXT": "MY20"}),
            recall_row(**{**ESCAPE_2017, "RECORD_ID": "5", "YEARTXT": "2021", "MODELTXT": ""}),
            "6\t17V123000\tFORD"]
    result = ingest_file(store, flat_file(tmp_path, rows), classifier=False)
    assert (result.rows_inserted, result.rows_quarantined) == (1, 5)
    reasons = {r["row_number"]: r for r in query("SELECT row_number, field, reason FROM quarantine")}
    assert reasons[2]["field"] == "report_date" and "'20171345' cannot be read as a date" in reasons[2]["reason"]
    assert "YYYY-MM-DD" in reasons[2]["reason"]
    assert reasons[3]["field"] == "report_date" and "empty" in reasons[3]["reason"]
    assert reasons[4]["field"] == "model_year" and "leave it blank when unknown" in reasons[4]["reason"]
    assert reasons[5]["field"] == "model" and "model is empty" in reasons[5]["reason"]
    assert 6 in reasons                                     # a row cut short: the reader refuses it


def test_a_complaints_flat_file_is_not_read_as_recalls(store, tmp_path):
    complaint = "\t".join(["1", "11000001", "FORD"] + [""] * 45)
    with pytest.raises(InputError, match="not an NHTSA campaign number.*--type nhtsa"):
        ingest_file(store, flat_file(tmp_path, [complaint]), source_type="nhtsa-recalls", classifier=False)


def test_recall_and_complaints_of_one_vehicle_share_the_product_id(store, tmp_path, csv_file, query):
    """FORD ESCAPE gets the same id whether a recall, the complaints flat file or a complaints
    CSV (make and model apart, another case) names it: that is how a recall meets its complaints."""
    cmpl = [""] * 48
    for name, value in dict(CMPLID="1", ODINO="11000001", MAKETXT="FORD", MODELTXT="ESCAPE", YEARTXT="2017",
                            COMPDESC="ELECTRICAL SYSTEM", LDATE="20170201", CDESCR="CABLES MELTED").items():
        cmpl[COMPLAINT_FIELDS.index(name)] = value
    ingest_file(store, flat_file(tmp_path, ["\t".join(cmpl)], "FLAT_CMPL.txt"), source_type="nhtsa")
    ingest_file(store, csv_file(["odi_number", "make", "model", "model_year", "components", "incident_date"],
                                [["11000002", "FORD", "Escape", "2017", "ELECTRICAL SYSTEM", "2017-02-03"]]))
    ingest_file(store, flat_file(tmp_path, [recall_row(**ESCAPE_2017)]))
    ingest_file(store, csv_file(["campaign", "make", "model", "model_year", "component", "report_received_date",
                                 "summary", "consequence", "remedy"],
                                [["17V999000", "FORD", "Escape", "2017", "ELECTRICAL SYSTEM: WIRING", "2017-03-01",
                                  "s", "c", "r"]], name="recalls.csv"))
    complaints = {r["product_id"] for r in query("SELECT product_id FROM reports")}
    recalls = {r["product_id"] for r in query("SELECT product_id FROM recalls")}
    assert complaints == recalls == {"named:ford-escape"}


def test_api_csv_shapes(store, csv_file, query):
    """The recalls API as two projects exported it: snake_case columns, and the API's own names
    with a day/month/year ReportReceivedDate beside an ISO report_date_iso (the ISO one is read)."""
    ford = csv_file(["campaign", "make", "model", "model_year", "component", "report_received_date", "summary",
                     "consequence", "remedy"],
                    [["15V406000", "FORD", "Escape", "2015", "ELECTRICAL SYSTEM: INSTRUMENT CLUSTER/PANEL",
                      "2015-06-24", "cluster may be blank", "no warnings", "update software"],
                     ["21V00D000", "TESLA", "Model 3", "2021", "ELECTRICAL SYSTEM", "2021-02-01", "s", "c", "r"]],
                    name="recalls.csv")
    result = ingest_file(store, ford, classifier=False)
    assert (result.source_type, result.rows_inserted, result.rows_quarantined) == ("nhtsa-recalls", 2, 0)
    hk = csv_file(["Manufacturer", "NHTSACampaignNumber", "ReportReceivedDate", "Component", "Summary",
                   "Consequence", "Remedy", "ModelYear", "Make", "Model", "report_date_iso"],
                  [["Hyundai Motor America", "20V543000", "04/09/2020",
                    "SERVICE BRAKES, HYDRAULIC:ANTILOCK/TRACTION CONTROL", "HECU may short", "fire", "fuse", "2020",
                    "HYUNDAI", "TUCSON", "2020-09-04"]], name="recalls_hk.csv")
    assert ingest_file(store, hk, classifier=False).rows_inserted == 1
    rows = {r["campaign"]: r for r in query("SELECT * FROM recalls")}
    assert rows["15V406000"]["component_top"] == "ELECTRICAL SYSTEM"
    assert rows["21V00D000"]["product_id"] == "named:tesla-model3"     # campaign numbers hold letters since 2021
    tucson = rows["20V543000"]
    assert str(tucson["report_date"]) == "2020-09-04" and tucson["manufacturer"] == "Hyundai Motor America"
    assert tucson["component_top"] == "SERVICE BRAKES, HYDRAULIC"
    assert json.loads(tucson["extra"])["ReportReceivedDate"] == "04/09/2020"


def test_a_csv_lacking_the_campaign_says_which_column_to_map(store, csv_file):
    path = csv_file(["make", "model", "report_received_date"], [["FORD", "Escape", "2015-06-24"]])
    with pytest.raises(InputError, match="campaign.*--map campaign=COLUMN"):
        ingest_file(store, path, source_type="nhtsa-recalls", classifier=False)


def test_public_sample_of_flat_rcl(store, query):
    """The real first 100 rows of FLAT_RCL (../shared/data/nhtsa-flat-file-sample/recalls.txt)."""
    path = shared_data("nhtsa-flat-file-sample") / "recalls.txt"
    result = ingest_file(store, path, classifier=False)
    assert (result.source_type, result.rows_read, result.rows_inserted, result.rows_quarantined) == (
        "nhtsa-recalls", 100, 100, 0)
    focus = query("SELECT * FROM recalls WHERE campaign = '02V288000' ORDER BY model_year")
    assert [r["model_year"] for r in focus] == [2000, 2001]
    assert focus[0]["product_id"] == "named:ford-focus" and str(focus[0]["report_date"]) == "2002-11-06"
    assert query("SELECT count(*) AS n FROM recalls WHERE model_year IS NULL")[0]["n"] == 4     # equipment, 9999
