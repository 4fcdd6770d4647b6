"""Static files served from the package: CSS, our script, htmx, and the Vega bundle.

The Vega/Vega-Lite/vega-embed bundle is made by ``vl_convert.javascript_bundle()`` (the
libraries that vl-convert-python carries), once per process in the background at start-up,
and kept in memory: about 0.9 MB, 2-3 s to build.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).with_name("static")
_bundle: dict[str, bytes] = {}
_lock = threading.Lock()


def vega_bundle() -> bytes:
    with _lock:
        if "js" not in _bundle:
            import vl_convert

            _bundle["js"] = vl_convert.javascript_bundle().encode()
        return _bundle["js"]


def install(app: FastAPI) -> None:
    threading.Thread(target=vega_bundle, daemon=True, name="vega-bundle").start()

    @app.get("/static/vega-bundle.js", include_in_schema=False)
    def vega_bundle_js(request: Request) -> Response:
        body = vega_bundle()
        tag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        headers = {"ETag": tag, "Cache-Control": "public, max-age=86400"}
        if request.headers.get("if-none-match") == tag:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="text/javascript", headers=headers)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
