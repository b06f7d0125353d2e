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
from urllib.parse import quote

from ..exceptions import MissingExtraError, PairmatchError, require

require("sqlalchemy", "store", "the programme store")
require("alembic", "store", "the programme store")

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from alembic.runtime.migration import MigrationContext  # noqa: E402
from alembic.script import ScriptDirectory  # noqa: E402
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import (  # noqa: E402
    ArgumentError,
    DatabaseError,
    DataError,
    DBAPIError,
    IntegrityError,
    NoSuchModuleError,
    OperationalError,
)

__all__ = [
    "BUSY_TIMEOUT_S",
    "DEFAULT_PATH",
    "FILE_MODE",
    "StoreError",
    "StoreUnavailable",
    "check_store",
    "connect",
    "current_revision",
    "display_url",
    "head_revision",
    "known_revisions",
    "migrate",
    "read_transaction",
    "storage_full",
    "store_revision",
    "store_url",
    "write_transaction",
]

DEFAULT_PATH = "programme.db"
"""The store used when none is named: this file in the current folder (or ``$PAIRMATCH_STORE``)."""

FILE_MODE = 0o600
"""Permissions of a new SQLite store file (its journal files follow): it holds people's names."""

BUSY_TIMEOUT_S = 60.0
"""How long a writer waits for another writer to finish before giving up."""

# One arbitrary 64-bit key: every pairmatch writer of a PostgreSQL database takes this lock.
_PG_LOCK_KEY = 0x7061_6972_6D61_7463 & 0x7FFF_FFFF_FFFF_FFFF
_WRITE = "pairmatch_write"


class StoreError(PairmatchError):
    """The programme store cannot do what was asked (missing, out of date, or the request clashes with it)."""


class StoreUnavailable(StoreError):
    """The store could not be read or written: unreachable, or out of room (``full``); nothing was written."""

    def __init__(self, message: str, *, full: bool = False) -> None:
        super().__init__(message)
        self.full = full


_SQLITE_FULL = 13
_PG_DISK_FULL = "53100"


def storage_full(err: BaseException) -> bool:
    """Whether ``err`` (a store, SQLAlchemy or driver error) says the store has no room left.

    >>> import sqlite3
    >>> failure = sqlite3.OperationalError("database or disk is full")
    >>> failure.sqlite_errorcode = 13
    >>> storage_full(failure), storage_full(StoreUnavailable("", full=True)), storage_full(ValueError())
    (True, True, False)
    """
    if isinstance(err, StoreUnavailable):
        return err.full
    original = getattr(err, "orig", None) or err
    if getattr(original, "sqlite_errorcode", None) == _SQLITE_FULL:
        return True
    return getattr(original, "sqlstate", None) == _PG_DISK_FULL


