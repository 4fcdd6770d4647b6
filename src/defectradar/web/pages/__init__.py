"""The dashboard's pages, one module per page; :data:`ROUTERS` is what the app mounts."""

from defectradar.web.pages import login, overview

ROUTERS = [login.router, overview.router]
