"""Every command with ``--json`` prints strict JSON (no ``NaN``, no ``Infinity``), run through the shell.

The commands are found by walking the Typer app, so a new command is covered the day it is added:
it needs a recipe in ``RECIPES`` (its arguments on the small store below) or a line in
``NOT_RUN`` saying why it cannot run here; a command with neither fails
``test_every_json_command_is_walked``, so nothing is skipped silently.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from defectradar.cli.app import app

runner = CliRunner()


def commands_with(option: str, group=None, path=()) -> list[str]:
    """The space-joined paths of every command (sub-command) that has ``option``."""
    group = group if group is not None else get_command(app)
    found = []
    for name, command in sorted(getattr(group, "commands", {}).items()):
        if hasattr(command, "commands"):
            found += commands_with(option, command, (*path, name))
        elif any(option in getattr(param, "opts", ()) for param in command.params):
            found.append(" ".join((*path, name)))
    return found


def json_commands() -> list[str]:
    return commands_with("--json")


def strict_json(text: str):
    """``json.loads`` refusing the NaN and Infinity tokens Python writes but JSON lacks."""
    def refuse(token):
        raise ValueError(f"{token} is not JSON")
    return json.loads(text, parse_constant=refuse)


CASE = {"device": {"product": "Mi 11", "purchase_date": "2021-10-20", "jurisdiction": "CN", "invoice": True},
        "events": [{"date": f"2022-{m}", "type": "repair", "failure_mode": "wifi", "days_out_of_service": 12,
                    "data_wiped": True} for m in ("03-02", "06-20", "10-05")]}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A small simulated world (seed 2021, scale 0.05) ingested into its own store, with the
    files the file commands read; the commands here may write to it (alerts, labels, runs)."""
    from defectradar.config import load_settings
    from defectradar.demo import DEMO_FILES
    from defectradar.ingest.pipeline import ingest_file
    from defectradar.simulate import simulate_world
    from defectradar.store.connect import Store

    base = tmp_path_factory.mktemp("jsonworld")
    env = {"DEFECTRADAR_KEY_DIR": str(base / "keys"), "DEFECTRADAR_DB": str(base / "store.duckdb"),
           "DEFECTRADAR_CACHE_DIR": str(tmp_path_factory.getbasetemp() / "cache")}
    mp = pytest.MonkeyPatch()
    for name, value in env.items():
        mp.setenv(name, value)
    try:
        store = Store(env["DEFECTRADAR_DB"], load_settings(db=env["DEFECTRADAR_DB"], lock_timeout=30.0))
        simulate_world(base / "world", seed=2021, scale=0.05)
        for source_type, name in DEMO_FILES:
            ingest_file(store, base / "world" / name, source_type=source_type)
    finally:
        mp.undo()
    files = {"case": base / "case.json", "labelled": base / "labelled.csv", "rows": base / "rows.csv",
             "weeks": base / "weeks.csv", "lifetimes": base / "lifetimes.csv", "repairs": base / "repairs.csv",
             "models": base / "models.csv", "sales": base / "sales.csv", "training": base / "training.csv"}
    files["case"].write_text(json.dumps(CASE), "utf-8")
    # Labels with no test example and no text without a label: the cases that wrote NaN.
    files["labelled"].write_text("text,label\nbattery swelled up,battery\nwifi keeps dropping,wifi\n", "utf-8")
    files["training"].write_text("text,label\n" + "battery swelled up,battery\nwifi keeps dropping,wifi\n" * 6, "utf-8")
    files["rows"].write_text("id,product,event\n1,A,wifi\n2,A,wifi\n3,B,heat\n4,B,wifi\n5,C,heat\n", "utf-8")
    files["weeks"].write_text("week,count\n" + "".join(f"2021-{(d // 28) + 1:02d}-{(d % 28) + 1:02d},{d % 3}\n"
                                                        for d in range(0, 28 * 10, 7)), "utf-8")
    files["lifetimes"].write_text("miles,failed\n" + "".join(f"{m},1\n" for m in (900, 4000, 15000, 31000)), "utf-8")
    files["repairs"].write_text("unit,age,event\na,5,1\na,9,0\nb,7,0\n", "utf-8")
    files["models"].write_text("make,model\nFORD,Escape\nTOYOTA,Corolla\n", "utf-8")
    files["sales"].write_text("product,month,units,region\nxiaomi-12,2022-01,10,广东\n", "utf-8")
    with store.reader() as con:
        ids = {"report": con.execute("SELECT report_id FROM reports ORDER BY report_id LIMIT 1").fetchone()[0]}
    return {"env": env, "dir": base, "files": files, "ids": ids, "store": store}


