"""Checked inputs for the reliability estimators: lifetimes and recurrent repairs.

Every estimator takes one of these two containers, so the checks live in one place and each
problem is reported naming the row (1-based data row, or the file row when read from a file)
and what to do about it:

* :class:`LifetimeData`: one row per unit (or per group of identical units, with a frequency
  ``weight``): the age at failure (``event = 1``) or the age at which it was last seen
  working (``event = 0``, right-censored).
* :class:`RecurrenceData`: the repair history of units, one row per repair (``event = 1``)
  and exactly one row per unit at the end of its observation (``event = 0``) -- the layout
  of R's ``valveSeat`` data and of Nelson's MCF tables.
* :class:`WarrantyCounts`: claims by sales month and claim month with the units sold per
  sales month, the input of the Nevada chart and the claims forecast.

Weights are frequency weights: a row with weight 1,000 stands for 1,000 identical units.  This
is how the store feeds cohorts (units sold in a month that never failed) without building a
million-row frame.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from defectradar.errors import InputError

#: Words in a column name that say the unit of its ages, and the unit they stand for.
UNIT_WORDS: dict[str, str] = {
    **dict.fromkeys(("second", "seconds", "sec", "secs"), "seconds"),
    **dict.fromkeys(("minute", "minutes", "min", "mins"), "minutes"),
    **dict.fromkeys(("hour", "hours", "hr", "hrs", "h"), "hours"),
    **dict.fromkeys(("day", "days", "d"), "days"),
    **dict.fromkeys(("week", "weeks", "wk", "wks"), "weeks"),
    **dict.fromkeys(("month", "months", "mo", "mos", "mis"), "months"),
    **dict.fromkeys(("year", "years", "yr", "yrs"), "years"),
    **dict.fromkeys(("mile", "miles", "mileage", "mi"), "miles"),
    **dict.fromkeys(("km", "kms", "kilometre", "kilometres", "kilometer", "kilometers"), "km"),
    **dict.fromkeys(("cycle", "cycles"), "cycles"),
}
#: Units that are calendar time (the others are usage: distance, cycles ...).
TIME_UNITS = ("seconds", "minutes", "hours", "days", "weeks", "months", "years")


def unit_from_column(column: str) -> str:
    """The unit of the ages in ``column``, read from its name.

    The first word of the name (split at anything not a letter and at lower-to-upper case
    changes) that names a unit gives it (``miles``, ``age_days``, ``hoursToFailure``,
    ``mileage`` -> miles); a name without such a word is the unit itself (``time`` -> ``time``),
    so a label always says which column the ages came from.

    >>> unit_from_column("miles"), unit_from_column("age_in_weeks"), unit_from_column("t")
    ('miles', 'weeks', 't')
    """
    words = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(column))
    for word in re.split(r"[^A-Za-z]+", words):
        unit = UNIT_WORDS.get(word.lower())
        if unit is not None:
            return unit
    return str(column)


def format_age(value: float, unit: str | None = None) -> str:
    """An age for a message: whole numbers with thousands separators from 10,000 on (no ``1e+05``),
    four significant digits below; followed by the unit when there is one.

    >>> format_age(100000, "miles"), format_age(12.5), format_age(3626934.2, "days")
    ('100,000 miles', '12.5', '3,626,934 days')
    """
    number = f"{value:,.0f}" if 1e4 <= abs(value) < 1e15 else f"{value:.4g}"
    return f"{number} {unit}" if unit else number


def no_survivors_note(units: float) -> str:
    """The warning for lifetimes without a censored unit (see :meth:`LifetimeData.caveats`)."""
    return (f"no unit is censored: all {units:,.0f} units failed, so the estimate describes the units that failed "
            "(e.g. the ages in complaints), not the fleet; for a fleet's probability of failure add the units "
            "still working (event 0 at their age now)")


def _row(index: int, labels: np.ndarray | None) -> str:
    return f"row {labels[index]}" if labels is not None else f"data row {index + 1}"


def _shown(value) -> str:
    """A cell as the user wrote it (numpy scalars shown as plain numbers)."""
    value = value.item() if hasattr(value, "item") else value
    return repr(value)


def _times(values: Any, name: str, labels: np.ndarray | None) -> np.ndarray:
    series = pd.Series(values) if not isinstance(values, pd.Series) else values.reset_index(drop=True)
    numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(numbers)
    if bad.any():
        i = int(np.argmax(bad))
        shown = series.iloc[i]
        what = "missing" if shown is None or (isinstance(shown, float) and np.isnan(shown)) or shown == "" \
            else f"{_shown(shown)}, not a number"
        raise InputError(f"{_row(i, labels)}: {name} is {what}; give every unit's age (a number >= 0, "
                         "e.g. days since purchase), or drop the row")
    negative = numbers < 0
    if negative.any():
        i = int(np.argmax(negative))
        raise InputError(f"{_row(i, labels)}: {name} {numbers[i]:g} is negative; ages count from purchase "
                         "and cannot be below 0 (check the purchase and event dates)")
    return numbers


def _flags(values: Any, name: str, labels: np.ndarray | None) -> np.ndarray:
    series = pd.Series(values) if not isinstance(values, pd.Series) else values.reset_index(drop=True)
    if series.dtype == bool:
        return series.to_numpy()
    numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isin(numbers, (0.0, 1.0))
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(f"{_row(i, labels)}: {name} is {_shown(series.iloc[i])}; it must be 1 (failed / a repair) "
                         "or 0 (censored: still working / end of observation)")
    return numbers == 1.0


def _weights(values: Any, n: int, labels: np.ndarray | None) -> np.ndarray:
    if values is None:
        return np.ones(n)
    weights = _times(values, "weight", labels)        # same checks: a finite number >= 0
    if len(weights) != n:
        raise InputError(f"{len(weights)} weights for {n} rows; give one weight per row")
    return weights


@dataclass(frozen=True)
class LifetimeData:
    """Ages at failure or censoring, one row per unit or per group of identical units.

    Attributes
    ----------
    time
        Age (days, months, ... -- any unit, used consistently) at failure or censoring.
    event
        ``True`` failed at ``time``; ``False`` right-censored (still working at ``time``).
    weight
        Frequency weight: how many identical units the row stands for.
    """

    time: np.ndarray
    event: np.ndarray
    weight: np.ndarray

    @classmethod
    def from_arrays(cls, time, event, weight=None, row_labels=None) -> "LifetimeData":
        """Check and wrap arrays; ``row_labels`` names rows in messages (e.g. file row numbers)."""
        labels = None if row_labels is None else np.asarray(row_labels)
        t = _times(time, "time", labels)
        e = _flags(event, "event", labels)
        if len(t) != len(e):
            raise InputError(f"{len(t)} times but {len(e)} event flags; give one of each per unit")
        w = _weights(weight, len(t), labels)
        data = cls(t, e, w)
        if data.n == 0:
            raise InputError("no units to analyse: the data is empty (or every weight is 0)")
        return data

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, time_col: str, event_col: str, weight_col: str | None = None,
                   source: str = "data", first_row: int = 2) -> "LifetimeData":
        """From a table's columns; messages name ``source`` and the file row (header = row 1)."""
        return _from_columns(cls.from_arrays, frame, {"--time-col": time_col, "--event-col": event_col},
                             weight_col, source, first_row)

    @property
    def n(self) -> float:
        return float(self.weight.sum())

    @property
    def failures(self) -> float:
        return float(self.weight[self.event].sum())

    @property
    def censored(self) -> float:
        return float(self.weight[~self.event].sum())

    def caveats(self) -> list[str]:
        """What the data cannot tell: with no censored unit (every unit failed, e.g. the mileages
        of complaints) an estimate describes the units that failed, not a fleet."""
        if self.censored > 0 or self.failures == 0:
            return []
        return [no_survivors_note(self.n)]

    def require_failures(self, method: str) -> None:
        if self.failures == 0:
            raise InputError(f"{method}: every unit is censored (no failures among {self.n:,.0f} units), so "
                             "there is nothing to estimate a failure distribution from; check the event "
                             "column (1 = failed) or wait for failures")


