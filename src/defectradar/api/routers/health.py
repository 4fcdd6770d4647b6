"""``GET /api/v1/health``: liveness and the store's schema, without authentication."""

from __future__ import annotations

from fastapi import APIRouter, Request

from defectradar import __version__
from defectradar.store.migrate import latest_version

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness, no authentication")
def health(request: Request) -> dict:
    return {"status": "ok", "version": __version__, "schema": latest_version(),
            "store": str(request.app.state.store.path)}
