"""GLR detectors for a step increase in the mean of a count series (Poisson and negative binomial).

Follows M. Höhle and M. Paul, "Count data regression charts for the monitoring of surveillance
time series", Comput. Stat. Data Anal. 52 (2008) 4357-4368, as implemented in the R package
surveillance (``algo.glrpois`` / ``algo.glrnb`` with ``change="intercept"``, ``dir="inc"``,
``ret="value"``; C routines ``glr_cusum``, ``glr_cusum_window`` and ``glr_nb_window`` in
``surveillance/src/surveillance.c``, version 1.20.3).

Model.  In control, :math:`x_t` has mean :math:`\\mu_{0,t}`; after an unknown change point
:math:`k` the mean is :math:`\\mu_{1,t} = e^{\\kappa}\\mu_{0,t}` with :math:`\\kappa > 0`.
The GLR statistic at the current period :math:`n` (periods counted from the last restart) is

.. math::  \\mathrm{GLR}(n) = \\max_{k} \\sup_{\\kappa \\ge 0} \\; l_{n,k}(\\kappa), \\qquad
           l_{n,k}(\\kappa) = \\sum_{t=k}^{n} \\log \\frac{f(x_t; e^{\\kappa}\\mu_{0,t})}{f(x_t; \\mu_{0,t})}.

*Poisson*: :math:`\\hat\\kappa = \\max(0, \\log(\\sum x_t / \\sum \\mu_{0,t}))` and
:math:`l_{n,k} = \\hat\\kappa \\sum x_t + (1 - e^{\\hat\\kappa}) \\sum \\mu_{0,t}`.
*Negative binomial* (variance :math:`\\mu + \\alpha\\mu^2`, :math:`\\alpha` fixed):
:math:`l_{n,k}(\\kappa) = \\sum \\kappa x_t + (x_t + 1/\\alpha) \\log\\frac{1 + \\alpha\\mu_{0,t}}
{1 + \\alpha\\mu_{0,t}e^{\\kappa}}`, maximised numerically (its score is decreasing in
:math:`\\kappa`, so the root is bracketed and found by safeguarded Newton steps; surveillance uses
plain Newton steps warm-started from the previous :math:`k`, which reaches the same maximum
whenever it converges).

An alarm sounds at the first :math:`n` with :math:`\\mathrm{GLR}(n) \\ge c_{ARL}`; the chart then
restarts at the next period (as surveillance does).  ``window`` (surveillance's ``M``) limits the
change points to the last ``window`` periods; ``mtilde`` is the number of periods needed to
estimate :math:`\\kappa`.  Two surveillance details are kept so results match: in the
*windowed Poisson* chart the change point ranges over :math:`\\max(0, n-M) \\le k \\le n-\\tilde M`
and the first :math:`\\tilde M` periods after a (re)start are not scored, while the negative
binomial chart uses :math:`\\max(0, n-M) \\le k \\le n-\\tilde M+1` from period
:math:`\\tilde M - 1` on.

:math:`\\mu_{0,t}` is either given or predicted by surveillance's ``estimateGLRNbHook`` model fitted
to the history periods (1-based time index :math:`t`, :math:`p` periods per year):
:math:`\\log\\mu_{0,t} = \\beta_0 [+ \\beta_1 t] + \\sum_{s=1}^{S} \\gamma_s\\cos(2\\pi s t/p) +
\\delta_s\\sin(2\\pi s t/p)`, a Poisson GLM for ``glr-poisson`` and a negative binomial GLM for
``glr-nb`` (with :math:`\\alpha` estimated jointly by maximum likelihood, as ``MASS::glm.nb``,
unless given).

``threshold_`` is the smallest count that would sound the alarm at that period given the counts
since the last restart (surveillance's ``ret="cases"``): the alarm sounds when
``count >= threshold``; it is infinite where no alarm is possible (``mtilde`` burn-in).

Examples
--------
>>> from datetime import date, timedelta
>>> from defectradar.core.series import CountSeries
>>> weeks = [date(2024, 1, 1) + timedelta(7 * i) for i in range(12)]
>>> series = CountSeries(weeks, [2, 3, 2, 1, 2, 3, 2, 2, 9, 8, 10, 2])
>>> GlrPoisson(mu0=2.0).fit(series, start=6).alarm_.astype(int).tolist()
[0, 0, 1, 1, 1, 0]
"""