def store_failure(err: DBAPIError) -> StoreError:
    """The `StoreError` of a database error, worded without its statement or parameters (they hold people's data)."""
    original = err.orig
    kind = type(original).__name__
    if storage_full(err):
        return StoreUnavailable("the store has no room left (its disk is full); nothing was written", full=True)
    if isinstance(err, IntegrityError):
        constraint = getattr(getattr(original, "diag", None), "constraint_name", None)
        # SQLite names the constraint and its columns, never values; PostgreSQL's text quotes values.
        what = constraint or (str(original) if getattr(original, "sqlite_errorcode", None) else kind)
        return StoreError(f"the change clashes with the store's rules: {what}")
    if isinstance(err, DataError):
        return StoreError(f"a value does not fit the store ({kind}); nothing was written")
    if isinstance(err, OperationalError):  # connection and lock failures: the driver's first line names no values
        first_line = str(original).strip().splitlines()[0] if str(original).strip() else kind
        return StoreUnavailable(f"the store could not be used: {first_line}; nothing was written")
    return StoreError(f"the store refused the change ({kind}); nothing was written")


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

    Writers take turns (SQLite ``BEGIN IMMEDIATE``, PostgreSQL advisory lock). A database error
    is raised as a `StoreError` (`StoreUnavailable` when the store is unreachable or full) whose
    message holds no statement and no parameters.
    """
    try:
        with engine.connect() as conn:
            conn.execution_options(**{_WRITE: True})
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
                yield conn
    except DBAPIError as err:
        raise store_failure(err) from err


@contextlib.contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """One read-only snapshot of the store (database errors as in `write_transaction`)."""
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
            transaction = conn.begin()
            try:
                yield conn
            finally:
                transaction.rollback()
    except DBAPIError as err:
        raise store_failure(err) from err


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


def known_revisions() -> frozenset[str]:
    """Every schema revision this pairmatch knows, oldest to newest."""
    config = Config()
    config.set_main_option("script_location", str(files("pairmatch.store") / "migrations"))
    return frozenset(script.revision for script in ScriptDirectory.from_config(config).walk_revisions())


def check_store(conn: Connection, url: str) -> str | None:
    """The store's schema revision, or None for an empty database (one that may become a store).

    Raises `StoreError`, without changing anything, for a database that holds
    another application's tables, or a store made by a newer pairmatch.
    """
    found = current_revision(conn)
    where = display_url(url)
    if found is None:
        tables = sorted(inspect(conn).get_table_names())
        if tables:
            shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
            raise StoreError(
                f"{where} is not a programme store: it holds other tables ({shown}) and no pairmatch schema "
                "version; it was left as it is. Give a new file or an empty database"
            )
        return None
    if found not in known_revisions():
        raise StoreError(
            f"the store at {where} has schema revision {found}, which this pairmatch ({head_revision()} is "
            "its newest) does not know: it was made by a newer pairmatch. Use that version or a newer one; "
            "the store was left as it is"
        )
    return found


def store_revision(url: str) -> str | None:
    """`check_store` of the store at ``url``, read without changing a byte of it.

    A SQLite file is opened read-only (no journal mode is set on it); a file that
    does not exist is an empty store-to-be. An unreadable database is a `StoreError`.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if not path or path == ":memory:" or not os.path.exists(path):
            return None
        engine = create_engine(f"sqlite:///file:{quote(path)}?mode=ro&uri=true")
    else:
        engine = connect(url)
    try:
        with engine.connect() as conn, conn.begin():
            return check_store(conn, url)
    except DatabaseError as err:
        raise StoreError(_unreadable(url, err)) from err
    finally:
        engine.dispose()


def _unreadable(url: str, err: DatabaseError) -> str:
    first_line = str(err.orig).strip().splitlines()[0] if str(err.orig).strip() else type(err.orig).__name__
    if isinstance(err, OperationalError):  # unreachable, locked, no permission: the driver says which
        return f"cannot open the store at {display_url(url)}: {first_line}"
    if make_url(url).get_backend_name() == "sqlite":
        return (
            f"cannot read {display_url(url)} as a programme store: it is not a SQLite database, or it is "
            f"damaged ({first_line}); it was left as it is"
        )
    return f"cannot read the store at {display_url(url)} ({type(err.orig).__name__}); it was left as it is"


def _create_file(engine: Engine) -> None:
    """Create a new SQLite store's file readable by its owner only (SQLite gives its journals the same mode)."""
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if path and path != ":memory:" and not os.path.exists(path):
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))
        except FileExistsError:
            pass  # made meanwhile by another process: it is checked like any existing store
        except OSError as err:
            raise StoreError(f"cannot open the store at {path}: {err.strerror}") from err


def migrate(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the store's schema to ``revision`` in one transaction; returns ``(before, after)``.

    An empty database becomes a store (a new SQLite file is created with `FILE_MODE`); a database
    that is not a store, or a store from a newer pairmatch, is refused unchanged (`check_store`).
    """
    url = engine.url.render_as_string(hide_password=False)
    store_revision(url)  # refuse before taking the write lock or creating anything
    _create_file(engine)
    try:
        with write_transaction(engine) as conn:
            before = check_store(conn, url)
            command.upgrade(_alembic_config(conn), revision)
            after = current_revision(conn)
    except DatabaseError as err:
        raise StoreError(_unreadable(url, err)) from err
    return before, after
