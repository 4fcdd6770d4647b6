"""What every detector shares: the estimator contract, parameter checks, count series.

Contract (STYLE.md): ``__init__`` stores settings only; ``fit(data) -> self`` learns; learned
values end in ``_``; ``summary`` is a DataFrame; ``to_dict()`` is JSON-safe.  Parameters are
declared in ``_parameter_constraints`` (name -> (check, explanation)) and validated in ``fit``,
so a bad setting fails with the parameter's name and what it accepts; a contract test checks
every parameter has a constraint.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, ClassVar, Sequence

import numpy as np
import pandas as pd

from defectradar.errors import InputError

Constraint = tuple[Callable[[Any], bool], str]


def positive(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 and math.isfinite(value)


def non_negative(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0 and math.isfinite(value)


def positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def probability(value) -> bool:
    return isinstance(value, (int, float)) and 0 < value < 1


def one_of(*options) -> Constraint:
    return (lambda v: v in options, f"one of {', '.join(map(str, options))}")


class Estimator:
    """Base class: parameter storage, validation and JSON output."""

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {}
    method: ClassVar[str] = ""

    def get_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._parameter_constraints}

    def _validate_params(self) -> None:
        for name, (check, explanation) in self._parameter_constraints.items():
            value = getattr(self, name)
            if not check(value):
                raise InputError(f"{self.method or type(self).__name__}: parameter {name}={value!r} must be {explanation}")

    def _begin_fit(self) -> None:
        """What every ``fit`` does first: check the parameters and forget the last fit, so a
        failed refit never leaves the previous results looking current."""
        self._validate_params()
        for name in [n for n in vars(self) if n.endswith("_") and not n.startswith("_")]:
            delattr(self, name)

    def _check_fitted(self) -> None:
        if not any(name.endswith("_") and not name.startswith("_") for name in vars(self)):
            raise InputError(f"{type(self).__name__} is not fitted yet; call fit() first")


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


@dataclass(frozen=True)
class AlarmRule:
    """What a detector's own statistic is compared with when it alarms.

    ``threshold_`` of a temporal detector is a *count* (the smallest count that would alarm);
    the statistic (a GLR log-likelihood ratio, a CUSUM sum, an EARS z-score) has a limit of its
    own, which is this.  ``statistic op threshold`` holds for every alarmed period.

    Examples
    --------
    >>> AlarmRule("GLR", ">=", 6.0, "log-likelihood ratio").describe(13.34)
    'GLR 13.3 ≥ 6 (log-likelihood ratio)'
    """

    statistic: str            # its name as people know it: "GLR", "C3", "EB05"
    op: str                   # ">" or ">="
    threshold: float | None   # None: the method declares no limit on its statistic
    meaning: str = ""

    def describe(self, value, meaning: bool = True) -> str:
        """``value`` against the rule, rounded for people (3 significant digits)."""
        shown = "n/a" if value is None or not math.isfinite(float(value)) else sig3(value)
        if self.threshold is None:
            text = f"{self.statistic} {shown}"
        else:
            text = f"{self.statistic} {shown} {'≥' if self.op == '>=' else self.op} {sig3(self.threshold)}"
        return f"{text} ({self.meaning})" if self.meaning and meaning else text

    def to_dict(self) -> dict:
        return {"statistic": self.statistic, "op": self.op, "threshold": json_number(self.threshold),
                "meaning": self.meaning}


def sig3(value) -> str:
    """A number for people: 3 significant digits, no exponent below a billion (``-`` if missing)."""
    if value is None:
        return "-"
    value = float(value)
    if not math.isfinite(value):
        return "n/a"
    if abs(value) >= 1000:
        return f"{round(float(f'{value:.3g}')):,}"
    text = f"{value:.3g}"
    if "e" in text:                      # tiny numbers: keep 3 significant digits without an exponent
        text = np.format_float_positional(value, precision=3, unique=False, fractional=False, trim="-")
    return text


class TemporalDetector(Estimator):
    """A detector scoring each period of a count series against its history.

    ``fit(series, start)`` scores periods ``start ..`` (earlier periods are history only) and
    sets ``expected_``, ``threshold_``, ``statistic_`` and ``alarm_`` (arrays, one value per
    scored period) and ``start_``.  Subclasses implement ``_score`` and ``min_history``, and
    declare what their statistic is compared with in ``alarm_rule`` (``threshold_`` is a count,
    not the statistic's limit).
    """

    def alarm_rule(self) -> AlarmRule:
        """The statistic's name and limit (from the parameters; no fit needed)."""
        return AlarmRule(self.method or type(self).__name__, ">", None, "the method declares no limit on it")

    def rule_statistic(self) -> np.ndarray:
        """Per scored period, the value :meth:`alarm_rule` compares (``statistic_`` unless the
        method alarms on another quantity)."""
        self._check_fitted()
        return self.statistic_

    def fit(self, series: CountSeries, start: int | None = None) -> "TemporalDetector":
        self._begin_fit()
        default_start = start is None
        start = self.min_history() if default_start else start
        if default_start and start >= len(series):
            raise InputError(f"{self.method} needs {self.min_history()} periods of history before the first "
                             f"scored period and the series has only {len(series)}; give a longer series")
        if start < self.min_history():
            first = f" ({series.periods[start]})" if 0 <= start < len(series) else ""
            raise InputError(f"{self.method} needs {self.min_history()} periods of history before the first "
                             f"scored period, but only {start} come before it{first}; score later periods or "
                             f"give a longer series (this one has {len(series)})")
        if start >= len(series):
            raise InputError(f"{self.method}: nothing to score — the series has {len(series)} periods and "
                             f"scoring starts at period {start}")
        expected, threshold, statistic, alarm = self._score(series, start)
        self.series_ = series
        self.start_ = start
        self.expected_ = np.asarray(expected, dtype=float)
        self.threshold_ = np.asarray(threshold, dtype=float)
        self.statistic_ = np.asarray(statistic, dtype=float)
        self.alarm_ = np.asarray(alarm, dtype=bool)
        return self

    def min_history(self) -> int:
        raise NotImplementedError

    def _score(self, series: CountSeries, start: int) -> tuple[Sequence, Sequence, Sequence, Sequence]:
        raise NotImplementedError

    @property
    def summary(self) -> pd.DataFrame:
        self._check_fitted()
        s = self.series_
        return pd.DataFrame({"period": s.periods[self.start_:], "count": s.counts[self.start_:],
                             "expected": self.expected_, "threshold": self.threshold_,
                             "statistic": self.statistic_, "alarm": self.alarm_})

    def to_dict(self) -> dict:
        self._check_fitted()
        periods = []
        for row in self.summary.itertuples(index=False):
            periods.append({"period": str(row.period), "count": json_number(row.count), "expected": json_number(row.expected),
                            "threshold": json_number(row.threshold), "alarm": bool(row.alarm)})
        return {"method": self.method, "params": self.get_params(), "periods": periods}


def json_number(value, decimals: int = 6):
    """A number for JSON: None when missing or not finite, an int when whole, else rounded."""
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value):
        return None
    return int(value) if value.is_integer() and abs(value) < 2 ** 53 else round(value, decimals)


def significant(value, digits: int = 6):
    """A number for JSON to ``digits`` significant digits; None when missing or not finite."""
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value):
        return None
    return float(f"{value:.{digits}g}")



def json_safe(value):
    """``value`` with every NaN or infinite number replaced by None (JSON has neither: Python's
    ``NaN`` / ``Infinity`` are invalid JSON) and numpy scalars made plain, through dicts and lists."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def json_rows(frame, columns, decimals: int = 10) -> list[dict]:
    """Rows of ``frame`` as JSON-safe dicts of the given ``columns`` (see :func:`json_number`)."""
    return [{c: json_number(v, decimals) for c, v in zip(columns, values)}
            for values in zip(*(frame[c] for c in columns))]
