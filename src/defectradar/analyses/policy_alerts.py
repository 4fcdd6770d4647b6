"""Policy downgrades recorded as alerts in the store, once.

:func:`policy_diff` diffs a rule set (:func:`~defectradar.remedies.policy_diff.diff_rule_set`)
and, given a store, records its downgrade signals
(:func:`~defectradar.remedies.policy_diff.downgrade_signals`) through the same
:func:`~defectradar.analyses.alerts.record_signals` as the signal scans.  Evidence already
recorded for the same alert, day and rule set is not recorded again, so re-running a diff adds
nothing and does not reopen an alert someone closed.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Iterable

from defectradar.analyses.alerts import record_signals
from defectradar.remedies.policy_diff import METHOD, PolicyDiff, diff_rule_set, downgrade_signals, merge_downgrades
from defectradar.remedies.rule_sets import RuleSet
from defectradar.signals.alerts import RecordResult, Signal
from defectradar.store.connect import Store


def _recorded_rule_sets(con, signal: Signal) -> set[str]:
    """Rule sets whose downgrade on ``signal.period`` this alert already holds as evidence."""
    rows = con.execute("SELECT evidence FROM alert_events WHERE alert_id = ? AND method = ? AND as_of = ? "
                       "AND evidence IS NOT NULL", [signal.alert_id, METHOD, signal.period]).fetchall()
    seen = set()
    for (evidence,) in rows:
        try:
            seen.update(c.get("rule_set") for c in json.loads(evidence).get("changes", ()))
        except (ValueError, AttributeError):
            continue    # evidence written by something else; it cannot vouch for this change
    return seen


def record_downgrade_signals(store: Store, signals: list[Signal]) -> RecordResult:
    """Record policy downgrade signals as alerts, each as of its own day, once.

    A signal whose alert already holds evidence of the same day from the same rule sets is
    counted as ``unchanged`` without touching the store, so a closed alert stays closed when
    the same diff runs again; a new downgrade still reopens it.
    """
    result = RecordResult()
    pending = merge_downgrades(signals)
    if not pending:
        return result
    with store.writer() as con:
        fresh: dict[date, list[Signal]] = {}
        for signal in pending:
            wanted = {c["rule_set"] for c in signal.evidence["changes"]}
            if wanted <= _recorded_rule_sets(con, signal):
                result.unchanged.append(signal.alert_id)
            else:
                fresh.setdefault(signal.period, []).append(signal)
        for day in sorted(fresh):      # oldest first, so an alert's last evidence is its latest downgrade
            recorded = record_signals(con, fresh[day], day)
            for name in ("raised", "updated", "reopened", "unchanged"):
                getattr(result, name).extend(getattr(recorded, name))
    return result


def record_downgrade_alerts(store: Store, rule_sets: RuleSet | Iterable[RuleSet], as_of: date | None = None,
                            since: date | None = None) -> RecordResult:
    """Diff each rule set and raise an alert per covered product and mode for each downgrade.

    Parameters
    ----------
    store
        The store to write to (created if missing; shells check first).
    rule_sets
        A :class:`~defectradar.remedies.rule_book.RuleBook`, a list of rule sets or one.
    as_of, since
        Only downgrades taking effect on or before ``as_of`` and on or after ``since``
        (default: all of them).

    Returns
    -------
    RecordResult
        Alert ids raised, updated, reopened and unchanged; running it twice raises nothing new.
    """
    if isinstance(rule_sets, RuleSet):
        rule_sets = [rule_sets]
    signals = []
    for rule_set in rule_sets:
        signals.extend(downgrade_signals(rule_set, diff_rule_set(rule_set, since=since, until=as_of)))
    return record_downgrade_signals(store, signals)


def policy_diff(rule_set: RuleSet, since: date | None = None, until: date | None = None,
                store: Store | None = None) -> PolicyDiff:
    """Diff ``rule_set`` and, given a ``store``, record its downgrades there as alerts.

    The alerts cover the downgrades inside ``since``..``until`` only, the ones the diff shows.
    """
    changes = diff_rule_set(rule_set, since, until)
    signals = downgrade_signals(rule_set, changes)
    result = PolicyDiff(rule_set, since, until, changes,
                        targets={s.alert_id: (s.product_id, s.failure_mode) for s in signals})
    if store is not None and signals:
        result.alerts = record_downgrade_signals(store, signals)
    return result
