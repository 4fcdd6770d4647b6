"""``defectradar reliability weibull|km|mcf`` through the real command line: files and the store,
the exact JSON fields, plots, and bad input as one clear line with exit code 2."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from defectradar.cli.app import app

runner = CliRunner()


def _run(*args, env=None):
    return runner.invoke(app, [str(a) for a in args], env=env)


@pytest.fixture
def lifetimes_csv(tmp_path):
    """R's aml data (survival package): weeks to relapse, status 1 = relapsed, x = group."""
    rows = [(9, 1, "M"), (13, 1, "M"), (13, 0, "M"), (18, 1, "M"), (23, 1, "M"), (28, 0, "M"), (31, 1, "M"),
            (34, 1, "M"), (45, 0, "M"), (48, 1, "M"), (161, 0, "M"), (5, 1, "N"), (5, 1, "N"), (8, 1, "N"),
            (8, 1, "N"), (12, 1, "N"), (16, 0, "N"), (23, 1, "N"), (27, 1, "N"), (30, 1, "N"), (33, 1, "N"),
            (43, 1, "N"), (45, 1, "N")]
    path = tmp_path / "aml.csv"
    path.write_text("weeks,relapsed,group\n" + "".join(f"{t},{e},{g}\n" for t, e, g in rows))
    return path


@pytest.fixture
def repairs_csv(tmp_path):
    path = tmp_path / "repairs.csv"
    path.write_text("unit,age,event\na,5,1\na,9,1\na,12,0\nb,7,1\nb,10,0\nc,11,0\n")
    return path


def test_weibull_on_a_file_prints_the_issue_json(lifetimes_csv):
    """Values: R survival 3.5.3 survreg(Surv(time, status) ~ 1, aml, dist="weibull"): shape
    1/exp(-0.09222) = 1.0966, scale exp(3.6425) = 38.187 (tests/reliability/reference/aml.json)."""
    result = _run("reliability", "weibull", lifetimes_csv, "--time-col", "weeks", "--event-col", "relapsed",
                  "--json", "--at", 12)
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    assert {"shape", "scale", "shape_ci", "scale_ci", "loglik", "n", "failures", "b10"} <= set(d)
    assert d["shape"] == pytest.approx(1.09661, rel=1e-5) and d["scale"] == pytest.approx(38.1868, rel=1e-5)
    assert d["n"] == 23 and d["failures"] == 18
    assert d["probability_of_failure"][0]["age"] == 12


def test_weibull_table_view_and_plot(lifetimes_csv, tmp_path):
    plot = tmp_path / "weibull.svg"
    result = _run("reliability", "weibull", lifetimes_csv, "--time-col", "weeks", "--event-col", "relapsed",
                  "--plot", plot)
    assert result.exit_code == 0, result.output
    assert "shape β" in result.stdout and "B10 life" in result.stdout
    assert "<svg" in plot.read_text()


def test_km_rows_and_logrank_by_group(lifetimes_csv):
    single = _run("reliability", "km", lifetimes_csv, "--time-col", "weeks", "--event-col", "relapsed", "--json")
    rows = json.loads(single.stdout)
    assert set(rows[0]) == {"time", "at_risk", "events", "survival", "lower", "upper"}
    assert rows[0] == {"time": 5, "at_risk": 23, "events": 2, "survival": pytest.approx(21 / 23),
                       "lower": pytest.approx(rows[0]["lower"]), "upper": pytest.approx(rows[0]["upper"])}
    grouped = _run("reliability", "km", lifetimes_csv, "--time-col", "weeks", "--event-col", "relapsed",
                   "--by", "group", "--json")
    d = json.loads(grouped.stdout)
    assert [g["group"] for g in d["groups"]] == ["M", "N"]
    # R survdiff(Surv(time, status) ~ x, data = aml): chisq = 3.4 on 1 df, p = 0.0653
    assert d["logrank"]["statistic"] == pytest.approx(3.396, abs=1e-3)
    assert d["logrank"]["p_value"] == pytest.approx(0.0653, abs=1e-4)
    text = _run("reliability", "km", lifetimes_csv, "--time-col", "weeks", "--event-col", "relapsed", "--by", "group")
    assert "log-rank test" in text.stdout and "no evidence the groups differ" in text.stdout


