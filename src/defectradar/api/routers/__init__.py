"""One router per resource; :data:`ROUTERS` is what the app mounts under ``/api/v1``,
:data:`PLAIN_ROUTERS` what it mounts at the root (the HTML API reference at ``/docs``)."""

from defectradar.api import docs
from defectradar.api.routers import (
    alerts,
    health,
    ingest,
    policies,
    products,
    reliability,
    remedies,
    reports,
    signals,
    stats,
)

ROUTERS = [health.router, reports.router, products.router, alerts.router, signals.router, reliability.router,
           remedies.router, policies.router, ingest.router, stats.router]
PLAIN_ROUTERS = [docs.router]
