"""Connections to a programme store: where it is, how writers take turns, schema migrations.

A store is a SQLite file (the default: nothing to install or start) or any
SQLAlchemy URL, e.g. ``postgresql+psycopg://user@host/db`` for a shared
deployment. Every command that changes the store runs in one transaction:
either all of it is written or none of it is.

SQLite
    WAL journal (readers never block the writer), a busy timeout, foreign
    keys on, and ``BEGIN IMMEDIATE`` for writes, so two writers take turns
    instead of failing half-way.
PostgreSQL
    Each write transaction first takes one transaction-level advisory lock,
    so writers take turns in the same way; reads see one consistent snapshot
    (``REPEATABLE READ``). Uniqueness of an active pairing is a partial
    unique index on both backends.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

from ..exceptions import MissingExtraError, PairmatchError, require

require("sqlalchemy", "store", "the programme store")
require("alembic", "store", "the programme store")

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from alembic.runtime.migration import MigrationContext  # noqa: E402
from alembic.script import ScriptDirectory  # noqa: E402
from sqlalchemy import Connection, Engine, create_engine, event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import ArgumentError, NoSuchModuleError  # noqa: E402

__all__ = [
    "BUSY_TIMEOUT_S",
    "DEFAULT_PATH",
    "StoreError",
    "connect",
    "current_revision",
    "display_url",
    "head_revision",
    "migrate",
    "read_transaction",
    "store_url",
    "write_transaction",
]

DEFAULT_PATH = "programme.db"
"""The store used when none is named: this file in the current folder (or ``$PAIRMATCH_STORE``)."""

BUSY_TIMEOUT_S = 60.0
"""How long a writer waits for another writer to finish before giving up."""

# One arbitrary 64-bit key: every pairmatch writer of a PostgreSQL database takes this lock.
_PG_LOCK_KEY = 0x7061_6972_6D61_7463 & 0x7FFF_FFFF_FFFF_FFFF
_WRITE = "pairmatch_write"


class StoreError(PairmatchError):
    """The programme store cannot do what was asked (missing, out of date, or the request clashes with it)."""


def store_url(location: str | os.PathLike[str] | None = None) -> str:
    """The SQLAlchemy URL of a store given as a URL, a file path, or nothing.

    Nothing means ``$PAIRMATCH_STORE`` if set, else ``programme.db`` in the
    current folder. ``postgresql://`` URLs use the psycopg 3 driver.

    >>> store_url("postgresql://me@localhost/programme")
    'postgresql+psycopg://me@localhost/programme'
    >>> store_url("/tmp/p.db")
    'sqlite:////tmp/p.db'
    """
    if location is None:
        location = os.environ.get("PAIRMATCH_STORE") or DEFAULT_PATH
    raw = os.fspath(location)
    if "://" in raw:
        for plain in ("postgresql://", "postgres://"):
            if raw.startswith(plain):
                return "postgresql+psycopg://" + raw[len(plain) :]
        return raw
    return "sqlite:///" + str(Path(raw).expanduser().resolve())


def display_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    return parsed.render_as_string(hide_password=True)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transactions out of the driver's hands: BEGIN is emitted by _sqlite_begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # Writers take the write lock up front, so they queue instead of failing on upgrade.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


def connect(url: str) -> Engine:
    """An engine for ``url`` set up for safe concurrent use (see the module docstring)."""
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise StoreError(f"not a store location: {url!r} ({err})") from err
    backend = parsed.get_backend_name()
    try:
        if backend == "sqlite":
            engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_S})
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
        elif backend == "postgresql":
            engine = create_engine(parsed, pool_pre_ping=True)
        else:
            engine = create_engine(parsed)
    except NoSuchModuleError as err:
        raise StoreError(f"no driver for {display_url(url)}: {err}") from err
    except ModuleNotFoundError as err:
        if backend == "postgresql":
            raise MissingExtraError("psycopg", "postgres", "a PostgreSQL programme store") from err
        raise StoreError(f"no driver for {display_url(url)}: {err}") from err
    return engine


@contextlib.contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One write transaction: committed when the block ends, rolled back on any error.

    Writers take turns (SQLite ``BEGIN IMMEDIATE``, PostgreSQL advisory lock).
    """
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            yield conn


@contextlib.contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """One read-only snapshot of the store."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        transaction = conn.begin()
        try:
            yield conn
        finally:
            transaction.rollback()


def _alembic_config(conn: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("pairmatch.store") / "migrations"))
    config.attributes["connection"] = conn
    return config


def head_revision() -> str:
    """The newest schema revision this pairmatch knows."""
    config = Config()
    config.set_main_option("script_location", str(files("pairmatch.store") / "migrations"))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def current_revision(conn: Connection) -> str | None:
    """The schema revision of the database on ``conn`` (None: not a store yet)."""
    return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the store's schema to ``revision`` in one transaction; returns ``(before, after)``."""
    with write_transaction(engine) as conn:
        before = current_revision(conn)
        command.upgrade(_alembic_config(conn), revision)
        after = current_revision(conn)
    return before, after
