"""Runs queued jobs in their own solver processes, and keeps the queue honest across restarts.

Each of ``job_workers`` loops claims the oldest queued job, runs it in its
own solver process with the job time limit, renews the job's lease while it
runs (and notices a cancellation there), and stores the result or the error.
A housekeeping loop re-queues jobs whose runner vanished (see
`pairmatch.service.jobs`) and deletes finished jobs past their retention.
On an orderly stop, running jobs are put back in the queue without counting
the attempt, so a restart resumes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ..contract import ErrorResponse
from ..store.engine import storage_full
from .config import ServiceConfig
from .jobs import JobBackend, JobRecord, utcnow
from .logs import error_summary, log_event
from .pool import SolveCancelled, SolveTimeout, WorkerLost, WorkerProcess
from .worker import STATUS_OF

__all__ = ["JobRunner"]

_IDLE_POLL_S = 1.0
_PURGE_EVERY_S = 600.0


class JobRunner:
    """The job loops of one service instance."""

    def __init__(self, backend: JobBackend, config: ServiceConfig, log_level: str = "info") -> None:
        self.backend = backend
        self.config = config
        self.log_level = log_level
        self.instance = secrets.token_hex(6)
        self.wakeup = asyncio.Event()
        self.stopping = threading.Event()
        self.cancels: dict[str, threading.Event] = {}
        self.workers: list[WorkerProcess] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.executor = ThreadPoolExecutor(max_workers=config.job_workers + 1, thread_name_prefix="jobs")
        self.store_full_at: float | None = None  # when writing to the store last failed for want of room

    async def start(self) -> None:
        """Recover and purge the store once, start the job processes and their loops, and the housekeeping loop."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self.executor, self.housekeeping)
        self.workers = await loop.run_in_executor(
            self.executor, lambda: [WorkerProcess(f"job-{k}", self.log_level) for k in range(self.config.job_workers)]
        )
        self.tasks = [asyncio.create_task(self.loop(w), name=w.name) for w in self.workers]
        self.tasks.append(asyncio.create_task(self.keep_house(), name="job-housekeeping"))

    @property
    def alive(self) -> bool:
        """True when every loop is running and every job process is alive."""
        return bool(self.tasks) and not any(t.done() for t in self.tasks) and all(w.alive for w in self.workers)

    def poke(self) -> None:
        """A job was submitted: wake an idle loop."""
        self.wakeup.set()

    def cancel(self, job_id: str) -> None:
        """Stop a job running here at once (other instances notice at their next lease renewal)."""
        event = self.cancels.get(job_id)
        if event is not None:
            event.set()

    def housekeeping(self) -> None:
        """Recover jobs whose runner vanished; delete finished jobs past their retention."""
        for job in self.backend.recover(self.config.job_attempts):
            log_event("job_recovered", logging.WARNING, job_id=job.id, state=job.state, attempts=job.attempts)
        purged = self.backend.purge(utcnow() - dt.timedelta(seconds=self.config.job_retention_s))
        if purged:
            log_event("jobs_purged", count=purged)
        dropped = self.backend.drop_requests(utcnow() - dt.timedelta(seconds=self.config.request_retention_s))
        if dropped:
            log_event("job_requests_dropped", count=dropped)

    async def keep_house(self) -> None:
        """Every half lease, recover jobs whose lease lapsed (waking a loop for any
        re-queued); now and then, the whole `housekeeping`. A failure is logged and tried
        again later."""
        loop = asyncio.get_running_loop()
        last_purge = time.monotonic()
        while not self.stopping.is_set():
            await asyncio.sleep(max(self.config.lease_s / 2, 0.25))
            try:
                if time.monotonic() - last_purge > _PURGE_EVERY_S:
                    last_purge = time.monotonic()
                    await loop.run_in_executor(self.executor, self.housekeeping)
                else:
                    changed = await loop.run_in_executor(self.executor, self.backend.recover, self.config.job_attempts)
                    for job in changed:
                        log_event(
                            "job_recovered", logging.WARNING, job_id=job.id, state=job.state, attempts=job.attempts
                        )
                    if any(job.state == "queued" for job in changed):
                        self.poke()
            except Exception as err:  # the store may be unreachable for a while; try again later
                log_event("housekeeping_failed", logging.ERROR, **error_summary(err))

    async def loop(self, worker: WorkerProcess) -> None:
        """One job process's loop: claim the oldest queued job, run it, and wait for a
        wake-up while the queue is empty, until the runner stops."""
        loop = asyncio.get_running_loop()
        name = f"{self.instance}/{worker.name}"
        while not self.stopping.is_set():
            try:
                job = await loop.run_in_executor(self.executor, self.backend.claim, name, self.config.lease_s)
            except Exception as err:
                log_event("job_claim_failed", logging.ERROR, **error_summary(err))
                job = None
            if job is None:
                self.wakeup.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wakeup.wait(), _IDLE_POLL_S)
                continue
            try:
                await asyncio.shield(loop.run_in_executor(None, self.run, job, worker, name))
            except Exception as err:  # e.g. the store went away while saving: the lease will lapse
                if storage_full(err):
                    self.store_full_at = time.monotonic()
                    log_event("store_full", logging.ERROR, job_id=job.id)
                else:
                    log_event("job_error", logging.ERROR, job_id=job.id, **error_summary(err))

    def run(self, job: JobRecord, worker: WorkerProcess, name: str) -> None:
        """Run one claimed job to its end (in a thread)."""
        started = time.perf_counter()
        cancel = self.cancels.setdefault(job.id, threading.Event())
        renew_every = self.config.lease_s / 3
        last = [time.monotonic()]
        lost = [False]
        log_event(
            "job_started",
            job_id=job.id,
            attempt=job.attempts,
            queued_s=round((utcnow() - job.submitted_at).total_seconds(), 3),
        )

        def on_stage(stage: str) -> None:
            last[0] = time.monotonic()
            if self.backend.heartbeat(job.id, name, self.config.lease_s, stage) == "cancel":
                cancel.set()

        def should_stop() -> bool:
            if self.stopping.is_set() or cancel.is_set():
                return True
            if time.monotonic() - last[0] >= renew_every:
                last[0] = time.monotonic()
                beat = self.backend.heartbeat(job.id, name, self.config.lease_s)
                if beat == "cancel":
                    cancel.set()
                lost[0] = beat == "lost"
                return beat != "ok"
            return False

        try:
            body = self.backend.request_body(job.id)
            reply = worker.call(
                job.kind,
                body,
                timeout_s=self.config.job_timeout_s,
                on_stage=on_stage,
                should_stop=should_stop,
                reference={"job_id": job.id},
            )
        except SolveTimeout:
            self.fail(
                job,
                name,
                "timeout",
                f"the job ran past its time limit of {self.config.job_timeout_s:g} s and was stopped",
            )
        except SolveCancelled:
            if lost[0]:
                log_event("job_lost", logging.WARNING, job_id=job.id)
            elif self.stopping.is_set() and not cancel.is_set():
                self.backend.release(job.id, name, "re-queued: the service stopped while it was running")
                log_event("job_requeued", job_id=job.id)
            else:
                error = ErrorResponse(error="conflict", message="the job was cancelled")
                self.backend.finish(
                    job.id,
                    name,
                    "cancelled",
                    409,
                    error.model_dump_json(exclude_none=True).encode("utf-8"),
                    "cancelled while running",
                )
                log_event("job_cancelled", job_id=job.id, run_s=round(time.perf_counter() - started, 3))
        except WorkerLost:
            self.fail(job, name, "internal", "the solver process stopped unexpectedly (perhaps out of memory)")
        except Exception as err:
            log_event("job_error", logging.ERROR, job_id=job.id, **error_summary(err))
            self.fail(job, name, "internal", "the job could not be run; see the service log")
        else:
            self.backend.heartbeat(job.id, name, self.config.lease_s, "saving")
            state = "done" if reply.status == 200 else "failed"
            message = None if state == "done" else ErrorResponse.model_validate_json(reply.body).message
            counts = {k: v for k, v in reply.info.items() if k in ("mentors", "mentees")}
            self.backend.finish(job.id, name, state, reply.status, reply.body, message, counts)
            log_event(
                "job_finished",
                job_id=job.id,
                state=state,
                status=reply.status,
                run_s=round(time.perf_counter() - started, 3),
                **{k: v for k, v in reply.info.items() if k != "error"},
            )
        finally:
            self.cancels.pop(job.id, None)

    def fail(self, job: JobRecord, name: str, code: str, message: str) -> None:
        """Finish ``job`` as failed with the error document of ``code`` and ``message``, and log it."""
        error = ErrorResponse(error=code, message=message)
        self.backend.finish(
            job.id, name, "failed", STATUS_OF[code], error.model_dump_json(exclude_none=True).encode("utf-8"), message
        )
        log_event("job_failed", logging.WARNING, job_id=job.id, error=code)

    async def stop(self) -> None:
        """Stop the loops; running jobs go back to the queue for the next start."""
        self.stopping.set()
        self.wakeup.set()
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=10)
        for worker in self.workers:
            worker.stop()
        self.executor.shutdown(wait=False, cancel_futures=True)
