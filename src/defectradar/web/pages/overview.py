"""Overview: open alerts ranked by score, trending topics, the product x failure-mode heat map and
complaint and repair volume over time with alarm markers, all as of a chosen day."""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Depends, Query, Request

from defectradar.accounts import Account
from defectradar.analyses.alerts import list_alerts
from defectradar.analyses.trending import trends_for_store
from defectradar.api.common import read
from defectradar.api.security import requirement
from defectradar.charts.overview import product_mode_heatmap, volume_chart
from defectradar.errors import InputError
from defectradar.query.overview import alarm_markers, busiest_pairs, latest_day, product_mode_cells, volume_by_week
from defectradar.web.pages.common import chart_or_none, day_or_none
from defectradar.web.rendering import render

router = APIRouter(include_in_schema=False)
QUIET = ("quiet", "steady")


def alert_scores(alerts: list[dict]) -> dict[tuple, float]:
    """The strongest alert score per (product, failure mode)."""
    scores: dict[tuple, float] = {}
    for a in alerts:
        if a.get("score") is None:
            continue
        key = (a["product_id"], a["failure_mode"])
        scores[key] = max(scores.get(key, 0.0), float(a["score"]))
    return scores


def overview_data(con, day, value: str, days: int) -> dict:
    """Everything the overview shows, from the library's query functions (one connection)."""
    latest = latest_day(con)
    if latest is None:
        return {"empty": True}
    as_of = day or latest
    ranked = list_alerts(con, "open", 20)
    scores = alert_scores(list_alerts(con, None, 1000))
    cells = product_mode_cells(con, as_of, days=days)
    for cell in cells:
        cell["score"] = scores.get((cell["product_id"], cell["failure_mode"]))
    try:
        # Only the busiest pairs of the last week are candidates (each pair's call is what the
        # whole store gives): classifying every pair of a million reports took seconds.
        pairs = busiest_pairs(con, as_of)
        trending = trends_for_store(con, as_of, 56, products=sorted({p for p, _m in pairs}),
                                    modes=sorted({m for _p, m in pairs})) if pairs else None
        trends = [] if trending is None else [
            {"product_id": p, "failure_mode": m, **call.to_dict()}
            for (p, m), call in sorted(trending.trends_.items()) if (p, m) in pairs and call.kind not in QUIET]
    except InputError:
        trends = []
    return {"empty": False, "as_of": as_of.isoformat(), "latest": latest.isoformat(), "alerts": ranked,
            "trends": trends, "cells": cells,
            "heatmap": chart_or_none(product_mode_heatmap, cells, value=value),
            "volume": chart_or_none(volume_chart, volume_by_week(con, as_of), alarm_markers(con, as_of))}


@router.get("/")
def overview_page(request: Request, as_of: Optional[str] = None,
                  value: str = Query("reports", pattern="^(reports|per_10k)$"),
                  days: int = Query(365, ge=7, le=3650), _: Account = Depends(requirement("viewer"))):
    data = read(request, overview_data, day_or_none(as_of), value, days)
    return render(request, "overview.html", {**data, "value": value, "days": days})
