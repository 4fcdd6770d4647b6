"""Alerts as the methods see them: a :class:`Signal` (one detector firing), its alert's id, the
statuses and the rule an evidence event was judged by (:func:`alarm_rule_of`).

There is one alert per (scope, source, product, failure mode).  Statuses move
``new → acknowledged → investigating → closed`` (:data:`TRANSITIONS`); a closed alert that
signals again is ``reopened`` (status ``new``).  Recording signals, moving an alert and reading
alerts back is the store's side: :mod:`defectradar.analyses.alerts`.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import date

from defectradar.errors import InputError
from defectradar.signals.base import AlarmRule, TemporalDetector

STATUSES = ("new", "acknowledged", "investigating", "closed")
OPEN = "open"                 # a filter, not a status: every status but closed
EB05_MEANING = "lower 5% bound of the empirical Bayes geometric mean"
TRANSITIONS = {  # action -> (allowed from, resulting status)
    "acknowledged": ({"new"}, "acknowledged"),
    "investigating": ({"new", "acknowledged"}, "investigating"),
    "closed": ({"new", "acknowledged", "investigating"}, "closed"),
    "reopened": ({"closed"}, "new"),
}


def alert_id(scope: str, source: str, product_id: str | None, failure_mode: str | None) -> str:
    key = "\x1f".join([scope, source, product_id or "", failure_mode or ""])
    return hashlib.md5(key.encode("utf-8")).hexdigest()[:16]


@dataclass
class Signal:
    """One detector firing for one series, as of one scan."""

    scope: str                    # product_mode | product | mode | product_terms (emerging terms)
    source: str                   # reports | service_events
    product_id: str | None
    failure_mode: str | None
    method: str
    period: date                  # the period the alarm is for
    statistic: float | None
    threshold: float | None
    evidence: dict = field(default_factory=dict)

    @property
    def alert_id(self) -> str:
        return alert_id(self.scope, self.source, self.product_id, self.failure_mode)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["period"] = self.period.isoformat()
        data["alert_id"] = self.alert_id
        return data


@dataclass
class RecordResult:
    raised: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def alarm_rule_of(method: str | None, threshold, evidence: dict | None) -> tuple[dict | None, float | None]:
    """The rule an evidence event's statistic was compared with, and the count that would alarm.

    Events record both (``evidence.rule``, ``evidence.count_threshold``).  Older ones stored a
    temporal method's *count* threshold in ``threshold``: their rule is rebuilt from the
    method's parameters in the evidence and that threshold is returned as the count.
    """
    evidence = evidence or {}
    if isinstance(evidence.get("rule"), dict):
        return evidence["rule"], evidence.get("count_threshold")
    from defectradar.signals.registry import detector, methods

    if method in methods():
        params = {k: v for k, v in (evidence.get("params") or {}).items() if v != "exposure"}
        try:
            det = detector(method, **params)
            rule = det.alarm_rule()
        except (InputError, TypeError, ValueError):
            return None, threshold
        if type(det).rule_statistic is not TemporalDetector.rule_statistic and getattr(det, "compat", "") != "cdc":
            rule = AlarmRule(rule.statistic, rule.op, None, "recorded before its rule was stored")
        return rule.to_dict(), threshold
    if method == "disproportionality":
        return AlarmRule("EB05", ">=", threshold, EB05_MEANING).to_dict(), None
    return (AlarmRule(method, ">=", threshold).to_dict() if method else None), None
