"""Overview: open alerts ranked, what the store holds (placeholder until the full page lands)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from defectradar.accounts import Account
from defectradar.api.common import read
from defectradar.api.security import requirement
from defectradar.signals.alerts import list_alerts
from defectradar.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/")
def overview_page(request: Request, _: Account = Depends(requirement("viewer"))):
    alerts = read(request, list_alerts, status="open", limit=20)
    return render(request, "overview.html", {"alerts": alerts})
