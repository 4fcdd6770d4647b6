"""The dashboard: server-rendered pages (Jinja2 + HTMX) over the same library calls as the API.

Pages render result objects; charts are the library's Vega-Lite specs, drawn in the page by
vega-embed from the bundle that ``vl-convert-python`` ships (served from here: no CDN).
"""

from __future__ import annotations

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    """Mount the static files, the pages and the HTML error renderer on ``app``."""
    from defectradar.web import assets, pages
    from defectradar.web.rendering import render_error

    assets.install(app)
    app.state.render_error = render_error
    for router in pages.ROUTERS:
        app.include_router(router)
