"""Scans over a store, the alerts they keep, and the back-test on a simulated world.

One world (seed 2021, the default scale, as ``defectradar simulate`` draws it) is simulated and
ingested once for the module; the scans and back-tests then read the same store.
"""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest
from typer.testing import CliRunner

from defectradar.analyses.backtest import backtest, load_truth
from defectradar.analyses.scan import ScanConfig, load_scan_config, scan
from defectradar.cli.app import app
from defectradar.core.series import CountSeries
from defectradar.errors import InputError
from defectradar.signals.exposure import expected_from_exposure, exposure_params


@pytest.fixture(scope="module")
def world(simulated_world):
    """The default world ingested into a store (shared by the session, see tests/conftest.py)."""
    return simulated_world


def _env(world):
    return {"DEFECTRADAR_KEY_DIR": world["keys"], "DEFECTRADAR_DB": world["db"]}


def test_default_world_meets_the_early_warning_target(world):
    """The issue's target: each injected Mi 11 Wi-Fi and motherboard defect alarmed by the best
    method within 45 days of onset, with at most 1 false alarm per 10 series-years."""
    result = backtest(world["dir"], world["settings"], methods_to_run=("glr-poisson",), horizon_days=45,
                      store=world["store"])
    best = next(s for s in result.scores if s.method == "glr-poisson+exposure" and s.table == "service_events")
    assert best.delays["mi11-wifi/xiaomi-11"] is not None and best.delays["mi11-wifi/xiaomi-11"] <= 45
    assert best.delays["mi11-motherboard/xiaomi-11"] is not None and best.delays["mi11-motherboard/xiaomi-11"] <= 45
    assert best.false_alarms_per_series_year <= 0.1
    assert best.series_years > 50 and best.ppv > 0.5
    assert result.best("mi11-wifi/xiaomi-11")[0] == "glr-poisson+exposure"
    # The same method on the series' own history has no usable pre-launch baseline: that is
    # why the exposure-based mean exists.
    plain = next(s for s in result.scores if s.method == "glr-poisson" and s.table == "service_events")
    assert plain.detected < best.detected


def test_scans_keep_one_alert_per_signal(world):
    store = world["store"]
    first = scan(store, "2021-04-04")
    assert first.series_scanned >= 20
    raised = {(s.product_id, s.failure_mode) for s in first.signals}
    assert ("xiaomi-11", "wifi") in raised                          # 6 weeks after the onset of 2021-02-17
    wifi = next(s for s in first.signals if (s.product_id, s.failure_mode, s.method)
                == ("xiaomi-11", "wifi", "nb-excess"))
    assert wifi.evidence["baseline"] == "exposure" and wifi.evidence["count"] > wifi.evidence["expected"]
    assert wifi.evidence["rate_per_10k_units"] == pytest.approx(
        wifi.evidence["count"] / wifi.evidence["units_in_service"] * 1e4, rel=1e-3)
    assert wifi.evidence["rate_per_10k_units"] > wifi.evidence["expected_rate_per_10k_units"]
    assert 0 < len(wifi.evidence["reports"]) <= wifi.evidence["count"]            # the repair visits behind it
    assert len(wifi.evidence["series"]["counts"]) == len(wifi.evidence["series"]["expected"]) == 12

    again = scan(store, "2021-04-04")
    assert not again.raised and set(again.unchanged) == set(first.raised)
    later = scan(store, "2021-04-11")
    with store.reader() as con:
        alerts = con.execute("SELECT product_id, failure_mode, source, count(*) FROM alerts "
                             "GROUP BY ALL HAVING count(*) > 1").fetchall()
        total = con.execute("SELECT count(*) FROM alerts").fetchone()[0]
    assert alerts == []                                             # one alert per signal, whatever the scans
    assert total == len(set(first.raised) | set(later.raised))


def test_scan_sees_nothing_after_its_as_of_date(world):
    early = scan(world["store"], "2020-06-01", ScanConfig(disproportionality=False))
    assert all(s.period <= date(2020, 6, 1) for s in early.signals)
    assert not any(s.product_id == "xiaomi-11" for s in early.signals)   # not launched yet


def test_alerts_cli_lifecycle(world):
    runner = CliRunner()
    env = _env(world)
    listed = runner.invoke(app, ["alerts", "list", "--json"], env=env, catch_exceptions=False)
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    wifi = next(r for r in rows if r["product_id"] == "xiaomi-11" and r["failure_mode"] == "wifi")
    alert = wifi["alert_id"]
    for action, status in (("ack", "acknowledged"), ("investigate", "investigating"), ("close", "closed")):
        done = runner.invoke(app, ["alerts", action, alert[:8], "--by", "qa", "--reason", f"step {action}", "--json"],
                             env=env, catch_exceptions=False)
        assert done.exit_code == 0, done.output
        assert json.loads(done.stdout)["to"] == status
    shown = json.loads(runner.invoke(app, ["alerts", "show", alert, "--json"], env=env).stdout)
    assert [(e["kind"], e["status"]) for e in shown["events"]][-3:] == \
        [("acknowledged", "acknowledged"), ("investigating", "investigating"), ("closed", "closed")]
    assert shown["events"][-1]["actor"] == "qa" and shown["events"][-1]["reason"] == "step close"
    bad = runner.invoke(app, ["alerts", "ack", alert], env=env)
    assert bad.exit_code != 0 and "closed" in bad.output


