"""The scan's default detector: an overdispersed count null with a threshold from a false-alarm budget.

Real complaint counts are overdispersed (media, lawsuits, recalls, fleet growth), many series are
short or start at zero, and a Poisson null with a fixed threshold mistakes that for defects.
``nb-excess`` asks, for each period :math:`t`, how surprising its count :math:`x_t` is under a
negative binomial null fitted to what came before:

* **mean**: :math:`m_t`, the Gamma-Poisson posterior mean rate of the ``window`` periods before
  :math:`t` (:math:`m_t = (\\sum x + a)/(n + b)`), with a prior of ``prior_mean`` events per
  period weighted as ``prior_periods`` periods (from similar series: the scan passes the same
  mode's level in other products), or a vague prior (half an event) when none is known; or an
  external mean ``mu0`` (units in service x the others' rate, as for GLR);
* **overdispersion**: :math:`\\phi` in :math:`\\mathrm{Var}\\,x = m + \\phi m^2`, estimated by the
  method of moments from the baseline window and shrunk (empirical Bayes) towards
  ``prior_dispersion`` with the weight of ``prior_weight`` periods; the scan sets
  ``prior_dispersion`` to the median over all its series (:func:`calibrate`), so a short series
  borrows the dispersion of the others, a long one mostly uses its own, and the null is Poisson
  only where the data show no overdispersion;
* **uncertainty of the mean**: a baseline of few events is itself uncertain; its squared
  coefficient of variation :math:`(1 + \\phi m)/(\\sum x + a)` widens the predictive
  distribution, so a series with a two-period history does not alarm on its third report.

The predictive distribution of :math:`x_t` is then a negative binomial with mean :math:`m_t` and
size :math:`r = 1/((1 + CV^2)(1 + \\phi) - 1)` (Poisson when that is infinite).  The alarm sounds
when the upper tail :math:`P(X \\ge x_t)` is at most :math:`\\alpha = B / p`, with :math:`B` the
false alarms per series-year the user accepts (``false_alarms_per_year``, default 0.1) and
:math:`p` the periods per year: under the fitted null, an in-control series then alarms about
:math:`B` times a year.  ``statistic_`` is the surprise :math:`-\\log_{10} P(X \\ge x_t)`, compared
with :math:`-\\log_{10}\\alpha`; ``threshold_`` the smallest count that would alarm.

``score_`` ranks alarms across series and methods: RR05, the lower 5% bound of the rate ratio
:math:`x_t / m_t` under a Gamma(0.5, 0.5) prior (posterior Gamma(:math:`x + 0.5`, :math:`m + 0.5`)),
which, like MGPS's EB05, shrinks the ratios of small counts towards 1: 4 reports against 0.5
expected (RR05 1.7) rank below 40 against 10 (RR05 2.9).

No library offers this combination (a shrunken, budget-calibrated predictive test over a rolling
baseline); the distributions come from scipy.

Examples
--------
>>> from datetime import date, timedelta
>>> from defectradar.core.series import CountSeries
>>> months = [date(2024, m, 1) for m in range(1, 13)]
>>> series = CountSeries(months, [4, 6, 5, 3, 7, 5, 4, 6, 5, 30, 6, 5], freq="month")
>>> NbExcess().fit(series, start=6).alarm_.astype(int).tolist()
[0, 0, 0, 1, 0, 0]
"""

from __future__ import annotations

import math
from typing import ClassVar, Sequence

import numpy as np
from scipy.special import betainc, gammainc, gammaincinv
from scipy.stats import gamma, nbinom, poisson

from defectradar.core.estimator import Constraint, non_negative, positive
from defectradar.core.series import CountSeries
from defectradar.errors import InputError
from defectradar.signals.base import AlarmRule, TemporalDetector
from defectradar.signals.glr import PERIODS_PER_YEAR

METHOD = "nb-excess"
#: Baseline periods by series frequency: a year of months, half a year of weeks, eight weeks of days.
DEFAULT_WINDOW = {"month": 12, "week": 26, "day": 56}
DEFAULT_BUDGET = 0.1            # false alarms per series-year (issue 15's default)
VAGUE_PRIOR_EVENTS = 0.5        # Jeffreys-like: half an event, so an all-zero history still has a mean
SCORE_QUANTILE = 0.05


