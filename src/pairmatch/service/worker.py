"""What runs inside a solver process: contract documents in, contract documents out.

A solver process receives ``(task, body, reference)`` messages on a pipe and answers
each with zero or more ``("stage", name)`` messages and then one
``("reply", status, body, info)``: the HTTP status, the JSON document
(a response, or the contract's `ErrorResponse`) and ``info``, counts and
timings for the log (never person data). It dies with the service: on
Linux it asks the kernel to kill it when its parent exits, elsewhere a
watchdog thread notices that it was orphaned.
"""

from __future__ import annotations

import logging
import logging.config
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from ..contract import ErrorResponse, error_response
from .logs import error_summary, log_event, logging_config
from .tasks import TASKS

__all__ = ["CHECK", "STATUS_OF", "check_request", "error_document", "run_task", "serve"]

CHECK = "check:"
"""Prefix of a task that only checks a request against its schema: ``check:match`` (a job at submission)."""

STATUS_OF = {
    "invalid_request": 422,
    "infeasible": 422,
    "unsupported": 422,
    "internal": 500,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "too_large": 413,
    "busy": 503,
    "timeout": 504,
    "conflict": 409,
    "client_limit": 429,
    "storage_full": 507,
}
"""HTTP status of each ``ErrorResponse.error`` code."""

Stage = Callable[[str], None]


def run_task(
    task: str, body: bytes, stage: Stage, reference: dict[str, str] | None = None
) -> tuple[int, bytes, dict[str, Any]]:
    """Answer one request: ``(status, JSON document, info for the log)``.

    ``reference`` (the request or job id) goes into the log line of an unexpected failure.
    """
    if task.startswith(CHECK):
        return check_request(task.removeprefix(CHECK), body)
    spec = TASKS[task]
    info: dict[str, Any] = {}
    started = time.perf_counter()
    try:
        stage("validating")
        request = spec.request.model_validate_json(body)
        for side in ("mentors", "mentees"):
            people = getattr(request, side, None) or getattr(getattr(request, "after", None), side, None)
            if people is not None:
                info[side] = len(people)

        def later_stages(name: str) -> None:
            if name != "validating":  # already reported
                stage(name)

        response = spec.answer(request, on_stage=later_stages)
        for name in ("pairs", "unmatched", "reasons"):
            if isinstance(getattr(response, name, None), list):
                info[name] = len(getattr(response, name))
        document = response.model_dump_json(exclude_none=True).encode("utf-8")
        status = 200
    except Exception as err:  # every failure becomes the contract's error document
        document, status = error_document(err)
        if status == 500:
            log_event("task_failed", logging.ERROR, task=task, **(reference or {}), **error_summary(err))
        info["error"] = ErrorResponse.model_validate_json(document).error
    info["task_s"] = round(time.perf_counter() - started, 4)
    return status, document, info


def check_request(kind: str, body: bytes) -> tuple[int, bytes, dict[str, Any]]:
    """Check ``body`` against the request document of ``kind``, as a solve does, without solving.

    ``(200, b"{}", {})`` when it is valid, else ``(422, error document, {})``
    naming every field (vocabulary names are checked when the job runs).
    """
    try:
        TASKS[kind].request.model_validate_json(body)
    except Exception as err:
        document, status = error_document(err)
        return status, document, {"error": ErrorResponse.model_validate_json(document).error}
    return 200, b"{}", {}


def error_document(err: BaseException) -> tuple[bytes, int]:
    """The error document of ``err`` and its HTTP status."""
    if isinstance(err, MemoryError):
        document = ErrorResponse(
            error="internal", message="the solver ran out of memory; try a job, or a smaller problem"
        )
    else:
        document = error_response(err)
    if isinstance(err, ValidationError) and not document.details:
        document = ErrorResponse(error="invalid_request", message="the request is not valid JSON")
    return document.model_dump_json(exclude_none=True).encode("utf-8"), STATUS_OF[document.error]


def _die_with_parent() -> None:
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
            time.sleep(1.0)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def serve(conn: Any, log_level: str = "info") -> None:
    """The solver process's loop: answer requests from ``conn`` until it closes."""
    _die_with_parent()
    logging.config.dictConfig(logging_config(log_level))
    while True:
        try:
            task, body, reference = conn.recv()
        except (EOFError, OSError):
            return
        try:
            status, document, info = run_task(task, body, lambda name: conn.send(("stage", name)), reference)
            conn.send(("reply", status, document, info))
        except (BrokenPipeError, OSError):
            return
