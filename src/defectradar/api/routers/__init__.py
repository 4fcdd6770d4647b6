"""One router per resource; :data:`ROUTERS` is what the app mounts under ``/api/v1``."""

from defectradar.api.routers import alerts, health

ROUTERS = [health.router, alerts.router]
