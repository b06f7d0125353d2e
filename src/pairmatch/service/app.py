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
``POST /v1/jobs``              write  queue a request (``?kind=``); 202 with ``Location``
``GET /v1/jobs/{id}``          read   the job's state, stage and progress (``?wait=``)
``GET /v1/jobs/{id}/result``   read   the job's response or error document
``POST /v1/jobs/{id}/cancel``  write  stop a queued or running job
=============================  =====  ===============================================

Every CPU-bound step, request validation included, runs in a solver process,
so the event loop only moves bytes: health checks answer while solves run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyHeader, HTTPBearer
from pydantic.json_schema import models_json_schema
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from ..contract import SCHEMA_MODELS, ErrorResponse, JobStatus
from ..contract.responses import ErrorDetail
from ..version import __version__
from .auth import ANONYMOUS, authenticate, presented_key
from .config import MIB, ApiKey, Scope, ServiceConfig
from .jobs import JobBackend, JobRecord, QueueFull
from .logs import error_summary, log_event
from .pool import Busy, SolveCancelled, SolvePool, SolveTimeout, WorkerLost
from .runner import JobRunner

__all__ = ["MAX_WAIT_S", "Reader", "Service", "ServiceError", "Writer", "create_app", "reader", "writer"]

MAX_WAIT_S = 60.0
"""Longest a poll may wait for a job to finish (``GET /v1/jobs/{id}?wait=``)."""

JobKind = Literal["match", "rematch", "explain", "diagnose", "diff", "validate"]
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_CONTEXT: ContextVar[dict[str, Any] | None] = ContextVar("pairmatch_request", default=None)
JSON = "application/json"


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


def _note(**fields: Any) -> None:
    """Add counts and timings to the current request's log line."""
    context = _CONTEXT.get()
    if context is not None:
        context.update(fields)


def _request_id() -> str | None:
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
    document = ErrorResponse(error=error, message=message, details=details or [], request_id=_request_id())
    return Response(document.model_dump_json(exclude_none=True), status_code=status, media_type=JSON, headers=headers)


def error_copy(document: bytes, status: int) -> Response:
    """A stored or relayed error document, stamped with this request's id."""
    error = ErrorResponse.model_validate_json(document).model_copy(update={"request_id": _request_id()})
    return Response(error.model_dump_json(exclude_none=True), status_code=status, media_type=JSON)


class RequestContext:
    """Outermost layer: request id, security headers, one JSON log line per request, no stack traces out."""

    def __init__(self, app: Any) -> None:
        self.app = app

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
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        context: dict[str, Any] = {"request_id": request_id}
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
                headers["X-Request-ID"] = request_id
                headers.setdefault("Cache-Control", "no-store")  # results name people: never cache them
                headers["X-Content-Type-Options"] = "nosniff"
            elif message["type"] == "http.response.body":
                state["bytes_out"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, counting_receive, tagging_send)
        except Exception as err:
            log_event("unhandled_error", logging.ERROR, request_id=request_id, **error_summary(err))
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
                request_id=request_id,
                method=scope.get("method"),
                route=getattr(route, "path", None) or "(no route)",
                status=state["status"],
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
                bytes_in=state["bytes_in"],
                bytes_out=state["bytes_out"],
                **context,
            )
            _CONTEXT.reset(token)


class Service:
    """What the endpoints share: settings, the solve pool, the job store and runner."""

    def __init__(self, config: ServiceConfig, backend: JobBackend, log_level: str = "info") -> None:
        self.config = config
        self.backend = backend
        self.pool = SolvePool(
            config.solve_slots, queue_size=config.queue_size, queue_wait_s=config.queue_wait_s, log_level=log_level
        )
        self.runner = JobRunner(backend, config, log_level)

        # Requests admitted and not yet answered (bodies arriving, waiting, solving), by kind.
        self.admitted = {"solve": 0, "upload": 0}
        self.admission_limits = {"solve": config.solve_slots + config.queue_size, "upload": config.max_uploads}

    @contextlib.contextmanager
    def admit(self, kind: str) -> Iterator[None]:
        """Let a request in, or refuse it with 503 before its body is read (so bodies held in memory are bounded)."""
        if self.admitted[kind] >= self.admission_limits[kind]:
            wait = self.config.retry_after_s  # an arriving body or a solve frees its place in seconds
            what = (
                f"all {self.config.solve_slots} solve slots and the waiting line are taken"
                if kind == "solve"
                else f"{self.config.max_uploads} job submissions are already arriving"
            )
            raise ServiceError(503, "busy", f"{what}; retry after {wait} s", headers={"Retry-After": str(wait)})
        self.admitted[kind] += 1
        try:
            yield
        finally:
            self.admitted[kind] -= 1

    async def start(self) -> None:
        await self.pool.start()
        await self.runner.start()
        log_event("started", version=__version__, **self.config.summary())

    async def stop(self) -> None:
        await self.runner.stop()
        self.pool.stop()
        log_event("stopped")


