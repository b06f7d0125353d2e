"""Settings of the HTTP service and its API keys.

API keys come from ``$PAIRMATCH_API_KEYS`` and/or a keys file
(``$PAIRMATCH_API_KEYS_FILE`` or ``--keys-file``). Each entry is
``[client=]scope:secret``: ``scope`` is ``read`` or ``write`` (write
includes read), ``client`` names the calling system in logs and owns its
jobs (default: ``key1``, ``key2``, ... in order), and ``secret`` is at least
`MIN_SECRET_LENGTH` characters. Entries are separated by commas or new lines;
``#`` starts a comment in a file. Only a SHA-256 digest of each secret is
kept in memory, and no secret is ever logged or echoed in an error.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..exceptions import PairmatchError

__all__ = [
    "KEYS_ENV",
    "KEYS_FILE_ENV",
    "MIB",
    "MIN_SECRET_LENGTH",
    "SCOPES",
    "ApiKey",
    "KeyConfigError",
    "Scope",
    "ServiceConfig",
    "load_keys",
    "parse_keys",
]

KEYS_ENV = "PAIRMATCH_API_KEYS"
KEYS_FILE_ENV = "PAIRMATCH_API_KEYS_FILE"
MIN_SECRET_LENGTH = 16
SCOPES = ("read", "write")
MIB = 1024 * 1024

Scope = Literal["read", "write"]
_CLIENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class KeyConfigError(PairmatchError):
    """The API key configuration cannot be used (the message never contains a secret)."""


@dataclass(frozen=True)
class ApiKey:
    """One accepted API key: who it belongs to, what it may do, and the digest of its secret."""

    client: str
    scope: Scope
    digest: bytes = field(repr=False)

    def allows(self, needed: Scope) -> bool:
        """Whether this key may call an endpoint that needs ``needed`` (write includes read)."""
        return needed == "read" or self.scope == "write"

    @classmethod
    def from_secret(cls, client: str, scope: Scope, secret: str) -> ApiKey:
        """The key for ``secret``: only its SHA-256 digest is kept."""
        return cls(client, scope, hashlib.sha256(secret.encode("utf-8")).digest())


_DEFAULT_CLIENT = re.compile(r"^key[0-9]+$")


def parse_keys(text: str, source: str, *, first_number: int = 1) -> list[ApiKey]:
    """The keys in ``text`` (see the module docstring); errors name ``source`` and the entry number.

    >>> [(k.client, k.scope) for k in parse_keys("crm=read:0123456789abcdef, write:fedcba9876543210", "env")]
    [('crm', 'read'), ('key2', 'write')]
    >>> parse_keys("hr=write:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=", "env")[0].client
    'hr'

    """
    keys = []
    entries = [e.split("#", 1)[0].strip() for line in text.splitlines() for e in line.split(",")]
    for number, entry in enumerate((e for e in entries if e), first_number):
        where = f"{source}, entry {number}"
        head, sep, secret = entry.partition(":")  # the secret may hold '=' (base64 padding) or ':'
        client, _, scope = head.rpartition("=")
        if not sep:
            raise KeyConfigError(f"{where}: write an entry as [client=]scope:secret")
        if _DEFAULT_CLIENT.match(client.strip()):
            raise KeyConfigError(
                f"{where}: the client names key1, key2, ... are given to unnamed entries; choose another name"
            )
        client = client.strip() or f"key{number}"
        if scope.strip() not in SCOPES:
            raise KeyConfigError(f"{where}: the scope must be 'read' or 'write'")
        if not _CLIENT.match(client):
            raise KeyConfigError(f"{where}: a client name is 1-64 letters, digits, '.', '_' or '-'")
        if len(secret.strip()) < MIN_SECRET_LENGTH or secret != secret.strip():
            raise KeyConfigError(f"{where}: the secret must be at least {MIN_SECRET_LENGTH} characters, without spaces")
        keys.append(ApiKey.from_secret(client, scope.strip(), secret))  # type: ignore[arg-type]
    return keys


def load_keys(
    environ: Mapping[str, str] | None = None, keys_file: str | os.PathLike[str] | None = None
) -> tuple[ApiKey, ...]:
    """Keys from ``$PAIRMATCH_API_KEYS`` and the keys file (``keys_file`` or ``$PAIRMATCH_API_KEYS_FILE``)."""
    env = os.environ if environ is None else environ
    keys = parse_keys(env.get(KEYS_ENV, ""), f"${KEYS_ENV}")
    path = keys_file or env.get(KEYS_FILE_ENV)
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as err:
            raise KeyConfigError(f"cannot read the keys file {os.fspath(path)!r}: {err.strerror}") from err
        keys += parse_keys(text, f"keys file {os.fspath(path)!r}", first_number=len(keys) + 1)
    digests = [k.digest for k in keys]
    if len(set(digests)) != len(digests):
        raise KeyConfigError("the same secret is configured twice")
    return tuple(keys)


class ServiceConfig(BaseModel):
    """How the service runs: where jobs are kept, who may call it, and its limits.

    Attributes
    ----------
    store : str or None
        Programme store holding the jobs: a SQLAlchemy URL or a SQLite file
        path (default ``$PAIRMATCH_STORE``, else ``programme.db``).
    keys : tuple of ApiKey
        Accepted API keys (see `load_keys`).
    anonymous : bool
        Accept requests without a key, with write scope (only for a service
        bound to the loopback address; the command refuses otherwise).
    solve_slots : int
        Worker processes for synchronous requests: at most this many solves
        run at once.
    queue_size, queue_wait_s
        How many synchronous requests may wait for a free slot, and for how
        long; beyond either, the answer is 503 with ``Retry-After``.
    solve_timeout_s : float
        Time limit of one synchronous request, from the moment it has a slot;
        a slower solve is stopped (its process killed) and answered with 504.
    max_body_bytes, max_job_body_bytes : int
        Largest request body of a synchronous request and of a job.
    body_timeout_s : float
        Time a request body may take to arrive; slower: 408.
    max_uploads : int
        Job submissions whose bodies may be arriving at once (with the
        synchronous slots and waiting line, this bounds the memory held by
        request bodies); beyond: 503.
    job_workers : int
        Worker processes for jobs (separate from the synchronous slots).
    job_timeout_s : float
        Time limit of one job run.
    max_queued_jobs : int
        Queued jobs beyond which a submission gets 503.
    job_attempts : int
        How many times a job may be started; a job whose run was cut short
        by the service stopping is re-queued until this many runs have begun,
        then failed with the reason.
    lease_s : float
        A running job's claim lapses when its worker has not renewed it for
        this long (the service was killed); the job is then re-queued.
    job_retention_s : float
        Finished jobs (with their request and result) are deleted this long
        after they finish.
    retry_after_s : int
        ``Retry-After`` of a 503 for busy solve slots (a full job queue asks
        for ten times as long).
    max_requests : int
        Requests in progress at once (health and readiness excepted); beyond:
        503. Idle connections do not count.
    client_solves : int
        Synchronous requests one client (all keys of one client name) may have
        in progress at once, arriving, waiting or solving; beyond: 429.
    client_uploads : int
        Job submissions of one client whose bodies may be arriving at once; beyond: 429.
    client_queued_jobs : int
        Queued jobs of one client; beyond: 429.
    client_store_bytes : int
        Bytes one client's jobs may hold in the store (requests and results
        not yet deleted); beyond: 429.
    request_retention_s : float
        A finished job's request body is deleted when its result is fetched,
        or this long after it finished, whichever comes first (the result is
        kept for ``job_retention_s``).
    docs : bool
        Serve the interactive API page at ``/docs`` (off by default; the
        OpenAPI document is always at ``/openapi.json``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    store: str | None = None
    keys: tuple[ApiKey, ...] = ()
    anonymous: bool = False
    solve_slots: int = Field(2, ge=1, le=256)
    queue_size: int = Field(8, ge=0)
    queue_wait_s: float = Field(5.0, ge=0, allow_inf_nan=False)
    solve_timeout_s: float = Field(30.0, gt=0, allow_inf_nan=False)
    max_body_bytes: int = Field(8 * MIB, ge=1024)
    max_job_body_bytes: int = Field(64 * MIB, ge=1024)
    body_timeout_s: float = Field(60.0, gt=0, allow_inf_nan=False)
    max_uploads: int = Field(4, ge=1)
    job_workers: int = Field(1, ge=1, le=256)
    job_timeout_s: float = Field(1800.0, gt=0, allow_inf_nan=False)
    max_queued_jobs: int = Field(100, ge=1)
    job_attempts: int = Field(3, ge=1)
    lease_s: float = Field(30.0, ge=0.5, allow_inf_nan=False)
    job_retention_s: float = Field(7 * 24 * 3600.0, gt=0, allow_inf_nan=False)
    retry_after_s: int = Field(2, ge=1)
    max_requests: int = Field(256, ge=1)
    client_solves: int = Field(4, ge=1)
    client_uploads: int = Field(2, ge=1)
    client_queued_jobs: int = Field(20, ge=1)
    client_store_bytes: int = Field(512 * MIB, ge=1024)
    request_retention_s: float = Field(24 * 3600.0, gt=0, allow_inf_nan=False)
    docs: bool = False

    def summary(self) -> dict[str, Any]:
        """The settings for the start-up log line: limits and counts, never a secret or a client name."""
        data = self.model_dump(exclude={"keys", "store"})
        data["keys"] = {scope: sum(k.scope == scope for k in self.keys) for scope in SCOPES}
        return data
