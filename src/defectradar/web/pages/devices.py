"""Device timeline: look a device up by its token, then its service events with the remedies due
and given at each step and any shortfall with its rule and article (``remedies check``), in the
page's language."""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Depends, Query, Request

from defectradar.accounts import Account
from defectradar.analyses.device import judge_device
from defectradar.api.common import read
from defectradar.api.security import requirement
from defectradar.query.overview import device_events, find_devices
from defectradar.remedies.vocabulary import remedy_words
from defectradar.web.i18n import language
from defectradar.web.pages.common import blank_none, catalog, rule_book, see_other
from defectradar.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/devices")
def devices_page(request: Request, token: Optional[str] = Query(None, max_length=200),
                 _: Account = Depends(requirement("viewer"))):
    token = blank_none(token)
    found = read(request, find_devices, token or "", 30)
    if token and len(found) == 1 and found[0]["device_token"] == token:
        return see_other(f"/devices/{token}")
    return render(request, "devices.html", {"token": token or "", "found": found})


def device_data(con, token: str, book, cat, lang: str) -> dict:
    events = device_events(con, token)
    check = judge_device(con, token, book, cat, lang=lang)
    steps = {}
    judgement = check.judgement
    if judgement is not None:
        for step in judgement.steps:
            data = step.to_dict(lang)
            data["due_words"] = remedy_words(step.due, lang) if step.due else ""
            data["given_words"] = remedy_words([step.given], lang) if step.given else ""
            steps[step.event.event_id] = data
    for event in events:
        event["step"] = steps.get(event["event_id"])
    return {"events": events, "check": check, "device": judgement.case.device.to_dict() if judgement else None,
            "summary": judgement.summary if judgement else None,
            "now_due": remedy_words(judgement.now_due, lang) if judgement and judgement.now_due else ""}


@router.get("/devices/{device_token}")
def device_page(request: Request, device_token: str, _: Account = Depends(requirement("viewer"))):
    lang = language(request)
    data = read(request, device_data, device_token, rule_book(request), catalog(request), lang)
    return render(request, "device.html", {**data, "token": device_token})
