r"""Forecast of warranty claims for the coming months: a power-law NHPP fitted to the Nevada cells.

Model
-----
Claims of a unit follow a non-homogeneous Poisson process in months in service :math:`t` with
the power-law (Crow-AMSAA) mean cumulative function

.. math::  \Lambda(t) = (t/\eta)^\beta,

so a cohort of :math:`n_c` units expects :math:`\mu_{ca} = n_c\,[\Lambda(a+1) - \Lambda(a)]` claims
at age :math:`a` (age 0 is the sales month: time is counted on the calendar-month scale from the
start of the sales month).  The claims :math:`y_{ca}` of the Nevada cells are independent Poisson
counts, so the log-likelihood is

.. math::  \ell(\beta, \eta) = \sum_{c,a} y_{ca}\log\mu_{ca} - \mu_{ca} - \log y_{ca}!.

Writing :math:`\mu_{ca} = n_c\,g_a(\beta)\,\eta^{-\beta}` with
:math:`g_a(\beta) = (a+1)^\beta - a^\beta`, the scale has a closed form for a fixed shape,
:math:`\eta^{-\beta} = \sum y / \sum n_c g_a(\beta)`, and :math:`\beta` maximises the profile
likelihood, a one-dimensional search (``scipy.optimize.minimize_scalar`` on :math:`\log\beta`).
Intervals for :math:`\beta` and :math:`\eta` are Wald intervals on the log scale from the Fisher
information :math:`I = \sum \mu^{-1}\nabla\mu\,\nabla\mu^\top` of :math:`(\log\beta, \log\eta)`
(Crow 1974, "Reliability analysis for complex, repairable systems"; Meeker & Escobar 1998,
*Statistical Methods for Reliability Data*, ch. 16 on recurrence data).  ``dispersion`` is
Pearson's :math:`\chi^2/(k-2)` over the :math:`k` cells: well above 1, the cells vary more than
Poisson (e.g. a defect that starts in calendar time, not age) and the intervals are too narrow.

Forecast
--------
For each of the next :math:`N` calendar months :math:`m` after the last complete month, every
existing cohort is at age :math:`a = m - c` and expects :math:`n_c[\Lambda(a+1) - \Lambda(a)]`
claims (0 when :math:`a \ge W`, the warranty length); the month's expectation :math:`\mu_m` is the
sum.  **No new sales are added**: the units still to age are those of the cohorts sold up to the
last complete month.  The month's interval is the Poisson :math:`(\alpha/2, 1-\alpha/2)` quantiles
of :math:`\mu_m`; the total over the :math:`N` months is Poisson with mean :math:`\sum\mu_m`.  The
interval is for Poisson noise around the fitted model only: the uncertainty of :math:`\beta` and
:math:`\eta` is not propagated, which the back-test
(:func:`~defectradar.analyses.warranty.backtest_forecast`) makes visible.

Examples
--------
>>> with store.reader() as con:                                        # doctest: +SKIP
...     fc = forecast_for_store(con, "xiaomi-11", months=6, as_of="2022-06-30")   # defectradar.analyses.warranty
>>> fc.beta_, fc.eta_, fc.total_                                      # doctest: +SKIP
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from defectradar.core.confidence import z_for
from defectradar.core.dates import add_months, months_between
from defectradar.core.estimator import Estimator, positive_int, probability
from defectradar.core.lifetimes import WarrantyCounts
from defectradar.core.numbers import significant
from defectradar.errors import InputError
from defectradar.reliability.nevada import claims_by_calendar_month, nevada_table

ASSUMPTION = ("no new sales: the forecast covers the units of cohorts sold up to the last complete month "
              "as they age; the interval is Poisson noise around the fitted model")
#: A forecast whose oldest cohort reaches more than this many times the oldest observed months in
#: service (counted from 1: age a covers months a to a+1) extrapolates the power law far beyond
#: the ages it was fitted on, and says so.
EXTRAPOLATION_RATIO = 1.5
_LOG_BETA_BOUNDS = (math.log(0.02), math.log(20.0))


def power_law_increment(ages, beta: float, eta: float) -> np.ndarray:
    r"""Expected claims per unit at age ``a``: :math:`\Lambda(a+1) - \Lambda(a)`, :math:`\Lambda(t) = (t/\eta)^\beta`.

    Written as :math:`\Lambda(a+1)\,(1 - (a/(a+1))^\beta)` with ``expm1`` so tiny increments keep
    their precision.
    """
    a = np.asarray(ages, dtype=float)
    upper = np.exp(beta * (np.log(a + 1) - math.log(eta)))
    with np.errstate(divide="ignore"):
        ratio = np.where(a > 0, np.log(np.where(a > 0, a, 1.0) / (a + 1)), -np.inf)
    return upper * -np.expm1(beta * ratio)


def _shape_terms(ages: np.ndarray, beta: float) -> np.ndarray:
    """:math:`g_a(\\beta) = (a+1)^\\beta - a^\\beta`, the increment with :math:`\\eta = 1`."""
    return power_law_increment(ages, beta, 1.0)


@dataclass
class PowerLawFit:
    """Maximum-likelihood power-law NHPP: shape, scale, intervals and fit statistics."""

    beta: float
    eta: float
    beta_interval: tuple[float, float]
    eta_interval: tuple[float, float]
    cov_log: np.ndarray
    loglik: float
    dispersion: float
    at_bound: bool


def fit_power_law(units, ages, claims, alpha: float = 0.05) -> PowerLawFit:
    """Fit :math:`\\Lambda(t) = (t/\\eta)^\\beta` to Poisson cell counts by profile maximum likelihood.

    Parameters
    ----------
    units, ages, claims
        One value per cell: units at risk (> 0), months in service (>= 0, whole), claims (>= 0).
    alpha
        1 - confidence of the Wald intervals.

    Raises
    ------
    InputError
        No claims at all, or fewer than two distinct ages (the shape is then not identifiable).
    """
    n = np.asarray(units, dtype=float)
    a = np.asarray(ages, dtype=float)
    y = np.asarray(claims, dtype=float)
    if not (len(n) == len(a) == len(y)) or len(n) == 0:
        raise InputError("units, ages and claims need one value per cell, and at least one cell")
    if (n <= 0).any() or (a < 0).any() or (y < 0).any():
        raise InputError("units must be positive, ages and claims non-negative")
    total = y.sum()
    if total <= 0:
        raise InputError("no claims in the observed cells, so the claim rate cannot be fitted; "
                         "choose an earlier-launched product, another mode or a later --as-of")
    if len(np.unique(a)) < 2:
        raise InputError("only one month in service is observed, so the shape of the claim rate cannot be "
                         "fitted; use a later --as-of")
    positive = y > 0

    def profile(log_beta: float) -> tuple[float, float]:
        g = _shape_terms(a, math.exp(log_beta))
        scale = total / float(np.dot(n, g))              # eta^-beta at its conditional optimum
        mu = n * g * scale
        return float(np.dot(y[positive], np.log(mu[positive])) - mu.sum()), scale

    result = optimize.minimize_scalar(lambda lb: -profile(lb)[0], bounds=_LOG_BETA_BOUNDS, method="bounded",
                                      options={"xatol": 1e-10})
    log_beta = float(result.x)
    beta = math.exp(log_beta)
    loglik, scale = profile(log_beta)
    eta = scale ** (-1.0 / beta)
    at_bound = min(abs(log_beta - b) for b in _LOG_BETA_BOUNDS) < 1e-4
    loglik -= float(np.sum(special.gammaln(y + 1)))

    # Fisher information of (log beta, log eta): d Lambda(t)/d log beta = beta log(t/eta) Lambda(t),
    # d Lambda(t)/d log eta = -beta Lambda(t).
    def derivatives(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lam = np.where(t > 0, (np.where(t > 0, t, 1.0) / eta) ** beta, 0.0)
        log_ratio = np.log(np.where(t > 0, t, 1.0) / eta)
        return beta * log_ratio * lam, -beta * lam

    db_hi, de_hi = derivatives(a + 1)
    db_lo, de_lo = derivatives(a)
    mu = n * power_law_increment(a, beta, eta)
    grad = np.stack([n * (db_hi - db_lo), n * (de_hi - de_lo)])
    information = (grad / mu) @ grad.T
    cov_log = np.linalg.pinv(information)
    z = z_for(1 - alpha)
    se_b, se_e = np.sqrt(np.maximum(np.diag(cov_log), 0.0))
    dof = max(len(y) - 2, 1)
    dispersion = float(np.sum((y - mu) ** 2 / mu) / dof)
    return PowerLawFit(beta, eta, (beta * math.exp(-z * se_b), beta * math.exp(z * se_b)),
                       (eta * math.exp(-z * se_e), eta * math.exp(z * se_e)), cov_log, loglik, dispersion, at_bound)


def poisson_prediction_interval(expected, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Central Poisson interval of a count with mean ``expected``: its ``alpha/2`` and ``1-alpha/2`` quantiles."""
    mu = np.asarray(expected, dtype=float)
    return stats.poisson.ppf(alpha / 2, mu), stats.poisson.ppf(1 - alpha / 2, mu)


