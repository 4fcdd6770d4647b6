r"""Kaplan-Meier survival with Greenwood confidence bands, and the log-rank comparison.

At each distinct age :math:`t_j` with :math:`d_j` failures among :math:`n_j` units at risk
(units whose age at failure or censoring is :math:`\ge t_j`; all counts weighted),

.. math::

    \hat S(t) = \prod_{t_j \le t} \Big(1 - \frac{d_j}{n_j}\Big), \qquad
    \widehat{\mathrm{Var}}\big(\log\hat S(t)\big) = \sum_{t_j \le t} \frac{d_j}{n_j(n_j - d_j)}
    \quad\text{(Greenwood)}.

The band is built on one of three scales, with R ``survfit``'s names and conventions:
``log`` (R's default: :math:`\hat S e^{\pm z\sigma}`, the upper limit capped at 1),
``log-log`` (:math:`\hat S^{\exp(\pm z\sigma/\log\hat S)}`, lifelines' "exponential
Greenwood") and ``plain`` (:math:`\hat S(1 \pm z\sigma)` clipped to [0, 1]).  Where the band is
undefined (:math:`\hat S = 0`, or :math:`\hat S = 1` on the log-log scale) it is missing.

The estimate is a dozen lines of numpy, written here rather than taken from lifelines'
``KaplanMeierFitter`` because that offers only the log-log band (R's default is ``log``, and
R's conventions for undefined limits are kept); lifelines is the cross-check in the tests.
The log-rank test is lifelines'.

Examples
--------
>>> from defectradar.reliability import KaplanMeier, LifetimeData
>>> km = KaplanMeier().fit(LifetimeData.from_arrays([9, 13, 13, 18, 23], [1, 1, 0, 1, 1]))
>>> km.table_[["time", "at_risk", "events", "survival"]].to_dict("records")[0]
{'time': 9.0, 'at_risk': 5.0, 'events': 1.0, 'survival': 0.8}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from defectradar.core.confidence import z_for
from defectradar.core.estimator import Estimator, one_of, probability
from defectradar.core.lifetimes import LifetimeData, format_age, no_survivors_note
from defectradar.core.numbers import json_number, json_rows
from defectradar.errors import InputError

CONF_TYPES = ("log", "log-log", "plain")


class KaplanMeier(Estimator):
    """Kaplan-Meier estimate of the survival function with a pointwise Greenwood band.

    Parameters
    ----------
    confidence
        Level of the band (default 0.95).
    conf_type
        ``log`` (default, as R), ``log-log`` or ``plain``.

    Attributes (after ``fit``)
    --------------------------
    table_
        One row per distinct age (failure or censoring, as R ``survfit``): ``time``,
        ``at_risk``, ``events``, ``censored``, ``survival``, ``std_log`` (the Greenwood standard
        error of :math:`\\log\\hat S`), ``lower``, ``upper``.
    n_, failures_, censored_
        Units, failures and censored units (weighted).
    last_age_
        The largest age observed (failed or censored).
    """

    method: ClassVar[str] = "kaplan-meier"
    _parameter_constraints: ClassVar[dict] = {
        "confidence": (probability, "a probability between 0 and 1"),
        "conf_type": one_of(*CONF_TYPES),
    }

    def __init__(self, confidence: float = 0.95, conf_type: str = "log"):
        self.confidence = confidence
        self.conf_type = conf_type

    def fit(self, data: LifetimeData) -> "KaplanMeier":
        self._begin_fit()
        if not isinstance(data, LifetimeData):
            raise InputError("KaplanMeier.fit takes LifetimeData; build it with LifetimeData.from_arrays()")
        data.require_failures("Kaplan-Meier")
        times, inverse = np.unique(data.time, return_inverse=True)
        events = np.bincount(inverse, weights=data.weight * data.event, minlength=len(times))
        leaving = np.bincount(inverse, weights=data.weight, minlength=len(times))
        at_risk = data.weight.sum() - np.concatenate(([0.0], np.cumsum(leaving)[:-1]))
        keep = leaving > 0                               # weight-0 rows leave no trace
        times, events, leaving, at_risk = times[keep], events[keep], leaving[keep], at_risk[keep]
        with np.errstate(divide="ignore", invalid="ignore"):
            survival = np.cumprod(1.0 - events / at_risk)
            term = np.where(events > 0, events / (at_risk * (at_risk - events)), 0.0)
        std_log = np.sqrt(np.cumsum(term))
        lower, upper = _band(survival, std_log, z_for(self.confidence), self.conf_type)
        self.table_ = pd.DataFrame({"time": times, "at_risk": at_risk, "events": events,
                                    "censored": leaving - events, "survival": survival, "std_log": std_log,
                                    "lower": lower, "upper": upper})
        self.n_, self.failures_, self.censored_ = data.n, data.failures, data.censored
        self.last_age_ = float(times[-1])
        return self

    def survival_at(self, age) -> np.ndarray:
        """:math:`\\hat S` at each age (a step function, 1 before the first failure)."""
        self._check_fitted()
        idx = np.searchsorted(self.table_["time"].to_numpy(), np.asarray(age, dtype=float), side="right") - 1
        surv = self.table_["survival"].to_numpy()
        return np.where(idx >= 0, surv[np.clip(idx, 0, None)], 1.0)

    def median(self) -> float | None:
        """Smallest age with :math:`\\hat S \\le 0.5` (None when survival stays above a half)."""
        self._check_fitted()
        below = self.table_[self.table_["survival"] <= 0.5]
        return None if below.empty else float(below["time"].iloc[0])

    def caveats(self, ages=(), unit: str | None = None) -> list[str]:
        """Where the estimate speaks beyond its data: no censored unit (it then describes the
        failed units, not a fleet), and each of ``ages`` beyond the oldest unit observed (the curve
        is only held flat there)."""
        self._check_fitted()
        age = lambda x: format_age(x, unit)  # noqa: E731
        notes = [no_survivors_note(self.n_)] if self.censored_ == 0 else []
        notes += [f"S({age(t)}) lies beyond the oldest unit observed ({age(self.last_age_)}): the curve is only "
                  "held flat there" for t in np.atleast_1d(np.asarray(ages, dtype=float)) if t > self.last_age_]
        return notes

    @property
    def summary(self) -> pd.DataFrame:
        self._check_fitted()
        return self.table_

    def rows(self) -> list[dict]:
        """The JSON rows of ``reliability km``: time, at_risk, events, survival, lower, upper."""
        self._check_fitted()
        return json_rows(self.table_, ("time", "at_risk", "events", "survival", "lower", "upper"))

    def to_dict(self) -> dict:
        return {"method": self.method, "params": self.get_params(), "n": json_number(self.n_, 10),
                "failures": json_number(self.failures_, 10), "rows": self.rows()}


def plotting_positions(km: KaplanMeier) -> pd.DataFrame:
    r"""Unreliability at each failure age for probability plots: the midpoint of the Kaplan-Meier
    step, :math:`F_j = 1 - (\hat S(t_{j-1}) + \hat S(t_j))/2`, so the last point is not at 100 %
    (the "Kaplan-Meier with Hazen adjustment" plotting position; Meeker & Escobar 1998, 6.4)."""
    km._check_fitted()
    t = km.table_
    before = np.concatenate(([1.0], t["survival"].to_numpy()[:-1]))
    unreliability = 1.0 - (before + t["survival"].to_numpy()) / 2
    failed = t["events"].to_numpy() > 0
    return pd.DataFrame({"time": t["time"].to_numpy()[failed], "unreliability": unreliability[failed]})


def _band(survival: np.ndarray, std_log: np.ndarray, z: float, conf_type: str) -> tuple[np.ndarray, np.ndarray]:
    """R survfit's confidence limits (``survfit_confint``) on the chosen scale."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        defined = (survival > 0) & np.isfinite(std_log)
        if conf_type == "log":
            lower = survival * np.exp(-z * std_log)
            upper = np.minimum(survival * np.exp(z * std_log), 1.0)
        elif conf_type == "log-log":
            defined &= survival < 1
            log_s = np.log(survival)
            loglog = np.log(-log_s)
            lower = np.exp(-np.exp(loglog - z * std_log / log_s))     # log_s < 0: this is the lower one
            upper = np.exp(-np.exp(loglog + z * std_log / log_s))
        else:
            lower = np.maximum(survival - z * std_log * survival, 0.0)
            upper = np.minimum(survival + z * std_log * survival, 1.0)
    return np.where(defined, lower, np.nan), np.where(defined, upper, np.nan)


