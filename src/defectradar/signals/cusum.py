"""CUSUM for Poisson counts with a transformed (approximately normal) observation.

Follows the R package surveillance's ``cusum`` / ``algo.cusum`` (version 1.20.3), which
implements the CUSUM of E. S. Page (Biometrika 41, 1954) on standardised counts, with the
approximate normalising transform of G. Rossi, L. Lampugnani and M. Marchi, "An approximate
CUSUM procedure for surveillance of health events", Stat. Med. 18 (1999) 2111-2122, as an option.

With reference (in-control) mean :math:`m_t`, each count is transformed to :math:`z_t`:

* ``standard`` (surveillance's default): :math:`z_t = (x_t - m_t)/\\sqrt{m_t}`;
* ``rossi``: :math:`z_t = (x_t - 3m_t + 2\\sqrt{x_t m_t}) / (2\\sqrt{m_t})`;
* ``anscombe``: :math:`z_t = \\tfrac32 (x_t^{2/3} - m_t^{2/3}) / m_t^{1/6}`;

and accumulated as :math:`S_t = \\max(0, S_{t-1} + z_t - k)`, :math:`S_0 = 0` (``statistic_``),
with an alarm when :math:`S_t \\ge h`.  surveillance never resets the sum; ``reset=True`` sets
:math:`S_t = 0` after an alarm (the usual practice once an alarm has been investigated).

``threshold_`` is surveillance's upperbound, the count at which :math:`S_t` would reach
:math:`h` given :math:`S_{t-1}`: solving :math:`z_t = h + k - S_{t-1}` for :math:`x_t`
(rounded up for ``standard``; a quadratic in :math:`\\sqrt{x_t}` for ``rossi``); negative values
are reported as 0.  The alarm sounds when ``count >= threshold`` (up to rounding).  One deliberate
difference: for ``rossi`` with :math:`h + k - S_{t-1} < -1.5\\sqrt{m_t}` every count alarms and the
bound is 0, where surveillance reports a small positive number (its quadratic's root is negative).

:math:`m_t` (``expected_``) is, as in surveillance, the mean of every period before ``start``
(``m=None``), a given number, or (``m="glm"``) a Poisson GLM with one sine/cosine pair fitted to
those periods, :math:`\\log m_t = \\beta_0 + \\beta_1\\cos(2\\pi t/p) + \\beta_2\\sin(2\\pi t/p)`
(see :func:`defectradar.signals.glr.seasonal_mean`).

Examples
--------
>>> from datetime import date, timedelta
>>> from defectradar.core.series import CountSeries
>>> weeks = [date(2024, 1, 1) + timedelta(7 * i) for i in range(12)]
>>> series = CountSeries(weeks, [2, 3, 2, 1, 2, 3, 2, 2, 9, 8, 10, 2])
>>> Cusum(reset=True).fit(series, start=6).alarm_.astype(int).tolist()
[0, 0, 1, 1, 1, 0]
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from defectradar.core.estimator import Constraint, non_negative, one_of, positive
from defectradar.errors import InputError
from defectradar.signals.base import AlarmRule, TemporalDetector


def transform(x: np.ndarray, m: np.ndarray, trans: str) -> np.ndarray:
    """The normalised observation :math:`z_t` of ``algo.cusum`` for transform ``trans``."""
    if trans == "standard":
        return (x - m) / np.sqrt(m)
    if trans == "rossi":
        return (x - 3 * m + 2 * np.sqrt(x * m)) / (2 * np.sqrt(m))
    return 1.5 * (x ** (2 / 3) - m ** (2 / 3)) / m ** (1 / 6)


def upper_bound(m: np.ndarray, previous: np.ndarray, k: float, h: float, trans: str) -> np.ndarray:
    """``algo.cusum``'s upperbound: the count that brings :math:`S_t` to ``h`` given :math:`S_{t-1}`."""
    room = h + k - previous
    with np.errstate(invalid="ignore"):
        if trans == "standard":
            bound = np.ceil(np.sqrt(m) * room + m)
        elif trans == "rossi":
            bound = (2 * np.sqrt(m) * room + 5 * m
                     - 2 * np.sqrt(4 * m ** 2 + 2 * m ** 1.5 * room))
            # z_t >= -1.5 sqrt(m) for every count, so below that room even x = 0 alarms.  The root
            # in sqrt(x), sqrt(4m + 2 sqrt(m) room) - sqrt(m), is then negative; surveillance squares
            # it anyway (the formula above) and reports a positive bound for counts that all alarm.
            bound = np.where(room < -1.5 * np.sqrt(m), 0.0, bound)
        else:
            inner = 2 / 3 * m ** (1 / 6) * room + m ** (2 / 3)
            bound = np.where(inner < 0, 0.0, np.abs(inner) ** 1.5)
    # As in surveillance: undefined (NaN) and negative bounds are reported as 0.
    return np.maximum(np.nan_to_num(bound, nan=0.0), 0.0)


