"""GLR charts (Poisson and negative binomial) against R surveillance 1.20.3 ``algo.glrpois`` /
``algo.glrnb``, against a brute-force likelihood maximisation, bad input and properties.

Reference values: ``reference/glr.csv``, written by ``reference/make_reference.R`` (R 4.2.2,
surveillance 1.20.3, MASS 7.3-58.2; see ``reference/versions.txt``) from the weekly Salmonella
Newport counts in ``../shared/data/epysurv-salmonella-newport``.  Weeks 1..365 (2004-2010, the
train file) are history (the baseline model is fitted to them); R's ``range = 366:470`` (the
105 test weeks) is ``start=365`` here.  All R calls use ``change = "intercept"``, ``dir = "inc"``.
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
from scipy import optimize, stats

from defectradar.core.series import CountSeries
from defectradar.errors import InputError
from defectradar.signals import glr
from defectradar.signals.glr import GlrNegBin, GlrPoisson, glr_chart

#: mu0 comes from a GLM fitted by IRLS on both sides and the GLR statistics from it.  Poisson:
#: R's glm stops at a relative deviance change below 1e-8 but IRLS converges quadratically, so
#: agreement is ~1e-11.  Negative binomial with fixed alpha: the module stops where R's glm.fit
#: stops (agreement ~1e-12).  With alpha estimated (glm.nb), alpha is a maximum likelihood
#: estimate that glm.nb reaches by alternating theta.ml and glm.fit until its own tolerance and
#: the module by maximising the profile likelihood: agreement ~1e-10 in alpha and mu0 and ~1e-7 in
#: the GLR values, which sum log-likelihood ratios over many periods.  1e-6 covers all.
RTOL = 1e-6


@pytest.fixture(scope="module")
def reference(salmonella) -> pd.DataFrame:
    return reference_table("glr.csv", salmonella)



def assert_chart(detector, reference, prefix):
    np.testing.assert_allclose(detector.statistic_, reference[f"{prefix}_value"], rtol=RTOL, atol=1e-9)
    assert detector.alarm_.astype(int).tolist() == reference[f"{prefix}_alarm"].tolist()
    assert detector.alarm_.any()


# -------------------------------------------------------------- R surveillance: Poisson chart
def test_poisson_defaults_match_algo_glrpois(salmonella, reference):
    """c.ARL = 5, every past change point (M = -1), Mtilde = 1, mu0 from a Poisson GLM with one
    sine/cosine pair fitted to weeks 1..365; the statistic and the smallest alarming count.

    Source: R surveillance 1.20.3, ``algo.glrpois``; from ``make_reference.R``::

        dp <- sts2disProg(sts(observed = x, start = c(2004, 1), frequency = 52))
        r <- algo.glrpois(dp, control = list(range = 366:470, c.ARL = 5, ret = "value"))
        r$control$mu0; r$upperbound; r$alarm
        r <- algo.glrpois(dp, control = list(range = 366:470, c.ARL = 5, ret = "cases"))
        r$upperbound
    """
    detector = GlrPoisson().fit(salmonella, start=START)
    np.testing.assert_allclose(detector.mu0_, reference["pois_mu0"], rtol=RTOL)
    np.testing.assert_array_equal(detector.expected_, detector.mu0_)
    assert detector.alpha_ == 0.0
    assert_chart(detector, reference, "pois")
    np.testing.assert_array_equal(detector.threshold_, reference["pois_cases"])


def test_poisson_window_matches_algo_glrpois(salmonella, reference):
    """Change points within the last M = 8 weeks, c.ARL = 3 (C routine ``glr_cusum_window``).

    Source: R surveillance 1.20.3, ``algo.glrpois``; from ``make_reference.R``::

        r <- algo.glrpois(dp, control = list(range = 366:470, c.ARL = 3, M = 8, ret = "value"))
        r$upperbound; r$alarm
    """
    assert_chart(GlrPoisson(c_arl=3, window=8).fit(salmonella, start=START), reference, "pois_M8")


def test_poisson_burn_in_matches_algo_glrpois(salmonella, reference):
    """Mtilde = 3 without a window (``glr_cusum``: the chart scores from period Mtilde - 1 after
    each restart, every change point up to the current period).

    Source: R surveillance 1.20.3, ``algo.glrpois``; from ``make_reference.R``::

        r <- algo.glrpois(dp, control = list(range = 366:470, c.ARL = 5, Mtilde = 3, ret = "value"))
        r$upperbound; r$alarm
    """
    assert_chart(GlrPoisson(mtilde=3).fit(salmonella, start=START), reference, "pois_Mt3")


def test_poisson_window_and_burn_in_match_algo_glrpois(salmonella, reference):
    """M = 8 with Mtilde = 3 (``glr_cusum_window``: nothing is scored in the first Mtilde periods
    after each restart, change points n - M .. n - Mtilde).  The smallest alarming count agrees
    wherever R computes it; in the burn-in periods R reports 0 (not computed) where the module
    reports inf (no count can alarm there).

    Source: R surveillance 1.20.3, ``algo.glrpois``; from ``make_reference.R``::

        r <- algo.glrpois(dp, control = list(range = 366:470, c.ARL = 3, M = 8, Mtilde = 3,
                                             ret = "value"))
        r$upperbound; r$alarm
        r <- algo.glrpois(dp, control = list(range = 366:470, c.ARL = 3, M = 8, Mtilde = 3,
                                             ret = "cases"))
        r$upperbound
    """
    detector = GlrPoisson(c_arl=3, window=8, mtilde=3).fit(salmonella, start=START)
    assert_chart(detector, reference, "pois_M8_Mt3")
    cases = reference["pois_M8_Mt3_cases"].to_numpy()
    burn_in = np.isinf(detector.threshold_)
    # The first three periods and the three after each restart.
    after = [i + j for i in np.flatnonzero(detector.alarm_) + 1 for j in range(3) if i + j < len(cases)]
    assert np.flatnonzero(burn_in).tolist() == [0, 1, 2] + after
    assert (cases[burn_in] == 0).all() and (detector.statistic_[burn_in] == 0).all()
    np.testing.assert_array_equal(detector.threshold_[~burn_in], cases[~burn_in])


def test_poisson_baseline_with_two_harmonics_and_trend(salmonella, reference):
    """mu0 from log mu = b0 + b1 t + two sine/cosine pairs (estimateGLRNbHook's mu0 list).

    Source: R surveillance 1.20.3, ``algo.glrpois``; from ``make_reference.R``::

        r <- algo.glrpois(dp, control = list(range = 366:470, c.ARL = 5,
                                             mu0 = list(S = 2, trend = TRUE), ret = "value"))
        r$control$mu0; r$upperbound; r$alarm
    """
    detector = GlrPoisson(harmonics=2, trend=True).fit(salmonella, start=START)
    np.testing.assert_allclose(detector.mu0_, reference["pois_S2_trend_mu0"], rtol=RTOL)
    assert_chart(detector, reference, "pois_S2_trend")


# --------------------------------------------------------- R surveillance: negative binomial
def test_negative_binomial_with_estimated_alpha_matches_algo_glrnb(salmonella, reference):
    """alpha and mu0 from ``MASS::glm.nb`` on weeks 1..365, c.ARL = 5, every past change point.
    Tolerance: see ``RTOL`` (alpha is a maximum likelihood estimate found iteratively on both
    sides; observed agreement ~1e-10).

    Source: R surveillance 1.20.3, ``algo.glrnb`` (MASS 7.3-58.2); from ``make_reference.R``::

        r <- algo.glrnb(dp, control = list(range = 366:470, c.ARL = 5, ret = "value"))
        r$control$mu0; r$control$alpha; r$upperbound; r$alarm
    """
    detector = GlrNegBin().fit(salmonella, start=START)
    np.testing.assert_allclose(detector.alpha_, reference["nb_alpha"].iloc[0], rtol=RTOL)
    assert (reference["nb_alpha"] == reference["nb_alpha"].iloc[0]).all()
    np.testing.assert_allclose(detector.mu0_, reference["nb_mu0"], rtol=RTOL)
    assert_chart(detector, reference, "nb")


def test_negative_binomial_with_fixed_alpha_and_window_matches_algo_glrnb(salmonella, reference):
    """alpha = 0.2 (mu0 from ``glm(family = negative.binomial(5))``), M = 8, c.ARL = 3.

    Source: R surveillance 1.20.3, ``algo.glrnb``; from ``make_reference.R``::

        r <- algo.glrnb(dp, control = list(range = 366:470, c.ARL = 3, M = 8, alpha = 0.2,
                                           ret = "value"))
        r$control$mu0; r$upperbound; r$alarm
    """
    detector = GlrNegBin(c_arl=3, window=8, alpha=0.2).fit(salmonella, start=START)
    assert detector.alpha_ == 0.2
    np.testing.assert_allclose(detector.mu0_, reference["nb_M8_a02_mu0"], rtol=RTOL)
    assert_chart(detector, reference, "nb_M8_a02")


def test_negative_binomial_burn_in_matches_algo_glrnb(salmonella, reference):
    """alpha = 0.2, M = 8, Mtilde = 3 (``glr_nb_window``: scored from period Mtilde - 1 after each
    restart, change points n - M .. n - Mtilde + 1, unlike the Poisson window chart).

    Source: R surveillance 1.20.3, ``algo.glrnb``; from ``make_reference.R``::

        r <- algo.glrnb(dp, control = list(range = 366:470, c.ARL = 3, M = 8, Mtilde = 3,
                                           alpha = 0.2, ret = "value"))
        r$upperbound; r$alarm
    """
    assert_chart(GlrNegBin(c_arl=3, window=8, mtilde=3, alpha=0.2).fit(salmonella, start=START), reference,
                 "nb_M8_Mt3_a02")


def test_negative_binomial_cases_match_algo_glrnb(salmonella, reference):
    """alpha = 0.2, c.ARL = 5: statistic, alarms and the smallest alarming count.  algo.glrnb
    finds the count by stepping the observed count up (or down after an alarm) one at a time,
    a loop that never starts from a count of 0 (its condition is ``myx[pos] >= 1``), so for weeks
    with no cases it reports 1e99; those weeks are left out of the comparison.

    Source: R surveillance 1.20.3, ``algo.glrnb``; from ``make_reference.R``::

        r <- algo.glrnb(dp, control = list(range = 366:470, c.ARL = 5, alpha = 0.2, ret = "value"))
        r$upperbound; r$alarm
        r <- algo.glrnb(dp, control = list(range = 366:470, c.ARL = 5, alpha = 0.2, ret = "cases"))
        r$upperbound
    """
    detector = GlrNegBin(alpha=0.2).fit(salmonella, start=START)
    assert_chart(detector, reference, "nb_a02")
    cases, seen = reference["nb_a02_cases"].to_numpy(), reference["count"].to_numpy() > 0
    assert (cases[~seen] == 1e99).all() and np.isfinite(detector.threshold_).all()
    np.testing.assert_array_equal(detector.threshold_[seen], cases[seen])


# ---------------------------------------------------------------- independent: brute force
def brute_force_glr(x, mu0, alpha):
    """max over change points k of sup_{kappa >= 0} sum_{t >= k} log f(x_t; e^kappa mu_t) / f(x_t; mu_t),
    with f scipy's Poisson or negative binomial (variance mu + alpha mu^2) pmf and kappa found
    by bounded scalar minimisation (not the module's closed form or Newton steps)."""
    def loglik(kappa, xs, ms):
        mean = math.exp(kappa) * ms
        if alpha == 0:
            return stats.poisson.logpmf(xs, mean).sum()
        return stats.nbinom.logpmf(xs, 1 / alpha, 1 / (1 + alpha * mean)).sum()

    best = -math.inf
    for k in range(len(x)):
        xs, ms = x[k:], mu0[k:]
        fit = optimize.minimize_scalar(lambda a: -loglik(a, xs, ms), bounds=(0, 10), method="bounded",
                                       options={"xatol": 1e-12})
        best = max(best, max(-fit.fun, loglik(0.0, xs, ms)) - loglik(0.0, xs, ms))
    return best


@pytest.mark.parametrize("alpha", [0.0, 0.05, 0.5, 2.0])
def test_statistic_matches_brute_force_likelihood(seed, alpha):
    rng = np.random.default_rng(seed)
    for trial in range(6):
        n = int(rng.integers(3, 12))
        mu0 = rng.uniform(0.5, 6, n)
        x = rng.poisson(mu0 * np.where(np.arange(n) >= n // 2, rng.uniform(1, 4), 1.0)).astype(float)
        statistic, alarm, _ = glr_chart(x, mu0, c_arl=1e9, alpha=alpha, thresholds=False)
        expected = [max(brute_force_glr(x[:i + 1], mu0[:i + 1], alpha), 0.0) for i in range(n)]
        assert not alarm.any()
        np.testing.assert_allclose(statistic, expected, rtol=1e-7, atol=1e-8,
                                   err_msg=f"trial {trial}: x={x.tolist()} mu0={mu0.tolist()}")


def test_hand_worked_poisson_chart():
    """mu0 = 2, counts 2, 9, c.ARL = 5.  Period 0: x = mu0, GLR 0.  Period 1: from k = 1,
    kappa = log 4.5 and 9 log 4.5 - 2 (4.5 - 1) = 6.5365; from k = 0, 11 log 2.75 - 4 (2.75 - 1)
    = 4.1277; the maximum alarms.  The smallest alarming count is 8 in both periods
    (8 log 4 - 6 = 5.09 >= 5 > 7 log 3.5 - 5 = 3.77)."""
    detector = GlrPoisson(mu0=2.0).fit(CountSeries(weeks(2), [2, 9]), start=0)
    assert detector.statistic_ == pytest.approx([0.0, 9 * math.log(4.5) - 7])
    assert detector.alarm_.tolist() == [False, True]
    assert detector.threshold_.tolist() == [8.0, 8.0]


def test_negative_binomial_tends_to_poisson():
    x = np.array([1, 3, 2, 0, 6, 7, 9, 4], dtype=float)
    mu0 = np.full(8, 2.5)
    pois = glr_chart(x, mu0, c_arl=1e9, thresholds=False)[0]
    nb = glr_chart(x, mu0, c_arl=1e9, alpha=1e-7, thresholds=False)[0]
    np.testing.assert_allclose(nb, pois, rtol=1e-5)


# ------------------------------------------------------------------------------- bad input
def test_every_parameter_has_a_constraint():
    assert set(GlrPoisson._parameter_constraints) == set(GlrPoisson().get_params())
    assert set(GlrNegBin._parameter_constraints) == set(GlrNegBin().get_params())


@pytest.mark.parametrize("cls", [GlrPoisson, GlrNegBin])
@pytest.mark.parametrize("name, bad, message", [
    ("c_arl", 0, "c_arl=0 must be a positive number"),
    ("window", 0, "window=0 must be None .* or a positive whole number"),
    ("window", 8.0, "window=8.0 must be None"),
    ("mtilde", 0, "mtilde=0 must be a positive whole number"),
    ("mu0", -1.0, "mu0=-1.0 must be None .*, a positive number or a list of positive numbers"),
    ("mu0", [1.0, 0.0], r"mu0=\[1.0, 0.0\] must be None"),
    ("mu0", [], r"mu0=\[\] must be None"),
    ("harmonics", -1, "harmonics=-1 must be a whole number >= 0"),
    ("trend", "yes", "trend='yes' must be True or False"),
])
def test_bad_parameters(cls, name, bad, message):
    series = CountSeries(weeks(10), [1, 2, 3, 2, 1, 2, 3, 2, 1, 2])
    with pytest.raises(InputError, match=f"{cls.method}: parameter {message}"):
        cls(**{name: bad}).fit(series, start=6)


@pytest.mark.parametrize("bad", [0, -0.2, math.nan, "0.2"])
def test_bad_negative_binomial_alpha(bad):
    with pytest.raises(InputError, match="glr-nb: parameter alpha=.* must be None .* or a positive number"):
        GlrNegBin(alpha=bad).fit(CountSeries(weeks(10), [1] * 10), start=6)


@pytest.mark.parametrize("detector", [GlrPoisson(window=2, mtilde=3, mu0=2.0),
                                      GlrNegBin(window=2, mtilde=3, mu0=2.0, alpha=0.1)])
def test_window_shorter_than_mtilde_is_refused(detector):
    with pytest.raises(InputError, match="window=2 is shorter than mtilde=3.*make window at least mtilde"):
        detector.fit(CountSeries(weeks(5), [1] * 5), start=0)


def test_mu0_must_fit_the_scored_periods():
    series = CountSeries(weeks(6), [1, 2, 3, 2, 1, 2])
    with pytest.raises(InputError, match="mu0 has 3 values but 4 periods are scored"):
        GlrPoisson(mu0=[1.0, 2.0, 3.0]).fit(series, start=2)
    with pytest.raises(InputError, match="give alpha together with mu0"):
        GlrNegBin(mu0=2.0).fit(series, start=2)
    assert GlrNegBin(mu0=[1.0, 2.0, 3.0, 4.0], alpha=0.3).fit(series, start=2).mu0_.tolist() == [1, 2, 3, 4]


def test_history_without_counts_is_refused():
    with pytest.raises(InputError, match="history periods hold no counts.*give mu0 or start scoring later"):
        GlrPoisson().fit(CountSeries(weeks(8), [0, 0, 0, 0, 0, 3, 4, 2]), start=5)


@pytest.mark.parametrize("detector, needed", [
    (GlrPoisson(), 4),                            # intercept + one sine/cosine pair + 1
    (GlrPoisson(harmonics=2, trend=True), 7),     # 6 coefficients + 1
    (GlrNegBin(), 5),                             # ... + 1 for the estimated alpha
    (GlrNegBin(alpha=0.2), 4),
    (GlrPoisson(mu0=2.0), 0),
])
def test_series_too_short_for_the_baseline_model(detector, needed):
    assert detector.min_history() == needed
    series = CountSeries(weeks(10), [1, 2, 3, 2, 1, 2, 3, 2, 1, 2])
    if needed:
        with pytest.raises(InputError, match=f"{detector.method} needs {needed} periods of history"):
            detector.fit(series, start=needed - 1)
    with pytest.raises(InputError, match=f"{detector.method}.*{needed} periods"):
        detector.fit(CountSeries(weeks(needed), [1] * needed))


def test_negative_counts_are_refused():
    with pytest.raises(InputError, match="is negative"):
        CountSeries(weeks(4), [1, -2, 3, 1])


@pytest.mark.parametrize("cls", [GlrPoisson, GlrNegBin])
def test_unfitted_detector_has_no_summary(cls):
    with pytest.raises(InputError, match=f"{cls.__name__} is not fitted yet; call fit"):
        cls().summary


# ------------------------------------------------------------------------------ properties
@settings(max_examples=40, deadline=None)
@given(counts=st.lists(st.integers(0, 25), min_size=1, max_size=14), mu0=st.floats(0.3, 8.0),
       alpha=st.sampled_from([0.0, 0.1, 1.0]), c_arl=st.sampled_from([1.0, 3.0, 5.0]),
       window=st.sampled_from([None, 3, 6]), mtilde=st.sampled_from([1, 2, 3]))
def test_alarm_is_count_reaching_the_threshold(counts, mu0, alpha, c_arl, window, mtilde):
    """The threshold is the smallest alarming count: alarm == count >= threshold, finite except
    in burn-in periods, where no count alarms."""
    if window is not None and window < mtilde:
        window = mtilde
    series = CountSeries(weeks(len(counts)), counts)
    detector = (GlrPoisson(mu0=mu0, c_arl=c_arl, window=window, mtilde=mtilde) if alpha == 0 else
                GlrNegBin(mu0=mu0, alpha=alpha, c_arl=c_arl, window=window, mtilde=mtilde)).fit(series, start=0)
    x = np.asarray(counts, dtype=float)
    np.testing.assert_array_equal(detector.alarm_, x >= detector.threshold_)
    assert (detector.threshold_ >= 0).all() and (detector.statistic_ >= 0).all()


def test_to_dict_is_json_safe(salmonella):
    detector = GlrPoisson(c_arl=3, window=8, mtilde=3).fit(salmonella, start=START)
    out = json.loads(json.dumps(detector.to_dict()))
    assert out["method"] == "glr-poisson" and out["params"]["window"] == 8
    assert out["periods"][0]["threshold"] is None          # burn-in: no count alarms


def test_docstring_example_runs():
    assert doctest.testmod(glr, raise_on_error=True).attempted > 0