from __future__ import annotations

import math
import warnings
from typing import ClassVar

import numpy as np

from defectradar.core.estimator import Constraint, positive, positive_int
from defectradar.core.series import CountSeries
from defectradar.errors import InputError
from defectradar.signals.base import AlarmRule, TemporalDetector

#: Periods per seasonal cycle for each series frequency (surveillance's ``freq``).
PERIODS_PER_YEAR = {"day": 365, "week": 52, "month": 12}


def seasonal_mean(counts, start: int, periods_per_year: int, harmonics: int = 1, trend: bool = False,
                  alpha: float | None = 0.0) -> tuple[np.ndarray, float]:
    """In-control means for periods ``start ..`` from a seasonal GLM fitted to periods ``.. start-1``.

    Follows surveillance's ``estimateGLRNbHook`` (also ``algo.cusum(m="glm")`` with one
    harmonic): with 1-based time :math:`t`,
    :math:`\\log\\mu_t = \\beta_0 [+ \\beta_1 t] + \\sum_{s=1}^{S} \\gamma_s \\cos(2\\pi s t/p) +
    \\delta_s \\sin(2\\pi s t/p)`.

    Parameters
    ----------
    counts
        The whole series (history first).
    start
        Index of the first predicted period; periods before it are the training data.
    periods_per_year
        :math:`p`.
    harmonics, trend
        :math:`S` and whether to include the linear term.
    alpha
        ``0``: Poisson GLM; ``None``: negative binomial GLM with :math:`\\alpha` estimated by
        maximum likelihood (as ``MASS::glm.nb``; see :func:`_nb_alpha_mle`); a positive
        number: negative binomial GLM with that
        :math:`\\alpha` (``MASS::negative.binomial(1/alpha)``).

    Returns
    -------
    (means, alpha)
        Predicted means for periods ``start ..`` and the :math:`\\alpha` used (0 for Poisson).
    """
    import statsmodels.api as sm

    y = np.asarray(counts, dtype=float)
    if y[:start].sum() <= 0:
        raise InputError("the history periods hold no counts, so no baseline mean can be estimated; "
                         "give mu0 or start scoring later")

    def design(t):
        columns = [np.ones_like(t)] + ([t] if trend else [])
        for s in range(1, harmonics + 1):
            columns += [np.cos(2 * s * np.pi / periods_per_year * t), np.sin(2 * s * np.pi / periods_per_year * t)]
        return np.column_stack(columns)

    t_train, t_new = np.arange(1.0, start + 1), np.arange(start + 1.0, len(y) + 1)
    X, X_new, y_train = design(t_train), design(t_new), y[:start]
    if alpha == 0:
        beta = sm.GLM(y_train, X, family=sm.families.Poisson()).fit(tol=1e-12, maxiter=100).params
        return np.exp(X_new @ beta), 0.0
    if alpha is None:
        alpha = _nb_alpha_mle(y_train, X)
        beta = sm.GLM(y_train, X, family=sm.families.NegativeBinomial(alpha=alpha)).fit(tol=1e-12, maxiter=100).params
    else:
        beta = _nb_glm_as_r(y_train, X, alpha)
    return np.exp(X_new @ beta), float(alpha)


