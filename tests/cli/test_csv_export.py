"""``--csv FILE`` (and ``.xlsx``) on every command that prints a table (issue 13, item 17)."""

from __future__ import annotations

import csv
import shutil

import pytest
from openpyxl import load_workbook
from rich.table import Table
from rich.text import Text
from typer.testing import CliRunner

from conftest import write_csv
from defectradar.cli.app import app
from defectradar.cli.table_export import rows_of, write_tables

runner = CliRunner()


@pytest.fixture(scope="module")
def one_store(tmp_path_factory):
    """One small store for the module (ingest loads the classifier: seconds), copied per test."""
    folder = tmp_path_factory.mktemp("csv-export")
    mp = pytest.MonkeyPatch()        # the per-test isolation is not in place yet at module scope
    mp.setenv("DEFECTRADAR_KEY_DIR", str(folder / "keys"))
    mp.setenv("DEFECTRADAR_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    data = write_csv(folder / "complaints.csv", ["id", "created_at", "text"], [
        ["u1", "2022-03-01", "wifi keeps dropping"],
        ["u2", "2022-03-02", "=HYPERLINK(\"http://x\") :battery: [bold]hot[/]"],
        ["u3", "2022-03-03", "screen burn-in after a month"],
    ])
    result = runner.invoke(app, ["ingest", str(data), "--db", str(folder / "s.duckdb")])
    mp.undo()
    assert result.exit_code == 0, result.output
    return folder / "s.duckdb"


@pytest.fixture
def ingested(one_store, tmp_path, monkeypatch):
    path = tmp_path / "s.duckdb"
    shutil.copyfile(one_store, path)
    monkeypatch.setenv("DEFECTRADAR_DB", str(path))
    monkeypatch.setenv("DEFECTRADAR_KEY_DIR", str(one_store.parent / "keys"))   # the store's own keys
    return path


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_stats_tables_go_to_csv_files_as_shown(ingested, tmp_path):
    target = tmp_path / "stats.csv"
    result = runner.invoke(app, ["stats", "--csv", str(target)])
    assert result.exit_code == 0, result.output
    rows = read_csv(target)
    assert rows[0][:2] == ["table", "rows"] or "rows" in rows[0]
    assert ["reports", "3"] == [c for c in rows if c and c[0] == "reports"][0][:2]
    # stats prints more than one table: each has its own file, named after the first.
    assert (tmp_path / "stats-2.csv").exists()
    assert "written to" in result.output


def test_reports_to_excel_keep_numbers_and_never_make_formulas(ingested, tmp_path):
    target = tmp_path / "reports.xlsx"
    result = runner.invoke(app, ["reports", "list", "--csv", str(target)])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(target).worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    texts = [v for row in values[1:] for v in row if isinstance(v, str)]
    hostile = [t for t in texts if "HYPERLINK" in t]
    assert hostile and hostile[0].startswith("=HYPERLINK")          # written as typed ...
    cells = [c for row in sheet.iter_rows() for c in row if c.value == hostile[0]]
    assert cells[0].data_type == "s"                                # ... and as text, not a formula
    assert any(":battery:" in t and "[bold]" in t for t in texts)   # no emoji, no markup eaten


def test_a_stranger_s_formula_is_defused_in_csv(tmp_path):
    table = Table("text", "n")
    table.add_row("=1+1", "1,234")
    table.add_row("-12.5", "-x")
    table.add_row(Text("[not markup]"), "[bold]2[/]")
    written = write_tables(tmp_path / "t.csv", [table])
    assert read_csv(written[0]) == [["text", "n"], ["'=1+1", "1,234"], ["-12.5", "'-x"], ["[not markup]", "2"]]


def test_several_tables_become_sheets_named_after_their_titles(tmp_path):
    first, second = Table("a", title="Runs: latest"), Table("b", title="Runs: latest")
    first.add_row("1,234")
    second.add_row("x")
    write_tables(tmp_path / "t.xlsx", [first, second])
    book = load_workbook(tmp_path / "t.xlsx")
    assert len(book.sheetnames) == 2 and len(set(book.sheetnames)) == 2
    assert book.worksheets[0]["A2"].value == 1234


def test_rows_of_reads_cells_without_markup():
    table = Table("[bold]name[/]", "value")
    table.add_row("[red]wifi[/]", Text("3"))
    assert rows_of(table) == (["name", "value"], [["wifi", "3"]])


@pytest.mark.parametrize("name, message", [
    ("out.txt", "must end in .csv"),
    ("s.duckdb", "must end in .csv"),
    ("folder.csv", "is a folder"),
    ("missing/out.csv", "does not exist"),
])
def test_bad_targets_are_refused_before_anything_runs(ingested, tmp_path, name, message):
    (tmp_path / "folder.csv").mkdir()
    target = tmp_path / name
    result = runner.invoke(app, ["stats", "--csv", str(target)])
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output


def test_a_store_is_never_overwritten_by_an_export(ingested, tmp_path):
    disguised = tmp_path / "store.csv"
    disguised.write_bytes(ingested.read_bytes())
    result = runner.invoke(app, ["stats", "--csv", str(disguised)])
    assert result.exit_code == 2 and "is a defectradar store" in result.output
    assert disguised.read_bytes() == ingested.read_bytes()


def test_json_and_csv_together_are_refused(ingested, tmp_path):
    result = runner.invoke(app, ["stats", "--json", "--csv", str(tmp_path / "x.csv")])
    assert result.exit_code == 2 and "drop one of the two" in result.output
    assert not (tmp_path / "x.csv").exists()


def test_a_run_without_a_table_says_so(ingested, tmp_path):
    result = runner.invoke(app, ["alerts", "list", "--csv", str(tmp_path / "x.csv")])
    if "no alerts" in result.output.lower():        # an empty store prints a line, not a table
        assert result.exit_code == 2 and "printed no table" in result.output
        assert not (tmp_path / "x.csv").exists()


def test_reports_export_keeps_whole_texts_and_ids(ingested, tmp_path):
    """The screen shows snippets and short ids; the exported table is for keeping: whole values."""
    long_text = "the wifi drops every evening " * 10
    extra = write_csv(tmp_path / "more.csv", ["id", "created_at", "text"], [["u9", "2022-03-09", long_text]])
    assert runner.invoke(app, ["ingest", str(extra)]).exit_code == 0
    target = tmp_path / "reports.csv"
    result = runner.invoke(app, ["reports", "search", "evening", "--csv", str(target)])
    assert result.exit_code == 0, result.output
    rows = read_csv(target)
    assert rows[1][-1] == " ".join(long_text.split()) and len(rows[1][0]) == 32
    assert "…" in result.stdout


def test_no_match_is_a_line_not_an_empty_table(ingested):
    result = runner.invoke(app, ["reports", "search", "nothing-like-this"])
    assert result.exit_code == 0 and "0 reports match" in result.output and "┏" not in result.output
