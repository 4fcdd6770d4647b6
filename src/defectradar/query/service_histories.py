"""Service histories per device: every service event with the device's purchase date.

The input of repeat-repair ("lemon") rules (:mod:`defectradar.analyses.lemons`).  One row
per service event, joined to the earliest purchase date the store holds for its device token
(a token may have several ``devices`` rows, one per source that described it).

The join and the filters are an Ibis expression (DuckDB or a cluster backend alike); only the
final conversion to pandas dtypes happens here.

Examples
--------
>>> with store.reader() as con:                                    # doctest: +SKIP
...     events = service_histories(con, product="xiaomi-11", as_of="2022-12-31")
>>> find_lemons(events, load_lemon_rules(["cn"]))                  # doctest: +SKIP
"""

from __future__ import annotations

import difflib

import pandas as pd

from defectradar.core.dates import as_date
from defectradar.errors import InputError
from defectradar.query.stats import backend

#: Service actions that are claims (a remedy was given): the failures of the reliability views.
#: ``inspect`` found no fault and ``refused`` was not a warranty fault.
CLAIM_ACTIONS = ("repair", "replace", "refund")
#: Actions after which the unit leaves the field (the exchanged unit is another device).
RETIRING_ACTIONS = ("replace", "refund")

#: How a device's history is ordered (the key first).
HISTORY_ORDER = ("device_token", "date", "event_id")
#: Columns of :func:`service_histories`, in order.
COLUMNS = ("event_id", "device_token", "product_id", "purchase_date", "date", "failure_mode", "action",
           "days_out_of_service", "data_wiped", "region")


def service_histories_expr(con, product: str | None = None, mode: str | None = None, as_of=None, *,
                           ordered: bool = True):
    """The Ibis expression behind :func:`service_histories` (same parameters); ``ordered=False``
    leaves out the final sort (for ``map_groups``, which sorts within its own partitions)."""
    b = backend(con)
    events = b.table("service_events")
    devices = b.table("devices")
    # min() skips nulls: the earliest purchase date and a region any source gave for the token.
    known = devices.filter(devices.purchase_date.notnull() | devices.region.notnull())
    purchases = known.group_by("device_token").aggregate(purchase_date=known.purchase_date.min(),
                                                         device_region=known.region.min())
    as_of = as_date(as_of, "as_of")
    if as_of is not None:
        events = events.filter(events.date <= as_of)
    if product is not None:
        events = events.filter(events.product_id == product)
    if mode is not None:
        # Whole histories of the devices the mode touched: a replacement for another fault
        # still ends a device's history, and days out of service add up across faults.
        touched = events.filter(events.failure_mode == mode).select("device_token").distinct()
        events = events.semi_join(touched, "device_token")
    joined = events.left_join(purchases, "device_token")
    # Where the visit happened, else where the device was sold: which law applies (remedies audit).
    derived = {"region": joined.region.fill_null(joined.device_region).name("region"),
               "data_wiped": joined.data_wiped.fill_null(False).name("data_wiped")}
    columns = [derived.get(c, joined[c]) for c in COLUMNS]
    selected = joined.select(*columns)
    return selected.order_by(list(HISTORY_ORDER)) if ordered else selected


def service_histories(con, product: str | None = None, mode: str | None = None, as_of=None) -> pd.DataFrame:
    """Every service event with its device's purchase date, oldest first per device.

    Parameters
    ----------
    con
        An open store connection (``store.reader()``).
    product
        Keep only events of this catalog product id.
    mode
        Keep the *whole* history (all failure modes) of every device with at least one event
        of this failure mode, so that rules spanning faults (days out of service) and the end
        of a history (a replacement for another fault) still see every event.
    as_of
        Keep events dated on or before this day (YYYY-MM-DD).

    Returns
    -------
    DataFrame
        Columns ``event_id, device_token, product_id, purchase_date, date, failure_mode,
        action, days_out_of_service, data_wiped, region``; ``purchase_date`` (the earliest known
        for the token, NaT when none) and ``date`` are ``datetime64``; ``days_out_of_service`` is
        a float (NaN when unknown); ``data_wiped`` is a bool (False when unknown); ``region`` is
        the service record's region, else one the device records give (None when neither does).
        Sorted by device token, date and event id.
    """
    return events_frame(service_histories_expr(con, product, mode, as_of).to_pyarrow())


def events_frame(table) -> pd.DataFrame:
    """Service events read by :func:`service_histories_expr` (a pyarrow table) as the pandas
    frame :func:`service_histories` returns (its dtypes)."""
    frame = table.to_pandas()
    for column in ("purchase_date", "date"):
        frame[column] = pd.to_datetime(frame[column])
    frame["days_out_of_service"] = pd.to_numeric(frame["days_out_of_service"]).astype("float64")
    frame["data_wiped"] = frame["data_wiped"].astype(bool)
    return frame.reset_index(drop=True)


