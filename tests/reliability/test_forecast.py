"""The power-law NHPP claims model and the forecast built on it."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from defectradar.analyses.warranty import backtest_forecast
from defectradar.core.dates import add_months
from defectradar.core.lifetimes import WarrantyCounts
from defectradar.errors import InputError
from defectradar.reliability.forecast import (
    WarrantyForecast,
    fit_power_law,
    power_law_increment,
)


def _cells(cohort_units, last_age_of_first, beta, eta, rng=None):
    """Nevada cells of cohorts sold in consecutive months, claims Poisson (or exact when rng is None)."""
    units, ages = [], []
    for k, n in enumerate(cohort_units):
        for a in range(last_age_of_first - k + 1):
            units.append(n)
            ages.append(a)
    units, ages = np.array(units, dtype=float), np.array(ages, dtype=float)
    mu = units * power_law_increment(ages, beta, eta)
    claims = mu if rng is None else rng.poisson(mu).astype(float)
    return units, ages, claims


def _counts_from_cells(units, ages, claims, first=date(2021, 1, 1)):
    """WarrantyCounts whose Nevada cells are exactly these cells (cohort k sold k months after ``first``)."""
    sales, rows = {}, []
    cohort = -1
    for n, a, y in zip(units, ages, claims):
        if a == 0:
            cohort += 1
        month = add_months(first, cohort)
        sales[month] = int(n)
        rows.append((month, add_months(month, int(a)), int(y)))
    last = max(claim_month for _, claim_month, _ in rows)
    return WarrantyCounts("p", None, add_months(last, 1) - timedelta(days=1), last,
                          pd.DataFrame(rows, columns=["sales_month", "claim_month", "claims"]),
                          pd.DataFrame(sorted(sales.items()), columns=["sales_month", "units"]))


def test_increment_is_the_difference_of_the_cumulative_function():
    beta, eta = 1.7, 36.0
    ages = np.arange(0, 30)
    cumulative = (ages / eta) ** beta
    increments = power_law_increment(ages, beta, eta)
    assert increments[0] == pytest.approx((1 / eta) ** beta, rel=1e-12)
    assert np.cumsum(increments)[:-1] == pytest.approx(cumulative[1:], rel=1e-12)
    assert power_law_increment(ages, 1.0, 20.0) == pytest.approx(np.full(30, 1 / 20), rel=1e-12)   # constant rate


def test_exact_expected_counts_give_back_the_true_parameters():
    units, ages, claims = _cells([5000, 4000, 3000, 2000], 12, beta=1.8, eta=40.0)
    fit = fit_power_law(units, ages, claims)
    assert (fit.beta, fit.eta) == (pytest.approx(1.8, rel=1e-6), pytest.approx(40.0, rel=1e-6))
    assert fit.dispersion == pytest.approx(0.0, abs=1e-9) and not fit.at_bound


def test_fit_matches_an_independent_statsmodels_glm_profile(seed):
    """Independent source: statsmodels' Poisson GLM (log link).  For a fixed beta the model is a GLM
    with only an intercept, -beta log(eta), and offset log(n) + log((a+1)^beta - a^beta); maximising
    the GLM's own log-likelihood over beta with scipy must give our beta, eta and log-likelihood."""
    import statsmodels.api as sm

    rng = np.random.default_rng(seed)
    units, ages, claims = _cells([3000, 2500, 2200, 1800, 1500, 900], 15, beta=1.4, eta=30.0, rng=rng)

    def glm(beta):
        offset = np.log(units) + np.log((ages + 1) ** beta - ages ** beta)
        return sm.GLM(claims, np.ones((len(claims), 1)), family=sm.families.Poisson(), offset=offset).fit()

    best = optimize.minimize_scalar(lambda b: -glm(b).llf, bounds=(0.2, 5.0), method="bounded",
                                    options={"xatol": 1e-9})
    ref_beta = best.x
    ref_eta = math.exp(-glm(ref_beta).params[0] / ref_beta)
    fit = fit_power_law(units, ages, claims)
    assert fit.beta == pytest.approx(ref_beta, rel=1e-5)
    assert fit.eta == pytest.approx(ref_eta, rel=1e-5)
    assert fit.loglik == pytest.approx(glm(ref_beta).llf, rel=1e-8)


