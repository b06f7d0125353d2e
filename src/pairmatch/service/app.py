"""The HTTP service: the JSON contract over HTTP, with keys, limits, jobs and structured logs.

Endpoints (all JSON; the full reference is ``docs/service.md`` and the
OpenAPI document the service serves at ``/openapi.json``):

=============================  =====  ===============================================
``GET /healthz``               none   the process answers (liveness)
``GET /readyz``                none   the store answers and the solver processes live
``POST /v1/validate``          read   check a match request without solving
``POST /v1/match``             write  solve a match request (time-limited)
``POST /v1/explain``           read   solve and explain one pair or one person
``POST /v1/diagnose``          read   why the hard rules cannot all hold
``POST /v1/rematch``           write  re-match a running programme after changes
``POST /v1/diff``              read   solve two match requests and compare them
``POST /v1/respond``           write  answer a proposed pair (accept or decline)
``POST /v1/jobs/{kind}``       write  queue a request of that kind; 202 with ``Location``
``POST /v1/jobs``              write  the same, the kind given as ``?kind=`` (default match)
``GET /v1/jobs/{id}``          read   the job's state, stage and progress (``?wait=``)
``GET /v1/jobs/{id}/result``   read   the job's response or error document
``POST /v1/jobs/{id}/cancel``  write  stop a queued or running job
``GET /v1/access``             any    whether a key may call an endpoint (for a proxy)
=============================  =====  ===============================================

The ``/v1/{task}`` and ``/v1/jobs/{kind}`` endpoints are generated from the task
table (`pairmatch.service.tasks.TASKS`); the routers are in
`pairmatch.service.routes`. Every CPU-bound step, request validation included,
runs in a solver process, so the event loop only moves bytes: health checks
answer while solves run.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..contract.responses import ErrorDetail
from ..store.engine import StoreUnavailable, storage_full
from ..version import __version__
from .access import Reader, Writer, reader, writer
from .config import ServiceConfig
from .context import RequestContext, ServiceError, error_json
from .jobs import JobBackend
from .logs import error_summary, log_event
from .openapi import openapi_builder
from .routes import ROUTERS, proxy
from .routes.jobs import MAX_WAIT_S
from .state import Service

__all__ = ["MAX_WAIT_S", "Reader", "Service", "ServiceError", "Writer", "create_app", "reader", "writer"]


async def _on_service_error(request: Request, err: Exception) -> Response:
    assert isinstance(err, ServiceError)
    return error_json(err.status, err.error, err.message, details=err.details, headers=err.headers)


async def _on_http_error(request: Request, err: Exception) -> Response:
    assert isinstance(err, StarletteHTTPException)
    if err.status_code == 404:
        return error_json(404, "not_found", "no such endpoint; see /openapi.json")
    if err.status_code == 405:
        return error_json(
            405, "invalid_request", "this endpoint does not take that method", headers=dict(err.headers or {})
        )
    return error_json(err.status_code, "invalid_request", str(err.detail))


async def _on_validation_error(request: Request, err: Exception) -> Response:
    assert isinstance(err, RequestValidationError)
    details = [
        ErrorDetail(
            loc=[x if isinstance(x, int) else str(x) for x in e.get("loc", ())],
            message=str(e.get("msg", "")),
            type=e.get("type"),
        )
        for e in err.errors()
    ]
    return error_json(422, "invalid_request", f"{len(details)} problem(s) in the request", details=details)


async def _on_store_error(request: Request, err: Exception) -> Response:
    # The store refused a write or is unreachable: say which, never the SQL or its parameters.
    service: Service = request.app.state.service
    if storage_full(err):
        service.store_full_at = time.monotonic()
        log_event("store_full", logging.ERROR)
        return error_json(
            507,
            "storage_full",
            "the store has no room left; nothing was saved. Retry once the operators have freed space",
        )
    log_event("store_unavailable", logging.ERROR, **error_summary(err))
    wait = str(service.config.retry_after_s * 5)
    return error_json(503, "busy", f"the store is not answering; retry after {wait} s", headers={"Retry-After": wait})


def create_app(config: ServiceConfig, backend: JobBackend, *, log_level: str = "info") -> FastAPI:
    """The FastAPI application of the service (run it with uvicorn, see ``pairmatch serve``).

    Parameters
    ----------
    config : ServiceConfig
        Keys and limits.
    backend : JobBackend
        Where jobs are kept (`pairmatch.service.open_jobs`).
    log_level : str
        Level of the JSON logs of the solver processes.
    """
    service = Service(config, backend, log_level)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    app = FastAPI(
        title="pairmatch",
        version=__version__,
        lifespan=lifespan,
        docs_url="/docs" if config.docs else None,
        redoc_url=None,
        description="Optimal, explained mentor-mentee matching over HTTP: send the JSON contract's match request, "
        "get explained matches back. Send an API key as `Authorization: Bearer <key>`.",
    )
    app.state.service = service
    app.add_middleware(RequestContext, max_requests=config.max_requests, retry_after_s=config.retry_after_s)
    app.openapi = openapi_builder(app)  # type: ignore[method-assign]
    app.add_exception_handler(ServiceError, _on_service_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(DBAPIError, _on_store_error)
    app.add_exception_handler(StoreUnavailable, _on_store_error)
    for router in (*ROUTERS, proxy.router):
        app.include_router(router)
    return app
