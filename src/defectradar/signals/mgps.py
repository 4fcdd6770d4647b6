"""DuMouchel's (Multi-item) Gamma Poisson Shrinker: empirical-Bayes relative reporting rates.

Follows DuMouchel (1999), "Bayesian Data Mining in Large Frequency Tables, With an Application to
the FDA Spontaneous Reporting System", The American Statistician 53(3), DuMouchel & Pregibon
(2001), "Empirical Bayes Screening for Multi-item Associations", KDD '01, and the R package
openEBGM (Canida & Ihrie 2017) function by function: ``negLLsquash``/``negLLzeroSquash`` (the
likelihood), ``autoHyper``/``exploreHypers`` (several starting points), ``squashData``/
``autoSquash`` (data squashing), ``Qn``, ``ebgm`` and ``quantBisect`` (the posterior).

Model.  For a pair with count *N* and expected count *E*, ``N | λ ~ Poisson(λ E)`` and the
relative rate λ has the prior ``P·Gamma(α1, β1) + (1-P)·Gamma(α2, β2)`` (shape, rate).  The
marginal of *N* is then a mixture of negative binomials

.. math::  f(n) = P\\,NB(n; α_1, \\tfrac{β_1}{β_1+E}) + (1-P)\\,NB(n; α_2, \\tfrac{β_2}{β_2+E}),
           \\quad NB(n; α, p) = \\frac{Γ(α+n)}{Γ(α)\\,n!} p^{α} (1-p)^{n}.

Only pairs with ``N >= N*`` are used (usually ``N* = 1``: zero cells are not listed), so each
component is truncated below *N** before mixing, ``NB*(n) = NB(n) / (1 - F_NB(N*-1))``, and the
hyperparameters θ = (α1, β1, α2, β2, P) maximise ``sum_i w_i log f*(n_i)`` (``w_i`` are squashing
weights, 1 without squashing).

Posterior.  ``λ | N=n`` is ``Q_n·Gamma(α1+n, β1+E) + (1-Q_n)·Gamma(α2+n, β2+E)`` with

.. math::  Q_n = \\frac{P\\,NB(n; α_1, β_1/(β_1+E))}{P\\,NB(n; α_1, ·) + (1-P)\\,NB(n; α_2, ·)},

.. math::  EBGM = \\exp E[\\ln λ | n] = \\exp\\{Q_n(ψ(α_1+n) - \\ln(β_1+E)) + (1-Q_n)(ψ(α_2+n) - \\ln(β_2+E))\\},

and EB05/EB95 are the 5 % and 95 % quantiles of that posterior mixture.
"""

from __future__ import annotations

import math
import warnings
from typing import NamedTuple, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, special

from defectradar.core.estimator import Estimator, positive, positive_int
from defectradar.errors import InputError
from defectradar.signals.contingency import ContingencyTable

HYPERPARAMETERS = ("alpha1", "beta1", "alpha2", "beta2", "p")

# openEBGM's vignette starting points ("Empirical Bayes Metrics with openEBGM"); the first is
# DuMouchel's (1999) "lightly justified" initial guess.
DEFAULT_THETA_INIT = ((0.2, 0.1, 2.0, 4.0, 1 / 3), (0.1, 0.1, 10.0, 10.0, 0.2), (0.3, 0.5, 6.0, 6.0, 0.5),
                      (0.5, 0.3, 12.0, 12.0, 0.8), (0.2, 0.2, 5.0, 5.0, 0.4))
# openEBGM autoSquash defaults.
DEFAULT_KEEP_PTS = (100, 75, 50, 25)
DEFAULT_CUT_OFFS = (500, 1_000, 10_000, 100_000, 500_000, 1_000_000, 5_000_000)
DEFAULT_SUPER_PTS = (50, 75, 150, 500, 750, 1_000, 2_000, 5_000)
_LOWER = 1e-8  # lower bound for α, β and P in the optimiser (they must stay positive)


class MGPSConvergenceWarning(UserWarning):
    """The prior's hyperparameters did not converge consistently; EBGM values are doubtful."""


class Posterior(NamedTuple):
    """Posterior summaries per pair: geometric mean and 5 % / 95 % quantiles of λ."""

    ebgm: np.ndarray
    eb05: np.ndarray
    eb95: np.ndarray


