"""A count series: counts per period, oldest first, with optional exposure.

What the store's series queries (:mod:`defectradar.query.series`) return and the temporal
detectors (:mod:`defectradar.signals`) score, so neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from defectradar.errors import InputError


@dataclass
class CountSeries:
    """Counts per period, oldest first, with optional exposure (units in service) per period.

    Parameters
    ----------
    periods
        Period labels (dates of the period start).
    counts
        Non-negative counts per period.
    denominators
        Exposure per period (e.g. units in service); rates are counts / denominators.
    freq
        ``day``, ``week`` or ``month``: what one period is (seasonal models need it).
    """

    periods: list[date]
    counts: np.ndarray
    denominators: np.ndarray | None = None
    freq: str = "week"
    name: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.counts = np.asarray(self.counts, dtype=float)
        if self.counts.ndim != 1:
            raise InputError("counts must be one value per period")
        if len(self.periods) != len(self.counts):
            raise InputError(f"{len(self.periods)} periods but {len(self.counts)} counts")
        if np.isnan(self.counts).any():
            raise InputError("counts hold missing values; fill them (0 if nothing was reported)")
        if (self.counts < 0).any():
            bad = int(np.argmax(self.counts < 0))
            raise InputError(f"count for period {self.periods[bad]} is negative ({self.counts[bad]:g})")
        if self.denominators is not None:
            self.denominators = np.asarray(self.denominators, dtype=float)
            if len(self.denominators) != len(self.counts):
                raise InputError("denominators must have one value per period")
            if (self.denominators < 0).any() or np.isnan(self.denominators).any():
                raise InputError("denominators must be non-negative numbers")
        if self.freq not in ("day", "week", "month"):
            raise InputError(f"freq must be day, week or month, not {self.freq!r}")

    def __len__(self) -> int:
        return len(self.counts)
