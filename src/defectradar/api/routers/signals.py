"""Signals: the product x failure-mode disproportionality table, and one count series scored by a detector.

Both read the store as the scan does (``signals scan``): the table from the same pair counts
(:func:`~defectradar.analyses.scan.pair_counts`), the series from
:func:`~defectradar.query.series.series_for_store`, so what the API shows is what raised the
alerts.  Neither records anything: scanning stays the CLI's and the scheduler's.
"""

from __future__ import annotations

import warnings
from datetime import date
from typing import Literal, Optional

from fastapi import APIRouter, Depends, Query, Request

from defectradar.accounts import Account
from defectradar.api.common import decode_cursor, json_with_etag, page, read
from defectradar.api.params import api_fields, catalog, check_mode_known, check_product_known, day_query
from defectradar.api.security import requirement

router = APIRouter(prefix="/signals", tags=["signals"])

Method = Literal["nb-excess", "ears-c1", "ears-c2", "ears-c3", "cusum", "farrington", "glr-poisson", "glr-nb",
                 "bursts"]


def _catalog_ids(request: Request) -> list[str]:
    return [p.product_id for p in catalog(request).products]


def disproportionality_table(con, as_of: date | None, count: str) -> dict:
    """The scan's table as of a day: MGPS prior and every pair's statistics (PRR, ROR, IC, EBGM ...)."""
    from defectradar.analyses.scan import MIN_PAIRS, pair_counts
    from defectradar.query.stats import default_as_of
    from defectradar.signals.contingency import ContingencyTable
    from defectradar.signals.disproportionality import analyse

    day = as_of or default_as_of(con)
    counts = pair_counts(con, day, count)
    if len(counts) < MIN_PAIRS:
        return {"as_of": day.isoformat(), "hyperparameters": None, "pairs": [],
                "note": f"{len(counts)} product x mode pairs by {day}; the table needs at least {MIN_PAIRS}"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # a small table cannot pin the MGPS prior; the statistics stand
        result = analyse(ContingencyTable.from_counts(counts)).to_dict()
    result["pairs"].sort(key=lambda p: (not p["signal"], -(p["eb05"] or 0.0), p["product"], p["event"]))
    return {"as_of": day.isoformat(), **result, "note": None}


@router.get("/disproportionality", summary="PRR, ROR, chi-square, IC and MGPS (EB05) for every product x "
                                           "mode pair; signals first, strongest first")
def signals_disproportionality(
    request: Request,
    as_of: Optional[date] = day_query("Count reports up to this day (default: the newest)."),
    count: Literal["failures", "all"] = Query("failures", description="failures: a report counts for its "
                                              "failure modes; all: its complaints too."),
    product: Optional[str] = Query(None, max_length=200, description="Only this product's pairs."),
    mode: Optional[str] = Query(None, max_length=200, description="Only this failure mode's pairs."),
    signals_only: bool = Query(False, description="Only the pairs flagged as signals."),
    limit: int = Query(100, ge=1, le=1000), cursor: Optional[str] = None,
    _: Account = Depends(requirement("viewer")),
):
    offset = decode_cursor(cursor)
    ids = _catalog_ids(request)

    def table(con):
        result = disproportionality_table(con, as_of, count)
        pairs = [p for p in result.pop("pairs") if (product is None or p["product"] == product)
                 and (mode is None or p["event"] == mode) and (p["signal"] or not signals_only)]
        if product is not None and not pairs:
            check_product_known(con, product, ids)
        if mode is not None and not pairs:
            check_mode_known(con, mode)
        return result, pairs

    result, pairs = read(request, table, analytic=True, cache_key=("api.disproportionality", as_of, count, product, mode,
                                                       signals_only))
    return json_with_etag(request, {**page(pairs[offset:offset + limit + 1], offset, limit), **result})


def scored_series(con, *, product, mode, source, freq, as_of, start, count, method, false_alarms_per_year):
    """One count series (the filters' total) scored by ``method``, as ``signals series`` scores a file."""
    from defectradar.analyses.scan import ScanConfig
    from defectradar.query.series import series_for_store
    from defectradar.signals.calibrated import METHOD as NB_EXCESS
    from defectradar.signals.registry import detector

    found = series_for_store(con, freq=freq, by=(), as_of=as_of, start=start, product=product, mode=mode,
                             source=source, count=count)
    base = {"freq": freq, "product": product, "mode": mode, "source": source, "method": method}
    if not found:
        return {**base, "params": None, "periods": [], "evidence_floor": None, "exposure": None,
                "note": "no report matches these filters"}
    series = found[()]
    params = {}
    if method == NB_EXCESS:
        params["false_alarms_per_year"] = false_alarms_per_year or ScanConfig().false_alarms_per_year
    det = detector(method, **params).fit(series)
    result = det.to_dict()
    floor = ScanConfig().floor(series.freq)
    for p in result["periods"]:
        p["meets_floor"] = (p["count"] or 0) >= floor
    if method == NB_EXCESS:
        result["prior"] = det.prior_description()
    return {**base, **result, "evidence_floor": floor, "exposure": series.meta.get("exposure"),
            "counts": [{"period": str(p), "count": int(c)} for p, c in zip(series.periods, series.counts)],
            "note": None}


@router.get("/series", summary="Reports per period for a product / mode / source, scored by a detector")
def signals_series(
    request: Request,
    product: Optional[str] = Query(None, max_length=200, description="Only this product id."),
    mode: Optional[str] = Query(None, max_length=200, description="Only this failure mode."),
    source: Optional[str] = Query(None, max_length=100, description="Only this source."),
    freq: Literal["day", "week", "month"] = Query("week"),
    as_of: Optional[date] = day_query("Reports up to this day (default: the newest)."),
    start: Optional[date] = day_query("Reports from the period holding this day."),
    count: Literal["failures", "all"] = Query("failures"),
    method: Method = Query("nb-excess", description="The detector (default: the scan's, nb-excess)."),
    false_alarms_per_year: Optional[float] = Query(None, gt=0, le=1000, description="nb-excess: false alarms "
                                                   "per series-year accepted (default: the scan's)."),
    _: Account = Depends(requirement("viewer")),
):
    if false_alarms_per_year is not None and method != "nb-excess":
        from defectradar.api.common import field_error

        raise field_error("false_alarms_per_year", f"false_alarms_per_year sets the threshold of nb-excess; "
                                                   f"{method} has a fixed threshold")
    ids = _catalog_ids(request)

    def scored(con):
        result = scored_series(con, product=product, mode=mode, source=source, freq=freq, as_of=as_of, start=start,
                               count=count, method=method, false_alarms_per_year=false_alarms_per_year)
        if product is not None and not result["periods"]:
            check_product_known(con, product, ids)
        if mode is not None and not result["periods"]:
            check_mode_known(con, mode)
        return result

    with api_fields(prefixes={"periods of history": "method", "nothing to score": "method"}):
        return json_with_etag(request, read(request, scored, analytic=True, cache_key=(
            "api.series", product, mode, source, freq, as_of, start, count, method, false_alarms_per_year)))