def _first(world, command: list[str], key: str):
    """An id from a listing command's JSON (``alerts list``, ``runs list``, ``policies list``)."""
    result = runner.invoke(app, [*command, "--json"], env=world["env"])
    rows = strict_json(result.stdout)
    rows = rows if isinstance(rows, list) else next(v for v in rows.values() if isinstance(v, list))
    if not rows:
        pytest.fail(f"{' '.join(command)} --json lists nothing to run the next command on")
    return str(rows[0][key])


def _alert(world) -> str:
    # A generous budget: the small world's calibrated default raises little at 0.1 a series-year.
    runner.invoke(app, ["signals", "scan", "--false-alarms-per-year", "5", "--json"], env=world["env"])
    return _first(world, ["alerts", "list"], "alert_id")


def _account(world) -> str:
    """An account of its own to revoke (made here, so the walk's order does not matter)."""
    runner.invoke(app, ["users", "create", "json-walk-revoked", "--json"], env=world["env"])
    return "json-walk-revoked"


def _undo_run(world) -> str:
    """A run of its own to undo (so the other commands keep their data): a file no run has read."""
    sales = world["dir"] / "more_sales.csv"
    sales.write_text("product,month,units,region\nxiaomi-12,2022-02,7,广东\n", "utf-8")
    runner.invoke(app, ["ingest", str(sales), "--json"], env=world["env"])
    return _first(world, ["runs", "list"], "run_id")


# Arguments of each command (besides --json) on the world: a list, or a function of the world.
RECIPES = {
    "ingest": lambda w: [str(w["files"]["sales"])],
    "stats": [],
    "simulate": lambda w: ["--out", str(w["dir"] / "sim"), "--scale", "0.01"],
    "demo": lambda w: ["--world", str(w["dir"] / "world"), "--db", str(w["dir"] / "demo.duckdb")],
    "classify": ["--text", "ELECTRICAL SYSTEM:BATTERY:CABLES melted [bold]x[/]"],
    "label": lambda w: [w["ids"]["report"], "--failure-modes", "battery", "--analyst", "json-walk"],
    "reclassify": [],
    "review": ["--n", "5"],
    "backtest": lambda w: [str(w["dir"] / "world"), "--method", "ears-c1"],
    "lemons": [],
    "quarantine list": [],
    "runs list": [],
    "runs undo": lambda w: [_undo_run(w)],
    "model train": lambda w: [str(w["files"]["training"]), "--out", str(w["dir"] / "model")],
    "model eval": lambda w: [str(w["files"]["labelled"])],
    "signals scan": ["--false-alarms-per-year", "5"],
    "signals disprop": lambda w: [str(w["files"]["rows"])],
    "signals series": lambda w: [str(w["files"]["weeks"]), "--method", "ears-c1"],
    "signals trending": [],
    "alerts list": [],
    "alerts show": lambda w: [_alert(w)],
    "alerts ack": lambda w: [_alert(w), "--reason", "json walk"],
    "alerts investigate": lambda w: [_alert(w)],
    "alerts close": lambda w: [_alert(w), "--reason", "json walk"],
    "reliability weibull": lambda w: [str(w["files"]["lifetimes"]), "--time-col", "miles", "--event-col", "failed",
                                      "--at", "1000000"],
    "reliability km": lambda w: [str(w["files"]["lifetimes"]), "--time-col", "miles", "--event-col", "failed",
                                 "--at", "1000000"],
    "reliability mcf": lambda w: [str(w["files"]["repairs"]), "--unit-col", "unit", "--time-col", "age",
                                  "--event-col", "event", "--at", "100"],
    "reliability nevada": ["--product", "xiaomi-11"],
    "reliability forecast": ["--product", "xiaomi-11", "--months", "24"],
    "remedies check": lambda w: [str(w["files"]["case"]), "--as-of", "2022-11-01"],
    "remedies audit": [],
    "policies list": [],
    "policies show": lambda w: [_first(w, ["policies", "list"], "id")],
    "policies diff": lambda w: [_first(w, ["policies", "list"], "id")],
    "catalog build": lambda w: [str(w["files"]["models"]), "--brand-col", "make", "--model-col", "model"],
    "reports list": [],
    "reports search": ["wifi"],
    "reports show": lambda w: [w["ids"]["report"]],
    "known-issues list": [],
    "users create": ["json-walk-made", "--role", "viewer"],
    "users list": [],
    "users revoke": lambda w: [_account(w)],
    "export parquet": lambda w: [str(w["dir"] / "parquet-export"), "--replace"],
}

