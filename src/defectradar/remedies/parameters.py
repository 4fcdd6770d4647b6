"""Dated parameters: a rule set's numbers and lists, each with its values by date.

Modelled on OpenFisca's parameters: a parameter has a description and ``values`` keyed by the
date each value starts, so a rule reads "the refund window on 2021-09-01" rather than a
constant.  A value may carry its own citation (``{value: 7, reference: "第十一条"}``).

Each kind declares which way favours the consumer (``favours``), so a change between two
versions can be classed as an improvement or a *downgrade* without knowing the rule logic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from defectradar.remedies.vocabulary import RANK, REMEDIES, by_rank
from defectradar.user_files import shown

#: kind -> (python check, what it must be, default ``favours``)
KINDS = {
    "days": "a whole number of days (0 or more)",
    "months": "a whole number of months (0 or more)",
    "count": "a whole number (0 or more)",
    "flag": "true or false",
    "remedies": f"a list of remedies ({', '.join(REMEDIES)})",
    "modes": "a list of failure mode ids",
    "months_by_component": "a mapping of component -> whole number of months",
    "component_by_mode": "a mapping of failure mode -> component",
}
#: Which way favours the consumer; numbers must say, the others have one natural direction.
FAVOURS = ("higher", "lower", "more", "fewer", "true", "false")
_DEFAULT_FAVOURS = {"remedies": "more", "modes": "more", "months_by_component": "higher"}
NUMERIC_KINDS = ("days", "months", "count")


def default_favours(kind: str) -> str | None:
    return _DEFAULT_FAVOURS.get(kind)


def check_value(kind: str, value: Any) -> str | None:
    """Why ``value`` is not a valid ``kind`` value, or None when it is."""
    if kind in NUMERIC_KINDS:
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    elif kind == "flag":
        ok = isinstance(value, bool)
    elif kind == "remedies":
        ok = isinstance(value, list) and all(v in REMEDIES for v in value) and len(set(value)) == len(value)
    elif kind == "modes":
        ok = isinstance(value, list) and all(isinstance(v, str) and v for v in value)
    elif kind == "months_by_component":
        ok = isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
                                             and v >= 0 for k, v in value.items())
    elif kind == "component_by_mode":
        ok = isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    else:
        return f"unknown kind {kind!r}"
    return None if ok else f"must be {KINDS[kind]}, not {shown(value)}"


def frozen(value: Any) -> Any:
    """A hashable, comparable copy of a parameter value (lists -> tuples, dicts -> sorted tuples)."""
    if isinstance(value, dict):
        return tuple(sorted((k, frozen(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(frozen(v) for v in value)
    return value


def thawed(value: Any, kind: str) -> Any:
    """The plain (YAML/JSON) form of a :func:`frozen` value of ``kind``."""
    if kind in ("months_by_component", "component_by_mode"):
        return dict(value)
    if kind in ("remedies", "modes"):
        return list(value)
    return value


@dataclass(frozen=True)
class DatedValue:
    """One value of a parameter, in force from ``start`` until the next value starts."""

    start: date
    value: Any                      # frozen form (see :func:`frozen`)
    reference: str | None = None


@dataclass(frozen=True)
class Parameter:
    """A named, typed value of a rule set that changes over time.

    ``fixed_at`` says which day picks the value: ``event`` (the day of the fault or visit, the
    default) or ``purchase`` (periods fixed by the contract, such as warranty lengths).
    """

    name: str
    kind: str
    description: str
    favours: str | None
    fixed_at: str
    values: tuple[DatedValue, ...]   # sorted by start, starts distinct

    def at(self, day: date) -> Any:
        """The value in force on ``day`` (plain form), or None before the first value starts."""
        current = None
        for dated in self.values:
            if dated.start > day:
                break
            current = dated
        return None if current is None else thawed(current.value, self.kind)

    def dated_at(self, day: date) -> DatedValue | None:
        current = None
        for dated in self.values:
            if dated.start > day:
                break
            current = dated
        return current

    def change_dates(self) -> list[date]:
        return [dated.start for dated in self.values]


def compare(parameter: Parameter, old: Any, new: Any) -> str:
    """``better``, ``worse`` or ``mixed`` for the consumer when ``old`` becomes ``new`` (plain values).

    A remedy or mode removed, a period shortened where longer favours the consumer, or a count
    raised where fewer favours the consumer is *worse*: the downgrade the policy diff flags.
    """
    favours = parameter.favours
    if old is None or new is None:
        gained, lost = new is not None, old is not None
    elif parameter.kind == "remedies" and old and new and RANK[by_rank(old)[0]] != RANK[by_rank(new)[0]]:
        # The strongest remedy decides: [exchange] -> [repair] is a downgrade, not a mix.
        up = RANK[by_rank(new)[0]] > RANK[by_rank(old)[0]]
        gained, lost = (up, not up) if favours != "fewer" else (not up, up)
    elif parameter.kind in ("remedies", "modes"):
        gained, lost = bool(set(new) - set(old)), bool(set(old) - set(new))
        if favours == "fewer":
            gained, lost = lost, gained
    elif parameter.kind == "months_by_component":
        keys = set(old) | set(new)
        ups = [k for k in keys if new.get(k, 0) > old.get(k, 0)]
        downs = [k for k in keys if new.get(k, 0) < old.get(k, 0)]
        gained, lost = (bool(ups), bool(downs)) if favours != "lower" else (bool(downs), bool(ups))
    elif parameter.kind == "flag":
        gained = new == (favours == "true") and old != new
        lost = old == (favours == "true") and old != new
    elif parameter.kind in NUMERIC_KINDS:
        up, down = new > old, new < old
        gained, lost = (up, down) if favours == "higher" else (down, up)
    else:   # component_by_mode: a re-mapping is neither better nor worse by itself
        gained = lost = False
    if gained and lost:
        return "mixed"
    if lost:
        return "worse"
    return "better" if gained else "neutral"
