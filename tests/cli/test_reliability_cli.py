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
    one = json.loads(single.stdout)          # one group has the shape of several: groups[].rows, logrank null
    assert one["logrank"] is None and one["unit"] == "weeks" and [g["group"] for g in one["groups"]] == ["aml"]
    rows = one["groups"][0]["rows"]
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
    rows = json.loads(result.stdout)["groups"][0]["rows"]
    assert set(rows[0]) == {"time", "at_risk", "mcf", "se", "lower", "upper"}
    assert [r["time"] for r in rows] == [5, 7, 9]
    assert rows[-1]["mcf"] == pytest.approx(1.0)
    log = json.loads(_run("reliability", "mcf", repairs_csv, "--unit-col", "unit", "--time-col", "age",
                          "--event-col", "event", "--json", "--log-bounds").stdout)["groups"][0]["rows"]
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
    assert bad.exit_code == 2 and "unknown product 'no-such-phone'" in bad.output
    neither = _run("reliability", "km", env=env)
    assert neither.exit_code == 2 and "give a FILE, or --product" in neither.output


# --- issue 13: unknown ids, units, caveats, user text, one JSON shape ------------------------------------

SERVICE = ["device_id", "product", "purchase_date", "event_date", "fault", "action", "parts",
           "days_out_of_service", "data_wiped", "center", "region", "customer_phone"]


@pytest.fixture
def small_db(store, tmp_path):
    """Three xiaomi-11 claims (two Wi-Fi, one screen) among 1,000 units sold in January 2021."""
    from conftest import write_csv
    from defectradar.core.identifiers import luhn_valid
    from defectradar.ingest.pipeline import ingest_file

    def imei(n):
        body = f"35693803{n:06d}"
        return next(body + str(d) for d in range(10) if luhn_valid(body + str(d)))

    rows = [[imei(1), "2021-01-10", "2021-03-20", "wifi"], [imei(2), "2021-01-12", "2021-05-05", "wifi"],
            [imei(3), "2021-01-15", "2021-04-01", "screen"]]
    ingest_file(store, write_csv(tmp_path / "service.csv", SERVICE,
                                 [[r[0], "xiaomi-11", r[1], r[2], r[3], "repair", "", "1", "false", "", "", ""]
                                  for r in rows]))
    ingest_file(store, write_csv(tmp_path / "sales.csv", ["product", "month", "units", "region"],
                                 [["xiaomi-11", "2021-01", "1000", "广东"]]))
    return store.path


@pytest.mark.parametrize("command", ["weibull", "km", "mcf"])
def test_unknown_mode_is_named_with_the_closest_ids(small_db, command):
    """``--mode wfi`` (a typo) answered "every unit is censored"."""
    result = _run("reliability", command, "--product", "xiaomi-11", "--mode", "wfi", "--db", small_db)
    assert result.exit_code == 2, result.output
    line = result.output.replace("\n", " ")
    assert "unknown failure mode 'wfi'" in line and "closest known ids: wifi" in line
    assert "censored" not in line and "Traceback" not in line


def test_unknown_product_is_named_with_the_closest_ids(small_db):
    result = _run("reliability", "weibull", "--product", "xiaomi-111", "--db", small_db)
    line = result.output.replace("\n", " ")
    assert result.exit_code == 2 and "unknown product 'xiaomi-111'" in line
    assert "closest known ids: xiaomi-11" in line


@pytest.fixture
def miles_csv(tmp_path):
    """Mileages of 40 complaints (every row a failure), Weibull(shape 1.8, scale 60,000) draws, seed 7."""
    import numpy as np

    miles = np.round(60000 * np.random.default_rng(7).weibull(1.8, 40)) + 1
    path = tmp_path / "complaints.csv"
    path.write_text("miles,failed\n" + "".join(f"{m:.0f},1\n" for m in miles))
    return path


def test_weibull_unit_comes_from_the_column_or_unit(miles_csv, tmp_path):
    """``--time-col miles`` was labelled "Time in service (days)"."""
    plot = tmp_path / "weibull.json"
    shown = _run("reliability", "weibull", miles_csv, "--time-col", "miles", "--event-col", "failed", "--plot", plot)
    assert shown.exit_code == 0, shown.output
    assert "scale η (miles)" in shown.stdout and "B10 life (miles)" in shown.stdout
    assert "ages in miles" in shown.stdout.replace("\n", " ")
    spec = plot.read_text()
    assert "Age in service (miles, log scale)" in spec and "days" not in spec
    data = json.loads(_run("reliability", "weibull", miles_csv, "--time-col", "miles", "--event-col", "failed",
                           "--json").stdout)
    assert data["unit"] == "miles"
    hours = _run("reliability", "weibull", miles_csv, "--time-col", "miles", "--event-col", "failed",
                 "--unit", "km", "--json")
    assert json.loads(hours.stdout)["unit"] == "km"
    km_plot = tmp_path / "km.json"
    assert _run("reliability", "km", miles_csv, "--time-col", "miles", "--event-col", "failed",
                "--plot", km_plot).exit_code == 0
    assert "Age in service (miles)" in km_plot.read_text()