def _nb_glm_as_r(y: np.ndarray, X: np.ndarray, alpha: float) -> np.ndarray:
    """Coefficients of ``glm(family = MASS::negative.binomial(1/alpha))`` as R's ``glm.fit`` finds them.

    IRLS for the negative binomial with a log link is Fisher scoring on a non-canonical link, so
    after R's stopping rule (relative deviance change below 1e-8) the coefficients are still about
    1e-6 from the optimum; estimateGLRNbHook predicts from those, and so does this: same start
    (``negative.binomial()$initialize``: mu = y + (y == 0)/6), same rule, at most 25 iterations.
    """
    import statsmodels.api as sm

    class RNegativeBinomial(sm.families.NegativeBinomial):
        def starting_mu(self, y):
            return y + (y == 0) / 6

    # statsmodels stops when |D_i - D_{i-1}| <= atol + rtol |D_i|; R when |D_i - D_{i-1}| / (|D_i| + 0.1) < 1e-8.
    return sm.GLM(y, X, family=RNegativeBinomial(alpha=alpha)).fit(maxiter=25, atol=1e-9, rtol=1e-8).params


#: Bounds on the estimated overdispersion: at the lower one the chart is the Poisson chart.
ALPHA_BOUNDS = (1e-8, 1e4)


def _nb_alpha_mle(y: np.ndarray, X: np.ndarray) -> float:
    """Maximum likelihood alpha of a negative binomial GLM, by maximising the profile likelihood.

    The joint maximum ``MASS::glm.nb`` iterates to; the profile is maximised over
    :math:`\\log\\alpha` within :data:`ALPHA_BOUNDS`, so equidispersed data give the lower bound
    where glm.nb would stop with an iteration-limit warning and a huge theta.
    """
    import statsmodels.api as sm
    from scipy.optimize import minimize_scalar

    def minus_loglik(log_alpha):
        family = sm.families.NegativeBinomial(alpha=math.exp(log_alpha))
        return -sm.GLM(y, X, family=family).fit(tol=1e-12, maxiter=100).llf

    bounds = (math.log(ALPHA_BOUNDS[0]), math.log(ALPHA_BOUNDS[1]))
    alpha = math.exp(minimize_scalar(minus_loglik, bounds=bounds, method="bounded", options={"xatol": 1e-10}).x)
    # Brent stops at about 1e-7 relative; joint Newton steps from there reach the optimum.
    beta = sm.GLM(y, X, family=sm.families.NegativeBinomial(alpha=alpha)).fit(tol=1e-12, maxiter=100).params
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        polished = sm.NegativeBinomial(y, X, loglike_method="nb2").fit(
            start_params=np.append(beta, alpha), method="newton", maxiter=50, tol=1e-12, disp=0).params[-1]
    return float(polished) if ALPHA_BOUNDS[0] < polished < ALPHA_BOUNDS[1] else alpha


def _segment_bounds(n: int, window: int | None, first_offset: int) -> tuple[int, int]:
    """Change points k = low..high considered at period n (empty when high < low)."""
    low = 0 if window is None else max(0, n - window)
    return low, n - first_offset


def _poisson_glr(x, mu0, n: int, window: int | None, mtilde: int) -> float:
    # glr() / glr_window() of surveillance.c: closed-form sup over kappa for every k.
    offset = 0 if window is None else mtilde
    low, high = _segment_bounds(n, window, offset)
    if high < low:
        return -math.inf
    sum_x = np.cumsum(x[n::-1])[n - high:n - low + 1]
    sum_mu = np.cumsum(mu0[n::-1])[n - high:n - low + 1]
    with np.errstate(divide="ignore"):
        kappa = np.maximum(0.0, np.log(sum_x / sum_mu))
    return float(np.max(kappa * sum_x + (1 - np.exp(kappa)) * sum_mu))


def _nb_score(kappa, x, mu, alpha, mask):
    e = np.exp(kappa)[:, None] * mu
    return np.where(mask, (x - e) / (1 + alpha * e), 0.0).sum(axis=1)


