"""What every request shares: its id, its log line, and the contract's error document for every refusal.

`RequestContext` is the outermost layer of the application: it gives each
request an id (the ``X-Request-ID`` it sent, when well formed), adds the
security headers, writes one JSON log line per request (`note` adds counts
and timings to it) and turns an unexpected failure into a 500 error document
without a stack trace. Routes refuse a request by raising `ServiceError`.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any

from fastapi.responses import Response
from starlette.datastructures import MutableHeaders

from ..contract import ErrorResponse
from ..contract.responses import ErrorDetail
from .logs import error_summary, log_event

__all__ = ["JSON", "RequestContext", "ServiceError", "error_copy", "error_json", "note", "request_id"]

JSON = "application/json"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_CONTEXT: ContextVar[dict[str, Any] | None] = ContextVar("pairmatch_request", default=None)


class ServiceError(Exception):
    """A request refused with the contract's error document."""

    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        *,
        details: list[ErrorDetail] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message
        self.details = details or []
        self.headers = headers or {}

    @classmethod
    def from_document(cls, document: bytes, status: int) -> ServiceError:
        """The refusal carrying an error document a solver process wrote."""
        error = ErrorResponse.model_validate_json(document)
        return cls(status, error.error, error.message, details=list(error.details))


def note(**fields: Any) -> None:
    """Add counts and timings to the current request's log line."""
    context = _CONTEXT.get()
    if context is not None:
        context.update(fields)


def request_id() -> str | None:
    """The id of the request being handled (None outside a request), for error documents and logs."""
    context = _CONTEXT.get()
    return None if context is None else context.get("request_id")


def error_json(
    status: int,
    error: str,
    message: str,
    *,
    details: list[ErrorDetail] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """An `ErrorResponse` document with this ``status``, carrying the current request's id."""
    document = ErrorResponse(error=error, message=message, details=details or [], request_id=request_id())
    return Response(document.model_dump_json(exclude_none=True), status_code=status, media_type=JSON, headers=headers)


def error_copy(document: bytes, status: int) -> Response:
    """A stored or relayed error document, stamped with this request's id."""
    error = ErrorResponse.model_validate_json(document).model_copy(update={"request_id": request_id()})
    return Response(error.model_dump_json(exclude_none=True), status_code=status, media_type=JSON)


UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/v1/health", "/v1/ready"})
"""Health and readiness answer whatever else is in progress."""


class RequestContext:
    """Outermost layer: request id, security headers, one JSON log line per request, no stack traces out.

    At most ``max_requests`` requests are in progress at once (health and
    readiness excepted); one more is answered 503 with ``Retry-After`` at
    once. Open connections without a request in progress count against nothing.
    """

    def __init__(self, app: Any, max_requests: int | None = None, retry_after_s: int = 2) -> None:
        self.app = app
        self.max_requests = max_requests
        self.retry_after_s = retry_after_s
        self.active = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = {
            h.decode("latin-1"): v.decode("latin-1")
            for h, v in scope.get("headers", [])
            if h.lower() == b"x-request-id"
        }
        given = sent.get("x-request-id", "")
        rid = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        context: dict[str, Any] = {"request_id": rid}
        token = _CONTEXT.set(context)
        started = time.perf_counter()
        state: dict[str, Any] = {"status": None, "bytes_out": 0, "bytes_in": 0}

        async def counting_receive() -> Any:
            message = await receive()
            if message["type"] == "http.request":
                state["bytes_in"] += len(message.get("body", b""))
            return message

        async def tagging_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = rid
                headers.setdefault("Cache-Control", "no-store")  # results name people: never cache them
                headers["X-Content-Type-Options"] = "nosniff"
            elif message["type"] == "http.response.body":
                state["bytes_out"] += len(message.get("body", b""))
            await send(message)

        limited = scope.get("path") not in UNLIMITED_PATHS
        try:
            if limited and self.max_requests is not None and self.active >= self.max_requests:
                wait = str(self.retry_after_s)
                refusal = error_json(
                    503,
                    "busy",
                    f"{self.max_requests} requests are in progress; retry after {wait} s",
                    headers={"Retry-After": wait},
                )
                await refusal(scope, counting_receive, tagging_send)
                return
            self.active += limited
            try:
                await self.app(scope, counting_receive, tagging_send)
            finally:
                self.active -= limited
        except Exception as err:
            log_event("unhandled_error", logging.ERROR, request_id=rid, **error_summary(err))
            if state["status"] is None:
                response = error_json(
                    500, "internal", "the request could not be completed; quote the request id when asking for help"
                )
                await response(scope, counting_receive, tagging_send)
        finally:
            route = scope.get("route")
            context.pop("request_id", None)
            log_event(
                "request",
                request_id=rid,
                method=scope.get("method"),
                route=getattr(route, "path", None) or "(no route)",
                status=state["status"],
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
                bytes_in=state["bytes_in"],
                bytes_out=state["bytes_out"],
                **context,
            )
            _CONTEXT.reset(token)
