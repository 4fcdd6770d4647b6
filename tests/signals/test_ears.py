"""EARS C1/C2/C3 against R surveillance 1.20.3 ``earsC``, hand-worked examples of both
``compat`` definitions, bad input and properties.

Reference values: ``reference/ears.csv``, written by ``reference/make_reference.R`` (R 4.2.2,
surveillance 1.20.3; see ``reference/versions.txt``) from the weekly Salmonella Newport counts
in ``../shared/data/epysurv-salmonella-newport``.  Weeks 1..365 (2004-2010, the train file) are
history; R's ``range = 366:470`` (the 105 test weeks) is ``start=365`` here.
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
from defectradar.signals import ears
from defectradar.signals.ears import EarsC1, EarsC2, EarsC3

#: Closed-form arithmetic (means, standard deviations, one normal quantile): R and numpy agree
#: to about 1e-15; 1e-9 leaves room for summation order only.
RTOL = 1e-9
DETECTORS = {"C1": EarsC1, "C2": EarsC2, "C3": EarsC3}


@pytest.fixture(scope="module")
def reference(salmonella) -> pd.DataFrame:
    return reference_table("ears.csv", salmonella)


def days(n: int) -> list[date]:
    return [date(2024, 1, 1) + timedelta(i) for i in range(n)]


# ------------------------------------------------------------------------- R surveillance earsC
@pytest.mark.parametrize("method", ["C1", "C2", "C3"])
def test_defaults_match_earsC(salmonella, reference, method):
    """earsC's defaults (baseline 7, minSigma 0, alpha 0.001 for C1/C2 and 0.025 for C3).

    Source: R surveillance 1.20.3, ``earsC(sts, control = list(range, method))``; from
    ``make_reference.R``::

        s <- sts(observed = x, start = c(2004, 1), frequency = 52)
        r <- earsC(s, control = list(range = 366:470, method = m))   # m in C1, C2, C3
        upperbound(r); alarms(r)
    """
    detector = DETECTORS[method]().fit(salmonella, start=START)
    np.testing.assert_allclose(detector.threshold_, reference[f"{method}_upperbound"], rtol=RTOL)
    assert detector.alarm_.astype(int).tolist() == reference[f"{method}_alarm"].tolist()
    assert detector.alarm_.any()  # the 2011 outbreak weeks


@pytest.mark.parametrize("method", ["C1", "C2", "C3"])
def test_longer_baseline_sigma_floor_and_alpha_match_earsC(salmonella, reference, method):
    """A 10-period baseline, a floor of 0.5 on sigma and alpha 0.01.

    Source: R surveillance 1.20.3, ``earsC`` with ``control = list(range, method, alpha = 0.01,
    baseline = 10, minSigma = 0.5)``; from ``make_reference.R``::

        r <- earsC(s, control = list(range = 366:470, method = m, alpha = 0.01, baseline = 10,
                                     minSigma = 0.5))
        upperbound(r); alarms(r)
    """
    detector = DETECTORS[method](baseline=10, alpha=0.01, min_sigma=0.5).fit(salmonella, start=START)
    np.testing.assert_allclose(detector.threshold_, reference[f"{method}_b10_ms05_a01_upperbound"], rtol=RTOL)
    assert detector.alarm_.astype(int).tolist() == reference[f"{method}_b10_ms05_a01_alarm"].tolist()


@pytest.mark.parametrize("method, first, upperbound", [
    ("C1", 7, [3.6375342907313271, 3.5231641122584212, 3.6217103358678981]),
    ("C2", 9, [3.6375342907313271, 3.5231641122584212, 3.6217103358678981]),
    ("C3", 11, [0.0, 3.1429344516707909, 3.171902201835425]),
])
def test_min_history_is_earsC_default_range(salmonella, method, first, upperbound):
    """The default first scored period is earsC's default range start, with the same bounds,
    and one period earlier is refused, as earsC refuses it.

    Source: R surveillance 1.20.3, ``earsC`` without ``range`` (it starts at baseline + 1, + 3,
    + 5 for C1, C2, C3, 1-based)::

        r <- earsC(s, control = list(method = m)); min(r@control$range); upperbound(r)[1:3]
        # C1 8, C2 10, C3 12
        earsC(s, control = list(method = m, range = (min(r@control$range) - 1):20))
        # Error: The vector of observed is too short!
    """
    detector = DETECTORS[method]()
    assert detector.min_history() == first
    detector.fit(salmonella)
    assert detector.start_ == first
    np.testing.assert_allclose(detector.threshold_[:3], upperbound, rtol=RTOL)
    with pytest.raises(InputError, match=f"needs {first} periods of history"):
        DETECTORS[method]().fit(salmonella, start=first - 1)


# ------------------------------------------------------------------------- compat, both ways
@pytest.mark.parametrize("count, r_alarm, cdc_alarm", [(4, False, False), (5, True, False), (6, True, True)])
def test_c1_compat_cdc_uses_three_sigmas_and_ignores_alpha(count, r_alarm, cdc_alarm):
    """Hand-worked: baseline 1,3,1,3,1,3,2 has mean 2 and standard deviation 1, so a count of 5
    has C1 = 3.  earsC's rule (alpha 0.01, z = 2.326) alarms above 4.326; the CDC rule needs
    C1 > 3, i.e. a count above 5, whatever alpha is."""
    series = CountSeries(days(8), [1, 3, 1, 3, 1, 3, 2, count], freq="day")
    r = EarsC1(alpha=0.01).fit(series)
    cdc = EarsC1(alpha=0.01, compat="cdc").fit(series)
    for detector in (r, cdc):
        assert detector.start_ == 7 and detector.expected_.tolist() == [2.0]
        assert detector.statistic_ == pytest.approx([count - 2.0])
    assert r.threshold_ == pytest.approx([2 + 2.3263478740408408])
    assert cdc.threshold_ == pytest.approx([5.0])
    assert r.alarm_.tolist() == [r_alarm] and cdc.alarm_.tolist() == [cdc_alarm]


def test_c2_skips_two_periods_before_the_current_one():
    """Hand-worked: C2 at period 9 uses periods 0..6 (mean 2, sd 1), not the zeros at 7 and 8."""
    series = CountSeries(days(10), [1, 3, 1, 3, 1, 3, 2, 0, 0, 5], freq="day")
    r = EarsC2(alpha=0.01).fit(series)
    cdc = EarsC2(compat="cdc").fit(series)
    assert r.start_ == 9 and r.expected_.tolist() == [2.0]
    assert r.alarm_.tolist() == [True] and cdc.alarm_.tolist() == [False]   # C2 = 3 is not > 3


@pytest.mark.parametrize("last", [1, 0])
def test_c3_compat_both_ways(last):
    """Hand-worked C3 on a flat background of 2 with ``min_sigma=1`` (so every baseline has mean
    2 and sigma 1), then counts 5, 5, ``last`` at periods 11, 12, 13.

    C2 = (x - 2)/1 at periods 9..13 is 0, 0, 3, 3, last - 2; its excesses max(0, C2 - 1) are
    0, 0, 2, 2, 0, so the sums over the two previous periods are P = 0, 2, 4.

    * earsC (``"surveillance"``, z = 1.95996): bound max(0, x + (z - P)) = 6.96, 4.96, 0 and
      alarm when x > bound: no, yes, and at period 13 yes for a count of 1 (below the mean!)
      but no for 0 - earsC's C3 only needs a non-zero count once P > z.
      ``statistic_`` is C2 + P = 3, 5, (last - 2) + 4.
    * CDC: C3 = excess + P = 2, 4, 4 alarms when above 2: no, yes, yes - for a count of 0 too,
      so the threshold there is -inf (2 + (3 - P) = 5, 3 before).
    """
    series = CountSeries(days(14), [2] * 11 + [5, 5, last], freq="day")
    z = 1.959963984540054
    r = EarsC3(min_sigma=1.0).fit(series)
    assert r.start_ == 11
    assert r.expected_.tolist() == [2.0, 2.0, 2.0]
    assert r.threshold_ == pytest.approx([5 + z, 5 + z - 2, 0.0])
    assert r.statistic_ == pytest.approx([3.0, 5.0, last - 2 + 4])
    assert r.alarm_.tolist() == [False, True, last > 0]

    cdc = EarsC3(min_sigma=1.0, compat="cdc").fit(series)
    assert cdc.statistic_ == pytest.approx([2.0, 4.0, 4.0])
    assert cdc.threshold_.tolist() == [5.0, 3.0, -math.inf]
    assert cdc.alarm_.tolist() == [False, True, True]
    assert json.loads(json.dumps(cdc.to_dict()))["periods"][2]["threshold"] is None


def test_constant_baseline_without_sigma_floor():
    """sigma = 0 (a flat baseline, ``min_sigma=0``): C1 alarms on any count above the mean, with
    an infinite statistic; C3's values are undefined (0/0), and earsC's NA alarm is no alarm."""
    series = CountSeries(days(12), [2] * 11 + [3], freq="day")
    c1 = EarsC1().fit(series, start=11)
    assert c1.threshold_.tolist() == [2.0] and c1.alarm_.tolist() == [True]
    assert c1.statistic_.tolist() == [math.inf]
    c3 = EarsC3().fit(series)
    assert np.isnan(c3.threshold_[0]) and np.isnan(c3.statistic_[0]) and not c3.alarm_[0]


# ------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("method, needed", [("C1", 7), ("C2", 9), ("C3", 11)])
def test_series_too_short_for_the_baseline(method, needed):
    """C1 needs ``baseline`` periods before the first scored one, C2 two more (the gap), C3 two
    more again (the two previous C2 values)."""
    short = CountSeries(days(needed), [1] * needed, freq="day")
    with pytest.raises(InputError, match=f"ears-{method.lower()}.*{needed} periods"):
        DETECTORS[method]().fit(short)
    with pytest.raises(InputError, match=f"needs {needed} periods of history"):
        DETECTORS[method]().fit(CountSeries(days(20), [1] * 20, freq="day"), start=needed - 1)
    with pytest.raises(InputError, match=f"needs {needed + 3} periods"):
        DETECTORS[method](baseline=10).fit(CountSeries(days(20), [1] * 20, freq="day"), start=needed)


def test_every_parameter_has_a_constraint():
    for cls in DETECTORS.values():
        assert set(cls._parameter_constraints) == set(cls().get_params())


@pytest.mark.parametrize("name, bad, message", [
    ("baseline", 2, "baseline=2 must be a whole number of periods >= 3"),
    ("baseline", 7.0, "baseline=7.0 must be a whole number"),
    ("alpha", 0, "alpha=0 must be a probability"),
    ("alpha", 1.0, "alpha=1.0 must be a probability"),
    ("min_sigma", -0.5, "min_sigma=-0.5 must be a number >= 0"),
    ("min_sigma", math.nan, "min_sigma=nan must be a number >= 0"),
    ("compat", "textbook", "compat='textbook' must be one of surveillance, cdc"),
])
@pytest.mark.parametrize("method", ["C1", "C2", "C3"])
def test_bad_parameters(method, name, bad, message):
    series = CountSeries(days(20), [1] * 20, freq="day")
    with pytest.raises(InputError, match=f"ears-{method.lower()}: parameter {message}"):
        DETECTORS[method](**{name: bad}).fit(series)


def test_negative_or_missing_counts_are_refused():
    with pytest.raises(InputError, match="count for period 2024-01-03 is negative"):
        CountSeries(days(12), [1, 2, -1] + [1] * 9, freq="day")
    with pytest.raises(InputError, match="missing values"):
        CountSeries(days(12), [1, 2, np.nan] + [1] * 9, freq="day")


@pytest.mark.parametrize("method", ["C1", "C2", "C3"])
def test_unfitted_detector_has_no_summary(method):
    with pytest.raises(InputError, match="not fitted yet; call fit"):
        DETECTORS[method]().summary
    with pytest.raises(InputError, match="not fitted yet"):
        DETECTORS[method]().to_dict()


# ------------------------------------------------------------------------------ properties
@settings(max_examples=60, deadline=None)
@given(counts=st.lists(st.integers(0, 60), min_size=12, max_size=40), method=st.sampled_from(["C1", "C2", "C3"]),
       compat=st.sampled_from(["surveillance", "cdc"]), min_sigma=st.sampled_from([0.1, 0.5, 2.0]),
       alpha=st.sampled_from([0.001, 0.025, 0.2]))
def test_alarm_is_count_above_threshold(counts, method, compat, min_sigma, alpha):
    """With sigma floored above 0, thresholds are finite (-inf only for the CDC C3 "every count
    alarms" case) and the alarm is exactly count > threshold."""
    series = CountSeries(days(len(counts)), counts, freq="day")
    detector = DETECTORS[method](min_sigma=min_sigma, alpha=alpha, compat=compat).fit(series)
    x = series.counts[detector.start_:]
    every = np.isneginf(detector.threshold_)
    assert np.isfinite(detector.threshold_[~every]).all()
    assert not every.any() or (method == "C3" and compat == "cdc")
    np.testing.assert_array_equal(detector.alarm_, x > detector.threshold_)
    assert np.isfinite(detector.statistic_).all() and (detector.expected_ >= 0).all()


def test_summary_and_to_dict(salmonella):
    detector = EarsC3().fit(salmonella, start=START)
    summary = detector.summary
    assert summary.columns.tolist() == ["period", "count", "expected", "threshold", "statistic", "alarm"]
    assert len(summary) == 105 and summary["period"].iloc[0] == date(2011, 1, 3)
    out = json.loads(json.dumps(detector.to_dict()))
    assert out["method"] == "ears-c3" and out["params"]["alpha"] == 0.025
    assert sum(p["alarm"] for p in out["periods"]) == int(detector.alarm_.sum())


def test_docstring_example_runs():
    assert doctest.testmod(ears, raise_on_error=True).attempted > 0
