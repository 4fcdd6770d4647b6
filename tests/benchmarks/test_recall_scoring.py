"""The recall back-tests' scoring (benchmarks/recall_scoring.py) on tiny frames with known answers."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from benchmarks.recall_scoring import (
    NAIVE_LABEL,
    Panel,
    capture,
    evaluate,
    explained,
    full_follow_up,
    luck,
    method_list,
    naive_rule,
    period_score,
    precision_at_k,
    scan_alarms,
    scanned_months,
    target,
)

from defectradar.analyses.scan import ScanConfig

M = lambda text: pd.Period(text, "M")  # noqa: E731


def frame(index, months, value=False):
    return pd.DataFrame(value, index=index, columns=pd.period_range(*months, freq="M"))


def units(*rows):
    return pd.DataFrame([(c, s, M(m)) for c, s, m in rows], columns=["campaign", "series", "month"])


# ------------------------------------------------------------------------------------- caught, lead
def test_capture_first_alarm_in_the_12_months_before_the_recall_month():
    alarms = frame(["A", "B"], ("2020-01", "2020-12"))
    alarms.loc["A", M("2020-03")] = alarms.loc["A", M("2020-06")] = True
    alarms.loc["B", M("2020-05")] = True
    scanned = frame(["A", "B"], ("2020-01", "2020-12"), True)
    got = capture(alarms, scanned, units(("R1", "A", "2020-08"),      # window 2019-08..2020-07: 2020-03 first
                                         ("R2", "A", "2020-04"),      # 2020-06 comes after the recall month
                                         ("R3", "B", "2020-05"),      # the alarm in the recall month itself: no
                                         ("R4", "B", "2021-05"),      # window 2020-05..2021-04: alarm 2020-05, lead 12
                                         ("R5", "B", "2021-06"),      # 2020-05 is 13 months before: missed
                                         ("R6", "C", "2020-08")))     # no complaint series
    assert got["caught"].tolist() == [True, True, False, True, False, False]
    assert got.loc[0, "lead"] == 5 and got.loc[0, "first_alarm"] == M("2020-03")
    assert got.loc[1, "lead"] == 1                                  # 2020-03 -> 2020-04
    assert got.loc[3, "lead"] == 12
    assert got["has_series"].tolist() == [True] * 5 + [False]
    assert not got.loc[5, "scored"]


def test_capture_needs_a_scanned_month_in_the_window():
    alarms = frame(["A"], ("2020-01", "2020-12"), True)
    scanned = frame(["A"], ("2020-01", "2020-12"))
    scanned.loc["A", M("2020-10")] = True
    got = capture(alarms, scanned, units(("R1", "A", "2020-06"), ("R2", "A", "2020-12")))
    assert got["scored"].tolist() == [False, True]
    assert got["caught"].tolist() == [False, True]                 # only the scanned month's alarm counts
    assert got.loc[1, "lead"] == 2


# ------------------------------------------------------------------------------------- explained
def test_explained_means_a_recall_of_the_series_in_the_12_months_after_the_alarm_month():
    got = explained(["A", "B"], pd.period_range("2019-01", "2020-12", freq="M"),
                    units(("R1", "A", "2020-08"), ("R2", "X", "2020-01")))
    a = got.loc["A"]
    assert a[M("2019-08")] and a[M("2020-07")]                      # 12 and 1 month(s) before
    assert not a[M("2019-07")]                                      # 13 months before
    assert not a[M("2020-08")] and not a[M("2020-09")]              # the recall month and after
    assert int(a.sum()) == 12
    assert not got.loc["B"].any()                                   # another series' recall explains nothing


def test_full_follow_up_ends_12_months_before_the_last_complete_recall_month():
    months = pd.period_range("2019-01", "2020-12", freq="M")
    got = full_follow_up(months, M("2020-12"))
    assert got.sum() == 12 and got[11] and not got[12]              # 2019-12 + 12 = 2020-12 is complete
    panel = Panel(frame(["A"], ("2020-01", "2020-02"), 0), pd.Series({"A": M("2020-01")}), units(),
                  M("2020-01"), pd.Timestamp("2026-06-04"))
    assert panel.follow_up_end == M("2026-05")                       # June 2026 is incomplete
    panel.recall_end = pd.Timestamp("2026-06-30")
    assert panel.follow_up_end == M("2026-06")


# ------------------------------------------------------------------------------------- precision at k
def test_precision_at_k_ranks_by_score_and_averages_ties_across_the_kth_place():
    scores = [5, 4, 3, 3, 1]
    hits = [True, True, False, True, False]
    assert precision_at_k(scores, hits, 2) == 1.0
    assert precision_at_k(scores, hits, 3) == pytest.approx(2.5 / 3)    # one of the two tied at 3: half a hit
    assert precision_at_k(scores, hits, 4) == pytest.approx(3 / 4)
    assert precision_at_k(scores, hits, 5) == pytest.approx(3 / 5)
    assert precision_at_k(scores, hits, 6) is None                       # fewer alarms than k


def test_precision_at_k_puts_missing_scores_last_and_infinite_first():
    assert precision_at_k([math.nan, 1.0, math.inf], [True, False, False], 1) == 0.0
    assert precision_at_k([math.nan, 1.0, 2.0], [True, False, False], 3) == pytest.approx(1 / 3)


# ------------------------------------------------------------------------------------- luck
def test_luck_moves_the_recall_month_over_the_range():
    months = ("2020-01", "2021-12")
    alarms = frame(["A", "B"], months)
    alarms.loc["A", M("2020-06")] = True
    scanned = frame(["A", "B"], months, True)
    moved = pd.period_range("2021-01", "2021-12", freq="M")        # windows holding 2020-06: 2021-01..2021-06
    assert luck(alarms, scanned, units(("R1", "A", "2021-03")), moved) == pytest.approx(6 / 12)
    # Two units on A, one on B (no alarms), one without a series: 0.5 + 0.5 + 0 + 0.
    assert luck(alarms, scanned, units(("R1", "A", "2021-03"), ("R2", "A", "2021-09"), ("R3", "B", "2021-03"),
                                       ("R4", "C", "2021-03")), moved) == pytest.approx(1.0)


def test_luck_skips_windows_without_a_scanned_month():
    months = ("2020-01", "2021-12")
    alarms = frame(["A"], months)
    alarms.loc["A", M("2021-03")] = True
    scanned = frame(["A"], months)
    scanned.loc["A", M("2021-01"):M("2021-12")] = True
    moved = pd.period_range("2020-07", "2021-12", freq="M")
    # Recall months 2020-07..2021-01 have no scanned month in their window; of the 11 others
    # (2021-02..2021-12), 2021-04..2021-12 (9) hold the alarm.
    assert luck(alarms, scanned, units(("R1", "A", "2021-05")), moved) == pytest.approx(9 / 11)


# ------------------------------------------------------------------------------------- the naive rule, scanned months
def test_naive_rule_needs_twice_the_mean_of_the_6_months_before_and_10():
    counts = frame(["A", "B", "C"], ("2020-01", "2020-08"), 0)
    counts.loc["A"] = [5, 5, 5, 5, 5, 5, 10, 11]       # 10 = 2 x 5: alarm; 11 against 5.83: no
    counts.loc["B"] = [0, 0, 0, 0, 0, 0, 9, 30]        # 9 < 10: no; 30 against 1.5: alarm, ratio 20
    counts.loc["C"] = [0, 0, 0, 0, 0, 0, 0, 12]        # C begins 2020-03: 2020-08 has 5 months before it
    first = pd.Series({"A": M("2020-01"), "B": M("2020-01"), "C": M("2020-03")})
    panel = Panel(counts, first, units(), M("2020-01"), pd.Timestamp("2021-01-01"))
    alarm, score = naive_rule(panel)
    assert alarm.loc["A"].tolist() == [False] * 6 + [True, False]
    assert alarm.loc["B"].tolist() == [False] * 7 + [True]
    assert not alarm.loc["C"].any()
    assert score.loc["A", M("2020-07")] == pytest.approx(2.0)
    assert score.loc["B", M("2020-08")] == pytest.approx(20.0)
    assert score.loc["B", M("2020-07")] == math.inf                # a mean of 0
    assert np.isnan(score.loc["A", M("2020-06")])


def test_scanned_months_need_the_start_the_burn_in_and_the_scans_min_total():
    counts = frame(["A", "B"], ("2020-01", "2020-12"), 0)
    counts.loc["A"] = 1
    counts.loc["B", M("2020-11")] = 9
    first = pd.Series({"A": M("2020-03"), "B": M("2020-01")})
    panel = Panel(counts, first, units(), M("2020-06"), pd.Timestamp("2021-01-01"))
    got = scanned_months(panel, burn_in=6, min_total=5)
    # A: 6 months old from 2020-09; complaints from 2020-03 (1 a month): 5 by 2020-07.
    assert [str(m) for m in got.columns[got.loc["A"]]] == ["2020-09", "2020-10", "2020-11", "2020-12"]
    # B: old enough from 2020-07 (the start is 2020-06), 5 complaints only from 2020-11.
    assert [str(m) for m in got.columns[got.loc["B"]]] == ["2020-11", "2020-12"]


# ------------------------------------------------------------------------------------- the whole evaluation
def test_evaluate_counts_caught_lead_alarms_unexplained_and_precision():
    months = ("2019-01", "2021-12")
    counts = frame(["A", "B"], months, 6)
    alarms = frame(["A", "B"], months)
    for series, month in (("A", "2020-03"), ("A", "2020-04"), ("B", "2020-02"), ("B", "2021-06")):
        alarms.loc[series, M(month)] = True
    scores = frame(["A", "B"], months, 0.0)
    scores.loc["A", M("2020-03")], scores.loc["B", M("2020-02")] = 9.0, 8.0
    counts.loc["A", M("2020-04")] = 4                              # under the evidence floor: not an alarm
    panel = Panel(counts, pd.Series({"A": M("2019-01"), "B": M("2019-01")}),
                  units(("R1", "A", "2021-01"), ("R1", "B", "2021-01"), ("R2", "A", "2020-01")),
                  M("2020-01"), pd.Timestamp("2021-12-31"))
    scanned = scanned_months(panel, burn_in=6, min_total=5)
    got = evaluate("x", {}, alarms, scores, scanned, panel, min_last=5)
    # Units counted: recall months 2021-01..2021-12 (R2 in 2020-01 is before its window could be scored).
    assert got["units"] == 2 and got["units_scored"] == 2
    assert got["caught"] == 2 and got["campaigns_caught"] == 1
    assert got["median_lead"] == pytest.approx((10 + 11) / 2)      # A 2020-03 -> 2021-01, B 2020-02 -> 2021-01
    assert got["alarms"] == 3                                     # A 2020-03, B 2020-02, B 2021-06
    # Full follow-up to 2020-12 (2021-12 is the last complete month): A 2020-03 and B 2020-02, both explained.
    assert got["alarms_full_follow_up"] == 2 and got["unexplained"] == 0
    assert got["p_at_10"] is None
    assert got["luck"] > 0


def test_target_needs_every_condition():
    naive = {"caught": 10, "unexplained": 5, "median_lead": 4.0}
    assert target({"method": "m", "caught": 10, "unexplained": 5, "median_lead": 5.0}, naive)["met"]
    assert not target({"method": "m", "caught": 9, "unexplained": 1, "median_lead": 9.0}, naive)["met"]
    assert not target({"method": "m", "caught": 12, "unexplained": 6, "median_lead": 9.0}, naive)["met"]
    assert not target({"method": "m", "caught": 12, "unexplained": 1, "median_lead": 4.0}, naive)["met"]


# ------------------------------------------------------------------------------------- methods
def test_method_list_follows_the_scan_config():
    config = SimpleNamespace(methods=("glr-poisson",), params={"glr-poisson": {"window": 13}})
    got = method_list(config, None)
    assert got[0] == ("glr-poisson (scan default)", "glr-poisson", {"window": 13})
    assert [m for _, m, _ in got] == ["glr-poisson", "ears-c3", "bursts"]       # no repeat
    assert [m for _, m, _ in method_list(config, ["bursts", "scan"])] == ["bursts", "glr-poisson"]
    with pytest.raises(SystemExit):
        method_list(config, ["no-such-method"])
    assert NAIVE_LABEL


def test_period_score_prefers_the_detectors_score():
    class Fitted:
        statistic_ = np.array([1.0, 2.0])

        def rule_statistic(self):
            return self.statistic_

    det = Fitted()
    assert period_score(det) == 2.0
    det.score_ = np.array([0.5, 3.5])
    assert period_score(det) == 3.5
    other = Fitted()
    other.rank_score = lambda: [7.0]
    assert period_score(other) == 7.0


def test_scan_alarms_decides_each_month_from_the_months_before():
    counts = frame(["A"], ("2020-01", "2021-12"), 0)
    counts.loc["A"] = [6, 5, 7, 6, 5, 6, 7, 5, 6, 6, 5, 7, 6, 5, 6, 40, 6, 5, 7, 6, 5, 6, 7, 5]
    panel = Panel(counts, pd.Series({"A": M("2020-01")}), units(), M("2020-07"), pd.Timestamp("2022-06-30"))
    scanned = scanned_months(panel, burn_in=6, min_total=5)
    config = ScanConfig(methods=("ears-c1",), min_last=5, lookback=4)
    alarms, scores, notes = scan_alarms("ears-c1", {}, panel, scanned, config)
    assert alarms.loc["A", M("2021-04")]                          # the spike of 40
    assert not alarms.loc["A", :M("2021-03")].any()
    assert scores.loc["A", M("2021-04")] > 3
    assert np.isnan(scores.loc["A", M("2020-06")])                # before the start: not decided


# ------------------------------------------------------------------------------------- the vehicle data
def test_complaint_rows_split_components_and_drop_placeholder_dates():
    from benchmarks.recall_backtest_vehicles import complaint_rows, top_level

    complaints = pd.DataFrame({
        "odi_number": ["1", "2", "3", "4", "5", "6"],
        "make": ["FORD"] * 6, "model": ["Escape"] * 6, "model_year": ["2015"] * 6,
        "components": ["POWER TRAIN,ENGINE", "FUEL SYSTEM, GASOLINE:DELIVERY,ENGINE:OIL,ENGINE", "WHEELS",
                       "WHEELS", "WHEELS", "WHEELS"],
        "incident_date": ["2015-03-02", "2014-01-31", "1969-12-31", "", "2026-06-02", "2026-07-01"],
    })
    rows, info = complaint_rows(complaints, pd.Timestamp("2026-06-04"))
    assert sorted(rows["series"]) == ["FORD ESCAPE | ENGINE", "FORD ESCAPE | ENGINE",
                                      "FORD ESCAPE | FUEL SYSTEM, GASOLINE", "FORD ESCAPE | POWER TRAIN"]
    assert rows.loc[rows["odi"] == "2", "month"].iloc[0] == M("2014-01")     # model year - 1 is kept
    assert info["kept"] == 2 and info["last_month"] == M("2026-05")
    assert list(info["dropped"].values()) == [1, 1, 1, 1]                   # blank, 1969, after the pull, June
    assert top_level("SERVICE BRAKES, HYDRAULIC:PEDALS", families=True) == "SERVICE BRAKES"
    assert top_level("SERVICE BRAKES, HYDRAULIC:PEDALS") == "SERVICE BRAKES, HYDRAULIC"
