"""``/healthz`` and ``/readyz`` (also ``/v1/health`` and ``/v1/ready``): liveness and readiness, without a key."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ..state import Service

__all__ = ["router"]

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness: the process answers")
@router.get("/v1/health", summary="Liveness: the process answers (the same as /healthz)")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/v1/ready",
    summary="Readiness (the same as /readyz)",
    responses={503: {"description": "not ready; the checks say what is wrong"}},
)
@router.get(
    "/readyz",
    summary="Readiness: the store answers and the solver processes live",
    responses={503: {"description": "not ready; the checks say what is wrong"}},
)
async def readyz(request: Request) -> Response:
    service: Service = request.app.state.service
    checks: dict[str, Any] = {}
    try:
        await asyncio.wait_for(run_in_threadpool(service.backend.ping), 5)
        checks["store"] = "ok"
    except Exception as err:
        checks["store"] = f"unreachable ({type(err).__name__})"
    if checks["store"] == "ok":
        checks["store"] = await run_in_threadpool(service.store_room)
    checks["solve_slots"] = {
        "size": service.pool.size,
        "busy": service.pool.busy,
        "waiting": service.pool.waiting,
        "alive": service.pool.alive,
    }
    checks["job_runner"] = {"workers": service.config.job_workers, "alive": service.runner.alive}
    checks["job_intake"] = {"alive": service.intake.alive}
    ready = checks["store"] == "ok" and service.pool.alive and service.intake.alive and service.runner.alive
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503
    )
