"""Reading a date a user or a caller gives, and the calendar arithmetic of periods and months.

:func:`as_date` is the one parser of a single date value in the package (options such as
``--as-of``, fields of a case or a catalog): a ``date``, a ``datetime`` (its day) or
``YYYY-MM-DD`` text, with one message that names the value and says how to write it.  Reading
whole columns of timestamps in many formats is ingest's job (:mod:`defectradar.ingest.timeparse`).
:func:`utc_now` is the one clock of the package's records (when a row was written).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pandas as pd

from defectradar.errors import InputError

FREQS = ("day", "week", "month")
_SHOWN_CHARS = 60      # a message is one line: longer values are cut


def as_date(value, name: str = "as_of", *, required: bool = False) -> date | None:
    """A date from a ``date``, ``datetime`` or ``YYYY-MM-DD`` string.

    None stays None, unless ``required`` (then it is refused like any other non-date).  ``name``
    is how the message calls the value: an option (``--as-of``), a parameter or a field path.

    >>> as_date("2024-02-29"), as_date(None)
    (datetime.date(2024, 2, 29), None)
    >>> as_date("2024-02-30", "--as-of")
    Traceback (most recent call last):
    ...
    defectradar.errors.InputError: --as-of='2024-02-30' is not a date; write it as YYYY-MM-DD
    """
    if value is None and not required:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        shown = repr(value)
        if len(shown) > _SHOWN_CHARS:
            shown = shown[:_SHOWN_CHARS - 3] + "..."
        raise InputError(f"{name}={shown} is not a date; write it as YYYY-MM-DD") from None


def utc_now() -> datetime:
    """The current time in UTC, as a naive ``datetime`` (with microseconds).

    The store's ``TIMESTAMP`` columns (``at``, ``created_at``, ``started_at`` ...) hold UTC
    without a zone, so every row a run, a scan or a person writes is stamped with this one clock.

    >>> utc_now().tzinfo is None
    True
    """
    return datetime.now(timezone.utc).replace(tzinfo=None)


def period_start(day: date, freq: str) -> date:
    """The first day of the period holding ``day`` (weeks start on Monday, ISO 8601)."""
    if freq == "week":
        return day - timedelta(days=day.weekday())
    if freq == "month":
        return day.replace(day=1)
    return day


def calendar(first: date, last: date, freq: str) -> list[date]:
    """Every period start from the period of ``first`` to the period of ``last``."""
    step = {"day": "D", "week": "W-MON", "month": "MS"}[freq]
    index = pd.date_range(period_start(first, freq), period_start(last, freq), freq=step)
    return [d.date() for d in index]


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    """The first day of the month ``n`` months after ``month``'s."""
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, later: date) -> int:
    """Whole calendar months from ``first``'s month to ``later``'s (0 in the same month)."""
    return (later.year - first.year) * 12 + later.month - first.month


def last_complete_month(as_of: date) -> date:
    """The first day of the last calendar month that ends on or before ``as_of``."""
    following = as_of + timedelta(days=1)
    return add_months(month_start(following), -1)
