"""EARS C1, C2 and C3: the CDC Early Aberration Reporting System's short-baseline detectors.

Follows L. Hutwagner, W. Thompson, G. M. Seeman and T. Treadwell, "The bioterrorism preparedness
and response Early Aberration Reporting System (EARS)", J. Urban Health 80 (2003) i89-i96, and
the R package surveillance's ``earsC`` (version 1.20.3, ``R/earsC.R``).

For period :math:`t`, with a baseline of :math:`B` periods (default 7) ending ``lag`` periods
before :math:`t` (lag 0 for C1, 2 for C2 and C3),

.. math::  \\bar x_t = \\frac1B \\sum_{i=1}^{B} x_{t-\\text{lag}-i}, \\qquad
           \\sigma_t = \\max(s_t, \\sigma_{\\min}), \\qquad
           C_t = \\frac{x_t - \\bar x_t}{\\sigma_t},

where :math:`s_t` is the sample standard deviation (divisor :math:`B-1`) of the baseline.
C1 and C2 alarm when :math:`x_t > \\bar x_t + z\\,\\sigma_t`; C3 combines the C2 values of the
current and two previous periods, :math:`C3_t = C2_t + \\sum_{j=1}^{2} \\max(0, C2_{t-j} - 1)`
(``statistic_``).

``compat`` chooses between the two published definitions:

``"surveillance"`` (default) reproduces R's ``earsC`` exactly: :math:`z = \\Phi^{-1}(1-\\alpha)`
(``alpha`` 0.001 for C1/C2 gives :math:`z \\approx 3.09`, 0.025 for C3 gives 1.96), thresholds
:math:`\\bar x_t + z\\sigma_t` for C1/C2, and for C3 earsC's upperbound
:math:`\\max(0, x_t + \\sigma_t (z - P_t))` with :math:`P_t = \\sum_{j=1}^{2}\\max(0, C2_{t-j} - 1)`.
That C3 bound is built from the *observed* count, not the baseline mean, so earsC's C3 alarms
exactly when :math:`P_t > z` and :math:`x_t > 0`: the current count only has to be non-zero.
The alarm follows that bound, not :math:`C3_t > z`.

``"cdc"`` follows the CDC definition as written up by Fricker, Hegler and Dunfee (Stat. Med. 27,
2008, 3407-3429): C1 and C2 alarm when :math:`C_t > 3`; C3 is
:math:`\\sum_{j=0}^{2} \\max(0, C2_{t-j} - 1)` and alarms when it exceeds 2; ``alpha`` is not
used.  The C3 threshold is then :math:`\\bar x_t + \\sigma_t (3 - P_t)`, and :math:`-\\infty` when
:math:`P_t > 2`: then every count alarms, 0 included, so no finite non-negative threshold keeps
``alarm == (count > threshold)``.

With :math:`\\sigma_t = 0` (a constant baseline and ``min_sigma=0``) C1/C2 alarm on any count
above the mean; C3 values become infinite or undefined, and an undefined comparison gives no
alarm (earsC returns NA there).

Examples
--------
>>> from datetime import date, timedelta
>>> from defectradar.core.series import CountSeries
>>> days = [date(2024, 1, 1) + timedelta(i) for i in range(10)]
>>> series = CountSeries(days, [3, 4, 2, 5, 3, 4, 3, 4, 12, 3], freq="day")
>>> EarsC1().fit(series).alarm_.astype(int).tolist()
[0, 1, 0]
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from defectradar.core.confidence import z_for
from defectradar.core.estimator import Constraint, non_negative, one_of, probability
from defectradar.signals.base import AlarmRule, TemporalDetector


def _baseline_at_least_3(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 3


def baseline_moments(counts: np.ndarray, periods: np.ndarray, baseline: int, lag: int,
                     min_sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean and floored standard deviation of the ``baseline`` counts ending ``lag`` periods before each period."""
    windows = sliding_window_view(counts, baseline)[periods - lag - baseline]
    return windows.mean(axis=1), np.maximum(windows.std(axis=1, ddof=1), min_sigma)