def test_intervals_cover_the_truth_in_simulation(seed):
    """Simulation check: 95 % Wald intervals hold the true beta and eta in about 95 % of 300 worlds."""
    rng = np.random.default_rng(seed)
    beta, eta, reps = 1.6, 45.0, 300
    hits_beta = hits_eta = 0
    for _ in range(reps):
        units, ages, claims = _cells([2000, 1800, 1500, 1200, 1000, 800, 600], 14, beta, eta, rng)
        fit = fit_power_law(units, ages, claims)
        hits_beta += fit.beta_interval[0] <= beta <= fit.beta_interval[1]
        hits_eta += fit.eta_interval[0] <= eta <= fit.eta_interval[1]
    assert 0.90 <= hits_beta / reps <= 0.99, hits_beta
    assert 0.90 <= hits_eta / reps <= 0.99, hits_eta


def test_forecast_adds_up_the_aging_cohorts_by_hand():
    units, ages, claims = _cells([1000, 600], 5, beta=1.5, eta=25.0)        # Jan sold 1000, Feb 600; through June
    counts = _counts_from_cells(units, ages, np.round(claims * 50))        # whole claims, same shape
    fc = WarrantyForecast(months=3, warranty_months=8).fit(counts)
    assert counts.last_month == date(2021, 6, 1)
    b, e = fc.beta_, fc.eta_
    inc = lambda a: power_law_increment([a], b, e)[0]                       # noqa: E731
    # July: January at age 6, February at 5; August: 7 and 6; September: January is out of warranty (age 8).
    expected = [1000 * inc(6) + 600 * inc(5), 1000 * inc(7) + 600 * inc(6), 600 * inc(7)]
    assert fc.forecast_["expected"].tolist() == pytest.approx(expected, rel=1e-10)
    assert fc.forecast_["month"].tolist() == [date(2021, 7, 1), date(2021, 8, 1), date(2021, 9, 1)]
    assert fc.forecast_["lower"].tolist() == stats.poisson.ppf(0.025, expected).tolist()
    assert fc.forecast_["upper"].tolist() == stats.poisson.ppf(0.975, expected).tolist()
    assert fc.total_["expected"] == pytest.approx(sum(expected))
    assert fc.total_["upper"] == stats.poisson.ppf(0.975, sum(expected))
    assert fc.history_["claims"].sum() == counts.claims["claims"].sum()
    assert fc.history_["fitted"].sum() == pytest.approx(fc.history_["claims"].sum(), rel=1e-6)  # Poisson MLE score
    assert fc.by_age_["months_in_service"].max() == 7 and fc.by_age_["claims_per_1000"].isna().sum() == 2
    data = fc.to_dict()
    json.dumps(data)
    assert set(data) >= {"product", "mode", "as_of", "model", "months", "total"}
    assert set(data["model"]) >= {"beta", "eta"} and data["months"][0]["month"] == "2021-07"


def test_bad_settings_and_unfittable_data_fail_clearly():
    units, ages, claims = _cells([1000], 3, beta=1.5, eta=25.0)
    counts = _counts_from_cells(units, ages, np.zeros_like(claims))
    with pytest.raises(InputError, match="no claims"):
        WarrantyForecast().fit(counts)
    with pytest.raises(InputError, match="parameter months=0"):
        WarrantyForecast(months=0).fit(counts)
    with pytest.raises(InputError, match="warranty_months"):
        WarrantyForecast(warranty_months=-2).fit(counts)
    with pytest.raises(InputError, match="only one month in service"):
        fit_power_law([100, 200], [0, 0], [1, 2])
    with pytest.raises(InputError, match="not fitted"):
        WarrantyForecast().to_dict()


def test_every_parameter_has_a_constraint():
    assert set(WarrantyForecast().get_params()) == {"months", "alpha", "warranty_months"}
    import inspect
    assert set(inspect.signature(WarrantyForecast).parameters) == set(WarrantyForecast._parameter_constraints)


def test_backtest_on_the_simulated_world(simulated_world):
    """The figure in docs: xiaomi-11, all modes, fitted as of 2022-06-30, next 6 months vs what came."""
    with simulated_world["store"].reader() as con:
        result = backtest_forecast(con, "xiaomi-11", "2022-06-30", months=6)
    print(result.to_string())
    assert result["month"].tolist() == [date(2022, m, 1) for m in range(7, 13)]
    relative_error = (result["expected"] - result["actual"]).abs() / result["actual"]
    assert relative_error.max() < 0.1                   # each month within 10 % of what happened
    assert result["inside"].sum() >= 4
    assert (result["actual_all"] >= result["actual"]).all()
