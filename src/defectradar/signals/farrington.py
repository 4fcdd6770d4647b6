"""Farrington's outbreak detector in its flexible form, with Noufaily et al.'s improvements.

Follows C. P. Farrington, N. J. Andrews, A. D. Beale and M. A. Catchpole, "A statistical
algorithm for the early detection of outbreaks of infectious disease", J. R. Stat. Soc. A 159
(1996) 547-563; A. Noufaily, D. G. Enki, P. Farrington, P. Garthwaite, N. Andrews and
A. Charlett, "An improved algorithm for outbreak detection in multiple surveillance systems",
Stat. Med. 32 (2013) 1206-1222; and their implementation in the R package surveillance,
``farringtonFlexible`` (version 1.20.3, with ``epochAsDate = FALSE``).

For the scored period :math:`k` (with :math:`p` periods per year, 52 for weekly series):

1. *Reference data.*  The windows :math:`k - ip - w \\ldots k - ip + w`, :math:`i = 1..b`, form
   season group ``no_periods``; with ``no_periods > 1`` the gaps between consecutive windows are
   cut into ``no_periods - 1`` further groups of (near) equal length, so all data from
   :math:`k - bp - w` on is used.  The last ``past_periods_not_included`` periods before
   :math:`k` (default ``w``) and :math:`k` itself are left out.
2. *Model.*  A quasi-Poisson GLM, :math:`\\log\\mu_t = \\beta_0 + \\beta_1 t + \\gamma_{g(t)}`
   (time :math:`t` = 1-based period index, season-group factor when ``no_periods > 1``), with
   dispersion :math:`\\phi = \\max(1, X^2/(n - r))` (Pearson :math:`X^2`, rank :math:`r`).
3. *Down-weighting.*  With ``reweight``, Anscombe residuals
   :math:`s_t = \\tfrac32 (y_t^{2/3}\\mu_t^{-1/6} - \\mu_t^{1/2}) / \\sqrt{\\phi(1 - h_t)}`
   (:math:`h_t` the hat values) above ``weights_threshold`` get weight :math:`\\gamma s_t^{-2}`,
   the rest :math:`\\gamma`, with :math:`\\gamma` making the weights sum to :math:`n`; the model
   is refitted with these weights.
4. *Trend.*  The trend is kept only if :math:`b \\ge 3`, its t-test p-value is below
   ``p_threshold_trend`` and the prediction does not exceed the largest reference count;
   otherwise the model is refitted without it.
5. *Threshold* from the prediction :math:`\\hat\\mu_0 = e^{\\hat\\eta_0}` at :math:`k` and
   :math:`z = \\Phi^{-1}(1-\\alpha)`:

   * ``"delta"`` (Farrington 1996): with power :math:`e` (``powertrans``, 2/3 by default),
     :math:`\\tau = \\phi + \\mathrm{Var}(\\hat\\mu_0)/\\hat\\mu_0` and
     :math:`U = (\\hat\\mu_0^{e} + z\\,\\sqrt{e^2 \\hat\\mu_0^{2e-1}\\tau})^{1/e}`;
   * ``"nbPlugin"`` (Noufaily 2013): :math:`U` is the :math:`1-\\alpha` quantile of the negative
     binomial with mean :math:`\\hat\\mu_0` and variance :math:`\\phi\\hat\\mu_0` (Poisson when
     :math:`\\phi = 1`);
   * ``"muan"``: the same with mean :math:`\\exp(\\hat\\eta_0 + z\\,\\mathrm{se}(\\hat\\eta_0))`.

   The alarm sounds when :math:`x_k > U`, :math:`x_k > 0` and the last ``limit54[1]`` periods
   hold at least ``limit54[0]`` counts (the "5 in 4 weeks" rule); when they do not, the threshold
   is undefined (NaN), as in surveillance.  ``statistic_`` is the exceedance score
   :math:`(x_k - \\hat\\mu_0)/(U - \\hat\\mu_0)` (> 1 means an alarm).

``compat="surveillance"`` keeps two details of farringtonFlexible so results match it: the
standard error of :math:`\\hat\\eta_0` and the trend t-test use ``summary.glm``'s dispersion of
the glm object *after* surveillance has stored the Anscombe weights :math:`\\omega_t` in its
``weights`` slot, i.e. :math:`\\sum_t \\omega_t (y_t - \\mu_t)^2/\\mu_t^2 / (n - r)` (without
reweighting: the usual :math:`\\sum_t \\mu_t (y_t-\\mu_t)^2/\\mu_t^2 / (n-r)`), unfloored, because
``phi`` is passed to ``predict.glm`` inside ``newdata`` where it is ignored.  ``compat="paper"``
uses :math:`\\phi` for both instead.  Differences from surveillance: ``expected_`` is reported
even where the 5-in-4 rule suppresses the threshold (surveillance gives NA); ``statistic_`` for
``nbPlugin``/``muan`` is :math:`(x_k - \\hat\\mu_0)/(U - \\hat\\mu_0)`, where surveillance's
``score`` mixes scales, :math:`(x_k - \\hat\\eta_0)/(U - \\hat\\eta_0)`.  surveillance alarms when
its score exceeds 1, which is :math:`x_k > U` as long as :math:`U > \\hat\\eta_0` (a
:math:`1-\\alpha \\ge 0.5` quantile falls below :math:`\\log\\hat\\mu_0` only with extreme
dispersion); otherwise its alarms are meaningless and this module keeps :math:`x_k > U`.

The GLMs are fitted by statsmodels' IRLS started, stopped and summarised as R's ``glm.fit`` is
(see :class:`_QuasiPoissonFit`), so thresholds agree with surveillance to about 1e-8; R's
``qnbinom``/``qpois`` and scipy's ``ppf`` could differ only when a quantile falls within
rounding error of a whole number.

Examples
--------
>>> import numpy as np
>>> from datetime import date, timedelta
>>> from defectradar.core.series import CountSeries
>>> rng = np.random.default_rng(1)
>>> counts = rng.poisson(4, 300); counts[-1] = 20
>>> weeks = [date(2015, 1, 5) + timedelta(7 * i) for i in range(300)]
>>> Farrington().fit(CountSeries(weeks, counts)).alarm_[-3:].astype(int).tolist()
[0, 0, 1]
"""

