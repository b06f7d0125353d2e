"""`Service`: what the endpoints share (settings, the solve pool, the job store and runner, admission)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from ..version import __version__
from .config import ServiceConfig
from .context import ServiceError
from .jobs import JobBackend
from .logs import log_event
from .pool import SolvePool
from .runner import JobRunner

__all__ = ["Service"]


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
