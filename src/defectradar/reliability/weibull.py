r"""Two-parameter Weibull time to failure, fitted by maximum likelihood with right censoring.

Model: :math:`F(t) = 1 - \exp(-(t/\eta)^\beta)` with shape :math:`\beta` and scale
:math:`\eta` (the age by which 63.2 % have failed).  With failures :math:`\delta_i = 1`,
censored units :math:`\delta_i = 0` and frequency weights :math:`w_i` the log-likelihood (on
the time scale, as R ``survreg`` and lifelines report it) is

.. math::

    \ell(\beta, \eta) = \sum_i w_i \big[\delta_i(\log\beta + (\beta - 1)\log t_i - \beta\log\eta)
                        - (t_i/\eta)^\beta\big].

For a fixed :math:`\beta` the scale has a closed form,
:math:`\eta^\beta = \sum w_i t_i^\beta / r` with :math:`r = \sum w_i\delta_i`, and the shape
solves the one-dimensional profile equation

.. math::

    g(\beta) = \frac{\sum w_i t_i^\beta \log t_i}{\sum w_i t_i^\beta} - \frac{1}{\beta}
               - \frac{1}{r}\sum w_i\delta_i\log t_i = 0,

which is increasing in :math:`\beta`, so a bracketing root finder always converges (Lawless,
*Statistical Models and Methods for Lifetime Data*, 2nd ed., section 5.2.2).  This is why the
fit is written here rather than taken from lifelines' ``WeibullFitter``: its general-purpose
optimiser with automatic differentiation is about 20 times slower on a million units and 100
times slower on the aggregated rows the store feeds (``benchmarks/reliability.py``); lifelines
remains the cross-check in the tests.

Confidence intervals are Fisher-matrix (Wald) intervals on the log scale of each parameter,
from the observed information of :math:`(\log\beta, \log\eta)`; they are identical to R
``survreg``'s intervals for ``exp(Intercept)`` and ``1/exp(Log(scale))``.  The B10 life and
the probability of failure by an age carry delta-method intervals on the same scale.

Examples
--------
>>> import numpy as np
>>> from defectradar.reliability import LifetimeData, WeibullModel
>>> data = LifetimeData.from_arrays([100, 200, 300, 400, 500], [1, 1, 0, 1, 0])
>>> fit = WeibullModel().fit(data)
>>> round(fit.shape_, 3), round(fit.scale_, 1)
(2.103, 493.0)
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import optimize

from defectradar.core.confidence import z_for
from defectradar.core.estimator import Estimator, probability
from defectradar.core.lifetimes import LifetimeData, format_age, no_survivors_note
from defectradar.core.numbers import significant
from defectradar.errors import InputError


class WeibullModel(Estimator):
    """Weibull 2-parameter maximum likelihood fit with right censoring.

    Parameters
    ----------
    confidence
        Level of the Fisher-matrix intervals (default 0.95).

    Attributes (after ``fit``)
    --------------------------
    shape_, scale_
        :math:`\\beta` and :math:`\\eta` (scale in the unit of the input times).
    shape_ci_, scale_ci_, b10_ci_
        ``(lower, upper)`` intervals.
    loglik_
        Maximised log-likelihood (time scale).
    cov_log_
        2x2 covariance of :math:`(\\log\\beta, \\log\\eta)`.
    b10_
        Age by which 10 % have failed.
    n_, failures_, censored_
        Units (sum of weights), failures and censored units.
    first_failure_, last_age_
        The smallest failure age and the largest age observed (failed or censored): the range
        the data cover, outside which :meth:`caveats` calls an estimate an extrapolation.
    """

    method: ClassVar[str] = "weibull"
    _parameter_constraints: ClassVar[dict] = {"confidence": (probability, "a probability between 0 and 1")}

    def __init__(self, confidence: float = 0.95):
        self.confidence = confidence

    def fit(self, data: LifetimeData) -> "WeibullModel":
        self._begin_fit()
        if not isinstance(data, LifetimeData):
            raise InputError("WeibullModel.fit takes LifetimeData; build it with LifetimeData.from_arrays()")
        data.require_failures("Weibull fit")
        if (data.time[data.event & (data.weight > 0)] <= 0).any():
            raise InputError("Weibull fit: a failure at age 0 has probability 0 under a Weibull model; drop it "
                             "or count it as dead on arrival separately")
        keep = (data.time > 0) & (data.weight > 0)      # a unit censored at age 0 adds nothing
        shape, scale, loglik, cov = _fit(data.time[keep], data.event[keep], data.weight[keep])
        z = z_for(self.confidence)
        se_a, se_b = np.sqrt(np.diag(cov))
        self.shape_, self.scale_, self.loglik_, self.cov_log_ = shape, scale, loglik, cov
        self.shape_ci_ = (shape * math.exp(-z * se_a), shape * math.exp(z * se_a))
        self.scale_ci_ = (scale * math.exp(-z * se_b), scale * math.exp(z * se_b))
        self.n_, self.failures_, self.censored_ = data.n, data.failures, data.censored
        self.first_failure_ = float(data.time[data.event & (data.weight > 0)].min())
        self.last_age_ = float(data.time[data.weight > 0].max())
        self.b10_ = self.b_life(0.10)
        self.b10_ci_ = self.b_life_interval(0.10)
        return self

    # --- derived quantities -------------------------------------------------------------------
    def cdf(self, age) -> np.ndarray:
        """Probability of failure by ``age``: :math:`1 - \\exp(-(t/\\eta)^\\beta)`."""
        self._check_fitted()
        return -np.expm1(-np.power(np.asarray(age, dtype=float) / self.scale_, self.shape_))

    def probability_of_failure(self, age: float) -> float:
        """The fitted probability that a unit has failed by ``age``."""
        return float(self.cdf(age))

    def b_life(self, fraction: float) -> float:
        """Age by which ``fraction`` of units have failed (B10 for 0.10)."""
        self._check_fitted()
        if not 0 < fraction < 1:
            raise InputError(f"B-life fraction {fraction!r} must be between 0 and 1 (0.10 for B10)")
        return float(self.scale_ * (-math.log1p(-fraction)) ** (1 / self.shape_))

    def b_life_interval(self, fraction: float) -> tuple[float, float]:
        r"""Delta-method interval of :math:`\log B_p = \log\eta + \log(-\log(1-p))/\beta`."""
        life = self.b_life(fraction)
        c = math.log(-math.log1p(-fraction))
        grad = np.array([-c / self.shape_, 1.0])          # d/d(log beta), d/d(log eta)
        se = math.sqrt(float(grad @ self.cov_log_ @ grad))
        z = z_for(self.confidence)
        return life * math.exp(-z * se), life * math.exp(z * se)

    def failure_probability_table(self, ages) -> pd.DataFrame:
        r"""Probability of failure by each age with a delta-method interval on
        :math:`u = \log(-\log(1-F)) = \beta(\log t - \log\eta)`."""
        self._check_fitted()
        ages = np.atleast_1d(np.asarray(ages, dtype=float))
        if (ages <= 0).any() or not np.isfinite(ages).all():
            raise InputError("ages for the probability of failure must be positive numbers")
        z = z_for(self.confidence)
        log_ratio = np.log(ages) - math.log(self.scale_)
        u = self.shape_ * log_ratio
        grad = np.stack([u, np.full_like(u, -self.shape_)], axis=1)
        se = np.sqrt(np.einsum("ij,jk,ik->i", grad, self.cov_log_, grad))
        to_f = lambda x: -np.expm1(-np.exp(x))  # noqa: E731
        return pd.DataFrame({"age": ages, "probability": to_f(u), "lower": to_f(u - z * se),
                             "upper": to_f(u + z * se)})

    def caveats(self, ages=(), unit: str | None = None) -> list[str]:
        """Where the fit speaks beyond its data, one sentence each (``unit`` names the ages).

        The rule:

        * **no censored unit** (every unit failed): F(t) describes the failed units, not a fleet
          (:meth:`LifetimeData.caveats`);
        * **B10 beyond the data**: above the largest age observed (no unit was seen that old), or
          below the smallest failure age (the data hold no failure that early: with few failures
          the 10 % point lies below the first one, and only the fitted shape puts it there);
        * **an age of** ``ages`` (``--at``) above the largest observed age or below the smallest
          failure age: the probability there is the fitted curve extended, not the data.
        """
        self._check_fitted()
        age = lambda x: format_age(x, unit)  # noqa: E731
        notes = []
        if self.censored_ == 0:
            notes.append(no_survivors_note(self.n_))
        failures = f"{self.failures_:,.0f} failure{'s' if self.failures_ != 1 else ''}"
        if self.b10_ > self.last_age_:
            notes.append(f"B10 = {age(self.b10_)} lies beyond the oldest unit observed ({age(self.last_age_)}): "
                         "an extrapolation of the fitted Weibull, not something the data show")
        elif self.b10_ < self.first_failure_:
            notes.append(f"B10 = {age(self.b10_)} lies below the first failure ({age(self.first_failure_)}): with "
                         f"{failures} the data hold no 10 % point, so only the fitted shape puts it there")
        for t in np.atleast_1d(np.asarray(ages, dtype=float)):
            if t > self.last_age_:
                notes.append(f"F({age(t)}) extrapolates beyond the oldest unit observed ({age(self.last_age_)})")
            elif t < self.first_failure_:
                notes.append(f"F({age(t)}) lies below the first failure ({age(self.first_failure_)}): it rests "
                             "on the fitted shape alone")
        return notes

    # --- contract -------------------------------------------------------------------------------
    @property
    def summary(self) -> pd.DataFrame:
        self._check_fitted()
        return pd.DataFrame({
            "parameter": ["shape", "scale", "b10"],
            "estimate": [self.shape_, self.scale_, self.b10_],
            "lower": [self.shape_ci_[0], self.scale_ci_[0], self.b10_ci_[0]],
            "upper": [self.shape_ci_[1], self.scale_ci_[1], self.b10_ci_[1]],
        })

    def to_dict(self) -> dict:
        self._check_fitted()
        return {
            "shape": significant(self.shape_), "scale": significant(self.scale_),
            "shape_ci": [significant(v) for v in self.shape_ci_], "scale_ci": [significant(v) for v in self.scale_ci_],
            "loglik": significant(self.loglik_, 10), "n": significant(self.n_, 12), "failures": significant(self.failures_, 12),
            "b10": significant(self.b10_), "b10_ci": [significant(v) for v in self.b10_ci_],
            "confidence": self.confidence, "warnings": self.caveats(),
        }


def _fit(time: np.ndarray, event: np.ndarray, weight: np.ndarray) -> tuple[float, float, float, np.ndarray]:
    """Profile-likelihood MLE; returns shape, scale, log-likelihood and cov of (log shape, log scale)."""
    log_t = np.log(time)
    failed_w = weight * event
    r = failed_w.sum()
    # Work with t / t_ref so t**beta neither overflows nor underflows for large shapes.
    log_ref = float((failed_w * log_t).sum() / r)
    x = log_t - log_ref
    mean_failed_x = 0.0                       # by the choice of t_ref

    def profile(log_beta: float) -> float:
        beta = math.exp(log_beta)
        bx = beta * x
        m = bx.max()
        p = weight * np.exp(bx - m)
        return float((p * x).sum() / p.sum()) - 1.0 / beta - mean_failed_x

    if x[weight > 0].max() - x[weight > 0].min() <= 0:
        raise InputError("Weibull fit: every unit has the same age, so the shape cannot be estimated; "
                         "it needs failures (or censoring) at different ages")
    lo, hi = math.log(0.05), math.log(20.0)
    while profile(lo) > 0 and lo > math.log(1e-4):
        lo -= 1.0
    while profile(hi) < 0 and hi < math.log(1e4):
        hi += 1.0
    if profile(lo) > 0 or profile(hi) < 0:
        raise InputError("Weibull fit did not converge: the shape is outside 0.0001..10000 (all failures at "
                         "one age with nothing surviving longer?); check the ages, or fit a different model")
    log_beta = optimize.brentq(profile, lo, hi, xtol=1e-13, rtol=4 * np.finfo(float).eps, maxiter=200)
    beta = math.exp(log_beta)
    # eta^beta = sum w t^beta / r, in the shifted scale
    bx = beta * x
    m = bx.max()
    log_sum = m + math.log(float((weight * np.exp(bx - m)).sum()))
    log_eta_shift = (log_sum - math.log(r)) / beta
    log_eta = log_eta_shift + log_ref
    eta = math.exp(log_eta)

    # Log-likelihood and observed information of (a, b) = (log beta, log eta); L = log t - log eta.
    ell = log_t - log_eta
    s = np.exp(beta * ell)
    ws = weight * s
    loglik = float((failed_w * (log_beta + (beta - 1) * log_t - beta * log_eta)).sum() - ws.sum())
    h_bb = -beta ** 2 * ws.sum()
    h_ab = float((-failed_w * beta + beta * ws + beta ** 2 * ws * ell).sum())
    h_aa = float((failed_w * beta * ell - beta * ws * ell - beta ** 2 * ws * ell ** 2).sum())
    info = -np.array([[h_aa, h_ab], [h_ab, h_bb]])
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        raise InputError("Weibull fit: the information matrix is singular (too few distinct failure ages); "
                         "the intervals cannot be computed") from None
    return beta, eta, loglik, cov
