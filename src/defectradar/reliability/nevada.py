r"""The Nevada chart: warranty claims per unit sold, by sales month and months in service.

Definitions
-----------
* A **claim** is a service event with action ``repair``, ``replace`` or ``refund`` of the product
  (and failure mode), see :mod:`defectradar.query.warranty`.  ``inspect`` and ``refused`` events
  are not claims: no remedy was paid for.
* Its **cohort** is the device's sales month :math:`c` (month of its earliest purchase date) and
  its **months in service** is :math:`a = m - c`, the whole calendar months from the sales month
  to the claim month :math:`m` (0 = claimed in the month of sale).
* A **cell** :math:`(c, a)` holds the claims :math:`y_{ca}` and the cohort's units sold
  :math:`n_c` (``sales_current``, all regions and channels).  A cell exists for every cohort with
  sales and every age whose calendar month :math:`c + a` lies within the observation (on or
  before the last complete month at ``as_of``), so zero-claim cells are kept: they are exposure.
  ``claims_per_1000`` is :math:`1000\, y_{ca} / n_c`.
* With ``warranty_months`` :math:`W`, only claims with :math:`a < W` count (a claim in month
  :math:`c + W` or later is out of warranty); cells stop at age :math:`W - 1`.
* **Claims per 1,000 units by age**: over the cohorts observed through age :math:`a`, i.e. those
  with :math:`c + a` on or before the last complete month,

  .. math::  r(a) = 1000\,\frac{\sum_c y_{ca}}{\sum_c n_c},

  with the exact (Garwood 1936) Poisson interval on the count,
  :math:`[\tfrac12\chi^2_{2y,\,\alpha/2},\ \tfrac12\chi^2_{2y+2,\,1-\alpha/2}]`, divided by the
  units (the lower end is 0 when :math:`y = 0`).

Claims that cannot be placed are counted, never silently dropped: ``unmatched_claims`` are claims
of a cohort that has no sales row (in the simulated world: replacement units, whose purchase date
is the exchange date, after sales ended); ``excluded_claims`` also counts claims of devices with
no purchase date, claims dated before the sales month, and claims after the warranty.

Examples
--------
>>> with store.reader() as con:                                         # doctest: +SKIP
...     table = nevada_for_store(con, "xiaomi-11", mode="wifi", as_of="2022-06-30")   # defectradar.analyses.warranty
>>> table.matrix().iloc[:3, :4]                                        # doctest: +SKIP
>>> table.by_age.head()                                                 # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from scipy import stats

from defectradar.core.dates import add_months, months_between
from defectradar.core.lifetimes import WarrantyCounts
from defectradar.core.numbers import significant
from defectradar.errors import InputError

CELL_COLUMNS = ["sales_month", "months_in_service", "units", "claims", "claims_per_1000"]
AGE_COLUMNS = ["months_in_service", "units", "claims", "claims_per_1000", "lower", "upper"]


def poisson_interval(counts, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    r"""Exact two-sided Poisson interval for observed counts (Garwood 1936).

    .. math::  L = \tfrac12\chi^2_{2y}(\alpha/2), \qquad U = \tfrac12\chi^2_{2y+2}(1-\alpha/2),

    with :math:`L = 0` for :math:`y = 0`.  Equivalently :math:`P(Y \ge y \mid L) = \alpha/2` and
    :math:`P(Y \le y \mid U) = \alpha/2`.

    Examples
    --------
    >>> [round(float(v), 4) for v in poisson_interval(np.array([0, 5]))[1]]
    [3.6889, 11.6683]
    """
    y = np.asarray(counts, dtype=float)
    lower = np.where(y > 0, stats.chi2.ppf(alpha / 2, np.maximum(2 * y, 1e-300)) / 2, 0.0)
    upper = stats.chi2.ppf(1 - alpha / 2, 2 * y + 2) / 2
    return lower, upper


@dataclass
class NevadaTable:
    """Claims per unit sold by sales month x months in service, and by age alone.

    Attributes
    ----------
    cells
        One row per observed cell: ``sales_month``, ``months_in_service``, ``units``, ``claims``,
        ``claims_per_1000``.
    by_age
        ``months_in_service``, ``units`` (of the cohorts observed through that age), ``claims``,
        ``claims_per_1000`` and its interval ``lower``/``upper`` (per 1,000).
    unmatched_claims
        Claims of cohorts with no sales row (not in ``cells``).
    excluded_claims
        Every claim left out, by reason: ``no_sales_row`` (= ``unmatched_claims``),
        ``no_purchase_date``, ``before_sale``, ``after_warranty``, ``outside_shown_cohorts``.
    """

    product: str
    mode: str | None
    as_of: date
    last_month: date
    warranty_months: int | None
    alpha: float
    cells: pd.DataFrame
    by_age: pd.DataFrame
    unmatched_claims: int
    excluded_claims: dict[str, int] = field(default_factory=dict)

    @property
    def summary(self) -> pd.DataFrame:
        return self.cells

    def matrix(self, value: str = "claims_per_1000") -> pd.DataFrame:
        """Sales months down, months in service across (NaN where a cell is not yet observed)."""
        if value not in ("claims", "claims_per_1000", "units"):
            raise InputError(f"value={value!r}: use claims, claims_per_1000 or units")
        if self.cells.empty:
            return pd.DataFrame()
        return self.cells.pivot(index="sales_month", columns="months_in_service", values=value)

    def to_dict(self) -> dict:
        cells = [{"sales_month": r.sales_month.isoformat(), "months_in_service": int(r.months_in_service),
                  "units": int(r.units), "claims": int(r.claims), "claims_per_1000": significant(r.claims_per_1000)}
                 for r in self.cells.itertuples(index=False)]
        by_age = [{"months_in_service": int(r.months_in_service), "units": int(r.units), "claims": int(r.claims),
                   "claims_per_1000": significant(r.claims_per_1000), "lower": significant(r.lower),
                   "upper": significant(r.upper)}
                  for r in self.by_age.itertuples(index=False)]
        return {"product": self.product, "mode": self.mode, "as_of": self.as_of.isoformat(),
                "observed_through": self.last_month.isoformat()[:7], "warranty_months": self.warranty_months,
                "confidence": 1 - self.alpha, "cells": cells, "by_age": by_age,
                "unmatched_claims": int(self.unmatched_claims),
                "excluded_claims": {k: int(v) for k, v in self.excluded_claims.items()}}



def check_months(value, name: str) -> None:
    if value is not None and (not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1):
        raise InputError(f"{name}={value!r} must be a positive whole number of months (or None)")


def rates_by_age(cells: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Claims per 1,000 units by months in service, pooled over the cells at each age.

    Parameters
    ----------
    cells
        Nevada cells (``months_in_service``, ``units``, ``claims``): each age's cells are exactly
        the cohorts observed through that age.
    alpha
        1 - confidence of the Garwood interval.
    """
    if cells.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in AGE_COLUMNS})
    pooled = cells.groupby("months_in_service", as_index=False)[["units", "claims"]].sum()
    lower, upper = poisson_interval(pooled["claims"].to_numpy(), alpha)
    units = pooled["units"].to_numpy(dtype=float)
    pooled["claims_per_1000"] = 1000 * pooled["claims"] / units
    pooled["lower"] = 1000 * lower / units
    pooled["upper"] = 1000 * upper / units
    return pooled[AGE_COLUMNS].reset_index(drop=True)


