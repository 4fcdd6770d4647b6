"""Alerts: the list, and one alert with its series, evidence, the records behind it, its
lifecycle actions (htmx forms, analyst role) and its history."""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Depends, Form, Request

from defectradar.accounts import Account
from defectradar.analyses.alerts import alert_reports, list_alerts, show_alert, transition
from defectradar.api.common import read
from defectradar.api.security import requirement
from defectradar.charts.overview import alert_series_chart
from defectradar.errors import DefectRadarError, InputError
from defectradar.query.overview import report_engagement
from defectradar.signals.alerts import OPEN, STATUSES
from defectradar.web.pages.common import chart_or_none, is_htmx, see_other
from defectradar.web.rendering import render

router = APIRouter(include_in_schema=False)

#: Form action -> the library's lifecycle action, and the statuses it may be taken from (for the buttons).
ACTIONS = {"acknowledge": "acknowledged", "investigate": "investigating", "close": "closed", "reopen": "reopened"}
OFFERED = {"new": ("acknowledge", "investigate", "close"), "acknowledged": ("investigate", "close"),
           "investigating": ("close",), "reopened": ("acknowledge", "investigate", "close"), "closed": ("reopen",)}


@router.get("/alerts")
def alerts_page(request: Request, status: Optional[str] = None, _: Account = Depends(requirement("viewer"))):
    chosen = status if status in (*STATUSES, OPEN) else None
    alerts = read(request, list_alerts, status=chosen, limit=200)
    return render(request, "alerts.html", {"alerts": alerts, "status": chosen or "", "statuses": (OPEN, *STATUSES)})


def alert_data(con, alert_id: str) -> dict:
    detail = show_alert(con, alert_id)
    records = alert_reports(con, detail, limit=50)
    if detail["source"] != "service_events":
        engagement = report_engagement(con, [r["id"] for r in records])
        for record in records:
            record["engagement"] = engagement.get(record["id"])
    return {"alert": detail, "records": records}


def _chart(detail: dict) -> dict | None:
    evidence = detail.get("last_evidence") or {}
    series = evidence.get("series")
    if not isinstance(series, dict):
        return None
    return chart_or_none(alert_series_chart, series, count_threshold=evidence.get("count_threshold"))


def _context(data: dict) -> dict:
    detail = data["alert"]
    evidence = detail.get("latest_evidence") or []
    return {**data, "series": _chart(detail), "evidence": evidence,
            "disproportionality": [e for e in evidence if e.get("method") == "disproportionality"],
            "changes": (detail.get("last_evidence") or {}).get("changes") or [],
            "offered": OFFERED.get(detail["status"], ())}


@router.get("/alerts/{alert_id}")
def alert_page(request: Request, alert_id: str, _: Account = Depends(requirement("viewer"))):
    data = read(request, alert_data, alert_id)
    return render(request, "alert.html", _context(data))


@router.post("/alerts/{alert_id}/action")
def alert_action(request: Request, alert_id: str, action: str = Form(...),
                 reason: str = Form("", max_length=2000), account: Account = Depends(requirement("analyst"))):
    message, ok = None, True
    try:
        if action not in ACTIONS:
            raise InputError(f"unknown action {action!r}; use one of {', '.join(ACTIONS)}")
        if action == "close" and not reason.strip():
            raise InputError("closing an alert needs a reason")
        transition(request.app.state.store, alert_id, ACTIONS[action], account.name, reason.strip() or None)
    except DefectRadarError as exc:
        if not is_htmx(request):
            raise
        message, ok = str(exc), False
    if not is_htmx(request):
        return see_other(f"/alerts/{alert_id}")
    data = read(request, alert_data, alert_id)
    return render(request, "fragments/lifecycle.html", {**_context(data), "message": message, "ok": ok})
