"""Issue 13, ingest items through the real shell: NHTSA components merged across batches and
files (1), severity from NHTSA-style columns and --map severity (13), value maps (14), a
headerless file's message (15), Excel input (17); and bytes-read progress (18) at the library
level."""

from __future__ import annotations

import json

import duckdb
import openpyxl
import pytest
from typer.testing import CliRunner

from conftest import shared_data
from defectradar.cli.app import app
from defectradar.ingest.nhtsa import FIELDS
from defectradar.ingest.pipeline import ingest_file

runner = CliRunner()


def run(*args: str, env: dict | None = None):
    return runner.invoke(app, list(args), env=env)


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "i13.duckdb")


def rows(db: str, sql: str) -> list[tuple]:
    con = duckdb.connect(db, read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def last_run(db: str) -> dict:
    return json.loads(run("runs", "list", "--db", db, "--json").stdout)[0]


def balanced(r: dict) -> bool:
    return r["rows_read"] == r["rows_inserted"] + r["rows_duplicate"] + r["rows_quarantined"] + r["rows_merged"]


def nhtsa_row(**values) -> str:
    cells = [""] * len(FIELDS)
    for name, value in values.items():
        cells[FIELDS.index(name)] = value
    return "\t".join(cells)


def complaint(cmplid: int, odino: str, component: str, **more) -> str:
    return nhtsa_row(CMPLID=str(cmplid), ODINO=odino, MAKETXT="FORD", MODELTXT="ESCAPE", COMPDESC=component,
                     LDATE="20200102", CDESCR="IT STALLED", **more)


# -- 1. NHTSA components ----------------------------------------------------------------------

def test_real_flat_file_keeps_every_component_of_958167(db):
    path = shared_data("nhtsa-flat-file-sample") / "complaints.txt"
    wanted = sorted({line.split("\t")[11] for line in path.read_text(encoding="utf-8").splitlines()
                     if line.split("\t")[1] == "958167"})   # 9 rows, 8 distinct components
    result = run("ingest", str(path), "--type", "nhtsa", "--db", db)
    assert result.exit_code == 0, result.output
    assert rows(db, "SELECT components FROM reports WHERE source_id = '958167'") == [(wanted,)]
    assert balanced(last_run(db)) and last_run(db)["rows_merged"] == 23
    # 1995 rows give each component its own narrative: all nine are kept, none merged away.
    narratives = {line.split("\t")[19].strip() for line in path.read_text(encoding="utf-8").splitlines()
                  if line.split("\t")[1] == "958167"}
    (text,), = rows(db, "SELECT text FROM reports WHERE source_id = '958167'")
    assert len(narratives) == 9 and all(n in text for n in narratives)


def test_components_merge_across_batches_wherever_rows_stand(db, tmp_path):
    lines = [complaint(1, "500", "ENGINE"), complaint(2, "600", "BRAKES"), complaint(3, "700", "SEATS"),
             complaint(4, "500", "STEERING"), complaint(5, "600", "ENGINE"), complaint(6, "500", "AIR BAGS",
                                                                                         CRASH="Y")]
    path = tmp_path / "FLAT_CMPL.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("ingest", str(path), "--db", db, env={"DEFECTRADAR_BATCH_ROWS": "2"})
    assert result.exit_code == 0, result.output
    assert rows(db, "SELECT source_id, components, severity FROM reports ORDER BY source_id") == [
        ("500", ["AIR BAGS", "ENGINE", "STEERING"], "safety"), ("600", ["BRAKES", "ENGINE"], None),
        ("700", ["SEATS"], None)]
    r = last_run(db)
    assert (r["rows_read"], r["rows_inserted"], r["rows_merged"]) == (6, 3, 3) and balanced(r)


def test_each_narrative_of_a_complaint_is_kept_across_batches(db, tmp_path):
    lines = [nhtsa_row(CMPLID="1", ODINO="500", MAKETXT="FORD", MODELTXT="ESCAPE", COMPDESC="ENGINE",
                       LDATE="20200102", CDESCR="ENGINE STALLED"),
             complaint(2, "600", "BRAKES"),
             nhtsa_row(CMPLID="3", ODINO="500", MAKETXT="FORD", MODELTXT="ESCAPE", COMPDESC="SEATS",
                       LDATE="20200102", CDESCR="SEAT BAR BROKE"),
             nhtsa_row(CMPLID="4", ODINO="500", MAKETXT="FORD", MODELTXT="ESCAPE", COMPDESC="WHEELS",
                       LDATE="20200102", CDESCR="ENGINE STALLED")]
    path = tmp_path / "FLAT_CMPL.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("ingest", str(path), "--db", db, env={"DEFECTRADAR_BATCH_ROWS": "2"})
    assert result.exit_code == 0, result.output
    assert rows(db, "SELECT source_id, text FROM reports ORDER BY source_id") == [
        ("500", "ENGINE STALLED\n\nSEAT BAR BROKE"), ("600", "IT STALLED")]


def test_a_complaints_rows_in_a_later_file_join_the_stored_report(db, tmp_path):
    early = tmp_path / "FLAT_CMPL_Q1.txt"
    early.write_text("\n".join([complaint(1, "500", "ENGINE"), complaint(2, "600", "BRAKES")]) + "\n")
    later = tmp_path / "FLAT_CMPL_Q2.txt"
    later.write_text("\n".join([complaint(3, "500", "STEERING", FIRE="Y"), complaint(4, "600", "BRAKES"),
                                complaint(5, "700", "SEATS")]) + "\n")
    assert run("ingest", str(early), "--db", db).exit_code == 0
    result = run("ingest", str(later), "--db", db)
    assert result.exit_code == 0, result.output
    assert rows(db, "SELECT source_id, components, severity FROM reports ORDER BY source_id") == [
        ("500", ["ENGINE", "STEERING"], "safety"), ("600", ["BRAKES"], None), ("700", ["SEATS"], None)]
    r = last_run(db)
    # 500 adds a component (merged), 600 adds nothing (a duplicate), 700 is new.
    assert (r["rows_inserted"], r["rows_duplicate"], r["rows_merged"]) == (1, 1, 1) and balanced(r)


# -- 13. severity ------------------------------------------------------------------------------

def test_flat_file_flags_set_severity_beside_blank_flags(db, tmp_path):
    path = tmp_path / "FLAT_CMPL.txt"
    path.write_text("\n".join([complaint(1, "500", "ENGINE", FIRE="Y"), complaint(2, "600", "ENGINE", INJURED="2"),
                               complaint(3, "700", "ENGINE", CRASH="N", FIRE="N", INJURED="0")]) + "\n")
    assert run("ingest", str(path), "--db", db).exit_code == 0
    assert rows(db, "SELECT source_id, severity, source_severity FROM reports ORDER BY 1") == [
        ("500", "safety", "safety"), ("600", "safety", "safety"), ("700", None, None)]


def test_nhtsa_shaped_csv_sets_severity_and_quarantines_unknown_flags(db, tmp_path):
    path = tmp_path / "nhtsa_api.csv"
    path.write_text("odiNumber,summary,CRASH,FIRE,INJURED,DEATHS\n1,brakes failed,Y,N,0,0\n2,radio noise,N,N,0,0\n"
                    "3,engine fire,N,N,2,0\n4,odd,maybe,N,0,0\n", encoding="utf-8")
    result = run("ingest", str(path), "--db", db, "--map", "text=summary", "--map", "source_id=odiNumber")
    assert result.exit_code == 0, result.output
    assert rows(db, "SELECT source_id, severity FROM reports ORDER BY 1") == [
        ("1", "safety"), ("2", None), ("3", "safety")]
    [(field, reason)] = rows(db, "SELECT field, reason FROM quarantine")
    assert field == "crash" and "'maybe'" in reason and "--value-map crash:maybe=safety" in reason


def test_map_severity_with_value_map(db, tmp_path):
    path = tmp_path / "levels.csv"
    path.write_text("id,text,level\n1,screen cracked,high\n2,battery swelled,safety\n3,app slow,none\n",
                    encoding="utf-8")
    result = run("ingest", str(path), "--db", db, "--map", "severity=level")
    assert result.exit_code == 0
    [(reason,)] = rows(db, "SELECT reason FROM quarantine")
    assert "'high'" in reason and "--value-map severity:high=safety" in reason
    fixed = run("ingest", str(path), "--db", db, "--map", "severity=level", "--value-map", "severity:high=safety",
                "--replace")
    assert fixed.exit_code == 0, fixed.output
    assert rows(db, "SELECT source_id, severity FROM reports ORDER BY 1") == [
        ("1", "safety"), ("2", "safety"), ("3", None)]
    assert rows(db, "SELECT count(*) FROM quarantine") == [(0,)]


# -- 14. value maps ----------------------------------------------------------------------------

SERVICE = ("id,repair_status,problem,event_date\nm1,Fixed,Mobile - screen,2019-01-02\n"
           "m2,Repairable,Mobile - battery,2019-01-03\nm3,End of life,Mobile - board,2019-01-04\n")
MAP = ("--type", "service-records", "--map", "device_id=id", "--map", "action=repair_status", "--map", "fault=problem")


def test_value_map_makes_open_repair_statuses_ingest(db, tmp_path):
    path = tmp_path / "restart.csv"
    path.write_text(SERVICE, encoding="utf-8")
    plain = run("ingest", str(path), "--db", db, *MAP)
    assert plain.exit_code == 0
    reasons = [r for (r,) in rows(db, "SELECT reason FROM quarantine ORDER BY row_number")]
    assert len(reasons) == 2 and "'Repairable'" in reasons[0] and "--value-map action:Repairable=" in reasons[0]
    mapped = run("ingest", str(path), "--db", db, *MAP, "--replace",
                 "--value-map", 'action:Fixed=repair,Repairable=repair,"End of life"=refused')
    assert mapped.exit_code == 0, mapped.output
    assert rows(db, "SELECT action FROM service_events ORDER BY date") == [("repair",), ("repair",),
                                                                                  ("refused",)]
    assert rows(db, "SELECT count(*) FROM quarantine") == [(0,)]

    from_file = tmp_path / "values.yaml"
    from_file.write_text("action:\n  Fixed: repair\n  Repairable: inspect\n  End of life: refused\n")
    again = run("ingest", str(path), "--db", str(tmp_path / "other.duckdb"), *MAP, "--value-map-file", str(from_file))
    assert again.exit_code == 0, again.output
    assert rows(str(tmp_path / "other.duckdb"), "SELECT count(*) FROM service_events") == [(3,)]


def test_unknown_value_is_quarantined_without_echoing_an_identifier(db, tmp_path):
    path = tmp_path / "restart.csv"
    path.write_text(SERVICE + "m4,13812345678,Mobile - call,2019-01-05\n", encoding="utf-8")
    result = run("ingest", str(path), "--db", db, *MAP,
                 "--value-map", 'action:Fixed=repair,Repairable=repair,"End of life"=refused')
    assert result.exit_code == 0
    [(field, reason, raw)] = rows(db, "SELECT field, reason, raw FROM quarantine")
    assert field == "action" and "--value-map" in reason
    assert "13812345678" not in reason and "13812345678" not in raw
    listed = run("quarantine", "list", "--db", db)
    assert "13812345678" not in listed.output


def test_real_open_repair_file_ingests_with_a_value_map(db):
    path = shared_data("openrepair-mobile-tablet-faults") / "mobiles_mobifix.csv"
    result = run("ingest", str(path), "--db", db, *MAP,
                 "--value-map", 'action:Fixed=repair,Repairable=inspect,"End of life"=refused')
    assert result.exit_code == 0, result.output
    reasons = {r for (r,) in rows(db, "SELECT DISTINCT reason FROM quarantine")}
    assert all("'Unknown'" in r for r in reasons)    # the only status left unmapped
    assert rows(db, "SELECT count(*) FROM service_events WHERE action = 'refused'")[0][0] > 0


# -- 15. unknown layout ------------------------------------------------------------------------

def test_headerless_csv_names_the_file_and_types_not_a_row_as_columns(db, tmp_path):
    path = tmp_path / "no_header.csv"
    path.write_text("a1,2022-09-21,screen went black after update\na2,2022-09-22,battery drains fast\n",
                    encoding="utf-8")
    result = run("ingest", str(path), "--db", db)
    assert result.exit_code == 2
    assert "no_header.csv" in result.output and "looks like data" in result.output
    assert "service-records" in result.output and "nhtsa" in result.output
    assert "screen went black" not in result.output and "its columns are" not in result.output

    one_line = tmp_path / "one_line.csv"
    one_line.write_text("13812345678,2022-09-21,screen went black\n", encoding="utf-8")
    single = run("ingest", str(one_line), "--db", db)
    assert single.exit_code == 2 and "looks like data" in single.output   # never "0 rows read"
    assert "13812345678" not in single.output


def test_wrong_map_is_named_before_an_earlier_run_is_compared(db, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,body\n1,wifi dead\n", encoding="utf-8")
    assert run("ingest", str(path), "--db", db, "--map", "text=body").exit_code == 0
    wrong = run("ingest", str(path), "--db", db, "--map", "text=nope")
    assert wrong.exit_code == 2 and "has no column 'nope'" in wrong.output


# -- 17. Excel ---------------------------------------------------------------------------------

def test_excel_workbook_with_sheet(db, tmp_path):
    path = tmp_path / "complaints.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Intro"
    book.active.append(["notes"])
    sheet = book.create_sheet("Complaints")
    sheet.append(["id", "created_at", "text"])
    sheet.append(["x1", "2022-09-21", "screen dead"])
    sheet.append(["x2", None, "battery hot"])
    book.save(path)

    result = run("ingest", str(path), "--sheet", "Complaints", "--db", db)
    assert result.exit_code == 0, result.output
    assert rows(db, "SELECT source_id, text FROM reports ORDER BY 1") == [("x1", "screen dead"),
                                                                          ("x2", "battery hot")]
    missing = run("ingest", str(path), "--sheet", "Nope", "--db", db)
    assert missing.exit_code == 2 and "'Complaints'" in missing.output
    first = run("ingest", str(path), "--db", db)      # the first sheet has no text column: said so
    assert first.exit_code == 2 and "no column for text" in first.output and "--replace" not in first.output


# -- 18. progress ------------------------------------------------------------------------------

class Recorder:
    def __init__(self):
        self.updates: list[int] = []
        self.total = 0

    def start(self, label, total):
        self.total = total

    def update(self, done, rows=None):
        self.updates.append(done)

    def finish(self):
        pass


def test_progress_moves_by_bytes_within_one_batch(store, tmp_path):
    path = tmp_path / "big.csv"
    line = "id,created_at,text\n" + "".join(f"{i},2022-09-21,{'wifi drops again and again ' * 8}{i}\n"
                                             for i in range(20_000))
    path.write_text(line, encoding="utf-8")      # ~4.5 MB, 20,000 rows: one batch
    progress = Recorder()
    result = ingest_file(store, path, classifier=False, progress=progress)
    assert result.rows_inserted == 20_000
    size = path.stat().st_size
    intermediate = [d for d in progress.updates if 0 < d < size]
    assert len(set(intermediate)) >= 2, progress.updates
