"""Field reliability from the store: Weibull, Kaplan-Meier, MCF, the Nevada chart and the claims forecast.

Each answer is the JSON of the matching ``defectradar reliability ... --json`` command plus
``chart``, the Vega-Lite spec the dashboard draws (None when there is nothing to plot), so a
client can show the same picture without computing it.  Ages are days, as on the CLI's store.
"""

from __future__ import annotations

from datetime import date
from typing import Callable, Literal, Optional

from fastapi import APIRouter, Depends, Query, Request

from defectradar.accounts import Account
from defectradar.api.common import json_with_etag, read
from defectradar.api.params import api_fields, day_query
from defectradar.api.security import requirement
from defectradar.core.numbers import json_number
from defectradar.errors import InputError

router = APIRouter(prefix="/reliability", tags=["reliability"])
UNIT = "days"
Population = Literal["sales", "devices"]
# The library's messages name a product or mode it cannot find; the API names the parameter.
_FIELDS = {"unknown product": "product", "no product": "product", "unknown failure mode": "mode",
           "warranty_months": "warranty_months", "sales_months": "months", "--months": "months"}

ProductQ = Query(..., min_length=1, max_length=200, description="Product id in the store (xiaomi-11).")
ModeQ = Query(None, max_length=200, description="Failure mode (default: any claim).")
AsOfQ = day_query("Analyse as of this day (default: the newest service event).")
PopulationQ = Query("sales", description="Units at risk: sales (units sold) or devices (only devices in "
                                         "service records; conditional estimates).")
ConfidenceQ = Query(0.95, gt=0.5, lt=1.0, description="Confidence level of intervals.")


def _chart(build: Callable[[], object]) -> dict | None:
    """The chart's Vega-Lite spec, or None when the data hold nothing to plot."""
    from defectradar.charts.render import chart_spec

    try:
        return chart_spec(build())
    except InputError:
        return None


def _groups(con, kind: str, products: list[str], modes: list[str] | None, as_of, population) -> dict:
    """``{label: (data, Population)}`` per product x mode, as the CLI's ``_groups`` reads the store."""
    from defectradar.query.reliability import lifetimes_for_store, recurrences_for_store

    query = lifetimes_for_store if kind == "lifetimes" else recurrences_for_store
    groups = {}
    for product in products:
        for mode in modes or [None]:
            groups[product if mode is None else f"{product}/{mode}"] = query(con, product, mode, as_of, population)
    return groups


def _run(request: Request, fn, *args):
    with api_fields(prefixes=_FIELDS):
        return json_with_etag(request, read(request, fn, *args, analytic=True))


def weibull_result(con, product, mode, as_of, population, confidence, at) -> dict:
    from defectradar.charts.reliability import weibull_probability_chart
    from defectradar.reliability import KaplanMeier, WeibullModel
    from defectradar.reliability.kaplan_meier import plotting_positions

    ((label, (data, info)),) = _groups(con, "lifetimes", [product], [mode] if mode else None, as_of,
                                       population).items()
    fit = WeibullModel(confidence=confidence).fit(data)
    result = {"unit": UNIT, **fit.to_dict(), "population": info.to_dict(), "warnings": fit.caveats(at or (), UNIT)}
    if at:
        result["probability_of_failure"] = [{k: float(v) for k, v in row.items()}
                                            for row in fit.failure_probability_table(at).to_dict("records")]
    points = plotting_positions(KaplanMeier().fit(data)).assign(group=label)
    result["chart"] = _chart(lambda: weibull_probability_chart(
        points, {label: {"shape": fit.shape_, "scale": fit.scale_}}, title=f"Weibull probability plot: {label}",
        time_unit=UNIT))
    return result


@router.get("/weibull", summary="Weibull time to first claim (shape, scale, B10) with Fisher-matrix intervals")
def reliability_weibull(request: Request, product: str = ProductQ, mode: Optional[str] = ModeQ,
                        as_of: Optional[date] = AsOfQ, population: Population = PopulationQ,
                        confidence: float = ConfidenceQ,
                        at: Optional[list[float]] = Query(None, description="Also the probability of failure at "
                                                          "these ages (days); repeat."),
                        _: Account = Depends(requirement("viewer"))):
    return _run(request, weibull_result, product, mode, as_of, population, confidence, at)


def km_result(con, products, modes, as_of, population, confidence, conf_type) -> dict:
    from defectradar.charts.reliability import km_chart
    from defectradar.reliability import KaplanMeier, logrank

    groups = _groups(con, "lifetimes", products, modes, as_of, population)
    fits = {label: KaplanMeier(confidence=confidence, conf_type=conf_type).fit(data)
            for label, (data, _) in groups.items()}
    test = logrank({label: data for label, (data, _) in groups.items()}) if len(groups) > 1 else None
    notes = [note if len(fits) == 1 else f"{label}: {note}"
             for label, f in fits.items() for note in f.caveats((), UNIT)]
    return {"unit": UNIT, "confidence": confidence, "conf_type": conf_type,
            "groups": [{"group": label, "population": info.to_dict(), "n": json_number(fits[label].n_, 10),
                        "failures": json_number(fits[label].failures_, 10),
                        "median": json_number(fits[label].median(), 10), "rows": fits[label].rows()}
                       for label, (_, info) in groups.items()],
            "logrank": None if test is None else test.to_dict(), "warnings": notes,
            "chart": _chart(lambda: km_chart({label: f.table_ for label, f in fits.items()}, time_unit=UNIT))}


