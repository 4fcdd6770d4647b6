"""The dashboard's pages, one module per page; :data:`ROUTERS` is what the app mounts."""

from defectradar.web.pages import alerts, data, devices, login, overview, products, remedies, reports

ROUTERS = [login.router, overview.router, alerts.router, reports.router, products.router, devices.router,
           remedies.router, data.router]
