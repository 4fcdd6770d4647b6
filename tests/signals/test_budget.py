"""Thresholds from a false-alarm budget: the vectorised simulations against the detectors
themselves, the budget met on fresh series, monotonicity, bad input."""

from __future__ import annotations

import doctest
import math
import warnings

import pytest

from defectradar.errors import InputError
from defectradar.signals import budget, budget_counters
from defectradar.signals.budget import (
    LEVELS,
    SPECS,
    calibrate_methods,
    level_of,
    threshold_for_budget,
)
from defectradar.signals.glr import PERIODS_PER_YEAR
from defectradar.signals.registry import detector

WEEKS = 104


def _fresh_rate(method: str, params: dict, mean: float, dispersion: float, start: int, n: int = 400,
                seed: int = 12345) -> float:
    """False alarms per series-year of the real detector on new series from the same null."""
    counts = budget._simulate(mean, dispersion, n, WEEKS, seed)
    alarms = years = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for series in budget_counters._series_rows(counts, "week"):
            try:
                det = detector(method, **params).fit(series, start=start)
            except InputError:
                continue                        # the scan skips a series the detector refuses
            alarms += det.alarm_.sum()
            years += len(det.alarm_) / PERIODS_PER_YEAR["week"]
    return alarms / years


# ------------------------------------------------------------------- the simulations are the detectors
COUNTER_CASES = [
    ("glr-poisson", {"mu0": 3.0, "c_arl": 3.0}, 0),
    ("glr-poisson", {"mu0": 3.0, "c_arl": 3.0, "window": 13, "mtilde": 2}, 0),
    ("glr-poisson", {"c_arl": 4.0, "window": 13}, 20),
    ("glr-poisson", {"c_arl": 4.0, "harmonics": 0}, 20),
    ("glr-nb", {"mu0": 3.0, "alpha": 0.3, "c_arl": 2.0, "window": 10}, 0),
    ("glr-nb", {"mu0": 3.0, "alpha": 0.3, "c_arl": 2.0}, 0),
    ("glr-nb", {"alpha": 0.3, "c_arl": 2.5, "mtilde": 3, "window": 8}, 20),
    ("cusum", {"h": 3.0}, 10),
    ("cusum", {"h": 3.0, "reset": True, "trans": "rossi"}, 10),
    ("cusum", {"h": 2.0, "reset": True, "m": "glm"}, 10),
    ("cusum", {"h": 2.0, "trans": "anscombe", "m": 3.0}, 0),
    ("ears-c1", {"alpha": 0.01}, 7),
    ("ears-c2", {"alpha": 0.01, "baseline": 5}, 12),
    ("ears-c3", {"alpha": 0.05}, 11),
    ("ears-c3", {"alpha": 0.2, "min_sigma": 0.5}, 15),
    ("bursts", {"gamma": 0.5}, 0),
    ("bursts", {"gamma": 0.5, "s": 3.0, "n_states": 3}, 30),
    ("bursts", {"gamma": 0.2, "baseline": "history"}, 30),
]