def _reference_mean(value) -> bool:
    return value is None or value == "glm" or positive(value)


class Cusum(TemporalDetector):
    """Page's CUSUM on transformed Poisson counts (surveillance ``cusum``).

    Parameters
    ----------
    k
        Reference value subtracted from each transformed count (default 1.04).
    h
        Decision interval: alarm when the sum reaches ``h`` (default 2.26).
    m
        Reference mean: ``None`` (mean of the history periods, surveillance's default), a
        positive number, or ``"glm"`` (seasonal Poisson GLM fitted to the history periods).
    trans
        ``"standard"`` (default), ``"rossi"`` or ``"anscombe"``.
    reset
        Restart the sum at 0 after an alarm (surveillance does not; default False).
    """

    method: ClassVar[str] = "cusum"
    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "k": (non_negative, "a number >= 0 (the reference value)"),
        "h": (positive, "a positive number (the decision interval)"),
        "m": (_reference_mean, 'None (mean of the history), a positive number or "glm"'),
        "trans": one_of("standard", "rossi", "anscombe"),
        "reset": (lambda v: isinstance(v, bool), "True or False"),
    }

    def __init__(self, k: float = 1.04, h: float = 2.26, m=None, trans: str = "standard", reset: bool = False):
        self.k = k
        self.h = h
        self.m = m
        self.trans = trans
        self.reset = reset

    def alarm_rule(self) -> AlarmRule:
        return AlarmRule("CUSUM", ">=", float(self.h), "cumulative standardised excess")

    def min_history(self) -> int:
        """0 with a given ``m``; 1 for the history mean; 4 for the GLM (three coefficients and a
        residual degree of freedom)."""
        if self.m is None:
            return 1
        return 4 if self.m == "glm" else 0

    def _reference(self, series, start) -> np.ndarray:
        scored = len(series) - start
        if self.m == "glm":
            from defectradar.signals.glr import PERIODS_PER_YEAR, seasonal_mean

            return seasonal_mean(series.counts, start, PERIODS_PER_YEAR[series.freq], harmonics=1)[0]
        if self.m is None:
            mean = series.counts[:start].mean()
            if mean <= 0:
                raise InputError("cusum: the history periods hold no counts, so the reference mean is 0 and "
                                 "counts cannot be standardised; give m or start scoring later")
            return np.full(scored, mean)
        return np.full(scored, float(self.m))

    def _score(self, series, start):
        x = series.counts[start:]
        m = self._reference(series, start)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = transform(x, m, self.trans)
        statistic, previous = np.zeros(len(x)), np.zeros(len(x))
        alarm = np.zeros(len(x), dtype=bool)
        level = 0.0
        for t, value in enumerate(z):
            previous[t] = level
            level = max(0.0, level + value - self.k)
            statistic[t] = level
            alarm[t] = level >= self.h
            if alarm[t] and self.reset:
                level = 0.0
        return m, upper_bound(m, previous, self.k, self.h, self.trans), statistic, alarm
