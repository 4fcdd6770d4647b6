"""CUSUM against R surveillance 1.20.3 ``algo.cusum``, the reset option by hand, bad input and
properties.

Reference values: ``reference/cusum.csv``, written by ``reference/make_reference.R`` (R 4.2.2,
surveillance 1.20.3; see ``reference/versions.txt``) from the weekly Salmonella Newport counts
in ``../shared/data/epysurv-salmonella-newport``.  Weeks 1..365 (2004-2010, the train file) are
history; R's ``range = 366:470`` (the 105 test weeks) is ``start=365`` here.
"""

from __future__ import annotations

import doctest
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from salmonella_reference import START, reference_table, weeks

from defectradar.core.series import CountSeries
from defectradar.errors import InputError
from defectradar.signals import cusum
from defectradar.signals.cusum import Cusum

#: Closed-form arithmetic (a mean, square roots, a running sum): R and numpy agree to ~1e-12.
RTOL = 1e-9
#: m = "glm": a Poisson GLM fitted by IRLS on both sides; R's glm stops at a relative deviance
#: change below 1e-8, statsmodels here at 1e-12.  Poisson IRLS converges quadratically, so they
#: agree to ~1e-13 on this series; 1e-6 covers stopping one iteration apart.
RTOL_GLM = 1e-6


@pytest.fixture(scope="module")
def reference(salmonella) -> pd.DataFrame:
    return reference_table("cusum.csv", salmonella)