def test_signals_scan_command(world):
    runner = CliRunner()
    result = runner.invoke(app, ["signals", "scan", "--as-of", "2021-05-02", "--json"], env=_env(world),
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["as_of"] == "2021-05-02" and data["series_scanned"] > 0
    assert {"raised", "updated", "reopened", "unchanged", "signals"} <= set(data)
    text = runner.invoke(app, ["signals", "scan", "--as-of", "2021-05-02"], env=_env(world))
    assert "alerts raised" in text.output
    bad = runner.invoke(app, ["signals", "scan", "--as-of", "yesterday"], env=_env(world))
    assert bad.exit_code != 0 and "--as-of" in bad.output and "Traceback" not in bad.output


def test_backtest_command_reports_a_table_per_method(world, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["backtest", str(world["dir"]), "--method", "ears-c3", "--json"],
                           env={"DEFECTRADAR_KEY_DIR": str(tmp_path)}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {s["method"] for s in data["scores"]} == {"ears-c3"}
    assert {s["table"] for s in data["scores"]} == {"reports", "service_events"}
    score = data["scores"][0]
    assert {"pod", "median_delay", "false_alarms_per_series_year", "ppv", "delays"} <= set(score)
    missing = runner.invoke(app, ["backtest", str(tmp_path)])
    assert missing.exit_code != 0 and "truth.json" in missing.output


def test_load_truth_lists_every_affected_product(world):
    defects = load_truth(world["dir"])
    assert {(d.product_id, d.mode) for d in defects} >= {("xiaomi-11", "wifi"), ("xiaomi-11", "motherboard")}
    assert all(d.onset.year >= 2020 for d in defects)


# ------------------------------------------------------------------ exposure, without a store
def _series(counts, units, start=date(2021, 1, 4)):
    periods = [date.fromordinal(start.toordinal() + 7 * i) for i in range(len(counts))]
    return CountSeries(periods, counts, units, "week")


def test_expected_counts_follow_units_in_service_at_the_others_rate():
    """Hand-worked: others report 1 per 1,000 units per week, so 5,000 units expect 5."""
    n = 10
    others = {(f"p{i}", "wifi"): _series(np.full(n, 10.0), np.full(n, 10_000.0)) for i in range(3)}
    new = _series(np.zeros(n), np.r_[0, 0, np.full(n - 2, 5_000.0)])
    expected = expected_from_exposure({**others, ("new", "wifi"): new}, window=4, prior_events=None)
    got = expected[("new", "wifi")]
    assert np.isnan(got[:2]).all()                        # no units in service yet
    rate = (30 * 2 + 0.5) / (30_000 * 2)                   # the others' two weeks before week 3 (+0.5 event)
    assert got[2] == pytest.approx(rate * 5_000)           # 5.0417
    rate = (30 * 4 + 0.5) / (30_000 * 4)                   # later: the 4-week window
    assert got[-1] == pytest.approx(rate * 5_000)
    params, start = exposure_params("glr-poisson", {"c_arl": 5}, got)
    assert start == 2 and len(params["mu0"]) == n - 2 and params["c_arl"] == 5
    assert exposure_params("ears-c3", {}, got) is None     # EARS has no external mean


def test_own_rate_is_shrunk_towards_the_others():
    n = 30
    others = {(f"p{i}", "battery"): _series(np.full(n, 5.0), np.full(n, 10_000.0)) for i in range(2)}
    aged = _series(np.full(n, 20.0), np.full(n, 10_000.0))         # a product whose rate is 4x, for ever
    series = {**others, ("aged", "battery"): aged}
    pooled = expected_from_exposure(series, window=10, prior_events=None)[("aged", "battery")]
    shrunk = expected_from_exposure(series, window=10, prior_events=10.0)[("aged", "battery")]
    assert pooled[-1] == pytest.approx(5.0, rel=0.01)
    assert 15 < shrunk[-1] < 20                            # mostly its own level once it has history


def test_scan_config_file(tmp_path):
    path = tmp_path / "scan.yaml"
    path.write_text("methods: [cusum, glr-poisson]\nparams: {glr-poisson: {c_arl: 8}}\nrules: {combine: all}\n",
                    encoding="utf-8")
    config = load_scan_config(path)
    assert config.methods == ("cusum", "glr-poisson")
    assert config.params["glr-poisson"] == {"window": 13, "c_arl": 8}      # file values over the defaults
    assert config.rules.combine == "all"
    assert load_scan_config(None, methods=("ears-c1",)).methods == ("ears-c1",)
    for text, needle in (("freqq: week\n", "freqq"), ("methods: [nope]\n", "nope"),
                         ("params: {cusum: {hh: 3}}\n", "hh"), ("- a\n", "mapping"), ("freq: month\n", "freq")):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(InputError, match=needle):
            load_scan_config(path)


def test_scan_by_product_and_by_mode(world, tmp_path):
    path = tmp_path / "scopes.yaml"
    path.write_text("scopes: [product, mode]\ndisproportionality: false\ntables: [service_events]\n"
                    "methods: [glr-poisson]\ncalibrate_thresholds: false\n", encoding="utf-8")
    result = scan(world["store"], "2021-04-04", load_scan_config(path))
    scopes = {(s.scope, s.product_id is None, s.failure_mode is None) for s in result.signals}
    assert scopes <= {("product", False, True), ("mode", True, False)}
    assert any(s.scope == "product" and s.product_id == "xiaomi-11" for s in result.signals)
    assert all(s.evidence["reports"] for s in result.signals)


def test_pair_counts_match_counting_the_rows_by_hand(world):
    """The store's product x mode table equals ContingencyTable.from_rows on the same rows."""
    from defectradar.analyses.scan import pair_counts
    from defectradar.signals.contingency import ContingencyTable

    as_of = date(2022, 6, 30)
    with world["store"].reader() as con:
        got = pair_counts(con, as_of, count="all")
        rows = con.execute("SELECT report_id AS id, product_id AS product, unnest(failure_modes) AS event "
                           "FROM reports_labelled WHERE product_id IS NOT NULL AND created_at < ?",
                           [date(2022, 7, 1)]).df().dropna()
        failures = pair_counts(con, as_of)          # the default: a complaint's failure modes only
        kinds = con.execute("SELECT report_id AS id, product_id AS product, unnest(failure_modes) AS event, "
                            "coalesce(complaint_modes, []) AS complaints FROM reports_labelled "
                            "WHERE product_id IS NOT NULL AND created_at < ?", [date(2022, 7, 1)]).df().dropna()
    only_failures = kinds[[e not in set(c) for e, c in zip(kinds["event"], kinds["complaints"])]]
    assert int(failures["n"].sum()) == len(only_failures.drop_duplicates(["id", "product", "event"]))
    want = ContingencyTable.from_rows(rows).pairs
    merged = want.merge(got, on=["product", "event"], suffixes=("", "_store"))
    assert len(merged) == len(want) == len(got) > 20
    for column in ("n", "n_product", "n_event", "total"):
        assert (merged[column] == merged[f"{column}_store"]).all(), column


def test_trending_tells_the_viral_burst_from_the_defect(world):
    """The world's truth has a viral burst about the Mi 11 (the 2022-09-21 trending topic)."""
    from defectradar.analyses.trending import trends_for_store

    truth = json.loads((world["dir"] / "truth.json").read_text(encoding="utf-8"))
    burst = next(b for b in truth["viral_bursts"] if "xiaomi-11" in b["product_ids"])
    with world["store"].reader() as con:
        calls = trends_for_store(con, date(2022, 9, 25)).trends_
        quiet_time = trends_for_store(con, date(2021, 3, 28)).trends_
    assert calls[("xiaomi-11", "*")].kind == "viral_burst"
    assert abs((calls[("xiaomi-11", "*")].peak_day - date.fromisoformat(burst["peak"])).days) <= 3
    assert quiet_time.get(("xiaomi-11", "*")) is None or quiet_time[("xiaomi-11", "*")].kind != "viral_burst"
    result = CliRunner().invoke(app, ["signals", "trending", "--as-of", "2022-09-25", "--json"], env=_env(world))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert any(t["product_id"] == "xiaomi-11" and t["kind"] == "viral_burst" for t in data["trends"])
    none = CliRunner().invoke(app, ["signals", "trending", "--as-of", "2019-01-01"], env=_env(world))
    assert none.exit_code != 0 and "no posts" in none.output


def test_disproportionality_signals_carry_their_rule(world):
    from defectradar.analyses.scan import disproportionality_signals

    with world["store"].reader() as con:
        found = disproportionality_signals(con, date(2022, 12, 31), ScanConfig().rules)
    assert found and all(s.method == "disproportionality" and s.threshold == 2.0 for s in found)
    assert all(s.statistic >= 2.0 and s.evidence["n"] >= 1 for s in found)          # EB05 >= 2