def _whole(value, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _theta_rows(value) -> bool:
    try:
        rows = [tuple(float(x) for x in row) for row in value]
    except (TypeError, ValueError):
        return False
    return len(rows) >= 1 and all(len(r) == 5 and min(r) > 0 and r[4] < 1 and all(map(math.isfinite, r))
                                  for r in rows)


class MGPS(Estimator):
    """Multi-item Gamma Poisson Shrinker (DuMouchel 1999) with openEBGM's estimation choices.

    Parameters
    ----------
    n_star
        Smallest count used to fit the prior (``N*``); pairs with ``n < n_star`` are ignored
        for fitting and each negative binomial is truncated below it.  0 fits an untruncated
        likelihood and needs a table built with ``zeroes=True``.
    squash
        Squash the fitting data first (openEBGM ``autoSquash``): for each count, pairs with
        close *E* are merged into weighted super-points.  Use for tables of 10^5+ pairs.
        Data frames that already carry a ``weight`` column are taken as squashed.
    squash_keep_pts, squash_cut_offs, squash_super_pts
        ``autoSquash``'s ``keep_pts``, ``cut_offs`` and ``num_super_pts``.
    theta_init
        Starting points (α1, β1, α2, β2, P), one per row; every one is optimised.
    param_limit
        Upper bound for α and β (openEBGM ``param_limit``); an estimate on a bound is not accepted.
    min_conv
        How many other starting points must reach (nearly) the same estimate as the best one
        (openEBGM ``autoHyper``'s ``min_conv``); 0 skips the check.
    max_iter
        Iteration limit of each optimisation.

    Attributes
    ----------
    alpha1_, beta1_, alpha2_, beta2_, p_
        Hyperparameter estimates; component 1 is the one with the larger prior mean α/β.
    loglik_
        Maximised log-likelihood of the (squashed, weighted) fitting data.
    converged_
        Whether the best start converged inside the bounds and ``min_conv`` others agree.
    starts_
        One row per starting point: estimates, log-likelihood, convergence.
    n_points_
        Number of (weighted) points the likelihood was evaluated on.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> e = rng.lognormal(-1, 1.5, 3000)
    >>> n = rng.poisson(rng.gamma(2.0, 1 / 2.0, 3000) * e)
    >>> model = MGPS(min_conv=0).fit(pd.DataFrame({"n": n, "expected": e}))
    >>> post = model.posterior([5], [0.5])
    >>> bool(post.eb05[0] < post.ebgm[0] < post.eb95[0])
    True
    """

    method = "mgps"
    _parameter_constraints = {
        "n_star": (lambda v: _whole(v, 0), "a whole number >= 0"),
        "squash": (lambda v: isinstance(v, bool), "True or False"),
        "squash_keep_pts": (lambda v: isinstance(v, (tuple, list)) and len(v) > 0 and all(_whole(x, 0) for x in v),
                            "a non-empty list of whole numbers >= 0"),
        "squash_cut_offs": (lambda v: isinstance(v, (tuple, list)) and len(v) > 0
                            and all(positive(x) for x in v) and list(v) == sorted(v),
                            "an increasing list of positive numbers"),
        "squash_super_pts": (lambda v: isinstance(v, (tuple, list)) and all(positive_int(x) for x in v),
                             "a list of positive whole numbers, one longer than squash_cut_offs"),
        "theta_init": (_theta_rows, "rows of five positive numbers (alpha1, beta1, alpha2, beta2, p) with p < 1"),
        "param_limit": (positive, "a positive number"),
        "min_conv": (lambda v: _whole(v, 0), "a whole number >= 0"),
        "max_iter": (positive_int, "a positive whole number"),
    }

    def __init__(self, n_star: int = 1, squash: bool = False, squash_keep_pts=DEFAULT_KEEP_PTS,
                 squash_cut_offs=DEFAULT_CUT_OFFS, squash_super_pts=DEFAULT_SUPER_PTS,
                 theta_init=DEFAULT_THETA_INIT, param_limit: float = 100.0, min_conv: int = 1,
                 max_iter: int = 500):
        self.n_star = n_star
        self.squash = squash
        self.squash_keep_pts = squash_keep_pts
        self.squash_cut_offs = squash_cut_offs
        self.squash_super_pts = squash_super_pts
        self.theta_init = theta_init
        self.param_limit = param_limit
        self.min_conv = min_conv
        self.max_iter = max_iter

    # ------------------------------------------------------------------ fitting
    def fit(self, table: ContingencyTable | pd.DataFrame) -> "MGPS":
        """Estimate the prior's hyperparameters by maximum marginal likelihood.

        Parameters
        ----------
        table
            A :class:`ContingencyTable`, or a DataFrame with columns ``n`` and ``expected``
            (and ``weight`` if already squashed, e.g. by :func:`squash_data`).

        Returns
        -------
        MGPS
            ``self``, with ``alpha1_ … p_``, ``loglik_`` and ``converged_`` set.
        """
        self._validate_params()
        if len(self.squash_super_pts) != len(self.squash_cut_offs) + 1:
            raise InputError("mgps: squash_super_pts must have one more entry than squash_cut_offs")
        n, e, w, squashed = _fit_data(table)
        keep = n >= self.n_star
        n, e, w = n[keep], e[keep], w[keep]
        if len(n) == 0:
            raise InputError(f"mgps: no pairs with n >= n_star ({self.n_star}); lower n_star")
        if self.squash and not squashed:
            data = auto_squash(pd.DataFrame({"n": n, "expected": e}), self.squash_keep_pts,
                               self.squash_cut_offs, self.squash_super_pts)
            n, e, w = (data[c].to_numpy(dtype=float) for c in ("n", "expected", "weight"))
        n, e, w = _collapse(n, e, w)
        self.n_points_ = len(n)

        rows = []
        for start in self.theta_init:
            rows.append(self._optimise(np.asarray(start, dtype=float), n, e, w))
        starts = pd.DataFrame(rows)
        ok = starts["converged"] & starts["in_bounds"]
        if not ok.any():
            ok = starts["loglik"].notna()
        if not ok.any():
            raise InputError("mgps: the likelihood could not be evaluated from any starting point; "
                             "check the counts and expected counts")
        best = starts[ok]["loglik"].idxmax()
        theta = starts.loc[best, list(HYPERPARAMETERS)].to_numpy(dtype=float)
        n_close = sum(_close(theta, starts.loc[i, list(HYPERPARAMETERS)].to_numpy(dtype=float))
                      for i in starts.index if i != best and bool(starts.loc[i, "converged"]))
        starts["chosen"] = starts.index == best
        self.starts_ = starts
        self.alpha1_, self.beta1_, self.alpha2_, self.beta2_, self.p_ = (float(x) for x in theta)
        self.loglik_ = float(starts.loc[best, "loglik"])
        self.n_close_ = int(n_close)
        self.converged_ = bool(starts.loc[best, "converged"] and starts.loc[best, "in_bounds"]
                               and n_close >= min(self.min_conv, len(starts) - 1))
        if not self.converged_:
            warnings.warn("mgps: the hyperparameter estimates did not converge consistently from the "
                          f"{len(starts)} starting points (see starts_). Try squash=True or other "
                          "theta_init rows; with few pairs the prior is poorly determined.",
                          MGPSConvergenceWarning, stacklevel=2)
        return self

    def _optimise(self, start: np.ndarray, n, e, w) -> dict:
        upper = self.param_limit
        bounds = [(_LOWER, upper), (_LOWER, upper), (_LOWER, upper), (_LOWER, upper), (_LOWER, 1 - _LOWER)]
        start = np.clip(start, [b[0] for b in bounds], [b[1] for b in bounds])
        # The likelihood is optimised per unit of weight: with gradients of order one the first
        # L-BFGS-B step (along the raw gradient) stays near the start instead of jumping to a bound.
        scale = 1.0 / float(np.sum(w))

        def objective(theta):
            value, grad = negloglik(theta, n, e, w, self.n_star, gradient=True)
            return value * scale, grad * scale

        with np.errstate(all="ignore"):
            res = optimize.minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds,
                                    options={"maxiter": self.max_iter, "ftol": 1e-13, "gtol": 1e-9})
        res.fun = res.fun / scale
        theta = _canonical(res.x)
        ab = theta[:4]
        in_bounds = bool((ab > 10 * _LOWER).all() and (ab < upper * (1 - 1e-6)).all()
                         and 10 * _LOWER < theta[4] < 1 - 10 * _LOWER)
        loglik = -float(res.fun) if np.isfinite(res.fun) else np.nan
        return {**{f"start_{k}": v for k, v in zip(HYPERPARAMETERS, start)},
                **dict(zip(HYPERPARAMETERS, theta)), "loglik": loglik,
                "converged": bool(res.success) and np.isfinite(loglik), "in_bounds": in_bounds,
                "iterations": int(res.nit)}

    # ------------------------------------------------------------------ posterior
    @property
    def theta_(self) -> np.ndarray:
        self._check_fitted()
        return np.array([self.alpha1_, self.beta1_, self.alpha2_, self.beta2_, self.p_])

    def qn(self, n, e) -> np.ndarray:
        """Posterior probability that λ comes from prior component 1 (DuMouchel 1999, eq. 6)."""
        n, e = _pair_arrays(n, e)
        return _qn(self.theta_, n, e)

    def posterior(self, n, e) -> Posterior:
        """EBGM, EB05 and EB95 for counts ``n`` with expected counts ``e`` (arrays, one per pair).

        ``EBGM = exp(E[ln λ | n])`` (DuMouchel 1999, eq. 9-11); ``EB05``/``EB95`` solve
        ``Q_n G1(x) + (1-Q_n) G2(x) = 0.05 / 0.95`` with ``G_k`` the posterior gamma CDFs (openEBGM
        ``quantBisect``, here bracketed by the two components' own quantiles and solved to
        ~1e-10 relative precision instead of rounding to 2 decimals).
        """
        n, e = _pair_arrays(n, e)
        theta = self.theta_
        # Many pairs share (n, E) — same margins — so compute each distinct pair once.
        inverse, un, ue = _distinct_pairs(n, e)
        q = _qn(theta, un, ue)
        log_gm = q * (special.digamma(theta[0] + un) - np.log(theta[1] + ue)) + \
            (1 - q) * (special.digamma(theta[2] + un) - np.log(theta[3] + ue))
        eb05 = _mixture_quantile(0.05, theta, un, ue, q)
        eb95 = _mixture_quantile(0.95, theta, un, ue, q)
        return Posterior(np.exp(log_gm)[inverse], eb05[inverse], eb95[inverse])

    def quantile(self, prob: float, n, e) -> np.ndarray:
        """Any quantile ``prob`` (0 < prob < 1) of the posterior of λ for each pair."""
        if not 0 < prob < 1:
            raise InputError(f"mgps: quantile probability must be between 0 and 1, not {prob!r}")
        n, e = _pair_arrays(n, e)
        return _mixture_quantile(prob, self.theta_, n, e, _qn(self.theta_, n, e))

    # ------------------------------------------------------------------ output
    @property
    def summary(self) -> pd.DataFrame:
        """The hyperparameter estimates, one row each, with the prior mean α/β of each component."""
        self._check_fitted()
        t = self.theta_
        return pd.DataFrame({"estimate": t,
                             "component_mean": [t[0] / t[1], np.nan, t[2] / t[3], np.nan, np.nan]},
                            index=pd.Index(HYPERPARAMETERS, name="parameter"))

    def to_dict(self) -> dict:
        self._check_fitted()
        params = {k: (list(map(list, v)) if k == "theta_init" else list(v) if isinstance(v, tuple) else v)
                  for k, v in self.get_params().items()}
        return {"method": self.method, "params": params,
                "hyperparameters": {**dict(zip(HYPERPARAMETERS, map(float, self.theta_))),
                                    "loglik": self.loglik_},
                "converged": self.converged_, "n_points": self.n_points_}


