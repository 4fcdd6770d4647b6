"""Frequentist and Bayesian disproportionality statistics for every product × event pair.

For each pair the 2×2 table of distinct reports is

================  =========  =============
                  event      not event
================  =========  =============
product           a          b
not product       c          d
================  =========  =============

(see :meth:`ContingencyTable.cells`) and, vectorised over all pairs with numpy:

* PRR (Evans, Waller & Davis 2001, Pharmacoepidemiol Drug Saf 10:483-6) and its CI;
* Pearson's chi-square for the 2×2 table, with and without Yates' continuity correction;
* ROR (reporting odds ratio; van Puijenbroek et al. 2002) with Woolf's CI;
* IC with Norén's shrinkage (Norén, Hopstadius & Bate 2013, "Shrinkage observed-to-expected
  ratios for robust and transparent large-scale pattern discovery", Stat Methods Med Res 22(1));
* BCPNN as the R package PhViD computes it (``BCPNN(MC = FALSE)``: Gould 2003's normal
  approximation to the Bate et al. 1998 posterior of the IC).

Zero cells never raise; they give, by rule:

=====================  ==========================================================================
case                   result
=====================  ==========================================================================
c = 0, a > 0           PRR = +inf; its CI is NaN (Var ln PRR is infinite)
c + d = 0              PRR = NaN (the product is in every report: no comparison group)
b·c = 0, a·d > 0       ROR = +inf; b·c = 0 and a·d = 0: ROR = NaN; CI NaN if any cell is 0
a = 0 (from_counts)    PRR = ROR = 0, CIs NaN
an empty margin        chi-square and its p-value NaN (the statistic's denominator is 0)
=====================  ==========================================================================

IC, IC025/IC975 and the BCPNN quantities are finite for every table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from defectradar.core.confidence import z_for
from defectradar.core.estimator import Estimator, probability
from defectradar.core.numbers import json_ready
from defectradar.errors import InputError
from defectradar.signals.contingency import ContingencyTable
from defectradar.signals.mgps import MGPS
from defectradar.signals.signal_rules import SignalRules

LN2 = math.log(2.0)


# ---------------------------------------------------------------------- statistics
def prr(a, b, c, d, confidence: float = 0.95):
    """Proportional reporting ratio and its confidence interval (Evans et al. 2001).

    .. math::  PRR = \\frac{a/(a+b)}{c/(c+d)}, \\qquad
               CI = \\exp\\left(\\ln PRR \\pm z \\sqrt{\\tfrac1a - \\tfrac1{a+b} + \\tfrac1c - \\tfrac1{c+d}}\\right)

    with ``z = Φ⁻¹(1 - (1-confidence)/2)`` (1.959964 for 95 %).

    Examples
    --------
    >>> value, lower, upper = prr(np.array([10.]), np.array([90.]), np.array([20.]), np.array([880.]))
    >>> round(float(value[0]), 3)
    4.5
    """
    a, b, c, d = _floats(a, b, c, d)
    z = z_for(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = (a / (a + b)) / (c / (c + d))
        se = np.sqrt(1 / a - 1 / (a + b) + 1 / c - 1 / (c + d))
        defined = (a > 0) & (c > 0) & (c + d > 0)
        lower = np.where(defined, np.exp(np.log(value) - z * se), np.nan)
        upper = np.where(defined, np.exp(np.log(value) + z * se), np.nan)
    value = np.where(c + d > 0, value, np.nan)
    return value, lower, upper


def ror(a, b, c, d, confidence: float = 0.95):
    """Reporting odds ratio with Woolf's confidence interval.

    .. math::  ROR = \\frac{a d}{b c}, \\qquad
               CI = \\exp\\left(\\ln ROR \\pm z \\sqrt{\\tfrac1a + \\tfrac1b + \\tfrac1c + \\tfrac1d}\\right)
    """
    a, b, c, d = _floats(a, b, c, d)
    z = z_for(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = (a * d) / (b * c)
        se = np.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
        defined = (a > 0) & (b > 0) & (c > 0) & (d > 0)
        lower = np.where(defined, np.exp(np.log(value) - z * se), np.nan)
        upper = np.where(defined, np.exp(np.log(value) + z * se), np.nan)
    return value, lower, upper


def chi_square(a, b, c, d, yates: bool = True):
    """Pearson's chi-square statistic (1 df) of the 2×2 table.

    .. math::  χ^2 = \\frac{N \\left(\\max(|ad - bc| - δ, 0)\\right)^2}{(a+b)(c+d)(a+c)(b+d)},
               \\quad N = a+b+c+d,

    with ``δ = N/2`` for Yates' correction and ``δ = 0`` without.  The ``max(·, 0)`` is Yates'
    rule of never correcting past the expected counts, as ``scipy.stats.chi2_contingency`` does.
    """
    a, b, c, d = _floats(a, b, c, d)
    total = a + b + c + d
    excess = np.abs(a * d - b * c)
    if yates:
        excess = np.maximum(excess - total / 2, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        denominator = (a + b) * (c + d) * (a + c) * (b + d)
        return np.where(denominator > 0, total * excess**2 / denominator, np.nan)


def information_component(n, expected, confidence: float = 0.95):
    """Norén et al.'s (2013) shrinkage observed-to-expected ratio, in log2.

    .. math::  IC = \\log_2 \\frac{n + 0.5}{E + 0.5}

    and the credibility limits are ``log2`` of the ``(1∓confidence)/2`` quantiles of
    ``Gamma(shape = n + 0.5, rate = E + 0.5)`` (IC025 and IC975 for 95 %).
    """
    n, e = _floats(n, expected)
    tail = (1 - confidence) / 2
    shape, rate = n + 0.5, e + 0.5
    ic = np.log2(shape / rate)
    lower = np.log2(special.gammaincinv(shape, tail) / rate)
    upper = np.log2(special.gammaincinv(shape, 1 - tail) / rate)
    return ic, lower, upper


def bcpnn(a, n_product, n_event, total):
    """BCPNN information component as PhViD's ``BCPNN(MC = FALSE)`` computes it.

    With ``p1 = 1 + n_product``, ``p2 = 1 + N - n_product``, ``q1 = 1 + n_event``,
    ``q2 = 1 + N - n_event``, ``r1 = 1 + a`` and ``r2 = N - a - 1 + (2 + N)^2 / (q1 p1)``:

    .. math::  E[IC] = \\frac{ψ(r_1) - ψ(r_1+r_2) - (ψ(p_1) - ψ(p_1+p_2) + ψ(q_1) - ψ(q_1+q_2))}{\\ln 2}

    .. math::  V[IC] = \\frac{ψ'(r_1) - ψ'(r_1+r_2) + ψ'(p_1) - ψ'(p_1+p_2) + ψ'(q_1) - ψ'(q_1+q_2)}{(\\ln 2)^2}

    The IC is taken as Normal(E[IC], V[IC]) (Gould 2003): ``IC025`` is its 2.5 % quantile and
    ``post_h0 = P(IC < 0)``, PhViD's ``post.H0`` for ``RR0 = 1``.

    Returns
    -------
    tuple of numpy.ndarray
        ``(expected IC, IC025, post_h0)``.
    """
    a, n1, m1, total = _floats(a, n_product, n_event, total)
    p1, p2 = 1 + n1, 1 + total - n1
    q1, q2 = 1 + m1, 1 + total - m1
    r1 = 1 + a
    r2 = total - a - 1 + (2 + total) ** 2 / (q1 * p1)
    dg, tg = special.digamma, special.polygamma
    mean = (dg(r1) - dg(r1 + r2) - (dg(p1) - dg(p1 + p2) + dg(q1) - dg(q1 + q2))) / LN2
    var = (tg(1, r1) - tg(1, r1 + r2) + tg(1, p1) - tg(1, p1 + p2) + tg(1, q1) - tg(1, q1 + q2)) / LN2**2
    sd = np.sqrt(var)
    return mean, stats.norm.ppf(0.025, mean, sd), stats.norm.cdf(0.0, mean, sd)


def bcpnn_fdr(post_h0) -> np.ndarray:
    """PhViD's Bayesian FDR: for the pairs ranked by ``post_h0`` (smallest first), the FDR of
    the k first is the mean of their ``post_h0``; returned in the input order."""
    post_h0 = np.asarray(post_h0, dtype=float)
    order = np.argsort(post_h0, kind="stable")
    fdr = np.empty_like(post_h0)
    fdr[order] = np.cumsum(post_h0[order]) / np.arange(1, len(post_h0) + 1)
    return fdr


# ---------------------------------------------------------------------- estimator
class Disproportionality(Estimator):
    """PRR, chi-square, ROR, IC and BCPNN for every pair of a :class:`ContingencyTable`.

    Parameters
    ----------
    confidence
        Level of the PRR and ROR confidence intervals and of the IC limits (0.95 gives
        ``prr_lower``/``prr_upper`` at z = 1.96 and IC025/IC975).

    Attributes
    ----------
    results_
        One row per pair: the table's columns plus ``rr`` (n / expected), ``prr``,
        ``prr_lower``, ``prr_upper``, ``chi2`` (Yates-corrected), ``chi2_uncorrected``,
        ``chi2_p`` (p-value of the uncorrected chi-square, 1 df), ``ror``, ``ror_lower``,
        ``ror_upper``, ``ic``, ``ic025``, ``ic975`` (Norén), ``bcpnn_ic``, ``bcpnn_ic025``,
        ``bcpnn_post_h0`` and ``bcpnn_fdr`` (PhViD).

    Examples
    --------
    >>> rows = pd.DataFrame({"id": [1, 1, 2, 3, 4], "product": ["A", "A", "A", "B", "B"],
    ...                      "event": ["x", "y", "x", "y", "x"]})
    >>> fitted = Disproportionality().fit(ContingencyTable.from_rows(rows))
    >>> fitted.results_[["product", "event", "n", "prr"]].round(2).to_dict("records")[0]
    {'product': 'A', 'event': 'x', 'n': 2, 'prr': 2.0}
    """

    method = "disproportionality"
    _parameter_constraints = {"confidence": (probability, "a probability between 0 and 1, e.g. 0.95")}

    def __init__(self, confidence: float = 0.95):
        self.confidence = confidence

    def fit(self, table: ContingencyTable) -> "Disproportionality":
        self._validate_params()
        if not isinstance(table, ContingencyTable):
            raise InputError("disproportionality needs a ContingencyTable; build one with "
                             "ContingencyTable.from_rows(...) or ContingencyTable.from_counts(...)")
        self.results_ = _statistics(table, self.confidence)
        return self

    @property
    def summary(self) -> pd.DataFrame:
        self._check_fitted()
        return self.results_

    def to_dict(self) -> dict:
        self._check_fitted()
        return {"method": self.method, "params": self.get_params(),
                "pairs": [{k: json_ready(v) for k, v in row.items()} for row in self.results_.to_dict("records")]}


def _statistics(table: ContingencyTable, confidence: float) -> pd.DataFrame:
    out = table.pairs.copy()
    a, b, c, d = table.cells()
    n, e = out["n"].to_numpy(float), out["expected"].to_numpy(float)
    out["rr"] = n / e
    out["prr"], out["prr_lower"], out["prr_upper"] = prr(a, b, c, d, confidence)
    out["chi2"] = chi_square(a, b, c, d, yates=True)
    out["chi2_uncorrected"] = chi_square(a, b, c, d, yates=False)
    out["chi2_p"] = stats.chi2.sf(out["chi2_uncorrected"].to_numpy(), 1)
    out["ror"], out["ror_lower"], out["ror_upper"] = ror(a, b, c, d, confidence)
    out["ic"], out["ic025"], out["ic975"] = information_component(n, e, confidence)
    ic, ic025, post_h0 = bcpnn(a, out["n_product"], out["n_event"], out["total"])
    out["bcpnn_ic"], out["bcpnn_ic025"], out["bcpnn_post_h0"] = ic, ic025, post_h0
    out["bcpnn_fdr"] = bcpnn_fdr(post_h0)
    return out


# ---------------------------------------------------------------------- one-call analysis
PAIR_FIELDS = ["product", "event", "n", "expected", "rr", "prr", "prr_lower", "prr_upper", "chi2", "ror",
               "ror_lower", "ror_upper", "ic", "ic025", "ic975", "ebgm", "eb05", "eb95", "signal"]
HYPER_FIELDS = ["alpha1", "beta1", "alpha2", "beta2", "p", "loglik"]


@dataclass
class DisproportionalityResult:
    """Everything :func:`analyse` found: one row per pair, the fitted MGPS prior and the rules.

    Attributes
    ----------
    pairs
        The :class:`Disproportionality` columns plus ``ebgm``, ``eb05``, ``eb95``, one boolean
        column per signal rule, ``rules_fired`` and ``signal``.
    mgps
        The fitted :class:`~defectradar.signals.mgps.MGPS`.
    rules
        The :class:`~defectradar.signals.signal_rules.SignalRules` applied.
    """

    pairs: pd.DataFrame
    mgps: MGPS
    rules: SignalRules

    @property
    def signals(self) -> pd.DataFrame:
        """The pairs flagged as signals, strongest EB05 first."""
        return self.pairs[self.pairs["signal"]].sort_values("eb05", ascending=False)

    @property
    def summary(self) -> pd.DataFrame:
        return self.pairs

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict: ``{"hyperparameters": {...}, "pairs": [{...}, ...]}`` (inf/NaN -> None)."""
        hyper = {k: json_ready(v) for k, v in self.mgps.to_dict()["hyperparameters"].items()}
        pairs = [{k: json_ready(v) for k, v in zip(PAIR_FIELDS, row)}
                 for row in self.pairs[PAIR_FIELDS].itertuples(index=False, name=None)]
        return {"hyperparameters": {k: hyper[k] for k in HYPER_FIELDS}, "pairs": pairs}