def map_device_histories(con, fn, product: str | None = None, mode: str | None = None, as_of=None):
    """``fn(events)`` over the service histories in parts, where the engine holds them: each
    ``events`` frame (as :func:`service_histories` returns) has whole device histories, and
    only what ``fn`` returns comes back (one part per frame, in no set order).  The remedies
    audit and the lemons judge devices this way, so a cluster never sends every event to the
    driver."""
    expr = service_histories_expr(con, product, mode, as_of, ordered=False)
    return backend(con).map_groups(expr, HISTORY_ORDER[0], HISTORY_ORDER[1:], _FrameFunction(fn))


class _FrameFunction:
    """``fn`` of a frame, called with an Arrow table (a class, not a closure: it is pickled
    to Spark's executors)."""

    def __init__(self, fn) -> None:
        self.fn = fn

    def __call__(self, table):
        return self.fn(events_frame(table))


def device_count(con, product: str | None = None) -> int:
    """How many device tokens have service events (of ``product`` when given)."""
    events = backend(con).table("service_events")
    if product is not None:
        events = events.filter(events.product_id == product)
    return int(events.device_token.nunique().to_pyarrow().as_py() or 0)


def known_products(con, tables=("products", "sales", "devices", "service_events")) -> list[str]:
    """Every product id the store knows: its catalog (``products``), sales, devices and service events."""
    b = backend(con)
    ids = None
    for name in tables:
        table = b.table(name)
        column = table.select(product_id=table.product_id.cast("string"))   # nullable in every table
        ids = column if ids is None else ids.union(column)
    return sorted(v for v in ids.distinct().to_pyarrow().column(0).to_pylist() if v)


def known_modes(con) -> list[str]:
    """Every failure mode the store's service events name, and the built-in taxonomy's modes."""
    from defectradar.text.taxonomy import builtin_taxonomy

    events = backend(con).table("service_events")
    stored = events.select("failure_mode").distinct().to_pyarrow().column(0).to_pylist()
    return sorted({m for m in stored if m} | set(builtin_taxonomy().ids))


def closest_ids(value: str, known, preferred=(), n: int = 3, cutoff: float = 0.6) -> list[str]:
    """The ``n`` ids of ``known`` most like ``value`` (``difflib`` ratio, case folded); at equal
    likeness ids in ``preferred`` (those with records) come first, then alphabetical order."""
    preferred = set(preferred)
    target = value.casefold()
    scored = []
    for candidate in known:
        matcher = difflib.SequenceMatcher(None, target, candidate.casefold())
        if matcher.real_quick_ratio() >= cutoff and matcher.quick_ratio() >= cutoff and matcher.ratio() >= cutoff:
            scored.append((-round(matcher.ratio(), 9), candidate not in preferred, candidate))
    return [candidate for *_, candidate in sorted(scored)[:n]]


def unknown_id_message(what: str, value: str, known: list[str], where: str, preferred=()) -> str:
    """``unknown <what> 'x': <where>; closest known ids: ...`` (see :func:`closest_ids`).

    A few ``preferred`` ids (those with records) are listed too: a close id without records
    (``mi-99`` is most like ``xiaomi-9``, which the catalog knows but nobody sold) would only
    lead to the next error, and a typo can be far from what was meant.
    """
    close = closest_ids(value, known, preferred)
    if close:
        hint = f"closest known ids: {', '.join(close)}"
        if preferred and len(set(preferred)) <= 20 and not set(close) <= set(preferred):
            hint += f" (ids with records: {', '.join(sorted(set(preferred)))})"
    elif len(known) <= 20:
        hint = f"known ids: {', '.join(known) or '(none)'}"
    elif preferred and len(preferred) <= 20:
        hint = f"no known id is close; ids with records: {', '.join(sorted(preferred))}"
    else:
        hint = f"no known id is close (the store knows {len(known):,}, e.g. {', '.join(known[:5])})"
    return f"unknown {what} {value!r}: {where}; {hint}"


def check_product(con, product: str | None) -> None:
    """Raise an :class:`~defectradar.errors.InputError` naming ``product`` as unknown, with the
    closest known ids, when no catalog entry, sales row, device or service event has it."""
    if product is None:
        return
    known = known_products(con)
    if product not in known:
        recorded = known_products(con, ("sales", "service_events"))
        raise InputError(unknown_id_message("product", product, known, "no catalog entry, sales row, device or "
                                            "service event in the store has it", preferred=recorded))


def check_mode(con, mode: str | None) -> None:
    """The same for a failure mode: unknown when neither the service events nor the built-in
    taxonomy name it."""
    if mode is None:
        return
    known = known_modes(con)
    if mode not in known:
        raise InputError(unknown_id_message("failure mode", mode, known, "no service event has it and it is "
                                            "not a mode of the built-in taxonomy"))


def latest_service_date(con):
    """The latest service event date in the store (a ``datetime.date``), None when there is none."""
    events = backend(con).table("service_events")
    latest = events.date.max().to_pyarrow().as_py()
    return None if latest is None else pd.Timestamp(latest).date()
