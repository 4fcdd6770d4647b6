"""Counting a detector's false alarms on simulated null series, per candidate threshold.

The counters behind :mod:`defectradar.signals.budget` (split out to keep modules small): each
scores many simulated series at once for one method, computing what does not depend on the
threshold once and reusing it for every candidate of the bisection.  The vectorised versions
count exactly the alarms of the detectors' own ``fit`` (tests/signals/test_budget.py checks).
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.special import gammaln
from scipy.stats import nbinom, norm, poisson

from defectradar.core.series import CountSeries
from defectradar.errors import InputError
from defectradar.signals.glr import PERIODS_PER_YEAR


def _dates(freq: str, periods: int) -> list[date]:
    if freq == "month":
        return [date(2000 + i // 12, i % 12 + 1, 1) for i in range(periods)]
    step = 7 if freq == "week" else 1
    return [date(2000, 1, 3) + timedelta(days=step * i) for i in range(periods)]


def _series_rows(counts: np.ndarray, freq: str) -> list[CountSeries]:
    dates = _dates(freq, counts.shape[1])
    return [CountSeries(dates, row, freq=freq) for row in counts]


# ----------------------------------------------------------------------------- alarm counters
class _Counter:
    """Alarms of one detector on the simulated series as a function of the search coordinate ``u``."""

    def __init__(self):
        self.included = 0          # simulated series the detector scores
        self.notes: list[str] = []
        self.null_reference = "estimated from each simulated series' history"

    def alarms(self, u: float, limit: float = math.inf) -> float:
        """Alarmed periods in all; may stop counting (and return more than ``limit``) once above it."""
        raise NotImplementedError


class _EarsCounter(_Counter):
    def __init__(self, det, counts: np.ndarray, start: int):
        super().__init__()
        self.c3 = det.method == "ears-c3"
        first = start - 2 if self.c3 else start
        periods = np.arange(first, counts.shape[1])
        windows = sliding_window_view(counts, det.baseline, axis=1)[:, periods - det._lag - det.baseline]
        mean = windows.mean(axis=2)
        sigma = np.maximum(windows.std(axis=2, ddof=1), det.min_sigma)
        with np.errstate(divide="ignore", invalid="ignore"):
            c2 = (counts[:, periods] - mean) / sigma
        if self.c3:
            excess = np.maximum(0.0, c2 - 1)
            self.previous = excess[:, :-2] + excess[:, 1:-1]
            sigma = sigma[:, 2:]
        self.x, self.mean, self.sigma = counts[:, start:], mean, sigma
        self.included = counts.shape[0]

    def alarms(self, u, limit=math.inf):
        with np.errstate(invalid="ignore"):
            if self.c3:
                threshold = np.maximum(0.0, self.x + self.sigma * (u - self.previous))
            else:
                threshold = self.mean + u * self.sigma
            return int((self.x > threshold).sum())


class _CusumCounter(_Counter):
    def __init__(self, det, counts: np.ndarray, start: int, mean: float, freq: str):
        super().__init__()
        from defectradar.signals.cusum import transform

        x = counts[:, start:]
        if det.m is None:
            m = counts[:, :start].mean(axis=1)
            keep = m > 0
            m = np.repeat(m[:, None], x.shape[1], axis=1)
        elif det.m == "glm":
            rows, keep = [], np.zeros(len(counts), dtype=bool)
            for i, series in enumerate(_series_rows(counts, freq)):
                try:
                    rows.append(det._reference(series, start))
                    keep[i] = True
                except InputError:
                    rows.append(np.ones(x.shape[1]))
            m = np.array(rows)
            keep &= np.isfinite(m).all(axis=1) & (m > 0).all(axis=1)
        else:
            m, keep = np.full(x.shape, mean), np.ones(len(counts), dtype=bool)
            self.null_reference = "the null mean (m given)"
        with np.errstate(divide="ignore", invalid="ignore"):
            self.z = transform(x[keep], m[keep], det.trans)
        self.k, self.reset = float(det.k), bool(det.reset)
        self.included = int(keep.sum())
        if not self.reset:
            self.statistic = self._run(math.inf)[0]

    def _run(self, h: float):
        level = np.zeros(self.z.shape[0])
        statistic = np.zeros(self.z.shape)
        alarms = 0
        for t in range(self.z.shape[1]):
            level = np.maximum(0.0, level + self.z[:, t] - self.k)
            statistic[:, t] = level
            hit = level >= h
            alarms += int(hit.sum())
            level = np.where(hit, 0.0, level)
        return statistic, alarms

    def alarms(self, u, limit=math.inf):
        h = math.exp(u)
        if not self.reset:
            return int((self.statistic >= h).sum())
        return self._run(h)[1]


class _GlrCounter(_Counter):
    """GLR charts with restarts; the statistic of a chart restarted at ``b`` is computed once."""

    def __init__(self, det, counts: np.ndarray, start: int, mean: float, dispersion: float, freq: str):
        super().__init__()
        from defectradar.signals.exposure import DEFAULT_NB_ALPHA
        from defectradar.signals.glr import ALPHA_BOUNDS

        scored = counts.shape[1] - start
        fixed_alpha = det._alpha()
        if det.method == "glr-nb" and fixed_alpha is None:
            if det.mu0 is not None:
                det.alpha = DEFAULT_NB_ALPHA
                self.notes.append(f"glr-nb with a given mu0 and no alpha: alpha={DEFAULT_NB_ALPHA} as the scan sets it")
            else:
                det.alpha = max(dispersion, ALPHA_BOUNDS[0])
                self.notes.append("glr-nb estimates alpha per series by maximum likelihood (seconds each); "
                                  f"simulated with the null's dispersion alpha={det.alpha:g} instead")
        if det.mu0 is not None:
            mu = np.full((counts.shape[0], scored), mean)
            keep = np.ones(len(counts), dtype=bool)
            alpha = float(det._alpha())
            self.null_reference = "the null mean (mu0 given)"
        elif det.harmonics == 0 and not det.trend:
            # Intercept-only Poisson or NB2 GLM: the maximum likelihood mean is the history mean.
            level = counts[:, :start].mean(axis=1)
            keep = level > 0
            mu = np.repeat(np.where(keep, level, 1.0)[:, None], scored, axis=1)
            alpha = float(det._alpha())
        else:
            rows, keep, alpha = [], np.zeros(len(counts), dtype=bool), 0.0
            for i, series in enumerate(_series_rows(counts, freq)):
                try:
                    row, alpha = det._baseline(series, start)
                    rows.append(row)
                    keep[i] = True
                except InputError:
                    rows.append(np.ones(scored))
            mu = np.array(rows, dtype=float)
        self.x, self.mu = counts[keep, start:], mu[keep]
        self.alpha, self.window, self.mtilde = alpha, det.window, det.mtilde
        self.included = int(keep.sum())
        self._paths: dict[tuple[int, int], np.ndarray] = {}
        self._cx = np.concatenate([np.zeros((self.x.shape[0], 1)), np.cumsum(self.x, axis=1)], axis=1)
        self._cm = np.concatenate([np.zeros((self.mu.shape[0], 1)), np.cumsum(self.mu, axis=1)], axis=1)

    def _compute(self, rows: np.ndarray, begins: np.ndarray) -> np.ndarray:
        """GLR statistic per period of the charts (re)started at ``begins`` (-inf where not scored)."""
        size = self.x.shape[1]
        out = np.full((len(rows), size), -np.inf)
        poisson_chart = self.alpha == 0
        first = self.mtilde if (poisson_chart and self.window is not None) else self.mtilde - 1
        offset = (0 if self.window is None else self.mtilde) if poisson_chart else self.mtilde - 1
        for g in range(int(begins.min()) + first, size):
            n = g - begins
            valid = n >= first
            low = begins + (0 if self.window is None else np.maximum(0, n - self.window))
            high = begins + n - offset
            valid &= high >= low
            if not valid.any():
                continue
            which = np.flatnonzero(valid)
            lo, hi = low[which], high[which]
            ks = np.arange(lo.min(), hi.max() + 1)
            allowed = (ks[None, :] >= lo[:, None]) & (ks[None, :] <= hi[:, None])
            r = rows[which]
            if poisson_chart:
                sum_x = self._cx[r, g + 1][:, None] - self._cx[r][:, ks]
                sum_mu = self._cm[r, g + 1][:, None] - self._cm[r][:, ks]
                with np.errstate(divide="ignore", invalid="ignore"):
                    kappa = np.maximum(0.0, np.log(sum_x / sum_mu))
                value = np.where(allowed, kappa * sum_x + (1 - np.exp(kappa)) * sum_mu, -np.inf)
            else:
                value = _nb_glr_rows(self.x[r, ks[0]:g + 1], self.mu[r, ks[0]:g + 1], ks - ks[0], allowed,
                                     self.alpha)
            out[which, g] = value.max(axis=1)
        return out

    def _statistic(self, rows: np.ndarray, begins: np.ndarray) -> np.ndarray:
        missing = [(r, b) for r, b in zip(rows.tolist(), begins.tolist()) if (r, b) not in self._paths]
        if missing:
            computed = self._compute(np.array([m[0] for m in missing]), np.array([m[1] for m in missing]))
            for pair, path in zip(missing, computed):
                self._paths[pair] = path
        return np.array([self._paths[(r, b)] for r, b in zip(rows.tolist(), begins.tolist())])

    def alarms(self, u, limit=math.inf):
        c_arl = math.exp(u)
        size = self.x.shape[1]
        rows = np.arange(self.x.shape[0])
        begins = np.zeros(len(rows), dtype=int)
        total = 0
        while len(rows):
            statistic = self._statistic(rows, begins)
            hit = statistic >= c_arl
            hit &= np.arange(size)[None, :] >= begins[:, None]
            alarmed = hit.any(axis=1)
            total += int(alarmed.sum())
            if total > limit:
                return total
            begins = np.argmax(hit, axis=1) + 1
            keep = alarmed & (begins < size)
            rows, begins = rows[keep], begins[keep]
        return total


def _nb_glr_rows(xs: np.ndarray, ms: np.ndarray, starts: np.ndarray, allowed: np.ndarray, alpha: float) -> np.ndarray:
    """Negative binomial GLR of every (series, change point): ``glr._nb_glr`` for many series at once.

    ``xs``, ``ms``: (series, periods from the first change point to now); ``starts``: change
    points as column indices; ``allowed``: (series, change points).  Returns (series, change
    points), -inf where not allowed.
    """
    n_series, width = xs.shape
    k = len(starts)
    x = np.broadcast_to(xs[:, None, :], (n_series, k, width)).reshape(-1, width)
    mu = np.broadcast_to(ms[:, None, :], (n_series, k, width)).reshape(-1, width)
    mask = (np.arange(width)[None, :] >= starts[:, None])[None, :, :] & allowed[:, :, None]
    mask = mask.reshape(-1, width)

    def score(kappa, xx, mm, mk):
        e = np.exp(kappa)[:, None] * mm
        return np.where(mk, (xx - e) / (1 + alpha * e), 0.0).sum(axis=1)

    kappa = np.zeros(len(x))
    active = score(kappa, x, mu, mask) > 0
    if active.any():
        xa, ma, mk = x[active], mu[active], mask[active]
        lo = np.zeros(len(xa))
        with np.errstate(divide="ignore", invalid="ignore"):
            kk = np.maximum(0.0, np.log((xa * mk).sum(axis=1) / (ma * mk).sum(axis=1)))
        hi = kk + 1.0
        for _ in range(200):
            with np.errstate(over="ignore", invalid="ignore"):
                neg = ~(score(hi, xa, ma, mk) >= 0)
            if neg.all():
                break
            hi = np.where(neg, hi, hi + 2 * (hi - lo) + 1)
        kk = np.clip(kk, lo, hi)
        pending = np.arange(len(kk))          # rows still iterating (each stops when it converges)
        for _ in range(200):
            xp, mp, kp, k0 = xa[pending], ma[pending], mk[pending], kk[pending]
            e = np.exp(k0)[:, None] * mp
            s = np.where(kp, (xp - e) / (1 + alpha * e), 0.0).sum(axis=1)
            info = np.where(kp, e * (alpha * xp + 1) / (1 + alpha * e) ** 2, 0.0).sum(axis=1)
            low, high = np.where(s > 0, k0, lo[pending]), np.where(s > 0, hi[pending], k0)
            step = k0 + s / info
            # A Newton step of (almost) nothing is convergence too: glr._nb_glr then bisects towards
            # a root it already stands on (the Poisson start is often exactly it), to the same value.
            still = np.abs(step - k0) >= 1e-12
            new = np.where(~still, k0, np.where((step > low) & (step < high), step, (low + high) / 2))
            lo[pending], hi[pending], kk[pending] = low, high, new
            pending = pending[still & (np.abs(new - k0) >= 1e-12)]
            if not len(pending):
                break
        kappa[active] = kk
    e = np.exp(kappa)[:, None]
    terms = kappa[:, None] * x + (x + 1 / alpha) * (np.log1p(alpha * mu) - np.log1p(alpha * mu * e))
    value = np.where(mask, terms, 0.0).sum(axis=1).reshape(n_series, k)
    return np.where(allowed, value, -np.inf)


class _BurstsCounter(_Counter):
    def __init__(self, det, counts: np.ndarray, start: int):
        super().__init__()
        n_series, size = counts.shape
        if det.baseline == "history":
            base = counts[:, :start].mean(axis=1) if start > 0 else np.zeros(n_series)
            keep = base > 0
        else:
            base = counts.mean(axis=1)
            keep = np.ones(n_series, dtype=bool)
        counts, base = counts[keep], base[keep]
        r = counts[:, :, None]
        lam = base[:, None, None] * det.s ** np.arange(det.n_states)[None, None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            log_lam = np.where(r > 0, r * np.log(lam), 0.0)
        self.emission = lam - log_lam + gammaln(r + 1)
        self.silent = base <= 0                       # no event at all: state 0 throughout
        steps = np.arange(det.n_states)
        self.up = np.maximum(steps[None, :] - steps[:, None], 0) * math.log(max(size, 1))
        self.start = start
        self.included = int(keep.sum())
        self.null_reference = "the base rate of each whole simulated series" if det.baseline == "series" else \
            "the base rate of each simulated series' history"

    def alarms(self, u, limit=math.inf):
        emission = self.emission
        n_series, size, k = emission.shape
        transition = u * self.up
        back = np.zeros((n_series, size, k), dtype=np.int64)
        best = transition[0][None, :] + emission[:, 0, :]
        for t in range(1, size):
            total = best[:, :, None] + transition[None, :, :]
            back[:, t] = np.argmin(total, axis=1)
            best = np.take_along_axis(total, back[:, t][:, None, :], axis=1)[:, 0, :] + emission[:, t]
        states = np.empty((n_series, size), dtype=np.int64)
        states[:, -1] = np.argmin(best, axis=1)
        for t in range(size - 1, 0, -1):
            states[:, t - 1] = np.take_along_axis(back[:, t], states[:, t][:, None], axis=1)[:, 0]
        states[self.silent] = 0
        return int((states[:, self.start:] > 0).sum())


class _FarringtonCounter(_Counter):
    """Expected alarms from the model at one random scored period per series (exact given the model)."""

    def __init__(self, det, counts: np.ndarray, start: int, mean: float, dispersion: float, freq: str, seed: int):
        super().__init__()
        from defectradar.signals.farrington import reference_periods

        n_series, size = counts.shape
        det._cycle = PERIODS_PER_YEAR[freq]
        if det.b < 3:
            det.trend = False        # never kept with b < 3 (Farrington._predict): skip fitting it
        excluded = det.w if det.past_periods_not_included is None else det.past_periods_not_included
        cases, span = det.limit54
        if excluded < span - 1:
            self.notes.append(f"the last {span - 1} periods before a scored one are partly in the reference data "
                              "(past_periods_not_included < limit54[1] - 1); the rate treats them as independent")
        rng = np.random.default_rng([seed, 1])
        scored_at = rng.integers(start, size, n_series)
        self.models = []
        for row, k in zip(counts, scored_at):
            index, groups = reference_periods(int(k), det._cycle, det.b, det.w, det.no_periods, excluded)
            self.models.append(det._predict(int(k), index, row[index], groups))
        self.det = det
        # P(alarm | U) = P(X > U, X > 0, X + S >= cases) with X the current count and S the sum of the
        # span - 1 counts before it, all from the null and independent of the model.
        if dispersion > 0:
            size_r, p = 1 / dispersion, 1 / (1 + dispersion * mean)
            top = int(nbinom.isf(1e-14, size_r, p)) + 2
            x = np.arange(top + 1)
            pmf = nbinom.pmf(x, size_r, p)
            rule = nbinom.sf(cases - x - 1, size_r * (span - 1), p) if span > 1 else (x >= cases).astype(float)
        else:
            top = int(poisson.isf(1e-14, mean)) + 2
            x = np.arange(top + 1)
            pmf = poisson.pmf(x, mean)
            rule = poisson.sf(cases - x - 1, mean * (span - 1)) if span > 1 else (x >= cases).astype(float)
        g = np.where(x > 0, pmf * rule, 0.0)
        self.tail = np.concatenate([np.cumsum(g[::-1])[::-1], [0.0]])   # tail[j] = P(alarm-eligible X >= j)
        self.scored = size - start
        self.included = n_series
        self.null_reference = "fitted to each simulated series' reference periods"

    def alarms(self, u, limit=math.inf):
        self.det.alpha = float(norm.sf(u))
        probability = np.zeros(len(self.models))
        for i, model in enumerate(self.models):
            if model is None:
                continue
            upper = self.det._upper(model[0], model[1], model[2])
            if not math.isfinite(upper):
                continue
            first = min(max(math.floor(upper) + 1, 0), len(self.tail) - 1)
            probability[i] = self.tail[first]
        return float(probability.mean() * self.included * self.scored)
