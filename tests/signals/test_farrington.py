"""Farrington flexible / Noufaily against R surveillance 1.20.3 ``farringtonFlexible``, reference
windows, bad input and properties.

Reference values: ``reference/farrington.csv``, written by ``reference/make_reference.R`` (R 4.2.2,
surveillance 1.20.3; see ``reference/versions.txt``) from the weekly Salmonella Newport counts in
``../shared/data/epysurv-salmonella-newport``, as an ``sts`` object with ``frequency = 52`` and
``epochAsDate = FALSE`` (reference weeks found by going back 52 periods per year, as here).
Weeks 1..365 (2004-2010, the train file) are history; R's ``range = 366:470`` (the 105 test
weeks) is ``start=365`` here.
"""

from __future__ import annotations

import doctest
import json
import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from salmonella_reference import START, reference_table

from defectradar.core.series import CountSeries
from defectradar.errors import InputError
from defectradar.signals import farrington
from defectradar.signals.farrington import Farrington, reference_periods

#: Every value comes from quasi-Poisson GLMs fitted by IRLS.  The module runs IRLS as R's
#: glm.fit does (same start, stopping rule and end state), so agreement is ~1e-12; 1e-6 leaves
#: room for BLAS differences in the weighted least-squares steps.  nbPlugin/muan thresholds are
#: negative binomial quantiles, whole numbers, compared exactly.
RTOL = 1e-6

#: make_reference.R's variants, R control list -> parameters here.
VARIANTS = {
    "delta": {},
    "noufaily": {"no_periods": 10, "past_periods_not_included": 26, "threshold_method": "nbPlugin", "alpha": 0.01},
    "muan": {"no_periods": 10, "past_periods_not_included": 26, "threshold_method": "muan", "alpha": 0.01},
    "b3w2": {"b": 3, "w": 2, "reweight": False, "trend": True, "powertrans": "1/2"},
}


@pytest.fixture(scope="module")
def reference(salmonella) -> pd.DataFrame:
    return reference_table("farrington.csv", salmonella)


@pytest.fixture(scope="module")
def fitted(salmonella) -> dict[str, Farrington]:
    return {name: Farrington(**params).fit(salmonella, start=START) for name, params in VARIANTS.items()}