def analyse(table: ContingencyTable, rules: SignalRules | None = None,
            mgps: MGPS | None = None) -> DisproportionalityResult:
    """Score every pair of ``table`` with all statistics and flag signals.

    Parameters
    ----------
    table
        Counts from :meth:`ContingencyTable.from_rows` or :meth:`ContingencyTable.from_counts`.
    rules
        Signal rules; ``None`` uses :class:`SignalRules`' defaults (any of Evans, ROR025 > 1,
        IC025 > 0, EB05 >= 2).
    mgps
        The MGPS model: ``None`` fits ``MGPS()`` on ``table``; an unfitted instance is fitted
        on ``table``; a fitted one is reused (its prior scores this table).

    Returns
    -------
    DisproportionalityResult

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> rows = pd.DataFrame({"id": np.arange(400), "product": rng.choice(list("ABCDE"), 400),
    ...                      "event": rng.choice(list("vwxyz"), 400)})
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # 25 pairs drawn at random cannot pin the prior down
    ...     result = analyse(ContingencyTable.from_rows(rows))
    >>> sorted(result.to_dict())
    ['hyperparameters', 'pairs']
    """
    rules = SignalRules() if rules is None else rules
    if not isinstance(rules, SignalRules):
        raise InputError(f"rules must be a SignalRules, not {type(rules).__name__}")
    model = MGPS() if mgps is None else mgps
    if not isinstance(model, MGPS):
        raise InputError(f"mgps must be an MGPS estimator, not {type(model).__name__}")
    pairs = Disproportionality().fit(table).results_
    if not hasattr(model, "loglik_"):
        model.fit(table)
    post = model.posterior(pairs["n"], pairs["expected"])
    pairs["ebgm"], pairs["eb05"], pairs["eb95"] = post.ebgm, post.eb05, post.eb95
    flags = rules.apply(pairs)
    pairs = pd.concat([pairs, flags], axis=1)
    return DisproportionalityResult(pairs, model, rules)


# ---------------------------------------------------------------------- helpers
def _floats(*arrays):
    return tuple(np.asarray(x, dtype=float) for x in arrays)