# ---------------------------------------------------------------------- likelihood
def _log_nb(n, e, alpha, beta):
    """log NB(n; α, β/(β+E)) and log p with p = β/(β+E), accurate for E ≪ β."""
    ratio = e / beta
    log_p = -np.log1p(ratio)
    log_q = np.log(ratio) + log_p  # log(E/(β+E))
    return special.gammaln(alpha + n) - special.gammaln(alpha) - special.gammaln(n + 1) + alpha * log_p \
        + n * log_q, log_p


def negloglik(theta, n, e, w, n_star: int = 1, gradient: bool = False):
    """Negative log-likelihood of θ = (α1, β1, α2, β2, P), as openEBGM ``negLLsquash``.

    ``-sum_i w_i log(P NB*_1(n_i) + (1-P) NB*_2(n_i))``, each ``NB*`` truncated below
    ``n_star``: ``NB* = NB / P(N >= n_star)`` (no truncation when ``n_star = 0``: openEBGM
    ``negLLzeroSquash``).  ``P(N >= 1) = 1 - p^α``; for ``n_star >= 2``
    ``P(N >= k) = I_q(k, α)``, the regularised incomplete beta function with ``q = E/(β+E)``.
    With ``gradient=True`` also returns the gradient (analytic, except ∂/∂α of ``I_q(k, α)``,
    a central difference).
    """
    a1, b1, a2, b2, p = (float(x) for x in theta)
    parts = []
    for alpha, beta in ((a1, b1), (a2, b2)):
        lf, log_p = _log_nb(n, e, alpha, beta)
        trunc, d_alpha, d_beta = _truncation(n_star, e, alpha, beta, log_p, gradient)
        parts.append((lf - trunc, log_p, d_alpha, d_beta, alpha, beta))
    l1, l2 = parts[0][0], parts[1][0]
    ll = np.logaddexp(math.log(p) + l1, math.log1p(-p) + l2)
    value = -float(np.sum(w * ll))
    if not gradient:
        return value
    r1 = np.exp(math.log(p) + l1 - ll)  # posterior responsibility of component 1
    grad = np.empty(5)
    for k, (r, (_, log_p, t_alpha, t_beta, alpha, beta)) in enumerate(((r1, parts[0]), (1 - r1, parts[1]))):
        d_alpha = special.digamma(alpha + n) - special.digamma(alpha) + log_p - t_alpha
        d_beta = alpha / beta - (alpha + n) / (beta + e) - t_beta
        grad[2 * k] = -np.sum(w * r * d_alpha)
        grad[2 * k + 1] = -np.sum(w * r * d_beta)
    grad[4] = -np.sum(w * (r1 / p - (1 - r1) / (1 - p)))
    return value, grad


