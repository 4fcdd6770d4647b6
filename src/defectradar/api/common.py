"""What every route shares: reading the store under a time limit, pages of items, ETags, errors.

Routes stay thin (STYLE.md habit 1): parse the request, make one library call through
:func:`read`, return its result object's ``to_dict()``.  No SQL lives in routes.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any, Callable

import duckdb
from fastapi import Request, Response
from fastapi.responses import JSONResponse

from defectradar.backends.base import CapabilityError
from defectradar.core.numbers import json_ready
from defectradar.errors import DefectRadarError, InputError, QueryTimeoutError
from defectradar.store.connect import Store


class ReadCache:
    """Results of store reads, kept while the store is unchanged (least recently used first out).

    The store's fingerprint is the size and modification time of its file and of its write-ahead
    log: every commit (an ingest batch, a relabel, a scan's alerts) changes one of them, and with
    it every key, so nothing stale is ever served.  A dashboard re-reads the same overview and the
    same filtered lists far more often than the store changes; this turns those re-reads from a
    query over every report into a dictionary lookup.  Results are copied in and out, so a caller
    that adds to a result (as routes do) never changes what the next caller gets.
    """

    def __init__(self, entries: int = 256) -> None:
        self.entries = entries
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @staticmethod
    def fingerprint(store: Store) -> tuple:
        marks = []
        for path in (store.path, store.path.with_name(store.path.name + ".wal")):
            try:
                info = path.stat()
                marks.append((info.st_size, info.st_mtime_ns))
            except OSError:
                marks.append(None)
        return tuple(marks)

    def get(self, key, copied: bool = True) -> tuple[bool, Any]:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                value = self._data[key]
            else:
                self.misses += 1
                return False, None
        return True, (copy.deepcopy(value) if copied else value)

    def put(self, key, value) -> None:
        kept = copy.deepcopy(value)
        with self._lock:
            self._data[key] = kept
            self._data.move_to_end(key)
            while len(self._data) > self.entries:
                self._data.popitem(last=False)


def _cache_key(fn: Callable, args: tuple, kwargs: dict, cache_key: Any) -> Any:
    """What identifies a read: the caller's key, else a module-level function and its arguments
    (a function defined inside a route captures values that its name does not tell)."""
    key = cache_key
    if key is None:
        if "<locals>" in getattr(fn, "__qualname__", "<locals>"):
            return None
        key = (fn.__module__, fn.__qualname__, args, tuple(sorted(kwargs.items())))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def read(request: Request, fn: Callable[..., Any], *args: Any, cache: bool = True, cache_key: Any = None,
         read_only_result: bool = False, analytic: bool = False, **kwargs: Any) -> Any:
    """``fn(con, *args, **kwargs)`` on a read-only connection, stopped after ``query_timeout`` s.

    DuckDB's ``interrupt()`` stops a running query from another thread; the request then gets
    a 503 with advice instead of holding a worker for ever.  Results are served from the
    :class:`ReadCache` while the store is unchanged, unless ``cache=False`` (reads that check
    a secret, such as a password); a function defined inside a route is cached only under the
    ``cache_key`` its caller gives.  A caller that only reads the result (it never adds to it)
    says ``read_only_result=True`` and gets the cached object itself, without a copy.

    ``analytic=True`` marks a read written over the backend protocol (Ibis tables only): on a
    server run with backend pyspark it is answered by Spark over the export, and read from the
    store only if it turns out to need SQL (:class:`CapabilityError`).
    """
    store: Store = request.app.state.store
    read_cache: ReadCache | None = getattr(request.app.state, "read_cache", None)
    key = _cache_key(fn, args, kwargs, cache_key) if cache and read_cache is not None else None
    if key is not None:
        key = (ReadCache.fingerprint(store), key)
        found, value = read_cache.get(key, copied=not read_only_result)
        if found:
            return value
    spark = getattr(request.app.state, "analytic_backend", None) if analytic else None
    if spark is not None:
        try:
            result = fn(spark, *args, **kwargs)
        except CapabilityError:
            pass                    # needs the store's SQL (a page query, the alerts): read the store
        else:
            if key is not None:
                read_cache.put(key, result)
            return result
    timeout = request.app.state.settings.query_timeout
    with store.reader() as con:
        timer = threading.Timer(timeout, con.interrupt)
        timer.daemon = True
        timer.start()
        try:
            result = fn(con, *args, **kwargs)
        except duckdb.InterruptException:
            raise QueryTimeoutError(f"the query took longer than {timeout:g} s and was stopped; narrow it (a "
                                    "product, a mode, a date range) or raise DEFECTRADAR_QUERY_TIMEOUT") from None
        finally:
            timer.cancel()
    if key is not None:
        read_cache.put(key, result)
    return result


def error_body(code: str, message: str, field: str | None = None) -> dict:
    return {"error": {"code": code, "message": message, "field": field}}


def error_code(exc: DefectRadarError) -> str:
    """``InputError`` -> ``input_error``, ``StoreBusyError`` -> ``store_busy_error``."""
    name = type(exc).__name__
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def error_response(exc: DefectRadarError) -> JSONResponse:
    status = getattr(exc, "http_status", 500)
    return JSONResponse(error_body(error_code(exc), str(exc), getattr(exc, "field", None)), status_code=status)


def field_error(field: str, message: str) -> InputError:
    """An ``InputError`` that names the request field at fault (shown as ``error.field``)."""
    exc = InputError(message)
    exc.field = field
    return exc


# -- pages of items -------------------------------------------------------------------------
def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        offset = int(value)
        if kind != "o" or offset < 0:
            raise ValueError
    except (ValueError, UnicodeDecodeError):
        raise field_error("cursor", "the cursor is not one this server gave out; start again without it") from None
    return offset


def page(items: list, offset: int, limit: int, more: bool | None = None) -> dict:
    """``{"items", "next_cursor"}``: ``items`` holds up to limit+1 rows; an extra row means more follow."""
    more = len(items) > limit if more is None else more
    return {"items": items[:limit], "next_cursor": encode_cursor(offset + limit) if more else None}


# -- ETags ----------------------------------------------------------------------------------
def json_with_etag(request: Request, payload: Any, status_code: int = 200) -> Response:
    """A JSON response with a strong ETag; ``304 Not Modified`` when the client already has it."""
    body = json.dumps(json_ready(payload), ensure_ascii=False, separators=(",", ":")).encode()
    tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": tag, "Cache-Control": "private, no-cache"}
    wanted = request.headers.get("if-none-match", "")
    if tag in [t.strip() for t in wanted.split(",")] or wanted.strip() == "*":
        return Response(status_code=304, headers=headers)
    return Response(body, status_code=status_code, media_type="application/json", headers=headers)
