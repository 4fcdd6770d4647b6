"""Count series and exposure from the store, as backend-neutral Ibis expressions.

* :func:`report_series`: distinct reports per period (day, ISO week starting Monday, or
  month) from ``reports_labelled`` (the effective labels: analyst > relabel > ingest), per
  product, failure mode and/or source, zero-filled over one calendar.
* :func:`exposure_series`: units in service per period from ``sales_current``.
* :func:`series_for_store`: both together as :class:`~defectradar.core.series.CountSeries`
  keyed by group, ready for the temporal detectors.

Grouping, counting and filtering are Ibis expressions (they run on DuckDB or a cluster
backend alike); only the calendar (zero-filling) and the in-service window sum are pandas /
numpy over the small aggregated result.

**No peeking.**  ``as_of`` keeps reports created before the end of that day (UTC) and sales
of months starting on or before it; the last period then ends at ``as_of`` and may be partial
(``meta["partial_last"]``).  Labels are the current effective labels, and ``as_of`` cuts on
``created_at``, not on when a report was ingested.

Examples
--------
>>> with store.reader() as con:                                    # doctest: +SKIP
...     weekly = series_for_store(con, freq="week", by=("product", "mode"), as_of="2024-03-31")
>>> weekly[("xiaomi-11", "wifi")].counts                            # doctest: +SKIP
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Iterable

import numpy as np
import pandas as pd

from defectradar.core.dates import FREQS, as_date, calendar, period_start
from defectradar.core.series import CountSeries
from defectradar.errors import InputError
from defectradar.query.stats import backend

#: ``by`` names and the columns they group on.
GROUPS = {"product": "product_id", "mode": "failure_mode", "source": "source"}
_TRUNCATE = {"week": "W", "month": "M"}


def _check_freq(freq: str) -> None:
    if freq not in FREQS:
        raise InputError(f"freq={freq!r}: use one of {', '.join(FREQS)}")


def _group_columns(by: Iterable[str]) -> list[str]:
    by = (by,) if isinstance(by, str) else tuple(by)
    unknown = [b for b in by if b not in GROUPS]
    if unknown:
        raise InputError(f"by={unknown[0]!r}: group by any of {', '.join(GROUPS)}")
    if len(set(by)) != len(by):
        raise InputError(f"by={by!r} names a group twice")
    return [GROUPS[b] for b in by]


def _period_end(start: date, freq: str) -> date:
    """Last day of the period starting at ``start``."""
    if freq == "day":
        return start
    if freq == "week":
        return start + timedelta(days=6)
    return (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()


TABLES = ("reports", "service_events")
COUNTS = ("failures", "all")      # which kinds of failure mode a report counts for (docs/labelling.md)
# What a "mode" series is counted by: the failure modes (the classifier's, or a custom model's
# labels: "label" names them so), or the source's own coding (NHTSA components, top level).
DIMENSIONS = ("mode", "label", "component")


def failures_view(con=None) -> str:
    """The name of the view of ``reports_labelled`` whose ``failure_modes`` hold failures only
    (defined in :mod:`defectradar.backends.views`, installed in the store by the migrations)."""
    return "reports_failures"


def counted_records(con, table: str, rows: str = "failures"):
    """The records a count reads, as the store holds them (an Ibis table).

    ``reports``: ``rows`` ``failures`` reads ``reports_failures`` (reports with a failure
    mode), ``all`` every complaint (``reports_labelled``), ``component`` the reports by
    component (``reports_by_component``).  ``service_events``: the repair-type visits
    (inspections find no fault), whatever ``rows``.  The series, the disproportionality pair
    counts and the evidence rules all read through this, so they count the same records.
    """
    b = backend(con)
    if table == "service_events":
        e = b.table("service_events")
        return e.filter(e.action != "inspect")
    return b.table({"component": "reports_by_component", "all": "reports_labelled"}.get(rows, "reports_failures"))


def _events_table(con, table: str, count: str = "failures", dimension: str = "mode"):
    """The rows to count, with the columns of ``reports_labelled`` that counting needs.

    ``service_events`` counts repair-type visits (not inspections, which find no fault) under
    the same names: ``created_at`` is the event date, ``report_id`` the event id.  ``count``
    ``failures`` (the default) counts a report's failure modes only, ``all`` its complaints too.
    """
    import ibis

    if table not in TABLES:
        raise InputError(f"table must be one of {', '.join(TABLES)}, not {table!r}")
    if count not in COUNTS:
        raise InputError(f"count must be one of {', '.join(COUNTS)}, not {count!r}")
    if dimension not in DIMENSIONS:
        raise InputError(f"--by must be one of {', '.join(DIMENSIONS)}, not {dimension!r}")
    e = counted_records(con, table, "component" if dimension == "component" else count)
    if table == "reports":
        return e
    return e.select(report_id=e.event_id, created_at=e.date.cast("timestamp"), product_id=e.product_id,
                    failure_modes=ibis.ifelse(e.failure_mode.notnull(), ibis.array([e.failure_mode]),
                                              ibis.null().cast("array<string>")),
                    source=e.source)


def report_counts(con, freq: str = "week", by: Iterable[str] = ("product",), as_of=None, start=None,
                  product: str | None = None, mode: str | None = None, source: str | None = None,
                  table: str = "reports", count: str = "failures", dimension: str = "mode"):
    """The Ibis expression behind :func:`report_series`: distinct reports per group and period.

    Columns: the group columns, ``period`` (date of the period start) and ``reports``.
    Reports without a creation time, or without a value for a grouping column (no product,
    no failure mode), are left out.  A report with two failure modes counts once in each.
    """
    import ibis

    _check_freq(freq)
    columns = _group_columns(by)
    as_of, start = as_date(as_of, "as_of"), as_date(start, "start")
    t = _events_table(con, table, count, dimension)
    t = t.filter(t.created_at.notnull())
    if as_of is not None:
        t = t.filter(t.created_at < ibis.timestamp(datetime.combine(as_of + timedelta(days=1), datetime.min.time())))
    if start is not None:
        first = period_start(start, freq)
        t = t.filter(t.created_at >= ibis.timestamp(datetime.combine(first, datetime.min.time())))
    if product is not None:
        t = t.filter(t.product_id == product)
    if source is not None:
        t = t.filter(t.source == source)
    if "failure_mode" in columns or mode is not None:
        t = t.mutate(failure_mode=t.failure_modes.unnest())   # drops reports with no mode
        if mode is not None:
            t = t.filter(t.failure_mode == mode)
    for column in columns:
        t = t.filter(t[column].notnull())
    period = t.created_at.date() if freq == "day" else t.created_at.truncate(_TRUNCATE[freq]).date()
    t = t.mutate(period=period)
    return t.group_by([*columns, "period"]).aggregate(reports=t.report_id.nunique())


def event_coverage(con, table: str = "reports", as_of=None, top: int = 3, count: str = "failures",
                   dimension: str = "mode") -> dict:
    """What a count series can use of ``table`` up to ``as_of``: rows, and rows it must leave out.

    Returns ``rows`` (dated up to ``as_of``, or undated), ``undated``, ``no_product``,
    ``no_mode`` (no failure mode), ``usable`` (dated, with a product and a mode) and
    ``unmatched_products``: the ``top`` product names (``product_raw``) most often left without a
    product id, with their counts, so a scan that finds nothing can say what is missing.
    """
    import ibis

    as_of = as_date(as_of, "as_of")
    t = _events_table(con, table, count, dimension)
    if table == "service_events":
        e = backend(con).table("service_events")
        e = e.filter(e.action != "inspect")
        raw = e.select(created_at=e.date.cast("timestamp"), product_id=e.product_id, product_raw=e.product_raw)
    else:
        raw = t.select(created_at=t.created_at, product_id=t.product_id, product_raw=t.product_raw)
    if as_of is not None:
        end = ibis.timestamp(datetime.combine(as_of + timedelta(days=1), datetime.min.time()))
        t = t.filter(t.created_at.isnull() | (t.created_at < end))
        raw = raw.filter(raw.created_at.isnull() | (raw.created_at < end))
    has_mode = t.failure_modes.notnull() & (t.failure_modes.length() > 0)
    one = ibis.literal(1)
    counts = t.aggregate(
        rows=t.count(), undated=t.created_at.isnull().ifelse(one, 0).sum(),
        no_product=t.product_id.isnull().ifelse(one, 0).sum(), no_mode=has_mode.ifelse(0, one).sum(),
        usable=(t.created_at.notnull() & t.product_id.notnull() & has_mode).ifelse(one, 0).sum(),
    ).to_pyarrow().to_pylist()[0]
    result = {k: int(v or 0) for k, v in counts.items()}
    missing = raw.filter(raw.product_id.isnull() & raw.product_raw.notnull())
    names = (missing.group_by("product_raw").aggregate(n=missing.count())
             .order_by([ibis.desc("n"), "product_raw"]).limit(top).to_pyarrow().to_pylist())
    result["unmatched_products"] = [(r["product_raw"], int(r["n"])) for r in names]
    return result


def report_series(con, freq: str = "week", by: Iterable[str] = ("product",), as_of=None, start=None,
                  product: str | None = None, mode: str | None = None,
                  source: str | None = None, table: str = "reports", count: str = "failures",
                  dimension: str = "mode") -> pd.DataFrame:
    """Distinct reports per period and group, zero-filled over one calendar.

    Parameters
    ----------
    con
        An open store connection (``store.reader()``).
    freq
        ``day``, ``week`` (ISO, Monday to Sunday) or ``month``.
    by
        Any of ``product``, ``mode`` (failure mode, one row per mode of a report) and
        ``source``; ``()`` for one total series.
    as_of
        Keep reports created before the end of this day (UTC); the calendar runs to its
        period even when nothing was reported there.
    start
        Keep reports from the period holding this day on; the calendar starts there.
    product, mode, source
        Keep only this product id, failure mode or source.
    table
        ``reports`` (complaints, effective labels) or ``service_events`` (repair-type visits).

    Returns
    -------
    DataFrame
        The group columns (``product_id``, ``failure_mode``, ``source``), ``period`` and
        ``reports``, sorted by group and period.  Every group observed in the range gets every
        period from ``start`` (else the earliest period with a report) to ``as_of`` (else the
        latest period with a report); groups without any report in range are absent.
    """
    columns = _group_columns(by)
    as_of_day, start_day = as_date(as_of, "as_of"), as_date(start, "start")
    counts = report_counts(con, freq, by, as_of_day, start_day, product, mode, source, table,
                           count=count, dimension=dimension).to_pyarrow().to_pandas()
    out_columns = [*columns, "period", "reports"]
    if counts.empty and (as_of_day is None or start_day is None or columns):
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "reports" else object) for c in out_columns})
    counts["period"] = pd.to_datetime(counts["period"]).dt.date
    first = start_day or counts["period"].min()
    last = as_of_day or counts["period"].max()
    periods = calendar(first, last, freq)
    if columns:
        keys = counts[columns].drop_duplicates().sort_values(columns)
        grid = keys.merge(pd.DataFrame({"period": periods}), how="cross")
    else:
        grid = pd.DataFrame({"period": periods})
    filled = grid.merge(counts, on=[*columns, "period"], how="left")
    filled["reports"] = filled["reports"].fillna(0).astype("int64")
    return filled.sort_values([*columns, "period"]).reset_index(drop=True)[out_columns]


def monthly_sales(con, product: str, as_of=None) -> pd.Series:
    """Units sold per month (all regions and channels) from ``sales_current``, as of a day."""
    as_of = as_date(as_of, "as_of")
    t = backend(con).table("sales_current")
    t = t.filter(t.product_id == product)
    if as_of is not None:
        t = t.filter(t.month <= as_of)
    rows = t.group_by("month").aggregate(units=t.units.sum()).to_pyarrow().to_pandas()
    if rows.empty:
        return pd.Series(dtype="int64", name="units")
    rows["month"] = pd.to_datetime(rows["month"]).dt.date
    return rows.set_index("month")["units"].sort_index().astype("int64")


def monthly_sales_by_product(con, as_of=None) -> dict[str, pd.Series]:
    """:func:`monthly_sales` of every product, in one query (a scan needs all of them)."""
    as_of = as_date(as_of, "as_of")
    t = backend(con).table("sales_current")
    t = t.filter(t.product_id.notnull())
    if as_of is not None:
        t = t.filter(t.month <= as_of)
    rows = t.group_by(["product_id", "month"]).aggregate(units=t.units.sum()).to_pyarrow().to_pandas()
    if rows.empty:
        return {}
    rows["month"] = pd.to_datetime(rows["month"]).dt.date
    return {product: group.set_index("month")["units"].sort_index().astype("int64").rename("units")
            for product, group in rows.groupby("product_id", sort=False)}


def _month_number(day: date) -> int:
    return day.year * 12 + day.month - 1


def exposure_series(con, product: str, freq: str = "week", as_of=None, service_months: int = 24,
                    periods: list[date] | None = None, sales: pd.Series | None = None) -> pd.DataFrame:
    """Units in service per period for one product, from ``sales_current``.

    Assumption (documented, not measured): a unit sold in month ``m`` is in service from
    ``m`` through month ``m + service_months - 1``, then retired.  A period's exposure is that
    of the month holding its first day:

    .. math::  U(p) = \\sum_{m:\\; m \\le \\mathrm{month}(p) < m + S} \\mathrm{units}(m).

    Parameters
    ----------
    product
        Catalog product id.
    freq
        ``day``, ``week`` or ``month``.
    as_of
        Ignore sales months starting after this day (no peeking); the default calendar ends
        at its period.
    service_months
        ``S``, months a unit stays in service (a positive integer).
    periods
        Period starts to report on (e.g. those of a report series); default: from the first
        sales month to ``as_of`` (else to the last month any unit is in service).
    sales
        The product's :func:`monthly_sales` when the caller has read them already.

    Returns
    -------
    DataFrame
        ``period`` and ``units_in_service``; empty when the product has no sales.
    """
    _check_freq(freq)
    if not isinstance(service_months, int) or isinstance(service_months, bool) or service_months < 1:
        raise InputError(f"service_months={service_months!r} must be a positive whole number of months")
    as_of = as_date(as_of, "as_of")
    if sales is None:
        sales = monthly_sales(con, product, as_of)
    if sales.empty:
        return pd.DataFrame({"period": pd.Series(dtype=object), "units_in_service": pd.Series(dtype="int64")})
    if periods is None:
        first = sales.index.min()
        if as_of is not None:
            last = as_of
        else:
            m = _month_number(sales.index.max()) + service_months - 1
            last = date(m // 12, m % 12 + 1, 1)
        periods = calendar(first, last, freq)
    origin = _month_number(sales.index.min())
    horizon = max(_month_number(p) for p in [*periods, sales.index.max()]) - origin + 1
    sold = np.zeros(max(horizon, 1) + 1, dtype=np.int64)
    for month, units in sales.items():
        sold[_month_number(month) - origin + 1] += units
    cumulative = np.cumsum(sold)   # cumulative[i]: units sold in months before origin + i

    def in_service(day: date) -> int:
        m = _month_number(day) - origin
        if m < 0:
            return 0
        return int(cumulative[m + 1] - cumulative[max(m + 1 - service_months, 0)])

    return pd.DataFrame({"period": list(periods), "units_in_service": [in_service(p) for p in periods]})


def series_for_store(con, freq: str = "week", by: Iterable[str] = ("product",), as_of=None, start=None,
                     product: str | None = None, mode: str | None = None, source: str | None = None,
                     service_months: int = 24, table: str = "reports", count: str = "failures",
                     dimension: str = "mode") -> dict[tuple, CountSeries]:
    """Report counts per group as :class:`CountSeries`, with exposure where it is known.

    Keys are tuples of the group values in the order of ``by`` (``()`` for the total).  When
    the group names one product (``"product" in by`` or ``product=``) and that product has
    sales, ``denominators`` holds its units in service (:func:`exposure_series`); otherwise
    ``denominators`` is None.

    Examples
    --------
    >>> with store.reader() as con:                                 # doctest: +SKIP
    ...     series = series_for_store(con, freq="week", by=("product", "mode"))
    >>> KleinbergBursts().fit(series[("xiaomi-11", "wifi")])       # doctest: +SKIP
    """
    columns = _group_columns(by)
    as_of_day = as_date(as_of, "as_of")
    counted = report_series(con, freq, by, as_of, start, product, mode, source, table, count=count,
                            dimension=dimension)
    if counted.empty:
        return {}
    groups = counted.groupby(columns, sort=True) if columns else [((), counted)]
    exposure_cache: dict[str, pd.Series | None] = {}
    # Every product's sales in one query, not one query per product.
    all_sales = monthly_sales_by_product(con, as_of_day) if "product_id" in columns else None
    result: dict[tuple, CountSeries] = {}
    for key, rows in groups:
        key = tuple(key) if isinstance(key, tuple) else (key,)
        labels = dict(zip(columns, key))
        periods = list(rows["period"])
        product_id = labels.get("product_id", product)
        denominators = None
        if product_id is not None:
            if product_id not in exposure_cache:
                sales = None if all_sales is None else all_sales.get(product_id, pd.Series(dtype="int64"))
                exposure = exposure_series(con, product_id, freq, as_of_day, service_months, periods, sales=sales)
                exposure_cache[product_id] = (None if exposure.empty
                                              else exposure.set_index("period")["units_in_service"])
            if exposure_cache[product_id] is not None:
                denominators = exposure_cache[product_id].reindex(periods).to_numpy(dtype=float)
        last = periods[-1]
        meta = {"key": labels, "table": table, "as_of": str(as_of_day) if as_of_day else None,
                "partial_last": bool(as_of_day is not None and as_of_day < _period_end(last, freq)),
                "exposure": (f"units in service, {service_months} months per unit" if denominators is not None
                             else None)}
        result[key] = CountSeries(periods=periods, counts=rows["reports"].to_numpy(), denominators=denominators,
                                  freq=freq, name="/".join(str(k) for k in key) or "all reports", meta=meta)
    return result