def months(n: int) -> list[date]:
    return [date(2015 + i // 12, i % 12 + 1, 1) for i in range(n)]


# ------------------------------------------------------------ R surveillance farringtonFlexible
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_matches_farringtonFlexible(fitted, reference, variant):
    """Thresholds, alarms, expected counts, dispersion and the trend decision per week.

    * ``delta``: farringtonFlexible's defaults (b = 5, w = 3, reweight, weightsThreshold 2.58,
      trend with pThresholdTrend 0.05, noPeriods 1, alpha 0.05, powertrans 2/3, limit54 (5, 4));
    * ``noufaily``: Noufaily et al.'s choices, noPeriods 10, pastWeeksNotIncluded 26,
      thresholdMethod "nbPlugin", alpha 0.01;
    * ``muan``: the same with thresholdMethod "muan";
    * ``b3w2``: b 3, w 2, no reweighting, powertrans 1/2.

    Where the 5-in-4 rule suppresses the threshold R gives NA for the threshold and the expected
    count; the module gives NaN for the threshold and still reports the expected count.

    Source: R surveillance 1.20.3, ``farringtonFlexible(sts, control)``; from ``make_reference.R``::

        s <- sts(observed = x, start = c(2004, 1), frequency = 52)
        variants <- list(
          delta = list(),
          noufaily = list(noPeriods = 10, pastWeeksNotIncluded = 26, thresholdMethod = "nbPlugin",
                          alpha = 0.01),
          muan = list(noPeriods = 10, pastWeeksNotIncluded = 26, thresholdMethod = "muan", alpha = 0.01),
          b3w2 = list(b = 3, w = 2, reweight = FALSE, trend = TRUE, powertrans = "1/2"))
        r <- farringtonFlexible(s, control = modifyList(list(range = 366:470), variants[[v]]))
        r@control$expected; upperbound(r); alarms(r); r@control$phiVector; r@control$trend
    """
    detector = fitted[variant]
    upper = reference[f"{variant}_upperbound"].to_numpy()
    suppressed = np.isnan(upper)
    assert 0 < suppressed.sum() < len(upper)
    np.testing.assert_array_equal(np.isnan(detector.threshold_), suppressed)
    np.testing.assert_allclose(detector.threshold_[~suppressed], upper[~suppressed], rtol=RTOL)
    assert np.isnan(reference[f"{variant}_expected"][suppressed]).all()
    np.testing.assert_allclose(detector.expected_[~suppressed], reference[f"{variant}_expected"][~suppressed],
                               rtol=RTOL)
    assert np.isfinite(detector.expected_).all()
    assert detector.alarm_.astype(int).tolist() == reference[f"{variant}_alarm"].tolist()
    np.testing.assert_allclose(detector.dispersion_, reference[f"{variant}_phi"], rtol=RTOL)
    assert detector.trend_.astype(int).tolist() == reference[f"{variant}_trend"].astype(int).tolist()
    assert detector.alarm_.any()


def test_whole_number_thresholds_of_negative_binomial_methods(fitted, reference):
    for variant in ("noufaily", "muan"):
        upper = reference[f"{variant}_upperbound"].dropna()
        assert (upper == upper.round()).all()
        threshold = fitted[variant].threshold_
        np.testing.assert_array_equal(threshold[~np.isnan(threshold)], upper)


@pytest.mark.parametrize("variant", ["delta", "b3w2"])
def test_delta_method_score_matches_farringtonFlexible(fitted, reference, variant):
    """``statistic_`` is farringtonFlexible's score (x - mu0)/(U - mu0) for the delta method,
    reported even where the 5-in-4 rule suppresses the threshold.

    Source: R surveillance 1.20.3, ``farringtonFlexible``, ``r@control$score`` of the runs in
    :func:`test_matches_farringtonFlexible` (``make_reference.R``).
    """
    np.testing.assert_allclose(fitted[variant].statistic_, reference[f"{variant}_score"], rtol=RTOL)


@pytest.mark.parametrize("variant", ["noufaily", "muan"])
def test_quantile_method_score_differs_from_farringtonFlexible_as_documented(fitted, reference, variant):
    """For nbPlugin/muan the module's score is (x - mu0)/(U - mu0); farringtonFlexible's
    ``algo.farrington.threshold.noufaily`` divides on mixed scales, (x - eta0)/(U - eta0) with
    eta0 = log mu0.  Both are checked against R's expected counts and thresholds.

    Source: R surveillance 1.20.3, ``farringtonFlexible``, ``r@control$score``,
    ``r@control$expected`` and ``upperbound(r)`` (``make_reference.R``).
    """
    table = reference.dropna(subset=[f"{variant}_upperbound"])
    x, mu0, upper = table["count"], table[f"{variant}_expected"], table[f"{variant}_upperbound"]
    np.testing.assert_allclose(table[f"{variant}_score"], (x - np.log(mu0)) / (upper - np.log(mu0)), rtol=1e-9)
    np.testing.assert_allclose(fitted[variant].statistic_[table.index], (x - mu0) / (upper - mu0), rtol=RTOL)
    # Here the threshold is above log mu0, so both scores exceed 1 exactly when x > U.
    assert (upper > np.log(mu0)).all()


def test_min_history_is_farringtonFlexible_default_range(salmonella):
    """The default first scored week is b * 52 + w = 263 (0-based), farringtonFlexible's default
    range start freq * b + w + 1 = 264 (1-based), where the oldest reference window is complete.

    Source: R surveillance 1.20.3, ``farringtonFlexible``::

        r <- farringtonFlexible(s, control = list(range = 264:266)); upperbound(r)
        # 6.8125915895914861 6.1341821160895105 4.4257131391687228
    """
    detector = Farrington().fit(salmonella)
    assert detector.start_ == 263 == detector.min_history()
    np.testing.assert_allclose(detector.threshold_[:3], [6.8125915895914861, 6.1341821160895105,
                                                         4.4257131391687228], rtol=RTOL)


def test_compat_paper_uses_phi_for_inference(salmonella, reference):
    """``compat="paper"`` puts the floored phi into the prediction's standard error and the trend
    test (Farrington et al. 1996); that changes thresholds and trend decisions, so it no longer
    reproduces farringtonFlexible."""
    paper = Farrington(compat="paper").fit(salmonella, start=START)
    upper = reference["delta_upperbound"].to_numpy()
    both = ~np.isnan(upper)
    assert not np.allclose(paper.threshold_[both], upper[both], rtol=1e-3)
    assert (paper.trend_ != reference["delta_trend"].astype(bool)).any()
    np.testing.assert_array_equal(np.isnan(paper.threshold_), np.isnan(upper))


# ------------------------------------------------------------------------ reference windows
def test_reference_windows_by_hand():
    """Period k = 21 of a 10-period cycle, b = 2 years, w = 1, 3 season groups: the windows
    k - 10 +- 1 = 10..12 and k - 20 +- 1 = 0..2 are group 3; the 7 periods after each window
    split into group 1 (4 periods) and group 2 (3); the current window's periods 20 and 21 are
    the most recent w periods and the current one, left out."""
    index, groups = reference_periods(21, 10, 2, 1, 3, excluded=1)
    assert index.tolist() == list(range(20))
    assert groups.tolist() == [3, 3, 3, 1, 1, 1, 1, 2, 2, 2] * 2
    index, groups = reference_periods(21, 10, 2, 1, 1, excluded=1)
    assert index.tolist() == [0, 1, 2, 10, 11, 12] and set(groups) == {1}


# ------------------------------------------------------------------------------- bad input
def test_every_parameter_has_a_constraint():
    assert set(Farrington._parameter_constraints) == set(Farrington().get_params())


@pytest.mark.parametrize("name, bad, message", [
    ("b", 0, "b=0 must be a positive whole number of years"),
    ("w", -1, "w=-1 must be a whole number >= 0"),
    ("reweight", "yes", "reweight='yes' must be True or False"),
    ("weights_threshold", -1, "weights_threshold=-1 must be a number >= 0"),
    ("alpha", 0.5, "alpha=0.5 must be a probability below 0.5"),
    ("trend", 1, "trend=1 must be True or False"),
    ("p_threshold_trend", 0, "p_threshold_trend=0 must be a probability"),
    ("limit54", (5, 0), r"limit54=\(5, 0\) must be a pair \(cases >= 0, periods >= 1\)"),
    ("limit54", [5.0, 4], r"limit54=\[5.0, 4\] must be a pair"),
    ("powertrans", "3/4", "powertrans='3/4' must be one of 2/3, 1/2, none"),
    ("no_periods", 0, "no_periods=0 must be a positive whole number"),
    ("past_periods_not_included", -1, "past_periods_not_included=-1 must be None"),
    ("threshold_method", "quantile", "threshold_method='quantile' must be one of delta, nbPlugin, muan"),
    ("compat", "R", "compat='R' must be one of surveillance, paper"),
])
def test_bad_parameters(name, bad, message):
    series = CountSeries(months(30), [3] * 30, freq="month")
    with pytest.raises(InputError, match=f"farrington: parameter {message}"):
        Farrington(**{"b": 2, "w": 1, name: bad}).fit(series)


def test_too_many_season_groups():
    series = CountSeries(months(30), [3] * 30, freq="month")
    with pytest.raises(InputError, match="no_periods=12 is too many for w=1: the 9 periods between reference "
                                         "windows can hold at most 10 groups"):
        Farrington(b=2, w=1, no_periods=12).fit(series)


@pytest.mark.parametrize("freq, n, b, w, needed, unit", [
    ("week", 262, 5, 2, 262, "52 weeks"),
    ("month", 63, 5, 3, 63, "12 months"),
    ("month", 20, 2, 1, 25, "12 months"),
])
def test_series_shorter_than_b_years(freq, n, b, w, needed, unit):
    periods = [date(2010, 1, 4) + timedelta(7 * i) for i in range(n)] if freq == "week" else months(n)
    series = CountSeries(periods, [3] * n, freq=freq)
    with pytest.raises(InputError, match=rf"farrington needs b={b} years of {unit} plus w={w} periods \({needed} "
                                         rf"periods\) of history .* only {n} periods; lower b or use a longer"):
        Farrington(b=b, w=w).fit(series)


def test_start_before_b_years_is_refused(salmonella):
    with pytest.raises(InputError, match="farrington needs 263 periods of history before the first scored period"):
        Farrington().fit(salmonella, start=262)
    assert Farrington(b=1, w=1).fit(CountSeries(months(14), [3] * 14, freq="month")).start_ == 13


def test_negative_counts_are_refused():
    with pytest.raises(InputError, match="count for period 2015-03-01 is negative"):
        CountSeries(months(4), [1, 2, -3, 1], freq="month")


def test_unfitted_detector_has_no_summary():
    with pytest.raises(InputError, match="Farrington is not fitted yet; call fit"):
        Farrington().summary


# ------------------------------------------------------------------------------ properties
@settings(max_examples=25, deadline=None)
@given(counts=st.lists(st.integers(0, 30), min_size=26, max_size=40),
       method=st.sampled_from(["delta", "nbPlugin", "muan"]), reweight=st.booleans(), trend=st.booleans(),
       limit=st.sampled_from([(0, 1), (5, 4)]))
def test_alarm_is_count_above_threshold(counts, method, reweight, trend, limit):
    """Monthly series, b = 2, w = 1: where the threshold is defined the alarm is count > threshold
    (and the count is non-zero); where the 5-in-4 rule suppresses it (NaN) there is no alarm."""
    series = CountSeries(months(len(counts)), counts, freq="month")
    detector = Farrington(b=2, w=1, threshold_method=method, reweight=reweight, trend=trend,
                          limit54=limit).fit(series)
    x = series.counts[detector.start_:]
    defined = ~np.isnan(detector.threshold_)
    assert (detector.threshold_[defined] >= 0).all()
    np.testing.assert_array_equal(detector.alarm_[defined], (x > detector.threshold_)[defined] & (x[defined] > 0))
    assert not detector.alarm_[~defined].any()
    window = np.array([series.counts[max(k - limit[1] + 1, 0):k + 1].sum() for k in range(detector.start_,
                                                                                          len(counts))])
    np.testing.assert_array_equal(defined | ~np.isfinite(detector.expected_), window >= limit[0])
    assert (detector.dispersion_[np.isfinite(detector.dispersion_)] >= 1).all()


def test_to_dict_is_json_safe(fitted):
    out = json.loads(json.dumps(fitted["noufaily"].to_dict()))
    assert out["method"] == "farrington" and out["params"]["limit54"] == [5, 4]
    assert any(p["threshold"] is None for p in out["periods"])        # suppressed by the 5-in-4 rule
    assert all(p["expected"] is not None and not math.isnan(p["expected"]) for p in out["periods"])


def test_docstring_example_runs():
    assert doctest.testmod(farrington, raise_on_error=True).attempted > 0