@router.get("/km", summary="Kaplan-Meier survival with Greenwood bands; several groups compared by log-rank")
def reliability_km(request: Request,
                   product: list[str] = Query(..., min_length=1, max_length=10, description="Product id; repeat "
                                              "to compare products."),
                   mode: Optional[list[str]] = Query(None, max_length=10, description="Failure mode; repeat to "
                                                     "compare modes (default: any claim)."),
                   as_of: Optional[date] = AsOfQ, population: Population = PopulationQ,
                   confidence: float = ConfidenceQ,
                   conf_type: Literal["log", "log-log", "plain"] = Query("log", description="Band scale."),
                   _: Account = Depends(requirement("viewer"))):
    return _run(request, km_result, product, mode, as_of, population, confidence, conf_type)


def mcf_result(con, products, modes, as_of, population, confidence, bounds) -> dict:
    from defectradar.charts.reliability import mcf_chart
    from defectradar.reliability import MeanCumulativeFunction, compare_mcf

    groups = _groups(con, "recurrences", products, modes, as_of, population)
    fits = {label: MeanCumulativeFunction(confidence=confidence, bounds=bounds).fit(data)
            for label, (data, _) in groups.items()}
    labels = list(fits)
    difference = None
    if len(fits) == 2:
        rows = compare_mcf(fits[labels[0]], fits[labels[1]], confidence).to_dict("records")
        difference = {"a": labels[0], "b": labels[1],
                      "rows": [{k: (None if v != v else float(v)) for k, v in r.items()} for r in rows]}
    return {"unit": UNIT, "confidence": confidence, "bounds": bounds,
            "groups": [{"group": label, "population": info.to_dict(), "units": json_number(fits[label].n_units_, 10),
                        "repairs": json_number(fits[label].n_events_, 10),
                        "longest_observed": json_number(fits[label].max_end_, 10), "rows": fits[label].rows()}
                       for label, (_, info) in groups.items()],
            "difference": difference,
            "chart": _chart(lambda: mcf_chart({label: f.table_ for label, f in fits.items()}, time_unit=UNIT))}


@router.get("/mcf", summary="Mean cumulative repairs per unit (Nelson MCF) with Lawless-Nadeau bounds")
def reliability_mcf(request: Request,
                    product: list[str] = Query(..., min_length=1, max_length=10, description="Product id; repeat "
                                               "to compare (two groups also get their difference)."),
                    mode: Optional[list[str]] = Query(None, max_length=10, description="Failure mode; repeat."),
                    as_of: Optional[date] = AsOfQ, population: Population = PopulationQ,
                    confidence: float = ConfidenceQ,
                    bounds: Literal["normal", "log"] = Query("normal", description="log: bounds never below 0."),
                    _: Account = Depends(requirement("viewer"))):
    return _run(request, mcf_result, product, mode, as_of, population, confidence, bounds)


def nevada_result(con, product, mode, as_of, warranty_months, months) -> dict:
    from defectradar.analyses.warranty import nevada_for_store
    from defectradar.charts.reliability import nevada_heatmap

    table = nevada_for_store(con, product, mode, as_of, warranty_months, months)
    return {**table.to_dict(), "chart": _chart(lambda: nevada_heatmap(table.cells))}


@router.get("/nevada", summary="Nevada chart: claims per 1,000 units by sales month and months in service")
def reliability_nevada(request: Request, product: str = ProductQ, mode: Optional[str] = ModeQ,
                       as_of: Optional[date] = AsOfQ,
                       warranty_months: Optional[int] = Query(None, ge=1, le=600, description="Count only claims "
                                                              "within this many months of sale."),
                       months: Optional[int] = Query(None, ge=1, le=600, description="Only the latest N sales "
                                                     "months."),
                       _: Account = Depends(requirement("viewer"))):
    return _run(request, nevada_result, product, mode, as_of, warranty_months, months)


def forecast_result(con, product, months, mode, as_of, warranty_months) -> dict:
    from defectradar.analyses.warranty import forecast_for_store
    from defectradar.charts.reliability import forecast_chart

    fc = forecast_for_store(con, product, months, mode, as_of, warranty_months)
    return {**fc.to_dict(), "warnings": fc.caveats(),
            "chart": _chart(lambda: forecast_chart(fc.history_, fc.forecast_))}


@router.get("/forecast", summary="Claims forecast for the next months from the units sold so far (power-law "
                                 "NHPP)")
def reliability_forecast(request: Request, product: str = ProductQ,
                         months: int = Query(6, ge=1, le=60, description="Months to forecast."),
                         mode: Optional[str] = ModeQ, as_of: Optional[date] = AsOfQ,
                         warranty_months: Optional[int] = Query(None, ge=1, le=600, description="Count only "
                                                                "claims within this many months of sale."),
                         _: Account = Depends(requirement("viewer"))):
    return _run(request, forecast_result, product, months, mode, as_of, warranty_months)