def _optional_months(value) -> bool:
    return value is None or positive_int(value)


class WarrantyForecast(Estimator):
    """Claims expected in the next months from the cohorts sold so far (power-law NHPP).

    Parameters
    ----------
    months
        :math:`N`, calendar months to forecast after the last complete month.
    alpha
        1 - confidence of all intervals (0.05: 95 %).
    warranty_months
        :math:`W`: only claims within :math:`W` months in service count, in the fit and the
        forecast (default: no limit).

    Attributes (after ``fit``)
    --------------------------
    nevada_
        The :class:`~defectradar.reliability.nevada.NevadaTable` the model was fitted to.
    beta_, eta_, beta_interval_, eta_interval_, loglik_, dispersion_
        The fitted power law (:class:`PowerLawFit`).
    by_age_
        Empirical claims per 1,000 by age (where observed, with Garwood intervals) beside the
        fitted ``model_per_1000`` for every age up to the oldest forecast age.
    history_
        Observed (``claims``) and fitted (``fitted``) claims per past calendar month.
    forecast_
        ``month``, ``expected``, ``lower``, ``upper`` for each forecast month.
    total_
        ``{"expected", "lower", "upper"}`` over the forecast months.
    oldest_observed_age_, oldest_forecast_age_
        The oldest months in service among the fitted cells, and the oldest a cohort reaches in
        the forecast.
    beyond_share_
        Share of the forecast claims expected at ages older than any observed.
    """

    method: ClassVar[str] = "power-law-nhpp"
    _parameter_constraints = {
        "months": (positive_int, "a positive whole number of months"),
        "alpha": (probability, "a probability between 0 and 1 (0.05 for 95 % intervals)"),
        "warranty_months": (_optional_months, "None or a positive whole number of months"),
    }

    def __init__(self, months: int = 6, alpha: float = 0.05, warranty_months: int | None = None):
        self.months = months
        self.alpha = alpha
        self.warranty_months = warranty_months

    def fit(self, data: WarrantyCounts) -> "WarrantyForecast":
        """Fit the power law to the Nevada cells of ``data`` and forecast the next ``months``."""
        self._begin_fit()
        if not isinstance(data, WarrantyCounts):
            raise InputError("WarrantyForecast.fit needs WarrantyCounts (see defectradar.query.warranty)")
        table = nevada_table(data, self.warranty_months, alpha=self.alpha)
        cells = table.cells
        if cells.empty:
            raise InputError(f"{data.product}: no cohort with sales is observed by {data.last_month:%Y-%m}; "
                             "use a later --as-of")
        fit = fit_power_law(cells["units"], cells["months_in_service"], cells["claims"], self.alpha)

        cohorts = cells.groupby("sales_month", as_index=False)["units"].first()
        last = data.last_month
        future = [add_months(last, k) for k in range(1, self.months + 1)]
        expected, beyond = [], 0.0
        oldest_observed = int(cells["months_in_service"].max())
        for month in future:
            ages = np.array([months_between(c, month) for c in cohorts["sales_month"]], dtype=float)
            per_unit = power_law_increment(ages, fit.beta, fit.eta)
            if self.warranty_months is not None:
                per_unit = np.where(ages < self.warranty_months, per_unit, 0.0)
            claims = cohorts["units"].to_numpy(dtype=float) * per_unit
            expected.append(float(claims.sum()))
            beyond += float(claims[ages > oldest_observed].sum())
        lower, upper = poisson_prediction_interval(expected, self.alpha)
        forecast = pd.DataFrame({"month": future, "expected": expected, "lower": lower, "upper": upper})
        total = float(np.sum(expected))
        total_lower, total_upper = poisson_prediction_interval(total, self.alpha)

        fitted_cells = cells.assign(fitted=cells["units"] * power_law_increment(cells["months_in_service"],
                                                                                fit.beta, fit.eta))
        history = claims_by_calendar_month(cells)
        fitted_by_month = claims_by_calendar_month(fitted_cells.drop(columns="claims").rename(
            columns={"fitted": "claims"})).rename(columns={"claims": "fitted"})
        history = history.merge(fitted_by_month, on="month")

        oldest = months_between(cohorts["sales_month"].min(), future[-1])
        if self.warranty_months is not None:
            oldest = min(oldest, self.warranty_months - 1)
        ages = pd.DataFrame({"months_in_service": np.arange(oldest + 1, dtype="int64")})
        by_age = ages.merge(table.by_age, on="months_in_service", how="left")
        by_age["model_per_1000"] = 1000 * power_law_increment(by_age["months_in_service"], fit.beta, fit.eta)

        self.nevada_ = table
        self.fit_ = fit
        self.beta_, self.eta_ = fit.beta, fit.eta
        self.beta_interval_, self.eta_interval_ = fit.beta_interval, fit.eta_interval
        self.loglik_, self.dispersion_ = fit.loglik, fit.dispersion
        self.by_age_ = by_age
        self.history_ = history
        self.forecast_ = forecast
        self.total_ = {"expected": total, "lower": float(total_lower), "upper": float(total_upper)}
        self.oldest_observed_age_ = oldest_observed
        self.oldest_forecast_age_ = int(oldest)
        self.beyond_share_ = beyond / total if total > 0 else 0.0
        return self

    def caveats(self) -> list[str]:
        """Where the forecast leaves its data: its oldest cohort reaches more than
        :data:`EXTRAPOLATION_RATIO` times the oldest observed months in service (counted from 1),
        so the power law is extended well past the ages it was fitted on; the fitted shape at
        the observed ages then decides what comes, and a change of the claim rate with age would
        go unseen."""
        self._check_fitted()
        if self.oldest_forecast_age_ + 1 <= EXTRAPOLATION_RATIO * (self.oldest_observed_age_ + 1):
            return []
        return [f"the forecast reaches {self.oldest_forecast_age_ + 1} months in service, but the data only reach "
                f"{self.oldest_observed_age_ + 1}: {self.beyond_share_:.0%} of the forecast claims are at ages "
                "never observed, where the power law is extrapolated; forecast fewer months or wait for more data"]

    @property
    def summary(self) -> pd.DataFrame:
        self._check_fitted()
        return self.forecast_

    def to_dict(self) -> dict:
        self._check_fitted()
        t = self.nevada_
        model = {"name": "power-law NHPP (Crow-AMSAA), Lambda(a) = (a/eta)^beta, a in months in service",
                 "beta": significant(self.beta_), "beta_lower": significant(self.beta_interval_[0]),
                 "beta_upper": significant(self.beta_interval_[1]), "eta": significant(self.eta_),
                 "eta_lower": significant(self.eta_interval_[0]), "eta_upper": significant(self.eta_interval_[1]),
                 "loglik": significant(self.loglik_), "dispersion": significant(self.dispersion_),
                 "at_bound": bool(self.fit_.at_bound), "cells": len(t.cells),
                 "claims": int(t.cells["claims"].sum()),
                 "units": int(t.cells.groupby("sales_month")["units"].first().sum()),
                 "assumption": ASSUMPTION}
        months = [{"month": r.month.isoformat()[:7], "expected": significant(r.expected), "lower": int(r.lower),
                   "upper": int(r.upper)} for r in self.forecast_.itertuples(index=False)]
        by_age = [{"months_in_service": int(r.months_in_service), "claims_per_1000": significant(r.claims_per_1000),
                   "lower": significant(r.lower), "upper": significant(r.upper), "model_per_1000": significant(r.model_per_1000)}
                  for r in self.by_age_.itertuples(index=False)]
        return {"product": t.product, "mode": t.mode, "as_of": t.as_of.isoformat(),
                "observed_through": t.last_month.isoformat()[:7], "warranty_months": self.warranty_months,
                "confidence": 1 - self.alpha, "model": model, "months": months,
                "total": {"expected": significant(self.total_["expected"]), "lower": int(self.total_["lower"]),
                          "upper": int(self.total_["upper"])},
                "by_age": by_age, "unmatched_claims": int(t.unmatched_claims),
                "excluded_claims": {k: int(v) for k, v in t.excluded_claims.items()}, "warnings": self.caveats()}
