"""Solver processes that can be stopped, and a bounded pool of them for synchronous requests.

Every solve runs in a separate process, so a solve that runs past its time
limit (or a job that is cancelled) is stopped by killing its process, which
frees the CPU and memory at once; a fresh process takes its place. Processes
come from a fork server that has already imported the solver (Linux and
macOS), so a replacement is ready in milliseconds; elsewhere they are
spawned.

`SolvePool` bounds the synchronous solves: ``size`` run at once, at most
``queue_size`` requests wait for a slot, each for at most ``queue_wait_s``;
anyone else is told at once that the service is busy (`Busy`), instead of
piling up.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .logs import log_event

__all__ = [
    "Busy",
    "Reply",
    "SolveCancelled",
    "SolvePool",
    "SolveTimeout",
    "WorkerLost",
    "WorkerProcess",
    "process_context",
]

_WORKER_MODULE = "pairmatch.service.worker"
_context: Any = None
_context_lock = threading.Lock()


def process_context() -> Any:
    """The multiprocessing context of solver processes (fork server where available)."""
    global _context
    with _context_lock:
        if _context is None:
            if "forkserver" in multiprocessing.get_all_start_methods():
                _context = multiprocessing.get_context("forkserver")
                _context.set_forkserver_preload([_WORKER_MODULE])
            else:
                _context = multiprocessing.get_context("spawn")
        return _context


class SolveTimeout(Exception):
    """The solve ran past its time limit; its process was killed."""


class SolveCancelled(Exception):
    """The solve was stopped on request; its process was killed."""


class WorkerLost(Exception):
    """The solver process died before answering (killed from outside, or out of memory)."""


class Busy(Exception):
    """Every solve slot is taken and the waiting line is full (or the wait ran out)."""


@dataclass(frozen=True)
class Reply:
    """A solver process's answer: HTTP status, JSON document, log info (counts and timings)."""

    status: int
    body: bytes
    info: dict[str, Any] = field(default_factory=dict)


def _target(conn: Any, log_level: str) -> None:
    from .worker import serve

    serve(conn, log_level)