@dataclass(frozen=True)
class LogRankResult:
    """The log-rank test that groups share one survival function."""

    statistic: float
    df: int
    p_value: float
    groups: tuple[str, ...]
    observed: tuple[float, ...]
    expected: tuple[float, ...]

    def to_dict(self) -> dict:
        return {"test": "log-rank", "statistic": json_number(self.statistic, 10), "df": self.df, "p_value": self.p_value,
                "groups": [{"group": g, "observed": json_number(o, 10), "expected": json_number(e, 10)}
                           for g, o, e in zip(self.groups, self.observed, self.expected)]}


def logrank(groups: dict[str, LifetimeData]) -> LogRankResult:
    """Log-rank (Mantel-Cox) test over two or more groups, by lifelines' ``multivariate_logrank_test``.

    The observed and expected failures per group are computed here so the user can see which
    group fails more than its share.
    """
    if len(groups) < 2:
        raise InputError("the log-rank test compares at least two groups; give two or more products or modes")
    for name, data in groups.items():
        if not isinstance(data, LifetimeData):
            raise InputError(f"group {name!r}: give LifetimeData")
        data.require_failures(f"log-rank (group {name!r})")
    from lifelines.statistics import multivariate_logrank_test  # lifelines costs ~1 s to import

    names = list(groups)
    time = np.concatenate([groups[g].time for g in names])
    event = np.concatenate([groups[g].event for g in names])
    weight = np.concatenate([groups[g].weight for g in names])
    label = np.concatenate([np.full(len(groups[g].time), i) for i, g in enumerate(names)])
    keep = weight > 0
    result = multivariate_logrank_test(time[keep], label[keep], event[keep].astype(int), weights=weight[keep])
    observed, expected = _observed_expected(time[keep], event[keep], weight[keep], label[keep], len(names))
    return LogRankResult(float(result.test_statistic), int(result.degrees_of_freedom), float(result.p_value),
                         tuple(names), tuple(observed), tuple(expected))


def _observed_expected(time, event, weight, label, k) -> tuple[np.ndarray, np.ndarray]:
    times, inverse = np.unique(time, return_inverse=True)
    observed, expected = np.zeros(k), np.zeros(k)
    total_d = np.bincount(inverse, weights=weight * event, minlength=len(times))
    total_leave = np.bincount(inverse, weights=weight, minlength=len(times))
    total_risk = total_leave[::-1].cumsum()[::-1]
    for g in range(k):
        mine = label == g
        d = np.bincount(inverse[mine], weights=(weight * event)[mine], minlength=len(times))
        leave = np.bincount(inverse[mine], weights=weight[mine], minlength=len(times))
        risk = leave[::-1].cumsum()[::-1]
        observed[g] = d.sum()
        with np.errstate(divide="ignore", invalid="ignore"):
            expected[g] = np.nansum(np.where(total_risk > 0, total_d * risk / total_risk, 0.0))
    return observed, expected
