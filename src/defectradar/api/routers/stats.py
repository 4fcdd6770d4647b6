"""``GET /api/v1/stats``: rows per table and source, the latest ingest runs, quarantined rows."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from defectradar.accounts import Account
from defectradar.api.common import json_with_etag, read
from defectradar.api.security import requirement

router = APIRouter(prefix="/stats", tags=["stats"])


@router.get("", summary="What the store holds: rows per table and source, recent ingest runs, quarantine")
def stats_get(request: Request, runs: int = Query(10, ge=0, le=200, description="Recent ingest runs listed."),
              _: Account = Depends(requirement("viewer"))):
    from defectradar.query.stats import store_stats

    store = request.app.state.store
    return json_with_etag(request, read(request, store_stats, str(store.path), runs, analytic=True).to_dict())
