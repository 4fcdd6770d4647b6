"""Alerts: list (ranked), one alert with its evidence and reports, lifecycle transitions."""

from __future__ import annotations

from typing import Literal, Optional

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from defectradar.accounts import Account
from defectradar.analyses.alerts import alert_reports, list_alerts, show_alert, transition
from defectradar.api.common import decode_cursor, json_with_etag, page, read
from defectradar.api.security import requirement
from defectradar.core.numbers import json_ready

router = APIRouter(prefix="/alerts", tags=["alerts"])


@router.get("", summary="Alerts, open first, strongest first")
def alerts_list(request: Request, status: Optional[str] = Query(None, description="new, acknowledged, "
                "investigating, closed, or open (every status but closed)"),
                limit: int = Query(50, ge=1, le=500), cursor: Optional[str] = None,
                _: Account = Depends(requirement("viewer"))):
    offset = decode_cursor(cursor)
    rows = read(request, list_alerts, status=status, limit=offset + limit + 1)
    return json_with_etag(request, page(rows[offset:], offset, limit))


@router.get("/{alert_id}", summary="One alert: state, latest evidence per method, every event, its reports")
def alerts_get(request: Request, alert_id: str, reports: int = Query(20, ge=0, le=500),
               _: Account = Depends(requirement("viewer"))):
    def one(con):
        detail = show_alert(con, alert_id)
        detail["reports"] = alert_reports(con, detail, limit=reports) if reports else []
        return detail

    return json_with_etag(request, read(request, one, cache_key=("api.alert", alert_id, reports)))


class Transition(BaseModel):
    action: Literal["acknowledge", "investigate", "close", "reopen"] = Field(
        description="what to do with the alert")
    reason: Optional[str] = Field(None, max_length=2000, description="why (needed to close)")


_ACTIONS = {"acknowledge": "acknowledged", "investigate": "investigating", "close": "closed",
            "reopen": "reopened"}


@router.post("/{alert_id}/transitions", summary="Acknowledge, investigate, close or reopen an alert")
def alerts_transition(request: Request, alert_id: str, body: Transition,
                      account: Account = Depends(requirement("analyst"))) -> dict:
    action = _ACTIONS[body.action]
    return json_ready(transition(request.app.state.store, alert_id, action, account.name, body.reason))
