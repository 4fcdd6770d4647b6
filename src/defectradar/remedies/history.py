"""A case's past as the rules ask about it, answered near linearly over a long case.

The engine judges event ``i`` of a case as a :class:`~defectradar.remedies.case.Claim` whose
past is ``events[:i]``.  Every claim asks the same kinds of question of its past: the latest
exchange, the repairs of this fault since then, the days in repair since a day.  Answered by
scanning, each costs O(i), and a case of ``n`` events O(n^2).  So one history object, shared by
every claim of a case, answers them:

* :class:`History` scans ``events[:end]``.  It states what each question means, and it is the
  quickest for the short cases that are the rule (the store audit's one to four visits);
* :class:`IndexedHistory` gives the same answers from the positions of each kind of event,
  listed once on first use, and prefix sums: a bisection per question.

:func:`history_of` picks one by the case's length.  What a rule *quotes* (the dates of every
earlier repair) still costs what it prints.
"""

from __future__ import annotations

from bisect import bisect_left
from heapq import merge
from itertools import accumulate
from typing import Iterable, Sequence

#: The main unit: an exchange naming no component, or ``main_unit``, replaces the phone itself.
MAIN_UNIT = "main_unit"
#: Up to this many events scanning is quicker than building indexes (measured on 1-4 event cases).
SCAN_UP_TO = 24


def _exchange_of(event, component: str | None) -> bool:
    if event.type != "exchange":
        return False
    return event.component in (None, MAIN_UNIT) if component in (None, MAIN_UNIT) else event.component == component


def _kinds(types: Iterable[str] | str) -> tuple[str, ...]:
    return (types,) if isinstance(types, str) else tuple(dict.fromkeys(types))


class History:
    """The questions rules ask of ``events[:end]``, answered by scanning (``events`` in date order).

    Positions are indexes into ``events``; ``mode`` None means any failure mode; ``component``
    None or ``main_unit`` means the main unit.
    """

    def __init__(self, events: Sequence) -> None:
        self.events = events

    def last_exchange(self, component: str | None, end: int) -> int | None:
        """The position of the latest exchange of ``component``."""
        events = self.events
        for i in range(end - 1, -1, -1):
            if events[i].type == "exchange" and _exchange_of(events[i], component):
                return i
        return None

    def exchange_count(self, component: str | None, end: int) -> int:
        return sum(1 for e in self.events[:end] if _exchange_of(e, component))

    def of_types(self, types: Iterable[str], mode: str | None, start: int, end: int) -> list[int]:
        """Positions in ``events[start:end]`` of events of any of ``types`` (and of ``mode``)."""
        kinds = (types,) if isinstance(types, str) else types
        return [i for i, e in enumerate(self.events[start:end], start)
                if e.type in kinds and (mode is None or e.failure_mode == mode)]

    def count_of_types(self, types: Iterable[str], mode: str | None, start: int, end: int) -> int:
        return len(self.of_types(types, mode, start, end))

    def last_of_types(self, types: Iterable[str], mode: str | None, end: int) -> int | None:
        found = self.of_types(types, mode, 0, end)
        return found[-1] if found else None

    def wiped(self, end: int) -> list[int]:
        """Positions of the events in which the owner's data was wiped."""
        return [i for i, e in enumerate(self.events[:end]) if e.data_wiped]

    def days_out_of_service(self, since, end: int) -> int:
        """Days out of service of the events dated ``since`` or later."""
        return sum(e.days_out_of_service for e in self.events[:end] if e.date >= since)

    def last_slow_repair(self, mode: str | None, limit: int, end: int) -> int | None:
        """The latest repair (of ``mode``) that kept the device more than ``limit`` days."""
        for i in reversed(self.of_types(("repair",), mode, 0, end)):
            if self.events[i].days_out_of_service > limit:
                return i
        return None


class IndexedHistory(History):
    """The same answers from positions listed once per kind of event: O(log n) a question."""

    def __init__(self, events: Sequence) -> None:
        super().__init__(events)
        self._types: dict[tuple[str, str | None], list[int]] = {}
        self._exchanges: dict[str | None, list[int]] = {}
        self._wiped: list[int] | None = None
        self._dates: list | None = None
        self._days: list[int] = []
        self._slow: dict[tuple[str | None, int], list[int | None]] = {}

    def _of_type(self, kind: str, mode: str | None) -> list[int]:
        found = self._types.get((kind, mode))
        if found is None:
            found = self._types[(kind, mode)] = History.of_types(self, (kind,), mode, 0, len(self.events))
        return found

    def _exchange_positions(self, component: str | None) -> list[int]:
        key = None if component in (None, MAIN_UNIT) else component
        found = self._exchanges.get(key)
        if found is None:
            found = self._exchanges[key] = [i for i, e in enumerate(self.events) if _exchange_of(e, key)]
        return found

    def last_exchange(self, component: str | None, end: int) -> int | None:
        found = self._exchange_positions(component)
        at = bisect_left(found, end)
        return found[at - 1] if at else None

    def exchange_count(self, component: str | None, end: int) -> int:
        return bisect_left(self._exchange_positions(component), end)

    def of_types(self, types: Iterable[str], mode: str | None, start: int, end: int) -> list[int]:
        ranges = []
        for kind in _kinds(types):
            found = self._of_type(kind, mode)
            ranges.append(found[bisect_left(found, start):bisect_left(found, end)])
        return ranges[0] if len(ranges) == 1 else list(merge(*ranges))

    def count_of_types(self, types: Iterable[str], mode: str | None, start: int, end: int) -> int:
        total = 0
        for kind in _kinds(types):
            found = self._of_type(kind, mode)
            total += bisect_left(found, end) - bisect_left(found, start)
        return total

    def last_of_types(self, types: Iterable[str], mode: str | None, end: int) -> int | None:
        latest = None
        for kind in _kinds(types):
            found = self._of_type(kind, mode)
            at = bisect_left(found, end)
            if at and (latest is None or found[at - 1] > latest):
                latest = found[at - 1]
        return latest

    def wiped(self, end: int) -> list[int]:
        if self._wiped is None:
            self._wiped = History.wiped(self, len(self.events))
        return self._wiped[:bisect_left(self._wiped, end)]

    def days_out_of_service(self, since, end: int) -> int:
        if self._dates is None:
            dates = [e.date for e in self.events]
            if any(a > b for a, b in zip(dates, dates[1:])):     # a hand-built past out of date order
                return History.days_out_of_service(self, since, end)
            self._dates = dates
            self._days = [0, *accumulate(e.days_out_of_service for e in self.events)]
        return self._days[end] - self._days[bisect_left(self._dates, since, 0, end)]

    def last_slow_repair(self, mode: str | None, limit: int, end: int) -> int | None:
        repairs = self._of_type("repair", mode)
        table = self._slow.get((mode, limit))
        if table is None:       # one pass per fault and limit: the latest slow repair up to each repair
            latest, table = None, []
            for i in repairs:
                if self.events[i].days_out_of_service > limit:
                    latest = i
                table.append(latest)
            self._slow[(mode, limit)] = table
        at = bisect_left(repairs, end)
        return table[at - 1] if at else None


def history_of(events: Sequence) -> History:
    """The history to share between the claims of a case with these events."""
    return IndexedHistory(events) if len(events) > SCAN_UP_TO else History(events)
