"""Weibull lifetimes: baseline and defect hazards per model, and the empirical onset of a defect.

A Weibull time to failure :math:`T` with shape :math:`k` and scale :math:`\\eta` (days of age) has

.. math::

    H(t) = (t / \\eta)^k, \\qquad h(t) = \\frac{k}{\\eta} (t / \\eta)^{k-1},
    \\qquad P(T \\le t) = 1 - e^{-H(t)}.

Baseline hazards are given as the probability of failing within the first year, ``p``, so
:math:`\\eta = 365 / (-\\ln(1-p))^{1/k}`; a model's ``quality`` multiplies the hazard, which
divides :math:`\\eta` by ``quality ** (1/k)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from defectradar.simulate.parameters import (
    BASELINE_HAZARDS,
    DEFECTS,
    MODES,
    InjectedDefect,
    SalesPlan,
)

ONSET_WINDOW_DAYS = 28
ONSET_MIN_FAILURES = 5
ONSET_MIN_RATIO = 2.0
ONSET_RULE = (
    "onset = the first day D on which the number of failures caused by the defect in the 28 days "
    "ending on D (first failures of the mode on affected units sold, by failure date, reported or "
    "not) is at least 5 and at least 2 times the number of failures of that mode the product's "
    "baseline hazard alone would give in the same 28 days (sum over units sold before D of the "
    "baseline cumulative-hazard increment H(a+1)-H(a) at each day's age a); null if never reached"
)


@dataclass(frozen=True)
class Weibull:
    shape: float
    scale: float

    def cumulative_hazard(self, age_days: np.ndarray) -> np.ndarray:
        return (np.asarray(age_days, dtype=float) / self.scale) ** self.shape

    def hazard(self, age_days: float) -> float:
        return self.shape / self.scale * (age_days / self.scale) ** (self.shape - 1.0)

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.weibull(self.shape, size) * self.scale


def baseline_weibull(mode: str, plan: SalesPlan) -> Weibull:
    """The baseline hazard of ``mode`` on a model of the given quality."""
    spec = BASELINE_HAZARDS[mode]
    scale = 365.0 / (-np.log1p(-spec.first_year_probability)) ** (1.0 / spec.shape)
    return Weibull(spec.shape, float(scale / plan.quality ** (1.0 / spec.shape)))


def defects_of(product_id: str) -> dict[str, InjectedDefect]:
    """Injected defects of a product, by failure mode."""
    return {d.mode: d for d in DEFECTS if d.product_id == product_id}


@dataclass
class ProductHazards:
    """The hazards one model's units face: baseline per mode, defect per mode where injected."""

    baseline: tuple[Weibull, ...]
    defects: dict[int, tuple[InjectedDefect, Weibull]]     # mode column -> defect
    hazard_start: dict[int, int]                           # mode column -> first affected day

    @classmethod
    def for_product(cls, product_id: str, plan: SalesPlan, launch: date) -> "ProductHazards":
        baseline = tuple(baseline_weibull(mode, plan) for mode in MODES)
        defects, starts = {}, {}
        for mode, defect in defects_of(product_id).items():
            column = MODES.index(mode)
            defects[column] = (defect, Weibull(defect.shape, defect.scale_days))
            starts[column] = (defect.hazard_start or launch).toordinal()
        return cls(baseline, defects, starts)

    def draw_times(self, rng: np.random.Generator, purchase_days: np.ndarray,
                   with_defects: bool = True) -> np.ndarray:
        """Days from purchase to the first failure of every mode, one row per unit.

        Columns are drawn in ``MODES`` order and every column is drawn for every unit, so the
        random stream (and therefore the world) does not depend on which units are affected.
        """
        n = len(purchase_days)
        times = np.empty((n, len(MODES)))
        for column, base in enumerate(self.baseline):
            times[:, column] = base.draw(rng, n)
            if with_defects and column in self.defects:
                drawn = self.defects[column][1].draw(rng, n)
                affected = purchase_days >= self.hazard_start[column]
                times[affected, column] = drawn[affected]
        return times

    def hazard_multiplier(self, column: int) -> float:
        """Defect hazard over baseline hazard of the same mode at 365 days of age."""
        return self.defects[column][1].hazard(365.0) / self.baseline[column].hazard(365.0)


def expected_baseline_failures(purchases_per_day: np.ndarray, baseline: Weibull) -> np.ndarray:
    """Expected failures per day from the baseline hazard alone, given units bought per day.

    ``E[d] = sum_p n_p * (H(d - p + 1) - H(d - p))``, a convolution of the purchase histogram
    with the daily cumulative-hazard increments (survivors are not removed: failures are rare).
    """
    days = len(purchases_per_day)
    increments = np.diff(baseline.cumulative_hazard(np.arange(days + 1)))
    return np.convolve(purchases_per_day, increments)[:days]


def onset_day(defect_failures_per_day: np.ndarray, expected_per_day: np.ndarray) -> int | None:
    """Index of the first day meeting :data:`ONSET_RULE`, or None."""
    window = ONSET_WINDOW_DAYS

    def trailing(values: np.ndarray) -> np.ndarray:
        total = np.cumsum(values, dtype=float)
        total[window:] = total[window:] - total[:-window]
        return total

    observed = trailing(defect_failures_per_day)
    expected = trailing(expected_per_day)
    hits = np.flatnonzero((observed >= ONSET_MIN_FAILURES) & (observed >= ONSET_MIN_RATIO * expected))
    return int(hits[0]) if len(hits) else None