def _nb_glr(x, mu0, alpha: float, n: int, window: int | None, mtilde: int) -> float:
    # glr_nb_window() of surveillance.c, with every k solved at once (rows) over x[low..n] (columns).
    low, high = _segment_bounds(n, window, mtilde - 1)
    if high < low:
        return -math.inf
    xs, ms = x[low:n + 1], mu0[low:n + 1]
    starts = np.arange(low, high + 1) - low
    mask = np.arange(len(xs))[None, :] >= starts[:, None]
    # The score is decreasing in kappa: kappa-hat = 0 whenever the score at 0 is not positive.
    active = _nb_score(np.zeros(len(starts)), xs, ms, alpha, mask) > 0
    kappa = np.zeros(len(starts))
    if active.any():
        mk = mask[active]
        lo = np.zeros(active.sum())
        k = np.maximum(0.0, np.log((xs * mk).sum(axis=1) / (ms * mk).sum(axis=1)))  # Poisson estimate: a good start
        hi = k + 1.0
        for _ in range(200):  # widen until the score is negative (it tends to -len/alpha)
            with np.errstate(over="ignore", invalid="ignore"):
                # NaN means exp(kappa) * mu overflowed, far past the root: count it as negative,
                # or a mean of almost 0 (a history of zeros) would widen for ever.
                neg = ~(_nb_score(hi, xs, ms, alpha, mk) >= 0)
            if neg.all():
                break
            hi = np.where(neg, hi, hi + 2 * (hi - lo) + 1)
        k = np.clip(k, lo, hi)
        for _ in range(200):
            e = np.exp(k)[:, None] * ms
            score = np.where(mk, (xs - e) / (1 + alpha * e), 0.0).sum(axis=1)
            info = np.where(mk, e * (alpha * xs + 1) / (1 + alpha * e) ** 2, 0.0).sum(axis=1)
            lo, hi = np.where(score > 0, k, lo), np.where(score > 0, hi, k)
            step = k + score / info
            new = np.where((step > lo) & (step < hi), step, (lo + hi) / 2)
            done = np.abs(new - k) < 1e-12
            k = new
            if done.all():
                break
        kappa[active] = k
    e = np.exp(kappa)[:, None]
    # log1p: with alpha near its lower bound the ratio (1 + a m)/(1 + a m e) is within 1e-8 of 1.
    terms = kappa[:, None] * xs + (xs + 1 / alpha) * (np.log1p(alpha * ms) - np.log1p(alpha * ms * e))
    return float(np.max(np.where(mask, terms, 0.0).sum(axis=1)))


def _smallest_alarming_count(glr_at, x, n: int, c_arl: float) -> float:
    """Smallest count at period n whose GLR reaches c_arl (the statistic is non-decreasing in it)."""
    saved = x[n]

    def reaches(value):
        x[n] = value
        return glr_at(x) >= c_arl

    try:
        if reaches(0):
            return 0.0
        high = max(1.0, 2 * saved)
        while not reaches(high):
            if high > 1e9:
                return math.inf
            high *= 2
        low = 0.0  # reaches(low) is False, reaches(high) is True
        while high - low > 1:
            middle = math.floor((low + high) / 2)
            low, high = (low, middle) if reaches(middle) else (middle, high)
        return high
    finally:
        x[n] = saved


