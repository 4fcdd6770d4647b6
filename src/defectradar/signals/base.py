"""What every temporal detector shares: the alarm rule and the scoring machinery.

The estimator contract and parameter constraints (:mod:`defectradar.core.estimator`), count
series (:mod:`defectradar.core.series`) and the number helpers (:mod:`defectradar.core.numbers`)
live on the bottom floor, where the store's queries and the reliability fitters reach them
too; they are imported here for the detectors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from defectradar.core.estimator import Constraint, Estimator, non_negative, one_of, positive, positive_int, probability
from defectradar.core.numbers import json_number, sig3
from defectradar.core.series import CountSeries
from defectradar.errors import InputError

__all__ = ["AlarmRule", "TemporalDetector", "Constraint", "Estimator", "CountSeries", "non_negative", "one_of",
           "positive", "positive_int", "probability", "json_number", "sig3"]


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