# --- OpenAPI: the contract's own schemas, not a second description of them ---------------------------------

_MODELS = {name: model for name, (model, _) in SCHEMA_MODELS.items()}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{_MODELS[name].__name__}"}


def _body(name: str, description: str) -> dict[str, Any]:
    return {"requestBody": {"required": True, "description": description, "content": {JSON: {"schema": _ref(name)}}}}


def _responses(ok: int, name: str, description: str, *errors: int) -> dict[int | str, dict[str, Any]]:
    out: dict[int | str, dict[str, Any]] = {ok: {"description": description, "content": {JSON: {"schema": _ref(name)}}}}
    meaning = {
        401: "no valid API key",
        403: "the key's scope does not allow this",
        404: "no such job",
        409: "the job is not in a state that allows this",
        413: "the request body is too large",
        422: "the request is invalid (the details name each field) or its rules cannot all hold",
        503: "busy: every solve slot is taken or the job queue is full; see Retry-After",
        504: "the solve ran past the time limit of a synchronous request; submit it as a job",
        500: "unexpected error; quote the X-Request-ID",
    }
    for status in errors:
        out[status] = {"description": meaning[status], "content": {JSON: {"schema": _ref("error")}}}
    return out


def _openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            _, definitions = models_json_schema(
                [(model, mode) for model, mode in SCHEMA_MODELS.values()], ref_template="#/components/schemas/{model}"
            )
            schemas = spec.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(definitions.get("$defs", {}))
            app.openapi_schema = spec
        return app.openapi_schema

    return build


# --- keys and scopes ---------------------------------------------------------------------------------------

_BEARER = HTTPBearer(auto_error=False, description="an API key: `Authorization: Bearer <key>`")
_HEADER_KEY = APIKeyHeader(name="X-API-Key", auto_error=False, description="the same key in `X-API-Key`")


def _caller(request: Request, scope: Scope) -> ApiKey:
    config: ServiceConfig = request.app.state.service.config
    if config.anonymous and not config.keys:
        key = ANONYMOUS
    else:
        found = authenticate(config.keys, presented_key(request.headers))
        if found is None:
            raise ServiceError(
                401,
                "unauthorized",
                "send a valid API key: Authorization: Bearer <key>",
                headers={"WWW-Authenticate": 'Bearer realm="pairmatch"'},
            )
        key = found
    _note(client=key.client)
    if not key.allows(scope):
        raise ServiceError(403, "forbidden", f"this endpoint needs a {scope} key; this key is {key.scope}-only")
    return key


# The security parameters only describe the two ways of sending a key in the OpenAPI document;
# `_caller` reads the headers itself.
async def reader(
    request: Request, bearer: Annotated[Any, Security(_BEARER)], header: Annotated[Any, Security(_HEADER_KEY)]
) -> ApiKey:
    """The caller, who needs a read (or write) key."""
    return _caller(request, "read")


async def writer(
    request: Request, bearer: Annotated[Any, Security(_BEARER)], header: Annotated[Any, Security(_HEADER_KEY)]
) -> ApiKey:
    """The caller, who needs a write key."""
    return _caller(request, "write")


Reader = Annotated[ApiKey, Depends(reader)]
Writer = Annotated[ApiKey, Depends(writer)]


# --- the application ---------------------------------------------------------------------------------------