def _from_columns(build, frame: pd.DataFrame, columns: dict[str, str], weight_col: str | None, source: str,
                  first_row: int):
    """``build(*columns, weight, row_labels=...)`` from a table, messages naming ``source`` and the
    file row (header = row 1; the frame's index is kept, so rows stay right through filters)."""
    _require(frame, {**columns, "--weight-col": weight_col}, source)
    labels = frame.index.to_numpy() + first_row
    try:
        return build(*(frame[col] for col in columns.values()), None if weight_col is None else frame[weight_col],
                     row_labels=labels)
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from None


def _require(frame: pd.DataFrame, columns: dict[str, str | None], source: str) -> None:
    missing = [f"{col!r} ({option})" for option, col in columns.items() if col is not None and col not in frame]
    if missing:
        raise InputError(f"{source}: no column {', '.join(missing)}; it has {', '.join(map(str, frame.columns))}")


@dataclass(frozen=True)
class RecurrenceData:
    """Repair histories: repair ages per unit and each unit's end of observation.

    Attributes
    ----------
    unit_end
        Age at the end of observation of each unit (units indexed ``0 .. n_units-1``).
    unit_weight
        Frequency weight of each unit.
    event_unit, event_time
        One entry per repair: the unit's index and the age at the repair.
    unit_ids
        The units' identifiers as given.
    """

    unit_end: np.ndarray
    unit_weight: np.ndarray
    event_unit: np.ndarray
    event_time: np.ndarray
    unit_ids: np.ndarray

    @classmethod
    def from_arrays(cls, unit, time, event, weight=None, row_labels=None) -> "RecurrenceData":
        """Rows of (unit, age, event): ``event = 1`` a repair, ``0`` the unit's end of observation.

        Each unit needs exactly one ``event = 0`` row, at or after its last repair; a weight (if
        given) belongs to the unit and is read from that row.
        """
        labels = None if row_labels is None else np.asarray(row_labels)
        units = pd.Series(unit).reset_index(drop=True)
        textual = units.dtype == object or pd.api.types.is_string_dtype(units)
        if textual:                  # string work only for text ids: numeric ids factorise 20x faster
            units = units.where(units.isna(), units.astype(str).str.strip())
        missing = units.isna() | (units == "") if textual else units.isna()
        if missing.any():
            i = int(np.argmax(missing.to_numpy()))
            raise InputError(f"{_row(i, labels)}: the unit is missing; every row needs the unit it belongs to")
        t = _times(time, "time", labels)
        e = _flags(event, "event", labels)
        if not (len(units) == len(t) == len(e)):
            raise InputError(f"{len(units)} units, {len(t)} times and {len(e)} event flags; give one of each per row")
        w = _weights(weight, len(t), labels)
        codes, ids = pd.factorize(units, sort=False)
        n_units = len(ids)
        end_rows = np.flatnonzero(~e)
        end_count = np.bincount(codes[end_rows], minlength=n_units)
        if (end_count > 1).any():
            u = int(np.argmax(end_count > 1))
            rows = [_row(int(i), labels) for i in end_rows[codes[end_rows] == u][:2]]
            raise InputError(f"unit {ids[u]!r} has {end_count[u]} end-of-observation rows (event 0: "
                             f"{' and '.join(rows)}); give exactly one per unit, at its age when last seen")
        if (end_count == 0).any():
            u = int(np.argmax(end_count == 0))
            first = _row(int(np.argmax(codes == u)), labels)
            raise InputError(f"unit {ids[u]!r} ({first}) has repairs but no end-of-observation row; add a row "
                             "with event 0 at its age when last seen, so the units at risk are known")
        unit_end = np.empty(n_units)
        unit_end[codes[end_rows]] = t[end_rows]
        unit_weight = np.empty(n_units)
        unit_weight[codes[end_rows]] = w[end_rows]
        event_rows = np.flatnonzero(e)
        late = t[event_rows] > unit_end[codes[event_rows]]
        if late.any():
            i = int(event_rows[np.argmax(late)])
            raise InputError(f"{_row(i, labels)}: unit {ids[codes[i]]!r} has a repair at {t[i]:g}, after its end of "
                             f"observation at {unit_end[codes[i]]:g}; a unit is observed at least until its last "
                             "repair: fix the end row or the repair's age")
        data = cls(unit_end, unit_weight, codes[event_rows].astype(np.int64), t[event_rows], np.asarray(ids))
        if len(event_rows) == 0 or unit_weight[data.event_unit].sum() == 0:
            raise InputError("no repairs in the data (every row has event 0): the mean cumulative function "
                             "would be 0 everywhere; check the event column (1 = a repair)")
        return data

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, unit_col: str, time_col: str, event_col: str,
                   weight_col: str | None = None, source: str = "data", first_row: int = 2) -> "RecurrenceData":
        return _from_columns(cls.from_arrays, frame,
                             {"--unit-col": unit_col, "--time-col": time_col, "--event-col": event_col},
                             weight_col, source, first_row)

    @classmethod
    def from_units(cls, unit_end, event_unit, event_time, unit_weight=None, unit_ids=None) -> "RecurrenceData":
        """Already-indexed arrays (the store's path): no row-level checks beyond the essentials."""
        unit_end = np.asarray(unit_end, dtype=float)
        event_unit = np.asarray(event_unit, dtype=np.int64)
        event_time = np.asarray(event_time, dtype=float)
        weight = np.ones(len(unit_end)) if unit_weight is None else np.asarray(unit_weight, dtype=float)
        if len(event_time) and (event_time > unit_end[event_unit]).any():
            raise InputError("a repair falls after its unit's end of observation")
        if len(event_time) == 0:
            raise InputError("no repairs to analyse")
        ids = np.arange(len(unit_end)) if unit_ids is None else np.asarray(unit_ids)
        return cls(unit_end, weight, event_unit, event_time, ids)

    @property
    def n_units(self) -> float:
        return float(self.unit_weight.sum())

    @property
    def n_events(self) -> float:
        return float(self.unit_weight[self.event_unit].sum())


@dataclass
class WarrantyCounts:
    """Claims and cohort sizes of one product (and failure mode), observed through ``last_month``.

    Attributes
    ----------
    product, mode
        Product id; failure mode or None for all modes.
    as_of
        The cut-off day.
    last_month
        First day of the last complete month at ``as_of`` (partial months are dropped: see
        :mod:`defectradar.query.warranty`).
    claims
        ``sales_month`` (date, or None when the device has no purchase date), ``claim_month``
        (date) and ``claims`` (int), for claim months up to ``last_month``.
    units
        ``sales_month`` and ``units`` for sales months up to ``last_month``.
    """

    product: str
    mode: str | None
    as_of: date
    last_month: date
    claims: pd.DataFrame
    units: pd.DataFrame

    def __post_init__(self) -> None:
        for name, columns in (("claims", ("sales_month", "claim_month", "claims")),
                              ("units", ("sales_month", "units"))):
            frame = getattr(self, name)
            missing = [c for c in columns if c not in frame.columns]
            if missing:
                raise InputError(f"{name} table lacks column {missing[0]!r}; it needs {', '.join(columns)}")
        if (self.claims["claims"] < 0).any() or (self.units["units"] < 0).any():
            raise InputError("claims and units must be non-negative counts")