def _truncation(n_star, e, alpha, beta, log_p, gradient):
    """log P(N >= n_star) under NB(α, β/(β+E)) and its derivatives in α and β."""
    if n_star <= 0:
        return 0.0, 0.0, 0.0
    dlogp_db = e / (beta * (beta + e))  # d log p / dβ
    if n_star == 1:
        u = alpha * log_p  # log p^α
        trunc = np.log(-np.expm1(u))
        if not gradient:
            return trunc, 0.0, 0.0
        odds = 1.0 / np.expm1(-u)  # p^α / (1 - p^α)
        return trunc, -log_p * odds, -alpha * dlogp_db * odds
    q = -np.expm1(log_p)  # E / (β + E)
    trunc = np.log(special.betainc(n_star, alpha, q))
    if not gradient:
        return trunc, 0.0, 0.0
    h = 1e-6 * max(alpha, 1.0)
    t_alpha = (np.log(special.betainc(n_star, alpha + h, q)) - np.log(special.betainc(n_star, alpha - h, q))) / (2 * h)
    # dI_q(k, α)/dq = q^(k-1) (1-q)^(α-1) / B(k, α) and dq/dβ = -E / (β+E)^2.
    log_density = (n_star - 1) * np.log(q) + (alpha - 1) * log_p - special.betaln(n_star, alpha)
    t_beta = -np.exp(log_density - trunc) * e / (beta + e) ** 2
    return trunc, t_alpha, t_beta


