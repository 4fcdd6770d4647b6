"""The Nevada chart, the claims forecast and its back-test on the store's claims and sales.

Each reads :func:`~defectradar.query.warranty.warranty_counts` (claims by sales month and claim
month, units per sales month) and hands the counts to the method:
:func:`~defectradar.reliability.nevada.nevada_table` or
:class:`~defectradar.reliability.forecast.WarrantyForecast`.

Examples
--------
>>> with store.reader() as con:                                         # doctest: +SKIP
...     table = nevada_for_store(con, "xiaomi-11", mode="wifi", as_of="2022-06-30")
...     fc = forecast_for_store(con, "xiaomi-11", months=6, as_of="2022-06-30")
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from defectradar.core.dates import months_between
from defectradar.query.warranty import warranty_counts
from defectradar.reliability.forecast import WarrantyForecast
from defectradar.reliability.nevada import NevadaTable, check_months, nevada_table


def nevada_for_store(con, product: str, mode: str | None = None, as_of=None, warranty_months: int | None = None,
                     sales_months: int | None = None, alpha: float = 0.05) -> NevadaTable:
    """:func:`~defectradar.reliability.nevada.nevada_table` on the store's claims and sales
    (:func:`defectradar.query.warranty.warranty_counts`)."""
    check_months(warranty_months, "warranty_months")      # a bad setting fails before the store is read
    check_months(sales_months, "sales_months")
    return nevada_table(warranty_counts(con, product, mode, as_of), warranty_months, sales_months, alpha)


def forecast_for_store(con, product: str, months: int = 6, mode: str | None = None, as_of=None,
                       warranty_months: int | None = None, alpha: float = 0.05) -> WarrantyForecast:
    """:class:`~defectradar.reliability.forecast.WarrantyForecast` fitted to the store's claims and
    sales as of a day."""
    forecaster = WarrantyForecast(months, alpha, warranty_months)
    forecaster._validate_params()        # a bad setting fails before the store is read
    return forecaster.fit(warranty_counts(con, product, mode, as_of))


def backtest_forecast(con, product: str, as_of, months: int = 6, mode: str | None = None,
                      warranty_months: int | None = None, alpha: float = 0.05) -> pd.DataFrame:
    """Forecast from the data known at ``as_of`` and compare with the claims that followed.

    Returns
    -------
    DataFrame
        ``month``, ``expected``, ``lower``, ``upper`` (the forecast made at ``as_of``),
        ``actual`` (later claims of the cohorts the forecast covers, i.e. sold up to the last
        complete month at ``as_of`` and with a sales row, within the warranty), ``actual_all``
        (every claim of the product and mode in the month) and ``inside`` (``actual`` within the
        interval).  Months after the store's last complete month have no actuals (missing).
    """
    fitted = forecast_for_store(con, product, months, mode, as_of, warranty_months, alpha)
    later = warranty_counts(con, product, mode, None)
    claims = later.claims[later.claims["claim_month"] <= later.last_month]
    cohorts = set(fitted.nevada_.cells["sales_month"])
    covered = claims[claims["sales_month"].isin(cohorts)].copy()
    if warranty_months is not None:
        ages = [months_between(s, c) for s, c in zip(covered["sales_month"], covered["claim_month"])]
        covered = covered[np.asarray(ages) < warranty_months]
    result = fitted.forecast_.copy()
    actual = covered.groupby("claim_month")["claims"].sum()
    actual_all = claims.groupby("claim_month")["claims"].sum()
    observed = result["month"] <= later.last_month
    result["actual"] = [int(actual.get(m, 0)) if o else None for m, o in zip(result["month"], observed)]
    result["actual_all"] = [int(actual_all.get(m, 0)) if o else None for m, o in zip(result["month"], observed)]
    result["inside"] = [None if v is None else bool(lo <= v <= up)
                        for v, lo, up in zip(result["actual"], result["lower"], result["upper"])]
    return result