class _Ears(TemporalDetector):
    """Shared machinery: baseline moments, C statistics, parameter checks."""

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "baseline": (_baseline_at_least_3, "a whole number of periods >= 3"),
        "alpha": (probability, "a probability between 0 and 1 (exclusive)"),
        "min_sigma": (non_negative, "a number >= 0 (floor on the baseline standard deviation)"),
        "compat": one_of("surveillance", "cdc"),
    }
    _lag: ClassVar[int] = 0

    def __init__(self, baseline: int = 7, alpha: float = 0.001, min_sigma: float = 0.0,
                 compat: str = "surveillance"):
        self.baseline = baseline
        self.alpha = alpha
        self.min_sigma = min_sigma
        self.compat = compat

    def min_history(self) -> int:
        """``baseline`` periods before the first scored one, plus the lag (2 for C2), plus the two
        earlier C2 values C3 needs: ``baseline`` (C1), ``baseline + 2`` (C2), ``baseline + 4`` (C3)."""
        return self.baseline + self._lag

    def _z(self) -> float:
        return 3.0 if self.compat == "cdc" else z_for(1 - self.alpha, two_sided=False)

    def alarm_rule(self) -> AlarmRule:
        """C1/C2 alarm when the count's z-score over the baseline exceeds ``z``."""
        return AlarmRule(self.method[-2:].upper(), ">", self._z(), "standard deviations above the baseline mean")

    def _c(self, counts: np.ndarray, periods: np.ndarray):
        mean, sigma = baseline_moments(counts, periods, self.baseline, self._lag, self.min_sigma)
        with np.errstate(divide="ignore", invalid="ignore"):
            return mean, sigma, (counts[periods] - mean) / sigma

    def _score(self, series, start):
        periods = np.arange(start, len(series))
        mean, sigma, statistic = self._c(series.counts, periods)
        threshold = mean + self._z() * sigma
        return mean, threshold, statistic, series.counts[periods] > threshold


class EarsC1(_Ears):
    """EARS C1: baseline of the ``baseline`` periods just before the current one (R ``earsC(method="C1")``).

    Parameters
    ----------
    baseline
        Number of baseline periods (default 7, at least 3).
    alpha
        One-sided level; the threshold is :math:`\\bar x + \\Phi^{-1}(1-\\alpha)\\,\\sigma`
        (default 0.001, :math:`z \\approx 3.09`).  Not used with ``compat="cdc"`` (:math:`z = 3`).
    min_sigma
        Floor on the baseline standard deviation (surveillance ``minSigma``; default 0).
    compat
        ``"surveillance"`` (R's earsC) or ``"cdc"`` (the CDC rule, statistic > 3); see the module.
    """

    method: ClassVar[str] = "ears-c1"
    _lag: ClassVar[int] = 0


class EarsC2(_Ears):
    """EARS C2: like C1, with a two-period gap between baseline and current period (R ``earsC(method="C2")``).

    Parameters are those of :class:`EarsC1`.
    """

    method: ClassVar[str] = "ears-c2"
    _lag: ClassVar[int] = 2


class EarsC3(_Ears):
    """EARS C3: the C2 statistic accumulated over three periods (R ``earsC(method="C3")``).

    Parameters are those of :class:`EarsC1`, except that ``alpha`` defaults to 0.025
    (:math:`z \\approx 1.96`) as in earsC; with ``compat="cdc"`` the alarm limit is 2.
    """

    method: ClassVar[str] = "ears-c3"
    _lag: ClassVar[int] = 2

    def __init__(self, baseline: int = 7, alpha: float = 0.025, min_sigma: float = 0.0,
                 compat: str = "surveillance"):
        super().__init__(baseline, alpha, min_sigma, compat)

    def min_history(self) -> int:
        return self.baseline + self._lag + 2

    def alarm_rule(self) -> AlarmRule:
        """CDC: C3 > 2.  surveillance: earsC alarms on the carried-over excess of the two periods
        before, :math:`P_t > z` (with a non-zero count), not on :math:`C3_t` itself."""
        if self.compat == "cdc":
            return AlarmRule("C3", ">", 2.0, "C2 excess over 1, summed over 3 periods")
        return AlarmRule("C3 carry-over", ">", self._z(), "C2 excess over 1 of the 2 periods before (earsC)")

    def rule_statistic(self) -> np.ndarray:
        self._check_fitted()
        return self.statistic_ if self.compat == "cdc" else self.carry_over_

    def _score(self, series, start):
        counts = series.counts
        periods = np.arange(start - 2, len(series))
        mean, sigma, c2 = self._c(counts, periods)
        excess = np.maximum(0.0, c2 - 1)  # NaN stays NaN, as R's pmax does
        previous = excess[:-2] + excess[1:-1]
        mean, sigma, c2, x = mean[2:], sigma[2:], c2[2:], counts[start:]
        with np.errstate(invalid="ignore"):
            if self.compat == "cdc":
                statistic = excess[2:] + previous
                # -inf: with P_t > 2 even a count of 0 alarms (see the module docstring).
                threshold = np.where(previous > 2, -np.inf, mean + sigma * (3 - previous))
                alarm = statistic > 2
            else:
                statistic = c2 + previous
                self.carry_over_ = previous          # what earsC's alarm compares with z
                # earsC's bound, built on the observed count (see the module docstring).
                threshold = np.maximum(0.0, x + sigma * (self._z() - previous))
                alarm = x > threshold
        return mean, threshold, statistic, alarm
