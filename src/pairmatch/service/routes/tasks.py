"""``POST /v1/{task}``: one synchronous endpoint per row of the task table, answered in a solve slot."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..access import needs
from ..bodies import read_body
from ..context import JSON, ServiceError, error_copy, note, request_id
from ..openapi import request_body, responses
from ..pool import Busy, SolveCancelled, SolveTimeout, WorkerLost
from ..state import Service
from ..tasks import TASKS, Task

__all__ = ["SYNC_ERRORS", "router", "solve_now"]

SYNC_ERRORS = (401, 403, 408, 413, 422, 503, 504, 500)
"""The error statuses of a synchronous endpoint."""

router = APIRouter(tags=["matching"])


async def solve_now(request: Request, task: str) -> Response:
    """Read the body within the limits and answer it in a solve slot."""
    service: Service = request.app.state.service
    config = service.config
    with service.admit("solve", request.state.key.client):
        body = await read_body(request, config, config.max_body_bytes)
        try:
            reply, waited = await service.pool.run(
                task,
                body,
                timeout_s=config.solve_timeout_s,
                reference={"request_id": request_id() or ""},
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
            note(task=task, client_gone=True)
            raise ServiceError(
                400, "invalid_request", "the client closed the connection before the answer; the solve was stopped"
            ) from err
    note(task=task, wait_ms=round(waited * 1000, 1), **reply.info)
    if reply.status == 200:
        return Response(reply.body, status_code=200, media_type=JSON)
    return error_copy(reply.body, reply.status)


def _endpoint(task: Task) -> Callable[[Request], Awaitable[Response]]:
    async def answer(request: Request) -> Response:
        return await solve_now(request, task.name)

    answer.__name__ = task.name
    return answer


for _task in TASKS.values():
    router.add_api_route(
        f"/v1/{_task.name}",
        _endpoint(_task),
        methods=["POST"],
        summary=f"{_task.summary} ({_task.scope})",
        dependencies=[needs(_task.scope)],
        openapi_extra=request_body([_task.request_schema], _task.takes),
        responses=responses(200, [_task.response_schema], _task.gives, *SYNC_ERRORS),
        response_class=Response,
    )
