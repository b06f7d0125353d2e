"""Jobs: ``POST /v1/jobs/{kind}`` (one per row of the task table) and ``POST /v1/jobs?kind=``, polling,
results and cancellation."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ...contract import ErrorResponse, JobStatus
from ...contract.responses import ErrorDetail
from ...store.engine import StoreError
from ..access import Reader, Writer, needs
from ..bodies import read_body
from ..config import ApiKey
from ..context import JSON, ServiceError, error_copy, note
from ..jobs import ClientLimit, IdempotencyConflict, JobRecord, QueueFull, Submission
from ..logs import error_summary, log_event
from ..openapi import ref, request_body, responses
from ..state import Service
from ..tasks import DEFAULT_KIND, TASKS

__all__ = ["MAX_WAIT_S", "router"]

MAX_WAIT_S = 60.0
"""Longest a poll may wait for a job to finish (``GET /v1/jobs/{id}?wait=``)."""

router = APIRouter(tags=["jobs"])

_SUBMIT_ERRORS = (401, 403, 408, 409, 413, 422, 429, 503, 507, 500)
_SUBMIT_RESPONSES = {
    **responses(202, ["job"], "queued; poll the Location", *_SUBMIT_ERRORS),
    200: {
        "description": "the job queued earlier with the same Idempotency-Key and body (Idempotent-Replayed: true)",
        "content": {JSON: {"schema": ref("job")}},
    },
}


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def status_of(service: Service, job: JobRecord) -> JobStatus:
    """The job's status document (with the error document of a failed job)."""
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
        message=job.message
        or ("cancellation requested; it stops soon unless it finishes first" if job.cancel_requested else None),
        error=error,
        links={"self": base, "result": f"{base}/result", "cancel": f"{base}/cancel"},
    )


def job_json(status: JobStatus, code: int = 200, headers: dict[str, str] | None = None) -> Response:
    note(job_id=status.id, job_state=status.state)
    return Response(status.model_dump_json(exclude_none=True), status_code=code, media_type=JSON, headers=headers)


async def find(service: Service, job_id: str, key: ApiKey) -> JobRecord:
    """The client's job (another client's job is "not found", exactly like a job that never existed)."""
    job: JobRecord | None = None
    if len(job_id) <= 64:
        job = await run_in_threadpool(service.backend.get, job_id, key.client)
    if job is None:
        raise ServiceError(404, "not_found", "no such job (or it belongs to another client)")
    return job


_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _idempotency_key(request: Request) -> str | None:
    value = request.headers.get("idempotency-key")
    if value is None:
        return None
    if not _IDEMPOTENCY_KEY.match(value):
        detail = ErrorDetail(
            loc=["header", "Idempotency-Key"],
            message="1-128 letters, digits or ._:- (a UUID is a good key)",
            type="string_pattern_mismatch",
        )
        raise ServiceError(422, "invalid_request", "1 problem(s) in the request", details=[detail])
    return value


async def submit(request: Request, kind: str, key: ApiKey) -> Response:
    """Read the body within the job limits, check it against its schema and queue it; 202 with ``Location``.

    With an ``Idempotency-Key`` header, the same key and body again answer 200 with the job already queued
    (``Idempotent-Replayed: true``) instead of queueing it twice; the same key with another body is a 409.
    """
    service = _service(request)
    config = service.config
    idempotency_key = _idempotency_key(request)
    with service.admit("upload", key.client):
        body = await read_body(request, config, config.max_job_body_bytes)
        await service.check(kind, body)
    submission = Submission(
        kind=kind,
        client=key.client,
        body=body,
        max_queued=config.max_queued_jobs,
        client_queued=config.client_queued_jobs,
        client_bytes=config.client_store_bytes,
        idempotency_key=idempotency_key,
    )
    wait = str(config.retry_after_s * 10)
    try:
        job, created = await run_in_threadpool(service.backend.submit, submission)
    except ClientLimit as err:
        raise ServiceError(429, "client_limit", f"{err}; retry after {wait} s", headers={"Retry-After": wait}) from err
    except IdempotencyConflict as err:
        raise ServiceError(
            409, "conflict", "this Idempotency-Key was used for another request; use a new key for a new request"
        ) from err
    except QueueFull as err:
        raise ServiceError(
            503,
            "busy",
            f"the job queue is full ({config.max_queued_jobs} jobs); retry after {wait} s",
            headers={"Retry-After": wait},
        ) from err
    if created:
        service.runner.poke()
    status = await run_in_threadpool(status_of, service, job)
    headers = {"Location": status.links["self"]}
    if not created:
        headers["Idempotent-Replayed"] = "true"
    return job_json(status, 202 if created else 200, headers)


