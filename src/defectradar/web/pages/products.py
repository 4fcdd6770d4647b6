"""Products: the list, and one product's reliability (Weibull, Kaplan-Meier, MCF of repairs, Nevada
chart, forecast), its top failure modes and its lemons."""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Depends, Request

from defectradar.accounts import Account
from defectradar.api.common import read
from defectradar.api.security import requirement
from defectradar.errors import InputError
from defectradar.query.overview import product_summaries, top_failure_modes
from defectradar.web.pages.common import blank_none, chart_or_none, day_or_none
from defectradar.web.rendering import render

router = APIRouter(include_in_schema=False)
LEMONS_SHOWN = 50


@router.get("/products")
def products_page(request: Request, _: Account = Depends(requirement("viewer"))):
    return render(request, "products.html", {"products": read(request, product_summaries)})


def _section(notes: dict, name: str, build):
    """``build()``, or None with the reason kept in ``notes[name]`` when the data cannot give it."""
    try:
        return build()
    except InputError as exc:
        notes[name] = str(exc)
        return None


def product_data(con, product: str, mode: str | None, as_of) -> dict:
    from defectradar.analyses.lemons import lemons_in_store
    from defectradar.analyses.warranty import forecast_for_store, nevada_for_store
    from defectradar.charts.reliability import (
        forecast_chart,
        km_chart,
        mcf_chart,
        nevada_heatmap,
        weibull_probability_chart,
    )
    from defectradar.query.reliability import lifetimes_for_store, recurrences_for_store
    from defectradar.reliability import KaplanMeier, MeanCumulativeFunction, WeibullModel
    from defectradar.reliability.kaplan_meier import plotting_positions

    notes: dict[str, str] = {}
    label = product if mode is None else f"{product}/{mode}"
    out: dict = {"modes": top_failure_modes(con, product), "notes": notes}
    lifetimes = _section(notes, "lifetimes", lambda: lifetimes_for_store(con, product, mode, as_of))
    if lifetimes is not None:
        data, info = lifetimes
        out["population"] = info.to_dict()
        km = _section(notes, "km", lambda: KaplanMeier().fit(data))
        fit = _section(notes, "weibull", lambda: WeibullModel().fit(data))
        if km is not None:
            out["km"] = chart_or_none(km_chart, {label: km.table_}, title=f"Kaplan-Meier: {label}")
        if fit is not None and km is not None:
            out["fit"] = {"shape": fit.shape_, "shape_ci": list(fit.shape_ci_), "scale": fit.scale_, "b10": fit.b10_,
                          "failures": fit.failures_, "units": fit.n_}
            points = plotting_positions(km).assign(group=label)
            out["weibull"] = chart_or_none(weibull_probability_chart, points,
                                           {label: {"shape": fit.shape_, "scale": fit.scale_}},
                                           title=f"Weibull probability plot: {label}")
    recurrences = _section(notes, "mcf", lambda: recurrences_for_store(con, product, mode, as_of))
    if recurrences is not None:
        mcf = _section(notes, "mcf", lambda: MeanCumulativeFunction().fit(recurrences[0]))
        if mcf is not None:
            out["mcf"] = chart_or_none(mcf_chart, {label: mcf.table_}, title=f"Mean cumulative repairs: {label}")
    nevada = _section(notes, "nevada", lambda: nevada_for_store(con, product, mode, as_of))
    if nevada is not None and not nevada.cells.empty:
        out["nevada"] = chart_or_none(nevada_heatmap, nevada.cells)
    forecast = _section(notes, "forecast", lambda: forecast_for_store(con, product, 6, mode, as_of))
    if forecast is not None:
        out["forecast"] = chart_or_none(forecast_chart, forecast.history_, forecast.forecast_)
        out["forecast_rows"] = [{"month": f"{r.month:%Y-%m}", "expected": float(r.expected), "lower": int(r.lower),
                                 "upper": int(r.upper)} for r in forecast.forecast_.itertuples(index=False)]
    lemons = _section(notes, "lemons", lambda: lemons_in_store(con, product=product, mode=mode, as_of=as_of))
    if lemons is not None:
        out["lemons"] = [h.to_dict() for h in lemons.hits[:LEMONS_SHOWN]]
        out["lemon_counts"] = lemons.counts
    return out


@router.get("/products/{product_id}")
def product_page(request: Request, product_id: str, mode: Optional[str] = None, as_of: Optional[str] = None,
                 _: Account = Depends(requirement("viewer"))):
    mode = blank_none(mode)
    data = read(request, product_data, product_id, mode, day_or_none(as_of))
    return render(request, "product.html", {**data, "product_id": product_id, "mode": mode, "as_of": as_of or ""})