from __future__ import annotations

import math
import warnings
from typing import ClassVar

import numpy as np
import statsmodels.api as sm
from scipy import stats

from defectradar.core.confidence import z_for
from defectradar.core.estimator import Constraint, non_negative, one_of, positive_int, probability
from defectradar.errors import InputError
from defectradar.signals.base import AlarmRule, TemporalDetector
from defectradar.signals.glr import PERIODS_PER_YEAR


def reference_periods(k: int, cycle: int, b: int, w: int, no_periods: int, excluded: int):
    """Indices (0-based) of the reference periods for period ``k`` and their season groups.

    Follows surveillance's ``blocks()``: windows of ``2w + 1`` periods one to ``b`` cycles back
    (and the current one) are group ``no_periods``; each gap between windows is split into
    ``no_periods - 1`` blocks, the first ``gap % (no_periods - 1)`` one period longer.
    """
    groups = np.full(k + 1, np.nan)
    groups[k - w:k + 1] = no_periods
    gap = cycle - 2 * w - 1
    lengths = np.full(no_periods - 1, gap // max(no_periods - 1, 1))
    lengths[:gap % max(no_periods - 1, 1)] += 1
    edges = np.concatenate([[0], np.cumsum(lengths)])
    for i in range(1, b + 1):
        centre = k - i * cycle
        groups[centre - w:centre + w + 1] = no_periods
        if no_periods > 1:
            for j in range(1, no_periods):
                groups[centre + w + 1 + edges[j - 1]:centre + w + 1 + edges[j]] = j
    groups[max(k - excluded, 0):k + 1] = np.nan
    index = np.flatnonzero(~np.isnan(groups))
    return index, groups[index].astype(int)


class _RPoisson(sm.families.Poisson):
    """Poisson family starting IRLS where R's ``poisson()$initialize`` does (mu = y + 0.1)."""

    def starting_mu(self, y):
        return y + 0.1


class _QuasiPoissonFit:
    """A prior-weighted Poisson GLM fitted by statsmodels' IRLS exactly as R's ``glm.fit`` runs.

    Same start (mu = y + 0.1), same convergence rule (relative deviance change below 1e-8, at
    most 25 iterations) and the same end state: statsmodels, like R, keeps the working weights
    :math:`w_t \\mu_t` of the last iteration's *start* and the final :math:`\\mu_t`, so the
    summaries below reproduce ``summary.glm`` and ``hatvalues`` rather than the exact optimum.
    """

    def __init__(self, y: np.ndarray, X: np.ndarray, weights: np.ndarray):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # separation warnings for all-zero groups: R fits them too
            result = sm.GLM(y, X, family=_RPoisson(), var_weights=weights).fit(maxiter=25, atol=1e-9, rtol=1e-8)
        self.converged = bool(result.converged)
        self.beta = np.asarray(result.params)
        self.mu = np.exp(X @ self.beta)
        self.weights = weights
        self.working = np.asarray(result.model.weights)
        self.unscaled_cov = np.asarray(result.normalized_cov_params)
        self.df = len(y) - np.linalg.matrix_rank(X)
        self.hat = self.working * np.einsum("ij,jk,ik->i", X, self.unscaled_cov, X)
        self._squared = (y - self.mu) ** 2 / self.mu ** 2

    def dispersion(self, weights: np.ndarray) -> float:
        """``summary.glm``'s dispersion, :math:`\\sum_t v_t r_t^2 / (n - r)` with working residuals
        :math:`r_t = (y_t - \\mu_t)/\\mu_t` and ``weights`` :math:`v_t` (R uses the glm object's
        ``weights`` slot: the working weights, unless surveillance has overwritten it)."""
        return float(np.sum(weights * self._squared) / self.df) if self.df > 0 else math.nan

    def predict(self, x0: np.ndarray, dispersion: float) -> tuple[float, float]:
        """Linear predictor and its standard error."""
        return float(x0 @ self.beta), float(np.sqrt(dispersion * x0 @ self.unscaled_cov @ x0))

    def p_value(self, column: int, dispersion: float) -> float:
        """Two-sided t-test p-value of a coefficient, as ``summary.glm`` for quasi families."""
        t = self.beta[column] / np.sqrt(dispersion * self.unscaled_cov[column, column])
        return float(2 * stats.t.sf(abs(t), self.df))


def anscombe_weights(fit: _QuasiPoissonFit, y: np.ndarray, phi: float, threshold: float) -> np.ndarray:
    """surveillance's ``anscombe.residuals`` and ``algo.farrington.assign.weights``."""
    s = 1.5 * (y ** (2 / 3) * fit.mu ** (-1 / 6) - fit.mu ** 0.5) / np.sqrt(phi * (1 - fit.hat))
    with np.errstate(divide="ignore"):
        raw = np.where(s > threshold, s ** -2.0, 1.0)
    return raw * len(s) / raw.sum()


def _limit54(value) -> bool:
    return (isinstance(value, (list, tuple)) and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value) and value[0] >= 0 and value[1] > 0)