def _qn(theta, n, e) -> np.ndarray:
    # openEBGM Qn: untruncated negative binomials, as the truncation is a fitting device only.
    l1, _ = _log_nb(n, e, theta[0], theta[1])
    l2, _ = _log_nb(n, e, theta[2], theta[3])
    return special.expit(math.log(theta[4]) + l1 - math.log1p(-theta[4]) - l2)


def _mixture_quantile(prob, theta, n, e, q) -> np.ndarray:
    """Solve Q G(x; α1+n, β1+E) + (1-Q) G(x; α2+n, β2+E) = prob for x, vectorised.

    Bracketed by the components' own quantiles (the mixture CDF is below ``prob`` at the
    smaller and above it at the larger), then Newton steps that fall back to bisection when they
    leave the bracket (openEBGM uses plain bisection from [-1e5, 1e5]).  Only pairs not yet
    converged (relative step <= 1e-12) are iterated.
    """
    shape1, rate1 = theta[0] + n, theta[1] + e
    shape2, rate2 = theta[2] + n, theta[3] + e
    x1 = special.gammaincinv(shape1, prob) / rate1
    x2 = special.gammaincinv(shape2, prob) / rate2
    lo, hi = np.minimum(x1, x2), np.maximum(x1, x2)
    x = np.where(q >= 0.5, x1, x2)
    active = np.flatnonzero(lo < hi)
    for _ in range(200):
        if active.size == 0:
            break
        xi, qi = x[active], q[active]
        s1, r1, s2, r2 = shape1[active], rate1[active], shape2[active], rate2[active]
        err = qi * special.gammainc(s1, r1 * xi) + (1 - qi) * special.gammainc(s2, r2 * xi) - prob
        lo[active] = np.where(err < 0, xi, lo[active])
        hi[active] = np.where(err > 0, xi, hi[active])
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            pdf = qi * _gamma_pdf(xi, s1, r1) + (1 - qi) * _gamma_pdf(xi, s2, r2)
            step = xi - err / pdf
        inside = np.isfinite(step) & (step >= lo[active]) & (step <= hi[active])
        x_new = np.where(err == 0, xi, np.where(inside, step, (lo[active] + hi[active]) / 2))
        x[active] = x_new
        active = active[np.abs(x_new - xi) > 1e-12 * xi]
    return x


