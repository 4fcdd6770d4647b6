"""The Weibull fit: lifelines agreement, interval coverage by simulation, frequency weights,
derived quantities and bad input.  R survreg references are in test_survival_reference.py."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from defectradar.errors import InputError
from defectradar.reliability import LifetimeData, WeibullModel


def _censored_sample(rng, n, shape, scale, censor_max):
    life = rng.weibull(shape, n) * scale
    censor = rng.uniform(0, censor_max, n)
    return np.minimum(life, censor), (life <= censor).astype(int)


def test_matches_lifelines_weibull_fitter(seed):
    """lifelines 0.30 WeibullFitter (autograd + scipy optimiser) is an independent implementation:
    lambda_ = scale, rho_ = shape, same time-scale log-likelihood."""
    from lifelines import WeibullFitter

    rng = np.random.default_rng(seed)
    time, event = _censored_sample(rng, 800, 1.7, 400.0, 700.0)
    ours = WeibullModel().fit(LifetimeData.from_arrays(time, event))
    theirs = WeibullFitter().fit(time, event)
    assert ours.shape_ == pytest.approx(theirs.rho_, rel=1e-5)
    assert ours.scale_ == pytest.approx(theirs.lambda_, rel=1e-5)
    assert ours.loglik_ == pytest.approx(theirs.log_likelihood_, rel=1e-7)
    # lifelines' variance matrix is of (lambda_, rho_) on the natural scale; delta method to logs
    var = theirs.variance_matrix_.loc[["lambda_", "rho_"], ["lambda_", "rho_"]].to_numpy()
    se_log_scale = math.sqrt(var[0, 0]) / theirs.lambda_
    se_log_shape = math.sqrt(var[1, 1]) / theirs.rho_
    assert math.sqrt(ours.cov_log_[1, 1]) == pytest.approx(se_log_scale, rel=1e-3)
    assert math.sqrt(ours.cov_log_[0, 0]) == pytest.approx(se_log_shape, rel=1e-3)


def test_intervals_cover_the_true_parameters_at_the_nominal_rate():
    """Simulation check (seed 20261125): 400 censored samples of 150 units from Weibull(1.5, 100);
    the 95 % Fisher-matrix intervals must cover the truth in 95 % +- 3 binomial SDs of runs."""
    rng = np.random.default_rng(20261125)
    runs, hits_shape, hits_scale = 400, 0, 0
    for _ in range(runs):
        time, event = _censored_sample(rng, 150, 1.5, 100.0, 200.0)
        fit = WeibullModel().fit(LifetimeData.from_arrays(time, event))
        hits_shape += fit.shape_ci_[0] <= 1.5 <= fit.shape_ci_[1]
        hits_scale += fit.scale_ci_[0] <= 100.0 <= fit.scale_ci_[1]
    sd = math.sqrt(0.95 * 0.05 / runs)
    for hits in (hits_shape, hits_scale):
        assert abs(hits / runs - 0.95) < 3 * sd, f"coverage {hits / runs:.3f}"


def test_frequency_weights_equal_repeated_rows():
    time = np.array([10, 20, 20, 35, 50, 60, 80])
    event = np.array([1, 1, 0, 1, 0, 1, 0])
    weight = np.array([3, 1, 4, 2, 5, 1, 10])
    weighted = WeibullModel().fit(LifetimeData.from_arrays(time, event, weight))
    expanded = WeibullModel().fit(LifetimeData.from_arrays(np.repeat(time, weight), np.repeat(event, weight)))
    assert weighted.shape_ == pytest.approx(expanded.shape_, rel=1e-10)
    assert weighted.scale_ == pytest.approx(expanded.scale_, rel=1e-10)
    assert weighted.loglik_ == pytest.approx(expanded.loglik_, rel=1e-10)
    np.testing.assert_allclose(weighted.cov_log_, expanded.cov_log_, rtol=1e-8)
    assert weighted.n_ == 26 and weighted.failures_ == 7


def test_b10_and_failure_probability_follow_the_weibull_formulas(seed):
    rng = np.random.default_rng(seed)
    time, event = _censored_sample(rng, 500, 2.2, 1150.0, 900.0)
    fit = WeibullModel().fit(LifetimeData.from_arrays(time, event))
    assert fit.b10_ == pytest.approx(fit.scale_ * (-math.log(0.9)) ** (1 / fit.shape_))
    assert fit.probability_of_failure(fit.b10_) == pytest.approx(0.10)
    assert fit.probability_of_failure(fit.scale_) == pytest.approx(1 - math.exp(-1))
    table = fit.failure_probability_table([fit.b10_, 365.0])
    assert table["probability"].iloc[0] == pytest.approx(0.10)
    assert (table["lower"] < table["probability"]).all() and (table["probability"] < table["upper"]).all()
    # the F interval at the B10 age mirrors the B10 interval: F(B10 lower) > 0.10 > F(B10 upper)
    assert fit.probability_of_failure(fit.b10_ci_[0]) < 0.10 < fit.probability_of_failure(fit.b10_ci_[1])


def test_to_dict_has_the_issue_fields_and_is_json_safe():
    import json

    fit = WeibullModel().fit(LifetimeData.from_arrays([5, 8, 12, 20, 30], [1, 1, 1, 0, 1]))
    d = fit.to_dict()
    for key in ("shape", "scale", "shape_ci", "scale_ci", "loglik", "n", "failures", "b10"):
        assert key in d
    assert d["n"] == 5 and d["failures"] == 4
    assert d["shape_ci"][0] < d["shape"] < d["shape_ci"][1]
    json.dumps(d)
    assert list(fit.summary["parameter"]) == ["shape", "scale", "b10"]


def test_wider_interval_at_higher_confidence():
    data = LifetimeData.from_arrays([5, 8, 12, 20, 30, 31, 40], [1, 1, 1, 0, 1, 1, 0])
    narrow = WeibullModel(confidence=0.80).fit(data)
    wide = WeibullModel(confidence=0.99).fit(data)
    assert wide.shape_ci_[0] < narrow.shape_ci_[0] and wide.shape_ci_[1] > narrow.shape_ci_[1]
    z80, z99 = stats.norm.ppf(0.9), stats.norm.ppf(0.995)
    assert math.log(wide.scale_ci_[1] / wide.scale_) / math.log(narrow.scale_ci_[1] / narrow.scale_) == \
        pytest.approx(z99 / z80)


@pytest.mark.parametrize("time, event, message", [
    ([10, 20, 30], [0, 0, 0], "every unit is censored"),
    ([0, 20, 30], [1, 1, 0], "failure at age 0"),
    ([20, 20, 20], [1, 1, 1], "same age"),
    ([10, -2, 30], [1, 1, 0], "row 2: time -2 is negative"),
    ([10, None, 30], [1, 1, 0], "row 2: time is missing"),
    ([10, 20, 30], [1, 2, 0], "row 2: event is 2"),
    ([10, 20, 30], [1, "yes", 0], "must be 1"),
])
def test_bad_input_is_a_clear_error(time, event, message):
    with pytest.raises(InputError, match=message):
        WeibullModel().fit(LifetimeData.from_arrays(time, event))


def test_bad_confidence_is_named():
    with pytest.raises(InputError, match="confidence=1.5"):
        WeibullModel(confidence=1.5).fit(LifetimeData.from_arrays([1, 2, 3], [1, 1, 0]))


def test_failed_refit_does_not_leave_the_previous_fit():
    fit = WeibullModel().fit(LifetimeData.from_arrays([1, 2, 3], [1, 1, 0]))
    with pytest.raises(InputError):
        fit.fit(LifetimeData.from_arrays([1, 2, 3], [0, 0, 0]))
    with pytest.raises(InputError, match="not fitted"):
        fit.to_dict()


def test_recovers_the_simulated_mi11_wifi_defect_within_ten_percent(simulated_world):
    """The issue's target: on the default simulated world the fitted Weibull of the injected
    Mi 11 Wi-Fi failure recovers the true shape and scale (truth.json) within 10 %.

    Measured (seed 2021): shape 2.209 vs 2.2 (+0.4 %), scale 1181 vs 1150 (+2.7 %).  The scale
    is expected a little high: only 95 % of failures reach a service centre, which stretches a
    Weibull's scale by 0.95^(-1/2.2) = 1.024 and leaves the shape alone."""
    import json

    from defectradar.query.reliability import lifetimes_for_store

    truth = json.loads((simulated_world["dir"] / "truth.json").read_text())
    defect = next(d for d in truth["defects"] if d["defect_id"] == "mi11-wifi/xiaomi-11")
    with simulated_world["store"].reader() as con:
        data, info = lifetimes_for_store(con, "xiaomi-11", "wifi")
    fit = WeibullModel().fit(data)
    assert fit.shape_ == pytest.approx(defect["weibull_shape"], rel=0.10)
    assert fit.scale_ == pytest.approx(defect["weibull_scale_days"], rel=0.10)
    assert info.units == pytest.approx(defect["units_affected"], rel=0.01)