class WorkerProcess:
    """One solver process and its pipe; `call` is blocking and meant for a thread."""

    def __init__(self, name: str, log_level: str = "info") -> None:
        self.name = name
        self.log_level = log_level
        self.restarts = 0
        self.process: Any = None
        self.conn: Any = None
        self.start()

    def start(self) -> None:
        """Start a fresh solver process and open its pipe."""
        context = process_context()
        parent, child = context.Pipe()
        process = context.Process(target=_target, args=(child, self.log_level), name=self.name, daemon=True)
        process.start()
        child.close()
        self.process, self.conn = process, parent

    @property
    def alive(self) -> bool:
        """True while the solver process runs."""
        return self.process is not None and self.process.is_alive()

    @property
    def pid(self) -> int | None:
        """The solver process's id, None when it is stopped."""
        return None if self.process is None else self.process.pid

    def stop(self) -> None:
        """Kill the process (a solve cannot be interrupted more gently) and wait for it."""
        if self.process is not None:
            if self.process.is_alive():
                self.process.kill()
            self.process.join(timeout=5)
            self.conn.close()
            self.process = None

    def restart(self, why: str) -> None:
        """Replace the process with a fresh one, logging ``why`` and counting the restart."""
        self.stop()
        self.restarts += 1
        log_event("solver_process_replaced", logging.WARNING, process=self.name, reason=why)
        self.start()

    def call(
        self,
        task: str,
        body: bytes,
        *,
        timeout_s: float,
        on_stage: Callable[[str], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        check_every_s: float = 0.2,
        reference: dict[str, str] | None = None,
    ) -> Reply:
        """Run ``task`` on ``body``; stop it (kill and replace the process) at ``timeout_s`` or when
        ``should_stop()`` turns true.

        Raises `SolveTimeout`, `SolveCancelled` or `WorkerLost`, or what ``on_stage`` or
        ``should_stop`` raised (the process is then replaced: its reply belongs to nobody).
        """
        if not self.alive:
            self.restart("found dead")
        deadline = time.monotonic() + timeout_s
        try:
            self.conn.send((task, body, reference or {}))
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.restart("time limit")
                    raise SolveTimeout
                if should_stop is not None and should_stop():
                    self.restart("stopped")
                    raise SolveCancelled
                if not self.conn.poll(min(remaining, check_every_s)):
                    continue
                message = self.conn.recv()
                if message[0] == "stage":
                    if on_stage is not None:
                        on_stage(message[1])
                    continue
                _, status, document, info = message
                return Reply(status, document, info)
        except (EOFError, OSError, BrokenPipeError) as err:
            self.restart("died")
            raise WorkerLost from err
        except (SolveTimeout, SolveCancelled):
            raise  # the process was replaced already
        except BaseException:
            # A callback failed (a heartbeat's database write, say) while the process is still
            # solving: replace it, or the next call would read this call's messages as its own.
            self.restart("caller error")
            raise


class SolvePool:
    """A bounded pool of solver processes for synchronous requests (see the module docstring)."""

    def __init__(self, size: int, *, queue_size: int, queue_wait_s: float, log_level: str = "info") -> None:
        self.size = size
        self.queue_size = queue_size
        self.queue_wait_s = queue_wait_s
        self.log_level = log_level
        self.workers: list[WorkerProcess] = []
        self.idle: asyncio.Queue[WorkerProcess] | None = None
        self.waiting = 0
        self.executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="solve")

    async def start(self) -> None:
        """Start the solver processes (off the event loop) and mark them all idle."""
        loop = asyncio.get_running_loop()
        self.idle = asyncio.Queue()
        # Starting the fork server imports the solver once; do it off the event loop.
        self.workers = await loop.run_in_executor(
            self.executor, lambda: [WorkerProcess(f"solve-{k}", self.log_level) for k in range(self.size)]
        )
        for worker in self.workers:
            self.idle.put_nowait(worker)

    @property
    def busy(self) -> int:
        """The number of solver processes at work."""
        return self.size - (self.idle.qsize() if self.idle is not None else 0)

    @property
    def alive(self) -> bool:
        """True when the pool has started and every solver process runs."""
        return bool(self.workers) and all(w.alive for w in self.workers)

    async def acquire(self) -> WorkerProcess:
        """A free solver process, waiting within the pool's limits; raises `Busy` beyond them."""
        assert self.idle is not None, "start() the pool first"
        if not self.idle.empty():
            return self.idle.get_nowait()
        if self.waiting >= self.queue_size or self.queue_wait_s <= 0:
            raise Busy
        self.waiting += 1
        try:
            return await asyncio.wait_for(self.idle.get(), self.queue_wait_s)
        except TimeoutError as err:
            raise Busy from err
        finally:
            self.waiting -= 1

    async def run(
        self,
        task: str,
        body: bytes,
        *,
        timeout_s: float,
        reference: dict[str, str] | None = None,
        gone: Callable[[], Awaitable[bool]] | None = None,
        check_every_s: float = 0.5,
    ) -> tuple[Reply, float]:
        """Run ``task`` in a free process: ``(reply, seconds waited for the slot)``.

        ``gone()`` is asked every ``check_every_s`` seconds whether the caller
        has left; if so the solve is stopped (`SolveCancelled`) so the slot is
        not spent on an answer nobody reads.
        """
        started = time.perf_counter()
        worker = await self.acquire()
        waited = time.perf_counter() - started
        loop = asyncio.get_running_loop()
        stop = threading.Event()
        future = loop.run_in_executor(
            self.executor,
            lambda: worker.call(task, body, timeout_s=timeout_s, reference=reference, should_stop=stop.is_set),
        )
        # The slot is free when the process has answered, even if the caller stopped waiting.
        future.add_done_callback(lambda _: self._release(worker))
        while gone is not None and not future.done():
            await asyncio.wait([future], timeout=check_every_s)
            if not future.done() and await gone():
                stop.set()
                break
        return await asyncio.shield(future), waited

    def _release(self, worker: WorkerProcess) -> None:
        assert self.idle is not None
        self.idle.put_nowait(worker)

    def stop(self) -> None:
        """Kill the solver processes and stop the pool's threads."""
        for worker in self.workers:
            worker.stop()
        self.executor.shutdown(wait=False, cancel_futures=True)
