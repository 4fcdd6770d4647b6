"""``defectradar reports list|search|show`` through the shell (issue 13, item 17): filters by
product, mode, source, dates and text; ``show`` by our report id (or a prefix) and by the
source's own id (an NHTSA ODINO, a Weibo post id); user text printed as typed; ``--json``."""

from __future__ import annotations

import json

import pytest
from tests.conftest import write_csv
from typer.testing import CliRunner

from defectradar.cli.app import app

runner = CliRunner()
HOSTILE = "手机 wifi 断流 [bold]loud[/bold] :battery: :fire:"
WEIBO_MID = "4817000000000101"


def shell(db, *args):
    return runner.invoke(app, [*map(str, args), "--db", str(db)], env={"COLUMNS": "250"})


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reports")
    db = folder / "store.duckdb"
    forum = write_csv(folder / "forum.csv", ["id", "created_at", "text", "product"], [
        ["f1", "2024-03-01 10:00", HOSTILE, "小米11"],
        ["f2", "2024-03-05 10:00", "屏幕 绿屏 了，烧屏 严重", "小米11"],
        ["f3", "2024-04-02 10:00", "battery drains fast, battery swelling", "Redmi Note 8"],
    ])
    cars = write_csv(folder / "nhtsa.csv", ["odi_number", "received_date", "make", "model", "components",
                                            "complaint_text"], [
        ["958167", "2024-03-10", "FORD", "Escape", "UNKNOWN OR OTHER,SERVICE BRAKES", ""],
        ["958168", "2024-03-11", "FORD", "Escape", "STEERING", "THE STEERING LOCKED [red]WHILE[/] DRIVING."],
    ])
    weibo = folder / "weibo.jsonl"
    weibo.write_text(json.dumps({"mid": WEIBO_MID, "created_at": "Wed Sep 21 10:00:00 +0800 2022",
                                 "text": "小米11 wifi 老是断", "user": {"id": 1, "screen_name": "x"}},
                                ensure_ascii=False) + "\n", encoding="utf-8")
    for path, extra in ((forum, ["--source", "forum"]), (cars, ["--source", "nhtsa"]), (weibo, [])):
        result = shell(db, "ingest", path, *extra)
        assert result.exit_code == 0, result.output
    return db


def listed(db, *args) -> dict:
    result = shell(db, "reports", "list", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_list_filters_combine(db):
    everything = listed(db)
    assert everything["matched"] == 6
    assert [r["source"] for r in listed(db, "--source", "nhtsa")["reports"]] == ["nhtsa", "nhtsa"]
    assert listed(db, "--product", "xiaomi-11")["matched"] == 3
    assert listed(db, "--product", "Ford Escape")["matched"] == 2              # the name as the source writes it
    escape = listed(db, "--product", "named:ford-escape")["reports"]
    assert all(r["uncatalogued"] for r in escape)
    assert listed(db, "--mode", "SERVICE BRAKES")["matched"] == 1             # as NHTSA writes it
    assert listed(db, "--mode", "service-brakes", "--product", "Ford Escape")["matched"] == 1
    march = listed(db, "--since", "2024-03-01", "--until", "2024-03-31")
    assert {r["source"] for r in march["reports"]} == {"forum", "nhtsa"} and march["matched"] == 4
    assert listed(db, "--text", "BATTERY DRAINS")["matched"] == 1
    assert listed(db, "--search", "swelling battery")["matched"] == 1
    assert listed(db, "--limit", "2")["shown"] == 2


def test_search_words_in_any_order(db):
    result = shell(db, "reports", "search", "断", "wifi", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["matched"] == 2
    plain = shell(db, "reports", "search", "steering", "locked")
    assert plain.exit_code == 0 and "1 reports match" in plain.output


def test_user_text_printed_as_typed(db):
    result = shell(db, "reports", "list", "--source", "forum", "--text", "[bold]")
    assert result.exit_code == 0, result.output
    assert "[bold]loud[/bold]" in result.output and ":battery:" in result.output and "🔋" not in result.output
    report_id = listed(db, "--text", "[bold]")["reports"][0]["report_id"]
    shown = shell(db, "reports", "show", report_id[:8])
    assert shown.exit_code == 0, shown.output
    assert HOSTILE in shown.output and "🔥" not in shown.output
    car = shell(db, "reports", "show", "958168")
    assert "[red]WHILE[/]" in car.output


def test_show_by_report_id_prefix_and_source_id(db):
    reports = listed(db)["reports"]
    car = next(r for r in reports if r["source"] == "nhtsa" and "service-brakes" in r["failure_modes"])
    by_odino = shell(db, "reports", "show", "958167", "--json")
    assert by_odino.exit_code == 0, by_odino.output
    detail = json.loads(by_odino.output)
    assert detail["report"]["report_id"] == car["report_id"]
    assert detail["report"]["source_id"] == "958167"
    assert [m["mode"] for m in detail["failure_modes"]] == ["unknown-or-other", "service-brakes"]
    assert {m["source"] for m in detail["failure_modes"]} == {"source"}
    assert detail["product"] == {**detail["product"], "product_id": "named:ford-escape", "uncatalogued": True}
    assert detail["subject"]["phone"] is False
    plain = shell(db, "reports", "show", "958167")
    assert "uncatalogued" in plain.output and "SERVICE BRAKES" in plain.output
    assert "not about phones" in plain.output
    by_mid = shell(db, "reports", "show", WEIBO_MID, "--json")
    assert by_mid.exit_code == 0, by_mid.output
    assert json.loads(by_mid.output)["report"]["source"] == "weibo"
    by_prefix = shell(db, "reports", "show", car["report_id"][:6].upper(), "--json")
    assert json.loads(by_prefix.output)["report"]["report_id"] == car["report_id"]
    narrowed = shell(db, "reports", "show", "958167", "--source", "nhtsa", "--json")
    assert narrowed.exit_code == 0, narrowed.output


@pytest.mark.parametrize("args, message", [
    (["reports", "show", "zz-unknown"], "no report has the id or source id"),
    (["reports", "show", "958167", "--source", "weibo"], "of source 'weibo'"),
    (["reports", "list", "--since", "2024-13-40"], "--since"),
    (["reports", "list", "--since", "2024-04-01", "--until", "2024-03-01"], "is after --until"),
    (["reports", "list", "--search", "  "], "--search is empty"),
    (["reports", "list", "--limit", "0"], "--limit must be"),
    (["reports", "list", "--product", " "], "--product is empty"),
])
def test_bad_input_is_one_clear_line(db, args, message):
    result = shell(db, *args)
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