def _gamma_pdf(x, shape, rate):
    return np.exp(shape * np.log(rate) + (shape - 1) * np.log(x) - rate * x - special.gammaln(shape))


# ---------------------------------------------------------------------- squashing
def squash_data(data: pd.DataFrame, count: int = 1, bin_size: int = 50, keep_pts: int = 100,
                min_bin: int = 50, min_pts: int = 500) -> pd.DataFrame:
    """Squash the pairs with ``n == count`` into weighted super-points (openEBGM ``squashData``).

    Pairs with that count are sorted by *E*; the ``keep_pts`` largest *E* stay as they are
    (large *E* vary most); the rest are cut, in order, into bins of ``bin_size`` (the last one
    may be partial), each replaced by one point at the bin's mean *E* with weight = bin size
    (DuMouchel & Pregibon 2001).

    Parameters
    ----------
    data
        Columns ``n``, ``expected`` and optionally ``weight`` (from an earlier squash).
    count, bin_size, keep_pts, min_bin, min_pts
        As openEBGM: squash count ``count``; refuse if fewer than ``min_pts`` points or fewer
        than ``min_bin`` bins would result.

    Returns
    -------
    pandas.DataFrame
        Columns ``n``, ``expected``, ``weight``, sorted by ``n``.
    """
    n, e, w = _squash_input(data)
    if bin_size < 2:
        raise InputError("squash: bin_size must be at least 2")
    if keep_pts < 0 or count < 0:
        raise InputError("squash: keep_pts and count must be non-negative")
    this = n == count
    if (w[this] > 1).any():
        raise InputError(f"squash: the pairs with n = {count} have already been squashed")
    num = int(this.sum())
    if num < min_pts:
        raise InputError(f"squash: only {num} pairs have n = {count} (min_pts = {min_pts}); not enough to squash")
    if num / bin_size < min_bin:
        raise InputError(f"squash: {num} pairs with n = {count} make fewer than min_bin = {min_bin} bins of "
                         f"{bin_size}; reduce bin_size")
    order = np.argsort(e[this], kind="stable")
    e_sorted = e[this][order]
    num_squash = num - keep_pts
    if num_squash < bin_size:
        raise InputError("squash: reduce bin_size or keep_pts — fewer points to squash than one bin")
    bins = np.arange(num_squash) // bin_size
    sums = np.bincount(bins, weights=e_sorted[:num_squash])
    sizes = np.bincount(bins)
    out_n = np.concatenate([n[~this], np.full(len(sums), float(count)), np.full(keep_pts, float(count))])
    out_e = np.concatenate([e[~this], sums / sizes, e_sorted[num_squash:]])
    out_w = np.concatenate([w[~this], sizes.astype(float), np.ones(keep_pts)])
    # openEBGM orders by N only (data.table's stable setorder), keeping this within-count order.
    idx = np.argsort(out_n, kind="stable")
    return pd.DataFrame({"n": out_n[idx].astype("int64"), "expected": out_e[idx], "weight": out_w[idx]})