def test_mcf_rows_and_log_bounds(repairs_csv, tmp_path):
    result = _run("reliability", "mcf", repairs_csv, "--unit-col", "unit", "--time-col", "age", "--event-col", "event",
                  "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert set(rows[0]) == {"time", "at_risk", "mcf", "se", "lower", "upper"}
    assert [r["time"] for r in rows] == [5, 7, 9]
    assert rows[-1]["mcf"] == pytest.approx(1.0)
    log = json.loads(_run("reliability", "mcf", repairs_csv, "--unit-col", "unit", "--time-col", "age",
                          "--event-col", "event", "--json", "--log-bounds").stdout)
    assert all(r["lower"] > 0 for r in log)
    plot = tmp_path / "mcf.png"
    shown = _run("reliability", "mcf", repairs_csv, "--unit-col", "unit", "--time-col", "age", "--event-col", "event",
                 "--plot", plot)
    assert shown.exit_code == 0 and plot.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("content, args, message", [
    ("t,e\n5,1\n-3,1\n", ("--time-col", "t", "--event-col", "e"), "row 3: time -3 is negative"),
    ("t,e\n5,1\n,1\n", ("--time-col", "t", "--event-col", "e"), "row 3: time is missing"),
    ("t,e\n5,1\n6,2\n", ("--time-col", "t", "--event-col", "e"), "row 3: event is '2'"),
    ("t,e\n5,0\n6,0\n", ("--time-col", "t", "--event-col", "e"), "every unit is censored"),
    ("t,e\n5,0\n6,0\n", ("--time-col", "age", "--event-col", "e"), "no column 'age' \\(--time-col\\)"),
    ("t,e\n5,0\n6,0\n", ("--time-col", "t"), "name the columns with --event-col"),
])
def test_weibull_bad_input_is_one_clear_line(tmp_path, content, args, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    result = _run("reliability", "weibull", path, *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert __import__("re").search(message, result.output.replace("\n", " ")), result.output


def test_mcf_unit_with_repairs_after_its_end_is_named(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("unit,age,event\na,5,1\na,3,0\n")
    result = _run("reliability", "mcf", path, "--unit-col", "unit", "--time-col", "age", "--event-col", "event")
    assert result.exit_code == 2
    assert "row 2: unit 'a' has a repair at 5, after its end of observation at 3" in result.output.replace("\n", " ")


def test_store_commands(simulated_world, tmp_path):
    env = {"DEFECTRADAR_KEY_DIR": simulated_world["keys"], "DEFECTRADAR_DB": simulated_world["db"]}
    weibull = _run("reliability", "weibull", "--product", "xiaomi-11", "--mode", "wifi", "--json", env=env)
    assert weibull.exit_code == 0, weibull.output
    d = json.loads(weibull.stdout)
    assert d["population"]["units"] == 36070 and 2.0 < d["shape"] < 2.4
    km = _run("reliability", "km", "--product", "xiaomi-11", "--product", "xiaomi-11-pro", "--mode", "wifi", "--json",
              env=env)
    d = json.loads(km.stdout)
    assert [g["group"] for g in d["groups"]] == ["xiaomi-11/wifi", "xiaomi-11-pro/wifi"]
    assert d["logrank"]["p_value"] < 1e-10               # the Mi 11 loses Wi-Fi far more often
    mcf = _run("reliability", "mcf", "--product", "xiaomi-11", "--mode", "wifi", "--mode", "motherboard", "--at", 365,
               env=env)
    assert mcf.exit_code == 0 and "MCF(365)" in mcf.stdout and "they differ" in mcf.stdout
    bad = _run("reliability", "weibull", "--product", "no-such-phone", env=env)
    assert bad.exit_code == 2 and "no service events for product 'no-such-phone'" in bad.output
    neither = _run("reliability", "km", env=env)
    assert neither.exit_code == 2 and "give a FILE, or --product" in neither.output