@router.post(
    "/v1/jobs",
    status_code=202,
    summary="Queue a request as a job; ?kind= says which (write)",
    openapi_extra=request_body(
        [task.request_schema for task in TASKS.values()],
        "the request of the kind named by ?kind= (a match request by default), as for POST /v1/{kind}",
    ),
    responses=_SUBMIT_RESPONSES,
    response_class=Response,
)
async def submit_any(
    request: Request,
    key: Writer,
    kind: Annotated[
        str,
        Query(
            description="what the job does: the endpoint it stands for",
            json_schema_extra={"enum": list(TASKS)},
        ),
    ] = DEFAULT_KIND,
) -> Response:
    if kind not in TASKS:
        detail = ErrorDetail(loc=["query", "kind"], message=f"the kinds are {', '.join(TASKS)}", type="literal_error")
        raise ServiceError(422, "invalid_request", "1 problem(s) in the request", details=[detail])
    return await submit(request, kind, key)


def _submitter(kind: str) -> Callable[[Request], Awaitable[Response]]:
    async def submit_kind(request: Request) -> Response:
        return await submit(request, kind, request.state.key)

    submit_kind.__name__ = f"submit_{kind}"
    return submit_kind


for _task in TASKS.values():
    router.add_api_route(
        f"/v1/jobs/{_task.name}",
        _submitter(_task.name),
        methods=["POST"],
        status_code=202,
        summary=f"Queue a {_task.name} request as a job (write); its result is a {_task.response_schema}",
        dependencies=[needs("write")],
        openapi_extra=request_body([_task.request_schema], _task.takes),
        responses=_SUBMIT_RESPONSES,
        response_class=Response,
    )


@router.get(
    "/v1/jobs/{job_id}",
    summary="A job's state, stage and progress (read)",
    responses=responses(200, ["job"], "the job", 401, 403, 404, 422, 500),
    response_class=Response,
)
async def poll(
    request: Request,
    job_id: str,
    key: Reader,
    wait: Annotated[
        float, Query(ge=0, le=MAX_WAIT_S, description="seconds to wait for the job to finish before answering")
    ] = 0,
) -> Response:
    service = _service(request)
    job = await find(service, job_id, key)
    deadline = time.monotonic() + wait
    while not job.final and time.monotonic() < deadline:
        await asyncio.sleep(min(0.25, max(deadline - time.monotonic(), 0)))
        job = await find(service, job_id, key)
    return job_json(await run_in_threadpool(status_of, service, job))


@router.get(
    "/v1/jobs/{job_id}/result",
    summary="A finished job's response or error document (read)",
    responses={
        **responses(
            200,
            [task.response_schema for task in TASKS.values()],
            "the job's response: the response of its kind ("
            + ", ".join(f"{task.name}: {task.response_schema}" for task in TASKS.values())
            + ")",
            401,
            403,
            404,
            409,
            422,
            500,
        ),
        504: {"description": "the job ran past its time limit", "content": {JSON: {"schema": ref("error")}}},
    },
    response_class=Response,
)
async def result(request: Request, job_id: str, key: Reader) -> Response:
    service = _service(request)
    job = await find(service, job_id, key)
    note(job_id=job.id, job_state=job.state)
    if not job.final:
        raise ServiceError(
            409,
            "conflict",
            f"the job is {job.state} (stage {job.stage}); poll /v1/jobs/{job.id}?wait=30 until it is done",
            headers={"Retry-After": str(service.config.retry_after_s)},
        )
    if job.state == "cancelled":
        raise ServiceError(409, "conflict", "the job was cancelled; it has no result")
    stored = await run_in_threadpool(service.backend.result, job.id, key.client)
    if stored is None:
        raise ServiceError(404, "not_found", "no such job (or it belongs to another client)")
    status, document = stored
    # The request named people; once its result is in the client's hands it is not kept (or, if the store
    # cannot be written just now, it goes at the end of its retention time).
    try:
        await run_in_threadpool(service.backend.drop_request, job.id)
    except StoreError as err:
        log_event("job_request_kept", logging.WARNING, job_id=job.id, **error_summary(err))
    if status != 200:
        return error_copy(document, status)
    return Response(document, status_code=status, media_type=JSON)


@router.post(
    "/v1/jobs/{job_id}/cancel",
    summary="Cancel a queued or running job (write)",
    responses={
        **responses(200, ["job"], "cancelled (it had not started)", 401, 403, 404, 409, 500),
        202: {
            "description": "cancellation requested: a running job stops within a second or two, unless it "
            "finishes first; poll it to see how it ended",
            "content": {JSON: {"schema": ref("job")}},
        },
    },
    response_class=Response,
)
async def cancel(request: Request, job_id: str, key: Writer) -> Response:
    service = _service(request)
    job = await find(service, job_id, key)
    if job.state in ("done", "failed"):
        raise ServiceError(409, "conflict", f"the job is already {job.state}")
    changed = await run_in_threadpool(service.backend.cancel, job_id, key.client)
    if changed is None:
        raise ServiceError(404, "not_found", "no such job (or it belongs to another client)")
    if changed.state in ("done", "failed"):  # it finished between the two reads
        raise ServiceError(409, "conflict", f"the job is already {changed.state}")
    service.runner.cancel(changed.id)
    status = await run_in_threadpool(status_of, service, changed)
    return job_json(status, 200 if changed.state == "cancelled" else 202)