# Commands with --json that this walk cannot run, each with the reason.
NOT_RUN: dict[str, str] = {}


def test_every_json_command_is_walked():
    commands = json_commands()
    assert len(commands) > 20, commands                     # the walk found the app's commands
    unaccounted = [c for c in commands if c not in RECIPES and c not in NOT_RUN]
    assert not unaccounted, f"give these --json commands a recipe in RECIPES or a reason in NOT_RUN: {unaccounted}"
    stale = [c for c in [*RECIPES, *NOT_RUN] if c not in commands]
    assert not stale, f"no such --json command any more: {stale}"


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("command", [c for c in json_commands() if c not in NOT_RUN])
def test_json_output_is_strict_json(world, command):
    recipe = RECIPES.get(command)
    if recipe is None:
        pytest.fail(f"{command}: no recipe (see test_every_json_command_is_walked)")
    args = recipe(world) if callable(recipe) else recipe
    result = runner.invoke(app, [*command.split(), *map(str, args), "--json"], env=world["env"])
    assert result.exit_code == 0, f"{command} {args}: exit {result.exit_code}: {result.output[-2000:]}"
    assert "Traceback" not in result.output
    try:
        strict_json(result.stdout)
    except ValueError as exc:
        pytest.fail(f"{command} --json printed no strict JSON ({exc}): {result.stdout[:500]}")


def test_strict_parser_refuses_nan():
    with pytest.raises(ValueError, match="NaN is not JSON"):
        strict_json('{"f1": NaN}')
    assert Path(__file__).name == "test_json_everywhere.py"


def csv_commands() -> list[str]:
    """Every command with ``--csv`` (every one that prints tables)."""
    return commands_with("--csv")


def test_every_command_that_prints_a_table_offers_csv():
    """Issue 13: ``--csv FILE`` on every command that prints a table.  The commands without it
    are exactly those listed in ``NO_TABLES``; the walk below shows the others do print one."""
    from defectradar.cli.table_export import NO_TABLES

    every = {" ".join(p) for p in _leaves(get_command(app))}
    assert set(csv_commands()) == every - NO_TABLES and NO_TABLES <= every


def _leaves(group, path=()):
    for name, command in getattr(group, "commands", {}).items():
        if hasattr(command, "commands"):
            yield from _leaves(command, (*path, name))
        else:
            yield (*path, name)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("command", csv_commands())
def test_csv_output_holds_the_printed_tables(world, command, tmp_path):
    """Each ``--csv`` command, run as in the JSON walk, writes a CSV whose header and first row
    are the printed table's (cells as shown, without markup)."""
    recipe = RECIPES[command]
    if command == "alerts list":
        _alert(world)                      # an empty list is a line, not a table
    args = recipe(world) if callable(recipe) else recipe
    target = tmp_path / "out.csv"
    env = {**world["env"], "COLUMNS": "300"}           # headers on one line, to compare with the file
    result = runner.invoke(app, [*command.split(), *map(str, args), "--csv", str(target)], env=env)
    assert result.exit_code == 0, f"{command} {args}: exit {result.exit_code}: {result.output[-2000:]}"
    with open(target, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header = [name for name in rows[0] if name]
    assert header and all(len(row) == len(rows[0]) for row in rows), rows[:3]
    assert all(name in result.stdout for name in header)      # the header is the one shown