def test_unit_on_the_store_is_refused(small_db):
    result = _run("reliability", "weibull", "--product", "xiaomi-11", "--unit", "miles", "--db", small_db)
    assert result.exit_code == 2 and "store's ages are always days" in result.output.replace("\n", " ")


def test_no_survivors_and_extrapolation_are_warned(miles_csv, tmp_path):
    """Complaint mileages (nothing censored) describe failed units, not a fleet; B10 and F(t) beyond
    the data are extrapolations."""
    result = _run("reliability", "weibull", miles_csv, "--time-col", "miles", "--event-col", "failed",
                  "--at", 500000, "--json")
    assert result.exit_code == 0, result.output
    warnings = json.loads(result.stdout)["warnings"]
    assert any("no unit is censored" in w and "not the fleet" in w for w in warnings)
    assert any(w.startswith("F(500,000 miles) extrapolates beyond the oldest unit observed") for w in warnings)
    assert "warning: no unit is censored" in result.stderr
    km = _run("reliability", "km", miles_csv, "--time-col", "miles", "--event-col", "failed")
    assert "warning: no unit is censored" in km.stderr
    few = tmp_path / "few.csv"                 # 2 failures among 100 units observed to 100 hours
    few.write_text("hours,failed\n50,1\n80,1\n" + "100,0\n" * 98)
    b10 = _run("reliability", "weibull", few, "--time-col", "hours", "--event-col", "failed")
    assert b10.exit_code == 0, b10.output
    assert "B10 = 211.9 hours lies beyond the oldest unit observed (100 hours)" in b10.stderr.replace("\n", " ")
    assert "no unit is censored" not in b10.stderr


def test_group_names_and_units_are_printed_literally(tmp_path):
    path = tmp_path / "groups.csv"
    path.write_text("age,failed,grp\n5,1,[bold]a[/] :battery:\n7,0,[bold]a[/] :battery:\n9,1,[bold]a[/] :battery:\n"
                    "3,1,b:fire:\n8,0,b:fire:\n9,1,b:fire:\n")
    km = _run("reliability", "km", path, "--time-col", "age", "--event-col", "failed", "--by", "grp")
    assert km.exit_code == 0, km.output
    assert "[bold]a[/] :battery:" in km.stdout and "b:fire:" in km.stdout
    weibull = _run("reliability", "weibull", path, "--time-col", "age", "--event-col", "failed",
                   "--unit", "[b]mi:fire:")
    assert "scale η ([b]mi:fire:)" in weibull.stdout
    assert "🔋" not in km.stdout + weibull.stdout and "🔥" not in km.stdout + weibull.stdout + weibull.stderr


@pytest.mark.parametrize("command, extra, keys", [
    ("km", (), {"unit", "confidence", "conf_type", "groups", "logrank", "warnings"}),
    ("mcf", ("--unit-col", "unit"), {"unit", "confidence", "bounds", "groups", "difference"}),
])
def test_json_has_one_shape_for_one_group_or_several(tmp_path, command, extra, keys):
    """``km --json`` was an array for one group and an object for two."""
    path = tmp_path / "data.csv"
    path.write_text("unit,age,event,grp\na,5,1,x\na,9,0,x\nb,7,1,x\nb,8,0,x\nc,6,1,y\nc,7,0,y\nd,8,0,y\n"
                    "e,4,1,y\ne,9,0,y\n")
    args = ("reliability", command, path, "--time-col", "age", "--event-col", "event", *extra, "--json")
    one = json.loads(_run(*args).stdout)
    two = json.loads(_run(*args, "--by", "grp").stdout)
    assert isinstance(one, dict) and set(one) == set(two) == keys
    assert len(one["groups"]) == 1 and [g["group"] for g in two["groups"]] == ["x", "y"]
    assert set(one["groups"][0]) == set(two["groups"][0]) and "rows" in one["groups"][0]
    assert "--json prints one object" in _run("reliability", command, "--help").stdout
