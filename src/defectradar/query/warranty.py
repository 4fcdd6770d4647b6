"""Warranty claims by sales month and claim month, and units sold per sales month, from the store.

The input of the Nevada chart and the claims forecast (:mod:`defectradar.reliability.nevada`,
:mod:`defectradar.reliability.forecast`).

* A **claim** is a row of ``service_events`` whose ``action`` is ``repair``, ``replace`` or
  ``refund`` (:data:`CLAIM_ACTIONS`): the maker paid for a remedy.  ``inspect`` (no fault found)
  and ``refused`` (no remedy given) are not claims.  Every event counts, so a unit repaired twice
  makes two claims.
* A claim's **sales month** is the month of the device's purchase date, the earliest
  ``purchase_date`` of its ``device_token`` in ``devices`` (a token may have several rows); its
  **claim month** is the month of the event date.
* A **cohort's units** are the units sold in that month from ``sales_current`` (the latest
  correction of each sales row), summed over regions and channels.

**As of.**  ``as_of`` defaults to the latest service-event date in the store (all products: the
day the records run to).  Claims after it and sales of later months are ignored.  A month that
``as_of`` does not reach the end of is *dropped*, not prorated: observation runs through the last
complete month (:attr:`WarrantyCounts.last_month`), its claims and its sales cohort are left out,
and a forecast starts with it.  Dropping keeps every cell a whole calendar month, so rates of
different cells compare like with like.

Grouping and filtering are Ibis expressions (:func:`claims_by_month`, :func:`units_by_month`); only
the small aggregated result is read into pandas.

Examples
--------
>>> with store.reader() as con:                                        # doctest: +SKIP
...     counts = warranty_counts(con, "xiaomi-11", mode="wifi", as_of="2022-06-30")
>>> counts.last_month, counts.units.head(2)                          # doctest: +SKIP
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from defectradar.core.dates import add_months, as_date, last_complete_month
from defectradar.core.lifetimes import WarrantyCounts
from defectradar.errors import InputError
from defectradar.query.service_histories import CLAIM_ACTIONS, check_mode, check_product, latest_service_date
from defectradar.query.stats import backend


def claims_by_month(con, product: str, mode: str | None = None, through: date | None = None):
    """Ibis expression: claims per (``sales_month``, ``claim_month``) for one product.

    ``sales_month`` is null for claims whose device has no purchase date.  ``through`` keeps
    events dated on or before that day.  Columns: ``sales_month``, ``claim_month`` (dates, first of
    the month) and ``claims``.
    """
    b = backend(con)
    d = b.table("devices")
    d = d.filter(d.purchase_date.notnull())
    first_sale = d.group_by("device_token").aggregate(purchased=d.purchase_date.min())
    e = b.table("service_events")
    e = e.filter(e.product_id == product, e.action.isin(CLAIM_ACTIONS))
    if mode is not None:
        e = e.filter(e.failure_mode == mode)
    if through is not None:
        e = e.filter(e.date <= through)
    joined = e.left_join(first_sale, "device_token")
    joined = joined.mutate(sales_month=joined.purchased.truncate("M"), claim_month=joined.date.truncate("M"))
    return joined.group_by(["sales_month", "claim_month"]).aggregate(claims=joined.count())


def units_by_month(con, product: str, through: date | None = None):
    """Ibis expression: units sold per ``sales_month`` (all regions and channels) from ``sales_current``."""
    s = backend(con).table("sales_current")
    s = s.filter(s.product_id == product)
    if through is not None:
        s = s.filter(s.month <= through)
    s = s.mutate(sales_month=s.month.truncate("M"))
    return s.group_by("sales_month").aggregate(units=s.units.sum())


def _dates(column: pd.Series) -> pd.Series:
    return column.map(lambda v: None if v is None or pd.isna(v) else pd.Timestamp(v).date())


def _check_product(con, product: str) -> None:
    check_product(con, product)             # unknown anywhere: named with the closest known ids
    s = backend(con).table("sales_current")
    known = sorted(r for r in s.select("product_id").distinct().to_pyarrow().column(0).to_pylist() if r)
    if product not in known:
        shown = ", ".join(known[:20]) + (" ..." if len(known) > 20 else "")
        raise InputError(f"product {product!r} has no sales in the store, so claims have no denominator; "
                         f"products with sales: {shown or '(none: ingest a sales file first)'}")


def warranty_counts(con, product: str, mode: str | None = None, as_of=None) -> WarrantyCounts:
    """Claims by sales month x claim month and units per sales month, as of a day.

    Parameters
    ----------
    con
        An open store connection (``store.reader()``).
    product
        Catalog product id; it must have sales (the denominators).
    mode
        One failure mode, or None for claims of every mode (including events with no mode).
    as_of
        Cut-off day (default: the latest service-event date in the store).  Observation runs
        through the last complete month on or before it.

    Raises
    ------
    InputError
        Unknown product or mode, a malformed date, or a store without service events.
    """
    _check_product(con, product)
    check_mode(con, mode)
    as_of = as_date(as_of, "as_of")
    if as_of is None:
        as_of = latest_service_date(con)
        if as_of is None:
            raise InputError("the store holds no service events; ingest service records first")
    last = last_complete_month(as_of)
    through = add_months(last, 1) - timedelta(days=1)
    claims = claims_by_month(con, product, mode, through).to_pyarrow().to_pandas()
    units = units_by_month(con, product, last).to_pyarrow().to_pandas()
    claims["sales_month"] = _dates(claims["sales_month"])
    claims["claim_month"] = _dates(claims["claim_month"])
    claims["claims"] = claims["claims"].astype("int64")
    units["sales_month"] = _dates(units["sales_month"])
    units["units"] = units["units"].astype("int64")
    return WarrantyCounts(product, mode, as_of, last, claims.reset_index(drop=True),
                          units.sort_values("sales_month").reset_index(drop=True))