def auto_squash(data: pd.DataFrame, keep_pts: Sequence[int] = DEFAULT_KEEP_PTS,
                cut_offs: Sequence[float] = DEFAULT_CUT_OFFS,
                num_super_pts: Sequence[int] = DEFAULT_SUPER_PTS) -> pd.DataFrame:
    """Squash every count at once, as openEBGM ``autoSquash``.

    Counts are squashed in increasing order if they have more than ``max(keep_pts) + 1`` pairs.
    The k-th such count keeps ``keep_pts[k]`` (the last entry thereafter) points unsquashed;
    the other ``m`` points become ``num_super_pts[j]`` super-points, ``j`` the first cut-off with
    ``m < cut_offs[j]``, using bins of ``max(floor(m / num_super_pts[j]), 2)``.
    """
    n, e, w = _squash_input(data)
    out = pd.DataFrame({"n": n.astype("int64"), "expected": e, "weight": w})
    counts, sizes = np.unique(n, return_counts=True)
    large = sizes > max(keep_pts) + 1
    counts, sizes = counts[large], sizes[large]
    for position, (count, size) in enumerate(zip(counts, sizes)):
        keep = keep_pts[min(position, len(keep_pts) - 1)]
        to_squash = size - keep
        index = int(np.flatnonzero(to_squash < np.asarray([*cut_offs, np.inf]))[0])
        bin_size = max(int(to_squash // num_super_pts[index]), 2)
        out = squash_data(out, count=int(count), bin_size=bin_size, keep_pts=keep, min_bin=1, min_pts=1)
    return out


# ---------------------------------------------------------------------- helpers
def _squash_input(data: pd.DataFrame):
    if not isinstance(data, pd.DataFrame) or not {"n", "expected"} <= set(data.columns):
        raise InputError("squash: need a DataFrame with columns 'n' and 'expected'")
    n, e = _pair_arrays(data["n"], data["expected"])
    w = data["weight"].to_numpy(dtype=float) if "weight" in data.columns else np.ones(len(n))
    return n, e, w


def _fit_data(table):
    if isinstance(table, ContingencyTable):
        df = table.pairs
    elif isinstance(table, pd.DataFrame):
        df = table
    else:
        raise InputError(f"mgps: fit needs a ContingencyTable or a DataFrame, not {type(table).__name__}")
    missing = [c for c in ("n", "expected") if c not in df.columns]
    if missing:
        raise InputError(f"mgps: missing column {', '.join(map(repr, missing))}; give a ContingencyTable or "
                         "a DataFrame with columns n and expected")
    n, e = _pair_arrays(df["n"], df["expected"])
    squashed = "weight" in df.columns
    w = df["weight"].to_numpy(dtype=float) if squashed else np.ones(len(n))
    if squashed and (~np.isfinite(w) | (w <= 0)).any():
        raise InputError("mgps: column 'weight' must hold positive numbers")
    return n, e, w, squashed


def _pair_arrays(n, e):
    n = np.asarray(n, dtype=float).ravel()
    e = np.asarray(e, dtype=float).ravel()
    if n.shape != e.shape:
        raise InputError(f"mgps: {len(n)} counts but {len(e)} expected counts; give one of each per pair")
    if not np.isfinite(n).all() or (n < 0).any() or (n != np.round(n)).any():
        raise InputError("mgps: counts n must be whole numbers >= 0 with no missing values")
    if not np.isfinite(e).all() or (e <= 0).any():
        raise InputError("mgps: expected counts must be positive numbers with no missing values")
    return n, e


def _collapse(n, e, w):
    # Identical (n, E) points contribute identically: summing their weights is exact and makes
    # each likelihood evaluation cheaper (many pairs share margins, hence E).
    inverse, un, ue = _distinct_pairs(n, e)
    return un, ue, np.bincount(inverse, weights=w)


def _distinct_pairs(n, e):
    """Distinct (n, e) pairs by hashing (O(size), unlike a sort): ``inverse`` maps back."""
    code_n, values_n = pd.factorize(n)
    code_e, values_e = pd.factorize(e)
    inverse, combined = pd.factorize(code_n.astype(np.int64) * len(values_e) + code_e)
    return inverse, values_n[combined // len(values_e)].astype(float), values_e[combined % len(values_e)].astype(float)


def _canonical(theta) -> np.ndarray:
    # The mixture is unchanged when its components swap (P <-> 1-P); report the component with
    # the larger prior mean α/β first, as in DuMouchel's starting point and openEBGM's estimates.
    a1, b1, a2, b2, p = (float(x) for x in theta)
    if a1 / b1 < a2 / b2:
        return np.array([a2, b2, a1, b1, 1 - p])
    return np.array([a1, b1, a2, b2, p])


def _close(t1, t2, tol=(0.05, 0.05, 0.2, 0.2, 0.025)) -> bool:
    # openEBGM autoHyper's default tolerances for "the same estimate".
    return bool(np.all(np.abs(np.asarray(t1) - np.asarray(t2)) < np.asarray(tol)))