def nevada_table(counts: WarrantyCounts, warranty_months: int | None = None, sales_months: int | None = None,
                 alpha: float = 0.05) -> NevadaTable:
    """Build the Nevada cells and by-age rates from claims and cohort units.

    Parameters
    ----------
    counts
        Claims by sales month x claim month and units per sales month
        (:func:`defectradar.query.warranty.warranty_counts`).
    warranty_months
        :math:`W`: count only claims with months in service :math:`< W` (default: all).
    sales_months
        Keep only the latest this many cohorts with sales (cells and by-age rates); claims of
        older cohorts are counted in ``excluded_claims["outside_shown_cohorts"]``.
    alpha
        1 - confidence of the by-age intervals.

    Examples
    --------
    >>> claims = pd.DataFrame({"sales_month": [date(2021, 1, 1)] * 2, "claim_month": [date(2021, 1, 1),
    ...                        date(2021, 2, 1)], "claims": [2, 3]})
    >>> units = pd.DataFrame({"sales_month": [date(2021, 1, 1), date(2021, 2, 1)], "units": [1000, 500]})
    >>> counts = WarrantyCounts("p", None, date(2021, 2, 28), date(2021, 2, 1), claims, units)
    >>> nevada_table(counts).cells[["months_in_service", "units", "claims"]].values.tolist()
    [[0, 1000, 2], [1, 1000, 3], [0, 500, 0]]
    """
    check_months(warranty_months, "warranty_months")
    check_months(sales_months, "sales_months")
    if not 0 < alpha < 1:
        raise InputError(f"alpha={alpha!r} must lie between 0 and 1 (0.05 for 95 % intervals)")
    last = counts.last_month
    units = counts.units[counts.units["units"] > 0]
    units = units[units["sales_month"] <= last].groupby("sales_month", as_index=False)["units"].sum()
    units = units.sort_values("sales_month")
    shown = units.tail(sales_months) if sales_months is not None else units
    first_shown = shown["sales_month"].min() if not shown.empty else None

    claims = counts.claims[counts.claims["claim_month"] <= last]
    dated = claims[claims["sales_month"].notna()].copy()
    excluded = {"no_sales_row": 0, "no_purchase_date": int(claims.loc[claims["sales_month"].isna(), "claims"].sum()),
                "before_sale": 0, "after_warranty": 0, "outside_shown_cohorts": 0}
    dated["months_in_service"] = [months_between(s, c) for s, c in zip(dated["sales_month"], dated["claim_month"])]
    before = dated["months_in_service"] < 0
    excluded["before_sale"] = int(dated.loc[before, "claims"].sum())
    dated = dated[~before]
    if warranty_months is not None:
        late = dated["months_in_service"] >= warranty_months
        excluded["after_warranty"] = int(dated.loc[late, "claims"].sum())
        dated = dated[~late]
    sold = set(units["sales_month"])
    no_sales = ~dated["sales_month"].isin(sold)
    excluded["no_sales_row"] = int(dated.loc[no_sales, "claims"].sum())
    dated = dated[~no_sales]
    if first_shown is not None:
        older = dated["sales_month"] < first_shown
        excluded["outside_shown_cohorts"] = int(dated.loc[older, "claims"].sum())
        dated = dated[~older]
    observed = dated.groupby(["sales_month", "months_in_service"], as_index=False)["claims"].sum()

    # Every observed cell, claims or not: a zero cell is exposure the rates and the fit must see.
    grid = [(row.sales_month, a, int(row.units)) for row in shown.itertuples(index=False)
            for a in range(months_between(row.sales_month, last) + 1)
            if warranty_months is None or a < warranty_months]
    cells = pd.DataFrame(grid, columns=["sales_month", "months_in_service", "units"]).astype(
        {"sales_month": object, "months_in_service": "int64", "units": "int64"})
    observed = observed.astype({"months_in_service": "int64"})
    cells = cells.merge(observed, on=["sales_month", "months_in_service"], how="left")
    cells["claims"] = cells["claims"].fillna(0).astype("int64")
    cells["months_in_service"] = cells["months_in_service"].astype("int64")
    cells["units"] = cells["units"].astype("int64")
    cells["claims_per_1000"] = 1000 * cells["claims"] / cells["units"]
    cells = cells.sort_values(["sales_month", "months_in_service"]).reset_index(drop=True)[CELL_COLUMNS]
    return NevadaTable(counts.product, counts.mode, counts.as_of, last, warranty_months, alpha, cells,
                       rates_by_age(cells, alpha), excluded["no_sales_row"], excluded)


def claims_by_calendar_month(cells: pd.DataFrame) -> pd.DataFrame:
    """Observed claims of the Nevada cells summed per calendar month (``month``, ``claims``)."""
    if cells.empty:
        return pd.DataFrame({"month": pd.Series(dtype=object), "claims": pd.Series(dtype="int64")})
    month = [add_months(s, int(a)) for s, a in zip(cells["sales_month"], cells["months_in_service"])]
    per_month = cells.assign(month=month).groupby("month", as_index=False)["claims"].sum()
    return per_month.sort_values("month").reset_index(drop=True)
