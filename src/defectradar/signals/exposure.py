"""Expected counts from exposure: what a product's units in service would give at everyone else's rate.

A new phone has no history of its own: its counts rise from zero as it sells, so a detector
comparing it with its own past sees "growth" at every launch, and a best-seller is flagged for
being popular.  Where sales give the units in service, the in-control mean of a product ×
mode series is instead

    expected(t) = units_in_service(t) × rate_mode(t)

with ``rate_mode(t)`` the failure-mode's pooled rate per unit-period over the **other**
products (leave-one-out, so a product's own defect does not raise its baseline) in the
``window`` periods before ``t`` (prospective: nothing at or after ``t`` is used).  A Poisson
chart on the counts against this mean (GLR, CUSUM) then watches the *rate*, complaints per
unit in service, as surveillance of a population at risk does.

This is written here rather than taken from a library because it is a property of the store's
series (which products sell, which modes they share), not of any one detector.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from defectradar.core.series import CountSeries

DEFAULT_WINDOW = 52
DEFAULT_PRIOR_EVENTS = 10.0
PRIOR_EVENTS = 0.5      # events added to each pooled window so a mode nobody reported has a rate above 0


def _frame(all_series: dict[tuple, CountSeries]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counts (columns: (product, mode)) and units in service (columns: product) on one period grid."""
    keyed = [(key, series) for key, series in all_series.items() if series.denominators is not None and len(key) == 2]
    if not keyed:
        return pd.DataFrame(), pd.DataFrame()
    periods = list(keyed[0][1].periods)
    if all(list(series.periods) == periods for _key, series in keyed) and periods == sorted(periods):
        # The scan's series share one calendar: build the frames from arrays (aligning thousands
        # of Series by index took most of this function's time at 4,000 series).
        index = pd.Index(periods)
        count_frame = pd.DataFrame(np.column_stack([np.asarray(s.counts, float) for _k, s in keyed]), index=index,
                                   columns=pd.MultiIndex.from_tuples([k for k, _s in keyed])).fillna(0.0)
        first = {}
        for (product, _mode), series in keyed:
            first.setdefault(product, series.denominators)
        unit_frame = pd.DataFrame(np.column_stack([np.asarray(d, float) for d in first.values()]), index=index,
                                  columns=list(first)).ffill().fillna(0.0)
        return count_frame, unit_frame
    counts, units = {}, {}
    for (product, mode), series in keyed:
        counts[(product, mode)] = pd.Series(series.counts, index=series.periods)
        units.setdefault(product, pd.Series(series.denominators, index=series.periods))
    count_frame = pd.DataFrame(counts).sort_index().fillna(0.0)
    unit_frame = pd.DataFrame(units).reindex(count_frame.index).ffill().fillna(0.0)
    return count_frame, unit_frame


def expected_from_exposure(all_series: dict[tuple, CountSeries], window: int = DEFAULT_WINDOW,
                           prior_events: float | None = DEFAULT_PRIOR_EVENTS) -> dict[tuple, np.ndarray]:
    """Exposure-based expected counts per period for every (product, mode) series with sales.

    Returns a dict keyed like ``all_series`` holding one expected count per period of that
    series (NaN where the product had no units in service yet, or no other product gives a
    rate).  Series without exposure are left out: their detectors use their own history.
    """
    counts, units = _frame(all_series)
    if counts.empty or units.shape[1] < 2:
        return {}
    by_mode: dict[str, list[str]] = defaultdict(list)
    for product, mode in counts.columns:
        by_mode[mode].append(product)
    total_units = units.sum(axis=1)
    # Trailing sums over the `window` periods before t (shifted by one: prospective).
    trailing = lambda frame: frame.rolling(window, min_periods=1).sum().shift(1)  # noqa: E731
    units_before = trailing(units)
    total_units_before = trailing(total_units.to_frame("all"))["all"]
    result: dict[tuple, np.ndarray] = {}
    for mode, products in by_mode.items():
        # One mode's products at once, as matrices (periods x products).
        mode_counts = counts[[(p, mode) for p in products]]
        mode_counts.columns = products
        before = trailing(mode_counts)
        total_before = before.sum(axis=1).to_numpy()[:, None]
        own_before = before.to_numpy()
        own_units = units[products].to_numpy()
        own_units_before = units_before[products].to_numpy()
        others_events = total_before - own_before
        others_units = total_units_before.to_numpy()[:, None] - own_units_before
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = (others_events + PRIOR_EVENTS) / others_units
            if prior_events is not None:
                # Empirical-Bayes blend: the product's own rate in the window, shrunk towards the
                # others' rate with the weight of `prior_events` events.  At launch (little own
                # exposure) this is the pooled rate; later it follows the product's own level,
                # so a model whose users simply age (batteries wear) is not an alarm every week.
                prior_units = prior_events / rate
                rate = (own_before + prior_events) / (own_units_before + prior_units)
            expected = np.where((own_units > 0) & (others_units > 0), rate * own_units, np.nan)
        frame = pd.DataFrame(expected, index=counts.index, columns=products)
        for product in products:
            series = all_series[(product, mode)]
            result[(product, mode)] = frame[product].reindex(series.periods).to_numpy(dtype=float)
    return result


def first_exposed(expected: np.ndarray) -> int | None:
    """Index of the first period with a usable (finite, positive) expected count."""
    usable = np.flatnonzero(np.isfinite(expected) & (expected > 0))
    return int(usable[0]) if usable.size else None


DEFAULT_NB_ALPHA = 0.1     # modest overdispersion for glr-nb against the exposure mean (override: alpha)

# The parameter through which each detector takes an in-control mean per scored period.
MEAN_PARAMETER = {"glr-poisson": "mu0", "glr-nb": "mu0", "nb-excess": "mu0"}


def takes_expected(method: str) -> bool:
    return method in MEAN_PARAMETER


def exposure_params(method: str, params: dict, expected: np.ndarray | None) -> tuple[dict, int] | None:
    """The detector's parameters with the exposure-based mean, and the first period to score.

    ``None`` when the method takes no external mean or the series has no usable exposure;
    the caller then lets the detector estimate its baseline from the series' own history.
    """
    if expected is None or not takes_expected(method):
        return None
    start = first_exposed(expected)
    if start is None:
        return None
    # Gaps (units briefly unknown) carry the last mean forward; a mean of 0 would make any
    # single report an alarm.
    mean = pd.Series(np.where(np.isfinite(expected[start:]) & (expected[start:] > 0), expected[start:], np.nan))
    mean = mean.ffill().to_numpy(dtype=float)
    given = {**params, MEAN_PARAMETER[method]: mean.tolist()}
    if method == "glr-nb" and given.get("alpha") is None:
        # With an external mean there is no baseline fit to estimate the dispersion from.
        given["alpha"] = DEFAULT_NB_ALPHA
    return given, start