def _whole(minimum: int):
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= minimum


class Farrington(TemporalDetector):
    """Farrington flexible / Noufaily improved algorithm (surveillance ``farringtonFlexible``).

    Parameters (surveillance's name in brackets; defaults are farringtonFlexible's)
    ----------
    b
        Years back (``b``, default 5); the series needs ``b`` years plus ``w`` periods of history.
    w
        Half-width of the reference windows (``w``, default 3).
    reweight, weights_threshold
        Down-weight past outbreaks by Anscombe residuals above ``weights_threshold``
        (``reweight`` True, ``weightsThreshold`` 2.58; Farrington 1996 used 1).
    alpha
        One-sided level of the threshold (``alpha``, default 0.05).
    trend, p_threshold_trend
        Fit a linear trend and keep it when its p-value is below ``p_threshold_trend``
        (``trend`` True, ``pThresholdTrend`` 0.05).
    limit54
        ``(cases, periods)``: no alarm unless the last ``periods`` periods hold at least
        ``cases`` counts (``limit54``, default (5, 4)).
    powertrans
        ``"2/3"`` (default), ``"1/2"`` or ``"none"``: the power transform of the delta method.
    no_periods
        Season groups (``noPeriods``, default 1; Noufaily et al. recommend 10).  At most
        ``periods_per_year - 2w``.
    past_periods_not_included
        Recent periods left out of the fit (``pastWeeksNotIncluded``; default ``w``; Noufaily
        et al. recommend 26 weeks).
    threshold_method
        ``"delta"`` (default), ``"nbPlugin"`` or ``"muan"`` (``thresholdMethod``).
    compat
        ``"surveillance"`` (default) reproduces farringtonFlexible, including the dispersion it
        uses for the prediction's standard error and the trend test (see the module);
        ``"paper"`` uses :math:`\\phi` there, as Farrington et al. (1996) do.

    Attributes
    ----------
    dispersion_
        :math:`\\phi` per scored period.
    trend_
        Whether the trend was kept, per scored period.
    """

    method: ClassVar[str] = "farrington"
    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "b": (positive_int, "a positive whole number of years"),
        "w": (_whole(0), "a whole number >= 0 of periods"),
        "reweight": (lambda v: isinstance(v, bool), "True or False"),
        "weights_threshold": (non_negative, "a number >= 0"),
        "alpha": (lambda v: probability(v) and v < 0.5, "a probability below 0.5"),
        "trend": (lambda v: isinstance(v, bool), "True or False"),
        "p_threshold_trend": (probability, "a probability between 0 and 1 (exclusive)"),
        "limit54": (_limit54, "a pair (cases >= 0, periods >= 1) of whole numbers"),
        "powertrans": one_of("2/3", "1/2", "none"),
        "no_periods": (positive_int, "a positive whole number of season groups"),
        "past_periods_not_included": (lambda v: v is None or _whole(0)(v), "None (= w) or a whole number >= 0"),
        "threshold_method": one_of("delta", "nbPlugin", "muan"),
        "compat": one_of("surveillance", "paper"),
    }

    def __init__(self, b: int = 5, w: int = 3, reweight: bool = True, weights_threshold: float = 2.58,
                 alpha: float = 0.05, trend: bool = True, p_threshold_trend: float = 0.05, limit54=(5, 4),
                 powertrans: str = "2/3", no_periods: int = 1, past_periods_not_included: int | None = None,
                 threshold_method: str = "delta", compat: str = "surveillance"):
        self.b = b
        self.w = w
        self.reweight = reweight
        self.weights_threshold = weights_threshold
        self.alpha = alpha
        self.trend = trend
        self.p_threshold_trend = p_threshold_trend
        self.limit54 = limit54
        self.powertrans = powertrans
        self.no_periods = no_periods
        self.past_periods_not_included = past_periods_not_included
        self.threshold_method = threshold_method
        self.compat = compat

    def fit(self, series, start=None):
        # The history needed depends on the series' periods per year, which min_history reads.
        self._cycle = PERIODS_PER_YEAR[series.freq]
        self._validate_params()
        if len(series) <= self.min_history():
            raise InputError(f"farrington needs b={self.b} years of {self._cycle} {series.freq}s plus w={self.w} "
                             f"periods ({self.min_history()} periods) of history before the first scored period, "
                             f"but the series has only {len(series)} periods; lower b or use a longer series")
        return super().fit(series, start)

    def alarm_rule(self) -> AlarmRule:
        """Alarms need ``(count - expected) / (threshold - expected) > 1`` (and the 5-in-4 rule)."""
        return AlarmRule("exceedance", ">", 1.0, "(count - expected) / (threshold - expected)")

    def min_history(self) -> int:
        """``b`` years plus ``w`` periods: ``b * p + w`` with ``p`` periods per year (52 for weekly
        series, the default before a series is seen; 12 monthly, 365 daily), so that the oldest
        reference window is complete (surveillance's default ``range`` starts there too), and at
        least ``limit54[1] - 1`` for the 5-in-4 rule."""
        cycle = getattr(self, "_cycle", 52)
        return max(self.b * cycle + self.w, self.limit54[1] - 1)

    def _fit(self, y, X):
        """(model, phi, dispersion for standard errors and the trend test), or None if IRLS fails.

        algo.farrington.fitGLM.flexible: fit, phi = max(1, dispersion), reweight once and refit.
        """
        fit = _QuasiPoissonFit(y, X, np.ones(len(y)))
        if not fit.converged:
            return None
        phi = max(fit.dispersion(fit.working), 1.0)
        if not self.reweight:
            inference = fit.dispersion(fit.working) if self.compat == "surveillance" else phi
            return fit, phi, inference
        fit = _QuasiPoissonFit(y, X, anscombe_weights(fit, y, phi, self.weights_threshold))
        phi = max(fit.dispersion(fit.working), 1.0)
        # surveillance stores the Anscombe weights in the glm's `weights` slot, so summary.glm,
        # and through it predict.glm's se.fit and the trend test, see sum(omega * r^2) / df.
        inference = fit.dispersion(fit.weights) if self.compat == "surveillance" else phi
        return fit, phi, inference

    def _predict(self, k: int, index: np.ndarray, y: np.ndarray, groups: np.ndarray):
        """Model at period k: (eta0, se(eta0), phi, trend kept), or None when no fit converges."""
        levels = np.unique(groups)
        dummies = (groups[:, None] == levels[None, 1:]).astype(float)
        x0_groups = (self.no_periods == levels[1:]).astype(float)
        base = np.column_stack([np.ones(len(y)), dummies])
        x0_base = np.concatenate([[1.0], x0_groups])
        if self.trend:
            with_time = np.column_stack([base[:, :1], index + 1.0, base[:, 1:]])
            x0_time = np.concatenate([[1.0, k + 1.0], x0_groups])
            fitted = self._fit(y, with_time)
            if fitted is not None:
                fit, phi, inference = fitted
                keep = (self.b >= 3 and fit.p_value(1, inference) < self.p_threshold_trend
                        and math.exp(fit.predict(x0_time, inference)[0]) <= y.max())
                if keep:
                    return (*fit.predict(x0_time, inference), phi, True)
        fitted = self._fit(y, base)
        if fitted is None:
            return None
        fit, phi, inference = fitted
        return (*fit.predict(x0_base, inference), phi, False)

    def _upper(self, eta0: float, se_eta: float, phi: float) -> float:
        z = z_for(1 - self.alpha, two_sided=False)
        mu0 = math.exp(eta0)
        if self.threshold_method == "delta":
            tau = phi + (se_eta * mu0) ** 2 / mu0
            power = {"2/3": 2 / 3, "1/2": 0.5, "none": 1.0}[self.powertrans]
            se = math.sqrt(power ** 2 * mu0 ** (2 * power - 1) * tau)
            return (mu0 ** power + z * se) ** (1 / power)
        mean = mu0 if self.threshold_method == "nbPlugin" else math.exp(eta0 + z * se_eta)
        if not math.isfinite(mean):
            return math.nan
        if phi > 1:
            return float(stats.nbinom.ppf(1 - self.alpha, mean / (phi - 1), 1 / phi))
        return float(stats.poisson.ppf(1 - self.alpha, mean))

    def _score(self, series, start):
        cycle, counts = self._cycle, series.counts
        gap = cycle - 2 * self.w - 1
        if self.no_periods > 1 and self.no_periods - 1 > gap:
            raise InputError(f"farrington: no_periods={self.no_periods} is too many for w={self.w}: the "
                             f"{gap} periods between reference windows can hold at most {gap + 1} groups")
        excluded = self.w if self.past_periods_not_included is None else self.past_periods_not_included
        cases, span = self.limit54
        size = len(series) - start
        expected, threshold, statistic = np.full(size, np.nan), np.full(size, np.nan), np.full(size, np.nan)
        alarm, phis, trends = np.zeros(size, dtype=bool), np.full(size, np.nan), np.zeros(size, dtype=bool)
        for i, k in enumerate(range(start, len(series))):
            index, groups = reference_periods(k, cycle, self.b, self.w, self.no_periods, excluded)
            y = counts[index]
            model = self._predict(k, index, y, groups)
            if model is None:  # surveillance returns NA for the period
                continue
            eta0, se_eta, phis[i], trends[i] = model
            expected[i] = math.exp(eta0)
            upper = self._upper(eta0, se_eta, phis[i])
            enough = counts[max(k - span + 1, 0):k + 1].sum() >= cases
            with np.errstate(divide="ignore", invalid="ignore"):
                statistic[i] = np.divide(counts[k] - expected[i], upper - expected[i])
            threshold[i] = upper if enough else np.nan
            alarm[i] = bool(enough and counts[k] > upper and counts[k] != 0)
        self.dispersion_, self.trend_ = phis, trends
        return expected, threshold, statistic, alarm