def create_app(config: ServiceConfig, backend: JobBackend, *, log_level: str = "info") -> FastAPI:  # noqa: C901
    """The FastAPI application of the service (run it with uvicorn, see ``pairmatch serve``).

    Parameters
    ----------
    config : ServiceConfig
        Keys and limits.
    backend : JobBackend
        Where jobs are kept (see `pairmatch.service.open_jobs`).
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
        docs_url="/docs",
        redoc_url=None,
        description="Optimal, explained mentor-mentee matching over HTTP: send the JSON contract's match request, "
        "get explained matches back. Send an API key as `Authorization: Bearer <key>`.",
    )
    app.state.service = service
    app.add_middleware(RequestContext)
    app.openapi = _openapi(app)  # type: ignore[method-assign]

    @app.exception_handler(ServiceError)
    async def on_service_error(request: Request, err: ServiceError) -> Response:
        return error_json(err.status, err.error, err.message, details=err.details, headers=err.headers)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, err: StarletteHTTPException) -> Response:
        if err.status_code == 404:
            return error_json(404, "not_found", "no such endpoint; see /openapi.json")
        if err.status_code == 405:
            return error_json(
                405, "invalid_request", "this endpoint does not take that method", headers=dict(err.headers or {})
            )
        return error_json(err.status_code, "invalid_request", str(err.detail))

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, err: RequestValidationError) -> Response:
        details = [
            ErrorDetail(
                loc=[x if isinstance(x, int) else str(x) for x in e.get("loc", ())],
                message=str(e.get("msg", "")),
                type=e.get("type"),
            )
            for e in err.errors()
        ]
        return error_json(422, "invalid_request", f"{len(details)} problem(s) in the request", details=details)

    async def read_body(request: Request, limit: int) -> bytes:
        """The body, refused with 413 as soon as it is known to exceed ``limit`` (declared or streamed)."""
        hint = (
            f"; larger problems go to POST /v1/jobs (up to {config.max_job_body_bytes // MIB} MiB)"
            if limit < config.max_job_body_bytes
            else ""
        )
        too_large = ServiceError(413, "too_large", f"the request body is larger than {limit} bytes{hint}")
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise too_large
        chunks, size = [], 0
        try:
            async with asyncio.timeout(config.body_timeout_s):
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > limit:
                        raise too_large
                    chunks.append(chunk)
        except ClientDisconnect as err:
            raise ServiceError(400, "invalid_request", "the request body was cut short") from err
        except TimeoutError as err:
            raise ServiceError(
                408,
                "timeout",
                f"the request body did not arrive within {config.body_timeout_s:g} s",
                headers={"Connection": "close"},
            ) from err
        if not size:
            raise ServiceError(
                422,
                "invalid_request",
                "the request body is empty; send a JSON document",
                details=[ErrorDetail(loc=["body"], message="a JSON document is required", type="missing")],
            )
        return b"".join(chunks)

    async def solve_now(request: Request, task: str) -> Response:
        with service.admit("solve"):
            body = await read_body(request, config.max_body_bytes)
            return await solve_body(task, body, request)

    async def solve_body(task: str, body: bytes, request: Request) -> Response:
        try:
            reply, waited = await service.pool.run(
                task,
                body,
                timeout_s=config.solve_timeout_s,
                reference={"request_id": _request_id() or ""},
                gone=request.is_disconnected,
            )
        except Busy as err:
            raise ServiceError(
                503,
                "busy",
                f"all {config.solve_slots} solve slots are taken; retry after "
                f"{config.retry_after_s} s, or submit large problems to POST /v1/jobs",
                headers={"Retry-After": str(config.retry_after_s)},
            ) from err
        except SolveTimeout as err:
            raise ServiceError(
                504,
                "timeout",
                f"the solve took longer than the {config.solve_timeout_s:g} s limit "
                "of a synchronous request and was stopped; submit the same body to "
                "POST /v1/jobs and poll the job instead",
            ) from err
        except WorkerLost as err:
            raise ServiceError(
                500,
                "internal",
                "the solver process stopped unexpectedly (perhaps out of memory); try a job, or a smaller problem",
            ) from err
        except SolveCancelled as err:
            _note(task=task, client_gone=True)
            raise ServiceError(
                400, "invalid_request", "the client closed the connection before the answer; the solve was stopped"
            ) from err
        _note(task=task, wait_ms=round(waited * 1000, 1), **reply.info)
        if reply.status == 200:
            return Response(reply.body, status_code=200, media_type=JSON)
        return error_copy(reply.body, reply.status)

    common = (401, 403, 413, 422, 503, 504, 500)

    @app.get("/healthz", tags=["operations"], summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["operations"],
        summary="Readiness: the store answers and the solver processes live",
        responses={503: {"description": "not ready; the checks say what is wrong"}},
    )
    async def readyz() -> Response:
        checks: dict[str, Any] = {}
        try:
            await asyncio.wait_for(run_in_threadpool(service.backend.ping), 5)
            checks["store"] = "ok"
        except Exception as err:
            checks["store"] = f"unreachable ({type(err).__name__})"
        checks["solve_slots"] = {
            "size": service.pool.size,
            "busy": service.pool.busy,
            "waiting": service.pool.waiting,
            "alive": service.pool.alive,
        }
        checks["job_runner"] = {"workers": config.job_workers, "alive": service.runner.alive}
        ready = checks["store"] == "ok" and service.pool.alive and service.runner.alive
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503
        )

    @app.post(
        "/v1/validate",
        tags=["matching"],
        summary="Check a match request without solving (read)",
        openapi_extra=_body("match-request", "a match request"),
        responses=_responses(200, "validate-response", "the request is valid", *common),
    )
    async def validate(request: Request, key: Reader) -> Response:
        return await solve_now(request, "validate")

    @app.post(
        "/v1/match",
        tags=["matching"],
        summary="Solve a match request: explained matches (write)",
        openapi_extra=_body("match-request", "a match request"),
        responses=_responses(200, "match-response", "the proposed matching, every pair explained", *common),
    )
    async def match(request: Request, key: Writer) -> Response:
        return await solve_now(request, "match")

    @app.post(
        "/v1/explain",
        tags=["matching"],
        summary="Solve, then explain one pair or one person (read)",
        openapi_extra=_body("explain-request", "a match request plus `pair` or `person`"),
        responses=_responses(200, "explain-response", "the explanation", *common),
    )
    async def explain(request: Request, key: Reader) -> Response:
        return await solve_now(request, "explain")

    @app.post(
        "/v1/diagnose",
        tags=["matching"],
        summary="Why the hard rules cannot all hold (read)",
        openapi_extra=_body("match-request", "a match request"),
        responses=_responses(200, "diagnose-response", "the diagnosis", *common),
    )
    async def diagnose(request: Request, key: Reader) -> Response:
        return await solve_now(request, "diagnose")

    @app.post(
        "/v1/rematch",
        tags=["matching"],
        summary="Re-match a running programme after people leave or join or pairs end (write)",
        openapi_extra=_body(
            "rematch-request", "a match request (the programme as it was) plus the current pairs and what changed"
        ),
        responses=_responses(200, "rematch-response", "the changes and the new matching", *common),
    )
    async def rematch(request: Request, key: Writer) -> Response:
        return await solve_now(request, "rematch")

    @app.post(
        "/v1/diff",
        tags=["matching"],
        summary="Solve two match requests and compare the matchings (read)",
        openapi_extra=_body("diff-request", "two match requests: before and after"),
        responses=_responses(200, "diff-response", "what changed", *common),
    )
    async def diff(request: Request, key: Reader) -> Response:
        return await solve_now(request, "diff")

    def status_of(job: JobRecord) -> JobStatus:
        error = None
        if job.state == "failed":
            stored = service.backend.result(job.id, job.client)
            error = None if stored is None else ErrorResponse.model_validate_json(stored[1])
        base = f"/v1/jobs/{job.id}"
        return JobStatus(
            id=job.id,
            kind=job.kind,
            state=job.state,
            stage=job.stage,
            progress=round(job.progress, 3),
            submitted_at=job.submitted_at.isoformat(),
            started_at=job.started_at.isoformat() if job.started_at else None,
            finished_at=job.finished_at.isoformat() if job.finished_at else None,
            attempts=job.attempts,
            message=job.message,
            error=error,
            links={"self": base, "result": f"{base}/result", "cancel": f"{base}/cancel"},
        )

    def job_json(status: JobStatus, code: int = 200, headers: dict[str, str] | None = None) -> Response:
        _note(job_id=status.id, job_state=status.state)
        return Response(status.model_dump_json(exclude_none=True), status_code=code, media_type=JSON, headers=headers)

    async def find(job_id: str, key: ApiKey) -> JobRecord:
        # Another client's job is "not found", exactly like a job that never existed.
        job: JobRecord | None = None
        if len(job_id) <= 64:
            job = await run_in_threadpool(service.backend.get, job_id, key.client)
        if job is None:
            raise ServiceError(404, "not_found", "no such job (or it belongs to another client)")
        return job

    @app.post(
        "/v1/jobs",
        tags=["jobs"],
        status_code=202,
        summary="Queue a request as a job (write)",
        openapi_extra=_body(
            "match-request", "a match request, as for POST /v1/match (or, with ?kind=, the request of that endpoint)"
        ),
        responses=_responses(202, "job", "queued; poll the Location", 401, 403, 413, 422, 503, 500),
    )
    async def submit(
        request: Request,
        key: Writer,
        kind: Annotated[JobKind, Query(description="what the job does: the endpoint it stands for")] = "match",
    ) -> Response:
        with service.admit("upload"):
            body = await read_body(request, config.max_job_body_bytes)
        try:
            job = await run_in_threadpool(
                service.backend.submit, kind, key.client, body, max_queued=config.max_queued_jobs
            )
        except QueueFull as err:
            wait = str(config.retry_after_s * 10)
            raise ServiceError(
                503,
                "busy",
                f"the job queue is full ({config.max_queued_jobs} jobs); retry after {wait} s",
                headers={"Retry-After": wait},
            ) from err
        service.runner.poke()
        status = status_of(job)
        return job_json(status, 202, {"Location": status.links["self"]})

    @app.get(
        "/v1/jobs/{job_id}",
        tags=["jobs"],
        summary="A job's state, stage and progress (read)",
        responses=_responses(200, "job", "the job", 401, 403, 404, 422, 500),
    )
    async def poll(
        job_id: str,
        key: Reader,
        wait: Annotated[
            float, Query(ge=0, le=MAX_WAIT_S, description="seconds to wait for the job to finish before answering")
        ] = 0,
    ) -> Response:
        job = await find(job_id, key)
        deadline = time.monotonic() + wait
        while not job.final and time.monotonic() < deadline:
            await asyncio.sleep(min(0.25, max(deadline - time.monotonic(), 0)))
            job = await find(job_id, key)
        return job_json(await run_in_threadpool(status_of, job))

    @app.get(
        "/v1/jobs/{job_id}/result",
        tags=["jobs"],
        summary="A finished job's response or error document (read)",
        responses={
            **_responses(200, "match-response", "the job's response", 401, 403, 404, 409, 422, 500),
            504: {"description": "the job ran past its time limit", "content": {JSON: {"schema": _ref("error")}}},
        },
    )
    async def result(job_id: str, key: Reader) -> Response:
        job = await find(job_id, key)
        _note(job_id=job.id, job_state=job.state)
        if not job.final:
            raise ServiceError(
                409,
                "conflict",
                f"the job is {job.state} (stage {job.stage}); poll /v1/jobs/{job.id}?wait=30 until it is done",
                headers={"Retry-After": str(config.retry_after_s)},
            )
        if job.state == "cancelled":
            raise ServiceError(409, "conflict", "the job was cancelled; it has no result")
        stored = await run_in_threadpool(service.backend.result, job.id, key.client)
        if stored is None:
            raise ServiceError(404, "not_found", "no such job (or it belongs to another client)")
        status, document = stored
        if status != 200:
            return error_copy(document, status)
        return Response(document, status_code=status, media_type=JSON)

    @app.post(
        "/v1/jobs/{job_id}/cancel",
        tags=["jobs"],
        summary="Cancel a queued or running job (write)",
        responses={
            **_responses(200, "job", "cancelled", 401, 403, 404, 409, 500),
            202: {
                "description": "cancellation requested; the job stops within a second or two",
                "content": {JSON: {"schema": _ref("job")}},
            },
        },
    )
    async def cancel(job_id: str, key: Writer) -> Response:
        job = await find(job_id, key)
        if job.state in ("done", "failed"):
            raise ServiceError(409, "conflict", f"the job is already {job.state}")
        changed = await run_in_threadpool(service.backend.cancel, job_id, key.client)
        if changed is None:
            raise ServiceError(404, "not_found", "no such job (or it belongs to another client)")
        if changed.state in ("done", "failed"):  # it finished between the two reads
            raise ServiceError(409, "conflict", f"the job is already {changed.state}")
        service.runner.cancel(changed.id)
        status = await run_in_threadpool(status_of, changed)
        return job_json(status, 200 if changed.state == "cancelled" else 202)

    return app