# -------------------------------------------------------------------- R surveillance algo.cusum
@pytest.mark.parametrize("trans", ["standard", "rossi", "anscombe"])
def test_history_mean_matches_algo_cusum(salmonella, reference, trans):
    """k = 1.04, h = 2.26, m = mean of weeks 1..365, each transform.

    Source: R surveillance 1.20.3, ``algo.cusum(disProg, control = list(range, trans))`` (the
    function behind ``cusum()``); from ``make_reference.R``::

        dp <- sts2disProg(sts(observed = x, start = c(2004, 1), frequency = 52))
        r <- algo.cusum(dp, control = list(range = 366:470, trans = tr))
        r$control$m; r$cusum; r$upperbound; r$alarm
    """
    detector = Cusum(trans=trans).fit(salmonella, start=START)
    np.testing.assert_allclose(detector.expected_, reference[f"{trans}_m"], rtol=RTOL)
    np.testing.assert_allclose(detector.statistic_, reference[f"{trans}_cusum"], rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(detector.threshold_, reference[f"{trans}_upperbound"], rtol=RTOL)
    assert detector.alarm_.astype(int).tolist() == reference[f"{trans}_alarm"].tolist()


def test_seasonal_glm_mean_matches_algo_cusum(salmonella, reference):
    """m = "glm" (Poisson GLM with one sine/cosine pair fitted to weeks 1..365), k = 0.5, h = 4.

    Source: R surveillance 1.20.3, ``algo.cusum`` with ``m = "glm"``; from ``make_reference.R``::

        r <- algo.cusum(dp, control = list(range = 366:470, m = "glm", k = 0.5, h = 4))
        r$control$m; r$cusum; r$upperbound; r$alarm
    """
    detector = Cusum(m="glm", k=0.5, h=4).fit(salmonella, start=START)
    np.testing.assert_allclose(detector.expected_, reference["glm_m"], rtol=RTOL_GLM)
    np.testing.assert_allclose(detector.statistic_, reference["glm_cusum"], rtol=RTOL_GLM, atol=1e-9)
    np.testing.assert_array_equal(detector.threshold_, reference["glm_upperbound"])   # whole numbers
    assert detector.alarm_.astype(int).tolist() == reference["glm_alarm"].tolist()


def test_rossi_bound_is_zero_when_every_count_alarms():
    """The one place the module departs from algo.cusum on purpose.  m = 4, k = 1, h = 2, Rossi
    transform z = (x - 12 + 4 sqrt(x)) / 4 >= -3 for every count.  Counts 16, 9, 9, 0 give
    z - k = 4, 1.25, 1.25, -4, so S = 4, 5.25, 6.5, 2.5: all alarm.  Before the last period the
    room left, h + k - S = -3.5, is below -1.5 sqrt(m) = -3, so even a count of 0 alarms: the
    bound is 0.  algo.cusum squares a negative root and reports 0.343 there (its other bounds
    agree).

    Source: R surveillance 1.20.3, ``algo.cusum``::

        dp <- create.disProg(week = 1:5, observed = c(1, 16, 9, 9, 0), state = rep(0, 5), freq = 52)
        r <- algo.cusum(dp, control = list(range = 2:5, m = 4, k = 1, h = 2, trans = "rossi"))
        r$cusum       # 4.00 5.25 6.50 2.50
        r$upperbound  # 10.833989511483274 2.1435935394489825 0.41699475574163714 0.34314575050761942
        r$alarm       # 1 1 1 1
    """
    detector = Cusum(m=4, k=1, h=2, trans="rossi").fit(CountSeries(weeks(4), [16, 9, 9, 0]), start=0)
    assert detector.statistic_.tolist() == pytest.approx([4.0, 5.25, 6.5, 2.5])
    np.testing.assert_allclose(detector.threshold_[:3], [10.833989511483274, 2.1435935394489825,
                                                         0.41699475574163714], rtol=RTOL)
    assert detector.threshold_[3] == 0.0
    assert detector.alarm_.all()


# --------------------------------------------------------------------------- reset, by hand
@pytest.mark.parametrize("reset, statistic, threshold, alarm", [
    # S_t = max(0, S_{t-1} + z_t - k), never reset (surveillance).
    (False, [0, 2, 2.5, 1.5, 3.5, 5.5], [10, 10, 6, 5, 7, 3], [0, 1, 1, 0, 1, 1]),
    # Reset to 0 after each alarm: period 2 starts again from 0 and no longer alarms.
    (True, [0, 2, 0.5, 0, 2, 2], [10, 10, 10, 9, 10, 10], [0, 1, 0, 0, 1, 1]),
])
def test_reset_after_alarm(reset, statistic, threshold, alarm):
    """Hand-worked: m = 4 (sqrt 2), k = 1, h = 2, standard transform z = (x - 4)/2.  Counts
    4, 10, 7, 4, 10, 10 give z - k = -1, 2, 0.5, -1, 2, 2.  The bound is the smallest count
    with S_t >= h, ceil(2 (h + k - S_{t-1}) + 4) = ceil(10 - 2 S_{t-1}), S_{t-1} being the sum
    carried into the period (0 after a reset)."""
    series = CountSeries(weeks(6), [4, 10, 7, 4, 10, 10])
    detector = Cusum(k=1, h=2, m=4, reset=reset).fit(series, start=0)
    assert detector.expected_.tolist() == [4.0] * 6
    assert detector.statistic_.tolist() == pytest.approx(statistic)
    assert detector.threshold_.tolist() == threshold
    assert detector.alarm_.astype(int).tolist() == alarm


def test_reset_example_from_the_module():
    """The docstring's example: history mean 13/6; without reset the sum stays above h after the
    outbreak, with reset the chart is quiet again once counts are back to normal."""
    series = CountSeries(weeks(12), [2, 3, 2, 1, 2, 3, 2, 2, 9, 8, 10, 2])
    kept = Cusum().fit(series, start=6)
    reset = Cusum(reset=True).fit(series, start=6)
    assert kept.expected_ == pytest.approx([13 / 6] * 6)
    assert kept.alarm_.astype(int).tolist() == [0, 0, 1, 1, 1, 1]
    assert reset.alarm_.astype(int).tolist() == [0, 0, 1, 1, 1, 0]
    assert reset.statistic_[-1] == 0.0 and kept.statistic_[-1] > 2.26


# ------------------------------------------------------------------------------- bad input
def test_every_parameter_has_a_constraint():
    assert set(Cusum._parameter_constraints) == set(Cusum().get_params())


@pytest.mark.parametrize("name, bad, message", [
    ("k", -0.5, "k=-0.5 must be a number >= 0"),
    ("h", 0, "h=0 must be a positive number"),
    ("h", math.inf, "h=inf must be a positive number"),
    ("m", 0, 'm=0 must be None .* a positive number or "glm"'),
    ("m", "mean", "m='mean' must be None"),
    ("m", True, "m=True must be None"),
    ("trans", "log", "trans='log' must be one of standard, rossi, anscombe"),
    ("reset", "yes", "reset='yes' must be True or False"),
])
def test_bad_parameters(name, bad, message):
    with pytest.raises(InputError, match=f"cusum: parameter {message}"):
        Cusum(**{name: bad}).fit(CountSeries(weeks(8), [1] * 8), start=4)


def test_history_without_counts_is_refused():
    with pytest.raises(InputError, match="history periods hold no counts.*give m or start scoring later"):
        Cusum().fit(CountSeries(weeks(6), [0, 0, 0, 3, 4, 2]), start=3)
    with pytest.raises(InputError, match="history periods hold no counts"):
        Cusum(m="glm").fit(CountSeries(weeks(8), [0, 0, 0, 0, 0, 3, 4, 2]), start=5)


@pytest.mark.parametrize("m, needed", [(None, 1), ("glm", 4)])
def test_series_too_short_for_the_reference_mean(m, needed):
    """The history mean needs one period, the seasonal GLM four (three coefficients and a
    residual degree of freedom); a given m needs none."""
    series = CountSeries(weeks(6), [1, 2, 3, 2, 1, 2])
    with pytest.raises(InputError, match=f"cusum needs {needed} periods of history"):
        Cusum(m=m).fit(series, start=needed - 1)
    with pytest.raises(InputError, match=f"cusum.*{needed} periods"):
        Cusum(m=m).fit(CountSeries(weeks(needed), [1] * needed))
    assert Cusum(m=2.0).fit(series, start=0).start_ == 0


def test_negative_counts_are_refused():
    with pytest.raises(InputError, match="count for period 2024-01-15 is negative"):
        CountSeries(weeks(4), [1, 2, -3, 1])


def test_unfitted_detector_has_no_summary():
    with pytest.raises(InputError, match="Cusum is not fitted yet; call fit"):
        Cusum().summary


# ------------------------------------------------------------------------------ properties
@settings(max_examples=80, deadline=None)
@given(counts=st.lists(st.integers(0, 40), min_size=1, max_size=30), m=st.floats(0.2, 25.0),
       k=st.sampled_from([0.0, 0.5, 1.04, 2.0]), h=st.sampled_from([0.5, 2.26, 4.0, 8.0]),
       trans=st.sampled_from(["standard", "rossi", "anscombe"]), reset=st.booleans())
def test_alarm_is_count_reaching_the_bound(counts, m, k, h, trans, reset):
    """Bounds are finite and >= 0, the alarm is exactly count >= bound (whole counts), and the
    sum is never negative; with reset it never exceeds the largest single step after an alarm."""
    detector = Cusum(m=m, k=k, h=h, trans=trans, reset=reset).fit(CountSeries(weeks(len(counts)), counts), start=0)
    x = np.asarray(counts, dtype=float)
    assert np.isfinite(detector.threshold_).all() and (detector.threshold_ >= 0).all()
    # Unless the sum lands on h itself (a tie only rounding decides), the bound and the sum agree.
    tie = np.isclose(detector.statistic_, h, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(detector.alarm_[~tie], (x >= detector.threshold_)[~tie])
    assert (detector.statistic_ >= 0).all()
    np.testing.assert_array_equal(detector.alarm_, detector.statistic_ >= h)


def test_to_dict_is_json_safe(salmonella):
    out = json.loads(json.dumps(Cusum(m="glm").fit(salmonella, start=START).to_dict()))
    assert out["method"] == "cusum" and out["params"]["m"] == "glm" and len(out["periods"]) == 105


def test_docstring_example_runs():
    assert doctest.testmod(cusum, raise_on_error=True).attempted > 0
