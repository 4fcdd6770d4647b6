"""Monthly sales per model, province and channel: the exact population of simulated devices.

Each simulated device is one unit sold, so the counts drawn here are both ``sales.csv`` and the
number of devices generated per cell; rates computed from the sales file are exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from defectradar.domain.catalog import Product
from defectradar.simulate.parameters import (
    CHANNELS,
    FESTIVAL_BOOST,
    LAUNCH_MONTH_BOOST,
    OBSERVATION_END,
    REGIONS,
    SalesPlan,
)

STREAM_SALES = 1


@dataclass(frozen=True)
class SalesMonth:
    """Units of one model sold in one month, by province x channel.

    ``first_day``/``last_day`` are the ordinals of the days the model was on sale that month;
    ``cells[r, c]`` are the units sold in ``REGIONS[r]`` through ``CHANNELS[c]``.
    """

    month: date
    first_day: int
    last_day: int
    cells: np.ndarray

    @property
    def units(self) -> int:
        return int(self.cells.sum())


def sales_window(product: Product) -> tuple[date, date]:
    """From launch to the end of production or the observation end, whichever comes first."""
    end = min(product.end_of_production or OBSERVATION_END, OBSERVATION_END)
    return product.launch_date, end


def _months(first: date, last: date) -> list[date]:
    months, current = [], date(first.year, first.month, 1)
    while current <= last:
        months.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months


def _month_end(month: date) -> date:
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def plan_sales(product: Product, plan: SalesPlan, product_number: int, seed: int,
               scale: float) -> list[SalesMonth]:
    """Units sold per month, province and channel for one model.

    The expected monthly volume follows the launch peak and exponential decay of
    :class:`SalesPlan`, pro-rated for partial months, boosted in festival months; the drawn
    volume is Poisson around it (times ``scale``), split multinomially across provinces and
    channels.  The draw uses its own child generator, so it does not depend on other models.
    """
    first, last = sales_window(product)
    months = _months(first, last)
    weights = []
    for index, month in enumerate(months):
        start = max(month, first)
        end = min(_month_end(month), last)
        fraction = (end.toordinal() - start.toordinal() + 1) / _month_end(month).day
        weight = fraction * np.exp(-index / plan.decay_months) * FESTIVAL_BOOST.get(month.month, 1.0)
        weights.append(weight * (LAUNCH_MONTH_BOOST if index == 0 else 1.0))
    weights = np.array(weights) / np.sum(weights)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(STREAM_SALES, product_number)))
    region_share = np.array([share for _, share in REGIONS])
    cell_share = np.outer(region_share / region_share.sum(), [plan.online_share, 1 - plan.online_share])
    result = []
    for month, weight in zip(months, weights):
        units = int(rng.poisson(plan.units * scale * weight))
        cells = rng.multinomial(units, cell_share.ravel()).reshape(len(REGIONS), len(CHANNELS))
        start = max(month, first).toordinal()
        end = min(_month_end(month), last).toordinal()
        result.append(SalesMonth(month, start, end, cells))
    return result
