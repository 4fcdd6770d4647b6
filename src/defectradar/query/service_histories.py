"""Service histories per device: every service event with the device's purchase date.

The input of repeat-repair ("lemon") rules (:mod:`defectradar.reliability.lemons`).  One row
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

import pandas as pd

from defectradar.query.series import as_date
from defectradar.query.stats import backend

#: Service actions that are claims (a remedy was given): the failures of the reliability views.
#: ``inspect`` found no fault and ``refused`` was not a warranty fault.
CLAIM_ACTIONS = ("repair", "replace", "refund")
#: Actions after which the unit leaves the field (the exchanged unit is another device).
RETIRING_ACTIONS = ("replace", "refund")

#: Columns of :func:`service_histories`, in order.
COLUMNS = ("event_id", "device_token", "product_id", "purchase_date", "date", "failure_mode", "action",
           "days_out_of_service", "data_wiped", "region")


def service_histories_expr(con, product: str | None = None, mode: str | None = None, as_of=None):
    """The Ibis expression behind :func:`service_histories` (same parameters)."""
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
    return joined.select(*columns).order_by(["device_token", "date", "event_id"])


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
    frame = service_histories_expr(con, product, mode, as_of).to_pyarrow().to_pandas()
    for column in ("purchase_date", "date"):
        frame[column] = pd.to_datetime(frame[column])
    frame["days_out_of_service"] = pd.to_numeric(frame["days_out_of_service"]).astype("float64")
    frame["data_wiped"] = frame["data_wiped"].astype(bool)
    return frame.reset_index(drop=True)


def latest_service_date(con):
    """The latest service event date in the store (a ``datetime.date``), None when there is none."""
    events = backend(con).table("service_events")
    latest = events.date.max().to_pyarrow().as_py()
    return None if latest is None else pd.Timestamp(latest).date()
