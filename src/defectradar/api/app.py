"""The server: REST API under ``/api/v1`` and the dashboard's pages, on one FastAPI app.

``create_app(store)`` builds it; ``defectradar serve`` runs it with uvicorn.  The app reads
the store through short read-only connections (``Store.reader``), so ingests and scans in
other processes go on while it serves; its own writes (relabels, alert actions, accounts,
uploads) go through the library calls that the CLI uses, which take the writer.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from defectradar import __version__
from defectradar.api.common import ReadCache, error_body, error_response
from defectradar.api.jobs import IngestJobs
from defectradar.api.limits import BodyLimitMiddleware
from defectradar.api.security import AccountCache, AuthError, RateLimiter, Sessions
from defectradar.errors import DefectRadarError
from defectradar.store.connect import Store

log = logging.getLogger("defectradar.server")
API_PREFIX = "/api/v1"

# Scripts and styles come only from this server (no CDN, no inline script); Vega compiles its
# expressions with Function(), hence 'unsafe-eval'; it and htmx set inline styles.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                           "frame-ancestors 'none'; form-action 'self'")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX) or request.url.path in ("/health", "/docs")


def _analytic_backend(settings):
    """With backend pyspark, Spark over the export (``spark_data``) answers the analytic reads;
    the store still holds accounts, alerts and uploads, and answers what needs SQL."""
    if settings.backend != "pyspark":
        return None
    from defectradar.backends.pyspark import PySparkBackend
    from defectradar.errors import ConfigError

    if not settings.spark_data:
        raise ConfigError("backend pyspark needs the export Spark reads: --spark-data DIR (or DEFECTRADAR_SPARK_DATA), "
                          "written by `defectradar export parquet DIR`")
    return PySparkBackend(settings.spark_data, master=settings.spark_master)


def create_app(store: Store, *, dashboard: bool = True) -> FastAPI:
    """The FastAPI app over ``store`` (created and migrated here if it does not exist yet)."""
    store.migrate()
    app = FastAPI(title="defectradar", version=__version__, openapi_url=f"{API_PREFIX}/openapi.json",
                  docs_url=None, redoc_url=None,
                  description="Complaints, signals, reliability and remedies. Every call but /health needs "
                              "`Authorization: Bearer KEY` (`defectradar users create NAME --role viewer`).")
    settings = store.settings
    app.state.store = store
    app.state.settings = settings
    app.state.sessions = Sessions(settings.session_hours)
    app.state.rate_limiter = RateLimiter(settings.rate_limit)
    app.state.accounts = AccountCache()
    app.state.jobs = IngestJobs(store)
    app.state.read_cache = ReadCache()
    app.state.analytic_backend = _analytic_backend(settings)
    app.add_middleware(BodyLimitMiddleware, max_body=settings.max_body_bytes, max_upload=settings.max_upload_bytes)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    _add_error_handlers(app)

    @app.get("/health", tags=["health"], summary="Liveness: no authentication")
    def health() -> dict:
        return {"status": "ok", "version": __version__}

    from defectradar.api.routers import PLAIN_ROUTERS, ROUTERS

    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    for router in PLAIN_ROUTERS:
        app.include_router(router)
    if dashboard:
        from defectradar import web

        web.install(app)
    return app


def _add_error_handlers(app: FastAPI) -> None:
    def html_error(request: Request, status: int, message: str):
        renderer = getattr(request.app.state, "render_error", None)
        if renderer is None or _wants_json(request):
            return None
        return renderer(request, status, message)

    @app.exception_handler(DefectRadarError)
    async def defectradar_error(request: Request, exc: DefectRadarError):
        page = html_error(request, getattr(exc, "http_status", 500), str(exc))
        return page if page is not None else error_response(exc)

    @app.exception_handler(AuthError)
    async def auth_error(request: Request, exc: AuthError):
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else {}
        if exc.status == 401 and not _wants_json(request):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        page = html_error(request, exc.status, exc.message)
        if page is not None:
            page.headers.update(headers)
            return page
        if exc.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header")]
        field = ".".join(loc) or None
        message = f"{field}: {first.get('msg', 'invalid value')}" if field else first.get("msg", "invalid request")
        page = html_error(request, 422, message)
        if page is not None:
            return page
        return JSONResponse(error_body("invalid_input", message, field), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        page = html_error(request, exc.status_code, message)
        if page is not None:
            return page
        code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        message = "the server met an unexpected error; it is logged - please report it with the time and the URL"
        page = html_error(request, 500, message)
        return page if page is not None else JSONResponse(error_body("internal_error", message), status_code=500)
