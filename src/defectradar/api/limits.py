"""Request body limits, enforced before a route reads anything.

A body is refused with 413 when its Content-Length says it is too large, and cut off with 413
when a body sent without one (chunked) grows past the limit while it streams in.  Uploads to
ingest (``/api/v1/ingest`` and the Data page's form) get the larger ``max_upload_bytes``.
"""

from __future__ import annotations

import json

UPLOAD_PATHS = ("/api/v1/ingest", "/data/upload")


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Pure ASGI middleware (so it sees the byte stream, not a parsed body)."""

    def __init__(self, app, max_body: int, max_upload: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.max_upload if scope["path"].startswith(UPLOAD_PATHS) else self.max_body
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            try:
                too_big = int(length) > limit
            except ValueError:
                return await _refuse(send, 400, "bad_request", "Content-Length is not a number")
            if too_big:
                return await _refuse(send, 413, "payload_too_large", _message(limit))
        seen = 0
        refused = False

        async def counted_receive():
            # A body without Content-Length (chunked) is counted as it streams in.  Past the limit
            # the 413 is sent here: the framework would turn any exception raised from receive()
            # into its own 400, so instead whatever the app sends afterwards is dropped.
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit and not refused:
                    refused = True
                    await _refuse(send, 413, "payload_too_large", _message(limit))
                    raise BodyTooLarge()
            return message

        async def guarded_send(message):
            if not refused:
                await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except BodyTooLarge:
            pass


def _message(limit: int) -> str:
    return (f"the request body is larger than {limit:,} bytes; send a smaller file, or raise "
            "DEFECTRADAR_MAX_UPLOAD_BYTES (uploads) or DEFECTRADAR_MAX_BODY_BYTES (other requests)")


async def _refuse(send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message, "field": None}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
