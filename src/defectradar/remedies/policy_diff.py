"""Policy versions, what changed between them, and alerts when a change takes something away.

A rule set's parameters carry dated values (:mod:`defectradar.remedies.parameters`), so its
history is a list of *versions*: the days any value changed.  :func:`diff_rule_set` lists
every change with :func:`~defectradar.remedies.parameters.compare`'s verdict for the owner;
a change that is ``worse`` (or ``mixed``: something given, something taken) is a
**downgrade**, as when Xiaomi's Wi-Fi policy went from exchange to repair only on 2022-09-15.
The end of a manufacturer policy (``effective_to``) is a downgrade too: every remedy it gave
lapses.  A statute's end is not flagged, since the law that repeals it takes over.

:func:`~defectradar.analyses.policy_alerts.record_downgrade_alerts` raises an alert per product and failure mode a downgrade
covers (scope ``policy_product_mode``, ``policy_product``, ``policy_mode`` or ``policy``;
source ``policies``; method ``policy_downgrade``), through the same
:func:`~defectradar.analyses.alerts.record_signals` as the signal scans.  Evidence already
recorded for the same alert, day and rule set is not recorded again, so re-running a diff
adds nothing and does not reopen an alert someone closed.

>>> rule_set = builtin_rule_book().get("xiaomi-11-series-wifi")          # doctest: +SKIP
>>> [(c.parameter, c.old, c.new) for c in diff_rule_set(rule_set) if c.downgrade]   # doctest: +SKIP
[('first_failure_remedies', ['exchange'], ['repair']), ('repeat_failure_remedies', ['exchange', 'refund'], ['repair'])]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Iterable

from defectradar.errors import InputError
from defectradar.remedies.parameters import compare
from defectradar.remedies.rule_sets import RuleSet
from defectradar.remedies.vocabulary import LANGUAGES, by_rank
from defectradar.signals.alerts import RecordResult, Signal

SOURCE = "policies"
METHOD = "policy_downgrade"
DOWNGRADE_VERDICTS = ("worse", "mixed")
#: The parameter name a change of the whole rule set (its end) is listed under.
WHOLE_RULE_SET = "(rule set)"
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Change:
    """One parameter of one rule set taking a new value on ``day``.

    ``old`` and ``new`` are plain values (lists, numbers, mappings); ``removed`` and ``added``
    list the remedies or failure modes that went or came (remedies and modes parameters, and
    the end of a rule set).  ``reference`` is the citation of the new dated value.
    """

    rule_set: str
    day: date
    parameter: str
    description: str
    old: Any
    new: Any
    verdict: str                     # better | worse | mixed | neutral, for the owner
    reference: str | None = None
    removed: tuple[str, ...] = ()
    added: tuple[str, ...] = ()

    @property
    def downgrade(self) -> bool:
        return self.verdict in DOWNGRADE_VERDICTS

    def to_dict(self) -> dict:
        return {"rule_set": self.rule_set, "day": self.day.isoformat(), "parameter": self.parameter,
                "description": self.description, "old": self.old, "new": self.new, "verdict": self.verdict,
                "downgrade": self.downgrade, "reference": self.reference, "removed": list(self.removed),
                "added": list(self.added)}


# -- versions -------------------------------------------------------------------------------------------------
def _values_on(rule_set: RuleSet, day: date) -> dict[str, Any]:
    return {p.name: p.at(day) for p in rule_set.parameters}


def version_table(rule_set: RuleSet) -> list[dict]:
    """Each version of ``rule_set``: the days it was in force and its parameter values.

    Returns
    -------
    list of dict
        ``{"from": "YYYY-MM-DD", "to": "YYYY-MM-DD" or None, "parameters": {name: value}}`` in
        date order; ``to`` is the day before the next version, ``effective_to`` for the last
        version of a rule set that ended, or None while it is still in force.
    """
    days = rule_set.versions()
    table = []
    for index, day in enumerate(days):
        if index + 1 < len(days):
            until = days[index + 1] - _ONE_DAY
        else:
            until = rule_set.effective_to
        table.append({"from": day.isoformat(), "to": until.isoformat() if until else None,
                      "parameters": _values_on(rule_set, day)})
    return table


def version_at(rule_set: RuleSet, day: date) -> dict | None:
    """The row of :func:`version_table` in force on ``day``, or None when the rule set is not."""
    if not rule_set.in_force(day):
        return None
    iso = day.isoformat()
    current = None
    for row in version_table(rule_set):
        if row["from"] <= iso:      # ISO dates order as text
            current = row
    return current


# -- changes --------------------------------------------------------------------------------------------------
def _window(day: date, since: date | None, until: date | None) -> bool:
    return (since is None or day >= since) and (until is None or day <= until)


def _parameter_changes(rule_set: RuleSet, day: date) -> list[Change]:
    changes = []
    for parameter in rule_set.parameters:
        before, after = parameter.dated_at(day - _ONE_DAY), parameter.dated_at(day)
        old_value = None if before is None else before.value
        new_value = None if after is None else after.value
        if old_value == new_value:       # frozen values compare exactly; a restated value is no change
            continue
        old, new = parameter.at(day - _ONE_DAY), parameter.at(day)
        removed = added = ()
        if parameter.kind in ("remedies", "modes"):
            old_set, new_set = set(old or ()), set(new or ())
            order = by_rank if parameter.kind == "remedies" else sorted
            removed, added = tuple(order(old_set - new_set)), tuple(order(new_set - old_set))
        changes.append(Change(rule_set.id, day, parameter.name, parameter.description, old, new,
                              compare(parameter, old, new), after.reference if after else None, removed, added))
    return changes


def _end_change(rule_set: RuleSet) -> Change:
    last_day = rule_set.effective_to
    remedies = set()
    for parameter in rule_set.parameters:
        if parameter.kind == "remedies":
            remedies.update(parameter.at(last_day) or ())
    policy = rule_set.kind == "manufacturer_policy"
    description = (f"The policy ends after {last_day}: every remedy it gave lapses." if policy else
                   f"The law ends after {last_day}; the law that replaces it applies from then.")
    return Change(rule_set.id, last_day + _ONE_DAY, WHOLE_RULE_SET, description, "in force", "ended",
                  "worse" if policy else "neutral", rule_set.citation(),
                  removed=tuple(by_rank(remedies)) if policy else ())


def diff_rule_set(rule_set: RuleSet, since: date | None = None, until: date | None = None) -> list[Change]:
    """Every change of ``rule_set``'s parameters from one version to the next, oldest first.

    Parameters
    ----------
    rule_set
        The law or policy.
    since, until
        Only changes taking effect on these days or between them (both inclusive).

    Returns
    -------
    list of Change
        One per parameter and version day where the value differs from the day before, with
        the verdict for the owner; the end of the rule set (``effective_to``) comes last, as a
        change of parameter ``"(rule set)"`` on the day after it.
    """
    if since is not None and until is not None and until < since:
        raise InputError(f"the period ends ({until}) before it starts ({since}); swap the two dates")
    changes = []
    for day in rule_set.versions()[1:]:
        if _window(day, since, until):
            changes.extend(_parameter_changes(rule_set, day))
    if rule_set.effective_to is not None and _window(rule_set.effective_to + _ONE_DAY, since, until):
        changes.append(_end_change(rule_set))
    return changes


# -- descriptions for listings --------------------------------------------------------------------------------
def _covers(names: tuple[str, ...] | None) -> list[str] | str:
    return "all" if names is None else list(names)


def rule_set_summary(rule_set: RuleSet) -> dict:
    """One row of ``policies list``: id, kind, jurisdiction, life, coverage and version counts."""
    days = rule_set.versions()
    return {"id": rule_set.id, "kind": rule_set.kind, "jurisdiction": rule_set.jurisdiction,
            "maker": rule_set.maker, "title": rule_set.title_in("en"),
            "effective_from": rule_set.effective_from.isoformat(),
            "effective_to": rule_set.effective_to.isoformat() if rule_set.effective_to else None,
            "products": _covers(rule_set.products), "failure_modes": _covers(rule_set.failure_modes),
            "versions": len(days), "latest_version": days[-1].isoformat() if days else None,
            "rules": len(rule_set.rules)}


def rule_set_details(rule_set: RuleSet, at: date | None = None, lang: str = "en") -> dict:
    """What ``policies show`` prints: title, citations, coverage, versions and rules.

    With ``at``, ``versions`` holds only the version in force that day (empty when the rule
    set is not in force then, and ``in_force_at`` is False).
    """
    if lang not in LANGUAGES:
        raise InputError(f"--lang {lang!r}: use one of {', '.join(LANGUAGES)}")
    details = rule_set_summary(rule_set)
    details["title"] = rule_set.title_in(lang)
    details["applies_by"] = rule_set.applies_by
    details["references"] = [{"document": r.document, "article": r.article, "url": r.url,
                              "date": r.date.isoformat() if r.date else None, "note": r.note}
                             for r in rule_set.references]
    details["parameters"] = [{"name": p.name, "kind": p.kind, "description": p.description, "favours": p.favours,
                              "fixed_at": p.fixed_at} for p in rule_set.parameters]
    if at is None:
        details["versions"] = version_table(rule_set)
    else:
        current = version_at(rule_set, at)
        details["at"] = at.isoformat()
        details["in_force_at"] = current is not None
        details["versions"] = [current] if current else []
    details["version_count"] = len(rule_set.versions())
    details["rules"] = [{"id": r.id, "logic": r.logic, "reference": r.reference, "text": r.template(lang)}
                        for r in rule_set.rules]
    return details


# -- alerts ---------------------------------------------------------------------------------------------------
def _scope(rule_set: RuleSet) -> str:
    if rule_set.products is not None:
        return "policy_product_mode" if rule_set.failure_modes is not None else "policy_product"
    return "policy_mode" if rule_set.failure_modes is not None else "policy"


def downgrade_signals(rule_set: RuleSet, changes: Iterable[Change]) -> list[Signal]:
    """One signal per downgrade day and per product and failure mode ``rule_set`` covers.

    A rule set covering every product (or mode) gives ``product_id`` (``failure_mode``) None.
    The statistic is the number of remedies (or modes) the day's changes removed, at least 1,
    against a threshold of 1, so every downgrade is a signal of strength ≥ 1.
    """
    by_day: dict[date, list[Change]] = {}
    for change in changes:
        if change.downgrade and change.rule_set == rule_set.id:
            by_day.setdefault(change.day, []).append(change)
    signals = []
    for day, day_changes in sorted(by_day.items()):
        statistic = float(max(1, sum(len(c.removed) for c in day_changes)))
        evidence = {"rule_set": rule_set.id, "title": rule_set.title_in("en"), "kind": rule_set.kind,
                    "day": day.isoformat(), "changes": [c.to_dict() for c in day_changes],
                    "reference": rule_set.citation()}
        for product in rule_set.products or (None,):
            for mode in rule_set.failure_modes or (None,):
                signals.append(Signal(_scope(rule_set), SOURCE, product, mode, METHOD, day, statistic, 1.0,
                                      dict(evidence)))
    return signals


def merge_downgrades(signals: list[Signal]) -> list[Signal]:
    """One signal per alert and day: two rule sets downgrading the same product on one day share it."""
    merged: dict[tuple[str, date], Signal] = {}
    for signal in signals:
        key = (signal.alert_id, signal.period)
        first = merged.get(key)
        if first is None:
            merged[key] = Signal(**{**signal.__dict__, "evidence": dict(signal.evidence)})
            continue
        first.statistic = (first.statistic or 0.0) + (signal.statistic or 0.0)
        ids = first.evidence["rule_set"].split(", ") + [signal.evidence["rule_set"]]
        first.evidence["rule_set"] = ", ".join(sorted(set(ids)))
        first.evidence["changes"] = first.evidence["changes"] + signal.evidence["changes"]
        first.evidence["reference"] = "; ".join([first.evidence["reference"], signal.evidence["reference"]])
    return list(merged.values())


@dataclass
class PolicyDiff:
    """What ``policies diff`` reports: the changes, the downgrades and the alerts recorded."""

    rule_set: RuleSet
    since: date | None
    until: date | None
    changes: list[Change]
    alerts: RecordResult | None = None
    #: alert id -> (product id or None, failure mode or None), for every downgrade signal
    targets: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)

    @property
    def downgrades(self) -> list[Change]:
        return [c for c in self.changes if c.downgrade]

    def products(self, alert_ids: Iterable[str]) -> list[str | None]:
        """The products of ``alert_ids`` in coverage order, once each (None: every product)."""
        chosen = set(alert_ids)
        seen: list[str | None] = []
        for alert, (product, _mode) in self.targets.items():
            if alert in chosen and product not in seen:
                seen.append(product)
        return seen

    def to_dict(self) -> dict:
        alerts = None
        if self.alerts is not None:
            alerts = self.alerts.to_dict()
            alerts["products"] = self.products(self.alerts.raised + self.alerts.updated + self.alerts.reopened
                                               + self.alerts.unchanged)
        return {"rule_set": self.rule_set.id, "kind": self.rule_set.kind,
                "from": self.since.isoformat() if self.since else None,
                "to": self.until.isoformat() if self.until else None,
                "versions": [d.isoformat() for d in self.rule_set.versions()],
                "changes": [c.to_dict() for c in self.changes], "downgrades": len(self.downgrades),
                "alerts": alerts}
