"""Asynchronous jobs and where they are kept.

A job is a request body waiting to be solved, being solved, or solved: its
state (``queued``, ``running``, ``done``, ``failed``, ``cancelled``), stage,
attempts, and in the end the response or error document. `JobBackend` is the
interface the service needs; `SqlJobs` keeps jobs in a ``jobs`` table of a
SQL database (SQLite by default, PostgreSQL for a shared deployment), so
nothing submitted is lost when the service stops.

Running jobs hold a *lease* that their runner renews while it works. A lease
that lapses means the runner is gone (the service was killed): `SqlJobs.recover`
puts such a job back in the queue, or fails it with the reason once it has been
started ``attempts`` times, so a job that kills the service cannot do so forever.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Connection,
    DateTime,
    Engine,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    and_,
    case,
    delete,
    func,
    insert,
    select,
    update,
)

from ..contract import JOB_STATES, ErrorResponse

__all__ = [
    "FINAL_STATES",
    "STAGE_PROGRESS",
    "VERSION_TABLE",
    "ClientLimit",
    "IdempotencyConflict",
    "JobBackend",
    "JobRecord",
    "QueueFull",
    "SqlJobs",
    "Submission",
    "jobs_table",
    "metadata",
    "utcnow",
]

FINAL_STATES = ("done", "failed", "cancelled")
STAGE_PROGRESS = {
    "queued": 0.0,
    "starting": 0.05,
    "validating": 0.1,
    "solving": 0.2,
    "diagnosing": 0.2,
    "explaining": 0.8,
    "saving": 0.95,
    "finished": 1.0,
}
"""Share of the work done when a stage starts (solving has no finer measure)."""

Heartbeat = Literal["ok", "cancel", "lost"]

VERSION_TABLE = "alembic_version_service"
"""Where the schema revision of the service's tables is kept (the store's own is in ``alembic_version``)."""

metadata = MetaData()
jobs_table = Table(
    "jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("client", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("stage", String(16), nullable=False),
    Column("progress", Float, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("cancel_requested", Boolean, nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("lease_until", DateTime(timezone=True)),
    Column("worker", String(64)),
    Column("message", Text),
    Column("request", LargeBinary, nullable=False),
    Column("result_status", Integer),
    Column("result", LargeBinary),
    Column("mentors", Integer),
    Column("mentees", Integer),
    Column("idempotency_key", String(128)),
    Column("request_digest", String(64)),
    Column("request_bytes", Integer),
    Column("request_dropped_at", DateTime(timezone=True)),
    CheckConstraint("state IN (" + ", ".join(f"'{s}'" for s in JOB_STATES) + ")", name="ck_jobs_state"),
    Index("ix_jobs_state_submitted_at", "state", "submitted_at"),
    Index("ix_jobs_client_idempotency_key", "client", "idempotency_key", unique=True),
)
"""The ``jobs`` table (request and result are the contract's JSON documents, as sent and as written).

Created and changed only by the migrations in ``pairmatch/service/migrations``;
a test checks that they build exactly this table.
"""

_STATUS_COLUMNS = [
    c
    for c in jobs_table.c
    if c.name not in ("request", "result", "idempotency_key", "request_digest", "request_bytes", "request_dropped_at")
]


def utcnow() -> dt.datetime:
    """The current time, timezone-aware in UTC (as every time stored)."""
    return dt.datetime.now(dt.UTC)


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite gives back naive datetimes; everything stored is UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


class QueueFull(Exception):
    """The job queue holds as many jobs as allowed."""


class ClientLimit(Exception):
    """The submitting client is at one of its own limits (the message says which); other clients are not."""


class IdempotencyConflict(Exception):
    """The idempotency key was used before with a different request."""


@dataclass(frozen=True)
class Submission:
    """A job to queue: its kind, client, body and the limits it is checked against.

    ``client_queued`` and ``client_bytes`` bound the client's own queued jobs and the bytes its jobs hold
    in the store (requests and results); ``idempotency_key`` names a submission the client may repeat.
    """

    kind: str
    client: str
    body: bytes
    max_queued: int
    client_queued: int
    client_bytes: int
    idempotency_key: str | None = None

    @property
    def digest(self) -> str:
        """SHA-256 of the kind and the body: a repeated idempotency key must come with the same."""
        return hashlib.sha256(self.kind.encode() + b"\0" + self.body).hexdigest()


@dataclass(frozen=True)
class JobRecord:
    """A job's status as stored (without its request and result documents)."""

    id: str
    kind: str
    client: str
    state: str
    stage: str
    progress: float
    attempts: int
    cancel_requested: bool
    submitted_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    message: str | None
    result_status: int | None
    mentors: int | None
    mentees: int | None

    @property
    def final(self) -> bool:
        """True once the job is done, failed or cancelled."""
        return self.state in FINAL_STATES

    @classmethod
    def from_row(cls, m: Any) -> JobRecord:
        """The record of a row mapping of the jobs table."""
        return cls(
            id=m["id"],
            kind=m["kind"],
            client=m["client"],
            state=m["state"],
            stage=m["stage"],
            progress=float(m["progress"]),
            attempts=int(m["attempts"]),
            cancel_requested=bool(m["cancel_requested"]),
            submitted_at=_utc(m["submitted_at"]),  # type: ignore[arg-type]
            started_at=_utc(m["started_at"]),
            finished_at=_utc(m["finished_at"]),
            message=m["message"],
            result_status=m["result_status"],
            mentors=m["mentors"],
            mentees=m["mentees"],
        )


class JobBackend(Protocol):
    """What the service needs from wherever jobs are kept."""

    def submit(self, submission: Submission) -> tuple[JobRecord, bool]:
        """Queue a job: ``(record, True)``, or ``(the earlier job, False)`` for a repeated
        idempotency key; raises `IdempotencyConflict`, `ClientLimit` or `QueueFull`, and
        writes nothing then."""
        ...

    def drop_request(self, job_id: str) -> None:
        """Forget a finished job's request body (its result was fetched)."""
        ...

    def drop_requests(self, finished_before: dt.datetime) -> int:
        """Forget the request bodies of jobs finished before ``finished_before``; how many."""
        ...

    def get(self, job_id: str, client: str | None = None) -> JobRecord | None:
        """The job's record; None when there is no such job, or when ``client`` is given and the
        job is another client's."""
        ...

    def request_body(self, job_id: str) -> bytes:
        """The request document the job was submitted with."""
        ...

    def result(self, job_id: str, client: str) -> tuple[int, bytes] | None:
        """``(HTTP status, document)`` of ``client``'s job once it has a result; None before that,
        or when the job is not ``client``'s."""
        ...

    def claim(self, worker: str, lease_s: float) -> JobRecord | None:
        """Take the oldest queued job for ``worker``, running under a lease of ``lease_s``
        seconds; None when the queue is empty."""
        ...

    def heartbeat(self, job_id: str, worker: str, lease_s: float, stage: str | None = None) -> Heartbeat:
        """Renew the lease of a running job ``worker`` holds (and record its ``stage``):
        ``cancel`` when its client asked to cancel it, ``lost`` when the job is no longer
        this worker's."""
        ...

    def finish(
        self,
        job_id: str,
        worker: str,
        state: str,
        status: int,
        document: bytes,
        message: str | None = None,
        counts: dict[str, int] | None = None,
    ) -> bool:
        """Store the final ``state`` and result document of a job ``worker`` holds; False
        when it no longer holds it (the result is dropped)."""
        ...

    def release(self, job_id: str, worker: str, message: str) -> bool:
        """Put a running job back in the queue without counting the attempt (an orderly
        stop); False when ``worker`` no longer holds it."""
        ...

    def cancel(self, job_id: str, client: str) -> JobRecord | None:
        """Cancel a job of ``client``: a queued job at once, a running one when its runner
        next renews its lease; its record, or None when there is no such job."""
        ...

    def recover(self, max_attempts: int) -> list[JobRecord]:
        """Re-queue each running job whose lease has lapsed, or fail it once it has been
        started ``max_attempts`` times; the records changed."""
        ...

    def purge(self, finished_before: dt.datetime) -> int:
        """Delete the jobs finished before ``finished_before``; how many."""
        ...

    def counts(self) -> dict[str, int]:
        """The number of jobs in each state (every state listed, 0 included)."""
        ...

    def ping(self) -> None:
        """Raise if the store cannot be read (for the readiness check)."""
        ...


class SqlJobs:
    """`JobBackend` on a SQLAlchemy engine with the ``jobs`` table.

    ``write`` opens one write transaction (writers take turns: SQLite
    ``BEGIN IMMEDIATE``, PostgreSQL an advisory lock, as the programme
    store's engine sets up) and ``read`` a read-only one.
    """

    def __init__(self, engine: Engine, write: Any, read: Any) -> None:
        self.engine = engine
        self.write = write
        self.read = read

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.write(self.engine) as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.read(self.engine) as conn:
            yield conn

    def submit(self, submission: Submission) -> tuple[JobRecord, bool]:
        """Queue a job: ``(record, True)``, or ``(the earlier job, False)`` for a repeated idempotency key.

        Raises `IdempotencyConflict`, `ClientLimit` or `QueueFull`, and writes nothing then.
        """
        s = submission
        now = utcnow()
        job_id = secrets.token_hex(16)  # unguessable: a job is only ever found by the client holding its id
        c = jobs_table.c
        with self._write() as conn:
            if s.idempotency_key is not None:
                row = conn.execute(
                    select(c.id, c.request_digest).where(
                        and_(c.client == s.client, c.idempotency_key == s.idempotency_key)
                    )
                ).first()
                if row is not None:
                    if row.request_digest != s.digest:
                        raise IdempotencyConflict
                    return self._get(conn, row.id), False  # type: ignore[return-value]
            queued, mine, held = conn.execute(
                select(
                    func.count().filter(c.state == "queued"),
                    func.count().filter(and_(c.state == "queued", c.client == s.client)),
                    func.coalesce(
                        func.sum(
                            case(
                                (
                                    c.client == s.client,
                                    func.coalesce(c.request_bytes, 0) + func.coalesce(func.length(c.result), 0),
                                ),
                                else_=0,
                            )
                        ),
                        0,
                    ),
                ).select_from(jobs_table)
            ).one()
            if mine >= s.client_queued:
                raise ClientLimit(f"this client has {mine} queued jobs, its limit")
            if held + len(s.body) > s.client_bytes:
                raise ClientLimit(
                    f"this client's jobs hold {held} bytes in the store and this one would pass its limit of "
                    f"{s.client_bytes} bytes; fetch or wait for results (they are deleted after the retention time)"
                )
            if queued >= s.max_queued:
                raise QueueFull
            conn.execute(
                insert(jobs_table).values(
                    id=job_id,
                    kind=s.kind,
                    client=s.client,
                    state="queued",
                    stage="queued",
                    progress=0.0,
                    attempts=0,
                    cancel_requested=False,
                    submitted_at=now,
                    request=s.body,
                    request_bytes=len(s.body),
                    request_digest=s.digest,
                    idempotency_key=s.idempotency_key,
                )
            )
            return self._get(conn, job_id), True  # type: ignore[return-value]

    def drop_request(self, job_id: str) -> None:
        """Forget a finished job's request body (its result was fetched)."""
        with self._write() as conn:
            conn.execute(
                update(jobs_table)
                .where(and_(jobs_table.c.id == job_id, jobs_table.c.state.in_(FINAL_STATES)))
                .where(jobs_table.c.request_dropped_at.is_(None))
                .values(request=b"", request_bytes=0, request_dropped_at=utcnow())
            )

    def drop_requests(self, finished_before: dt.datetime) -> int:
        """Forget the request bodies of jobs finished before ``finished_before``; how many."""
        c = jobs_table.c
        with self._write() as conn:
            return conn.execute(
                update(jobs_table)
                .where(and_(c.state.in_(FINAL_STATES), c.finished_at < finished_before, c.request_dropped_at.is_(None)))
                .values(request=b"", request_bytes=0, request_dropped_at=utcnow())
            ).rowcount

    @staticmethod
    def _get(conn: Connection, job_id: str, client: str | None = None) -> JobRecord | None:
        query = select(*_STATUS_COLUMNS).where(jobs_table.c.id == job_id)
        if client is not None:
            query = query.where(jobs_table.c.client == client)
        row = conn.execute(query).mappings().first()
        return None if row is None else JobRecord.from_row(row)

    def get(self, job_id: str, client: str | None = None) -> JobRecord | None:
        """The job's record; None when there is no such job, or when ``client`` is given and the
        job is another client's."""
        with self._read() as conn:
            return self._get(conn, job_id, client)

    def request_body(self, job_id: str) -> bytes:
        """The request document the job was submitted with."""
        with self._read() as conn:
            return bytes(conn.execute(select(jobs_table.c.request).where(jobs_table.c.id == job_id)).scalar_one())

    def result(self, job_id: str, client: str) -> tuple[int, bytes] | None:
        """``(HTTP status, document)`` of ``client``'s job once it has a result; None before that,
        or when the job is not ``client``'s."""
        with self._read() as conn:
            row = conn.execute(
                select(jobs_table.c.result_status, jobs_table.c.result).where(
                    and_(jobs_table.c.id == job_id, jobs_table.c.client == client)
                )
            ).first()
        if row is None or row.result is None:
            return None
        return int(row.result_status), bytes(row.result)

    def claim(self, worker: str, lease_s: float) -> JobRecord | None:
        """Take the oldest queued job for ``worker``, running under a lease of ``lease_s``
        seconds; None when the queue is empty."""
        now = utcnow()
        with self._write() as conn:
            job_id = conn.execute(
                select(jobs_table.c.id)
                .where(jobs_table.c.state == "queued")
                .order_by(jobs_table.c.submitted_at, jobs_table.c.id)
                .limit(1)
            ).scalar()
            if job_id is None:
                return None
            # Guarded by the state as well, so two instances can never both take the same job.
            taken = conn.execute(
                update(jobs_table)
                .where(and_(jobs_table.c.id == job_id, jobs_table.c.state == "queued"))
                .values(
                    state="running",
                    stage="starting",
                    progress=STAGE_PROGRESS["starting"],
                    attempts=jobs_table.c.attempts + 1,
                    started_at=now,
                    worker=worker,
                    lease_until=now + dt.timedelta(seconds=lease_s),
                )
            ).rowcount
            return self._get(conn, job_id) if taken == 1 else None

    def _mine(self, job_id: str, worker: str) -> Any:
        return and_(jobs_table.c.id == job_id, jobs_table.c.worker == worker, jobs_table.c.state == "running")

    def heartbeat(self, job_id: str, worker: str, lease_s: float, stage: str | None = None) -> Heartbeat:
        """Renew the lease of a running job ``worker`` holds (and record its ``stage``):
        ``cancel`` when its client asked to cancel it, ``lost`` when the job is no longer
        this worker's."""
        values: dict[str, Any] = {"lease_until": utcnow() + dt.timedelta(seconds=lease_s)}
        if stage is not None:
            values.update(stage=stage, progress=STAGE_PROGRESS.get(stage, 0.5))
        with self._write() as conn:
            if conn.execute(update(jobs_table).where(self._mine(job_id, worker)).values(**values)).rowcount == 0:
                return "lost"
            cancel = conn.execute(select(jobs_table.c.cancel_requested).where(jobs_table.c.id == job_id)).scalar()
        return "cancel" if cancel else "ok"

    def finish(
        self,
        job_id: str,
        worker: str,
        state: str,
        status: int,
        document: bytes,
        message: str | None = None,
        counts: dict[str, int] | None = None,
    ) -> bool:
        """Store the final ``state`` and result document of a job ``worker`` holds; False
        when it no longer holds it (the result is dropped)."""
        counts = counts or {}
        with self._write() as conn:
            return (
                conn.execute(
                    update(jobs_table)
                    .where(self._mine(job_id, worker))
                    .values(
                        state=state,
                        stage="finished",
                        progress=1.0,
                        finished_at=utcnow(),
                        lease_until=None,
                        result_status=status,
                        result=document,
                        # A finished job keeps the note of an earlier re-queue unless there is a newer one.
                        message=jobs_table.c.message if message is None else message,
                        mentors=counts.get("mentors"),
                        mentees=counts.get("mentees"),
                    )
                ).rowcount
                == 1
            )

    def release(self, job_id: str, worker: str, message: str) -> bool:
        # A run cut short by an orderly stop does not count as an attempt.
        """Put a running job back in the queue without counting the attempt (an orderly
        stop); False when ``worker`` no longer holds it."""
        with self._write() as conn:
            return (
                conn.execute(
                    update(jobs_table)
                    .where(self._mine(job_id, worker))
                    .values(
                        state="queued",
                        stage="queued",
                        progress=0.0,
                        attempts=jobs_table.c.attempts - 1,
                        worker=None,
                        lease_until=None,
                        message=message,
                    )
                ).rowcount
                == 1
            )

    def cancel(self, job_id: str, client: str) -> JobRecord | None:
        """Cancel a job of ``client``: a queued job at once, a running one when its runner
        next renews its lease; its record, or None when there is no such job."""
        with self._write() as conn:
            job = self._get(conn, job_id, client)
            if job is None:
                return None
            if job.state == "queued":
                conn.execute(
                    update(jobs_table)
                    .where(jobs_table.c.id == job_id)
                    .values(
                        state="cancelled",
                        stage="finished",
                        progress=1.0,
                        finished_at=utcnow(),
                        message="cancelled before it started",
                        cancel_requested=True,
                    )
                )
            elif job.state == "running":
                conn.execute(update(jobs_table).where(jobs_table.c.id == job_id).values(cancel_requested=True))
            return self._get(conn, job_id)

    def recover(self, max_attempts: int) -> list[JobRecord]:
        """Re-queue each running job whose lease has lapsed, or fail it once it has been
        started ``max_attempts`` times; the records changed."""
        now = utcnow()
        changed = []
        with self._write() as conn:
            rows = (
                conn.execute(
                    select(*_STATUS_COLUMNS).where(
                        and_(jobs_table.c.state == "running", jobs_table.c.lease_until < now)
                    )
                )
                .mappings()
                .all()
            )
            for job in map(JobRecord.from_row, rows):
                values: dict[str, Any]
                if job.cancel_requested:
                    values = {
                        "state": "cancelled",
                        "stage": "finished",
                        "progress": 1.0,
                        "finished_at": now,
                        "message": "cancelled while the service was stopping",
                    }
                elif job.attempts >= max_attempts:
                    message = (
                        f"stopped {job.attempts} time(s) while running, when the service stopped or its "
                        "solver process was killed; not retried (the problem may need more memory or "
                        "time than this service has)"
                    )
                    error = ErrorResponse(error="internal", message=message)
                    values = {
                        "state": "failed",
                        "stage": "finished",
                        "progress": 1.0,
                        "finished_at": now,
                        "message": message,
                        "result_status": 500,
                        "result": error.model_dump_json(exclude_none=True).encode("utf-8"),
                    }
                else:
                    values = {
                        "state": "queued",
                        "stage": "queued",
                        "progress": 0.0,
                        "message": f"re-queued: its run (attempt {job.attempts}) ended without saving a result "
                        "(the service stopped, its process was killed, or the store could not be written)",
                    }
                conn.execute(
                    update(jobs_table).where(jobs_table.c.id == job.id).values(worker=None, lease_until=None, **values)
                )
                changed.append(self._get(conn, job.id))
        return [c for c in changed if c is not None]

    def purge(self, finished_before: dt.datetime) -> int:
        """Delete the jobs finished before ``finished_before``; how many."""
        with self._write() as conn:
            return conn.execute(
                delete(jobs_table).where(
                    and_(jobs_table.c.state.in_(FINAL_STATES), jobs_table.c.finished_at < finished_before)
                )
            ).rowcount

    def counts(self) -> dict[str, int]:
        """The number of jobs in each state (every state listed, 0 included)."""
        with self._read() as conn:
            rows = conn.execute(select(jobs_table.c.state, func.count()).group_by(jobs_table.c.state)).all()
        found = {state: int(n) for state, n in rows}
        return {state: found.get(state, 0) for state in JOB_STATES}

    def ping(self) -> None:
        """Raise if the store cannot be read (for the readiness check)."""
        with self._read() as conn:
            conn.execute(select(1)).scalar_one()
