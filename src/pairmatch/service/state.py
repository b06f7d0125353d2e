"""`Service`: what the endpoints share (settings, the solve pool, the job store and runner, admission)."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections import Counter
from collections.abc import Iterator

from ..version import __version__
from .config import ServiceConfig
from .context import ServiceError
from .jobs import JobBackend
from .logs import log_event
from .pool import Busy, SolvePool
from .runner import JobRunner
from .worker import CHECK

__all__ = ["FULL_FOR_S", "MIN_FREE_BYTES", "Service"]

FULL_FOR_S = 60.0
"""How long after a write failed for want of room the service reports itself not ready."""

MIN_FREE_BYTES = 64 * 1024 * 1024
"""Free space below which a SQLite store's disk counts as full."""


class Service:
    """What the endpoints share: settings, the solve pool, the job store and runner."""

    def __init__(self, config: ServiceConfig, backend: JobBackend, log_level: str = "info") -> None:
        self.config = config
        self.backend = backend
        self.pool = SolvePool(
            config.solve_slots, queue_size=config.queue_size, queue_wait_s=config.queue_wait_s, log_level=log_level
        )
        self.runner = JobRunner(backend, config, log_level)

        # Job bodies are checked against their schema at submission in a process of their own, so a
        # large body never holds the event loop and submissions never wait for a synchronous slot.
        self.intake = SolvePool(
            1, queue_size=config.max_uploads, queue_wait_s=config.body_timeout_s, log_level=log_level
        )

        # Requests admitted and not yet answered (bodies arriving, waiting, solving), by kind and by client.
        self.admitted = {"solve": 0, "upload": 0}
        self.admission_limits = {"solve": config.solve_slots + config.queue_size, "upload": config.max_uploads}
        self.client_limits = {"solve": config.client_solves, "upload": config.client_uploads}
        self.by_client: Counter[tuple[str, str]] = Counter()
        self.store_full_at: float | None = None  # when writing to the store last failed for want of room

    def store_room(self) -> str:
        """``ok``, or why the store has no room: a write failed for want of room within `FULL_FOR_S`,
        or a SQLite store's disk has less than `MIN_FREE_BYTES` free."""
        seen = [t for t in (self.store_full_at, self.runner.store_full_at) if t is not None]
        if seen and time.monotonic() - max(seen) < FULL_FOR_S:
            return "full (a write failed for want of room)"
        path = getattr(getattr(self.backend, "engine", None), "url", None)
        if path is not None and path.get_backend_name() == "sqlite" and path.database:
            with contextlib.suppress(OSError):
                if shutil.disk_usage(os.path.dirname(path.database) or ".").free < MIN_FREE_BYTES:
                    return f"full (less than {MIN_FREE_BYTES // (1024 * 1024)} MiB free on its disk)"
        return "ok"

    @contextlib.contextmanager
    def admit(self, kind: str, client: str) -> Iterator[None]:
        """Let a request in before its body is read, or refuse it: 429 when ``client`` is at its own
        limit (others are not affected), 503 when the service is (so bodies held in memory are bounded)."""
        wait = self.config.retry_after_s  # an arriving body or a solve frees its place in seconds
        mine = self.by_client[(kind, client)]
        if mine >= self.client_limits[kind]:
            what = "synchronous requests" if kind == "solve" else "job submissions"
            raise ServiceError(
                429,
                "client_limit",
                f"this client already has {mine} {what} in progress, its limit; retry after {wait} s",
                headers={"Retry-After": str(wait)},
            )
        if self.admitted[kind] >= self.admission_limits[kind]:
            what = (
                f"all {self.config.solve_slots} solve slots and the waiting line are taken"
                if kind == "solve"
                else f"{self.config.max_uploads} job submissions are already arriving"
            )
            raise ServiceError(503, "busy", f"{what}; retry after {wait} s", headers={"Retry-After": str(wait)})
        self.admitted[kind] += 1
        self.by_client[(kind, client)] += 1
        try:
            yield
        finally:
            self.admitted[kind] -= 1
            self.by_client[(kind, client)] -= 1
            if not self.by_client[(kind, client)]:
                del self.by_client[(kind, client)]

    async def check(self, kind: str, body: bytes) -> None:
        """Refuse a job body that does not match its kind's request schema (422 naming each field)."""
        try:
            reply, _ = await self.intake.run(CHECK + kind, body, timeout_s=max(self.config.body_timeout_s, 30.0))
        except Busy as err:
            wait = self.config.retry_after_s
            raise ServiceError(
                503,
                "busy",
                f"job submissions are being checked; retry after {wait} s",
                headers={"Retry-After": str(wait)},
            ) from err
        if reply.status != 200:
            raise ServiceError.from_document(reply.body, reply.status)

    async def start(self) -> None:
        """Start the solver pools and the job runner, then log the settings."""
        await self.pool.start()
        await self.intake.start()
        await self.runner.start()
        log_event("started", version=__version__, **self.config.summary())

    async def stop(self) -> None:
        """Stop the job runner (running jobs go back to the queue) and the solver pools."""
        await self.runner.stop()
        self.pool.stop()
        self.intake.stop()
        log_event("stopped")
