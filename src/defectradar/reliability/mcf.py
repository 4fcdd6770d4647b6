r"""Nelson's mean cumulative function of repairs per unit, with the Lawless-Nadeau variance.

Units :math:`i` are observed from age 0 to :math:`e_i` (frequency weight :math:`w_i`) and have
:math:`n_{ik}` repairs at the distinct repair ages :math:`t_1 < \dots < t_K`.  With
:math:`r_k = \sum_i w_i [e_i \ge t_k]` units at risk and :math:`d_k = \sum_i w_i n_{ik}` repairs,

.. math::

    \widehat{M}(t) = \sum_{t_k \le t} \frac{d_k}{r_k}, \qquad
    \widehat{\mathrm{Var}}\,\widehat{M}(t) = \sum_i w_i \Big[\sum_{t_k \le t}
        \frac{[e_i \ge t_k]}{r_k}\Big(n_{ik} - \frac{d_k}{r_k}\Big)\Big]^2,

the robust variance of Lawless & Nadeau (1995, *Technometrics* 37:158-168), which does not
assume repairs of one unit are independent (it equals R ``survfit``'s infinitesimal-jackknife
standard error with ``id=``).  A unit is at risk at its own end age (Nelson 2003, *Recurrent
Events Data Analysis for Product Repairs*, ch. 4: repairs before removals at a tie).

Written by hand (no maintained Python library has the MCF with this variance).  Evaluating the
double sum directly costs units x repair ages; instead each unit's bracket is split into its
own repairs :math:`E_i(t) = \sum_{t_k\le t} n_{ik}/r_k` and the common term
:math:`C(t) = \sum_{t_k \le t} d_k/r_k^2`, so the variance at every repair age is a handful of
cumulative sums over units sorted by end age and over repairs sorted by unit -- O((N + R) log N)
for N units and R repairs (see :func:`_variance`).

Bounds: normal :math:`\widehat M \pm z\,\mathrm{se}` (default) or log-transformed
:math:`\widehat M e^{\pm z\,\mathrm{se}/\widehat M}` (never negative; better for small counts).

Examples
--------
>>> from defectradar.reliability import MeanCumulativeFunction, RecurrenceData
>>> rec = RecurrenceData.from_arrays(["a", "a", "a", "b", "b", "c"], [5, 9, 12, 7, 10, 11], [1, 1, 0, 1, 0, 0])
>>> MeanCumulativeFunction().fit(rec).table_[["time", "at_risk", "mcf"]].round(4).to_dict("list")
{'time': [5.0, 7.0, 9.0], 'at_risk': [3.0, 3.0, 3.0], 'mcf': [0.3333, 0.6667, 1.0]}
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from defectradar.core.confidence import z_for
from defectradar.core.estimator import Estimator, one_of, probability
from defectradar.core.lifetimes import RecurrenceData
from defectradar.core.numbers import json_number, json_rows
from defectradar.errors import InputError

BOUNDS = ("normal", "log")


class MeanCumulativeFunction(Estimator):
    """Nelson's MCF estimate with Lawless-Nadeau robust standard errors.

    Parameters
    ----------
    confidence
        Level of the pointwise bounds (default 0.95).
    bounds
        ``normal`` (default) or ``log``.

    Attributes (after ``fit``)
    --------------------------
    table_
        One row per distinct repair age: ``time``, ``at_risk``, ``events``, ``mcf``, ``se``,
        ``lower``, ``upper``.
    n_units_, n_events_, max_end_
        Units and repairs (weighted) and the longest observation.
    """

    method: ClassVar[str] = "mcf"
    _parameter_constraints: ClassVar[dict] = {
        "confidence": (probability, "a probability between 0 and 1"),
        "bounds": one_of(*BOUNDS),
    }

    def __init__(self, confidence: float = 0.95, bounds: str = "normal"):
        self.confidence = confidence
        self.bounds = bounds

    def fit(self, data: RecurrenceData) -> "MeanCumulativeFunction":
        self._begin_fit()
        if not isinstance(data, RecurrenceData):
            raise InputError("MeanCumulativeFunction.fit takes RecurrenceData; build it with "
                             "RecurrenceData.from_arrays()")
        times, at_risk, events, mcf, variance = _mcf(data)
        se = np.sqrt(np.maximum(variance, 0.0))     # rounding can leave -1e-18 where the variance is 0
        z = z_for(self.confidence)
        if self.bounds == "normal":
            lower, upper = mcf - z * se, mcf + z * se
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                factor = np.exp(z * se / mcf)
            lower, upper = mcf / factor, mcf * factor
        self.table_ = pd.DataFrame({"time": times, "at_risk": at_risk, "events": events, "mcf": mcf, "se": se,
                                    "lower": lower, "upper": upper})
        self.n_units_, self.n_events_ = data.n_units, data.n_events
        self.max_end_ = float(data.unit_end[data.unit_weight > 0].max())
        return self

    def at(self, age) -> pd.DataFrame:
        """MCF, se and bounds at the given ages (step function; 0 before the first repair)."""
        self._check_fitted()
        age = np.atleast_1d(np.asarray(age, dtype=float))
        idx = np.searchsorted(self.table_["time"].to_numpy(), age, side="right") - 1
        out = {"time": age}
        for col in ("mcf", "se", "lower", "upper"):
            values = self.table_[col].to_numpy()
            out[col] = np.where(idx >= 0, values[np.clip(idx, 0, None)], 0.0)
        frame = pd.DataFrame(out)
        frame.loc[age > self.max_end_, ["mcf", "se", "lower", "upper"]] = np.nan   # no unit observed that long
        return frame

    @property
    def summary(self) -> pd.DataFrame:
        self._check_fitted()
        return self.table_

    def rows(self) -> list[dict]:
        """The JSON rows of ``reliability mcf``: time, at_risk, mcf, se, lower, upper."""
        self._check_fitted()
        return json_rows(self.table_, ("time", "at_risk", "mcf", "se", "lower", "upper"))

    def to_dict(self) -> dict:
        return {"method": self.method, "params": self.get_params(), "units": json_number(self.n_units_, 10),
                "events": json_number(self.n_events_, 10), "rows": self.rows()}


def _mcf(data: RecurrenceData):
    end, w = data.unit_end, data.unit_weight
    ev_unit, ev_time = data.event_unit, data.event_time
    ev_w = w[ev_unit]
    times, k_of_event = np.unique(ev_time, return_inverse=True)
    d = np.bincount(k_of_event, weights=ev_w, minlength=len(times))
    order = np.argsort(end, kind="stable")
    end_sorted, w_sorted = end[order], w[order]
    ended_before = np.searchsorted(end_sorted, times, side="left")     # units with e < t_k
    cum_w = np.concatenate(([0.0], np.cumsum(w_sorted)))
    r = cum_w[-1] - cum_w[ended_before]
    keep = d > 0                                       # repairs of weight-0 units only
    if not keep.all():
        times, d, r, ended_before = times[keep], d[keep], r[keep], ended_before[keep]
        remap = np.cumsum(keep) - 1
        live = keep[k_of_event]
        ev_unit, ev_time, ev_w, k_of_event = ev_unit[live], ev_time[live], ev_w[live], remap[k_of_event[live]]
    m = d / r
    mcf = np.cumsum(m)
    variance = _variance(end, w, order, end_sorted, ended_before, times, r, m, ev_unit, k_of_event)
    return times, r, d, mcf, variance


def _variance(end, w, order, end_sorted, ended_before, times, r, m, ev_unit, k_of_event) -> np.ndarray:
    r"""Lawless-Nadeau variance at every repair age by cumulative sums.

    For unit :math:`i` the bracket at age :math:`t` is :math:`A_i(t) = E_i(t) - C(\min(t, e_i))`.
    At :math:`t = t_k` split the units into those that ended before (:math:`e_i < t_k`, their
    bracket is frozen at :math:`F_i = E_i(e_i) - C(e_i)`) and those still at risk:

    .. math::

        V(t_k) = \sum_{e_i<t_k} w_i F_i^2 + Q(t_k) - \sum_{e_i<t_k} w_i E_i(e_i)^2
                 - 2C(t_k)\Big[G(t_k) - \sum_{e_i<t_k} w_i E_i(e_i)\Big] + C(t_k)^2 r_k,

    with :math:`Q(t) = \sum_i w_i E_i(\min(t, e_i))^2` (all units) and
    :math:`G(t) = \sum_i w_i E_i(\min(t, e_i))` (all units).
    """
    n_units, K = len(end), len(times)
    inv_r = 1.0 / r
    C = np.cumsum(m * inv_r)
    # per (unit, repair age) groups: x = n_ik / r_k
    key = ev_unit.astype(np.int64) * K + k_of_event
    groups, counts = np.unique(key, return_counts=True)
    g_unit, g_k = groups // K, groups % K
    x = counts * inv_r[g_k]
    # E before each group: running sum within the unit (groups are sorted by unit, then age)
    running = np.cumsum(x)
    unit_start = np.searchsorted(g_unit, g_unit, side="left")
    before = running - x - np.where(unit_start > 0, running[unit_start - 1], 0.0)
    wg = w[g_unit]
    q_inc = np.bincount(g_k, weights=wg * ((before + x) ** 2 - before ** 2), minlength=K)
    g_inc = np.bincount(g_k, weights=wg * x, minlength=K)
    Q, G = np.cumsum(q_inc), np.cumsum(g_inc)
    # per-unit totals and frozen brackets
    e_end = np.bincount(g_unit, weights=x, minlength=n_units)
    last_k = np.searchsorted(times, end, side="right") - 1
    c_end = np.where(last_k >= 0, C[np.clip(last_k, 0, None)], 0.0)
    f_end = e_end - c_end
    ws = w[order]
    cum = lambda v: np.concatenate(([0.0], np.cumsum(v)))  # noqa: E731
    sum_f2 = cum(ws * f_end[order] ** 2)[ended_before]
    sum_e2 = cum(ws * e_end[order] ** 2)[ended_before]
    sum_e = cum(ws * e_end[order])[ended_before]
    return sum_f2 + Q - sum_e2 - 2 * C * (G - sum_e) + C ** 2 * r


def compare_mcf(a: MeanCumulativeFunction, b: MeanCumulativeFunction, confidence: float = 0.95) -> pd.DataFrame:
    r"""Pointwise difference of two MCFs from independent populations.

    :math:`\widehat M_a(t) - \widehat M_b(t)` with standard error
    :math:`\sqrt{\mathrm{se}_a^2 + \mathrm{se}_b^2}` at every repair age of either, up to the
    shorter of the two observation spans (Nelson 2003, section 5.2; Lawless & Nadeau 1995).
    An interval that excludes 0 means the populations differ at that age.
    """
    a._check_fitted()
    b._check_fitted()
    horizon = min(a.max_end_, b.max_end_)
    times = np.union1d(a.table_["time"].to_numpy(), b.table_["time"].to_numpy())
    times = times[times <= horizon]
    if len(times) == 0:
        raise InputError("the two MCFs share no ages with units observed in both; nothing to compare")
    at_a, at_b = a.at(times), b.at(times)
    diff = at_a["mcf"].to_numpy() - at_b["mcf"].to_numpy()
    se = np.sqrt(at_a["se"].to_numpy() ** 2 + at_b["se"].to_numpy() ** 2)
    z = z_for(confidence)
    return pd.DataFrame({"time": times, "mcf_a": at_a["mcf"].to_numpy(), "mcf_b": at_b["mcf"].to_numpy(),
                         "difference": diff, "se": se, "lower": diff - z * se, "upper": diff + z * se})