def glr_chart(counts, mu0, c_arl: float = 5.0, window: int | None = None, mtilde: int = 1,
              alpha: float = 0.0, thresholds: bool = True, threshold_from: int = 0
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run the GLR chart over ``counts`` (restarting after each alarm).

    Parameters
    ----------
    counts, mu0
        Observed counts and in-control means, one per period.
    c_arl
        Alarm threshold on the GLR statistic.
    window, mtilde
        surveillance's ``M`` (``None`` = ``-1``, every past period) and ``Mtilde``.
    alpha
        ``0`` for the Poisson chart, else the negative binomial overdispersion.
    thresholds
        Also compute the smallest alarming count per period (costs a search per period).
    threshold_from
        Compute it only from this period on (NaN before): a scan reports only its last weeks,
        and the search is most of the chart's cost.

    Returns
    -------
    (statistic, alarm, threshold)
        The GLR statistic (0 where not computed, as surveillance reports it), alarms, and the
        smallest count that would alarm (``inf`` where no alarm is possible).
    """
    x_all = np.asarray(counts, dtype=float).copy()
    mu_all = np.broadcast_to(np.asarray(mu0, dtype=float), x_all.shape)
    size = len(x_all)
    statistic, alarm, threshold = np.zeros(size), np.zeros(size, dtype=bool), np.full(size, math.inf)
    # First period scored after a (re)start: glr_cusum starts at Mtilde-1, glr_cusum_window at
    # Mtilde, glr_nb_window at Mtilde-1.
    first = mtilde if (alpha == 0 and window is not None) else mtilde - 1
    begin = 0
    while begin < size:
        x, mu = x_all[begin:], mu_all[begin:]
        restarted = False
        for n in range(first, len(x)):
            if alpha == 0:
                glr_at = lambda xx, n=n: _poisson_glr(xx, mu, n, window, mtilde)  # noqa: E731
            else:
                glr_at = lambda xx, n=n: _nb_glr(xx, mu, alpha, n, window, mtilde)  # noqa: E731
            value = glr_at(x)
            statistic[begin + n] = max(value, 0.0)  # surveillance sets negative values to 0
            if thresholds and begin + n >= threshold_from:
                threshold[begin + n] = _smallest_alarming_count(glr_at, x, n, c_arl)
            elif thresholds:
                threshold[begin + n] = math.nan
            if value >= c_arl:
                alarm[begin + n] = True
                begin += n + 1
                restarted = True
                break
        if not restarted:
            break
    return statistic, alarm, threshold


def _mu0_ok(value) -> bool:
    if value is None or positive(value):
        return True
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(positive(v) for v in value)


def _non_negative_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class GlrPoisson(TemporalDetector):
    """Poisson GLR chart for an increase in the mean (surveillance ``glrpois``).

    Parameters
    ----------
    c_arl
        Alarm threshold on the GLR statistic (surveillance ``c.ARL``, default 5).
    window
        Only change points in the last ``window`` periods (surveillance ``M``); ``None``: all.
    mtilde
        Periods needed to estimate the change (surveillance ``Mtilde``, default 1).
    mu0
        In-control mean: ``None`` (estimate from the history periods), a number, or one number
        per scored period.
    harmonics, trend
        The baseline GLM's number of sine/cosine pairs (surveillance ``mu0$S``, default 1) and
        linear trend (``mu0$trend``, default False).
    threshold_last
        Compute the alarm threshold (the smallest alarming count, a search per period) only
        for the last this-many scored periods; NaN before.  ``None`` (default): all.  Scans set
        it to their look-back, since the search is most of the chart's cost.

    Attributes
    ----------
    mu0_
        In-control means of the scored periods (also ``expected_``).
    """

    method: ClassVar[str] = "glr-poisson"
    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "c_arl": (positive, "a positive number (the alarm threshold on the GLR statistic)"),
        "window": (lambda v: v is None or positive_int(v), "None (all past periods) or a positive whole number"),
        "mtilde": (positive_int, "a positive whole number of periods"),
        "mu0": (_mu0_ok, "None (estimate from history), a positive number or a list of positive numbers"),
        "harmonics": (_non_negative_int, "a whole number >= 0 of sine/cosine pairs"),
        "trend": (lambda v: isinstance(v, bool), "True or False"),
        "threshold_last": (lambda v: v is None or _non_negative_int(v),
                           "None (every scored period) or a whole number >= 0 of last periods"),
    }
    _alpha_fixed: ClassVar[float | None] = 0.0

    def __init__(self, c_arl: float = 5.0, window: int | None = None, mtilde: int = 1, mu0=None,
                 harmonics: int = 1, trend: bool = False, threshold_last: int | None = None):
        self.c_arl = c_arl
        self.window = window
        self.mtilde = mtilde
        self.mu0 = mu0
        self.harmonics = harmonics
        self.trend = trend
        self.threshold_last = threshold_last

    def _validate_params(self) -> None:
        super()._validate_params()
        # A window shorter than mtilde leaves no change point to test: the chart could never alarm.
        if self.window is not None and self.window < self.mtilde:
            raise InputError(f"{self.method}: window={self.window} is shorter than mtilde={self.mtilde}, so no "
                             "change point can be tested; make window at least mtilde (or None)")

    def alarm_rule(self) -> AlarmRule:
        return AlarmRule("GLR", ">=", float(self.c_arl), "log-likelihood ratio")

    def min_history(self) -> int:
        """0 when ``mu0`` is given, else one period more than the baseline GLM has coefficients
        (``1 + 2 * harmonics + trend``, plus one for the negative binomial's alpha when estimated)."""
        if self.mu0 is not None:
            return 0
        coefficients = 1 + 2 * self.harmonics + int(self.trend)
        return coefficients + 1 + int(self._alpha() is None)

    def _alpha(self) -> float | None:
        return self._alpha_fixed

    def _baseline(self, series: CountSeries, start: int) -> tuple[np.ndarray, float]:
        scored = len(series) - start
        if self.mu0 is None:
            mu0, alpha = seasonal_mean(series.counts, start, PERIODS_PER_YEAR[series.freq], self.harmonics,
                                       self.trend, alpha=self._alpha())
            if not (np.isfinite(mu0).all() and (mu0 > 0).all()):
                # A sparse history can fit a seasonal mean of 0 (perfect separation); against it
                # any count is infinitely surprising and the statistic is undefined.
                raise InputError(f"{self.method}: the baseline fitted to the {start} history periods gives an "
                                 "expected count of 0 for some scored periods (too sparse a history); give mu0, "
                                 "use fewer harmonics, or start scoring later")
            return mu0, alpha
        mu0 = np.broadcast_to(np.asarray(self.mu0, dtype=float), (scored,)) if np.ndim(self.mu0) == 0 or \
            len(self.mu0) == scored else None
        if mu0 is None:
            raise InputError(f"{self.method}: mu0 has {len(self.mu0)} values but {scored} periods are scored")
        alpha = self._alpha()
        if alpha is None:
            raise InputError(f"{self.method}: give alpha together with mu0 (alpha is estimated with the baseline)")
        return np.array(mu0), alpha

    def _score(self, series, start):
        mu0, alpha = self._baseline(series, start)
        self.mu0_ = mu0
        self.alpha_ = alpha
        scored = len(series) - start
        skip = 0 if self.threshold_last is None else max(scored - self.threshold_last, 0)
        statistic, alarm, threshold = glr_chart(series.counts[start:], mu0, self.c_arl, self.window, self.mtilde,
                                                alpha=alpha, threshold_from=skip)
        return mu0, threshold, statistic, alarm


class GlrNegBin(GlrPoisson):
    """Negative binomial GLR chart for an increase in the mean (surveillance ``glrnb``).

    Parameters
    ----------
    alpha
        Overdispersion (variance :math:`\\mu + \\alpha\\mu^2`): ``None`` estimates it with the
        baseline GLM by maximum likelihood (as ``MASS::glm.nb``); a positive number fixes it.
    c_arl, window, mtilde, mu0, harmonics, trend
        As for :class:`GlrPoisson`.

    Attributes
    ----------
    alpha_
        The overdispersion used.
    """

    method: ClassVar[str] = "glr-nb"
    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        **GlrPoisson._parameter_constraints,
        "alpha": (lambda v: v is None or positive(v), "None (estimate from history) or a positive number"),
    }

    def __init__(self, c_arl: float = 5.0, window: int | None = None, mtilde: int = 1, mu0=None,
                 harmonics: int = 1, trend: bool = False, alpha: float | None = None,
                 threshold_last: int | None = None):
        super().__init__(c_arl, window, mtilde, mu0, harmonics, trend, threshold_last)
        self.alpha = alpha

    def _alpha(self) -> float | None:
        return self.alpha
