"""Request bodies read within limits: size (413 as soon as it is known) and time (408)."""

from __future__ import annotations

import asyncio

from fastapi import Request
from starlette.requests import ClientDisconnect

from ..contract.responses import ErrorDetail
from .config import MIB, ServiceConfig
from .context import ServiceError

__all__ = ["read_body"]


async def read_body(request: Request, config: ServiceConfig, limit: int) -> bytes:
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