@pytest.mark.parametrize("method, params, start", COUNTER_CASES)
def test_vectorised_alarms_equal_the_detectors(method, params, start):
    """The calibration scores every simulated series at once (and GLR's restarted charts once per
    restart); on a given threshold it must count exactly the alarms the detector raises."""
    counts = budget._simulate(3.0, 0.3, 12, 60, 7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        counter = budget._counter(method, detector(method, **params), counts, start, 3.0, 0.3, "week", 0)
        expected = 0
        # threshold_last=0: GLR's smallest alarming count (a search per period) is not needed here.
        fitted = params | ({"threshold_last": 0} if method.startswith("glr") else {})
        for series in budget_counters._series_rows(counts, "week"):
            try:
                expected += int(detector(method, **fitted).fit(series, start=start).alarm_.sum())
            except InputError:
                pass
    spec = SPECS[method]
    assert counter.alarms(spec.u(params[spec.parameter])) == expected


# ------------------------------------------------------------------- the budget is met on fresh series
@pytest.mark.parametrize("method, params, start", [
    ("glr-poisson", {"mu0": 5.0, "window": 13, "threshold_last": 0}, 0),   # known (exposure) mean
    ("ears-c1", {}, None),
    ("cusum", {}, 52),                                                    # reference mean from a year
])
@pytest.mark.parametrize("dispersion", [0.0, 0.2])
def test_calibrated_threshold_meets_the_budget_on_fresh_series(method, params, start, dispersion):
    chosen, info = threshold_for_budget(method, params, freq="week", periods=WEEKS, mean=5.0, dispersion=dispersion,
                                        budget=0.1, start=start)
    assert "note" not in info, info
    assert 0.05 <= info["simulated_false_alarms_per_year"] <= 0.1
    first = detector(method, **chosen).min_history() if start is None else start
    rate = _fresh_rate(method, chosen, 5.0, dispersion, first)
    assert 0.05 <= rate <= 0.2, (chosen, info, rate)


def test_info_reports_parameter_value_and_null():
    chosen, info = threshold_for_budget("glr-poisson", {"mu0": [1.0, 2.0], "window": 13}, freq="week",
                                        periods=WEEKS, mean=1.0, dispersion=0.0, budget=0.1, start=0)
    assert info["parameter"] == "c_arl" and chosen["c_arl"] == info["value"] > 0
    assert chosen["mu0"] == [1.0, 2.0] and chosen["window"] == 13        # the other parameters stay
    assert info["n_sim"] == 1000 and info["budget"] == 0.1          # cheap to score: 1000 series
    assert info["null"] == {"mean": 1.0, "dispersion": 0.0, "distribution": "Poisson", "freq": "week",
                            "periods": WEEKS, "seed": 0, "start": 0, "reference": "the null mean (mu0 given)"}
    assert info["alarms"] / info["series_years"] == pytest.approx(info["simulated_false_alarms_per_year"], abs=1e-4)


# ------------------------------------------------------------------- monotone in budget and dispersion
@pytest.mark.parametrize("method, params, start", [
    ("glr-poisson", {"mu0": 5.0, "window": 13}, 0), ("ears-c3", {}, None), ("cusum", {}, 52),
    ("cusum", {"reset": True}, 52), ("bursts", {}, None),
])
def test_a_higher_budget_loosens_the_threshold(method, params, start):
    values = [threshold_for_budget(method, params, freq="week", periods=WEEKS, mean=5.0, dispersion=0.0,
                                   budget=b, start=start)[1] for b in (0.05, 0.1, 0.5)]
    strict = [v["z"] if v["parameter"] == "alpha" else v["value"] for v in values]
    assert strict[0] >= strict[1] > strict[2], values
    rates = [v["simulated_false_alarms_per_year"] for v in values]
    assert rates[0] <= rates[1] <= rates[2]


@pytest.mark.parametrize("method, params, start", [
    ("glr-poisson", {"mu0": 5.0, "window": 13}, 0), ("ears-c1", {}, None), ("cusum", {}, 52),
])
def test_overdispersion_gives_a_stricter_threshold(method, params, start):
    poisson, nb = (threshold_for_budget(method, params, freq="week", periods=WEEKS, mean=5.0, dispersion=d,
                                        budget=0.1, start=start)[1] for d in (0.0, 0.2))
    if poisson["parameter"] == "alpha":
        assert nb["value"] < poisson["value"] and nb["z"] > poisson["z"]
    else:
        assert nb["value"] > poisson["value"]


# ------------------------------------------------------------------- what cannot be calibrated
def test_budget_out_of_reach_returns_the_strictest_with_a_note():
    # EARS over a baseline of zeros has sigma 0: any count alarms, whatever z is.
    chosen, info = threshold_for_budget("ears-c1", {}, freq="week", periods=WEEKS, mean=0.1, dispersion=0.0,
                                        budget=0.01)
    assert info["z"] == pytest.approx(SPECS["ears-c1"].strict, abs=1e-3)
    assert "cannot be met" in info["note"] and info["simulated_false_alarms_per_year"] > 0.01


def test_methods_without_a_calibratable_threshold_are_returned_unchanged():
    chosen, info = threshold_for_budget("ears-c1", {"compat": "cdc"}, freq="week", periods=WEEKS, mean=5.0,
                                        dispersion=0.0, budget=0.1)
    assert chosen == {"compat": "cdc"} and info["value"] is None and "fixed limit" in info["note"]
    chosen, info = threshold_for_budget("farrington", {}, freq="week", periods=WEEKS, mean=5.0, dispersion=0.0,
                                        budget=0.1)
    assert chosen == {} and "needs 263 periods" in info["note"]
    chosen, info = threshold_for_budget("nb-excess", {"window": 12}, freq="week", periods=WEEKS, mean=5.0,
                                        dispersion=0.2, budget=0.3)
    assert chosen == {"window": 12, "false_alarms_per_year": 0.3} and "analytically" in info["note"]


def test_glr_nb_without_alpha_simulates_with_the_null_dispersion():
    chosen, info = threshold_for_budget("glr-nb", {"window": 13, "harmonics": 0}, freq="week", periods=WEEKS,
                                        mean=5.0, dispersion=0.2, budget=0.1, start=52)
    assert chosen["c_arl"] == info["value"] and "alpha" not in chosen
    assert "null's dispersion" in info["note"]


# ------------------------------------------------------------------- bad input
@pytest.mark.parametrize("bad", [0, -0.1, math.nan, math.inf, "0.1", None, True])
def test_bad_budget_is_refused(bad):
    with pytest.raises(InputError, match="false-alarm budget must be a positive number"):
        threshold_for_budget("cusum", {}, freq="week", periods=WEEKS, mean=1.0, dispersion=0.0, budget=bad)


@pytest.mark.parametrize("kwargs, message", [
    ({"mean": 0}, "null mean must be a positive"),
    ({"dispersion": -1}, "overdispersion must be a number >= 0"),
    ({"freq": "year"}, "freq must be one of"),
    ({"periods": 1}, "periods must be a whole number"),
    ({"start": WEEKS}, "start must be a whole number"),
    ({"start": 0}, "needs 1 periods of history"),
    ({"n_sim": 0}, "n_sim must be"),
])
def test_bad_inputs_are_refused(kwargs, message):
    args = dict(freq="week", periods=WEEKS, mean=1.0, dispersion=0.0, budget=0.1) | kwargs
    with pytest.raises(InputError, match=message):
        threshold_for_budget("cusum", {}, **args)


def test_unknown_method_or_parameter_is_refused():
    with pytest.raises(InputError, match="unknown method 'shewhart'; choose one of"):
        threshold_for_budget("shewhart", {}, freq="week", periods=WEEKS, mean=1.0, dispersion=0.0, budget=0.1)
    with pytest.raises(InputError, match="cusum"):
        threshold_for_budget("cusum", {"hh": 3}, freq="week", periods=WEEKS, mean=1.0, dispersion=0.0, budget=0.1)


# ------------------------------------------------------------------- levels, cache, many methods
def test_level_of_buckets_means_on_a_log_scale():
    assert [level_of(m) for m in (0.01, 0.1, 0.2, 0.6, 1, 2, 5, 20, 50, 500, 0, math.nan)] == \
        [0.1, 0.1, 0.3, 1.0, 1.0, 3.0, 3.0, 30.0, 30.0, 300.0, 0.1, 0.1]
    assert set(LEVELS) == {level_of(v) for v in LEVELS}


def test_calibrate_methods_gives_params_per_method_and_level():
    out = calibrate_methods(["cusum", "ears-c1"], {"cusum": {"reset": True}}, freq="week", periods=WEEKS,
                            means=[0.9, 1.1, 4.0], dispersion=0.1, budget=0.1, start={"cusum": 52})
    assert set(out) == {"cusum", "ears-c1"} and set(out["cusum"]) == {1.0, 3.0}
    params, info = out["cusum"][3.0]
    assert params["reset"] is True and params["h"] == info["value"] and info["null"]["mean"] == 3.0
    assert info["null"]["start"] == 52 and out["ears-c1"][1.0][1]["null"]["start"] == 7


def test_results_are_cached_and_copies_are_returned():
    budget.clear_cache()
    args = dict(freq="week", periods=WEEKS, mean=2.04, dispersion=0.001, budget=0.1, start=52)
    first = threshold_for_budget("cusum", {"h": 1.0}, **args)
    first[1]["null"]["mean"] = "changed"
    second = threshold_for_budget("cusum", {"h": 9.0}, **(args | {"mean": 2.0, "dispersion": 0.0}))
    assert budget._calibrated.cache_info().hits == 1
    assert second[1]["null"]["mean"] == 2.0 and second[0]["h"] == first[0]["h"]


def test_doctests():
    assert doctest.testmod(budget, optionflags=doctest.ELLIPSIS).failed == 0