def _optional(check, text: str) -> Constraint:
    return (lambda v: v is None or check(v), f"{text}, or empty")


def _window_ok(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 2


def _means_ok(value) -> bool:
    try:
        return all(math.isfinite(float(v)) and float(v) > 0 for v in value)
    except (TypeError, ValueError):
        return False


class NbExcess(TemporalDetector):
    """Upper-tail test of each period's count under an empirical-Bayes negative binomial null.

    Parameters
    ----------
    false_alarms_per_year
        The false-alarm budget per series-year; the per-period level is this over the periods per year.
    window
        Baseline periods before each scored period (default by frequency: 12 months, 26 weeks, 56 days).
    prior_mean, prior_periods
        Prior level in events per period (from similar series) and its weight in periods; without
        ``prior_mean``, a vague prior of half an event.
    prior_dispersion, prior_weight
        Overdispersion the series' own estimate is shrunk towards, and the weight of that in periods.
    dispersion
        Fix the overdispersion instead of estimating it (0: Poisson).
    mu0
        External in-control means, one per scored period (e.g. from units in service).
    restart
        After an alarm, the baseline starts again at the alarmed period (a chart's restart).
    spans
        Block lengths tested at each period: the sum of the last 1, 2, 4 and 8 periods against the
        baseline before the block, so a defect that rises over weeks is seen as well as a spike;
        the budget is split over them (Bonferroni).
    """

    method: ClassVar[str] = METHOD
    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "false_alarms_per_year": (positive, "a positive number of false alarms per series-year, e.g. 0.1"),
        "window": _optional(_window_ok, "a whole number of periods >= 2"),
        "prior_mean": _optional(positive, "a positive number of events per period"),
        "prior_periods": (positive, "a positive weight in periods"),
        "prior_dispersion": (non_negative, "a non-negative overdispersion (0: Poisson)"),
        "prior_weight": (non_negative, "a non-negative weight in periods"),
        "dispersion": _optional(non_negative, "a non-negative overdispersion (0: Poisson)"),
        "mu0": _optional(_means_ok, "a list of positive expected counts, one per scored period"),
        "restart": (lambda v: isinstance(v, bool), "true or false"),
        "spans": (lambda v: isinstance(v, (list, tuple)) and len(v) > 0 and all(
            isinstance(k, int) and not isinstance(k, bool) and 1 <= k <= 52 for k in v),
            "a list of block lengths in periods, e.g. [1, 2, 4]"),
    }

    def __init__(self, false_alarms_per_year: float = DEFAULT_BUDGET, window: int | None = None,
                 prior_mean: float | None = None, prior_periods: float = 2.0, prior_dispersion: float = 0.1,
                 prior_weight: float = 12.0, dispersion: float | None = None,
                 mu0: Sequence[float] | None = None, restart: bool = True, spans: Sequence[int] = (1, 2, 4, 8)):
        self.false_alarms_per_year = false_alarms_per_year
        self.window = window
        self.prior_mean = prior_mean
        self.prior_periods = prior_periods
        self.prior_dispersion = prior_dispersion
        self.prior_weight = prior_weight
        self.dispersion = dispersion
        self.mu0 = mu0
        self.restart = restart
        self.spans = tuple(spans) if isinstance(spans, list) else spans

    def min_history(self) -> int:
        # With a prior (from similar series or an external mean) the first period is scored.
        return 0 if self.prior_mean is not None or self.mu0 is not None else 1

    def prior_description(self) -> str:
        """Where the null's level and dispersion come from, in words (for the output)."""
        level = ("external means (mu0)" if self.mu0 is not None else
                 f"{self.prior_mean:.3g} events per period from similar series, weighted as {self.prior_periods:g} "
                 "periods" if self.prior_mean is not None else
                 "the series' own history from its first event (a vague prior of half an event before it)")
        dispersion = (f"fixed overdispersion {self.dispersion:g}" if self.dispersion is not None else
                      f"overdispersion shrunk towards {self.prior_dispersion:.3g} with the weight of "
                      f"{self.prior_weight:g} periods")
        return f"level: {level}; {dispersion}"

    def alpha(self, freq: str) -> float:
        """Per-period false-alarm probability implied by the budget."""
        return min(0.5, self.false_alarms_per_year / PERIODS_PER_YEAR[freq])

    def alarm_rule(self) -> AlarmRule:
        return AlarmRule("surprise", ">=", None, "-log10 of the upper-tail probability of the count under the "
                         "fitted negative binomial null; the limit is -log10 of the false-alarm budget per period")

    def _score(self, series: CountSeries, start: int):
        window = self.window or DEFAULT_WINDOW[series.freq]
        alpha = self.alpha(series.freq)
        spans = tuple(sorted(set(self.spans)))
        level = alpha / len(spans)           # Bonferroni over the spans: the budget holds for all together
        self.alpha_ = alpha
        counts = series.counts
        n_scored = len(series) - start
        if self.mu0 is not None and len(self.mu0) != n_scored:
            raise InputError(f"{METHOD}: mu0 has {len(self.mu0)} means for {n_scored} scored periods")
        external = None if self.mu0 is None else np.concatenate([np.full(start, np.nan), np.asarray(self.mu0, float)])
        # Zeros before a series' first event are periods before the product was out (or before
        # anyone complained): no evidence of a level, so the baseline starts at the first event
        # and the first event itself is scored against the prior from similar series.
        first = int(np.argmax(counts > 0)) if (counts > 0).any() else len(counts)
        out = {name: np.full(n_scored, np.nan) for name in
               ("mean", "dispersion", "tail", "span", "span_count", "span_expected")}
        sizes = np.full(n_scored, np.nan)
        sums = _RunningSums(counts, external)
        t0 = start
        # Every period from t0 on is scored at once against the baseline that starts at `first`;
        # an alarm (with restart) moves the baseline to the alarmed period, and the periods after
        # it are scored again.  Alarms are rare, so this costs a few vector passes per series
        # where a loop over periods and spans cost ~1,000 scalar steps.
        while t0 < len(counts):
            t = np.arange(t0, len(counts))
            best_tail = np.full(len(t), np.inf)
            best = {name: np.full(len(t), np.nan) for name in ("span", "count", "expected")}
            for k in spans:
                tail, mean, phi, size, observed = self._block_tails(sums, t, k, first, window)
                if k == 1:
                    i = t - start
                    out["mean"][i], out["dispersion"][i], sizes[i] = mean, phi, size
                better = tail < best_tail        # strict: on a tie the shorter span stays
                best_tail[better] = tail[better]
                best["span"][better], best["count"][better] = k, observed[better]
                best["expected"][better] = (k * mean)[better]
            found = np.isfinite(best_tail)
            i = t - start
            out["tail"][i] = np.where(found, np.minimum(1.0, best_tail * len(spans)), np.nan)
            out["span"][i], out["span_count"][i], out["span_expected"][i] = best["span"], best["count"], best["expected"]
            alarms = np.flatnonzero(found & (best_tail <= level)) if self.restart else []
            if not len(alarms):
                break
            # As a control chart restarts after an alarm: the alarmed level becomes the
            # reference, so one step change is one alarm, not one every period it lasts.
            first = int(t[alarms[0]])
            t0 = first + 1
        tail = np.where(np.isfinite(out["tail"]), out["tail"], 1.0)
        # The smallest single-period count that would alarm (span 1 at the split level), vectorised.
        threshold = np.full(n_scored, np.inf)
        known = np.isfinite(out["mean"]) & (out["mean"] > 0)
        threshold[known] = _threshold(level, out["mean"][known], sizes[known])
        surprise = -np.log10(np.clip(tail, 1e-300, 1.0))
        self.tail_ = tail
        self.dispersion_ = out["dispersion"]
        self.span_, self.span_count_, self.span_expected_ = out["span"], out["span_count"], out["span_expected"]
        block_count = np.nan_to_num(out["span_count"], nan=0.0)
        block_expected = np.nan_to_num(out["span_expected"], nan=0.0)
        # gamma.ppf(q, a, scale=1/b) is gammaincinv(a, q) / b (scipy's own _ppf); the ufunc skips
        # the frozen-distribution argument checks, a third of this line's cost over a scan.
        self.score_ = gammaincinv(block_count + 0.5, SCORE_QUANTILE) / (block_expected + 0.5)
        self.limit_ = -math.log10(alpha)
        return out["mean"], threshold, surprise, tail <= alpha

    def _block_tails(self, sums: "_RunningSums", t: np.ndarray, k: int, first: int, window: int):
        """Upper tails of the ``k``-period blocks ending at each ``t`` against the baseline before them.

        Vectorised form of :meth:`_null`, :meth:`_dispersion` and :func:`_block_size` over the
        periods ``t`` (their docstrings give the formulas); a block that is not testable (it reaches
        before the baseline starts, or has no finite mean) gets an infinite tail.
        """
        block = t - k + 1
        usable = np.ones(len(t), bool) if k == 1 else block > first
        lo = np.where(block > first, np.maximum(first, block - window), block)
        hi = np.where(block > first, block, lo)               # empty history before the first event
        lo, hi = np.clip(lo, 0, None), np.clip(hi, 0, None)
        n = (hi - lo).astype(float)
        total = sums.counts(lo, hi)
        observed = sums.counts(np.clip(block, 0, None), t + 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            phi = self._dispersions(sums, lo, hi, n, total)
            if sums.external is not None:
                ext = sums.external_sum(np.clip(block, 0, None), t + 1)
                usable &= np.isfinite(ext)
                mean, cv2 = ext / k, np.zeros(len(t))
            else:
                if self.prior_mean is not None:
                    a, b = self.prior_mean * self.prior_periods, self.prior_periods
                else:
                    a, b = VAGUE_PRIOR_EVENTS, 0.0
                mean = np.where(n + b > 0, (total + a) / (n + b), np.nan)
                cv2 = (1.0 + phi * mean) / (total + a)
            usable &= np.isfinite(mean) & (mean > 0)
            var = k * mean + k * phi * mean ** 2 * (1 + cv2) + k ** 2 * mean ** 2 * cv2
            extra = var - k * mean
            size = np.where(extra <= 1e-12, np.inf, (k * mean) ** 2 / extra)
        tail = np.full(len(t), np.inf)
        poisson_like = usable & ~np.isfinite(size) & (observed > 0)
        nb_like = usable & np.isfinite(size) & (observed > 0)
        tail[usable & (observed <= 0)] = 1.0
        block_mean = k * mean
        tail[poisson_like] = gammainc(observed[poisson_like], block_mean[poisson_like])
        tail[nb_like] = betainc(observed[nb_like], size[nb_like],
                                block_mean[nb_like] / (size[nb_like] + block_mean[nb_like]))
        return (tail, np.where(usable, mean, np.nan), np.where(usable, phi, np.nan), np.where(usable, size, np.nan),
                observed)

    def _dispersions(self, sums: "_RunningSums", lo: np.ndarray, hi: np.ndarray, n: np.ndarray,
                     total: np.ndarray) -> np.ndarray:
        """:meth:`_dispersion` of every history ``counts[lo:hi]`` at once, from running sums."""
        if self.dispersion is not None:
            return np.full(len(lo), float(self.dispersion))
        if sums.external is not None:
            df = sums.usable(lo, hi)
            own = np.where(df >= 3, np.maximum(0.0, sums.excess(lo, hi) / sums.mu2(lo, hi)), 0.0)
        else:
            df = np.maximum(n - 1, 0)
            m = total / n
            variance = (sums.squares(lo, hi) - total * m) / (n - 1)
            own = np.where((df >= 2) & (m > 0), np.maximum(0.0, (variance - m) / m ** 2), 0.0)
        weight = self.prior_weight + df
        mixed = (df * own + self.prior_weight * self.prior_dispersion) / weight
        return np.where(weight == 0, self.prior_dispersion, mixed)

    def _null(self, history: np.ndarray, external: float | None,
              expected_history: np.ndarray | None = None) -> tuple[float, float, float]:
        """Mean per period, overdispersion and squared CV of the mean, for the periods after ``history``.

        With external means the overdispersion is that of the history around *its* external
        means (a fleet that grows is not dispersion when the means grow with it).
        """
        n, total = len(history), float(history.sum())
        phi = self._dispersion(history, expected_history)
        if external is not None:
            return external, phi, 0.0
        if self.prior_mean is not None:
            a, b = self.prior_mean * self.prior_periods, self.prior_periods
        else:
            a, b = VAGUE_PRIOR_EVENTS, 0.0
        if n + b == 0:
            return math.nan, phi, math.nan     # nothing known yet: not scored (no alarm)
        mean = (total + a) / (n + b)
        return mean, phi, (1.0 + phi * mean) / (total + a)

    def _dispersion(self, history: np.ndarray, expected: np.ndarray | None = None) -> float:
        if self.dispersion is not None:
            return float(self.dispersion)
        own, df = 0.0, max(len(history) - 1, 0)
        if expected is not None:
            usable = np.isfinite(expected) & (expected > 0)
            x, mu = history[usable], expected[usable]
            df = len(x)
            if df >= 3:
                own = max(0.0, float(((x - mu) ** 2 - x).sum() / (mu ** 2).sum()))
        elif df >= 2 and history.mean() > 0:
            m = history.mean()
            own = max(0.0, (history.var(ddof=1) - m) / m ** 2)
        weight = self.prior_weight + df
        return self.prior_dispersion if weight == 0 else (df * own + self.prior_weight * self.prior_dispersion) / weight

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["false_alarm_level_per_period"] = self.alpha_
        for period, score, tail, phi, span in zip(out["periods"], self.score_, self.tail_, self.dispersion_,
                                                  self.span_):
            period.update({"rr05": _json(score), "tail_probability": _json(tail), "dispersion": _json(phi),
                           "span_periods": None if not np.isfinite(span) else int(span)})
        return out


def rate_ratio_score(count: float, expected: float | None) -> dict:
    """The ranking score of any temporal alarm: the rate ratio count / expected, shrunk.

    Posterior of the ratio under a Gamma(0.5, 0.5) prior: Gamma(count + 0.5, expected + 0.5).
    ``score`` is its lower 5% bound (RR05), comparable across series, methods and with the
    disproportionality EB05; ``rate_ratio`` the posterior mean; ``interval`` 5%..95%.

    >>> rate_ratio_score(40, 10)["score"] > rate_ratio_score(4, 0.5)["score"]
    True
    """
    if expected is None or not math.isfinite(float(expected)) or expected < 0:
        return {}
    a, b = float(count) + 0.5, float(expected) + 0.5
    return {"score": round(float(gamma.ppf(SCORE_QUANTILE, a, scale=1 / b)), 4),
            "rate_ratio": round(a / b, 4),
            "interval": [round(float(gamma.ppf(SCORE_QUANTILE, a, scale=1 / b)), 4),
                         round(float(gamma.ppf(1 - SCORE_QUANTILE, a, scale=1 / b)), 4)]}


class _RunningSums:
    """Cumulative sums of a series (and of its external means) for sums over any range in O(1)."""

    def __init__(self, counts: np.ndarray, external: np.ndarray | None) -> None:
        x = np.asarray(counts, float)
        self._c = np.concatenate([[0.0], np.cumsum(x)])
        self._q = np.concatenate([[0.0], np.cumsum(x * x)])
        self.external = external
        if external is not None:
            ok = np.isfinite(external) & (external > 0)
            mu = np.where(ok, external, 0.0)
            self._e = np.concatenate([[0.0], np.cumsum(np.where(np.isfinite(external), external, 0.0))])
            self._missing = np.concatenate([[0], np.cumsum(~np.isfinite(external))])
            self._u = np.concatenate([[0], np.cumsum(ok)])
            self._a = np.concatenate([[0.0], np.cumsum(np.where(ok, (x - mu) ** 2 - x, 0.0))])
            self._m2 = np.concatenate([[0.0], np.cumsum(mu * mu)])

    def counts(self, lo, hi):
        return self._c[hi] - self._c[lo]

    def squares(self, lo, hi):
        return self._q[hi] - self._q[lo]

    def external_sum(self, lo, hi):
        """Sum of the external means over [lo, hi); NaN when any of them is missing."""
        return np.where(self._missing[hi] - self._missing[lo] > 0, np.nan, self._e[hi] - self._e[lo])

    def usable(self, lo, hi):
        return (self._u[hi] - self._u[lo]).astype(float)

    def excess(self, lo, hi):
        return self._a[hi] - self._a[lo]

    def mu2(self, lo, hi):
        return self._m2[hi] - self._m2[lo]


def _block_size(mean: float, phi: float, cv2: float, k: int) -> float:
    """Negative binomial size of the sum of ``k`` periods (inf: Poisson).

    With :math:`x_j \\mid \\lambda_j` Poisson, :math:`\\lambda_j = \\mu\\varepsilon_j` (the
    :math:`\\varepsilon_j` independent, mean 1, variance :math:`\\phi`) and the level :math:`\\mu`
    uncertain (mean :math:`m`, variance :math:`m^2 CV^2`, shared by the block):
    :math:`\\mathrm{Var} = km + k\\phi m^2(1 + CV^2) + k^2 m^2 CV^2`.
    """
    var = k * mean + k * phi * mean ** 2 * (1 + cv2) + k ** 2 * mean ** 2 * cv2
    extra = var - k * mean
    return math.inf if extra <= 1e-12 else (k * mean) ** 2 / extra


def _json(value):
    value = float(value)
    return round(value, 6) if math.isfinite(value) else None


def _tail(observed: float, mean: float, size: float) -> float:
    """P(X >= observed) for one period or block: the regularised incomplete beta / gamma
    identities of the negative binomial and Poisson tails (scipy's ufuncs: the frozen
    distributions cost ~50x more per call, and a scan calls this per period and span)."""
    if observed <= 0:
        return 1.0
    if not math.isfinite(size):
        return float(gammainc(observed, mean))
    return float(betainc(observed, size, mean / (size + mean)))


def _upper_tail(observed: np.ndarray, means: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """P(X >= observed) per period; NaN means (nothing to compare with) give 1 (no alarm)."""
    tail = np.ones(len(observed))
    ok = np.isfinite(means) & (means > 0)
    pois = ok & ~np.isfinite(sizes)
    nb = ok & np.isfinite(sizes)
    tail[pois] = poisson.sf(observed[pois] - 1, means[pois])
    tail[nb] = nbinom.sf(observed[nb] - 1, sizes[nb], sizes[nb] / (sizes[nb] + means[nb]))
    return tail


def _threshold(alpha: float, means: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The smallest count whose upper tail is at most ``alpha`` (``isf`` + 1: P(X > k) <= alpha)."""
    out = np.full(len(means), np.inf)
    ok = np.isfinite(means) & (means > 0)
    pois = ok & ~np.isfinite(sizes)
    nb = ok & np.isfinite(sizes)
    out[pois] = poisson.isf(alpha, means[pois]) + 1
    out[nb] = nbinom.isf(alpha, sizes[nb], sizes[nb] / (sizes[nb] + means[nb])) + 1
    return out


def series_dispersion(counts: np.ndarray, window: int, min_periods: int = 6) -> tuple[float, int] | None:
    """Overdispersion of one series as its one-step predictions see it, and the periods behind it.

    Each period from the first event on is compared with the mean of the ``window`` periods
    before it (what the detector predicts); the moment estimate
    :math:`\\hat\\phi = (\\sum (x_t - m_t)^2 / (1 + 1/n) - \\sum m_t) / \\sum m_t^2` then holds the
    spread the predictions meet, drift and spikes included (a plain variance of the series would
    count a growing fleet as dispersion, and a prediction error as none).
    """
    counts = np.asarray(counts, dtype=float)
    if not (counts > 0).any():
        return None
    counts = counts[int(np.argmax(counts > 0)):]
    t = np.arange(2, len(counts))
    lo = np.maximum(0, t - window)
    length = t - lo
    cumulative = np.concatenate([[0.0], np.cumsum(counts)])
    m = (cumulative[t] - cumulative[lo]) / length          # each period's one-step prediction
    ok = m > 0
    used = int(ok.sum())
    means2 = float((m[ok] ** 2).sum())
    if used < min_periods or means2 == 0:
        return None
    sq = float(((counts[t][ok] - m[ok]) ** 2 / (1 + 1 / length[ok])).sum())
    return max(0.0, (sq - float(m[ok].sum())) / means2), used


def pooled_dispersion(histories: Sequence[np.ndarray], window: int = 12, min_periods: int = 6) -> float | None:
    """The median one-step overdispersion (:func:`series_dispersion`) of the series with enough history.

    The empirical-Bayes centre every series is shrunk towards (a median, so a few series
    dominated by one media storm do not set it for all); None when no series has
    ``min_periods`` predicted periods (then the detector's default prior stays).
    """
    estimates = [e[0] for e in (series_dispersion(c, window, min_periods) for c in histories) if e is not None]
    return float(np.median(estimates)) if estimates else None


def calibrate(all_series: dict[tuple, CountSeries], params: dict | None = None,
              similar: int = 1, exclude_last: int = 0) -> dict[tuple, dict]:
    """Per-series parameters of ``nb-excess`` that borrow from the other series.

    * ``prior_dispersion``: :func:`pooled_dispersion` over every series;
    * ``prior_mean``: for a series keyed ``(product, mode)``, the median level (events per
      period since each one's first event) of the same mode in the other products; keys of
      another shape, or a mode no other product has, fall back to every other series;
    * ``prior_periods``: how sure that prior is, from how much those levels differ (empirical
      Bayes: a Gamma prior whose squared coefficient of variation is the peers' spread beyond
      Poisson noise, at least :data:`MIN_PRIOR_CV2`), as a weight in periods.

    Only the periods before the last ``exclude_last`` are used (the scan passes its lookback),
    so a surge being scored does not widen the null it is scored against.  Returns
    ``{key: params}`` with ``params`` merged over the given ones, plus ``prior`` (where the
    prior came from, for the evidence).  ``similar`` is the key position of similar series
    (1: the mode).
    """
    params = dict(params or {})
    freq = next(iter(all_series.values())).freq if all_series else "week"
    window = params.get("window") or DEFAULT_WINDOW[freq]
    histories = {key: (s.counts[:len(s.counts) - exclude_last] if exclude_last else s.counts)
                 for key, s in all_series.items()}
    pooled = pooled_dispersion(list(histories.values()), window)
    levels: dict[tuple, tuple[float, int]] = {}
    for key, counts in histories.items():
        if (counts > 0).any():
            since = counts[int(np.argmax(counts > 0)):]
            levels[key] = (float(since.mean()), len(since))
    # Levels by group once (a scan has thousands of series: comparing every key with every
    # other is quadratic); a series' peers are its group's levels but its own.
    by_group: dict = {}
    for k, v in levels.items():
        if isinstance(k, tuple) and len(k) > similar:
            by_group.setdefault(k[similar], []).append((k, v))
    every = list(levels.items())
    out = {}
    for key in all_series:
        chosen = dict(params)
        if pooled is not None and "prior_dispersion" not in params:
            chosen["prior_dispersion"] = round(pooled, 6)
        group = key[similar] if isinstance(key, tuple) and len(key) > similar else None
        peers = [v for k, v in by_group.get(group, ()) if k != key] if group is not None else []
        source = f"same {'mode' if similar == 1 else 'group'} ({group}) in {len(peers)} other series"
        if not peers:
            peers = [v for k, v in every if k != key]
            source = f"all {len(peers)} other series"
        if peers and "prior_mean" not in params:
            mean = max(float(np.median([level for level, _n in peers])), 1e-3)
            chosen["prior_mean"] = mean
            if "prior_periods" not in params:
                chosen["prior_periods"] = round(_prior_periods(peers, mean, window), 4)
        out[key] = chosen | {"prior": {"mean": chosen.get("prior_mean"), "from": source if peers else "none",
                                       "weight_periods": chosen.get("prior_periods"),
                                       "dispersion": chosen.get("prior_dispersion", 0.1)}}
    return out


MIN_PRIOR_CV2 = 0.05     # peers never pin a new series' level closer than ~22% (products differ)


def _prior_periods(peers: list[tuple[float, int]], mean: float, window: int) -> float:
    """Weight in periods of a Gamma prior at ``mean`` whose squared CV is the peers' spread.

    Between-series CV^2 = (variance of the peer levels - their mean Poisson noise) / mean^2; a
    Gamma(shape 1/CV^2) prior with that mean weighs as (1/CV^2)/mean periods of data.  One peer
    gives no spread: the floor applies.  Capped to [1, window] periods.
    """
    levels = np.array([level for level, _n in peers])
    noise = float(np.mean([level / max(n, 1) for level, n in peers]))
    spread = (float(levels.var(ddof=1)) - noise) / mean ** 2 if len(levels) > 1 else 0.0
    cv2 = max(MIN_PRIOR_CV2, spread)
    return float(min(max((1.0 / cv2) / mean, 1.0), window))


__all__ = ["NbExcess", "calibrate", "pooled_dispersion", "rate_ratio_score", "METHOD", "DEFAULT_BUDGET"]
